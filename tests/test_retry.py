"""The retry policy through a real client, with respx standing in for the server."""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Iterator

import httpx
import pytest
import respx

from sdk import (
    APITimeoutError,
    AsyncStatHatClient,
    RateLimited,
    RetryPolicy,
    ServerError,
    StatHatClient,
    TransportError,
    parse_retry_after,
)

BASE = "https://stathat.test"
OK = httpx.Response(200, json={"status": 200, "msg": "ok"})


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Every wait the retry loop asks for, without waiting."""
    waits: list[float] = []

    async def fake_async_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(time, "sleep", waits.append)
    monkeypatch.setattr(asyncio, "sleep", fake_async_sleep)
    yield waits


def client(**kwargs: object) -> StatHatClient:
    return StatHatClient("secret-ezkey", base_url=BASE, **kwargs)  # type: ignore[arg-type]


@respx.mock
def test_429_with_retry_after_seconds_is_honoured(sleeps: list[float]) -> None:
    route = respx.post(f"{BASE}/ez").mock(side_effect=[httpx.Response(429, headers={"Retry-After": "3"}), OK])
    client().count("x")
    assert route.call_count == 2
    assert sleeps == [3.0]
    assert [c.request.headers["X-Retry-Count"] for c in route.calls] == ["0", "1"]


@respx.mock
def test_429_with_retry_after_http_date_is_honoured(sleeps: list[float]) -> None:
    when = email.utils.formatdate(time.time() + 5, usegmt=True)
    route = respx.post(f"{BASE}/ez").mock(side_effect=[httpx.Response(429, headers={"Retry-After": when}), OK])
    client().count("x")
    assert route.call_count == 2
    assert len(sleeps) == 1 and 3.0 <= sleeps[0] <= 5.0


@respx.mock
def test_retry_after_above_the_cap_raises_rate_limited_at_once(sleeps: list[float]) -> None:
    route = respx.post(f"{BASE}/ez").mock(return_value=httpx.Response(429, headers={"Retry-After": "600"}))
    with pytest.raises(RateLimited) as info:
        client(retry=RetryPolicy(max_retry_after=30)).count("x")
    assert info.value.retry_after == 600
    assert route.call_count == 1 and sleeps == []


@respx.mock
def test_503_is_retried_with_jittered_exponential_backoff(sleeps: list[float]) -> None:
    route = respx.post(f"{BASE}/ez").mock(side_effect=[httpx.Response(503), httpx.Response(503), OK])
    client(retry=RetryPolicy(max_attempts=3, base=1.0, cap=10.0, jitter=0.25)).count("x")
    assert route.call_count == 3
    assert 0.75 <= sleeps[0] <= 1.0 and 1.5 <= sleeps[1] <= 2.0


@respx.mock
def test_gives_up_after_max_attempts(sleeps: list[float]) -> None:
    route = respx.post(f"{BASE}/ez").mock(return_value=httpx.Response(503))
    with pytest.raises(ServerError) as info:
        client(retry=RetryPolicy(max_attempts=4)).count("x")
    assert info.value.status == 503
    assert route.call_count == 4 and len(sleeps) == 3


@respx.mock
def test_backoff_is_capped(sleeps: list[float]) -> None:
    respx.post(f"{BASE}/ez").mock(return_value=httpx.Response(503))
    with pytest.raises(ServerError):
        client(retry=RetryPolicy(max_attempts=6, base=1.0, cap=2.0, jitter=0)).count("x")
    assert sleeps == [1.0, 2.0, 2.0, 2.0, 2.0]


@respx.mock
def test_connect_error_is_retried_even_for_a_write(sleeps: list[float]) -> None:
    route = respx.post(f"{BASE}/ez").mock(side_effect=[httpx.ConnectError("refused"), OK])
    client().count("x")
    assert route.call_count == 2


@respx.mock
def test_read_timeout_on_a_counter_post_is_not_retried_by_default(sleeps: list[float]) -> None:
    route = respx.post(f"{BASE}/ez").mock(side_effect=[httpx.ReadTimeout("slow"), OK])
    with pytest.raises(APITimeoutError) as info:
        client().count("x")
    assert info.value.sent is True
    assert route.call_count == 1 and sleeps == []


@respx.mock
def test_read_timeout_is_retried_when_the_caller_opts_in(sleeps: list[float]) -> None:
    route = respx.post(f"{BASE}/ez").mock(side_effect=[httpx.ReadTimeout("slow"), OK])
    client(retry=RetryPolicy(retry_writes=True)).count("x")
    assert route.call_count == 2


@respx.mock
def test_500_after_a_write_is_not_retried_by_default(sleeps: list[float]) -> None:
    route = respx.post(f"{BASE}/ez").mock(side_effect=[httpx.Response(500), OK])
    with pytest.raises(ServerError):
        client().count("x")
    assert route.call_count == 1


@respx.mock
def test_idempotent_get_is_retried_on_500_and_read_timeout(sleeps: list[float]) -> None:
    from sdk import Request

    route = respx.get(f"{BASE}/thing").mock(side_effect=[httpx.Response(500), httpx.ReadTimeout("x"), OK])
    c = client()
    assert c.send(Request("GET", "/thing")).status_code == 200
    assert route.call_count == 3


@respx.mock
def test_total_time_cap_stops_retries(sleeps: list[float], monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter(range(0, 1000, 40))
    monkeypatch.setattr(time, "monotonic", lambda: float(next(clock)))
    route = respx.post(f"{BASE}/ez").mock(return_value=httpx.Response(503))
    with pytest.raises(ServerError):
        client(retry=RetryPolicy(max_attempts=10, max_total=60)).count("x")
    assert route.call_count < 10


@respx.mock
def test_transport_error_message_has_no_secret(sleeps: list[float]) -> None:
    respx.post(f"{BASE}/ez").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(TransportError) as info:
        client(retry=RetryPolicy(max_attempts=1)).count("x")
    assert "secret-ezkey" not in str(info.value)


@respx.mock
async def test_async_retries_match_sync(sleeps: list[float]) -> None:
    route = respx.post(f"{BASE}/ez").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "2"}), httpx.ConnectError("x"), OK])
    async with AsyncStatHatClient("secret-ezkey", base_url=BASE) as c:
        await c.count("x")
    assert route.call_count == 3
    assert sleeps[0] == 2.0


@respx.mock
async def test_async_read_timeout_on_write_not_retried(sleeps: list[float]) -> None:
    route = respx.post(f"{BASE}/ez").mock(side_effect=[httpx.ReadTimeout("slow"), OK])
    async with AsyncStatHatClient("secret-ezkey", base_url=BASE) as c:
        with pytest.raises(APITimeoutError):
            await c.count("x")
    assert route.call_count == 1


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("3", 3.0),
        ("1.5", 1.5),
        ("0", 0.0),
        ("-4", 0.0),
        ("garbage", None),
        ("", None),
        (None, None),
        ("nan", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # in the past: retry now
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_parse_retry_after_http_date_in_the_future() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after(email.utils.formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30, abs=1)


def test_default_timeouts_are_bounded() -> None:
    c = client()
    assert c.timeout.connect == 5.0 and c.timeout.read == 30.0 and c.timeout.write == 30.0
    assert c._http.timeout.read == 30.0


def test_with_options_leaves_the_original_untouched() -> None:
    c = client()
    other = c.with_options(timeout=1.0, retry=RetryPolicy(max_attempts=1), headers={"X-Test": "1"})
    assert other.timeout.read == 1.0 and other.retry.max_attempts == 1 and other.headers["X-Test"] == "1"
    assert c.timeout.read == 30.0 and c.retry.max_attempts == 3 and "X-Test" not in c.headers
    with pytest.raises(TypeError, match="bogus"):
        c.with_options(bogus=1)


@respx.mock
def test_retry_after_ms_wins_over_retry_after(sleeps: list[float]) -> None:
    route = respx.post(f"{BASE}/ez").mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "5", "retry-after-ms": "250"}), OK])
    client().count("x")
    assert route.call_count == 2 and sleeps == [0.25]


@respx.mock
def test_server_can_forbid_or_allow_a_retry(sleeps: list[float]) -> None:
    no = respx.post(f"{BASE}/ez").mock(side_effect=[httpx.Response(503, headers={"x-should-retry": "false"}), OK])
    with pytest.raises(ServerError):
        client().count("x")
    assert no.call_count == 1
    respx.reset()
    yes = respx.post(f"{BASE}/ez").mock(side_effect=[httpx.Response(500, headers={"x-should-retry": "true"}), OK])
    client().count("x")  # a write after a 500 is normally not retried; the server said it is safe
    assert yes.call_count == 2


@respx.mock
def test_503_retry_after_is_honoured_too(sleeps: list[float]) -> None:
    route = respx.post(f"{BASE}/ez").mock(side_effect=[httpx.Response(503, headers={"Retry-After": "2"}), OK])
    client().count("x")
    assert route.call_count == 2 and sleeps == [2.0]


@respx.mock
def test_503_retry_after_above_the_cap_is_not_waited_for(sleeps: list[float]) -> None:
    route = respx.post(f"{BASE}/ez").mock(return_value=httpx.Response(503, headers={"Retry-After": "600"}))
    with pytest.raises(ServerError):
        client().count("x")
    assert route.call_count == 1 and sleeps == []


@respx.mock
def test_retry_after_past_the_total_time_cap_raises_instead_of_retrying_early(sleeps: list[float]) -> None:
    # 30 s is under max_retry_after (60 s) but the wait would end after max_total (10 s).
    route = respx.post(f"{BASE}/ez").mock(return_value=httpx.Response(429, headers={"Retry-After": "30"}))
    with pytest.raises(RateLimited) as info:
        client(retry=RetryPolicy(max_total=10)).count("x")
    assert info.value.retry_after == 30
    assert route.call_count == 1 and sleeps == []


class TrackedStream(httpx.SyncByteStream):
    """A response body that records whether the client closed it."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        yield self.body

    def close(self) -> None:
        self.closed = True


