"""``client.with_raw_response.<call>(...)``: the parsed result with the status, headers and request id of the
successful reply, for every service, sync and async, checked against the server's journal."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from sdk import (
    AdminClient,
    AsyncCountlyClient,
    AsyncCyfeClient,
    AsyncReportsClient,
    AsyncStatHatClient,
    AsyncTaplyticsClient,
    CountlyClient,
    CyfeClient,
    NotFound,
    Page,
    RawResponse,
    ReportsClient,
    StatHatClient,
    TaplyticsClient,
    TimeData,
    ValidationError,
)
from sdk._client import _RECORDING
from sdk.taplytics import Event, User

from .test_reports_known import SEED

APP_ID = "0123456789abcdef01234567"
START, END = datetime(2016, 1, 1, tzinfo=UTC), datetime(2017, 1, 1, tzinfo=UTC)


def _journal_id(admin: AdminClient, raw: RawResponse[Any]) -> None:
    """The reply's request id is the one the server journaled for that request."""
    assert raw.status_code == 200 and raw.request_id is not None
    assert raw.headers["x-request-id"] == raw.request_id == raw.http_response.headers["x-request-id"]
    assert raw.request_id in {e["id"] for e in admin.requests.list(limit=1000)}


def test_sync_raw_responses_for_every_service(base_url: str, admin: AdminClient) -> None:
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


async def test_async_raw_responses_for_every_service(base_url: str, admin: AdminClient) -> None:
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


def test_raw_response_of_a_failed_call_is_the_error(base_url: str, admin: AdminClient) -> None:
    from sdk import Unauthorized

    with StatHatClient("no-such-ezkey", base_url=f"{base_url}/stathat") as stathat, \
            pytest.raises(Unauthorized) as info:
        stathat.with_raw_response.count("raw")
    assert info.value.request_id in {e["id"] for e in admin.requests.list(limit=1000)}


def test_raw_response_needs_a_call_that_sends(base_url: str, admin: AdminClient) -> None:
    with TaplyticsClient("dev-api-token", base_url=f"{base_url}/taplytics") as taplytics, \
            pytest.raises(ValidationError, match="sent no request"):
        taplytics.with_raw_response.events.send("s1", [])  # no event: nothing sent


def test_raw_calls_do_not_change_the_client(base_url: str, admin: AdminClient) -> None:
    with StatHatClient("dev-ezkey", base_url=f"{base_url}/stathat") as stathat:
        raw = stathat.with_raw_response.count("raw")
        assert _RECORDING.get() is None  # nothing left recording after the call
        assert stathat.count("raw") is None  # the plain call still answers the plain result
        assert stathat.with_raw_response.count("raw").request_id != raw.request_id


def test_raw_resource_calls_sync_and_the_read_back(base_url: str, admin: AdminClient) -> None:
    with TaplyticsClient("dev-api-token", base_url=f"{base_url}/taplytics") as taplytics:
        saved = taplytics.with_raw_response.users.save({"user_id": "raw-u1", "custom_data": {"plan": "pro"}})
        assert isinstance(saved.parsed, User) and saved.parsed.user_id == "raw-u1"
        _journal_id(admin, saved)
        got = taplytics.with_raw_response.users.get(user_id="raw-u1")
        assert got.parsed.custom_data == {"plan": "pro"} and got.parsed.id == saved.parsed.id
        _journal_id(admin, got)
        assert got.request_id != saved.request_id
        assert got.headers["content-type"].startswith("application/json")
        with pytest.raises(NotFound):  # an error is raised as the call raises it, never wrapped
            taplytics.with_raw_response.users.get(user_id="nobody")
    with CountlyClient(base_url=f"{base_url}/countly", app_key="dev-app-key", device_id="raw-d1",
                       api_key="dev-api-key", app_id=APP_ID) as countly:
        _journal_id(admin, countly.with_raw_response.begin_session())
        raw_users = countly.with_raw_response.total_users(period="30days")
        assert raw_users.parsed == 1
        _journal_id(admin, raw_users)


