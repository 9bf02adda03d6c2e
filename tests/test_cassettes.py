"""``sdk.testing.make_vcr`` records real exchanges with the live reference server and writes no secret it was given:
not in a URI (a Cyfe widget key in the path, a Countly app key in the query), a body (a StatHat ezkey in a form), a
header (a reports Bearer token, a header of the caller's own) or a reply that echoes one; the recording replays with
no server, sync and async."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from sdk import (
    AdminClient,
    APIError,
    AsyncStatHatClient,
    CountlyClient,
    CyfeClient,
    ReportsClient,
    StatHatClient,
)
from sdk.testing import make_vcr, scrub_body

APP_ID = "0123456789abcdef01234567"


def _secret(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex}"


async def test_a_recorded_exchange_holds_no_secret_and_replays(tmp_path: Path, analytics_kit_url: str,
                                                               analytics_kit_admin: AdminClient) -> None:
    ezkey, widget, app_key, token, custom = (_secret(n) for n in ("ezk", "wdg", "appk", "tok", "custom"))
    analytics_kit_admin.seed({"stathat": {"ezkeys": [ezkey]}, "cyfe": {"widgets": [{"key": widget}]},
                              "countly": {"apps": [{"app_id": "a" * 24, "app_key": app_key}]},
                              "reports": {"tokens": [token]}})
    secrets = [ezkey, widget, app_key, token, custom]
    recorder = make_vcr(tmp_path, secrets=secrets)
    url = analytics_kit_url

    async def exchange() -> None:
        with StatHatClient(ezkey, base_url=f"{url}/stathat", headers={"X-Caller": custom}) as stathat, \
                pytest.raises(APIError, match=r"ezkey \*\*\* is wrong"):
            stathat.count("recorded", t=1362772440)
        with CyfeClient(widget_key=widget, base_url=f"{url}/cyfe") as cyfe:
            cyfe.push([{"Date": "20130301", "Users": 1}])
        with CountlyClient(base_url=f"{url}/countly", app_key=app_key, device_id="d") as countly:
            countly.begin_session()
        with ReportsClient(token, base_url=f"{url}/reports") as reports, pytest.raises(APIError):
            reports.reports_per_user(1, "2016-01-01T00:00:00Z", "2016-02-01T00:00:00Z")
        async with AsyncStatHatClient(ezkey, base_url=f"{url}/stathat") as astathat:
            with pytest.raises(APIError):
                await astathat.count("echoed", t=1362772440)

    # StatHat's replies quote the key back (an injected error body): the replies are scrubbed too.
    analytics_kit_admin.faults.add("/stathat/ez", status=200, body={"status": 400, "msg": f"ezkey {ezkey} is wrong"},
                                   times=None)
    with recorder.use_cassette("exchange.yaml"):
        await exchange()
    text = (tmp_path / "exchange.yaml").read_text()
    assert text.count("uri:") >= 5 and "is wrong" in text  # every request and the echoing reply were recorded
    assert [s for s in secrets if s in text] == []
    # Replayed with the real secrets and no server: the scrubbed requests match the scrubbed recording (by method,
    # path and query: Countly's body carries the time it was sent).
    with make_vcr(tmp_path, secrets=secrets, record_mode="none", match_on=["method", "path", "query"]) \
            .use_cassette("exchange.yaml"):
        await exchange()


def test_scrub_body_masks_fields_and_given_values() -> None:
    assert scrub_body("ezkey=k1&stat=x&note=k2", ["k2"]) == "ezkey=***&stat=x&note=***"
    assert scrub_body(b'{"api_token": "t", "a": ["s3cret"]}', ["s3cret"]) == b'{"api_token":"***","a":["***"]}'
    assert scrub_body(None) is None and scrub_body("plain text") == "plain text"
