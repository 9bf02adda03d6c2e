"""``/countly/o/analytics/dashboard`` and ``/countries``: numbers hand-computed from the writes in each test."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from contract_tests.test_countly_support import API_KEY, APP_ID, DAY, NOW, READONLY_KEY, freeze, write
from sdk import AdminClient


@pytest.fixture(autouse=True)
def frozen(admin: AdminClient) -> None:
    freeze(admin)  # 2024-03-15 10:30 UTC


def _dashboard(http: httpx.Client, **params: Any) -> Any:
    response = http.get("/countly/o/analytics/dashboard", params={"api_key": API_KEY, "app_id": APP_ID, **params})
    assert response.status_code == 200, response.text
    return response.json()


def _countries(http: httpx.Client) -> Any:
    response = http.get("/countly/o/analytics/countries", params={"api_key": API_KEY, "app_id": APP_ID})
    assert response.status_code == 200, response.text
    return response.json()


def _three_devices(http: httpx.Client) -> None:
    write(http, device_id="d1", begin_session=1, ip_address="88.255.1.1",
          metrics={"_os": "Android", "_resolution": "1200x800"})
    for _ in range(3):
        write(http, device_id="d1", session_duration=30)
    write(http, device_id="d1", events=[{"key": "buy"}])
    write(http, device_id="d1", end_session=1, session_duration=15)
    write(http, device_id="d2", begin_session=1, country_code="DE", metrics={"_os": "IOS", "_resolution": "2048x1536"})
    write(http, device_id="d3", begin_session=1, timestamp=NOW - 9 * 3600,
          metrics={"_os": "Android", "_resolution": "2048x1536"})


def test_empty_app(http: httpx.Client) -> None:
    board = _dashboard(http)
    assert list(board) == ["30days", "7days", "today"]
    for name, block in board.items():
        d = block["dashboard"]
        assert d["total_sessions"] == {"total": 0, "change": "NA", "trend": "u"}
        assert d["total_users"] == {"total": 0, "change": "NA", "trend": "u", "is_estimate": name != "today"}
        assert d["total_time"]["total"] == "0.0 min" and d["avg_time"]["total"] == "0.0 min"
        assert d["avg_requests"]["total"] == "0.0"
        assert block["top"] == {"platforms": [], "resolutions": [], "carriers": [], "users": []}
    assert board["30days"]["period"] == "15 Feb - 15 Mar"
    assert board["7days"]["period"] == "9 Mar - 15 Mar"
    assert board["today"]["period"] == "00:00 - 23:30"
    assert _countries(http) == {"30days": [], "7days": [], "today": []}


def test_dashboard_numbers(http: httpx.Client) -> None:
    _three_devices(http)
    board = _dashboard(http)
    month = board["30days"]["dashboard"]
    assert month["total_sessions"] == {"total": 3, "change": "NA", "trend": "u"}
    assert month["total_users"] == {"total": 3, "change": "NA", "trend": "u", "is_estimate": False}
    assert month["new_users"]["total"] == 3
    assert month["total_time"]["total"] == "1.8 min"  # 105 s = 1.75 min, toFixed(1) rounds half up
    assert month["avg_time"]["total"] == "0.6 min"  # 1.75 / 3
    assert month["avg_requests"]["total"] == "2.7"  # e = 6 (d1) + 1 + 1 over 3 users
    top = board["30days"]["top"]
    assert top["platforms"] == [{"name": "Android", "value": 2, "percent": 66.7},
                                {"name": "IOS", "value": 1, "percent": 33.3}]
    assert top["resolutions"] == [{"name": "2048x1536", "value": 2, "percent": 66.7},
                                  {"name": "1200x800", "value": 1, "percent": 33.3}]
    assert top["carriers"] == [{"name": "Unknown", "value": 3, "percent": 100}]
    assert top["users"] == [{"name": "15 Mar", "value": 3, "percent": 100}]
    today = board["today"]
    assert today["dashboard"]["total_users"]["is_estimate"] is False
    # hours: 10:00 has 2 sessions, 01:00 has 1 → floor(66.6), the remainder to the last
    assert today["top"]["users"] == [{"name": "10:00", "value": 2, "percent": 66},
                                     {"name": "01:00", "value": 1, "percent": 34}]


def test_change_and_trend(http: httpx.Client) -> None:
    _three_devices(http)
    write(http, device_id="d4", begin_session=1, timestamp=NOW - 40 * DAY)  # 4 Feb: the previous 30 days
    write(http, device_id="y1", begin_session=1, timestamp=NOW - DAY)  # yesterday: still in this 30 days
    write(http, device_id="y2", begin_session=1, timestamp=NOW - DAY)
    write(http, device_id="y3", begin_session=1, timestamp=NOW - DAY)
    write(http, device_id="y4", begin_session=1, timestamp=NOW - DAY)
    write(http, device_id="y5", begin_session=1, timestamp=NOW - DAY)
    write(http, device_id="y6", begin_session=1, timestamp=NOW - DAY)
    board = _dashboard(http)
    month = board["30days"]["dashboard"]
    assert month["total_sessions"] == {"total": 9, "change": "800%", "trend": "u"}  # (9 - 1) / 1
    assert month["total_users"]["total"] == 9 and month["total_users"]["change"] == "800%"
    today = board["today"]["dashboard"]
    assert today["total_sessions"] == {"total": 3, "change": "-50%", "trend": "d"}  # 6 yesterday
    assert today["total_time"] == {"total": "1.8 min", "change": "NA", "trend": "u"}


def test_infinite_drop(http: httpx.Client) -> None:
    write(http, device_id="y", begin_session=1, timestamp=NOW - DAY)
    today = _dashboard(http)["today"]["dashboard"]
    assert today["total_sessions"] == {"total": 0, "change": "\u221e", "trend": "d"}


def test_single_period_parameter(http: httpx.Client) -> None:
    _three_devices(http)
    board = _dashboard(http, period="7days")
    assert list(board) == ["7days"]
    assert board["7days"]["dashboard"]["total_sessions"]["total"] == 3
    # an array period is keyed by JavaScript's String(array)
    span = f"[{NOW - DAY},{NOW}]"
    board = _dashboard(http, period=span)
    assert list(board) == [f"{NOW - DAY},{NOW}"]
    assert board[f"{NOW - DAY},{NOW}"]["dashboard"]["total_sessions"]["total"] == 3
    assert board[f"{NOW - DAY},{NOW}"]["period"] == "14 Mar - 15 Mar"


def test_countries(http: httpx.Client) -> None:
    _three_devices(http)
    write(http, device_id="t2", begin_session=1, country_code="TR", timestamp=NOW - 5 * DAY)
    rows = _countries(http)
    # 30 days: TR has 2 users (d1 today, t2 five days ago) and 2 new; DE and Unknown 1 each
    assert rows["30days"] == [{"country": "Turkey", "code": "tr", "t": 2, "u": 2, "n": 2},
                              {"country": "Germany", "code": "de", "t": 1, "u": 1, "n": 1},
                              {"country": "Unknown", "code": "unknown", "t": 1, "u": 1, "n": 1}]
    assert rows["today"][0] == {"country": "Turkey", "code": "tr", "t": 1, "u": 1, "n": 1}
    assert len(rows["today"]) == 3


def test_countries_top_ten_by_users_then_sorted_by_new(http: httpx.Client) -> None:
    codes = ["US", "GB", "FR", "DE", "IT", "ES", "NL", "SE", "NO", "FI", "DK"]
    for i, code in enumerate(codes):
        for j in range(i + 1):  # US 1 user ... DK 11 users
            write(http, device_id=f"{code}-{j}", begin_session=1, country_code=code)
    rows = _countries(http)["30days"]
    assert [r["code"] for r in rows] == [c.lower() for c in reversed(codes[1:])]  # US (fewest) is cut
    assert rows[0] == {"country": "Denmark", "code": "dk", "t": 11, "u": 11, "n": 11}


@pytest.mark.parametrize(("path", "params", "status", "result"), [
    ("dashboard", {}, 400, 'Missing parameter "app_id"'),
    ("dashboard", {"app_id": APP_ID}, 400, 'Missing parameter "api_key" or "auth_token"'),
    ("countries", {"app_id": APP_ID, "api_key": READONLY_KEY}, 401, "User does not have right"),
    ("countries", {"app_id": "x", "api_key": API_KEY}, 400, 'Invalid parameter "app_id"'),
    ("nope", {"app_id": APP_ID, "api_key": API_KEY}, 400,
     "Invalid path, must be one of /dashboard,  /countries, /sessions, /metric, /tops, /loyalty, /frequency, "
     "/durations, /events"),
    ("nope", {"app_id": APP_ID}, 400,  # before auth, as in the /o/analytics switch
     "Invalid path, must be one of /dashboard,  /countries, /sessions, /metric, /tops, /loyalty, /frequency, "
     "/durations, /events"),
    ("nope", {}, 400, 'Missing parameter "app_id"'),
])
def test_analytics_errors(http: httpx.Client, path: str, params: dict[str, str], status: int, result: str) -> None:
    response = http.get(f"/countly/o/analytics/{path}", params=params)
    assert (response.status_code, response.json()) == (status, {"result": result})


async def test_dashboard_async(ahttp: httpx.AsyncClient) -> None:
    await ahttp.get("/countly/i", params={"app_key": "dev-app-key", "device_id": "a", "begin_session": 1})
    response = await ahttp.get("/countly/o/analytics/dashboard", params={"api_key": API_KEY, "app_id": APP_ID})
    assert response.json()["today"]["dashboard"]["total_sessions"]["total"] == 1


def test_app_timezone_decides_today_and_the_buckets(http: httpx.Client, admin: AdminClient) -> None:
    app_id = "a" * 24
    admin.seed({"countly": {"apps": [{"app_id": app_id, "app_key": "la-key", "timezone": "America/Los_Angeles"}]}})
    freeze(admin, NOW - 6 * 3600)  # 04:30 UTC on 15 March is 21:30 on 14 March in Los Angeles (PDT)
    http.get("/countly/i", params={"app_key": "la-key", "device_id": "d", "begin_session": 1, "country_code": "US"})
    params = {"api_key": API_KEY, "app_id": app_id}
    users = http.get("/countly/o", params={**params, "method": "users"}).json()
    assert users["2024"]["3"]["14"]["21"]["t"] == 1 and "15" not in users["2024"]["3"]
    board = http.get("/countly/o/analytics/dashboard", params=params).json()
    assert board["today"]["dashboard"]["total_sessions"]["total"] == 1
    assert board["today"]["top"]["users"] == [{"name": "21:00", "value": 1, "percent": 100}]
    assert board["7days"]["period"] == "8 Mar - 14 Mar"
    assert board["7days"]["top"]["users"] == [{"name": "14 Mar", "value": 1, "percent": 100}]
    rows = http.get("/countly/o/analytics/countries", params=params).json()
    assert rows["today"] == [{"country": "United States", "code": "us", "t": 1, "u": 1, "n": 1}]
    freeze(admin, NOW)  # 03:30 on 15 March in Los Angeles: a new day there
    board = http.get("/countly/o/analytics/dashboard", params=params).json()
    assert board["today"]["dashboard"]["total_sessions"] == {"total": 0, "change": "\u221e", "trend": "d"}


# -- /o/analytics/events: the events overview Countly's own events test reads ------------------------
def _overview(http: httpx.Client, **params: str) -> httpx.Response:
    return http.get("/countly/o/analytics/events", params={"api_key": API_KEY, "app_id": APP_ID, **params})


def test_events_overview_totals_every_custom_event(http: httpx.Client) -> None:
    events = [{"key": "buy", "count": 2, "sum": 1.5, "dur": 3}, {"key": "buy", "sum": 2}, {"key": "open"},
              {"key": "[CLY]_view", "segmentation": {"name": "home", "visit": 1}}]
    http.get("/countly/i", params={"app_key": "dev-app-key", "device_id": "a", "events": json.dumps(events)})
    response = _overview(http)
    assert response.status_code == 200
    assert response.json() == {"all": [{"_id": "buy", "c": 3, "s": 3.5, "dur": 3},
                                       {"_id": "open", "c": 1, "s": 0, "dur": 0}]}
    assert _overview(http, event="open").json() == {"all": [{"_id": "open", "c": 1, "s": 0, "dur": 0}]}
    assert _overview(http, events='["buy","nope"]').json()["all"] == [{"_id": "buy", "c": 3, "s": 3.5, "dur": 3}]


def test_events_overview_period(http: httpx.Client, admin: AdminClient) -> None:
    freeze(admin, NOW - 40 * DAY)
    http.get("/countly/i", params={"app_key": "dev-app-key", "device_id": "a",
                                   "events": json.dumps([{"key": "old", "count": 5}])})
    freeze(admin, NOW)
    assert _overview(http).json() == {"all": [{"_id": "old", "c": 0, "s": 0, "dur": 0}]}
    assert _overview(http, period="60days").json() == {"all": [{"_id": "old", "c": 5, "s": 0, "dur": 0}]}
    assert _overview(http, period="nonsense").json()["all"][0]["c"] == 0  # anything else is 30 days, as in Countly


def test_events_overview_empty_app(http: httpx.Client) -> None:
    assert _overview(http).json() == {"all": []}


@pytest.mark.parametrize(("params", "status", "result"), [
    ({"app_id": APP_ID}, 400, 'Missing parameter "api_key" or "auth_token"'),
    ({"app_id": APP_ID, "api_key": READONLY_KEY}, 401, "User does not have right"),
    ({"api_key": API_KEY}, 400, 'Missing parameter "app_id"'),
])
def test_events_overview_needs_read_rights(http: httpx.Client, params: dict[str, str], status: int,
                                           result: str) -> None:
    response = http.get("/countly/o/analytics/events", params=params)
    assert (response.status_code, response.json()) == (status, {"result": result})


async def test_events_overview_async(ahttp: httpx.AsyncClient) -> None:
    await ahttp.get("/countly/i", params={"app_key": "dev-app-key", "device_id": "a",
                                          "events": json.dumps([{"key": "tap", "count": 4}])})
    response = await ahttp.get("/countly/o/analytics/events", params={"api_key": API_KEY, "app_id": APP_ID})
    assert response.json() == {"all": [{"_id": "tap", "c": 4, "s": 0, "dur": 0}]}


@pytest.mark.parametrize(("params", "result"), [
    ({"api_key": API_KEY}, 'Missing parameter "app_id"'),
    ({"api_key": API_KEY, "app_id": APP_ID},
     "Invalid path, must be one of /dashboard,  /countries, /sessions, /metric, /tops, /loyalty, /frequency, "
     "/durations, /events"),
])
def test_analytics_without_a_sub_path(http: httpx.Client, params: dict[str, str], result: str) -> None:
    response = http.get("/countly/o/analytics", params=params)
    assert (response.status_code, response.json()) == (400, {"result": result})
