"""Retry policy: which failures are retried, how long to wait, and when to give up (tenacity underneath)."""

from __future__ import annotations

import asyncio
import contextvars
import email.utils
import logging
import random
import threading
import time
from dataclasses import dataclass, field

import tenacity

from ._errors import APIError, RateLimited, SDKError, TransportError

__all__ = ["ALWAYS_SAFE_STATUSES", "RETRYABLE_STATUSES", "RetryPolicy", "SendScope", "current_scope",
           "parse_retry_after"]

log = logging.getLogger("analytics_api_kit")

#: Statuses retried for requests that are safe to repeat.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
#: Statuses that say the request was not applied, so even a write is retried.
ALWAYS_SAFE_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class RetryPolicy:
    """How the SDK retries.

    ``max_attempts`` counts the first try. Waits grow as ``base * 2**n`` up to ``cap``, less up to
    ``jitter`` (a fraction) at random. A ``Retry-After`` the server sends replaces the computed wait;
    above ``max_retry_after`` seconds the SDK raises ``RateLimited`` at once. Nothing is retried once
    ``max_total`` seconds have passed since the first try. ``retry_writes`` opts writes that may
    already have been applied (read timeout, 500 after the body was sent) into retries.
    """

    max_attempts: int = 3
    base: float = 0.5
    cap: float = 8.0
    jitter: float = 0.25
    max_total: float = 60.0
    max_retry_after: float = 60.0
    statuses: frozenset[int] = field(default=RETRYABLE_STATUSES)
    retry_writes: bool = False

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter must be between 0 and 1")

    def backoff(self, retry_number: int) -> float:
        """The wait before retry ``retry_number`` (1 for the first retry), jitter applied."""
        wait = min(self.cap, self.base * 2.0 ** (retry_number - 1))
        return wait * (1 - self.jitter * random.random())

    def should_retry(self, exc: BaseException, *, idempotent: bool) -> bool:
        """Whether ``exc`` from one attempt is worth another attempt under this policy."""
        repeatable = idempotent or self.retry_writes
        if isinstance(exc, APIError):
            # The server may decide for itself (openai/anthropic convention).
            hint = exc.headers.get("x-should-retry", "").lower()
            if hint in ("true", "false"):
                return hint == "true"
        if isinstance(exc, TransportError):
            return not exc.sent or repeatable
        retry_after = server_wait(exc)
        if retry_after is not None and retry_after > self.max_retry_after:
            return False  # longer than the caller will wait: raise now (RateLimited carries retry_after)
        if isinstance(exc, RateLimited) and retry_after is not None:
            return True
        if isinstance(exc, APIError):
            if exc.status in ALWAYS_SAFE_STATUSES:
                return True
            return exc.status in self.statuses and repeatable
        return False

    def wait_for(self, exc: BaseException | None, retry_number: int) -> float:
        retry_after = server_wait(exc)
        return self.backoff(retry_number) if retry_after is None else retry_after

    def tenacity_kwargs(self, *, idempotent: bool, describe: str, asynchronous: bool = False,
                        started: float | None = None) -> dict[str, object]:
        """Arguments for ``tenacity.Retrying``/``AsyncRetrying`` that apply this policy (and the deadline of
        the batch being sent, if any: no wait runs past it).

        ``started`` (``time.monotonic()``) is when the call's first attempt began, for a loop built after that
        attempt (the clients build it only once a first attempt has failed); None: when tenacity's loop began.
        """
        scope = current_scope()

        def wait(state: tenacity.RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            delay = self.wait_for(exc, state.attempt_number)
            remaining = self.max_total - (time.monotonic() - (state.start_time if started is None else started))
            if scope is not None and scope.deadline is not None:
                remaining = min(remaining, scope.deadline - time.monotonic())
            return max(0.0, min(delay, remaining))

        def stop(state: tenacity.RetryCallState) -> bool:
            # Out of attempts or time; or the server asked for a wait that would end past max_total (or the
            # batch's deadline): retrying earlier than it asked would only be refused again.
            if started is None:
                elapsed = state.seconds_since_start or 0.0
            else:
                elapsed = 0.0 if state.outcome_timestamp is None else state.outcome_timestamp - started
            exc = state.outcome.exception() if state.outcome else None
            asked = server_wait(exc)
            if (state.attempt_number >= self.max_attempts or elapsed >= self.max_total
                    or (asked is not None and elapsed + asked > self.max_total)):
                return True
            if scope is not None and scope.deadline is not None:
                left = scope.deadline - time.monotonic()
                if left <= 0 or (asked is not None and asked > left):
                    # Only if the policy would retry: a refusal it would not retry stays a refusal.
                    exc_ = state.outcome.exception() if state.outcome else None
                    if exc_ is not None and self.should_retry(exc_, idempotent=idempotent):
                        scope.cut_short = True
                    return True
            return False

        def before_sleep(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            sleep = state.next_action.sleep if state.next_action else 0.0
            log.info("Retrying %s in %.2f s after %s (attempt %d)", describe, sleep, exc, state.attempt_number)

        extra: dict[str, object] = {}
        if scope is not None:
            extra["sleep"] = scope.async_sleep if asynchronous else scope.sleep
        return {
            **extra,
            "stop": stop,
            "wait": wait,
            "retry": tenacity.retry_if_exception(lambda e: self.should_retry(e, idempotent=idempotent)),
            "before_sleep": before_sleep,
            "reraise": True,
        }


class SendScope:
    """What a batcher and the send loop share about the batch being sent.

    The batcher sets ``deadline`` (``time.monotonic()``) when ``close`` starts; the send loop then waits
    no longer than it, shortens each attempt's timeouts to it and gives up at it. The send loop records
    every failed attempt in ``attempts`` and whether one is on the wire (``in_attempt``), so a batch
    abandoned at the deadline is reported as not sent or as maybe applied, never guessed.
    """

    def __init__(self, deadline: float | None = None) -> None:
        self.deadline: float | None = deadline
        self.attempts: list[SDKError] = []
        self.in_attempt = False
        self.abandoned = False
        #: An attempt began (False: the sender is not an SDK client, or has not reached the wire yet).
        self.used = False
        #: The deadline, not the retry policy, ended the send (it would have waited and tried again).
        self.cut_short = False
        self._lock = threading.Lock()
        self._wake = threading.Event()
        if deadline is not None:
            self._wake.set()

    def begin_attempt(self) -> bool:
        """Whether an attempt may start: not once the batch was abandoned, nor a retry past the deadline."""
        with self._lock:
            if self.deadline is not None and time.monotonic() >= self.deadline:
                self.cut_short = True
                return False
            if self.abandoned:
                return False
            self.in_attempt = self.used = True
            return True

    def end_attempt(self) -> None:
        with self._lock:
            self.in_attempt = False

    def abandon(self) -> bool:
        """Stop any further attempt; return whether what was sent so far may have been applied."""
        with self._lock:
            self.abandoned = True
            return self.maybe_applied

    def set_deadline(self, deadline: float | None) -> None:
        self.deadline = deadline
        self._wake.set()

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    @property
    def maybe_applied(self) -> bool:
        return self.in_attempt or any(e.attempt_maybe_applied for e in self.attempts)

    def sleep(self, seconds: float) -> None:
        """``time.sleep`` that ends early when a deadline is set and passes meanwhile."""
        start = time.monotonic()
        if self.deadline is None and not self._wake.wait(seconds):
            return  # slept the whole wait (the event is set only with a deadline)
        end = start + seconds if self.deadline is None else min(start + seconds, self.deadline)
        left = end - time.monotonic()
        if left > 0:
            time.sleep(left)

    async def async_sleep(self, seconds: float) -> None:
        left = seconds if self.deadline is None else min(seconds, self.deadline - time.monotonic())
        await asyncio.sleep(max(0.0, left))


_SCOPE: contextvars.ContextVar[SendScope | None] = contextvars.ContextVar("analytics_api_kit_send_scope",
                                                                         default=None)


def current_scope() -> SendScope | None:
    return _SCOPE.get()


def enter_scope(scope: SendScope) -> contextvars.Token[SendScope | None]:
    return _SCOPE.set(scope)


def leave_scope(token: contextvars.Token[SendScope | None]) -> None:
    _SCOPE.reset(token)


def server_wait(exc: BaseException | None) -> float | None:
    """The wait the server asked for with an error reply (``retry-after-ms``, then ``Retry-After``), if any."""
    if isinstance(exc, RateLimited) and exc.retry_after is not None:
        return exc.retry_after
    if not isinstance(exc, APIError):
        return None
    wait = parse_retry_after_ms(exc.headers.get("retry-after-ms"))
    return parse_retry_after(exc.headers.get("retry-after")) if wait is None else wait


def parse_retry_after_ms(value: str | None) -> float | None:
    """``retry-after-ms`` (milliseconds, a finer hint some servers send) in seconds; None if absent or garbage."""
    try:
        ms = float(value) if value is not None else None
    except ValueError:
        return None
    return None if ms is None or ms != ms or ms < 0 or ms == float("inf") else ms / 1000


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` in seconds from its delta-seconds (int or float) or HTTP-date form; None if absent or garbage."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(0.0, seconds)
