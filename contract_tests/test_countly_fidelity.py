"""What real Countly clients send, on the wire (issue 9): CORS preflights, ``/o/sdk``, ``old_device_id``
merges, JavaScript-style metric values, density, ``_ua``, views, and six rules of the real write path."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from contract_tests.test_countly_support import API_KEY, APP_ID, APP_KEY, NOW, READONLY_KEY, day, freeze, read, write
from sdk import AdminClient, BadRequest, NotFound

OK = {"result": "Success"}
CORS = {"access-control-allow-origin": "*", "access-control-allow-methods": "POST, GET, OPTIONS",
        "access-control-allow-headers": "countly-token, Content-Type"}
CHROME_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/120.0.0.0 Safari/537.36")


@pytest.fixture(autouse=True)
def frozen(admin: AdminClient) -> None:
    freeze(admin)


def ok(response: httpx.Response) -> None:
    assert (response.status_code, response.json()) == (200, OK), response.text


def dashboard(http: httpx.Client, period: str = "30days") -> dict[str, Any]:
    response = http.get("/countly/o/analytics/dashboard", params={"api_key": API_KEY, "app_id": APP_ID})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()[period]
    return result


def app_user(admin: AdminClient, device_id: str) -> dict[str, Any] | None:
    """The app user a device maps to, or None (the read-back's 404)."""
    try:
        return admin.countly.app_user(APP_ID, APP_KEY, device_id)
    except NotFound:
        return None


# -- CORS -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/countly/o/sdk", "/countly/i", "/countly/o", "/countly/o/analytics/dashboard",
                                  "/countly/nope", "/countly/i/nope/deeper", "/countly/o/sdk/x"])
def test_preflight_before_routing(http: httpx.Client, path: str) -> None:
    response = http.options(path, headers={"Origin": "http://page.test", "Access-Control-Request-Method": "GET",
                                           "Access-Control-Request-Headers": "countly-token"})
    assert response.status_code == 200
    assert {k: response.headers.get(k) for k in CORS} == CORS


def test_unknown_path_is_still_invalid_for_get(http: httpx.Client) -> None:
    response = http.get("/countly/nope")
    assert (response.status_code, response.json()) == (400, {"result": "Invalid path"})
    assert response.headers["access-control-allow-origin"] == "*"


# -- /o/sdk -----------------------------------------------------------------------------------------
def sdk(http: httpx.Client, method: str | None, **params: Any) -> httpx.Response:
    query = {"app_key": APP_KEY, "device_id": "d1", **params}
    if method is not None:
        query["method"] = method
    return http.get("/countly/o/sdk", params=query)


def test_sdk_config_default(http: httpx.Client) -> None:
    response = sdk(http, "sc")
    assert response.status_code == 200
    assert response.json() == {"v": 2, "t": NOW * 1000, "c": {}}
    assert response.headers["access-control-allow-origin"] == "*"


def test_sdk_config_seeded(http: httpx.Client, admin: AdminClient) -> None:
    admin.seed({"countly": {"sdk_config": {APP_ID: {"tracking": False, "rqs": 100}}}})
    assert sdk(http, "sc").json() == {"v": 2, "t": NOW * 1000, "c": {"tracking": False, "rqs": 100}}


@pytest.mark.parametrize("method", ["fetch_remote_config", "rc"])
def test_remote_config(http: httpx.Client, admin: AdminClient, method: str) -> None:
    assert sdk(http, method).json() == {}
    values = {"color": "red", "limit": 5, "flags": {"beta": True}}
    admin.seed({"countly": {"remote_config": {APP_ID: values}}})
    assert sdk(http, method).json() == values
    assert sdk(http, method, keys=json.dumps(["color", "nope"])).json() == {"color": "red"}
    assert sdk(http, method, omit_keys=json.dumps(["color"])).json() == {"limit": 5, "flags": {"beta": True}}
    assert sdk(http, method, keys="not json").json() == values  # unparsable keys: no filter, as the plugin
    # the remote-config plugin drops its parameters with the app's data
    reset = http.post("/countly/i/apps/reset", data={"api_key": API_KEY, "args": json.dumps({"app_id": APP_ID})})
    assert reset.status_code == 200
    assert sdk(http, method).json() == {}


def test_remote_config_jsonp(http: httpx.Client) -> None:
    response = sdk(http, "rc", callback="cb")
    assert response.text == "cb({})"


