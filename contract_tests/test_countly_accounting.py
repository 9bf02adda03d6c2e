"""Countly: a heartbeat that may have been applied is never resent; reads that cannot answer say so."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date

import pytest

from contract_tests.test_countly_support import API_KEY, APP_ID, APP_KEY, freeze
from sdk import AdminClient, RateLimited, RetryPolicy, ValidationError
from sdk._batching import BatchConfig
from sdk.countly import AsyncCountlyClient, CountlyClient, Event

TODAY = date(2024, 3, 15)
MANUAL = BatchConfig(background=False)
FAST = RetryPolicy(base=0.01, jitter=0)
#: The issue's case: a heartbeat retried after a timeout (the caller opted writes into retries).
RETRIED = RetryPolicy(base=0.01, jitter=0, retry_writes=True)


def _wait_for(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not check():
        assert time.monotonic() < deadline, "condition not reached in 10 s"
        time.sleep(0.02)


def _arm_timeout_then_rate_limit(admin: AdminClient) -> None:
    # The first attempt is held past the client's timeout, then applied; the retry is refused with a
    # Retry-After longer than the SDK waits (so it raises RateLimited, which alone says "not applied").
    admin.faults.add(path="/countly/i", status=None, delay=0.6, times=1)
    admin.faults.add(path="/countly/i", status=429, headers={"Retry-After": "120"}, times=1)


def _held_write_landed(admin: AdminClient) -> bool:
    return len([r for r in admin.requests.list(path="/countly/i", limit=1000) if r["path"] == "/countly/i"]) >= 3


def test_a_heartbeat_that_may_have_been_applied_is_not_sent_again(base_url: str, admin: AdminClient) -> None:
    freeze(admin)
    with CountlyClient(base_url=f"{base_url}/countly", app_key=APP_KEY, device_id="hb", api_key=API_KEY,
                       app_id=APP_ID, timeout=0.3, retry=RETRIED, batch=MANUAL) as c:
        session = c.session()
        with session:
            _arm_timeout_then_rate_limit(admin)
            session._mark -= 3  # 3 s of session
            with pytest.raises(RateLimited) as info:
                session.extend()
            exc = info.value
            assert exc.maybe_applied and exc.reason == "maybe applied"
            assert [type(e).__name__ for e in exc.attempts] == ["APITimeoutError", "RateLimited"]
            _wait_for(lambda: _held_write_landed(admin))  # begin, the held heartbeat, its refused retry
            session._mark -= 5.2  # 5.2 s more before the end
        sessions = c.with_options(timeout=10).sessions()
    assert sessions.day("d", TODAY) == 8  # 3 + 5, never 3 + 3 + 5


async def test_async_heartbeat_that_may_have_been_applied_is_not_sent_again(base_url: str, admin: AdminClient) -> None:
    freeze(admin)
    async with AsyncCountlyClient(base_url=f"{base_url}/countly", app_key=APP_KEY, device_id="hb", api_key=API_KEY,
                                  app_id=APP_ID, timeout=0.3, retry=RETRIED, batch=MANUAL) as c:
        session = c.session()
        async with session:
            _arm_timeout_then_rate_limit(admin)
            session._mark -= 3
            with pytest.raises(RateLimited) as info:
                await session.extend()
            assert info.value.maybe_applied
            _wait_for(lambda: _held_write_landed(admin))
            session._mark -= 5.2
        sessions = await c.with_options(timeout=10).sessions()
    assert sessions.day("d", TODAY) == 8


def test_a_heartbeat_certainly_refused_is_carried_to_the_next(base_url: str, admin: AdminClient) -> None:
    freeze(admin)
    with CountlyClient(base_url=f"{base_url}/countly", app_key=APP_KEY, device_id="hb", api_key=API_KEY,
                       app_id=APP_ID, retry=FAST, batch=MANUAL) as c:
        with c.session() as session:
            admin.faults.add(path="/countly/i", status=429, headers={"Retry-After": "120"}, times=1)
            session._mark -= 3
            with pytest.raises(RateLimited) as info:
                session.extend()
            assert not info.value.maybe_applied and info.value.reason == "refused"
            session._mark -= 5.2
        assert c.sessions().day("d", TODAY) == 8  # the refused 3 s went with the end


def _seed_events(c: CountlyClient) -> None:
    c.record_event(Event("purchase", 2, segmentation={"plan": "pro"}))
    c.record_event(Event("purchase", 1, segmentation={"plan": "basic"}))
    c.flush()


def test_event_reads_that_cannot_answer_raise(base_url: str, admin: AdminClient) -> None:
    freeze(admin)
    with CountlyClient(base_url=f"{base_url}/countly", app_key=APP_KEY, device_id="r", api_key=API_KEY,
                       app_id=APP_ID, batch=MANUAL) as c:
        _seed_events(c)
        plain = c.events("purchase")
        by_plan = c.events("purchase", segmentation="plan")
        assert plain.day("c", TODAY) == 3 and by_plan.day("c", TODAY, value="pro") == 2  # the good questions
        with pytest.raises(ValidationError, match="needs a segmented read"):
            plain.day("c", TODAY, value="pro")
        with pytest.raises(ValidationError, match="segmented by 'plan'"):
            by_plan.day("c", TODAY)
        with pytest.raises(ValidationError, match="segmented by 'plan'"):
            by_plan.total("c", [TODAY])
        assert c.sessions().day("t", TODAY, value="nowhere") == 0  # a bucket with nothing is a real 0


async def test_async_event_reads_that_cannot_answer_raise(base_url: str, admin: AdminClient) -> None:
    freeze(admin)
    async with AsyncCountlyClient(base_url=f"{base_url}/countly", app_key=APP_KEY, device_id="r", api_key=API_KEY,
                                  app_id=APP_ID, batch=MANUAL) as c:
        await c.record_event(Event("purchase", 2, segmentation={"plan": "pro"}))
        await c.flush()
        with pytest.raises(ValidationError, match="needs a segmented read"):
            (await c.events("purchase")).day("c", TODAY, value="pro")
        assert (await c.events("purchase", segmentation="plan")).day("c", TODAY, value="pro") == 2


@pytest.mark.parametrize("period", ["bogus", "30day", "0days", "", (5, 1), (1,)])
def test_a_period_the_server_would_read_as_30_days_is_refused(base_url: str, admin: AdminClient, period: object,
                                                              ) -> None:
    with CountlyClient(base_url=f"{base_url}/countly", api_key=API_KEY, app_id=APP_ID) as c, \
            pytest.raises(ValidationError, match="period"):
        c.sessions(period=period)  # type: ignore[arg-type]
    assert admin.requests.list(path="/countly/o", limit=1000) == []  # refused before sending


@pytest.mark.parametrize("period", ["hour", "yesterday", "7days", "45days", "2weeks", "3months", (0, 1)])
def test_the_periods_countly_knows_are_sent(base_url: str, admin: AdminClient, period: object) -> None:
    with CountlyClient(base_url=f"{base_url}/countly", api_key=API_KEY, app_id=APP_ID) as c:
        assert c.sessions(period=period).empty  # type: ignore[arg-type]


def test_by_default_a_heartbeat_that_timed_out_is_neither_retried_nor_resent(base_url: str, admin: AdminClient) -> None:
    from sdk import APITimeoutError

    freeze(admin)
    with CountlyClient(base_url=f"{base_url}/countly", app_key=APP_KEY, device_id="hb", api_key=API_KEY,
                       app_id=APP_ID, timeout=0.3, retry=FAST, batch=MANUAL) as c:
        with c.session() as session:
            admin.faults.add(path="/countly/i", status=None, delay=0.6, times=1)
            session._mark -= 3
            with pytest.raises(APITimeoutError) as info:
                session.extend()
            assert info.value.maybe_applied and len(info.value.attempts) == 1
            _wait_for(lambda: len([r for r in admin.requests.list(path="/countly/i", limit=1000)
                                   if r["path"] == "/countly/i"]) >= 2)
            session._mark -= 5.2
        assert c.with_options(timeout=10).sessions().day("d", TODAY) == 8
