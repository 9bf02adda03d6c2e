"""The write API ``/countly/i`` and ``/countly/i/bulk``: every parameter and every error, on the wire."""

from __future__ import annotations

import json

import httpx
import pytest

from contract_tests.test_countly_support import APP_ID, APP_KEY, DAY, NOW, day, freeze, read, write
from sdk import AdminClient

OK = {"result": "Success"}


@pytest.fixture(autouse=True)
def frozen(admin: AdminClient) -> None:
    freeze(admin)


def _nothing_recorded(http: httpx.Client) -> None:
    assert read(http, "users") == {}
    assert read(http, "get_events") == {"limits": read(http, "get_events")["limits"]}


@pytest.mark.parametrize("query", [{}, {"app_key": APP_KEY}, {"device_id": "d"}, {"app_key": "", "device_id": "d"},
                                   {"app_key": APP_KEY, "device_id": ""}])
def test_missing_app_key_or_device_id(http: httpx.Client, query: dict[str, str]) -> None:
    response = http.get("/countly/i", params={**query, "begin_session": 1})
    assert response.status_code == 400
    assert response.json() == {"result": 'Missing parameter "app_key" or "device_id"'}
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    _nothing_recorded(http)


def test_unknown_app_key(http: httpx.Client) -> None:
    response = http.get("/countly/i", params={"app_key": "nope", "device_id": "d", "begin_session": 1})
    assert (response.status_code, response.json()) == (400, {"result": "App does not exist"})
    _nothing_recorded(http)


def test_app_key_object_is_not_an_app_key(http: httpx.Client) -> None:
    # Node's qs turns app_key[$regex]=.* into an object; Countly looks app keys up strictly as strings.
    response = http.get("/countly/i", params={"app_key[$regex]": ".*", "device_id": "d", "begin_session": 1})
    assert (response.status_code, response.json()) == (400, {"result": "App does not exist"})
    response = http.post("/countly/i", json={"app_key": {"$ne": None}, "device_id": "d", "begin_session": 1})
    assert (response.status_code, response.json()) == (400, {"result": "App does not exist"})
    _nothing_recorded(http)


def test_ignored_device_id(http: httpx.Client) -> None:
    response = write(http, device_id="00000000-0000-0000-0000-000000000000", begin_session=1)
    assert (response.status_code, response.json()) == (200, {"result": "Ignoring device_id"})
    _nothing_recorded(http)


def test_invalid_app_id_length_before_anything(http: httpx.Client) -> None:
    response = write(http, device_id="d", begin_session=1, app_id="short")
    assert (response.status_code, response.json()) == (400, {"result": 'Invalid parameter "app_id"'})
    _nothing_recorded(http)


def test_paused_app(http: httpx.Client, admin: AdminClient) -> None:
    admin.seed({"countly": {"apps": [{"app_id": "a" * 24, "app_key": "paused-key", "paused": True}]}})
    response = http.get("/countly/i", params={"app_key": "paused-key", "device_id": "d", "begin_session": 1})
    assert (response.status_code, response.json()) == (400, {"result": "App is currently not accepting data"})


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(http: httpx.Client, method: str) -> None:
    response = http.request(method, "/countly/i", params={"app_key": APP_KEY, "device_id": "d"})
    assert (response.status_code, response.json()) == (405, {"result": "Method not allowed"})


@pytest.mark.parametrize("path", ["/countly/nope", "/countly/i/nope", "/countly/o/nope"])
def test_unknown_path(http: httpx.Client, path: str) -> None:
    response = http.get(path)
    assert (response.status_code, response.json()) == (400, {"result": "Invalid path"})


def test_options_answers_cors(http: httpx.Client) -> None:
    response = http.options("/countly/i")
    assert response.status_code == 200
    assert response.headers["access-control-allow-methods"] == "POST, GET, OPTIONS"
    assert response.headers["access-control-allow-headers"] == "countly-token, Content-Type"


