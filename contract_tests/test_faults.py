"""Faults as WireMock's (``/_admin/faults``): every kind through a live server (werkzeug here, gunicorn and waitress
in tests/test_faults_serving.py), what httpx sees, what the SDK reports (sync and async: a write that may have
been applied is reported so, never retried; a read is retried and succeeds), whether the server applied the
request, matching by method, path prefix and path pattern, the list with ``fired`` and ``remaining``, removal
of one fault, and bad specs refused with the field named and nothing armed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from sdk import (
    AdminClient,
    AsyncStatHatClient,
    AsyncTaplyticsClient,
    RetryPolicy,
    SDKError,
    StatHatClient,
    TaplyticsClient,
    TransportError,
)

RETRY = RetryPolicy(base=0.01, jitter=0, max_attempts=2)


@dataclass(frozen=True)
class Kind:
    name: str
    spec: dict[str, Any]
    applied: bool  # the server applied the request before spoiling the reply
    raises: type[Exception]  # what raw httpx raises
    timeout: float = 10.0


KINDS = [
    Kind("reset", {"kind": "reset"}, False, httpx.RemoteProtocolError),
    Kind("empty", {"kind": "empty"}, False, httpx.RemoteProtocolError),
    Kind("reset_after", {"kind": "reset_after"}, True, httpx.RemoteProtocolError),
    Kind("malformed_chunked", {"kind": "malformed_chunked"}, True, httpx.RemoteProtocolError),
    # The first piece comes after duration / pieces >= 0.05 s: a read timeout of 0.02 s always expires first.
    Kind("slow_body", {"kind": "slow_body", "duration": 0.5}, True, httpx.ReadTimeout, timeout=0.02),
]


def _held(admin: AdminClient, stat: str) -> bool:
    return any(s["name"] == stat for s in admin.stathat.stats(ezkey="dev-ezkey"))


def _arm(admin: AdminClient, **spec: Any) -> dict[str, Any]:
    return dict(admin.faults.add(**spec))


def _entries(admin: AdminClient, path: str) -> list[dict[str, Any]]:
    return [dict(e) for e in admin.requests.list(path=path, limit=1000)]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_raw_httpx_sees_each_kind(base_url: str, admin: AdminClient, kind: Kind) -> None:
    _arm(admin, path="/stathat/ez", **kind.spec)
    with pytest.raises(kind.raises):
        httpx.post(f"{base_url}/stathat/ez", data={"ezkey": "dev-ezkey", "stat": kind.name, "count": "1"},
                   timeout=httpx.Timeout(10, read=kind.timeout))
    assert _held(admin, kind.name) is kind.applied
    entry = _entries(admin, "/stathat/ez")[-1]
    assert entry["fault"]["kind"] == kind.name
    assert entry["body"] == ("" if kind.name == "reset" else f"ezkey=***&stat={kind.name}&count=1")
    ok = httpx.post(f"{base_url}/stathat/ez", data={"ezkey": "dev-ezkey", "stat": "after", "count": "1"})
    assert ok.json() == {"status": 200, "msg": "ok"}  # times=1: the next request is served


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
async def test_async_httpx_sees_each_kind(base_url: str, admin: AdminClient, kind: Kind) -> None:
    _arm(admin, path="/stathat/ez", **kind.spec)
    async with httpx.AsyncClient(timeout=httpx.Timeout(10, read=kind.timeout)) as client:
        with pytest.raises(kind.raises):
            await client.post(f"{base_url}/stathat/ez", data={"ezkey": "dev-ezkey", "stat": kind.name, "count": "1"})
    assert _held(admin, kind.name) is kind.applied


def _check_write_error(exc: SDKError, kind: Kind) -> None:
    assert isinstance(exc, TransportError), exc
    assert exc.maybe_applied is True and exc.reason == "maybe applied"  # no reply: the SDK cannot know
    assert len(exc.attempts) == 1  # a write that may have been applied is not retried


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_sdk_under_each_kind_sync(base_url: str, admin: AdminClient, kind: Kind) -> None:
    _arm(admin, path="/stathat/ez", **kind.spec)
    with StatHatClient("dev-ezkey", base_url=f"{base_url}/stathat", retry=RETRY, timeout=kind.timeout) as c, \
            pytest.raises(SDKError) as info:
        c.count(kind.name, 1)
    _check_write_error(info.value, kind)
    assert _held(admin, kind.name) is kind.applied
    # A read is idempotent: retried once, and the second attempt is served (a slow body is read patiently).
    _arm(admin, path="/taplytics/v2/users", method="GET", **kind.spec)
    with TaplyticsClient("dev-api-token", base_url=f"{base_url}/taplytics", retry=RETRY, timeout=10) as t:
        assert t.users.list() is not None
    assert _read_faults(admin) == _expected_reads(kind)


def _read_faults(admin: AdminClient) -> list[str | None]:
    return [e["fault"] and e["fault"]["kind"] for e in _entries(admin, "/taplytics/v2/users")]


def _expected_reads(kind: Kind) -> list[str | None]:
    return [kind.name] if kind.name == "slow_body" else [kind.name, None]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
async def test_sdk_under_each_kind_async(base_url: str, admin: AdminClient, kind: Kind) -> None:
    _arm(admin, path="/stathat/ez", **kind.spec)
    async with AsyncStatHatClient("dev-ezkey", base_url=f"{base_url}/stathat", retry=RETRY,
                                  timeout=kind.timeout) as c:
        with pytest.raises(SDKError) as info:
            await c.count(kind.name, 1)
    _check_write_error(info.value, kind)
    assert _held(admin, kind.name) is kind.applied
    _arm(admin, path="/taplytics/v2/users", method="GET", **kind.spec)
    async with AsyncTaplyticsClient("dev-api-token", base_url=f"{base_url}/taplytics", retry=RETRY, timeout=10) as t:
        assert await t.users.list() is not None
    assert _read_faults(admin) == _expected_reads(kind)


def test_slow_body_delivers_the_whole_reply_to_a_patient_client(base_url: str, admin: AdminClient) -> None:
    _arm(admin, path="/stathat/ez", kind="slow_body", duration=0.3, headers={"X-Slow": "yes"})
    with httpx.stream("POST", f"{base_url}/stathat/ez", data={"ezkey": "dev-ezkey", "stat": "slow", "count": "1"},
                      timeout=10) as reply:
        body = b"".join(reply.iter_raw())
    assert reply.headers["X-Slow"] == "yes" and reply.headers["Content-Length"] == str(len(body))
    assert body == b'{"status":200,"msg":"ok"}' and _held(admin, "slow")


def test_matching_by_method_prefix_and_pattern_with_fired_and_remaining(base_url: str, admin: AdminClient) -> None:
    by_pattern = _arm(admin, path_pattern=r"/taplytics/v2/users/[^/]+", status=418, times=2)
    by_method = _arm(admin, path="/stathat", method="GET", status=503, times=None)
    assert (by_pattern["fired"], by_pattern["remaining"], by_method["remaining"]) == (0, 2, None)
    with httpx.Client(base_url=base_url, timeout=10) as http:
        assert http.get("/taplytics/v2/users", params={"api_token": "dev-api-token"}).status_code == 200
        assert http.get("/taplytics/v2/users/u1", params={"api_token": "dev-api-token"}).status_code == 418
        assert http.post("/stathat/ez", data={"ezkey": "dev-ezkey", "stat": "p", "count": "1"}).status_code == 200
        for _ in range(3):
            assert http.get("/stathat/ez", params={"ezkey": "dev-ezkey", "stat": "g", "count": "1"}).status_code == 503
        listed = {f["id"]: (f["fired"], f["remaining"]) for f in admin.faults.list()}
        assert listed == {by_pattern["id"]: (1, 1), by_method["id"]: (3, None)}
        assert http.delete(f"/_admin/faults/{by_method['id']}").json() == {"deleted": by_method["id"]}
        assert http.delete(f"/_admin/faults/{by_method['id']}").status_code == 404
        assert http.get("/stathat/ez", params={"ezkey": "dev-ezkey", "stat": "g", "count": "1"}).status_code == 200
        assert http.get("/taplytics/v2/users/u1", params={"api_token": "dev-api-token"}).status_code == 418
        assert admin.faults.list() == []  # its last hit fired: gone


@pytest.mark.parametrize(("spec", "named"), [
    ({"kind": "reset"}, "'path'"),
    ({"path": "stathat"}, "path"),
    ({"path_pattern": "("}, "path_pattern"),
    ({"path_pattern": ""}, "path_pattern"),
    ({"path": "/x", "kind": "explode"}, "kind"),
    ({"path": "/x", "kind": "slow_body"}, "'duration'"),
    ({"path": "/x", "kind": "slow_body", "duration": 0}, "duration"),
    ({"path": "/x", "kind": "slow_body", "duration": 61}, "duration"),
    ({"path": "/x", "kind": "reset", "duration": 1}, "kind"),
    ({"path": "/x", "kind": "empty", "body": {"a": 1}}, "kind"),
    ({"path": "/x", "delay": -1}, "delay"),
    ({"path": "/x", "times": 0}, "times"),
    ({"path": "/x", "headers": {"A": 1}}, "headers.A"),
    ({"path": "/x", "fired": 3}, "fired"),
])
def test_a_bad_spec_is_a_400_naming_the_field_and_arms_nothing(base_url: str, admin: AdminClient,
                                                               spec: dict[str, Any], named: str) -> None:
    response = httpx.post(f"{base_url}/_admin/faults", json=spec)  # raw: the SDK would refuse some itself
    assert response.status_code == 400, response.text
    assert named in response.json()["error"], response.json()
    assert admin.faults.list() == []


SOCKET_KINDS = [k for k in KINDS if k.name != "slow_body"]


@pytest.mark.parametrize("kind", SOCKET_KINDS, ids=lambda k: k.name)
def test_in_process_a_socket_fault_is_a_json_500_and_nothing_applied(kind: Kind) -> None:
    from mock_server import create_app

    app = create_app()
    c = app.test_client()
    assert c.post("/_admin/faults", json={"path": "/stathat/ez", **kind.spec}).status_code == 201
    reply = c.post("/stathat/ez", data={"ezkey": "dev-ezkey", "stat": kind.name, "count": "1"})
    assert reply.status_code == 500 and reply.is_json
    assert f"injected fault {kind.name}: this server cannot" in reply.get_json()["msg"]
    assert "no socket" in reply.get_json()["msg"]
    stats = c.get("/_admin/stathat/stats?ezkey=dev-ezkey").get_json()["stats"]
    assert kind.name not in [s["name"] for s in stats]  # refused before the view ran
    # The SDK in process sees that 500 as the service's error, sync.
    from sdk import ServerError

    assert c.post("/_admin/faults", json={"path": "/stathat/ez", **kind.spec}).status_code == 201
    with StatHatClient("dev-ezkey", base_url="http://kit/stathat", transport=httpx.WSGITransport(app=app),
                       retry=RETRY) as client, pytest.raises(ServerError, match="cannot"):
        client.count(kind.name, 1)


def test_in_process_slow_body_is_delivered_slowly() -> None:
    from mock_server import create_app

    c = create_app().test_client()
    assert c.post("/_admin/faults", json={"path": "/stathat/ez", "kind": "slow_body", "duration": 0.1}).status_code \
        == 201
    assert c.post("/stathat/ez", data={"ezkey": "dev-ezkey", "stat": "x", "count": "1"}).get_json() == {
        "status": 200, "msg": "ok"}


