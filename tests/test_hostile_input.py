"""Each class of hostile input, at every place a service and ``/_admin`` read JSON or a number: a JSON 4xx in
the service's own style naming what is wrong, strict JSON out (RFC 8259: no NaN), and the store unchanged.

Every target is first sent a harmless value in the same place, which must succeed and change what the
read-backs show: so a refusal below is the rule at work, not a template that never reached the code.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from mock_server import create_app
from mock_server.errors import MAX_HEADERS, MAX_URL
from mock_server.services.taplytics.backend import USERS

TOKEN = "dev-api-token"
APP_ID = "0123456789abcdef01234567"
DEVICE = "hostile-device"
REPORTS = "/reports/api/v4/analytics/reports_over_time"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


def strict(text: str) -> Any:
    """JSON as a strict parser (JavaScript's ``JSON.parse``) reads it: ``NaN``/``Infinity`` are errors."""

    def refuse(name: str) -> None:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def app() -> Flask:
    return create_app()


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    c = app.test_client()
    assert c.post("/_admin/reset").status_code == 200
    yield c


def snapshot(c: FlaskClient) -> list[Any]:
    """What every service and /_admin hold, read back over HTTP (the journal aside)."""
    reads = [
        "/_admin/state", "/_admin/stathat/stats", "/_admin/cyfe/widgets/dev-widget", "/_admin/faults",
        f"/taplytics/v2/users?api_token={TOKEN}", "/_admin/taplytics/events", f"/taplytics/v2/push?api_token={TOKEN}",
        f"/_admin/countly/app_user?app_id={APP_ID}&app_key=dev-app-key&device_id={DEVICE}",
        f"/countly/o?api_key=dev-api-key&app_id={APP_ID}&method=get_events",
        f"/countly/o?api_key=dev-api-key&app_id={APP_ID}&method=events&event=e",
    ]
    return [(path, c.get(path).status_code, strict(c.get(path).get_data(as_text=True))) for path in reads]


def error_of(service: str, response: TestResponse) -> tuple[int, str]:
    """The status and message of a reply in the service's own error style."""
    body = strict(response.get_data(as_text=True))
    if service == "stathat":  # StatHat's rules answer HTTP 200 with the status in the body
        return body["status"], body["msg"]
    if service == "countly":
        return response.status_code, body["result"]
    if service == "cyfe":
        assert body["status"] == "error" and body["code"] == response.status_code
        return response.status_code, body["message"]
    if service == "reports":
        return response.status_code, body["error"]["message"]
    return response.status_code, body["error"]  # taplytics and /_admin


@dataclass(frozen=True)
class Target:
    """One place that reads JSON: ``send(client, fragment)`` puts the JSON text ``fragment`` there."""

    name: str
    service: str
    send: Callable[[FlaskClient, str], TestResponse]

    def __str__(self) -> str:
        return self.name


def _json(path: str, text: str, method: str = "POST") -> Callable[[FlaskClient], TestResponse]:
    return lambda c: c.open(path, method=method, data=text, content_type="application/json")


TARGETS = [
    Target("stathat /ez JSON count", "stathat", lambda c, x: _json(
        "/stathat/ez", f'{{"ezkey":"dev-ezkey","data":[{{"stat":"s","count":{x}}}]}}')(c)),
    Target("countly /i JSON body", "countly", lambda c, x: _json(
        "/countly/i", f'{{"app_key":"dev-app-key","device_id":"{DEVICE}","begin_session":1,'
                      f'"events":[{{"key":"e","count":{x}}}]}}')(c)),
    Target("countly /i events in the query", "countly", lambda c, x: c.get("/countly/i", query_string={
        "app_key": "dev-app-key", "device_id": DEVICE, "begin_session": "1", "events": f'[{{"key":"e","sum":{x}}}]'})),
    Target("countly /i/bulk requests", "countly", lambda c, x: c.post("/countly/i/bulk", data={
        "requests": f'[{{"app_key":"dev-app-key","device_id":"{DEVICE}","begin_session":1,'
                    f'"events":[{{"key":"e","dur":{x}}}]}}]'})),
    Target("cyfe push value", "cyfe", lambda c, x: _json(
        "/cyfe/api/push/dev-widget", f'{{"data":[{{"Date":"20240101","Users":{x}}}]}}')(c)),
    Target("taplytics user custom_data", "taplytics", lambda c, x: _json(
        f"/taplytics/v2/users?api_token={TOKEN}", f'{{"user_id":"u1","custom_data":{{"n":{x}}}}}')(c)),
    Target("taplytics user age", "taplytics", lambda c, x: _json(
        f"/taplytics/v2/users?api_token={TOKEN}", f'{{"user_id":"u1","age":{x}}}')(c)),
    Target("taplytics event value", "taplytics", lambda c, x: _json(
        f"/taplytics/v2/events?api_token={TOKEN}&session_id=s1", f'[{{"name":"n","value":{x}}}]')(c)),
    Target("taplytics push filter value", "taplytics", lambda c, x: _json(
        f"/taplytics/v2/push?api_token={TOKEN}", '{"notification":{"alert":"hi"},'
        f'"filters":[{{"type":"age","comparator":">=","values":[{x}]}}]}}')(c)),
    Target("/_admin/seed", "admin", lambda c, x: _json(
        "/_admin/seed", f'{{"taplytics":{{"users":[{{"user_id":"seeded","custom_data":{{"n":{x}}}}}]}}}}')(c)),
    Target("/_admin/faults delay", "admin", lambda c, x: _json(
        "/_admin/faults", f'{{"path":"/stathat/ez","status":503,"delay":{x}}}')(c)),
]

#: class -> (the JSON text put in place of the harmless ``1``, what the message must say)
CLASSES = {
    "deep": ("[" * 1000 + "]" * 1000, "nested deeper than"),
    "huge integer": ("9" * 400, "out of range"),
    "overflowing float": ("1e309", "out of range"),
    "NaN": ("NaN", "NaN is not JSON"),
    "Infinity": ("-Infinity", "Infinity is not JSON"),
}


#: Countly ignores a parameter or body that is not JSON (NaN is not), so what it refuses is what is then missing.
COUNTLY_NOT_JSON = {"countly /i JSON body": 'Missing parameter "app_key" or "device_id"',
                    "countly /i/bulk requests": 'Missing parameter "requests"'}


def assert_refused(target: Target, response: TestResponse, says: str) -> None:
    status, message = error_of(target.service, response)
    assert 400 <= status < 500, (target.name, status, message)
    assert response.status_code < 500
    assert says in message, (target.name, message)


@pytest.mark.parametrize("target", TARGETS, ids=str)
def test_the_harmless_value_reaches_the_store(client: FlaskClient, target: Target) -> None:
    before = snapshot(client)
    response = target.send(client, "1")
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    strict(response.get_data(as_text=True))
    assert snapshot(client) != before, f"{target}: the template changed nothing, so its refusal proves nothing"


@pytest.mark.parametrize("kind", CLASSES)
@pytest.mark.parametrize("target", TARGETS, ids=str)
def test_hostile_json_is_refused_whole(client: FlaskClient, target: Target, kind: str) -> None:
    fragment, says = CLASSES[kind]
    if target.service == "countly" and kind in ("NaN", "Infinity"):
        if target.name not in COUNTLY_NOT_JSON:
            pytest.skip("Countly ignores a parameter that is not JSON and serves the rest: tested below")
        says = COUNTLY_NOT_JSON[target.name]
    before = snapshot(client)
    response = target.send(client, fragment)
    assert_refused(target, response, says)
    assert snapshot(client) == before, f"{target}: a refused request changed the store"


def test_countly_ignores_events_that_are_not_json(client: FlaskClient) -> None:
    """Countly's own rule for a parameter that is not JSON: logged and ignored; nothing non-finite is kept."""
    response = client.get("/countly/i", query_string={"app_key": "dev-app-key", "device_id": DEVICE,
                                                      "events": '[{"key":"e","sum":NaN}]'})
    assert response.status_code == 200 and strict(response.get_data(as_text=True)) == {"result": "Success"}
    events = client.get(f"/countly/o?api_key=dev-api-key&app_id={APP_ID}&method=get_events")
    assert "e" not in strict(events.get_data(as_text=True)).get("list", [])


# -- numbers given as text (form and query fields) -------------------------------------------------------
NUMBER_FIELDS = [
    ("stathat", "/stathat/ez", {"ezkey": "dev-ezkey", "stat": "s"}, "count"),
    ("stathat", "/stathat/ez", {"ezkey": "dev-ezkey", "stat": "s"}, "value"),
    ("stathat", "/stathat/c", {"key": "dev-counter-key", "ukey": "dev-ukey"}, "count"),
    ("stathat", "/stathat/v", {"key": "dev-value-key", "ukey": "dev-ukey"}, "value"),
]


@pytest.mark.parametrize("text", ["9" * 400, "1e309", "nan", "-inf", "Infinity", "1_000", "\u0661"])
@pytest.mark.parametrize(("service", "path", "base", "field"), NUMBER_FIELDS,
                         ids=[f"{p} {f}" for _, p, _, f in NUMBER_FIELDS])
def test_a_number_field_refuses_what_is_not_a_finite_number(client: FlaskClient, service: str, path: str,
                                                            base: dict[str, str], field: str, text: str) -> None:
    ok = client.post(path, data={**base, field: "2"})
    assert error_of(service, ok) == (200, "ok")
    before = snapshot(client)
    response = client.post(path, data={**base, field: text})
    status, message = error_of(service, response)
    assert status == 400 and message.startswith(field), message
    assert snapshot(client) == before


def test_countly_period_timestamps_out_of_range(client: FlaskClient) -> None:
    base = f"/countly/o?api_key=dev-api-key&app_id={APP_ID}&method=users"
    assert client.get(f"{base}&period=[1700000000000,1700086400000]").status_code == 200
    for period, says in (("[1e309,1]", "out of range"), ("[1e300,1]", "period"), (f"[{'9' * 400},1]", "out of range"),
                         ("[-1e20,1]", "period")):
        response = client.get(f"{base}&period={period}")
        status, message = error_of("countly", response)
        assert status == 400 and says in message, (period, message)


def test_reports_channel_id_of_400_digits(client: FlaskClient) -> None:
    query = {"start_date": "2016-01-01T00:00:00Z", "end_date": "2016-12-31T00:00:00Z"}
    # A channel id of the right shape gets past the rule (no such channel here: a 404 naming it).
    known = client.get(REPORTS, query_string={**query, "channel_id": "1"}, headers=BEARER)
    assert known.status_code == 404, known.get_data(as_text=True)
    response = client.get(REPORTS, query_string={**query, "channel_id": "9" * 400}, headers=BEARER)
    status, message = error_of("reports", response)
    assert status == 400 and message.startswith("channel_id"), message


# -- the stored user with a huge age ------------------------------------------------------------------------
def test_a_stored_huge_age_never_breaks_a_push(app: Flask, client: FlaskClient) -> None:
    """Refused at the door; and a user already stored with one (an older store) is compared, not a 500."""
    response = _json(f"/taplytics/v2/users?api_token={TOKEN}", '{"user_id":"old","age":1e300}')(client)
    status, message = error_of("taplytics", response)
    assert status == 400 and "age" in message
    # As an older server may have stored it (the store holds any JSON integer).
    created = _json(f"/taplytics/v2/users?api_token={TOKEN}", '{"user_id":"old","age":30}')(client)
    user = strict(created.get_data(as_text=True))
    store = app.extensions["analytics_api_kit"].store
    store.put(USERS, user["id"], {**store.get(USERS, user["id"]), "age": 10**400})
    for comparator, matched in ((">=", 1), ("<=", 0)):
        push = _json(f"/taplytics/v2/push?api_token={TOKEN}", '{"notification":{"alert":"hi"},'
                     f'"filters":[{{"type":"age","comparator":"{comparator}","values":[18]}}]}}')(client)
        assert push.status_code == 200, push.get_data(as_text=True)
        audience = client.get(f"/_admin/taplytics/push/{strict(push.get_data(as_text=True))['id']}/audience")
        assert strict(audience.get_data(as_text=True))["matched"] == [user["id"]] * matched


def test_the_query_email_follows_the_user_schema(client: FlaskClient) -> None:
    before = snapshot(client)
    response = _json(f"/taplytics/v2/users?api_token={TOKEN}&email=0", '{"first_name":"x"}')(client)
    status, message = error_of("taplytics", response)
    assert status == 400 and message.startswith("email"), message
    response = _json(f"/taplytics/v2/users?api_token={TOKEN}&user_id=", '{"first_name":"x"}')(client)
    assert error_of("taplytics", response)[0] == 400
    assert snapshot(client) == before
    ok = _json(f"/taplytics/v2/users?api_token={TOKEN}&email=a@b.example", '{"first_name":"x"}')(client)
    assert ok.status_code == 200 and strict(ok.get_data(as_text=True))["email"] == "a@b.example"


# -- the HTTP layer: 414, 431, 405 ---------------------------------------------------------------------------
LAYER = [  # (service, a path it serves, a method that path does not take)
    ("stathat", "/stathat/ez", "DELETE"), ("countly", "/countly/i", "DELETE"),
    ("taplytics", f"/taplytics/v2/push?api_token={TOKEN}", "DELETE"), ("cyfe", "/cyfe/api/push/dev-widget", "GET"),
    ("reports", REPORTS, "POST"), ("admin", "/_admin/reset", "GET"),
]


@pytest.mark.parametrize(("service", "path", "method"), LAYER, ids=[s for s, _, _ in LAYER])
def test_a_long_url_is_a_json_414(client: FlaskClient, service: str, path: str, method: str) -> None:
    sep = "&" if "?" in path else "?"
    response = client.get(f"{path}{sep}pad={'x' * MAX_URL}")
    status, message = error_of(service, response)
    assert response.status_code == status == 414 and "limit" in message
    assert client.get(f"{path}{sep}pad={'x' * 1000}").status_code != 414  # a long one below the limit is served


@pytest.mark.parametrize(("service", "path", "method"), LAYER, ids=[s for s, _, _ in LAYER])
def test_huge_headers_are_a_json_431(client: FlaskClient, service: str, path: str, method: str) -> None:
    response = client.get(path, headers={f"X-Pad-{i}": "x" * 1000 for i in range(MAX_HEADERS // 1000 + 1)})
    status, message = error_of(service, response)
    assert response.status_code == status == 431 and "limit" in message


def test_the_header_block_is_measured_as_request_headers_lists_it() -> None:
    # The 431 check reads the environ directly (no header objects); it counts what request.headers would list.
    from werkzeug.datastructures import EnvironHeaders
    from werkzeug.test import EnvironBuilder

    from mock_server.errors import header_bytes

    environs = [
        EnvironBuilder(path="/x", headers={"X-Pad_Under": "a" * 300, "Authorization": "Bearer t"}).get_environ(),
        EnvironBuilder(method="POST", path="/x", data="a=1", content_type="application/x-www-form-urlencoded",
                       headers={"User-Agent": "ü-agent"}).get_environ(),
        {"HTTP_HOST": "h", "CONTENT_LENGTH": "", "CONTENT_TYPE": "text/plain", "HTTP_CONTENT_TYPE": "ignored",
         "HTTP_CONTENT_LENGTH": "9", "SERVER_NAME": "h"},
    ]
    for environ in environs:
        assert header_bytes(environ) == sum(len(k) + len(v) + 4 for k, v in EnvironHeaders(environ).items())


@pytest.mark.parametrize(("service", "path", "method"), LAYER, ids=[s for s, _, _ in LAYER])
def test_a_405_names_the_allowed_methods(client: FlaskClient, service: str, path: str, method: str) -> None:
    response = client.open(path, method=method)
    assert response.status_code == 405
    strict(response.get_data(as_text=True))
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert method not in allowed and allowed, response.headers
    for other in allowed - {"HEAD", "OPTIONS"}:
        assert client.open(path, method=other).status_code != 405


def test_the_error_path_does_not_parse_a_deep_body_again(client: FlaskClient) -> None:
    """Countly /i with a deep JSON body and a callback: one JSON 400, never werkzeug's HTML 500."""
    deep = "[" * 100_000 + "]" * 100_000
    response = client.post("/countly/i?callback=cb", data=f'{{"app_key":"dev-app-key","x":{deep}}}',
                           content_type="application/json")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert text.startswith("cb(") and "nested deeper" in strict(text[3:-1])["result"]


def test_nothing_non_finite_is_ever_stored(app: Flask) -> None:
    store = app.extensions["analytics_api_kit"].store
    with pytest.raises(ValueError):
        store.put("hostile", "x", {"n": float("nan")})
    assert store.get("hostile", "x") is None


def test_numbers_of_any_length_in_versions_and_pages(client: FlaskClient) -> None:
    """A 5000-digit version part compares as a number (no int() of it); a 5000-digit page is a 400."""
    big = "9" * 5000
    user = _json(f"/taplytics/v2/users?api_token={TOKEN}",
                 f'{{"user_id":"v","devices":[{{"os":"Android","os_version":"{big}"}}]}}')(client)
    assert user.status_code == 200
    uid = strict(user.get_data(as_text=True))["id"]
    for value, matched in (("5", [uid]), (big + "9", [])):
        push = _json(f"/taplytics/v2/push?api_token={TOKEN}", '{"notification":{"alert":"hi"},'
                     f'"filters":[{{"type":"an_version","comparator":">=","values":["{value}"]}}]}}')(client)
        assert push.status_code == 200, push.get_data(as_text=True)
        audience = client.get(f"/_admin/taplytics/push/{strict(push.get_data(as_text=True))['id']}/audience")
        assert strict(audience.get_data(as_text=True))["matched"] == matched
    for name in ("page", "per_page"):
        status, message = error_of("taplytics", client.get(f"/taplytics/v2/users?api_token={TOKEN}&{name}={big}"))
        assert status == 400 and message.startswith(f"{name}: ") and "out of range" in message
    status, message = error_of("admin", client.get(f"/_admin/requests?limit={big}"))
    assert status == 400 and message.startswith("limit")


def test_a_frozen_clock_past_year_9999_is_refused(client: FlaskClient) -> None:
    assert client.post("/_admin/countly/clock", json={"now": 1_700_000_000}).status_code == 200
    status, message = error_of("admin", client.post("/_admin/countly/clock", json={"now": 1e300}))
    assert status == 400 and message.startswith("now")
    reads = client.get(f"/countly/o?api_key=dev-api-key&app_id={APP_ID}&method=users")
    assert reads.status_code == 200


def _wsgi_servers() -> list[str]:
    from mock_server.serving import SERVERS, available

    return [name for name in SERVERS if available(name)]


@pytest.mark.parametrize("server", _wsgi_servers())
def test_the_wsgi_server_lets_the_app_answer_414_and_431(server: str) -> None:
    """Through ``mock-server`` itself: the production server's own limits sit above the app's."""
    import httpx

    from tests.servers import served

    with served("--server", server) as s:
        long = httpx.get(f"{s.url}/stathat/ez?pad={'x' * (MAX_URL + 4000)}")
        assert (long.status_code, strict(long.text)["status"]) == (414, 414), long.text[:200]
        headers = {f"X-Pad-{i}": "x" * 1000 for i in range(MAX_HEADERS // 1000 + 8)}
        big = httpx.get(f"{s.url}/countly/i", headers=headers)
        assert big.status_code == 431 and "limit" in strict(big.text)["result"], big.text[:200]
        one = httpx.get(f"{s.url}/countly/i", headers={"X-Pad": "x" * (MAX_HEADERS + 1000)})
        assert one.status_code == 431 and "limit" in strict(one.text)["result"], one.text[:200]
        served_ok = httpx.get(f"{s.url}/stathat/ez?pad={'x' * 8000}", headers={"X-Pad": "x" * 9000})
        assert strict(served_ok.text) == {"status": 400, "msg": "ezkey: missing"}  # below every limit: the view