def test_every_retried_response_is_closed(sleeps: list[float]) -> None:
    replies = [(503, {}, b"{}"), (429, {"Retry-After": "1"}, b"{}"), (200, {}, b'{"status":200,"msg":"ok"}')]
    streams: list[TrackedStream] = []

    def handler(request: httpx.Request) -> httpx.Response:
        status, headers, body = replies[len(streams)]
        streams.append(TrackedStream(body))
        return httpx.Response(status, headers=headers, stream=streams[-1])

    with StatHatClient("secret-ezkey", base_url=BASE, transport=httpx.MockTransport(handler)) as c:
        c.count("x")
    assert len(streams) == 3
    assert all(s.closed for s in streams), "a retry must not leak the failed attempt's connection"


@respx.mock
def test_an_error_carries_every_attempt_and_says_whether_any_may_have_applied(sleeps: list[float]) -> None:
    # Countly's case: the first attempt timed out (maybe applied), the retry was refused with a long wait.
    respx.post(f"{BASE}/ez").mock(side_effect=[httpx.ReadTimeout("slow"),
                                               httpx.Response(429, headers={"Retry-After": "120"})])
    with pytest.raises(RateLimited) as info:
        client(retry=RetryPolicy(retry_writes=True)).count("x")
    exc = info.value
    assert [type(e).__name__ for e in exc.attempts] == ["APITimeoutError", "RateLimited"]
    assert exc.attempts[-1] is exc and exc.maybe_applied and exc.reason == "maybe applied"
    assert not exc.attempt_maybe_applied  # the 429 alone says "not applied": the attempts say otherwise


@respx.mock
async def test_async_errors_carry_their_attempts(sleeps: list[float]) -> None:
    respx.post(f"{BASE}/ez").mock(side_effect=[httpx.Response(503), httpx.Response(429)])
    with pytest.raises(RateLimited) as info:
        await AsyncStatHatClient("k", base_url=BASE, retry=RetryPolicy(max_attempts=2)).count("x")
    assert [e.status for e in info.value.attempts] == [503, 429]  # type: ignore[attr-defined]
    assert not info.value.maybe_applied and info.value.reason == "refused"