@pytest.mark.parametrize(("query", "status", "result"), [
    ({"method": "sc", "app_key": ""}, 400, 'Missing parameter "app_key" or "device_id"'),
    ({"method": "sc", "device_id": ""}, 400, 'Missing parameter "app_key" or "device_id"'),
    ({"method": "sc", "app_key": "nope"}, 400, "App does not exist"),
    ({"method": "nope"}, 400, "Invalid method"),
    ({}, 400, "Invalid method"),
    ({"method": "sc", "app_id": "short"}, 400, 'Invalid parameter "app_id"'),
])
def test_sdk_errors(http: httpx.Client, query: dict[str, str], status: int, result: str) -> None:
    response = http.get("/countly/o/sdk", params={"app_key": APP_KEY, "device_id": "d1", **query})
    assert (response.status_code, response.json()) == (status, {"result": result})


@pytest.mark.parametrize("section", [
    {"remote_config": {"f" * 24: {"a": 1}}},  # no such app
    {"remote_config": {APP_ID: {"1bad": 1}}},  # the plugin's parameter_key pattern
    {"remote_config": {"short": {}}},
    {"sdk_config": {APP_ID: []}},
])
def test_seed_refuses_bad_config(admin: AdminClient, section: dict[str, Any]) -> None:
    with pytest.raises(BadRequest):
        admin.seed({"countly": section})  # type: ignore[typeddict-item]


# -- old_device_id ----------------------------------------------------------------------------------
def test_merge_into_a_new_device(http: httpx.Client, admin: AdminClient) -> None:
    ok(write(http, device_id="anon", begin_session=1, country_code="TR",
             metrics={"_os": "Android", "_app_version": "2.0"}))
    ok(write(http, device_id="user-42", old_device_id="anon"))  # change_id(..., merge=true)
    moved = app_user(admin, "user-42")
    assert (moved["did"], moved["cc"], moved["p"], moved["av"], moved["sc"]) == ("user-42", "TR", "Android", "2:0", 1)
    assert app_user(admin, "anon") is None
    ok(write(http, device_id="user-42", begin_session=1, ignore_cooldown=1, metrics={"_os": "Android"}))
    assert read(http, "total_users") == [{"_id": "users", "u": 1}]
    board = dashboard(http)["dashboard"]
    assert board["new_users"]["total"] == 1 and board["total_users"]["total"] == 1
    assert board["total_sessions"]["total"] == 2
    assert app_user(admin, "user-42")["sc"] == 2
    # the same Android user: unique once on the day
    assert day(read(http, "device_details"))["Android"] == {"t": 2, "n": 1, "u": 1}


def test_merge_two_known_devices(http: httpx.Client, admin: AdminClient) -> None:
    ok(write(http, device_id="a", begin_session=1, session_duration=30, metrics={"_resolution": "800x600"}))
    ok(write(http, device_id="b", begin_session=1, session_duration=20, metrics={"_os": "iOS"}))
    assert read(http, "total_users") == [{"_id": "users", "u": 2}]
    ok(write(http, device_id="b", old_device_id="a"))
    assert read(http, "total_users") == [{"_id": "users", "u": 1}]
    merged = app_user(admin, "b")
    assert (merged["sc"], merged["tsd"], merged["p"], merged["r"]) == (2, 50, "iOS", "800x600")
    assert app_user(admin, "a") is None


def test_merge_of_an_unknown_device_changes_nothing(http: httpx.Client, admin: AdminClient) -> None:
    ok(write(http, device_id="b", begin_session=1))
    ok(write(http, device_id="b", old_device_id="never-seen"))
    ok(write(http, device_id="b", old_device_id="b"))  # the same id: no merge
    assert read(http, "total_users") == [{"_id": "users", "u": 1}]
    assert app_user(admin, "b")["sc"] == 1


def test_merge_in_bulk(http: httpx.Client) -> None:
    requests = [{"device_id": "x", "begin_session": 1, "timestamp": NOW - 60},
                {"device_id": "y", "old_device_id": "x", "timestamp": NOW - 30},
                {"device_id": "y", "begin_session": 1, "ignore_cooldown": 1, "timestamp": NOW}]
    ok(http.post("/countly/i/bulk", data={"app_key": APP_KEY, "requests": json.dumps(requests)}))
    assert read(http, "total_users") == [{"_id": "users", "u": 1}]
    assert dashboard(http)["dashboard"]["new_users"]["total"] == 1


