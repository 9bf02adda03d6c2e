"""Secrets never appear in messages, reprs, log lines or the server's journal."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
import respx

from sdk import APIError, RetryPolicy, StatHatClient
from sdk._redact import Redactor, redact_query

SECRET = "ez-SECRET-123"
BASE = "https://stathat.test"


def test_redactor_masks_values_and_named_parameters() -> None:
    r = Redactor([SECRET, None, "ab"])  # too-short values are ignored, not masked everywhere
    assert r.text(f"POST /api/push/{SECRET}") == "POST /api/push/***"
    assert r.text("ezkey=other&stat=x") == "ezkey=***&stat=x"
    assert r.text('{"api_key": "k1", "app_key":"k2"}') == '{"api_key": "***", "app_key":"***"}'
    assert r.text("about a cab") == "about a cab"
    assert r.headers([("Authorization", "Bearer t"), ("x-access-token", "t"), ("Accept", "x")]) == {
        "Authorization": "***", "x-access-token": "***", "Accept": "x"}


def test_redact_query() -> None:
    assert redact_query("api_key=abc&method=sessions&app_id=1") == "api_key=***&method=sessions&app_id=1"


def test_repr_has_no_secret() -> None:
    client = StatHatClient(SECRET, base_url=BASE)
    assert SECRET not in repr(client)


@respx.mock
def test_logs_and_errors_have_no_secret(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("time.sleep", lambda s: None)
    caplog.set_level(logging.DEBUG, logger="analytics_api_kit")
    respx.post(f"{BASE}/ez").mock(side_effect=[
        httpx.Response(503),
        httpx.Response(200, json={"status": 400, "msg": f"bad ezkey {SECRET}"}),
    ])
    client = StatHatClient(SECRET, base_url=BASE, retry=RetryPolicy(max_attempts=2))
    with pytest.raises(APIError) as info:
        client.count("x")
    assert "Retrying" in caplog.text  # the retry was logged...
    assert SECRET not in caplog.text  # ...without the key
    assert SECRET not in str(info.value) and SECRET not in info.value.message
    assert "***" in str(info.value)


def test_server_journal_masks_secrets() -> None:
    from mock_server import create_app

    app = create_app()
    c = app.test_client()
    c.get("/stathat/ez?ezkey=dev-ezkey&stat=x&count=1", headers={"Authorization": "Bearer tok"})
    entry = c.get("/_admin/requests?limit=1").get_json()["requests"][0]
    assert "dev-ezkey" not in str(entry)
    assert entry["query"].startswith("ezkey=***")
    assert entry["headers"]["Authorization"] == "***"


def test_exception_body_has_no_secret() -> None:
    with respx.mock:
        respx.post(f"{BASE}/ez").mock(return_value=httpx.Response(
            200, json={"status": 400, "msg": f"bad key {SECRET}", "ezkey": "other-secret"}))
        with pytest.raises(APIError) as info:
            StatHatClient(SECRET, base_url=BASE).count("x")
    assert info.value.body == {"status": 400, "msg": "bad key ***", "ezkey": "***"}
    assert SECRET not in repr(info.value) and "other-secret" not in repr(info.value.body)


def test_cassette_scrubs_secrets_echoed_in_a_reply(tmp_path: Path) -> None:
    from contract_tests.cassettes import make_vcr
    from contract_tests.conftest import LiveServer

    server = LiveServer()
    try:
        echo = {"status": 400, "msg": f"ezkey {SECRET} is wrong", "ezkey": "named-secret"}
        httpx.post(f"{server.url}/_admin/faults", json={"path": "/stathat/ez", "status": 200, "body": echo})
        cassette = tmp_path / "echo.yaml"
        with make_vcr(secrets=[SECRET]).use_cassette(str(cassette)), \
                StatHatClient(SECRET, base_url=f"{server.url}/stathat") as client, pytest.raises(APIError):
            client.count("x", t=1362772440)
        text = cassette.read_text()
        assert SECRET not in text and "named-secret" not in text
        assert "is wrong" in text  # the reply itself was recorded
        # and it replays: the same error from the recording, no server needed
        with make_vcr(secrets=[SECRET]).use_cassette(str(cassette)), \
                StatHatClient(SECRET, base_url=f"{server.url}/stathat") as client, \
                pytest.raises(APIError, match=r"ezkey \*\*\* is wrong"):
            client.count("x", t=1362772440)
    finally:
        server.stop()


def test_server_journal_masks_secrets_in_validation_errors() -> None:
    from mock_server import create_app

    app = create_app({"services": {"stathat": {"accept_any_ezkey": True}}})
    c = app.test_client()
    # A wrongly typed key fails the schema: the error names the field, never the value.
    reply = c.post("/stathat/ez", json={"ezkey": ["journal-secret"], "data": [{"stat": "x", "count": 1}]})
    assert reply.get_json() == {"status": 400, "msg": "ezkey: must be of type string"}
    c.get("/stathat/ez?email=journal-secret&stat=x&count=1")
    entries = c.get("/_admin/requests?limit=5").get_json()["requests"]
    assert entries[0]["validation_errors"] == ["ezkey: must be of type string"]
    assert entries[1]["query"].startswith("email=***")
    assert "journal-secret" not in str(entries)


def test_server_journal_masks_secret_path_segments() -> None:
    from mock_server import create_app

    c = create_app().test_client()
    c.post("/cyfe/api/push/dev-widget", json={"data": [{"Date": "20130301", "Users": "1"}]})
    c.get("/cyfe/api/push/dev-widget")  # a 405: no view ran, the route still names the segment
    entries = c.get("/_admin/requests?limit=2").get_json()["requests"]
    assert [(e["path"], e["status"]) for e in entries] == [("/cyfe/api/push/***", 200), ("/cyfe/api/push/***", 405)]


def test_server_access_log_masks_secrets(caplog: pytest.LogCaptureFixture) -> None:
    from mock_server import create_app

    caplog.set_level(logging.INFO, logger="mock_server.access")
    c = create_app().test_client()
    c.post("/cyfe/api/push/dev-widget", json={"data": [{"Date": "20130320", "Users": 1}]})
    c.get("/stathat/ez?ezkey=dev-ezkey&stat=x&count=1")
    lines = [r.getMessage() for r in caplog.records if r.name == "mock_server.access"]
    assert lines == ['"POST /cyfe/api/push/***" 200', '"GET /stathat/ez?ezkey=***&stat=x&count=1" 200']
    assert "dev-widget" not in caplog.text and "dev-ezkey" not in caplog.text
