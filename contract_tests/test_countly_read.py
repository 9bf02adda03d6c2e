"""The read API ``/countly/o``, management (``/i/apps/reset``) and rights, on the wire."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from contract_tests.test_countly_support import API_KEY, APP_ID, DAY, NOW, READONLY_KEY, day, freeze, read, write
from sdk import AdminClient

OTHER_APP = "d" * 24


@pytest.fixture(autouse=True)
def frozen(admin: AdminClient) -> None:
    freeze(admin)
    admin.seed({"countly": {
        "apps": [{"app_id": OTHER_APP, "app_key": "other-key"}],
        "members": [{"api_key": "member-key", "rights": {APP_ID: ["read"]}},
                    {"api_key": "app-admin-key", "rights": {APP_ID: ["read", "write", "admin"]}},
                    {"api_key": "locked-key", "admin": True, "locked": True},
                    {"api_key": "locked-member", "locked": True, "rights": {APP_ID: ["read"]}},
                    {"api_key": "token-owner", "rights": {APP_ID: ["read"]}, "auth_tokens": ["tok-1"]}]}})


def _get(http: httpx.Client, path: str = "/countly/o", headers: dict[str, str] | None = None,
         **params: Any) -> httpx.Response:
    return http.get(path, params=params, headers=headers)


@pytest.mark.parametrize(("params", "status", "result"), [
    ({}, 400, 'Missing parameter "app_id"'),
    ({"app_id": "", "method": "users", "api_key": API_KEY}, 400, 'Missing parameter "app_id"'),
    ({"api_key": API_KEY, "method": "users"}, 400, 'Missing parameter "app_id"'),
    ({"app_id": "short", "method": "users", "api_key": API_KEY}, 400, 'Invalid parameter "app_id"'),
    ({"app_id": APP_ID, "method": "nope"}, 400, "Invalid method"),  # before auth
    ({"app_id": APP_ID}, 400, "Invalid method"),
    ({"app_id": APP_ID, "method": "live", "api_key": API_KEY}, 400, "Invalid method"),  # Community Edition
    ({"app_id": APP_ID, "method": "live_graph", "api_key": API_KEY}, 400, "Invalid method"),
    ({"app_id": APP_ID, "method": "retention", "api_key": API_KEY}, 400, "Invalid method"),
    ({"app_id": APP_ID, "method": "users"}, 400, 'Missing parameter "api_key" or "auth_token"'),
    ({"app_id": APP_ID, "method": "users", "auth_token": "bogus"}, 400, "Token not valid"),
    ({"app_id": APP_ID, "method": "users", "api_key": "nobody"}, 401, "User does not exist"),
    ({"app_id": APP_ID, "method": "users", "api_key": "locked-key"}, 401, "User is locked"),
    ({"app_id": "e" * 24, "method": "users", "api_key": API_KEY}, 401, "App does not exist"),
    ({"app_id": APP_ID, "method": "users", "api_key": READONLY_KEY}, 401, "User does not have right"),
    ({"app_id": OTHER_APP, "method": "users", "api_key": "member-key"}, 401, "User does not have right"),
    # rights.js order: the member, its right on the app, locked, and only then the app itself
    ({"app_id": "e" * 24, "method": "users", "api_key": "member-key"}, 401, "User does not have right"),
    ({"app_id": OTHER_APP, "method": "users", "api_key": "locked-member"}, 401, "User does not have right"),
    ({"app_id": APP_ID, "method": "users", "api_key": "locked-member"}, 401, "User is locked"),
    ({"app_id": "e" * 24, "method": "users", "api_key": "locked-key"}, 401, "User is locked"),
])
def test_read_errors_in_order(http: httpx.Client, params: dict[str, str], status: int, result: str) -> None:
    response = _get(http, **params)
    assert (response.status_code, response.json()) == (status, {"result": result})


def test_token_header_and_param(http: httpx.Client) -> None:
    assert _get(http, app_id=APP_ID, method="users", auth_token="tok-1").json() == {}
    assert _get(http, headers={"countly-token": "tok-1"}, app_id=APP_ID, method="users").json() == {}
    bad = _get(http, headers={"countly-token": "nope"}, app_id=APP_ID, method="users")
    assert (bad.status_code, bad.json()) == (400, {"result": "Token not valid"})
    # A valid token names the member even beside an api_key; an invalid one falls back to the api_key.
    assert _get(http, app_id=APP_ID, method="users", auth_token="tok-1", api_key=READONLY_KEY).json() == {}
    assert _get(http, app_id=APP_ID, method="users", auth_token="nope", api_key=API_KEY).json() == {}
    no_right = _get(http, app_id=APP_ID, method="users", auth_token="nope", api_key=READONLY_KEY)
    assert (no_right.status_code, no_right.json()) == (401, {"result": "User does not have right"})


def test_member_with_right_reads(http: httpx.Client) -> None:
    write(http, device_id="d1", begin_session=1)
    assert _get(http, app_id=APP_ID, method="users", api_key="member-key").json() == read(http, "users")


@pytest.mark.parametrize("method", ["sessions", "users", "locations", "devices", "device_details", "carriers",
                                    "app_versions", "cities", "events"])
def test_empty_app_is_empty_object(http: httpx.Client, method: str) -> None:
    response = _get(http, app_id=APP_ID, method=method, api_key=API_KEY)
    assert response.status_code == 200 and response.text == "{}"


def test_empty_get_events_and_total_users(http: httpx.Client) -> None:
    assert read(http, "get_events") == {"limits": {"event_limit": 500, "event_segmentation_limit": 100,
                                                   "event_segmentation_value_limit": 1000}}
    assert read(http, "total_users", metric="users") == []


def test_total_users(http: httpx.Client, admin: AdminClient) -> None:
    write(http, device_id="d1", begin_session=1, country_code="TR")
    write(http, device_id="d2", begin_session=1, timestamp=NOW - 10 * DAY)
    assert read(http, "total_users", metric="users") == [{"_id": "users", "u": 2}]
    assert read(http, "total_users", metric="users", period="7days") == [{"_id": "users", "u": 1}]
    assert read(http, "total_users", metric="users", period="yesterday") == []  # does not contain today
    assert read(http, "total_users", metric="countries") == [{"_id": "TR", "u": 1}, {"_id": "Unknown", "u": 1}]
    freeze(admin, NOW + DAY)
    write(http, device_id="d2", begin_session=1)  # d2's last session moves to today
    assert read(http, "total_users", metric="users", period="hour") == [{"_id": "users", "u": 1}]


def test_period_selects_documents(http: httpx.Client) -> None:
    write(http, device_id="d1", begin_session=1, timestamp=NOW - 200 * DAY)  # 2023-08-28
    write(http, device_id="d2", begin_session=1)
    assert "2023" not in read(http, "users")  # default 30days: Jan-Mar 2024 documents only
    assert "2023" in read(http, "users", period="365days")
    assert "2023" in read(http, "users", period=json.dumps([(NOW - 210 * DAY) * 1000, NOW * 1000]))
    assert "2023" in read(http, "users", period="month")  # this year, and the previous year before it
    assert "2023" not in read(http, "users", period="hour")
    assert read(http, "users", period="garbage") == read(http, "users")


def test_refresh_returns_today_only(http: httpx.Client) -> None:
    write(http, device_id="d1", begin_session=1, timestamp=NOW - 2 * DAY)
    write(http, device_id="d2", begin_session=1, events=[{"key": "k"}])
    write(http, device_id="d2", events=[{"key": "k", "timestamp": (NOW - 2 * DAY) * 1000}])
    users = read(http, "users", action="refresh")
    assert set(users["2024"]["3"]) == {"15", "u", "Unknown", "f"}  # only today's day, month uniques
    assert users["2024"]["3"]["15"]["t"] == 1
    assert users["2024"]["w11"]["u"] == 2
    events = read(http, "events", event="k", action="refresh")
    assert set(events["2024"]["3"]) == {"15"} and events["2024"]["3"]["15"]["c"] == 1
    assert events["meta"] == {}


def test_cities(http: httpx.Client, admin: AdminClient) -> None:
    admin.seed({"countly": {"apps": [{"app_id": "f" * 24, "app_key": "city-key", "country": "TR"}]}})
    for device, country, city in (("d1", "TR", "Istanbul"), ("d2", "DE", "Berlin"), ("d3", "TR", "Ankara")):
        http.get("/countly/i", params={"app_key": "city-key", "device_id": device, "begin_session": 1,
                                       "country_code": country, "city": city})
    cities = read(http, "cities", app_id="f" * 24)
    assert cities["meta"] == {"cities": ["Istanbul", "Ankara"]}  # only the app's own country keeps cities
    assert day(cities)["Istanbul"] == {"t": 1, "n": 1, "u": 1}
    assert read(http, "cities") == {}


def test_jsonp_wraps_every_reply_and_keeps_status(http: httpx.Client) -> None:
    ok = _get(http, app_id=APP_ID, method="users", api_key=API_KEY, callback="my.cb_1$")
    assert (ok.status_code, ok.text) == (200, "my.cb_1$({})")
    err = _get(http, app_id=APP_ID, method="users", api_key="nobody", callback="cb")
    assert (err.status_code, err.text) == (401, 'cb({"result":"User does not exist"})')
    assert err.headers["content-type"] == "application/json; charset=utf-8"
    written = http.get("/countly/i", params={"app_key": "dev-app-key", "device_id": "d", "callback": "cb"})
    assert written.text == 'cb({"result":"Success"})'
    dash = _get(http, "/countly/o/analytics/dashboard", app_id=APP_ID, api_key=API_KEY, callback="cb")
    assert dash.text.startswith('cb({"30days":')


@pytest.mark.parametrize("callback", ["alert(1)", "a b", "1abc", "a..b", "<script>", "x;y", ""])
def test_jsonp_callback_must_be_an_identifier_path(http: httpx.Client, callback: str) -> None:
    response = _get(http, app_id=APP_ID, method="users", api_key=API_KEY, callback=callback)
    assert (response.status_code, response.json()) == (400, {"result": 'Invalid parameter "callback"'})
    written = http.get("/countly/i", params={"app_key": "dev-app-key", "device_id": "d", "begin_session": 1,
                                             "callback": callback})
    assert written.status_code == 400
    assert read(http, "users") == {}  # refused before anything was recorded


def test_output_is_html_escaped(http: httpx.Client) -> None:
    write(http, device_id="d1", events=[{"key": 'a"b<c>', "segmentation": {"s": "x&y'z"}}])
    catalogue = read(http, "get_events")
    assert catalogue["list"] == ["a&quot;b&lt;c&gt;"]
    assert read(http, "events", event='a"b<c>')["meta"]["s"] == ["x&amp;y&#39;z"]
    seg = read(http, "events", event='a"b<c>', segmentation="s")
    assert day(seg) == {"x&amp;y&#39;z": {"c": 1}}  # keys are escaped too
    write(http, device_id="d2", begin_session=1, metrics={"_device": 'Pixel "7"'})
    devices = read(http, "devices")
    assert devices["meta"]["devices"] == ["Pixel &quot;7&quot;"]
    assert day(devices)["Pixel &quot;7&quot;"] == {"t": 1, "n": 1, "u": 1}


def test_events_merge_and_default(http: httpx.Client) -> None:
    write(http, device_id="d1", events=[{"key": "b", "count": 2, "sum": 1}, {"key": "a", "count": 3, "dur": 2}])
    assert read(http, "events") == read(http, "events", event="a")
    merged = read(http, "events", events=json.dumps(["a", "b"]))
    assert day(merged) == {"c": 5, "s": 1, "dur": 2, "10": {"c": 5, "s": 1, "dur": 2}}
    assert read(http, "events", event="missing") == {}


def test_reset_app(http: httpx.Client) -> None:
    write(http, device_id="d1", begin_session=1, metrics={"_os": "Android"}, events=[{"key": "k"}])
    missing_args = http.get("/countly/i/apps/reset", params={"api_key": API_KEY})
    assert (missing_args.status_code, missing_args.json()) == (400, {"result": "Error: Missing 'args' parameter"})
    no_right = http.get("/countly/i/apps/reset", params={"api_key": "member-key",
                                                         "args": json.dumps({"app_id": APP_ID, "period": "reset"})})
    assert (no_right.status_code, no_right.json()) == (401, {"result": "User does not have right"})
    no_key = http.get("/countly/i/apps/reset", params={"args": json.dumps({"app_id": APP_ID})})
    assert (no_key.status_code, no_key.json()) == (400, {"result": 'Missing parameter "api_key" or "auth_token"'})
    assert read(http, "users") != {}  # nothing wiped by the refused calls
    ok = http.post("/countly/i/apps/reset", data={"api_key": "app-admin-key",
                                                  "args": json.dumps({"app_id": APP_ID, "period": "reset"})})
    assert (ok.status_code, ok.json()) == (200, {"result": "Success"})
    for method in ("users", "device_details", "events"):
        assert read(http, method) == {}
    assert "list" not in read(http, "get_events")
    assert read(http, "total_users", metric="users") == []
    write(http, device_id="d1", begin_session=1)  # the user is new again after the reset
    assert day(read(http, "users"))["n"] == 1


def test_reset_other_app_untouched(http: httpx.Client) -> None:
    http.get("/countly/i", params={"app_key": "other-key", "device_id": "d", "begin_session": 1})
    write(http, device_id="d", begin_session=1)
    http.get("/countly/i/apps/reset", params={"api_key": API_KEY, "args": json.dumps({"app_id": APP_ID})})
    assert read(http, "users") == {}
    assert read(http, "users", app_id=OTHER_APP) != {}


async def test_read_async(ahttp: httpx.AsyncClient) -> None:
    bad = await ahttp.get("/countly/o", params={"app_id": APP_ID, "method": "users", "api_key": READONLY_KEY})
    assert (bad.status_code, bad.json()) == (401, {"result": "User does not have right"})
    good = await ahttp.get("/countly/o", params={"app_id": APP_ID, "method": "users", "api_key": API_KEY})
    assert (good.status_code, good.text) == (200, "{}")