# -- metric values as JavaScript strings ------------------------------------------------------------
def test_metric_values_are_javascript_strings(http: httpx.Client) -> None:
    ok(http.post("/countly/i", json={"app_key": APP_KEY, "device_id": "d", "begin_session": 1, "metrics": {
        "_locale": ["en_US", "UTF-8"], "_app_version": 3.0, "_resolution": [1080, 2400], "_device": True}}))
    assert read(http, "langs")["meta"] == {"langs": ["en"]}
    meta = read(http, "device_details")["meta"]
    assert meta["app_versions"] == ["3:0"]  # 3.0 + "" is "3", then the all-digit rule adds .0
    assert meta["resolutions"] == ["1080,2400"]
    assert read(http, "devices")["meta"] == {"devices": ["true"]}


def test_segment_values_are_javascript_strings(http: httpx.Client) -> None:
    ok(http.post("/countly/i", json={"app_key": APP_KEY, "device_id": "d", "events": [
        {"key": "e", "segmentation": {"ratio": 2.0, "flag": False, "big": 1e21, "tiny": 1e-7}}]}))
    meta = read(http, "events", event="e")["meta"]
    assert (meta["ratio"], meta["flag"], meta["big"], meta["tiny"]) == (["[CLY]2"], ["false"], ["1e+21"], ["1e-7"])


def test_nul_in_segment_value(http: httpx.Client) -> None:
    ok(write(http, device_id="d", events=[{"key": "e", "segmentation": {"s": "ç\u0000gA"}}]))
    events = read(http, "events", event="e", segmentation="s")
    assert events["meta"]["s"] == ["ç&amp;#9647gA"]
    assert events["2024"]["3"]["15"]["ç&amp;#9647gA"] == {"c": 1}


# -- density ----------------------------------------------------------------------------------------
def test_density_kept_apart(http: httpx.Client) -> None:
    ok(write(http, device_id="a", begin_session=1, metrics={"_density": 1, "_resolution": "800x600"}))
    ok(write(http, device_id="b", begin_session=1, metrics={"_density": "2.625", "_os": "Android"}))
    ok(write(http, device_id="c", begin_session=1, metrics={"_density": "xhdpi", "_os": "Plan9"}))
    details = read(http, "device_details")
    assert "densities" not in details["meta"] and "density" not in details["meta"]
    assert set(details["2024"]) == {"3", "w11", "800x600", "Android", "Plan9"}  # no phantom January
    assert set(details["2024"]["3"]) == {"15", "800x600", "Android", "Plan9"}  # no phantom 1st
    density = read(http, "density")
    assert density["meta"] == {"density": ["1:00", "a2:63", "[Plan9]xhdpi"]}
    assert day(density)["a2:63"] == {"t": 1, "n": 1, "u": 1}
    assert density["2024"]["w11"]["1:00"] == {"u": 1}


# -- _ua --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("agent", "os", "version"), [
    (CHROME_WINDOWS, "Windows", "mw10"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
     "Safari/605.1.15", "Mac", "o10:15:7"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
     "iOS", "i17:1"),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile "
     "Safari/537.36",
     "Android", "a14"),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
     "Linux", None),
])
def test_os_from_ua_metric(http: httpx.Client, agent: str, os: str, version: str | None) -> None:
    ok(write(http, device_id="web", begin_session=1, metrics={"_ua": agent, "_resolution": "1920x1080"}))
    meta = read(http, "device_details")["meta"]
    assert meta["os"] == [os]
    assert meta.get("os_versions") == ([version] if version else None)


def test_os_from_user_agent_header_and_sent_os_wins(http: httpx.Client) -> None:
    ok(http.get("/countly/i", params={"app_key": APP_KEY, "device_id": "a", "begin_session": 1},
                headers={"User-Agent": CHROME_WINDOWS}))
    ok(write(http, device_id="b", begin_session=1, metrics={"_ua": CHROME_WINDOWS, "_os": "Tizen"}))
    ok(write(http, device_id="c", begin_session=1, metrics={"_ua": "curl/8.0"}))  # no OS in it: nothing
    ok(write(http, device_id="d", metrics={"_ua": CHROME_WINDOWS}))  # not a begin: nothing aggregated
    meta = read(http, "device_details")["meta"]
    assert meta == {"os": ["Windows", "Tizen"], "os_versions": ["mw10", "tz10"]}