def test_begin_session_get(http: httpx.Client) -> None:
    response = write(http, device_id="d1", begin_session=1, sdk_version="1.0")
    assert (response.status_code, response.json()) == (200, OK)
    assert response.headers["x-frame-options"] == "deny"
    users = read(http, "users")
    # hand-computed: one new user at 10:xx on 15 March → t/n/u/e 1 at hour, day, month, year; w11 unique
    assert day(users)["10"] == {"t": 1, "n": 1, "u": 1, "e": 1}
    assert day(users)["Unknown"] == {"t": 1, "n": 1, "u": 1}
    assert users["2024"]["w11"] == {"u": 1, "Unknown": {"u": 1}, "f": {"0": 1}}
    assert users["2024"]["t"] == 1 and users["2024"]["u"] == 1 and users["2024"]["3"]["u"] == 1
    assert users["meta"] == {"countries": ["Unknown"], "f-ranges": ["0"]}
    assert read(http, "sessions") == users == read(http, "locations")


@pytest.mark.parametrize("kind", ["form", "multipart", "json"])
def test_post_bodies(http: httpx.Client, kind: str) -> None:
    fields = {"app_key": APP_KEY, "device_id": "d1", "begin_session": "1",
              "metrics": json.dumps({"_os": "Android"})}
    if kind == "form":
        response = http.post("/countly/i", data=fields)
    elif kind == "multipart":
        response = http.post("/countly/i", data=fields, files={"unused": ("x.txt", b"x")})
    else:
        response = http.post("/countly/i", json={**fields, "metrics": {"_os": "Android"}})
    assert (response.status_code, response.json()) == (200, OK)
    assert day(read(http, "device_details"))["Android"] == {"t": 1, "n": 1, "u": 1}


def test_body_overrides_query(http: httpx.Client) -> None:
    response = http.post("/countly/i", params={"app_key": "wrong", "device_id": "q"},
                         data={"app_key": APP_KEY, "device_id": "body"})
    assert (response.status_code, response.json()) == (200, OK)


def test_absolute_url_request_line(base_url: str) -> None:
    # An IoT client that puts the absolute URL in the request line (proxy form).
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        sock.sendall(f"GET {base_url}/countly/i?app_key={APP_KEY}&device_id=iot&begin_session=1 HTTP/1.1\r\n"
                     f"Host: {parts.netloc}\r\nConnection: close\r\n\r\n".encode())
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200")
    assert reply.endswith(b'{"result":"Success"}')


def test_metrics_normalised(http: httpx.Client) -> None:
    metrics = {"_os": "Android", "_os_version": "4.4", "_app_version": "1", "_resolution": "1200x800",
               "_device": "Nexus 5", "_carrier": "turk telekom", "_locale": "en_US", "_unknown": "x"}
    write(http, device_id="d1", begin_session=1, metrics=metrics)
    details = read(http, "device_details")
    assert details["meta"] == {"os": ["Android"], "os_versions": ["a4:4"], "resolutions": ["1200x800"],
                               "app_versions": ["1:0"]}
    assert read(http, "app_versions") == details
    assert read(http, "devices")["meta"] == {"devices": ["Nexus 5"]}
    assert read(http, "carriers")["meta"] == {"carriers": ["Turk Telekom"]}
    assert day(read(http, "carriers"))["Turk Telekom"] == {"t": 1, "n": 1, "u": 1}


def test_missing_carrier_becomes_unknown_and_apple_inferred(http: httpx.Client) -> None:
    write(http, device_id="d1", begin_session=1, metrics={"_os": "iOS", "_os_version": "17.1", "_device": "iPad7,1"})
    assert read(http, "carriers")["meta"] == {"carriers": ["Unknown"]}
    assert read(http, "device_details")["meta"]["os_versions"] == ["i17:1"]
    assert read(http, "devices")["meta"] == {"devices": ["iPad7,1"], "manufacturers": ["Apple"]}


def test_metrics_only_aggregated_at_a_counted_begin(http: httpx.Client) -> None:
    write(http, device_id="d1", metrics={"_os": "Android"})
    assert read(http, "device_details") == {}


@pytest.mark.parametrize("bad", ["{not json", "[1,2", "null"])
def test_bad_json_is_ignored(http: httpx.Client, bad: str) -> None:
    response = http.get("/countly/i", params={"app_key": APP_KEY, "device_id": "d1", "begin_session": 1,
                                              "metrics": bad, "events": bad})
    assert (response.status_code, response.json()) == (200, OK)
    assert day(read(http, "users"))["t"] == 1  # the session still counts
    assert read(http, "device_details") == {}
    assert "list" not in read(http, "get_events")


