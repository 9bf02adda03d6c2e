"""Cyfe SDK against the reference server, sync and async: push, typed options, dates, errors, batching."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest

from contract_tests.cassettes import CASSETTES
from sdk import AdminClient, BadRequest, BatchConfig, NotFound, ValidationError
from sdk.cyfe import AsyncCyfeClient, CyfeClient, MetricOptions, Row, add_values, parse_value
from sdk.testing import make_vcr
from sdk.testing.pytest_plugin import Kit

WIDGET = "dev-widget"
EVERY_OPTION = MetricOptions(onduplicate="replace", color="#52ff7f", type="spline", cumulative=False, average=True,
                             total="42", comparison=-1.5, reverse=True, reversegraph=False, yaxis=0, yaxismin=-1,
                             yaxismax=99.5, yaxisshow=True, labelshow=False)
EVERY_OPTION_STORED = {"onduplicate": "replace", "color": "#52ff7f", "type": "spline", "cumulative": "0",
                       "average": "1", "total": 42, "comparison": -1.5, "reverse": "1", "reversegraph": "0",
                       "yaxis": "0", "yaxismin": -1, "yaxismax": 99.5, "yaxisshow": "1", "labelshow": "0"}


@pytest.fixture
def client(kit: Kit) -> Iterator[CyfeClient]:
    with CyfeClient(f"{kit.url}/cyfe/api/push/dev-widget", **kit.client_options()) as c:
        yield c


def cyfe_requests(admin: AdminClient) -> list[dict[str, Any]]:
    return [r for r in admin.requests.list(limit=1000) if r["path"].startswith("/cyfe/")]


def stored_options(admin: AdminClient, metric: str) -> dict[str, Any]:
    options = admin.cyfe.widget(WIDGET)["options"]
    return {name: values[metric] for name, values in options.items() if metric in values}


# -- push ------------------------------------------------------------------------------------------

def test_push_from_endpoint_url_with_dates_and_every_option(client: CyfeClient, admin: AdminClient) -> None:
    client.push([{"Date": date(2013, 3, 20), "Users": 1, "Rate": "12.5%"},
                 {"Date": datetime(2013, 3, 21, 23, 59), "Users": "2"}],
                {"Users": EVERY_OPTION, "Rate": MetricOptions(color="#000")})
    w = admin.cyfe.widget(WIDGET)
    assert w["rows"] == [{"Date": "20130320", "Users": 1, "Rate": 12.5}, {"Date": "20130321", "Users": 2}]
    assert stored_options(admin, "Users") == EVERY_OPTION_STORED
    assert stored_options(admin, "Rate") == {"color": "#000"}
    assert w["percent_metrics"] == ["Rate"]


async def test_async_push_from_key_and_base_url(base_url: str, admin: AdminClient) -> None:
    async with AsyncCyfeClient(widget_key="dev-widget", base_url=f"{base_url}/cyfe") as client:
        await client.push([{"Date": date(2013, 3, 20), "Users": 3}], {"Users": EVERY_OPTION})
        await client.push([{"Date": "20130320", "Users": 5}])  # the stored replace applies
    w = admin.cyfe.widget(WIDGET)
    assert w["rows"] == [{"Date": "20130320", "Users": 5}]
    assert stored_options(admin, "Users") == EVERY_OPTION_STORED


def test_add_and_replace_through_the_sdk(client: CyfeClient, admin: AdminClient) -> None:
    client.push([{"Date": "20130320", "Users": 2, "Rank": 7}], {"Rank": MetricOptions(onduplicate="replace")})
    client.push([{"Date": "20130320", "Users": 3, "Rank": 4}])
    assert admin.cyfe.widget(WIDGET)["rows"] == [{"Date": "20130320", "Users": 5, "Rank": 4}]


def test_header_through_the_sdk(client: CyfeClient, admin: AdminClient) -> None:
    client.push([{"Date": date(2013, 2, 1), "Users": 4}, {"Date": date(2013, 3, 1), "Users": 6}],
                {"Users": MetricOptions(reverse=True)})
    # March 6 against February 4: +50 %, bad because reversed.
    assert admin.cyfe.widget(WIDGET)["header"]["Users"] == {"total": 6, "comparison": 50.0, "good": False,
                                                             "method": "sum"}


# -- errors: the server's, typed, and the SDK's own before sending ---------------------------------

def test_server_refusal_is_bad_request_naming_row_and_label(client: CyfeClient, admin: AdminClient) -> None:
    with pytest.raises(BadRequest) as info:
        client.push([{"Date": "20130320", "Users": 1}, {"Day": "20130321", "Users": 1}])
    assert info.value.status == 400
    assert info.value.message == "data[1]: first label 'Day' differs from the widget's 'Date'"
    assert (info.value.body["row"], info.value.body["field"]) == (1, "Day")
    assert admin.cyfe.widget(WIDGET)["rows"] == []


async def test_async_server_refusal_for_the_widget_label(base_url: str, admin: AdminClient) -> None:
    async with AsyncCyfeClient(widget_key="dev-widget", base_url=f"{base_url}/cyfe") as client:
        await client.push([{"Week": "w1", "Users": 1}])
        with pytest.raises(BadRequest) as info:
            await client.push([{"Date": "20130320", "Users": 1}])
    assert info.value.body["field"] == "Date"
    assert admin.cyfe.widget(WIDGET)["rows"] == [{"Week": "w1", "Users": 1}]


def test_unknown_widget_is_not_found_without_the_key(base_url: str, admin: AdminClient) -> None:
    key = "secret-widget-5151e3ec53783701321099125233"
    with CyfeClient(widget_key=key, base_url=f"{base_url}/cyfe") as client, pytest.raises(NotFound) as info:
        client.push([{"Date": "20130320", "Users": 1}])
    assert info.value.message == "widget_key: no widget has this key"
    assert key not in str(info.value) and key not in repr(client)


async def test_async_unknown_widget(base_url: str, admin: AdminClient) -> None:
    async with AsyncCyfeClient(f"{base_url}/cyfe/api/push/nope-widget") as client:
        with pytest.raises(NotFound):
            await client.push([{"Date": "20130320", "Users": 1}])


BAD_CALLS: list[tuple[str, list[Any], dict[str, Any] | None, str]] = [
    ("no rows", [], None, "rows must be a non-empty sequence"),
    ("row not a mapping", [["Date", "20130320"]], None, "data[0]: must be a non-empty mapping"),
    ("bad date", [{"Date": "2013-03-20", "Users": 1}], None, "data[0].Date: '2013-03-20' is not a date"),
    ("unreal date", [{"Date": "20130230", "Users": 1}], None, "data[0].Date: '20130230' is not a real date"),
    ("bad value", [{"Date": "20130320", "Users": 1}, {"Date": "20130321", "Users": "lots"}], None,
     "data[1].Users: 'lots' is not a number"),
    ("date as value", [{"Date": "20130320", "Users": date(2013, 1, 1)}], None, "data[0].Users: a date is not"),
    ("no metric", [{"Date": "20130320"}], None, "data[0]: has no metric"),
    ("options for an absent metric", [{"Date": "20130320", "Users": 1}], {"Signups": MetricOptions(color="#fff")},
     "options['Signups']: metric 'Signups' is not in the rows"),
    ("options not typed", [{"Date": "20130320", "Users": 1}], {"Users": {"color": "#fff"}},
     "options['Users'] must be a MetricOptions"),
]


@pytest.mark.parametrize(("rows", "options", "fragment"), [c[1:] for c in BAD_CALLS], ids=[c[0] for c in BAD_CALLS])
def test_sdk_refuses_before_sending(client: CyfeClient, admin: AdminClient, rows: list[Any],
                                    options: dict[str, Any] | None, fragment: str) -> None:
    with pytest.raises(ValidationError) as info:
        client.push(rows, options)
    assert fragment in str(info.value)
    assert cyfe_requests(admin) == []


@pytest.mark.parametrize(("rows", "options", "fragment"), [c[1:] for c in BAD_CALLS], ids=[c[0] for c in BAD_CALLS])
async def test_async_sdk_refuses_before_sending(base_url: str, admin: AdminClient, rows: list[Any],
                                                options: dict[str, Any] | None, fragment: str) -> None:
    async with AsyncCyfeClient(widget_key="dev-widget", base_url=f"{base_url}/cyfe") as client:
        with pytest.raises(ValidationError) as info:
            await client.push(rows, options)
    assert fragment in str(info.value)
    assert cyfe_requests(admin) == []


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"onduplicate": "merge"}, "onduplicate"), ({"color": "green"}, "color"), ({"type": "radar"}, "type"),
    ({"yaxis": -1}, "yaxis"), ({"yaxis": 1000}, "yaxis"), ({"total": "many"}, "total"),
    ({"comparison": "up"}, "comparison"), ({"yaxismin": float("nan")}, "yaxismin"),
    ({"yaxismin": 5, "yaxismax": 5}, "yaxismin"), ({"cumulative": True, "average": True}, "average"),
])
def test_metric_options_are_checked_when_built(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        MetricOptions(**kwargs)
    assert info.value.field == field


# -- the merging batcher ---------------------------------------------------------------------------

def _rows(n: int, seed: int) -> list[Row]:
    rnd = random.Random(seed)
    start = date(2013, 1, 1)
    return [{"Date": start + timedelta(days=rnd.randrange(60)), "Users": rnd.randrange(100),
             "Revenue": f"{rnd.randrange(10_000) / 100}", "Rank": rnd.randrange(1, 50)} for _ in range(n)]


def _expected(rows: list[Row]) -> dict[str, dict[str, Any]]:
    """Per date: Users and Revenue summed exactly, Rank the last value sent (it replaces)."""
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        day = row["Date"].strftime("%Y%m%d")  # type: ignore[union-attr]
        e = out.setdefault(day, {"Date": day, "Users": 0, "Revenue": 0})
        e["Users"] = add_values((e["Users"], row["Users"]))  # type: ignore[arg-type]
        e["Revenue"] = add_values((e["Revenue"], float(row["Revenue"])))  # type: ignore[arg-type]
        e["Rank"] = row["Rank"]
    return out


def test_batcher_merges_per_element_and_totals_are_exact(client: CyfeClient, admin: AdminClient) -> None:
    rows = _rows(1500, seed=1)
    batcher = client.batcher({"Rank": MetricOptions(onduplicate="replace"), "Users": MetricOptions(color="#fff")},
                             BatchConfig(max_items=500, background=False))
    for row in rows:
        batcher.add(row)
    result = batcher.close()
    assert (result.failed, result.pending) == (0, 0)
    expected = _expected(rows)
    assert {r["Date"]: r for r in admin.cyfe.widget(WIDGET)["rows"]} == expected
    # A flush every 500 rows added; each merges its rows into at most 60 elements (one per date): one push.
    assert len(cyfe_requests(admin)) == len(rows) // 500
    assert admin.cyfe.widget(WIDGET)["options"] == {"onduplicate": {"Rank": "replace"}, "color": {"Users": "#fff"}}


async def test_async_batcher_merges_and_totals_are_exact(base_url: str, admin: AdminClient) -> None:
    rows = _rows(800, seed=2)
    async with AsyncCyfeClient(widget_key="dev-widget", base_url=f"{base_url}/cyfe") as client:
        batcher = client.batcher({"Rank": MetricOptions(onduplicate="replace")}, BatchConfig(max_items=1000))
        async with batcher:
            for row in rows:
                await batcher.add(row)
    assert {r["Date"]: r for r in admin.cyfe.widget(WIDGET)["rows"]} == _expected(rows)
    assert len(cyfe_requests(admin)) == 1


def _pushed_bodies(client: httpx.Client | httpx.AsyncClient) -> list[dict[str, Any]]:
    """Record the JSON body of every request the client sends (to see what the batcher merged)."""
    bodies: list[dict[str, Any]] = []

    def hook(request: httpx.Request) -> None:
        bodies.append(json.loads(request.content))

    async def ahook(request: httpx.Request) -> None:
        hook(request)

    client.event_hooks["request"].append(ahook if isinstance(client, httpx.AsyncClient) else hook)
    return bodies


def _wire(rows: list[Row]) -> list[dict[str, Any]]:
    """Rows as the batcher sends them: each as added, in order (dates as YYYYMMDD)."""
    return [{k: v.strftime("%Y%m%d") if k == "Date" else v for k, v in row.items()}  # type: ignore[union-attr]
            for row in rows]


def test_batcher_pushes_the_rows_in_order_unmerged(base_url: str, admin: AdminClient) -> None:
    rows = _rows(1000, seed=4)
    with httpx.Client() as http_client, CyfeClient(f"{base_url}/cyfe/api/push/dev-widget",
                                                   http_client=http_client) as client:
        bodies = _pushed_bodies(http_client)
        with client.batcher({"Rank": MetricOptions(onduplicate="replace")},
                            BatchConfig(max_items=400, background=False)) as batcher:
            for row in rows:
                batcher.add(row)
    # Flushes after rows 400 and 800, and the rest at close: each push holds its slice as added, in order;
    # the widget aggregates them (Users and Revenue summed, Rank the last value).
    slices = [rows[:400], rows[400:800], rows[800:]]
    assert [_as_numbers(b["data"]) for b in bodies] == [_as_numbers(_wire(part)) for part in slices]
    assert [b.get("onduplicate") for b in bodies] == [{"Rank": "replace"}] * 3
    assert {r["Date"]: r for r in admin.cyfe.widget(WIDGET)["rows"]} == _expected(rows)


async def test_async_batcher_pushes_the_rows_in_order_in_one_push(base_url: str, admin: AdminClient) -> None:
    rows = _rows(300, seed=5)
    async with httpx.AsyncClient() as http_client, AsyncCyfeClient(
            widget_key="dev-widget", base_url=f"{base_url}/cyfe", http_client=http_client) as client:
        bodies = _pushed_bodies(http_client)
        async with client.batcher({"Rank": MetricOptions(onduplicate="replace")},
                                  BatchConfig(max_items=1000)) as batcher:
            for row in rows:
                await batcher.add(row)
    assert [_as_numbers(b["data"]) for b in bodies] == [_as_numbers(_wire(rows))]
    assert {r["Date"]: r for r in admin.cyfe.widget(WIDGET)["rows"]} == _expected(rows)


@pytest.mark.parametrize("stored", ["replace", "add"])
def test_batcher_gives_what_single_pushes_give_under_the_stored_option(base_url: str, admin: AdminClient,
                                                                       stored: str) -> None:
    """The widget stores onduplicate for "New Users" from an earlier push; a batcher given no options must
    leave what 100 single pushes leave (replace: the last value, 99; add: the sum, 4950)."""
    url = f"{base_url}/cyfe"
    admin.seed({"cyfe": {"widgets": [{"key": "single-widget"}, {"key": "batch-widget"}]}})
    for key in ("single-widget", "batch-widget"):
        with CyfeClient(widget_key=key, base_url=url) as c:
            c.push([{"Date": "20130301", "New Users": 0}], {"New Users": MetricOptions(onduplicate=stored)})
    rows: list[Row] = [{"Date": "20130302", "New Users": i} for i in range(100)]
    with CyfeClient(widget_key="single-widget", base_url=url) as single:
        for row in rows:
            single.push([row])
    with CyfeClient(widget_key="batch-widget", base_url=url) as client, client.batcher(
            config=BatchConfig(background=False)) as batcher:
        for row in rows:
            batcher.add(row)
    singles = admin.cyfe.widget("single-widget")["rows"]
    batched = admin.cyfe.widget("batch-widget")["rows"]
    want = 99 if stored == "replace" else 4950
    assert singles == batched == [{"Date": "20130301", "New Users": 0}, {"Date": "20130302", "New Users": want}]
    assert len(cyfe_requests(admin)) == 2 + 100 + 1  # one push for the whole batch


async def test_async_batcher_gives_what_single_pushes_give_under_a_stored_replace(base_url: str,
                                                                                admin: AdminClient) -> None:
    url = f"{base_url}/cyfe"
    async with AsyncCyfeClient(widget_key="dev-widget", base_url=url) as client:
        await client.push([{"Date": "20130301", "New Users": 0}], {"New Users": MetricOptions(onduplicate="replace")})
        async with client.batcher() as batcher:
            for i in range(100):
                await batcher.add({"Date": "20130302", "New Users": i})
    assert admin.cyfe.widget(WIDGET)["rows"][1] == {"Date": "20130302", "New Users": 99}


def _as_numbers(data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Wire rows with their numeric strings read as numbers (Revenue is sent as text)."""
    return [{k: v if k == "Date" else parse_value(v)[0] for k, v in row.items()} for row in data]


