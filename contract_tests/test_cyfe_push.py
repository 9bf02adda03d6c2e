"""Cyfe Push API on the wire: every parameter, option and rule, good and bad, against the reference server.

Expected numbers are computed here from the rows each test pushes (or hand-computed in a comment).
"""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest

import schemas
from sdk import AdminClient, BadRequest, NotFound

PUSH = "/cyfe/api/push/dev-widget"


def push(http: httpx.Client, body: Any, path: str = PUSH) -> httpx.Response:
    return http.post(path, json=body)


def ok(http: httpx.Client, body: Any, path: str = PUSH) -> None:
    response = push(http, body, path)
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "rows": len(body["data"])}
    assert schemas.validate("cyfe/push#/$defs/body", body) == []


def widget(admin: AdminClient, key: str = "dev-widget") -> dict[str, Any]:
    result: dict[str, Any] = admin.cyfe.widget(key)
    assert schemas.validate("cyfe/widget", result) == []
    return result


# -- the documented example and the basic rules ----------------------------------------------------

def test_documented_example(http: httpx.Client, admin: AdminClient) -> None:
    body = {"data": [{"Date": "20130320", "Users": "1"}], "onduplicate": {"Users": "replace"},
            "color": {"Users": "#52ff7f"}, "type": {"Users": "line"}}
    ok(http, body)
    w = widget(admin)
    assert w["label"] == "Date"
    assert w["rows"] == [{"Date": "20130320", "Users": 1}]
    assert w["options"] == {"onduplicate": {"Users": "replace"}, "color": {"Users": "#52ff7f"},
                            "type": {"Users": "line"}}


def test_duplicate_element_adds_by_default(http: httpx.Client, admin: AdminClient) -> None:
    ok(http, {"data": [{"Date": "20130320", "Users": "1", "Views": 2.5}]})
    ok(http, {"data": [{"Date": "20130320", "Users": 4, "Views": "0.25"}, {"Date": "20130321", "Users": 7}]})
    ok(http, {"data": [{"Date": "20130320", "Users": " 10 "}], "onduplicate": {"Users": "add"}})
    assert widget(admin)["rows"] == [{"Date": "20130320", "Users": 1 + 4 + 10, "Views": 2.5 + 0.25},
                                     {"Date": "20130321", "Users": 7}]


def test_duplicates_within_one_push_apply_in_order(http: httpx.Client, admin: AdminClient) -> None:
    ok(http, {"data": [{"Date": "20130320", "Users": 1, "Rank": 9}, {"Date": "20130320", "Users": 2, "Rank": 3}],
              "onduplicate": {"Rank": "replace"}})
    assert widget(admin)["rows"] == [{"Date": "20130320", "Users": 3, "Rank": 3}]


def test_replace_is_per_metric_and_stored_with_the_widget(http: httpx.Client, admin: AdminClient) -> None:
    ok(http, {"data": [{"Date": "20130320", "Users": 5, "Signups": 5}], "onduplicate": {"Users": "replace"}})
    ok(http, {"data": [{"Date": "20130320", "Users": 2, "Signups": 2}]})  # the stored option still replaces
    assert widget(admin)["rows"] == [{"Date": "20130320", "Users": 2, "Signups": 7}]
    ok(http, {"data": [{"Date": "20130320", "Users": 3}], "onduplicate": {"Users": "add"}})  # changed back
    assert widget(admin)["rows"][0]["Users"] == 5


def test_a_date_sent_as_an_integer_is_stored_as_its_string(http: httpx.Client, admin: AdminClient) -> None:
    ok(http, {"data": [{"Date": 20130320, "Users": 1}]})  # PHP's json_encode of an int
    ok(http, {"data": [{"Date": "20130320", "Users": 2}]})
    assert widget(admin)["rows"] == [{"Date": "20130320", "Users": 3}]