def test_session_duration_rules(http: httpx.Client) -> None:
    write(http, device_id="d1", begin_session=1)
    write(http, device_id="d1", session_duration=30)
    write(http, device_id="d1", session_duration=-5)  # negative → 30
    write(http, device_id="d1", session_duration=999999)  # capped at 86400
    write(http, device_id="d1", session_duration="abc")  # ignored, but still a request: e += 1
    today = day(read(http, "users"))
    assert today["d"] == 30 + 30 + 86400
    assert today["e"] == 5
    assert today["t"] == 1


def test_plain_request_counts_e(http: httpx.Client) -> None:
    write(http, device_id="d1")
    write(http, device_id="d1", begin_session=1)
    assert day(read(http, "users"))["e"] == 2  # as test/3.api.write/2.write.app.sessions.js expects


def test_session_cooldown(http: httpx.Client, admin: AdminClient) -> None:
    write(http, device_id="d1", begin_session=1)
    write(http, device_id="d1", end_session=1)
    freeze(admin, NOW + 10)
    write(http, device_id="d1", begin_session=1)  # 10 s after end: extended, not counted
    assert day(read(http, "users"))["t"] == 1
    write(http, device_id="d1", end_session=1)
    freeze(admin, NOW + 30)
    write(http, device_id="d1", begin_session=1, ignore_cooldown=1)
    freeze(admin, NOW + 100)
    write(http, device_id="d1", end_session=1)
    freeze(admin, NOW + 120)
    write(http, device_id="d1", begin_session=1)  # 20 s after the end: a new session
    assert day(read(http, "users"))["t"] == 3


def test_unique_users_decided_at_write_time(http: httpx.Client, admin: AdminClient) -> None:
    write(http, device_id="d1", begin_session=1, end_session=1)
    freeze(admin, NOW + 3600)  # next hour, same day
    write(http, device_id="d1", begin_session=1)
    users = read(http, "users")
    assert day(users)["10"]["u"] == 1 and day(users)["11"]["u"] == 1
    assert day(users)["u"] == 1 and day(users)["t"] == 2 and day(users)["n"] == 1
    freeze(admin, NOW + 3 * DAY)  # 18 March: still March, now week w12
    write(http, device_id="d1", begin_session=1)
    users = read(http, "users")
    assert day(users, d=18)["u"] == 1
    assert users["2024"]["3"]["u"] == 1 and users["2024"]["u"] == 1
    assert users["2024"]["w12"]["u"] == 1 and users["2024"]["w11"]["u"] == 1
    assert users["2024"]["3"]["t"] == 3
    assert day(users, d=18)["f"] == {"3": 1}  # 72 h since the previous session start → 72-96 bucket


def test_request_timestamp(http: httpx.Client) -> None:
    write(http, device_id="d1", begin_session=1, timestamp=NOW - 2 * DAY)  # 10 digits
    write(http, device_id="d2", begin_session=1, timestamp=(NOW - DAY) * 1000)  # 13 digits
    write(http, device_id="d3", begin_session=1, timestamp=NOW + 10 * DAY)  # future → now
    write(http, device_id="d4", begin_session=1, timestamp="12345")  # neither → now
    users = read(http, "users")
    assert day(users, d=13)["t"] == 1
    assert day(users, d=14)["t"] == 1
    assert day(users)["t"] == 2


def test_app_timezone(http: httpx.Client, admin: AdminClient) -> None:
    app_id = "b" * 24
    admin.seed({"countly": {"apps": [{"app_id": app_id, "app_key": "tz-key", "timezone": "Asia/Tokyo"}]}})
    http.get("/countly/i", params={"app_key": "tz-key", "device_id": "d", "begin_session": 1})
    users = read(http, "users", app_id=app_id)
    assert users["2024"]["3"]["15"]["19"]["t"] == 1  # 10:30 UTC is 19:30 in Tokyo


