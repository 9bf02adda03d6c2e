"""Secrets never appear in messages, reprs, log lines or the server's journal."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
import respx

from sdk import AdminClient, APIError, RetryPolicy, StatHatClient
from sdk import _errors as sdk_errors
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
    [entry] = AdminClient(transport=httpx.WSGITransport(app=app)).requests.list(limit=1)
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


def test_cassette_scrubs_secrets_echoed_in_a_reply(tmp_path: Path, analytics_kit_url: str,
                                                   analytics_kit_admin: AdminClient) -> None:
    from sdk.testing import make_vcr

    echo = {"status": 400, "msg": f"ezkey {SECRET} is wrong", "ezkey": "named-secret"}
    analytics_kit_admin.faults.add("/stathat/ez", status=200, body=echo)
    cassette = tmp_path / "echo.yaml"
    with make_vcr(secrets=[SECRET]).use_cassette(str(cassette)), \
            StatHatClient(SECRET, base_url=f"{analytics_kit_url}/stathat") as client, pytest.raises(APIError):
        client.count("x", t=1362772440)
    text = cassette.read_text()
    assert SECRET not in text and "named-secret" not in text
    assert "is wrong" in text  # the reply itself was recorded
    # and it replays: the same error from the recording, no server needed
    with make_vcr(secrets=[SECRET]).use_cassette(str(cassette)), \
            StatHatClient(SECRET, base_url=f"{analytics_kit_url}/stathat") as client, \
            pytest.raises(APIError, match=r"ezkey \*\*\* is wrong"):
        client.count("x", t=1362772440)


def test_server_journal_masks_secrets_in_validation_errors() -> None:
    from mock_server import create_app

    app = create_app({"services": {"stathat": {"accept_any_ezkey": True}}})
    c = app.test_client()
    # A wrongly typed key fails the schema: the error names the field, never the value.
    reply = c.post("/stathat/ez", json={"ezkey": ["journal-secret"], "data": [{"stat": "x", "count": 1}]})
    assert reply.get_json() == {"status": 400, "msg": "ezkey: must be of type string"}
    c.get("/stathat/ez?email=journal-secret&stat=x&count=1")
    entries = AdminClient(transport=httpx.WSGITransport(app=app)).requests.list(limit=5)
    assert entries[0]["validation_errors"] == ["ezkey: must be of type string"]
    assert entries[1]["query"].startswith("email=***")
    assert "journal-secret" not in str(entries)


def test_server_journal_masks_secret_path_segments() -> None:
    from mock_server import create_app

    app = create_app()
    c = app.test_client()
    c.post("/cyfe/api/push/dev-widget", json={"data": [{"Date": "20130301", "Users": "1"}]})
    c.get("/cyfe/api/push/dev-widget")  # a 405: no view ran, the route still names the segment
    entries = AdminClient(transport=httpx.WSGITransport(app=app)).requests.list(limit=2)
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


# -- the server's words are kept; secrets are masked by value and by structured field ----------------

def test_free_text_after_a_secret_word_is_never_rewritten() -> None:
    r = Redactor([SECRET])
    for text in ("ezkey: no account has this ezkey", "invalid API key: no project has this api_token",
                 "key: missing", "token expired", "api_key = what you were given"):
        assert r.text(text) == text
    # Structured text is masked by field name, prose by known value only.
    assert r.text("ezkey=abc&stat=x") == "ezkey=***&stat=x"
    assert r.text('{"token": "abc", "x": 1}') == '{"token": "***", "x": 1}'
    assert r.text('{"token": null}') == '{"token": null}'
    assert r.text(f"your key {SECRET} is wrong") == "your key *** is wrong"


@respx.mock
def test_error_message_and_body_keep_the_servers_words() -> None:
    respx.post(f"{BASE}/ez").mock(return_value=httpx.Response(
        200, json={"status": 401, "msg": "ezkey: no account has this ezkey"}))
    with pytest.raises(APIError) as info:
        StatHatClient(SECRET, base_url=BASE).count("x")
    assert info.value.message == "ezkey: no account has this ezkey"
    assert info.value.body == {"status": 401, "msg": "ezkey: no account has this ezkey"}


@respx.mock
def test_taplytics_error_keeps_its_words() -> None:
    from sdk import TaplyticsClient, Unauthorized

    respx.get("https://tap.test/v2/users").mock(return_value=httpx.Response(
        401, json={"error": "invalid API key: no project has this api_token"}))
    with pytest.raises(Unauthorized) as info:
        TaplyticsClient(SECRET, base_url="https://tap.test").users.list()
    assert info.value.message == "invalid API key: no project has this api_token"


def _chain(exc: BaseException | None) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def _everything(exc: BaseException) -> str:
    """Every text an exception chain exposes: messages, reprs, args, requests' URLs and headers."""
    parts = []
    for e in _chain(exc):
        parts += [str(e), repr(e), repr(e.args), repr(vars(e))]
        request = getattr(e, "_request", None)
        if isinstance(request, httpx.Request):
            parts += [str(request.url), repr(request.headers)]
    return "\n".join(parts)