def test_batcher_shared_by_threads_loses_nothing(client: CyfeClient, admin: AdminClient) -> None:
    rows = _rows(1200, seed=3)
    batcher = client.batcher({"Rank": MetricOptions(onduplicate="replace")}, BatchConfig(max_items=100, interval=0.05))
    # Each thread owns its own dates, so "last Rank" is well defined whatever the interleaving.
    parts = [[r for r in rows if r["Date"].day % 4 == n] for n in range(4)]  # type: ignore[union-attr]
    threads = [threading.Thread(target=lambda part=part: [batcher.add(r) for r in part]) for part in parts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = batcher.close()
    assert (result.failed, result.pending, batcher.stats["dropped"]) == (0, 0, 0)
    assert {r["Date"]: r for r in admin.cyfe.widget(WIDGET)["rows"]} == _expected(rows)


def test_batcher_sends_only_the_options_of_each_batchs_metrics(client: CyfeClient, admin: AdminClient) -> None:
    with client.batcher({"Users": MetricOptions(type="bar"), "Signups": MetricOptions(type="pie")},
                        BatchConfig(max_items=1, background=False)) as batcher:
        batcher.add({"Date": "20130301", "Users": 1})
        batcher.add({"Date": "20130302", "Signups": 2})
    assert admin.cyfe.widget(WIDGET)["options"] == {"type": {"Users": "bar", "Signups": "pie"}}


def test_batcher_validates_each_row_in_add(client: CyfeClient, admin: AdminClient) -> None:
    failures: list[BaseException] = []
    with client.batcher(config=BatchConfig(background=False),
                        on_error=lambda exc, items: failures.append(exc)) as batcher:
        batcher.add({"Date": "20130301", "Users": 1})
        with pytest.raises(ValidationError, match=r"row\.Date: '20130299' is not a real date"):
            batcher.add({"Date": "20130299", "Users": 1})
        with pytest.raises(ValidationError, match=r"row\.Users: 'x' is not a number"):
            batcher.add({"Date": "20130301", "Users": "x"})
        with pytest.raises(ValidationError, match="first label 'Week' differs from this batcher's 'Date'"):
            batcher.add({"Week": "w1", "Users": 1})
    assert failures == []
    assert admin.cyfe.widget(WIDGET)["rows"] == [{"Date": "20130301", "Users": 1}]


async def test_async_batcher_validates_each_row_in_add(base_url: str, admin: AdminClient) -> None:
    client = AsyncCyfeClient(widget_key="dev-widget", base_url=f"{base_url}/cyfe")
    async with client, client.batcher() as batcher:
        await batcher.add({"Date": "20130301", "Users": "5%"})
        with pytest.raises(ValidationError):
            await batcher.add({"Date": "201303", "Users": 1})
        await batcher.add({"Date": "20130301", "Users": "5%"})
    w = admin.cyfe.widget(WIDGET)
    assert w["rows"] == [{"Date": "20130301", "Users": 10}]
    assert w["percent_metrics"] == ["Users"]  # the % survives merging


def test_batcher_failure_reaches_on_error(base_url: str, admin: AdminClient) -> None:
    failed: list[tuple[BaseException, int]] = []
    with CyfeClient(widget_key="gone-widget", base_url=f"{base_url}/cyfe") as client, client.batcher(
            config=BatchConfig(background=False), on_error=lambda exc, items: failed.append((exc, len(items)))
    ) as batcher:
        batcher.add({"Date": "20130301", "Users": 1})
        batcher.add({"Date": "20130301", "Users": 2})
    assert len(failed) == 1
    assert isinstance(failed[0][0], NotFound) and failed[0][1] == 2  # both rows, in the one push that failed
    assert failed[0][0].reason == "refused" and not failed[0][0].maybe_applied


# -- cassette --------------------------------------------------------------------------------------

CASSETTE_KEY = "5151e3ec53783701321099125233"


def test_cassette_holds_no_widget_key(base_url: str, admin: AdminClient) -> None:
    admin.seed({"cyfe": {"widgets": [{"key": CASSETTE_KEY, "name": "cassette"}]}})
    recorder = make_vcr(CASSETTES, secrets=[CASSETTE_KEY])
    with recorder.use_cassette("cyfe_push.yaml"), CyfeClient(f"{base_url}/cyfe/api/push/{CASSETTE_KEY}") as client:
        client.push([{"Date": date(2013, 3, 20), "Users": "1"}],
                    {"Users": MetricOptions(onduplicate="replace", color="#52ff7f", type="line")})
        client.push([{"Date": "20130320", "Users": 2, "Rate": "5%"}], {"Rate": EVERY_OPTION})
    text = (CASSETTES / "cyfe_push.yaml").read_text()
    assert CASSETTE_KEY not in text
    assert "/cyfe/api/push/***" in text
