"""Cyfe rules shared by SDK and server, and the backend driven directly."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

import schemas
from mock_server.config import Config
from mock_server.errors import ServiceError
from mock_server.services.cyfe.backend import CyfeBackend, rows_ns
from mock_server.store import MemoryStore, SqliteStore, Store
from sdk import AdminClient, ValidationError
from sdk.cyfe import (
    CHART_TYPES,
    OPTION_NAMES,
    MetricOptions,
    add_values,
    check_option,
    cyfe_date,
    merge_rows,
    parse_date,
    parse_value,
    split_endpoint,
)


@pytest.mark.parametrize(("raw", "expected"), [
    (1, (1, False)), (2.5, (2.5, False)), ("3", (3, False)), (" -4.50 ", (-4.5, False)), ("1e3", (1000, False)),
    ("12.5%", (12.5, True)), ("7 %", (7, True)), (".5", (0.5, False)), (3.0, (3, False)),
])
def test_parse_value_good(raw: Any, expected: tuple[float, bool]) -> None:
    assert parse_value(raw) == expected
    assert type(parse_value(raw)[0]) is type(expected[0])


@pytest.mark.parametrize("raw", [True, None, "", "abc", "1,5", "%", "nan", "inf", float("inf"), [1], {"a": 1}, "1%%"])
def test_parse_value_bad(raw: Any) -> None:
    with pytest.raises(ValueError):
        parse_value(raw)


def test_dates() -> None:
    assert cyfe_date(date(2013, 3, 20)) == "20130320"
    assert cyfe_date(datetime(2013, 3, 20, 23, 59, 59)) == "20130320"
    assert parse_date("20240229") == date(2024, 2, 29)
    fullwidth = "".join(chr(0xFF10 + int(d)) for d in "20130320")
    for bad in ("20230229", "2013032", "2013-03-20", "201303200", fullwidth, "abcdefgh", "20131301"):
        with pytest.raises(ValueError):
            parse_date(bad)


@pytest.mark.parametrize(("option", "raw", "stored"), [
    ("onduplicate", "add", "add"), ("onduplicate", "replace", "replace"), ("color", "#ABCDEF", "#abcdef"),
    ("color", "#fff", "#fff"), ("type", "donut", "donut"), ("cumulative", 1, "1"), ("labelshow", "0", "0"),
    ("yaxis", 0, "0"), ("yaxis", "007", "7"), ("yaxismin", "-1.5", -1.5), ("total", "10%", 10),
    ("comparison", -3, -3),
])
def test_check_option_good(option: str, raw: Any, stored: Any) -> None:
    assert check_option(option, raw) == stored


@pytest.mark.parametrize(("option", "raw"), [
    ("onduplicate", "Replace"), ("color", "#ggg"), ("color", 123), ("type", "Line"), ("average", True),
    ("average", 2), ("yaxis", True), ("yaxis", "1.5"), ("yaxis", 1000), ("yaxismax", "5%"), ("total", None),
    ("nope", 1),
])
def test_check_option_bad(option: str, raw: Any) -> None:
    with pytest.raises(ValueError):
        check_option(option, raw)


def test_add_values_is_exact_decimal_addition() -> None:
    assert add_values([0.1] * 10) == 1
    assert add_values([0.1, 0.2]) == 0.3
    assert add_values([1, 2]) == 3 and isinstance(add_values([1, 2]), int)
    assert add_values([]) == 0


def test_merge_rows_adds_replaces_and_keeps_order_and_percent() -> None:
    rows = [{"Date": "20130302", "A": 1, "R": 5, "P": "10%"}, {"Date": "20130301", "A": "2"},
            {"Date": "20130302", "A": 0.5, "R": 9, "P": 5}]
    assert merge_rows(rows, frozenset({"R"})) == [{"Date": "20130302", "A": 1.5, "R": 9, "P": "15%"},
                                                  {"Date": "20130301", "A": 2}]
    assert merge_rows(rows) == [{"Date": "20130302", "A": 1.5, "R": 14, "P": "15%"}, {"Date": "20130301", "A": 2}]
    assert merge_rows([{"D": "x", "P": "5%"}, {"D": "x", "P": 7}], frozenset({"P"})) == [{"D": "x", "P": "7%"}]


def test_metric_options_wire_form() -> None:
    assert MetricOptions().wire() == {}
    assert MetricOptions(cumulative=True, reverse=False, yaxis=2, total=5).wire() == {
        "cumulative": "1", "total": 5, "reverse": "0", "yaxis": "2"}
    with pytest.raises(ValidationError) as info:
        MetricOptions(color="red")
    assert info.value.field == "color"


@pytest.mark.parametrize(("endpoint", "expected"), [
    ("https://app.cyfe.com/api/push/5151e3ec", ("https://app.cyfe.com", "5151e3ec")),
    ("http://localhost:8000/cyfe/api/push/dev-widget/", ("http://localhost:8000/cyfe", "dev-widget")),
])
def test_split_endpoint(endpoint: str, expected: tuple[str, str]) -> None:
    assert split_endpoint(endpoint) == expected


@pytest.mark.parametrize("endpoint", ["https://app.cyfe.com/api/push/", "https://app.cyfe.com/5151e3ec",
                                      "https://app.cyfe.com/api/push/a/b", "/api/push/key"])
def test_split_endpoint_bad(endpoint: str) -> None:
    with pytest.raises(ValidationError) as info:
        split_endpoint(endpoint)
    assert info.value.field == "endpoint"


def test_schema_lists_match_the_sdk() -> None:
    """The push schema and the SDK's rules name the same options and chart types (drift guard)."""
    body = json.loads((Path(schemas.__file__).parent / "cyfe" / "push.json").read_text())["$defs"]["body"]
    assert set(body["properties"]) - {"data"} == set(OPTION_NAMES)
    assert tuple(body["properties"]["type"]["additionalProperties"]["enum"]) == CHART_TYPES