def test_ip_address_country(http: httpx.Client) -> None:
    write(http, device_id="d1", begin_session=1, ip_address="88.255.12.1")
    write(http, device_id="d2", begin_session=1, ip_address="10.0.0.1")
    write(http, device_id="d3", begin_session=1, country_code="de")
    assert read(http, "locations")["meta"]["countries"] == ["TR", "Unknown", "DE"]
    assert day(read(http, "users"))["TR"] == {"t": 1, "n": 1, "u": 1}


def test_duplicate_request_with_same_timestamp_is_not_counted(http: httpx.Client) -> None:
    params = {"device_id": "d1", "begin_session": 1, "timestamp": NOW}
    assert write(http, **params).json() == OK
    again = write(http, **params)
    assert (again.status_code, again.json()) == (200, {"result": "Success",
                                                       "info": "Request ignored: Duplicate request"})
    assert day(read(http, "users"))["t"] == 1
    # rr does not change the hash; a request without timestamp is never a duplicate
    assert write(http, device_id="d1", events=[{"key": "k"}]).json() == OK
    assert write(http, device_id="d1", events=[{"key": "k"}]).json() == OK
    assert day(read(http, "events", event="k"))["c"] == 2


def test_events(http: httpx.Client) -> None:
    events = [{"key": "purchase", "count": 3, "sum": 2.97, "dur": 4,
               "segmentation": {"country": "Turkey", "version": "1.0", "day": "5", "$bad.key": "x", "list": [1]}},
              {"key": "purchase", "count": "abc", "segmentation": {"country": "Germany"}},
              {"key": "purchase", "count": 0}, {"key": "level", "count": 2.7},
              {"key": ""}, {"count": 2}, {"key": "[CLY]_view"}, {"key": "x" * 128}]
    assert write(http, device_id="d1", events=events).json() == OK
    purchase = read(http, "events", event="purchase")
    # count: 3, then "abc" → 1 and 0 → 1
    assert day(purchase) == {"c": 5, "s": 2.97, "dur": 4, "10": {"c": 5, "s": 2.97, "dur": 4}}
    assert purchase["meta"] == {"segments": ["country", "version", "day", "badkey"],
                                "country": ["Turkey", "Germany"], "version": ["1:0"], "day": ["[CLY]5"],
                                "badkey": ["x"]}
    by_country = read(http, "events", event="purchase", segmentation="country")
    assert day(by_country) == {"Turkey": {"c": 3, "s": 2.97, "dur": 4}, "Germany": {"c": 1}}
    assert day(read(http, "events", event="level"))["c"] == 2
    catalogue = read(http, "get_events")
    assert catalogue["list"] == ["purchase", "level"]
    assert catalogue["segments"] == {"purchase": ["country", "version", "day", "badkey"]}
    assert read(http, "events") == read(http, "events", event="level")  # first of the sorted list
    merged = read(http, "events", events=json.dumps(["purchase", "level"]))
    assert day(merged)["c"] == 7


def test_event_timestamp(http: httpx.Client) -> None:
    write(http, device_id="d1", events=[{"key": "k", "timestamp": (NOW - DAY) * 1000}, {"key": "k"}])
    k = read(http, "events", event="k")
    assert day(k, d=14)["c"] == 1 and day(k)["c"] == 1


@pytest.mark.analytics_kit(services={"countly": {"event_limit": 2, "event_segmentation_limit": 1,
                                                     "event_segmentation_value_limit": 2}})
def test_event_limits(analytics_kit_url: str) -> None:
    with httpx.Client(base_url=analytics_kit_url) as http:
        events = [{"key": k, "segmentation": {"a": v, "b": "x"}} for k, v in
                  (("e1", "v1"), ("e1", "v2"), ("e1", "v3"), ("e2", "v1"), ("e3", "v1"))]
        assert write(http, device_id="d", events=events).json() == OK
        assert read(http, "get_events")["list"] == ["e1", "e2"]
        e1 = read(http, "events", event="e1")
        assert e1["meta"] == {"segments": ["a"], "a": ["v1", "v2"]}
        year = next(k for k in e1 if k != "meta")
        assert e1[year]["c"] == 3  # the event counts even where a segment value is over the limit
        by_a = read(http, "events", event="e1", segmentation="a")
        assert {k: v for k, v in by_a[year].items() if k.startswith("v")} == {"v1": {"c": 1}, "v2": {"c": 1}}