def test_rows_sorted_by_date_and_numbers_kept_exact(http: httpx.Client, admin: AdminClient) -> None:
    ok(http, {"data": [{"Date": "20130405", "A": "1.5"}, {"Date": "20121231", "A": "-2e3"},
                       {"Date": "20130101", "A": 0}]})
    assert widget(admin)["rows"] == [{"Date": "20121231", "A": -2000}, {"Date": "20130101", "A": 0},
                                     {"Date": "20130405", "A": 1.5}]


def test_other_first_label_keeps_push_order(http: httpx.Client, admin: AdminClient) -> None:
    ok(http, {"data": [{"Country": "Norway", "Visits": 3}, {"Country": "Chile", "Visits": 1}]})
    ok(http, {"data": [{"Country": "Norway", "Visits": 2}, {"Country": 42, "Visits": 1}]})
    w = widget(admin)
    assert w["rows"] == [{"Country": "Norway", "Visits": 5}, {"Country": "Chile", "Visits": 1},
                         {"Country": "42", "Visits": 1}]
    # Not a Date widget: the header totals every row and has no period to compare with.
    assert w["period"] is None
    assert w["header"] == {"Visits": {"total": 7, "comparison": None, "good": None, "method": "sum"}}


def test_json_text_sent_as_form_content_type(http: httpx.Client, admin: AdminClient) -> None:
    # Cyfe's PHP example posts json_encode()d text with curl's default form Content-Type.
    response = http.post(PUSH, content=b'{"data":[{"Date":"20130320","Users":"1"}]}',
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200, response.text
    assert widget(admin)["rows"] == [{"Date": "20130320", "Users": 1}]


# -- every option, stored in its canonical form ----------------------------------------------------

def test_every_option_is_stored_per_metric(http: httpx.Client, admin: AdminClient) -> None:
    body = {
        "data": [{"Date": "20130320", "Users": 1, "Churn": 2}],
        "onduplicate": {"Users": "replace", "Churn": "add"},
        "color": {"Users": "#52FF7F", "Churn": "#abc"},
        "type": {"Users": "line", "Churn": "column"},
        "cumulative": {"Users": "1", "Churn": 0},
        "average": {"Users": "0", "Churn": 1},
        "total": {"Users": "1000", "Churn": 2.5},
        "comparison": {"Users": "-12.5%", "Churn": 3},
        "reverse": {"Users": 0, "Churn": "1"},
        "reversegraph": {"Users": "1", "Churn": "0"},
        "yaxis": {"Users": "0", "Churn": 0},
        "yaxismin": {"Users": "-5", "Churn": 0},
        "yaxismax": {"Users": 100, "Churn": "10.5"},
        "yaxisshow": {"Users": "1", "Churn": 0},
        "labelshow": {"Users": 1, "Churn": "0"},
    }
    ok(http, body)
    assert widget(admin)["options"] == {
        "onduplicate": {"Users": "replace", "Churn": "add"},
        "color": {"Users": "#52ff7f", "Churn": "#abc"},
        "type": {"Users": "line", "Churn": "column"},
        "cumulative": {"Users": "1", "Churn": "0"},
        "average": {"Users": "0", "Churn": "1"},
        "total": {"Users": 1000, "Churn": 2.5},
        "comparison": {"Users": -12.5, "Churn": 3},
        "reverse": {"Users": "0", "Churn": "1"},
        "reversegraph": {"Users": "1", "Churn": "0"},
        "yaxis": {"Users": "0", "Churn": "0"},
        "yaxismin": {"Users": -5, "Churn": 0},
        "yaxismax": {"Users": 100, "Churn": 10.5},
        "yaxisshow": {"Users": "1", "Churn": "0"},
        "labelshow": {"Users": "1", "Churn": "0"},
    }


def test_later_pushes_change_only_the_options_they_name(http: httpx.Client, admin: AdminClient) -> None:
    ok(http, {"data": [{"Date": "20130320", "Users": 1}], "color": {"Users": "#111111"}, "type": {"Users": "bar"}})
    ok(http, {"data": [{"Date": "20130321", "Users": 1, "New": 1}], "type": {"Users": "area", "New": "pie"}})
    assert widget(admin)["options"] == {"color": {"Users": "#111111"}, "type": {"Users": "area", "New": "pie"}}


@pytest.mark.parametrize("chart", ["line", "spline", "area", "areaspline", "column", "bar", "pie", "donut",
                                   "funnel", "gauge", "table", "kpi"])
def test_every_documented_chart_type(http: httpx.Client, admin: AdminClient, chart: str) -> None:
    ok(http, {"data": [{"Date": "20130320", "Users": 1}], "type": {"Users": chart}})
    assert widget(admin)["options"]["type"] == {"Users": chart}


# -- refused pushes: exact status, a message naming the fault, and nothing stored --------------------

GOOD = {"Date": "20130320", "Users": 1}
OPTIONS = ("onduplicate", "color", "type", "cumulative", "average", "total", "comparison", "reverse",
           "reversegraph", "yaxis", "yaxismin", "yaxismax", "yaxisshow", "labelshow")
GOOD_VALUE = {"onduplicate": "add", "color": "#fff", "type": "line", "yaxis": "0", "yaxismin": 0, "yaxismax": 1,
              "total": 1, "comparison": 1}

BAD: list[tuple[str, Any, str, str | None, int | None, str | None]] = [
    # (case, body, message fragment, parameter, row, field)
    ("not an object", ["x"], "body: must be a JSON object", "body", None, None),
    ("unknown parameter", {"data": [GOOD], "colour": {"Users": "#fff"}}, "colour: unknown parameter", "colour",
     None, None),
    ("data missing", {"color": {"Users": "#fff"}}, "data: missing", "data", None, None),
    ("data empty", {"data": []}, "data: must be a non-empty list", "data", None, None),
    ("data not a list", {"data": GOOD}, "data: must be a non-empty list", "data", None, None),
    ("row not an object", {"data": [GOOD, "x"]}, "data[1]: must be an object", "data", 1, None),
    ("row empty", {"data": [GOOD, {}]}, "data[1]: must be an object", "data", 1, None),
    ("labels differ", {"data": [GOOD, {"Day": "20130321", "Users": 1}]}, "data[1]: first label 'Day' differs",
     "data", 1, "Day"),
    ("element empty", {"data": [{"Date": "", "Users": 1}]}, "data[0].Date: the element must be", "data", 0, "Date"),
    ("element null", {"data": [{"Country": None, "Users": 1}]}, "data[0].Country: the element must be", "data", 0,
     "Country"),
    ("element boolean", {"data": [{"Country": True, "Users": 1}]}, "data[0].Country: the element must be", "data",
     0, "Country"),
    ("date dashed", {"data": [GOOD, {"Date": "2013-03-21", "Users": 1}]}, "data[1].Date: '2013-03-21' is not a date",
     "data", 1, "Date"),
    ("date short", {"data": [{"Date": "2013032", "Users": 1}]}, "data[0].Date: '2013032' is not a date", "data", 0,
     "Date"),
    ("date unreal", {"data": [{"Date": "20130231", "Users": 1}]}, "data[0].Date: '20130231' is not a real date",
     "data", 0, "Date"),
    ("date as number", {"data": [{"Date": 2013, "Users": 1}]}, "data[0].Date: '2013' is not a date", "data", 0,
     "Date"),
    ("value text", {"data": [GOOD, GOOD, {"Date": "20130322", "Users": "abc"}]}, "data[2].Users: 'abc' is not a number",
     "data", 2, "Users"),
    ("value boolean", {"data": [{"Date": "20130320", "Users": True}]}, "data[0].Users: True is not a number",
     "data", 0, "Users"),
    ("value null", {"data": [{"Date": "20130320", "Users": None}]}, "data[0].Users: None is not a number", "data",
     0, "Users"),
    ("value list", {"data": [{"Date": "20130320", "Users": [1]}]}, "data[0].Users: [1] is not a number", "data", 0,
     "Users"),
    ("value empty", {"data": [{"Date": "20130320", "Users": ""}]}, "data[0].Users: '' is not a number", "data", 0,
     "Users"),
    ("value nan", {"data": [{"Date": "20130320", "Users": "nan"}]}, "data[0].Users: 'nan' is not a number", "data",
     0, "Users"),
    ("no metric", {"data": [{"Date": "20130320"}]}, "data[0]: has no metric", "data", 0, "Date"),
    ("sum out of range", {"data": [{"Date": "20130320", "Users": 1e308}, {"Date": "20130320", "Users": "1e308"}]},
     "data[1].Users: adding 1e+308 to 1e+308 is out of range", "data", 1, "Users"),
    ("empty metric name", {"data": [{"Date": "20130320", "": 1}]}, "data[0]: a metric name is empty", "data", 0, ""),
    ("onduplicate value", {"data": [GOOD], "onduplicate": {"Users": "merge"}},
     "onduplicate.Users: 'merge' is not one of 'add', 'replace'", "onduplicate", None, "Users"),
    ("color name", {"data": [GOOD], "color": {"Users": "green"}}, "color.Users: 'green' is not a hexadecimal",
     "color", None, "Users"),
    ("color digits", {"data": [GOOD], "color": {"Users": "#12345"}}, "color.Users: '#12345' is not a hexadecimal",
     "color", None, "Users"),
    ("color no hash", {"data": [GOOD], "color": {"Users": "52ff7f"}}, "color.Users: '52ff7f' is not a hexadecimal",
     "color", None, "Users"),
    ("type unknown", {"data": [GOOD], "type": {"Users": "radar"}}, "type.Users: 'radar' is not a chart type",
     "type", None, "Users"),
    ("yaxis negative", {"data": [GOOD], "yaxis": {"Users": "-1"}}, "yaxis.Users: '-1' is not a y-axis number",
     "yaxis", None, "Users"),
    ("yaxis text", {"data": [GOOD], "yaxis": {"Users": "left"}}, "yaxis.Users: 'left' is not a y-axis number",
     "yaxis", None, "Users"),
    ("yaxismin text", {"data": [GOOD], "yaxismin": {"Users": "low"}}, "yaxismin.Users: 'low' is not a number",
     "yaxismin", None, "Users"),
    ("yaxismax percent", {"data": [GOOD], "yaxismax": {"Users": "5%"}}, "yaxismax.Users: '5%' is not a number",
     "yaxismax", None, "Users"),
    ("yaxismin not below max", {"data": [GOOD], "yaxismin": {"Users": 10}, "yaxismax": {"Users": "10"}},
     "yaxismin.Users: 10 is not below yaxismax 10", "yaxismin", None, "Users"),
    ("total text", {"data": [GOOD], "total": {"Users": "many"}}, "total.Users: 'many' is not a number", "total",
     None, "Users"),
    ("comparison text", {"data": [GOOD], "comparison": {"Users": "up"}}, "comparison.Users: 'up' is not a number",
     "comparison", None, "Users"),
    ("cumulative and average", {"data": [GOOD], "cumulative": {"Users": "1"}, "average": {"Users": 1}},
     "average.Users: cumulative and average cannot both be '1'", "average", None, "Users"),
    ("option not an object", {"data": [GOOD], "color": "#fff"}, "color: must be an object", "color", None, None),
    *[(f"{flag} value", {"data": [GOOD], flag: {"Users": bad}}, f"{flag}.Users: {bad!r} is not '0' or '1'", flag,
       None, "Users")
      for flag in ("cumulative", "average", "reverse", "reversegraph", "yaxisshow", "labelshow")
      for bad in ("2", True, "yes")],
    *[(f"{option} names an absent metric", {"data": [GOOD], option: {"Signups": GOOD_VALUE.get(option, "1")}},
       f"{option}.Signups: metric 'Signups' is not in data", option, None, "Signups")
      for option in OPTIONS],
    ("option names the element label", {"data": [GOOD], "color": {"Date": "#fff"}},
     "color.Date: metric 'Date' is not in data", "color", None, "Date"),
]


@pytest.mark.parametrize(("body", "fragment", "parameter", "row", "field"), [b[1:] for b in BAD],
                         ids=[b[0] for b in BAD])
def test_refused_push_names_the_fault_and_stores_nothing(
    http: httpx.Client, admin: AdminClient, body: Any, fragment: str, parameter: str | None, row: int | None,
    field: str | None,
) -> None:
    before = widget(admin)
    response = push(http, body)
    assert response.status_code == 400, response.text
    error = response.json()
    assert schemas.validate("cyfe/push#/$defs/error", error) == []
    assert fragment in error["message"]
    assert (error["status"], error["code"], error["parameter"], error["row"], error["field"]) == (
        "error", 400, parameter, row, field)
    assert widget(admin) == before


def test_refused_push_keeps_earlier_state(http: httpx.Client, admin: AdminClient) -> None:
    ok(http, {"data": [{"Date": "20130320", "Users": 1}], "color": {"Users": "#000"}})
    before = widget(admin)
    response = push(http, {"data": [{"Date": "20130320", "Users": 5}, {"Date": "20130321", "Users": "x"}],
                           "color": {"Users": "#fff"}})
    assert response.status_code == 400
    assert response.json()["row"] == 1
    assert widget(admin) == before


def test_a_sum_out_of_range_is_refused_and_the_stored_value_kept(http: httpx.Client, admin: AdminClient) -> None:
    ok(http, {"data": [{"Date": "20130320", "Users": 1e308}]})
    response = push(http, {"data": [{"Date": "20130321", "Users": 1}, {"Date": "20130320", "Users": 1e308}]})
    assert response.status_code == 400
    assert (response.json()["row"], response.json()["field"]) == (1, "Users")
    assert widget(admin)["rows"] == [{"Date": "20130320", "Users": 1e308}]
    # Two days of 1e308 in one month: each row is stored, but their sum has no JSON number, so no total.
    ok(http, {"data": [{"Date": "20130321", "Users": 1e308}]})
    assert widget(admin)["header"]["Users"] == {"total": None, "comparison": None, "good": None, "method": "sum"}


def test_first_label_is_fixed_by_the_first_push(http: httpx.Client, admin: AdminClient) -> None:
    ok(http, {"data": [{"Date": "20130320", "Users": 1}]})
    response = push(http, {"data": [{"Country": "Chile", "Users": 1}]})
    assert response.status_code == 400
    assert response.json()["message"] == "data[0]: first label 'Country' differs from the widget's 'Date'"
    assert widget(admin)["rows"] == [{"Date": "20130320", "Users": 1}]


def test_malformed_json(http: httpx.Client, admin: AdminClient) -> None:
    response = http.post(PUSH, content=b'{"data": [', headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["message"].startswith("malformed JSON body")
    assert widget(admin)["rows"] == []


def test_unknown_widget_is_404_and_the_key_is_never_echoed(http: httpx.Client, admin: AdminClient) -> None:
    key = "no-such-widget-5151e3ec5378"
    response = push(http, {"data": [GOOD]}, f"/cyfe/api/push/{key}")
    assert response.status_code == 404
    assert response.json() == {"status": "error", "code": 404, "message": "widget_key: no widget has this key",
                               "parameter": "widget_key", "row": None, "field": None}
    wrong_method = http.get(f"/cyfe/api/push/{key}")
    assert wrong_method.status_code == 405
    assert key not in wrong_method.text
    assert wrong_method.json()["status"] == "error"
    assert widget(admin)["rows"] == []


# -- seeding ---------------------------------------------------------------------------------------

def test_seeded_widget_with_pushes(http: httpx.Client, admin: AdminClient) -> None:
    seeded = admin.seed({"cyfe": {"widgets": [
        {"key": "sales-widget", "name": "Sales",
         "pushes": [{"data": [{"Date": "20130301", "Sales": 5}]},
                    {"data": [{"Date": "20130301", "Sales": 2}], "color": {"Sales": "#123456"}}]},
        {"key": "empty-widget"},
    ]}})
    assert seeded["cyfe"] == {"widgets": 2, "rows": 2}
    sales = widget(admin, "sales-widget")
    assert (sales["name"], sales["rows"], sales["options"]) == (
        "Sales", [{"Date": "20130301", "Sales": 7}], {"color": {"Sales": "#123456"}})
    ok(http, {"data": [{"Week": "w1", "Hits": 1}]}, "/cyfe/api/push/empty-widget")
    assert widget(admin, "empty-widget")["rows"] == [{"Week": "w1", "Hits": 1}]
    assert {w["key"] for w in admin.cyfe.widgets()} == {"dev-widget", "sales-widget",
                                                                         "empty-widget"}


def test_bad_seed_is_refused_whole(admin: AdminClient) -> None:
    with pytest.raises(BadRequest) as info:
        admin.seed({"cyfe": {"widgets": [
            {"key": "good"}, {"key": "bad", "pushes": [{"data": [{"Date": "20130231", "Sales": 1}]}]}]}})
    assert "pushes[0]" in info.value.message and "20130231" in info.value.message
    assert {w["key"] for w in admin.cyfe.widgets()} == {"dev-widget"}
    with pytest.raises(NotFound):
        admin.cyfe.widget("good")


# -- the widget header -----------------------------------------------------------------------------

def pct(now: float, before: float) -> float:
    return round((now - before) / abs(before) * 100, 2)


MONTHS = [  # (date, Users, Conversion %, Bounce%) over January to March 2013
    ("20130105", 4, "10%", 50), ("20130131", 6, "30%", 40),
    ("20130201", 3, "20%", 30), ("20130214", 5, "40%", 20), ("20130228", 2, "60%", 10),
    ("20130301", 7, "25%", 45), ("20130315", 1, "35%", 35),
]


def _by_month(month: str, column: int) -> list[float]:
    return [float(str(r[column]).rstrip("%")) for r in MONTHS if r[0][4:6] == month]


def test_header_sums_and_averages_the_latest_month_against_the_one_before(http: httpx.Client, admin: AdminClient,
                                                                          ) -> None:
    ok(http, {"data": [{"Date": d, "Users": u, "Conversion": c, "Bounce%": b} for d, u, c, b in MONTHS]})
    w = widget(admin)
    assert w["period"] == {"current": "2013-03", "previous": "2013-02"}
    assert w["percent_metrics"] == ["Conversion", "Bounce%"]  # a % value, or a name ending in %
    users_now, users_before = sum(_by_month("03", 1)), sum(_by_month("02", 1))
    assert w["header"]["Users"] == {"total": users_now, "comparison": pct(users_now, users_before),
                                    "good": users_now > users_before, "method": "sum"}
    for column, metric in ((2, "Conversion"), (3, "Bounce%")):
        now = sum(_by_month("03", column)) / len(_by_month("03", column))
        before = sum(_by_month("02", column)) / len(_by_month("02", column))
        assert w["header"][metric] == {"total": now, "comparison": pct(now, before), "good": now > before,
                                       "method": "average"}


def test_header_options_cumulative_average_reverse(http: httpx.Client, admin: AdminClient) -> None:
    ok(http, {"data": [{"Date": d, "Users": u, "Conversion": c, "Bounce%": b} for d, u, c, b in MONTHS],
              "cumulative": {"Users": "1"}, "average": {"Conversion": "0"}, "reverse": {"Bounce%": "1"}})
    header = widget(admin)["header"]
    # Cumulative: every row up to the end of March, against every row up to the end of February.
    upto_march = sum(r[1] for r in MONTHS)
    upto_feb = sum(r[1] for r in MONTHS if r[0] < "20130301")
    assert header["Users"] == {"total": upto_march, "comparison": pct(upto_march, upto_feb), "good": True,
                               "method": "cumulative"}
    # average "0" makes a percentage metric a sum.
    conv_now, conv_before = sum(_by_month("03", 2)), sum(_by_month("02", 2))
    assert header["Conversion"]["total"] == conv_now
    assert header["Conversion"]["method"] == "sum"
    assert header["Conversion"]["comparison"] == pct(conv_now, conv_before)
    # Bounce% rose from 20 to 40 on average: with reverse, a rise is bad.
    assert header["Bounce%"]["comparison"] == pct(40, 20)
    assert header["Bounce%"]["good"] is False


def test_header_average_option_on_a_plain_metric_and_overrides(http: httpx.Client, admin: AdminClient) -> None:
    ok(http, {"data": [{"Date": "20130201", "Users": 4, "Revenue": 10}, {"Date": "20130301", "Users": 1,
                                                                          "Revenue": 5},
                       {"Date": "20130302", "Users": 2, "Revenue": 6}],
              "average": {"Users": "1"}, "total": {"Revenue": "999"}, "comparison": {"Revenue": "-3.5%"}})
    header = widget(admin)["header"]
    assert header["Users"] == {"total": 1.5, "comparison": pct(1.5, 4), "good": False, "method": "average"}
    assert header["Revenue"] == {"total": 999, "comparison": -3.5, "good": False, "method": "sum"}
    ok(http, {"data": [{"Date": "20130302", "Revenue": 1}], "reverse": {"Revenue": 1}})
    assert widget(admin)["header"]["Revenue"]["good"] is True  # the same override, now reversed


def test_header_without_a_previous_month_and_across_a_year(http: httpx.Client, admin: AdminClient) -> None:
    ok(http, {"data": [{"Date": "20140110", "Users": 3}, {"Date": "20131115", "Users": 8}]})
    w = widget(admin)
    assert w["period"] == {"current": "2014-01", "previous": "2013-12"}
    assert w["header"]["Users"] == {"total": 3, "comparison": None, "good": None, "method": "sum"}
    ok(http, {"data": [{"Date": "20131231", "Users": 2}, {"Date": "20140111", "Users": 1.5}]})
    assert widget(admin)["header"]["Users"] == {"total": 4.5, "comparison": pct(4.5, 2), "good": True,
                                                "method": "sum"}


def test_header_metric_missing_from_the_current_month(http: httpx.Client, admin: AdminClient) -> None:
    ok(http, {"data": [{"Date": "20130210", "Rate": "50%", "Users": 2, "Signups": 4},
                       {"Date": "20130310", "Users": 1}]})
    header = widget(admin)["header"]
    # No value in March: no total and no comparison (not a sum of 0 and a fall of 100 %), average or sum.
    assert header["Rate"] == {"total": None, "comparison": None, "good": None, "method": "average"}
    assert header["Signups"] == {"total": None, "comparison": None, "good": None, "method": "sum"}
    assert header["Users"]["comparison"] == pct(1, 2)
    # A value of 0 is a value: March 0 against February 4 is a fall of 100 %.
    ok(http, {"data": [{"Date": "20130311", "Signups": 0}]})
    assert widget(admin)["header"]["Signups"] == {"total": 0, "comparison": pct(0, 4), "good": False,
                                                  "method": "sum"}


def test_header_non_date_widget_average_and_override(http: httpx.Client, admin: AdminClient) -> None:
    ok(http, {"data": [{"Page": "/a", "Load %": "20%", "Hits": 3}, {"Page": "/b", "Load %": 40, "Hits": 4}],
              "comparison": {"Hits": 12}, "cumulative": {"Hits": "1"}})
    header = widget(admin)["header"]
    assert header["Load %"] == {"total": 30, "comparison": None, "good": None, "method": "average"}
    assert header["Hits"] == {"total": 7, "comparison": 12, "good": True, "method": "cumulative"}


def test_float_sums_are_exact_to_the_last_digit(http: httpx.Client, admin: AdminClient) -> None:
    values = [0.1] * 10
    for v in values:
        ok(http, {"data": [{"Date": "20130301", "Amount": v}]})
    assert widget(admin)["rows"][0]["Amount"] == math.fsum(values) == 1
