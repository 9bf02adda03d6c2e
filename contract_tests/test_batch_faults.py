"""Every batcher under faults armed on the server (``/_admin/faults``), sync and async.

For each: what the server holds plus what reached ``on_error`` is every item added; no item is held twice;
an item in both was reported ``maybe_applied``; an item reported as certainly not applied is not held.
Each fault also checks the outcome it must have (a 503 is retried and delivered; a 429 asking for longer
than the SDK waits is refused; a write held past the client's timeout, or whose connection drops after the
server applied it, is reported as maybe applied; a ``close`` whose deadline ends a ``Retry-After`` wait
reports its items as not sent before the deadline).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from contract_tests.test_countly_support import API_KEY, APP_ID, APP_KEY, freeze
from sdk import (
    AdminClient,
    AsyncCyfeClient,
    AsyncStatHatClient,
    AsyncTaplyticsClient,
    BadRequest,
    BatchConfig,
    CyfeClient,
    RetryPolicy,
    SDKError,
    Stat,
    StatHatClient,
    TaplyticsClient,
)
from sdk import countly as countly_sdk
from sdk import taplytics as taplytics_sdk

N = 20  # items a test adds: two batches of 10
CONFIG = BatchConfig(max_items=10, interval=0.05)
RETRY = RetryPolicy(base=0.01, jitter=0, max_attempts=3)
T0 = 1362772440
COUNTLY_DAY = date(2024, 3, 15)
Errors = list[tuple[BaseException, list[Any]]]


@dataclass(frozen=True)
class Fault:
    name: str
    spec: dict[str, Any]
    timeout: float = 10.0
    close_timeout: float = 10.0


FAULTS = [
    Fault("503", {"status": 503}),
    Fault("429 Retry-After 0.2", {"status": 429, "headers": {"Retry-After": "0.2"}}),
    Fault("429 Retry-After 120", {"status": 429, "headers": {"Retry-After": "120"}}),
    Fault("held past the timeout", {"status": None, "delay": 1.5}, timeout=0.4),
    Fault("dropped before applying", {"kind": "reset"}),
    Fault("dropped after applying", {"kind": "reset_after"}),
    Fault("close deadline in a Retry-After wait", {"status": 429, "headers": {"Retry-After": "5"}}, close_timeout=0.6),
]


@dataclass(frozen=True)
class Service:
    name: str
    path: str
    items: Callable[[], list[Any]]
    key: Callable[[Any], str]
    held: Callable[[AdminClient, str], Counter[str]]
    run: Callable[[str, Fault, Errors], None]
    arun: Callable[[str, Fault, Errors], Awaitable[None]]


# -- StatHat: JSON batches, one stat an item -------------------------------------------------------
def _stathat_items() -> list[Stat]:
    return [Stat(f"fault {i}", count=1, t=T0) for i in range(N)]


def _stathat_held(admin: AdminClient, base: str) -> Counter[str]:
    stats = admin.stathat.stats("dev-ezkey")
    return Counter({s["name"]: int(sum(p["count"] for p in s["points"])) for s in stats
                    if s["name"].startswith("fault ")})


def _stathat_run(base: str, fault: Fault, errors: Errors) -> None:
    with StatHatClient("dev-ezkey", base_url=f"{base}/stathat", timeout=fault.timeout, retry=RETRY) as c:
        b = c.batcher(CONFIG, on_error=lambda e, items: errors.append((e, items)))
        for item in _stathat_items():
            b.add(item)
        b.close(fault.close_timeout)


async def _stathat_arun(base: str, fault: Fault, errors: Errors) -> None:
    async with AsyncStatHatClient("dev-ezkey", base_url=f"{base}/stathat", timeout=fault.timeout, retry=RETRY) as c:
        b = c.batcher(CONFIG, on_error=lambda e, items: errors.append((e, items)))
        for item in _stathat_items():
            await b.add(item)
        await b.aclose(fault.close_timeout)


# -- Countly: events, one segment value an item -----------------------------------------------------
def _countly_items() -> list[countly_sdk.Event]:
    return [countly_sdk.Event("fault", segmentation={"item": f"i{i}"}) for i in range(N)]


def _countly_held(admin: AdminClient, base: str) -> Counter[str]:
    with countly_sdk.CountlyClient(base_url=f"{base}/countly", api_key=API_KEY, app_id=APP_ID) as c:
        data = c.events("fault", segmentation="item")
    return Counter({f"i{i}": int(data.day("c", COUNTLY_DAY, value=f"i{i}")) for i in range(N)
                    if data.day("c", COUNTLY_DAY, value=f"i{i}")})


def _countly_run(base: str, fault: Fault, errors: Errors) -> None:
    with countly_sdk.CountlyClient(base_url=f"{base}/countly", app_key=APP_KEY, device_id="faults", batch=CONFIG,
                                   on_error=lambda e, items: errors.append((e, items)), timeout=fault.timeout,
                                   retry=RETRY) as c:
        for item in _countly_items():
            c.record_event(item)
        c.events_batcher.close(fault.close_timeout)


async def _countly_arun(base: str, fault: Fault, errors: Errors) -> None:
    async with countly_sdk.AsyncCountlyClient(
            base_url=f"{base}/countly", app_key=APP_KEY, device_id="faults", batch=CONFIG,
            on_error=lambda e, items: errors.append((e, items)), timeout=fault.timeout, retry=RETRY) as c:
        for item in _countly_items():
            await c.record_event(item)
        await c.events_batcher.aclose(fault.close_timeout)


# -- Taplytics: events, one name an item --------------------------------------------------------------
def _taplytics_items() -> list[taplytics_sdk.Event]:
    return [taplytics_sdk.Event(f"fault-{i}") for i in range(N)]


def _taplytics_held(admin: AdminClient, base: str) -> Counter[str]:
    return Counter(e["name"] for e in admin.taplytics.events())


def _taplytics_run(base: str, fault: Fault, errors: Errors) -> None:
    with TaplyticsClient("dev-api-token", base_url=f"{base}/taplytics", timeout=fault.timeout, retry=RETRY) as c:
        b = c.events.batcher("session-1", CONFIG, on_error=lambda e, items: errors.append((e, items)))
        for item in _taplytics_items():
            b.add(item)
        b.close(fault.close_timeout)


async def _taplytics_arun(base: str, fault: Fault, errors: Errors) -> None:
    async with AsyncTaplyticsClient("dev-api-token", base_url=f"{base}/taplytics", timeout=fault.timeout,
                                    retry=RETRY) as c:
        b = c.events.batcher("session-1", CONFIG, on_error=lambda e, items: errors.append((e, items)))
        for item in _taplytics_items():
            await b.add(item)
        await b.aclose(fault.close_timeout)


# -- Cyfe: rows, one date an item (Users 1: a value of 2 is a duplicate) ---------------------------------
def _cyfe_items() -> list[dict[str, Any]]:
    return [{"Date": date(2013, 3, 1) + timedelta(days=i), "Users": 1} for i in range(N)]


def _cyfe_key(row: Any) -> str:
    day = row["Date"]
    return day.strftime("%Y%m%d") if isinstance(day, date) else str(day)


def _cyfe_held(admin: AdminClient, base: str) -> Counter[str]:
    return Counter({r["Date"]: int(r["Users"]) for r in admin.cyfe.widget("dev-widget")["rows"]})


def _cyfe_run(base: str, fault: Fault, errors: Errors) -> None:
    with CyfeClient(widget_key="dev-widget", base_url=f"{base}/cyfe", timeout=fault.timeout, retry=RETRY) as c:
        b = c.batcher(config=CONFIG, on_error=lambda e, items: errors.append((e, items)))
        for item in _cyfe_items():
            b.add(item)
        b.close(fault.close_timeout)


async def _cyfe_arun(base: str, fault: Fault, errors: Errors) -> None:
    async with AsyncCyfeClient(widget_key="dev-widget", base_url=f"{base}/cyfe", timeout=fault.timeout,
                               retry=RETRY) as c:
        b = c.batcher(config=CONFIG, on_error=lambda e, items: errors.append((e, items)))
        for item in _cyfe_items():
            await b.add(item)
        await b.aclose(fault.close_timeout)


SERVICES = [
    Service("stathat", "/stathat/ez", _stathat_items, lambda s: s.stat, _stathat_held, _stathat_run,
            _stathat_arun),
    Service("countly", "/countly/i", _countly_items, lambda e: e.segmentation["item"], _countly_held,
            _countly_run, _countly_arun),
    Service("taplytics", "/taplytics/v2/events", _taplytics_items, lambda e: e.name, _taplytics_held,
            _taplytics_run, _taplytics_arun),
    Service("cyfe", "/cyfe/api/push/", _cyfe_items, _cyfe_key, _cyfe_held, _cyfe_run, _cyfe_arun),
]


def _arm(admin: AdminClient, service: Service, fault: Fault) -> None:
    try:
        admin.faults.add(service.path, times=1, **fault.spec)
    except BadRequest as exc:
        if "kind" not in fault.spec:
            raise
        pytest.skip(f"this server's /_admin/faults has no kind {fault.spec['kind']!r}: {exc}")


def _settle(admin: AdminClient, service: Service) -> None:
    """Wait until the server has answered the batch the fault hit (a held one lands late: the journal records a
    request once answered) and every batch's first attempt. Counting first attempts alone is not enough: under load
    the batcher's interval can cut more, smaller batches, whose count reaches N // max_items before the held one
    is answered."""
    deadline = time.monotonic() + 15
    while True:
        entries = admin.requests.list(path=service.path, limit=1000)
        hit = any(e.get("fault") for e in entries) or not any("fault" in e for e in entries)  # an older server
        if hit and len([e for e in entries if e["retry_count"] == "0"]) >= N // CONFIG.max_items:
            return
        assert time.monotonic() < deadline, "the server did not answer every batch"
        time.sleep(0.05)


def _check(service: Service, fault: Fault, held: Counter[str], errors: Errors) -> None:
    added = [service.key(i) for i in service.items()]
    reported = Counter(service.key(i) for _, items in errors for i in items)
    maybe = {service.key(i) for e, items in errors if isinstance(e, SDKError) and e.maybe_applied for i in items}
    # The invariants: all accounted for, nothing twice, an item in both flagged maybe applied.
    assert set(held) | set(reported) == set(added), (held, reported)
    assert set(held) <= set(added) and all(n == 1 for n in held.values()), f"duplicates at the server: {held}"
    assert all(n == 1 for n in reported.values()), f"reported twice: {reported}"
    assert set(held) & set(reported) <= maybe, "an item the server holds was reported as certainly not applied"
    for exc, _ in errors:
        assert isinstance(exc, SDKError) and exc.reason in ("not sent before the deadline", "maybe applied",
                                                            "refused")
        assert exc.attempts or exc.reason == "not sent before the deadline"
    # What each fault must lead to.
    reasons = {e.reason for e, _ in errors if isinstance(e, SDKError)}
    first = set(added[:CONFIG.max_items])
    if fault.name in ("503", "429 Retry-After 0.2"):
        assert errors == [] and set(held) == set(added)
    elif fault.name == "429 Retry-After 120":
        assert reasons == {"refused"} and set(reported) == first and set(held) == set(added) - first
    elif fault.name == "close deadline in a Retry-After wait":
        # The SDK gives up at once when the wait would end past the deadline (the next batch may still go).
        assert reasons == {"not sent before the deadline"} and first <= set(reported) and not first & set(held)
    else:
        assert "maybe applied" in reasons and first <= maybe
        if fault.name == "dropped before applying":
            assert not first & set(held)
        else:  # held past the timeout, dropped after applying: the server has them, reported as maybe
            assert first <= set(held)


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_sync_batcher_accounts_for_every_item(base_url: str, admin: AdminClient, service: Service, fault: Fault,
                                              ) -> None:
    freeze(admin)
    _arm(admin, service, fault)
    errors: Errors = []
    service.run(base_url, fault, errors)
    if fault.close_timeout >= 10:
        _settle(admin, service)
    _check(service, fault, service.held(admin, base_url), errors)


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
async def test_async_batcher_accounts_for_every_item(base_url: str, admin: AdminClient, service: Service,
                                                     fault: Fault) -> None:
    freeze(admin)
    _arm(admin, service, fault)
    errors: Errors = []
    await service.arun(base_url, fault, errors)
    if fault.close_timeout >= 10:
        await asyncio.to_thread(_settle, admin, service)
    _check(service, fault, service.held(admin, base_url), errors)


def test_close_returns_at_its_deadline_with_nothing_unaccounted(base_url: str, admin: AdminClient) -> None:
    """The issue's case: a batch waiting out a Retry-After when close(timeout) is called."""
    admin.faults.add(path="/stathat/ez", status=429, headers={"Retry-After": "30"}, times=1)
    errors: Errors = []
    with StatHatClient("dev-ezkey", base_url=f"{base_url}/stathat") as c:
        b = c.batcher(BatchConfig(max_items=100), on_error=lambda e, items: errors.append((e, items)))
        for item in [Stat(f"s{i}", count=1, t=T0) for i in range(100)]:
            b.add(item)
        started = time.monotonic()
        result = b.close(timeout=0.5)
        assert time.monotonic() - started < 5  # not the 30 s the server asked for
    assert (result.delivered, result.failed, result.pending) == (0, 100, 0)
    assert sum(len(items) for _, items in errors) == 100
    assert all(isinstance(e, SDKError) and e.reason == "not sent before the deadline" for e, _ in errors)
    assert not [s for s in admin.stathat.stats("dev-ezkey") if s["name"].startswith("s")]




