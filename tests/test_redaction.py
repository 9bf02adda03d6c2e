"""Secrets never appear in messages, reprs, log lines or the server's journal."""

from __future__ import annotations

import logging

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