def test_bulk(http: httpx.Client) -> None:
    requests = [{"device_id": "b1", "begin_session": 1, "metrics": {"_os": "Android"}},
                {"device_id": "b2", "app_key": APP_KEY, "begin_session": 1, "country_code": "TR"},
                {"device_id": "b3", "app_key": "unknown", "begin_session": 1},
                {"begin_session": 1}, "junk",
                {"device_id": "b1", "events": json.dumps([{"key": "bulk", "count": 4}])}]
    response = http.post("/countly/i/bulk", data={"app_key": APP_KEY, "requests": json.dumps(requests)})
    assert (response.status_code, response.json()) == (200, OK)
    assert day(read(http, "users"))["t"] == 2
    assert day(read(http, "events", event="bulk"))["c"] == 4
    response = http.post("/countly/i/bulk", json={"requests": [{"device_id": "b4", "app_key": APP_KEY,
                                                                "begin_session": 1}]})
    assert response.json() == OK
    assert day(read(http, "users"))["t"] == 3


def test_bulk_entry_without_app_key_and_no_fallback_is_skipped(http: httpx.Client) -> None:
    response = http.get("/countly/i/bulk", params={"requests": json.dumps([{"device_id": "x", "begin_session": 1}])})
    assert response.json() == OK
    assert read(http, "users") == {}


@pytest.mark.parametrize(("value", "message"), [(None, 'Missing parameter "requests"'),
                                                ("{bad", 'Missing parameter "requests"'),
                                                ('{"a": 1}', 'Invalid parameter "requests"')])
def test_bulk_errors(http: httpx.Client, value: str | None, message: str) -> None:
    params = {"app_key": APP_KEY} if value is None else {"app_key": APP_KEY, "requests": value}
    response = http.get("/countly/i/bulk", params=params)
    assert (response.status_code, response.json()) == (400, {"result": message})


def test_checksum(http: httpx.Client, admin: AdminClient) -> None:
    import hashlib

    admin.seed({"countly": {"apps": [{"app_id": "c" * 24, "app_key": "salty", "salt": "s3cret"}]}})
    query = "app_key=salty&device_id=d&begin_session=1"
    missing = http.get(f"/countly/i?{query}")
    assert (missing.status_code, missing.json()) == (200, {"result": "Request does not have checksum"})
    wrong = http.get(f"/countly/i?{query}&checksum=ABC")
    assert (wrong.status_code, wrong.json()) == (200, {"result": "Request does not match checksum"})
    good = hashlib.sha1((query + "s3cret").encode()).hexdigest().upper()
    assert http.get(f"/countly/i?{query}&checksum={good}").json() == OK
    # the checksum parameter is cut out wherever it stands; the rest is hashed as sent
    good256 = hashlib.sha256((f"{query}&timestamp={NOW}" + "s3cret").encode()).hexdigest().upper()
    assert http.get(f"/countly/i?{query}&checksum256={good256}&timestamp={NOW}").json() == OK
    assert day(read(http, "users", app_id="c" * 24))["t"] == 2


async def test_write_async(ahttp: httpx.AsyncClient, admin: AdminClient) -> None:
    response = await ahttp.post("/countly/i", data={"app_key": APP_KEY, "device_id": "a1", "begin_session": "1"})
    assert (response.status_code, response.json()) == (200, OK)
    bad = await ahttp.post("/countly/i", data={"device_id": "a1"})
    assert (bad.status_code, bad.json()) == (400, {"result": 'Missing parameter "app_key" or "device_id"'})
    users = (await ahttp.get("/countly/o", params={"api_key": "dev-api-key", "app_id": APP_ID,
                                                   "method": "users"})).json()
    assert users["2024"]["3"]["15"]["t"] == 1