# -- views ------------------------------------------------------------------------------------------
def view(name: str, **segmentation: Any) -> dict[str, Any]:
    return {"key": "[CLY]_view", "count": 1, "segmentation": {"name": name, **segmentation}}


def table(http: httpx.Client, **params: Any) -> dict[str, Any]:
    result: dict[str, Any] = read(http, "views", action="getTable", **params)
    return result


def test_views_aggregate(http: httpx.Client) -> None:
    ok(write(http, device_id="a", begin_session=1, events=[view("/home", visit=1, start=1, view="https://x.test/")]))
    # the time spent on /home comes with the next view; both in one request
    ok(write(http, device_id="a", events=[{**view("/home"), "dur": 12.6}, view("/cart", visit=1)]))
    ok(write(http, device_id="a", events=[{**view("/cart"), "dur": 30}], end_session=1))
    ok(write(http, device_id="b", begin_session=1, events=[view("/home", visit=1, start=1)]))
    ok(write(http, device_id="b", end_session=1, session_duration=5))
    ok(write(http, device_id="a", begin_session=1, ignore_cooldown=1, events=[view("/home", visit=1, start=1)]))
    rows = {r["view"]: r for r in table(http)["aaData"]}
    home, cart = rows["/home"], rows["/cart"]
    assert (home["t"], home["n"], home["u"], home["uvalue"], home["s"], home["d"]) == (3, 2, 2, 2, 3, 13)
    assert (home["e"], home["b"], home["url"]) == (1, 1, "https://x.test/")  # b: its only view, then the end
    assert (cart["t"], cart["n"], cart["u"], cart["s"], cart["d"], cart["e"], cart["b"]) == (1, 1, 1, 0, 30, 1, 0)
    assert home["d-calc"] == pytest.approx(13 / 3) and cart["scr"] == 0
    assert [r["view"] for r in table(http)["aaData"]] == ["/home", "/cart"]  # most visited first
    body = table(http, sEcho="7", iDisplayStart=1, iDisplayLength=1)
    assert (body["sEcho"], body["iTotalRecords"], [r["view"] for r in body["aaData"]]) == ("7", 2, ["/cart"])
    assert [r["view"] for r in table(http, iSortCol_0=0, sSortDir_0="asc")["aaData"]] == ["/cart", "/home"]
    assert [r["view"] for r in table(http, sSearch="ca")["aaData"]] == ["/cart"]
    assert table(http, period="yesterday")["aaData"] == []
    names = read(http, "views", action="listNames")
    assert sorted(n["view"] for n in names) == ["/cart", "/home"]
    data = read(http, "views", selectedViews=json.dumps([{"view": home["_id"]}]))
    assert data["appID"] == APP_ID
    home_days = data["data"][home["_id"]]["no-segment"]
    assert day(home_days)["t"] == 3 and day(home_days)["10"]["t"] == 3 and home_days["2024"]["w11"] == {"u": 2}
    # views are the plugin's: not custom events
    assert "list" not in read(http, "get_events")


def test_view_exit_taken_back_within_the_cooldown(http: httpx.Client) -> None:
    ok(write(http, device_id="a", begin_session=1, events=[view("/only", visit=1, start=1)]))
    ok(write(http, device_id="a", end_session=1))
    ok(write(http, device_id="a", begin_session=1))  # within 15 s: the same session goes on
    row = table(http)["aaData"][0]
    assert (row["e"], row["b"]) == (0, 0)
    ok(write(http, device_id="a", end_session=1))
    row = table(http)["aaData"][0]
    assert (row["e"], row["b"]) == (1, 1)


def test_views_bad_input(http: httpx.Client) -> None:
    ok(write(http, device_id="a", events=[{"key": "[CLY]_view"}, view(""), {"key": "[CLY]_view", "segmentation": 3},
                                          {**view("/ts"), "dur": 1710498600}]))
    assert table(http)["aaData"] == []  # no name, or only a timestamp sent as a duration
    assert read(http, "views", selectedViews="not json") == {"appID": APP_ID, "data": {}}
    response = http.get("/countly/o", params={"api_key": READONLY_KEY, "app_id": APP_ID, "method": "views"})
    assert (response.status_code, response.json()) == (401, {"result": "User does not have right"})