@pytest.mark.parametrize(("kind", "applied"), [("reset", False), ("reset_after", True)])
def test_a_dropped_connection_fault_drops_before_or_after_applying(base_url: str, admin: AdminClient, kind: str,
                                                                   applied: bool) -> None:
    import httpx

    _arm(admin, SERVICES[0], Fault(kind, {"kind": kind}))
    with pytest.raises(httpx.RemoteProtocolError):  # no reply at all
        httpx.post(f"{base_url}/stathat/ez", data={"ezkey": "dev-ezkey", "stat": "dropped", "count": "1"})
    names = {s["name"] for s in admin.stathat.stats("dev-ezkey")}
    assert ("dropped" in names) is applied
    ok = httpx.post(f"{base_url}/stathat/ez", data={"ezkey": "dev-ezkey", "stat": "after", "count": "1"})
    assert ok.status_code == 200  # one request only (times=1)


def test_a_server_without_a_socket_cannot_drop_and_says_so() -> None:
    from mock_server import create_app

    client = create_app().test_client()
    assert client.post("/_admin/faults", json={"path": "/stathat/ez", "kind": "reset"}).status_code == 201
    reply = client.post("/stathat/ez", data={"ezkey": "dev-ezkey", "stat": "x", "count": "1"})
    assert reply.status_code == 500 and "cannot drop a connection" in reply.get_data(as_text=True)
    refused = client.post("/_admin/faults", json={"path": "/x", "kind": "explode"})
    assert refused.status_code == 400 and "kind" in refused.get_data(as_text=True)
