"""The reference server's own machinery: errors, admin, journal, faults, stores, CLI, strict mode."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_server import create_app
from sdk import RetryPolicy, StatHatClient


@pytest.fixture
def app() -> Flask:
    return create_app()


@pytest.fixture
def c(app: Flask) -> FlaskClient:
    return app.test_client()


def stats(c: FlaskClient) -> dict[str, Any]:
    return {s["name"]: s for s in c.get("/_admin/stathat/stats").get_json()["stats"]}


def test_unknown_paths_outside_services_are_json(c: FlaskClient) -> None:
    r = c.get("/nowhere")
    assert r.status_code == 404 and r.is_json and "/nowhere" in r.get_json()["error"]
    r = c.put("/_admin/reset")
    assert r.status_code == 405 and r.is_json


def test_unexpected_error_is_a_json_500_without_traceback(app: Flask, c: FlaskClient) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise KeyError("internal detail")

    app.extensions["analytics_api_kit"].services["stathat"].backend.plan = boom
    r = c.get("/stathat/ez?ezkey=dev-ezkey&stat=x&count=1")
    assert r.status_code == 500
    assert r.get_json() == {"status": 500, "msg": "internal error"}
    assert b"Traceback" not in r.data and b"internal detail" not in r.data


def test_reset_restores_the_start_up_state(c: FlaskClient) -> None:
    c.get("/stathat/ez?ezkey=dev-ezkey&stat=x&count=1")
    c.post("/_admin/seed", json={"stathat": {"ezkeys": ["other"]}})
    assert "x" in stats(c)
    assert c.post("/_admin/reset").get_json() == {"reset": True}
    assert "x" not in stats(c) and "classic counter" in stats(c)
    assert c.get("/stathat/ez?ezkey=other&stat=x&count=1").get_json()["status"] == 401
    assert c.get("/stathat/ez?ezkey=dev-ezkey&stat=x&count=1").get_json()["status"] == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"nosuch": {}}, "must be one of"),
        ({"stathat": {"classic": [{"name": "a", "kind": "gauge", "key": "k", "ukey": "u"}]}}, "classic[0].kind"),
        ({"stathat": {"bogus": 1}}, "Additional properties"),
        ([], "must be of type object"),
    ],
)
def test_seed_is_validated(c: FlaskClient, body: Any, message: str) -> None:
    r = c.post("/_admin/seed", json=body)
    assert r.status_code == 400
    assert message in r.get_json()["error"]


def test_faults_then_success_and_the_journal_shows_retries(app: Flask) -> None:
    c = app.test_client()
    assert c.post("/_admin/faults", json={"path": "/stathat/ez", "status": 503, "times": 2,
                                           "headers": {"Retry-After": "0"}}).status_code == 201
    client = StatHatClient("dev-ezkey", base_url="http://test/stathat", transport=httpx.WSGITransport(app=app),
                           retry=RetryPolicy(base=0.001))
    client.count("faulty", 2)
    assert sum(p["count"] for p in stats(c)["faulty"]["points"]) == 2
    journal = c.get("/_admin/requests?path=/stathat/ez").get_json()["requests"]
    assert [(e["status"], e["retry_count"]) for e in journal] == [(503, "0"), (503, "1"), (200, "2")]
    assert c.get("/_admin/faults").get_json() == {"faults": []}


def test_fault_with_body_delay_and_clear(c: FlaskClient) -> None:
    c.post("/_admin/faults", json={"path": "/stathat", "status": 429, "times": None, "body": {"custom": True},
                                   "delay": 0.05, "method": "GET"})
    started = time.monotonic()
    r = c.get("/stathat/ez?ezkey=dev-ezkey&stat=x&count=1")
    assert r.status_code == 429 and r.get_json() == {"custom": True}
    assert time.monotonic() - started >= 0.05
    assert c.post("/stathat/ez", data={"ezkey": "dev-ezkey", "stat": "x", "count": "1"}).status_code == 200
    assert c.delete("/_admin/faults").get_json() == {"cleared": True}
    assert c.get("/stathat/ez?ezkey=dev-ezkey&stat=x&count=1").status_code == 200
    bad = c.post("/_admin/faults", json={"status": 503})
    assert bad.status_code == 400 and "path" in bad.get_json()["error"]


def test_journal_limit_is_checked_and_bounded(c: FlaskClient) -> None:
    assert c.get("/_admin/requests?limit=0").status_code == 400
    assert c.get("/_admin/requests?limit=abc").status_code == 400
    small = create_app({"journal_size": 3}).test_client()
    for i in range(5):
        small.get(f"/stathat/ez?ezkey=dev-ezkey&stat=s{i}&count=1")
    entries = small.get("/_admin/requests?limit=100").get_json()["requests"]
    assert [e["query"].split("stat=")[1][:2] for e in entries] == ["s2", "s3", "s4"]


def test_only_serves_one_service_at_the_root() -> None:
    c = create_app({"only": "stathat"}).test_client()
    assert c.get("/ez?ezkey=dev-ezkey&stat=x&count=1").get_json() == {"status": 200, "msg": "ok"}
    assert c.get("/stathat/ez?ezkey=dev-ezkey&stat=x&count=1").get_json()["status"] == 200
    assert c.get("/nope").get_json()["status"] == 404  # in the served service's style
    with pytest.raises(ValueError, match="only: must be one of"):
        create_app({"only": "nosuch"})


def test_config_is_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown key 'bogus'"):
        create_app({"bogus": 1})
    path = tmp_path / "c.json"
    path.write_text('{"journal_size": 5, "services": {"stathat": {"accept_any_ezkey": true}}}')
    c = create_app(str(path)).test_client()
    assert c.get("/stathat/ez?ezkey=anyone&stat=x&count=1").get_json()["status"] == 200


def test_strict_mode_catches_response_drift() -> None:
    app = create_app({"strict": True})
    c = app.test_client()
    assert c.get("/_admin/stathat/stats").status_code == 200
    app.extensions["analytics_api_kit"].services["stathat"].backend.stats = lambda ezkey=None: [{"name": 1}]
    r = c.get("/_admin/stathat/stats")
    assert r.status_code == 500 and "does not match stathat/stats" in r.get_json()["error"]


def test_sqlite_store_keeps_data_across_restarts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    create_app({"store": url}).test_client().get("/stathat/ez?ezkey=dev-ezkey&stat=kept&count=4")
    again = create_app({"store": url}).test_client()
    assert sum(p["count"] for p in stats(again)["kept"]["points"]) == 4