async def test_raw_resource_calls_async_concurrently(base_url: str, admin: AdminClient) -> None:
    async with AsyncTaplyticsClient("dev-api-token", base_url=f"{base_url}/taplytics") as taplytics:
        saved = [await taplytics.with_raw_response.users.save({"user_id": f"raw-a{i}", "age": 20 + i})
                 for i in range(4)]
        raw = taplytics.with_raw_response
        got = await asyncio.gather(*(raw.users.get(user_id=f"raw-a{i}") for i in range(4)))
        # Concurrent calls each answer their own response: the one of their own request.
        assert [g.parsed.age for g in got] == [20, 21, 22, 23]
        assert len({g.request_id for g in got}) == 4
        for g, s in zip(got, saved, strict=True):
            assert g.parsed.id == s.parsed.id
            _journal_id(admin, g)
        journal = {e["id"]: e for e in admin.requests.list(limit=1000)}
        assert [journal[g.request_id]["path"] for g in got] == ["/taplytics/v2/users"] * 4
        pushed = await taplytics.with_raw_response.events.post("s1", [Event("raw")])
        assert pushed.parsed is None
        _journal_id(admin, pushed)


def test_concurrent_sync_raw_calls_from_threads_do_not_mix(base_url: str, admin: AdminClient) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with StatHatClient("dev-ezkey", base_url=f"{base_url}/stathat") as stathat:
        with ThreadPoolExecutor(4) as pool:
            raws = list(pool.map(lambda i: stathat.with_raw_response.value(f"raw-{i}", i), range(8)))
        journal = {e["id"]: e for e in admin.requests.list(limit=100)}
        assert len({r.request_id for r in raws}) == 8
        assert all(r.request_id in journal for r in raws)


#: What sends nothing at once (lazy iterators, batchers, a session's thread) or is no call of the API.
NOT_RAW = {"batcher", "session", "record_event", "flush", "iter", "iter_by_token"}
CLIENT_ONLY = {"send", "close", "aclose", "with_options", "with_raw_response", "build_request", "check_response",
               "error_message", "make_error", "status_in_body", "transport_error", "describe"}
RESOURCES = ("users", "experiments", "events", "push")


def _calls(obj: object, skip: set[str] = NOT_RAW) -> set[str]:
    return {n for n in dir(obj) if not n.startswith("_") and n not in skip and n not in RESOURCES
            and callable(getattr(obj, n))}


@pytest.mark.parametrize("make", [
    lambda: StatHatClient("k"), lambda: AsyncStatHatClient("k"),
    lambda: CountlyClient(base_url="http://127.0.0.1:1", app_key="k", device_id="d"),
    lambda: AsyncCountlyClient(base_url="http://127.0.0.1:1", app_key="k", device_id="d"),
    lambda: CyfeClient(widget_key="w", base_url="http://127.0.0.1:1"),
    lambda: AsyncCyfeClient(widget_key="w", base_url="http://127.0.0.1:1"),
    lambda: ReportsClient("t", base_url="http://127.0.0.1:1"),
    lambda: AsyncReportsClient("t", base_url="http://127.0.0.1:1"),
    lambda: TaplyticsClient("t", base_url="http://127.0.0.1:1"),
    lambda: AsyncTaplyticsClient("t", base_url="http://127.0.0.1:1"),
])
def test_every_call_of_every_client_has_its_raw_twin(make: Any) -> None:
    """The views are derived, not hand-copied: each call mirrored, with its signature and its flavour."""
    import inspect

    client = make()
    view = client.with_raw_response
    pairs = [(client, view, NOT_RAW | CLIENT_ONLY)]
    pairs += [(getattr(client, r), getattr(view, r), NOT_RAW) for r in RESOURCES if hasattr(client, r)]
    for owner, twin, skip in pairs:
        assert _calls(twin) == _calls(owner, skip), type(owner).__name__
        for name in _calls(twin):
            assert inspect.signature(getattr(twin, name)) == inspect.signature(getattr(owner, name))
            assert inspect.iscoroutinefunction(getattr(twin, name)) == \
                inspect.iscoroutinefunction(getattr(owner, name))