@pytest.mark.parametrize("error", [httpx.ReadTimeout, httpx.ConnectError, httpx.RemoteProtocolError])
@respx.mock
def test_no_secret_in_a_transport_errors_chain_and_the_host_is_named(error: type[httpx.TransportError]) -> None:
    from sdk import CyfeClient, TransportError

    respx.post(f"https://cyfe.test/api/push/{SECRET}").mock(side_effect=error("failed"))
    client = CyfeClient(widget_key=SECRET, base_url="https://cyfe.test", retry=RetryPolicy(max_attempts=1))
    with pytest.raises(TransportError) as info:
        client.push([{"Date": "20130301", "Users": 1}])
    exc = info.value
    assert "https://cyfe.test/api/push/***" in str(exc)  # the host, not only the path
    assert isinstance(exc.__cause__, error)  # raised from a redacted copy of httpx's error...
    assert exc.__context__ in (None, exc.__cause__)  # ...and httpx's own (with the key in its URL) is not kept
    assert SECRET not in _everything(exc)
    assert str(exc.__cause__.request.url) == "https://cyfe.test/api/push/***"


@respx.mock
async def test_no_secret_in_an_async_timeouts_chain() -> None:
    from sdk import APITimeoutError, AsyncCountlyClient

    respx.get(url__startswith="https://countly.test/o").mock(side_effect=httpx.ReadTimeout("timed out"))
    client = AsyncCountlyClient(base_url="https://countly.test", api_key=SECRET, app_id="a" * 24,
                                retry=RetryPolicy(max_attempts=2, base=0.001))
    with pytest.raises(APITimeoutError) as info:
        await client.sessions()
    assert SECRET not in _everything(info.value)
    assert "api_key=***" in str(info.value) and "https://countly.test/o" in str(info.value)
    assert len(info.value.attempts) == 2 and info.value.maybe_applied


@respx.mock
def test_traceback_starts_at_the_sdk_and_holds_no_tenacity_frame() -> None:
    import traceback

    respx.post(f"{BASE}/ez").mock(side_effect=[httpx.Response(503), httpx.ReadTimeout("timed out")])
    client = StatHatClient(SECRET, base_url=BASE, retry=RetryPolicy(max_attempts=2, base=0.001))
    with pytest.raises(sdk_errors.APITimeoutError) as info:
        client.count("x")
    frames = traceback.extract_tb(info.value.__traceback__)
    files = [f.filename for f in frames]
    assert not any("tenacity" in f for f in files), files
    assert frames[-1].name == "_attempt"
    text = "".join(traceback.format_exception(info.value))
    assert "The above exception was the direct cause" in text and "ReadTimeout" in text
    assert "tenacity/" not in text and SECRET not in text


def _capture(level: int) -> tuple[logging.Handler, list[str]]:
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Keep(level)
    logging.getLogger().addHandler(handler)
    return handler, lines


def test_httpx_and_httpcore_loggers_are_redacted(analytics_kit_url: str) -> None:
    from mock_server import create_app
    from sdk import CountlyClient, CyfeClient

    root = logging.getLogger()
    old = root.level
    handler, lines = _capture(logging.DEBUG)
    root.setLevel(logging.DEBUG)
    try:
        transport = httpx.WSGITransport(app=create_app())
        with CountlyClient(base_url="http://testserver/countly", api_key="dev-api-key",
                           app_id="0123456789abcdef01234567", transport=transport) as countly:
            countly.sessions()
        with CyfeClient(widget_key="dev-widget", base_url="http://testserver/cyfe", transport=transport) as cyfe:
            cyfe.push([{"Date": "20130301", "Users": 1}])
        # Through a real socket too, for httpcore's own loggers.
        with CyfeClient(widget_key="dev-widget", base_url=f"{analytics_kit_url}/cyfe") as cyfe:
            cyfe.push([{"Date": "20130301", "Users": 1}])
    finally:
        root.removeHandler(handler)
        root.setLevel(old)
    text = "\n".join(lines)
    assert "HTTP Request: GET http://testserver/countly/o?api_key=***" in text  # httpx's INFO line, masked
    assert "/cyfe/api/push/***" in text
    assert "httpcore" in text or "connect_tcp" in text or "send_request" in text
    assert "dev-api-key" not in text and "dev-widget" not in text


@respx.mock
async def test_async_traceback_starts_at_the_sdk_and_holds_no_tenacity_frame() -> None:
    import traceback

    from sdk import AsyncStatHatClient

    respx.post(f"{BASE}/ez").mock(side_effect=[httpx.Response(503), httpx.ConnectError("refused")] * 2)
    client = AsyncStatHatClient(SECRET, base_url=BASE, retry=RetryPolicy(max_attempts=2, base=0.001))
    with pytest.raises(sdk_errors.TransportError) as info:
        await client.count("x")
    text = "".join(traceback.format_exception(info.value))
    assert "tenacity/" not in text and SECRET not in text
    assert "ConnectError" in text and "The above exception was the direct cause" in text
    assert [type(e).__name__ for e in info.value.attempts] == ["ServerError", "TransportError"]
    assert not info.value.maybe_applied  # a 503 and a connection never made: certainly not applied
