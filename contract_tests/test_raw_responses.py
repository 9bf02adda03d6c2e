"""``client.with_raw_response.<call>(...)``: the parsed result with the status, headers and request id of the
successful reply, for every service, sync and async, checked against the server's journal."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from sdk import (
    AsyncCountlyClient,
    AsyncCyfeClient,
    AsyncReportsClient,
    AsyncStatHatClient,
    AsyncTaplyticsClient,
    CountlyClient,
    CyfeClient,
    Page,
    RawResponse,
    ReportsClient,
    StatHatClient,
    TaplyticsClient,
    TimeData,
    ValidationError,
)

from .conftest import Admin
from .test_reports_known import SEED

APP_ID = "0123456789abcdef01234567"
START, END = datetime(2016, 1, 1, tzinfo=UTC), datetime(2017, 1, 1, tzinfo=UTC)


def _journal_id(admin: Admin, raw: RawResponse[Any]) -> None:
    """The reply's request id is the one the server journaled for that request."""
    assert raw.status_code == 200 and raw.request_id is not None
    assert raw.headers["x-request-id"] == raw.request_id == raw.http_response.headers["x-request-id"]
    assert raw.request_id in {e["id"] for e in admin.requests()}


def test_sync_raw_responses_for_every_service(base_url: str, admin: Admin) -> None:
    with StatHatClient("dev-ezkey", base_url=f"{base_url}/stathat") as stathat:
        raw = stathat.with_raw_response.count("raw", 1)
        assert raw.parsed is None
        _journal_id(admin, raw)
    with CountlyClient(base_url=f"{base_url}/countly", api_key="dev-api-key", app_id=APP_ID) as countly:
        raw_time = countly.with_raw_response.sessions(period="30days")
        assert isinstance(raw_time.parsed, TimeData)
        _journal_id(admin, raw_time)
    with TaplyticsClient("dev-api-token", base_url=f"{base_url}/taplytics") as taplytics:
        raw_page = taplytics.with_raw_response.users.list(per_page=5)  # a resource's method
        assert isinstance(raw_page.parsed, Page)
        _journal_id(admin, raw_page)
        assert "link" in raw_page.headers or raw_page.parsed.items == []
    with CyfeClient(widget_key="dev-widget", base_url=f"{base_url}/cyfe") as cyfe:
        _journal_id(admin, cyfe.with_raw_response.push([{"Date": "20130301", "Users": 1}]))
    admin.seed({"reports": SEED})
    with ReportsClient("dev-api-token", base_url=f"{base_url}/reports") as reports:
        raw_list = reports.with_raw_response.reports_per_state(1, START, END)
        assert isinstance(raw_list.parsed, list)
        _journal_id(admin, raw_list)


async def test_async_raw_responses_for_every_service(base_url: str, admin: Admin) -> None:
    async with AsyncStatHatClient("dev-ezkey", base_url=f"{base_url}/stathat") as stathat:
        _journal_id(admin, await stathat.with_raw_response.value("raw", 2.5))
    async with AsyncCountlyClient(base_url=f"{base_url}/countly", api_key="dev-api-key", app_id=APP_ID) as countly:
        raw = await countly.with_raw_response.events(period="7days")
        assert isinstance(raw.parsed, TimeData)
        _journal_id(admin, raw)
    async with AsyncTaplyticsClient("dev-api-token", base_url=f"{base_url}/taplytics") as taplytics:
        _journal_id(admin, await taplytics.with_raw_response.experiments.list())
    async with AsyncCyfeClient(widget_key="dev-widget", base_url=f"{base_url}/cyfe") as cyfe:
        _journal_id(admin, await cyfe.with_raw_response.push([{"Date": "20130301", "Users": 1}]))
    admin.seed({"reports": SEED})
    async with AsyncReportsClient("dev-api-token", base_url=f"{base_url}/reports") as reports:
        _journal_id(admin, await reports.with_raw_response.reports_per_user(1, START, END))


def test_raw_response_of_a_failed_call_is_the_error(base_url: str, admin: Admin) -> None:
    from sdk import Unauthorized

    with StatHatClient("no-such-ezkey", base_url=f"{base_url}/stathat") as stathat, \
            pytest.raises(Unauthorized) as info:
        stathat.with_raw_response.count("raw")
    assert info.value.request_id in {e["id"] for e in admin.requests()}


def test_raw_response_needs_a_call_that_sends(base_url: str, admin: Admin) -> None:
    with TaplyticsClient("dev-api-token", base_url=f"{base_url}/taplytics") as taplytics, \
            pytest.raises(ValidationError, match="sent no request"):
        taplytics.with_raw_response.users.iter()  # lazy: nothing sent yet


def test_raw_calls_do_not_change_the_client(base_url: str, admin: Admin) -> None:
    with StatHatClient("dev-ezkey", base_url=f"{base_url}/stathat") as stathat:
        stathat.with_raw_response.count("raw")
        assert stathat._raw_sink is None
        assert stathat.count("raw") is None  # the plain call still answers the plain result
