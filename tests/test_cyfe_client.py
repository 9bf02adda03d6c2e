"""Cyfe SDK behaviour with respx: construction, redaction of the widget key, which pushes are retried."""

from __future__ import annotations

import logging

import httpx
import pytest
import respx

from sdk import BadRequest, RetryPolicy, ServerError, ValidationError
from sdk.cyfe import AsyncCyfeClient, CyfeClient, MetricOptions

KEY = "5151e3ec53783701321099125233"
URL = f"https://app.cyfe.com/api/push/{KEY}"
FAST = RetryPolicy(base=0.001, cap=0.001)
ROW = {"Date": "20130320", "Users": 1}


def test_construction() -> None:
    assert CyfeClient(URL).base_url == "https://app.cyfe.com"
    assert CyfeClient(widget_key=KEY).widget_key == KEY
    for kwargs in ({}, {"endpoint": URL, "widget_key": KEY}, {"endpoint": URL, "base_url": "https://x"},
                   {"widget_key": "a/b"}, {"widget_key": ""}):
        with pytest.raises(ValidationError):
            CyfeClient(**kwargs)  # type: ignore[arg-type]


@respx.mock
def test_key_is_redacted_from_errors_reprs_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    respx.post(URL).respond(400, json={"status": "error", "code": 400, "message": f"bad widget {KEY}",
                                       "parameter": "data", "row": None, "field": None})
    client = CyfeClient(URL)
    caplog.set_level(logging.DEBUG, logger="analytics_api_kit")
    with pytest.raises(BadRequest) as info:
        client.push([ROW])
    assert info.value.message == "bad widget ***"
    assert KEY not in str(info.value) and KEY not in repr(client) and KEY not in caplog.text


@respx.mock
def test_a_push_that_only_replaces_is_retried_after_a_500() -> None:
    route = respx.post(URL).mock(side_effect=[httpx.Response(500, json={"message": "boom"}),
                                              httpx.Response(200, json={"status": "ok", "rows": 1})])
    CyfeClient(URL, retry=FAST).push([ROW], {"Users": MetricOptions(onduplicate="replace")})
    assert route.call_count == 2


@respx.mock
def test_a_push_that_adds_is_not_retried_after_a_500() -> None:
    route = respx.post(URL).mock(side_effect=[httpx.Response(500, json={"message": "boom"}),
                                              httpx.Response(200, json={"status": "ok", "rows": 1})])
    with pytest.raises(ServerError) as info:
        CyfeClient(URL, retry=FAST).push([ROW])
    assert route.call_count == 1 and info.value.message == "boom"


@respx.mock
async def test_async_push_retries_a_503_and_sends_json() -> None:
    route = respx.post(URL).mock(side_effect=[httpx.Response(503, text="busy"),
                                              httpx.Response(200, json={"status": "ok", "rows": 1})])
    async with AsyncCyfeClient(URL, retry=FAST) as client:
        await client.push([ROW], {"Users": MetricOptions(color="#fff")})
    assert route.call_count == 2
    assert route.calls[-1].request.read() == b'{"data":[{"Date":"20130320","Users":1}],"color":{"Users":"#fff"}}'