# -- the backend directly ----------------------------------------------------------------------------

@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    return MemoryStore() if request.param == "memory" else SqliteStore(str(tmp_path / "cyfe.db"))


def test_push_and_read_back_in_either_store(store: Store) -> None:
    backend = CyfeBackend(store)
    backend.reset()
    assert backend.push("dev-widget", {"data": [{"Date": "20130301", "A": 1}, {"Date": "20130301", "A": 2}]}) == 2
    assert backend.read_back("dev-widget")["rows"] == [{"Date": "20130301", "A": 3}]
    assert store.count(rows_ns("dev-widget")) == 1


def test_empty_widget_reads_back_empty() -> None:
    backend = CyfeBackend(MemoryStore())
    backend.reset()
    assert backend.read_back("dev-widget") == {"name": "Development widget", "label": None, "metrics": [],
                                               "percent_metrics": [], "rows": [], "options": {}, "header": {},
                                               "period": None}


def test_unknown_widget_unless_any_widget_is_accepted() -> None:
    strict = CyfeBackend(MemoryStore())
    with pytest.raises(ServiceError) as info:
        strict.push("mine", {"data": [{"Date": "20130301", "A": 1}]})
    assert info.value.status == 404
    lenient = CyfeBackend(MemoryStore(), accept_any_widget=True)
    with pytest.raises(ServiceError):  # a refused first push does not create the widget either
        lenient.push("mine", {"data": [{"Date": "20130231", "A": 1}]})
    assert lenient.widgets() == []
    lenient.push("mine", {"data": [{"Date": "20130301", "A": 1}]})
    assert lenient.read_back("mine")["rows"] == [{"Date": "20130301", "A": 1}]
    assert [w["key"] for w in lenient.widgets()] == ["mine"]


def test_service_reads_its_settings() -> None:
    from mock_server import create_app

    app = create_app(Config(services={"cyfe": {"accept_any_widget": True}}))
    client = app.test_client()
    response = client.post("/cyfe/api/push/any-key", json={"data": [{"Date": "20130301", "A": 1}]})
    assert response.status_code == 200
    admin = AdminClient(transport=httpx.WSGITransport(app=app))
    assert admin.cyfe.widget("any-key")["rows"] == [{"Date": "20130301", "A": 1}]


def test_http_layer_errors_in_cyfe_style_and_strict_responses() -> None:
    from mock_server import create_app

    app = create_app(Config(max_body=300, strict=True))
    client = app.test_client()
    good = client.post("/cyfe/api/push/dev-widget", json={"data": [{"Date": "20130301", "A": "5%"}],
                                                          "reverse": {"A": 1}})
    assert good.status_code == 200
    # Strict: the read-back matches widget.json (a reply off it would be a 500, raised as ServerError).
    assert AdminClient(transport=httpx.WSGITransport(app=app)).cyfe.widget("dev-widget")
    too_big = client.post("/cyfe/api/push/dev-widget", json={"data": [{"Date": "20130301", "A": 1}] * 40})
    assert too_big.status_code == 413
    assert too_big.get_json() == {"status": "error", "code": 413, "parameter": None, "row": None, "field": None,
                                  "message": "request body is larger than the server's limit"}
    secret = "5151e3ec53783701321099125233"
    for response in (client.get(f"/cyfe/api/push/{secret}"), client.post(f"/cyfe/api/push/{secret}/x", json={})):
        assert response.status_code in (404, 405)
        assert secret not in response.get_data(as_text=True)
        assert schemas.validate("cyfe/push#/$defs/error", response.get_json()) == []


@pytest.mark.parametrize(("instance", "where"), [
    ({"data": [{"Date": "20130320", "Users": 1}], "color": {"Users": "x"}}, ("color", None, "Users")),
    ({"data": [{"Date": "20130320", "Users": 1}, {"Date": "2013", "Users": 1}]}, ("data", 1, "Date")),
    ({"data": []}, ("data", None, None)),
    ([], (None, None, None)),
])
def test_request_schema_errors_say_where(instance: Any, where: tuple[Any, Any, Any]) -> None:
    """Errors only the request schema catches still carry parameter, row and field, read from the JSON path."""
    from mock_server.http import check
    from mock_server.services.cyfe.backend import _located

    with pytest.raises(ServiceError) as info:
        check("cyfe/push#/$defs/body", instance)
    body = _located(info.value).body
    assert (body["parameter"], body["row"], body["field"]) == where
    assert body["message"] == info.value.message
