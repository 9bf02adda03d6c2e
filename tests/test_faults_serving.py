"""Faults through the production WSGI servers ``mock-server`` runs: gunicorn (its socket in the environ: every
kind delivered as under werkzeug) and waitress (no socket: a JSON 500 that says so, nothing applied; a slow body,
which needs no socket, delivered)."""

from __future__ import annotations

import httpx
import pytest

from mock_server.serving import available
from tests.servers import served

KINDS = {  # kind: (what raw httpx raises, whether the request was applied)
    "reset": (httpx.RemoteProtocolError, False),
    "empty": (httpx.RemoteProtocolError, False),
    "reset_after": (httpx.RemoteProtocolError, True),
    "malformed_chunked": (httpx.RemoteProtocolError, True),
    "slow_body": (httpx.ReadTimeout, True),
}


def _arm(url: str, kind: str) -> None:
    spec = {"path": "/stathat/ez", "kind": kind, **({"duration": 0.5} if kind == "slow_body" else {})}
    assert httpx.post(f"{url}/_admin/faults", json=spec).status_code == 201


def _post(url: str, stat: str, read: float = 10) -> httpx.Response:
    return httpx.post(f"{url}/stathat/ez", data={"ezkey": "dev-ezkey", "stat": stat, "count": "1"},
                      timeout=httpx.Timeout(10, read=read))


def _held(url: str) -> set[str]:
    return {s["name"] for s in httpx.get(f"{url}/_admin/stathat/stats", params={"ezkey": "dev-ezkey"}).json()["stats"]}


@pytest.mark.skipif(not available("gunicorn"), reason="gunicorn is not available on this platform")
def test_every_kind_under_gunicorn() -> None:
    with served("--server", "gunicorn") as s:
        for kind, (raises, _) in KINDS.items():
            _arm(s.url, kind)
            with pytest.raises(raises):
                _post(s.url, kind, read=0.02 if kind == "slow_body" else 10)
            assert _post(s.url, f"{kind} then").json() == {"status": 200, "msg": "ok"}
        held = _held(s.url)
    assert {k for k, (_, applied) in KINDS.items() if applied} == {k for k in KINDS if k in held}
    assert {f"{k} then" for k in KINDS} <= held
    assert "Traceback" not in s.stderr


@pytest.mark.skipif(not available("waitress"), reason="waitress is not installed")
def test_waitress_cannot_deliver_a_socket_fault_and_says_so() -> None:
    with served("--server", "waitress") as s:
        for kind in ("reset", "empty", "reset_after", "malformed_chunked"):
            _arm(s.url, kind)
            reply = _post(s.url, kind)
            assert reply.status_code == 500 and reply.json()["status"] == 500
            assert f"injected fault {kind}: this server cannot" in reply.json()["msg"]
        _arm(s.url, "slow_body")
        assert _post(s.url, "slow").json() == {"status": 200, "msg": "ok"}
        assert _held(s.url) & set(KINDS) == set()
        assert "slow" in _held(s.url)