def test_duplicate_hash_covers_the_post_body(http: httpx.Client) -> None:
    fields = {"app_key": APP_KEY, "device_id": "d1", "timestamp": str(NOW)}
    assert http.post("/countly/i", data={**fields, "events": json.dumps([{"key": "a"}])}).json() == OK
    assert http.post("/countly/i", data={**fields, "events": json.dumps([{"key": "b"}])}).json() == OK
    again = http.post("/countly/i", data={**fields, "events": json.dumps([{"key": "b"}]), "rr": "3"})
    assert again.json() == {"result": "Success", "info": "Request ignored: Duplicate request"}
    assert read(http, "get_events")["list"] == ["a", "b"]
    assert day(read(http, "events", event="b"))["c"] == 1


def test_session_extended_within_cooldown_gets_one_duration_range(http: httpx.Client, admin: AdminClient) -> None:
    write(http, device_id="d1", begin_session=1)
    write(http, device_id="d1", session_duration=5, end_session=1)  # 5 s: range 0 (0-10 s)
    assert day(read(http, "users"))["ds"] == {"0": 1}
    freeze(admin, NOW + 5)
    write(http, device_id="d1", begin_session=1)  # within the cooldown: the session goes on
    write(http, device_id="d1", session_duration=40, end_session=1)  # 45 s in all: range 2 (31-60 s)
    users = read(http, "users")
    assert day(users)["ds"] == {"2": 1}
    assert users["2024"]["3"]["ds"] == {"2": 1} and users["2024"]["w11"]["ds"] == {"2": 1}
    assert day(users)["t"] == 1 and day(users)["d"] == 45


def test_user_id_length_checked_like_app_id(http: httpx.Client) -> None:
    response = write(http, device_id="d", begin_session=1, user_id="x")
    assert (response.status_code, response.json()) == (400, {"result": 'Invalid parameter "user_id"'})
    _nothing_recorded(http)


def test_location_opt_out_and_user_properties(http: httpx.Client, admin: AdminClient) -> None:
    write(http, device_id="d1", begin_session=1, ip_address="88.255.1.1", location="", hour=13, dow=5, tz=180)
    assert read(http, "locations")["meta"]["countries"] == ["Unknown"]
    user = admin.countly.app_user(app_id=APP_ID, app_key=APP_KEY, device_id="d1")
    assert (user["hour"], user["dow"], user["tz"], user["cc"], user["sc"]) == (13, 5, 180, "Unknown", 1)
    assert user["fs"] == user["ls"] == NOW and user["hos"] is True


@pytest.mark.analytics_kit(services={"countly": {"metric_limit": 1}})
def test_metric_limit(analytics_kit_url: str) -> None:
    with httpx.Client(base_url=analytics_kit_url) as http:
        write(http, device_id="d1", begin_session=1, metrics={"_os": "Android"})
        write(http, device_id="d2", begin_session=1, metrics={"_os": "IOS"})  # over the limit: dropped
        assert read(http, "device_details")["meta"]["os"] == ["Android"]


def test_multipart_checksum(http: httpx.Client, admin: AdminClient) -> None:
    import hashlib

    admin.seed({"countly": {"apps": [{"app_id": "c" * 24, "app_key": "salty", "salt": "s3cret"}]}})
    fields = {"app_key": "salty", "device_id": "d", "begin_session": "1"}
    payload = "&".join(f"{k}={v}" for k, v in fields.items())
    checksum = hashlib.sha1((payload + "s3cret").encode()).hexdigest().upper()
    response = http.post("/countly/i", data={**fields, "checksum": checksum}, files={"f": ("x", b"x")})
    assert response.json() == OK
    bad = http.post("/countly/i", data={**fields, "checksum": "0" * 40}, files={"f": ("x", b"x")})
    assert bad.json() == {"result": "Request does not match checksum"}


def test_event_numbers_must_be_wholly_numeric(http: httpx.Client) -> None:
    events = [{"key": "n", "count": "3abc", "sum": "2.5x", "dur": "1e1"}, {"key": "n", "count": "2", "sum": "-1.5"},
              {"key": "n", "count": 0.5, "sum": 0.123456789}]
    write(http, device_id="d", events=events)
    # "3abc" is not a number: 1; "2": 2; 0.5: parseInt gives 0. Sums: -1.5 and 0.12346 (toFixed(5)).
    assert day(read(http, "events", event="n")) == {"c": 3, "s": -1.37654, "dur": 10.0,
                                                    "10": {"c": 3, "s": -1.37654, "dur": 10.0}}