def test_view_names_escaped_in_output(http: httpx.Client) -> None:
    ok(write(http, device_id="a", events=[view("<b>", visit=1)]))
    assert table(http)["aaData"][0]["view"] == "&lt;b&gt;"


# -- the six write-path rules -----------------------------------------------------------------------
def test_frequency_at_every_level(http: httpx.Client) -> None:
    ok(write(http, device_id="a", begin_session=1, timestamp=NOW - 3600))
    ok(write(http, device_id="a", end_session=1, timestamp=NOW - 3000))
    ok(write(http, device_id="a", begin_session=1))
    users = read(http, "users")
    for level in (users["2024"], users["2024"]["3"], users["2024"]["w11"], day(users)):
        assert level["f"] == {"0": 1, "1": 1}
    assert users["2024"]["u"] == 1  # u is still counted once


def test_end_session_from_an_unknown_device_adds_nothing(http: httpx.Client, admin: AdminClient) -> None:
    ok(write(http, device_id="ghost", end_session=1, session_duration=40))
    ok(write(http, device_id="ghost2", session_duration=40))
    for method in ("sessions", "users", "locations"):
        assert read(http, method) == {}
    assert read(http, "total_users") == []
    # and it leaves no end behind: the next begin is counted, not a cooldown extension
    ok(write(http, device_id="ghost", begin_session=1))
    today = day(read(http, "users"))
    assert (today["t"], today["e"]) == (1, 1) and "d" not in today and "ds" not in today


def test_requests_before_the_first_session_wait_for_it(http: httpx.Client) -> None:
    ok(write(http, device_id="d", events=[{"key": "opened"}]))
    ok(write(http, device_id="d", user_details={"name": "x"}))
    for method in ("sessions", "users", "locations"):
        assert read(http, method) == {}
    assert read(http, "total_users") == []
    assert read(http, "events", event="opened")["2024"]["c"] == 1  # custom events are not held back
    ok(write(http, device_id="d", begin_session=1))
    users = read(http, "users")
    assert day(users)["e"] == 3 and day(users)["10"]["e"] == 3 and day(users)["t"] == 1
    ok(write(http, device_id="d", events=[{"key": "opened"}]))
    assert day(read(http, "users"))["e"] == 4


def test_carrier_unknown_without_metrics(http: httpx.Client) -> None:
    ok(write(http, device_id="a", begin_session=1))
    ok(write(http, device_id="b", begin_session=1, metrics={"_os": "Android"}))
    ok(write(http, device_id="c", begin_session=1, metrics={"_carrier": "--"}))
    ok(write(http, device_id="d", metrics={"_os": "iOS"}))  # no begin: nothing aggregated
    carriers = read(http, "carriers")
    assert carriers["meta"] == {"carriers": ["Unknown"]}
    assert day(carriers)["Unknown"] == {"t": 3, "n": 3, "u": 3}
    assert dashboard(http)["top"]["carriers"] == [{"name": "Unknown", "value": 3, "percent": 100}]


def test_top_bars_tie_by_name(http: httpx.Client) -> None:
    for device, carrier in (("a", "Vodafone"), ("b", "Telecom"), ("c", "Avea"), ("d", "Avea")):
        ok(write(http, device_id=device, begin_session=1, metrics={"_carrier": carrier}))
    bars = dashboard(http)["top"]["carriers"]
    assert [b["name"] for b in bars] == ["Avea", "Telecom", "Vodafone"]
    assert [b["percent"] for b in bars] == [50, 25, 25]


def test_merge_keeps_the_properties_of_the_user_seen_last(http: httpx.Client, admin: AdminClient) -> None:
    # appUsers.merge: when the old user's last session is the later one, its properties win (B keeps its id)
    ok(write(http, device_id="b", begin_session=1, timestamp=NOW - 600,
             metrics={"_os": "Android", "_device": "Samsung S7", "_resolution": "800x600"}))
    ok(write(http, device_id="a", begin_session=1, timestamp=NOW - 60, metrics={"_os": "iOS", "_device": "iPad"}))
    ok(write(http, device_id="b", old_device_id="a"))
    merged = app_user(admin, "b")
    assert (merged["did"], merged["p"], merged["d"], merged["r"], merged["sc"]) == ("b", "iOS", "iPad", "800x600", 2)
    assert merged["ls"] == NOW - 60 and merged["fs"] == NOW - 600
    assert app_user(admin, "a") is None
    assert read(http, "total_users") == [{"_id": "users", "u": 1}]