def test_week_unique_only_within_the_same_year(http: httpx.Client, admin: AdminClient) -> None:
    # usage.js: the week counts a returning user only when the previous session was earlier in the same year.
    freeze(admin, 1703930400)  # 2023-12-30 10:00 UTC
    write(http, device_id="d1", begin_session=1)
    write(http, device_id="d2", begin_session=1)
    freeze(admin, 1704189600)  # 2024-01-02 10:00 UTC, week w1
    write(http, device_id="d1", begin_session=1)
    write(http, device_id="d3", begin_session=1)  # a new user is unique at every level
    users = read(http, "users")
    assert users["2024"]["w1"]["u"] == 1
    assert users["2024"]["u"] == 2 and users["2024"]["1"]["u"] == 2 and day(users, m=1, d=2)["u"] == 2


def test_e_counts_begin_and_duration_separately(http: httpx.Client, admin: AdminClient) -> None:
    # usage.js: session_duration adds e (processSessionDuration), a counted begin adds e (processUserSession)
    write(http, device_id="d1", begin_session=1, session_duration=30)
    assert (day(read(http, "users"))["e"], day(read(http, "users"))["d"]) == (2, 30)
    write(http, device_id="d1", end_session=1)  # neither begin nor duration: one
    freeze(admin, NOW + 5)
    write(http, device_id="d1", begin_session=1)  # within the cooldown: none
    write(http, device_id="d1", begin_session=1, session_duration=10, timestamp=NOW + 6)  # cooldown: duration only
    users = day(read(http, "users"))
    assert (users["e"], users["d"], users["t"]) == (4, 40, 1)


def test_bulk_retry_with_the_same_timestamps_is_not_counted_twice(http: httpx.Client) -> None:
    requests = json.dumps([{"device_id": "b1", "begin_session": 1, "timestamp": NOW},
                           {"device_id": "b2", "events": [{"key": "k", "count": 2}], "timestamp": NOW}])
    for _ in range(2):  # a retried bulk: every entry repeats its device's previous request
        response = http.post("/countly/i/bulk", data={"app_key": APP_KEY, "requests": requests})
        assert (response.status_code, response.json()) == (200, OK)
    assert day(read(http, "users"))["t"] == 1
    assert day(read(http, "events", event="k"))["c"] == 2


def test_begin_dated_in_the_past(http: httpx.Client) -> None:
    write(http, device_id="d1", begin_session=1)
    write(http, device_id="d1", begin_session=1, timestamp=NOW - 2 * DAY)  # an older session sent late
    users = read(http, "users")
    # counted but not unique; the open session it closes gets its duration range (0-10 s) on that day too
    assert day(users, d=13) == {"t": 1, "e": 1, "10": {"t": 1, "e": 1}, "Unknown": {"t": 1}, "ds": {"0": 1}}
    user = read(http, "total_users", metric="users", period="hour")
    assert user == [{"_id": "users", "u": 1}]  # ls stays on today: usage.js only moves it forwards
    # the cooldown compares timestamp - lest < 15 s, so a begin dated before the last end extends the session
    write(http, device_id="d2", begin_session=1)
    write(http, device_id="d2", end_session=1)
    write(http, device_id="d2", begin_session=1, timestamp=NOW - 100)
    assert day(read(http, "users"))["t"] == 2


@pytest.mark.parametrize("path", ["/countly/i/bulk", "/countly/i/apps/reset", "/countly/o",
                                  "/countly/o/analytics/dashboard"])
def test_app_id_and_user_id_length_checked_on_every_path(http: httpx.Client, path: str) -> None:
    # Countly checks app_id and user_id before routing, whatever the path
    entries = json.dumps([{"device_id": "d", "begin_session": 1}])
    for name in ("app_id", "user_id"):
        response = http.get(path, params={"app_key": APP_KEY, "api_key": "dev-api-key", "requests": entries,
                                          "args": json.dumps({"app_id": APP_ID}), name: "x"})
        assert (response.status_code, response.json()) == (400, {"result": f'Invalid parameter "{name}"'})
    assert read(http, "users") == {}
