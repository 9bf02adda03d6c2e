"""The batching engine: one buffer and policy, a background thread (sync) or task (async) that flushes it.

Items are validated when they are added, so one bad item fails at once in the caller and never poisons a
batch. A batch is flushed when it reaches ``max_items`` or ``max_bytes``, when ``interval`` seconds have
passed since its first item, on ``flush()``, on ``close()`` and at interpreter exit (with a deadline).
A batch that cannot be delivered reaches ``on_error(exc, items)``; without a callback it is logged with
its size. ``exc.reason`` says what became of the items: ``"refused"`` (certainly not applied),
``"maybe applied"`` (an attempt may have reached the server: ``exc.attempts`` holds every attempt's error)
or ``"not sent before the deadline"``. Nothing accepted is dropped silently: a full queue follows
``when_full`` and counts drops; when ``close(timeout)`` returns, every item is delivered or has reached
``on_error``: a batch still being sent at the deadline is abandoned (no further attempt starts) and
reported as maybe applied if an attempt was on the wire, queued items as not sent.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import logging
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from ._errors import BatchError, QueueFull, SDKError, ValidationError
from ._retry import SendScope, enter_scope, leave_scope

__all__ = ["AsyncBatcher", "BatchConfig", "Batcher", "FlushResult"]

log = logging.getLogger("analytics_api_kit")

T = TypeVar("T")
WhenFull = Literal["drop", "block", "raise"]
OnError = Callable[[BaseException, list[T]], None]


@dataclass(frozen=True)
class BatchConfig:
    """When to flush and what to do when the queue is full.

    ``max_items``/``max_bytes`` bound one request (``max_bytes`` counts each item's JSON size);
    ``max_item_bytes`` refuses a single oversized item at ``add``; ``max_queue`` bounds what waits.
    """

    max_items: int = 100
    max_bytes: int = 512 * 1024
    max_item_bytes: int = 64 * 1024
    interval: float = 1.0
    max_queue: int = 10_000
    when_full: WhenFull = "drop"
    block_timeout: float | None = 5.0
    exit_deadline: float = 5.0
    #: False: no worker; items are sent by ``flush()``/``close()`` on the caller's thread (tests, scripts).
    background: bool = True

    def __post_init__(self) -> None:
        if self.max_items < 1 or self.max_bytes < 1 or self.max_queue < 1:
            raise ValueError("max_items, max_bytes and max_queue must be positive")
        if self.interval <= 0:
            raise ValueError("interval must be positive")


@dataclass(frozen=True)
class FlushResult:
    """What a ``flush`` saw: items delivered and failed while it ran, and items still waiting."""

    delivered: int
    failed: int
    pending: int


def json_size(item: object) -> int:
    return len(json.dumps(item, separators=(",", ":"), default=str).encode())


class _Buffer(Generic[T]):
    """The queue and its counters; every method is called with ``lock`` held by the owner."""

    def __init__(self, config: BatchConfig, size_of: Callable[[T], int],
                 merge: Callable[[list[T]], list[T]] | None) -> None:
        self.config = config
        self.size_of = size_of
        self.merge = merge
        self.items: deque[tuple[T, int]] = deque()
        self.bytes = 0
        self.first_at: float | None = None
        self.in_flight = 0
        self.delivered = 0
        self.failed = 0
        self.dropped = 0

    def measure(self, item: T) -> int:
        size = self.size_of(item)
        if size > self.config.max_item_bytes:
            raise ValidationError(f"item is {size} bytes, over the limit of {self.config.max_item_bytes}")
        return size

    def drop(self) -> None:
        self.dropped += 1
        log.warning("batch queue full (%d items): item dropped (%d so far)", self.config.max_queue, self.dropped)

    @property
    def full(self) -> bool:
        return len(self.items) >= self.config.max_queue

    def push(self, item: T, size: int) -> None:
        self.items.append((item, size))
        self.bytes += size
        if self.first_at is None:
            self.first_at = time.monotonic()

    def batch_ready(self) -> bool:
        """Enough waiting for a whole batch (by count or bytes)."""
        return len(self.items) >= self.config.max_items or self.bytes >= self.config.max_bytes

    def due(self, now: float) -> bool:
        if not self.items:
            return False
        return self.batch_ready() or (self.first_at is not None and now - self.first_at >= self.config.interval)

    def only_full(self, now: float) -> bool:
        """Due by size alone: send the whole batches and let a partial tail wait for more items.

        Not with a ``merge``: merging everything waiting shrinks it most (counters of one stat become one).
        """
        return self.merge is None and (self.first_at is None or now - self.first_at < self.config.interval)

    def wait_time(self, now: float) -> float | None:
        if not self.items or self.first_at is None:
            return None
        return max(0.0, self.config.interval - (now - self.first_at))

    def take(self, only_full: bool = False) -> list[list[T]]:
        """Everything waiting (or, with ``only_full``, the whole batches at its head), merged, cut into
        batches that respect ``max_items`` and ``max_bytes``."""
        c = self.config
        if only_full:
            items = []
            while self.items and self.batch_ready():
                count = size = 0
                while self.items and count < c.max_items and (count == 0 or size + self.items[0][1] <= c.max_bytes):
                    item, item_size = self.items.popleft()
                    self.bytes -= item_size
                    items.append(item)
                    count += 1
                    size += item_size
            if not self.items:
                self.first_at = None
        else:
            items = [item for item, _ in self.items]
            self.items.clear()
            self.bytes = 0
            self.first_at = None
        if self.merge is not None and items:
            try:
                items = self.merge(items)
            except Exception:  # a broken merge must not lose the items: they go unmerged
                log.exception("merge failed; sending %d items unmerged", len(items))
        batches: list[list[T]] = []
        current: list[T] = []
        size = 0
        for item in items:
            item_size = self.size_of(item)
            if current and (len(current) >= self.config.max_items or size + item_size > self.config.max_bytes):
                batches.append(current)
                current, size = [], 0
            current.append(item)
            size += item_size
        if current:
            batches.append(current)
        self.in_flight += sum(map(len, batches))
        return batches

    def abandon(self) -> list[T]:
        """Take every queued item out as failed (a close whose deadline passed)."""
        left = [item for item, _ in self.items]
        self.items.clear()
        self.bytes = 0
        self.first_at = None
        self.failed += len(left)
        return left

    def settled(self, count: int, ok: bool) -> None:
        self.in_flight -= count
        if ok:
            self.delivered += count
        else:
            self.failed += count


class _Flight(Generic[T]):
    """A batch taken from the queue: its items and the scope its send runs in."""

    def __init__(self, items: list[T], deadline: float | None) -> None:
        self.items = items
        self.scope = SendScope(deadline)
        #: Settled and reported (by the sender, or by ``close`` abandoning it): never twice.
        self.settled = False
        self.started = False


def _failure(exc: BaseException, flight: _Flight[T]) -> BaseException:
    """The error ``on_error`` gets for a batch whose send raised ``exc``.

    A send the close deadline cut short (it would have waited and retried: a 429, a 503, no connection; or
    it never started) reports its items as not sent before the deadline, with the attempts; anything else
    is the send's own error.
    """
    if not flight.scope.cut_short or not isinstance(exc, SDKError) or exc.maybe_applied:
        return exc
    error = BatchError(f"{len(flight.items)} items, last attempt: {exc}", reason="not sent before the deadline",
                       attempts=exc.attempts)
    error.__cause__ = exc
    return error


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() >= deadline


def _abandoned(flight: _Flight[T]) -> BatchError:
    """Abandon a batch still being sent at the close deadline; the error says whether it may be applied."""
    # A send that started without the SDK's send loop telling where it is may be on the wire.
    maybe = flight.scope.abandon() or (flight.started and not flight.scope.used)
    attempts = tuple(flight.scope.attempts)
    error = BatchError(f"{len(flight.items)} items were being sent when the close deadline passed",
                       reason="maybe applied" if maybe else "not sent before the deadline", attempts=attempts)
    error.__cause__ = attempts[-1] if attempts else None
    return error


def _report(on_error: OnError[T] | None, exc: BaseException, batch: list[T]) -> None:
    if on_error is None:
        reason = exc.reason if isinstance(exc, SDKError) else "maybe applied"
        log.error("batch of %d items not delivered (%s): %s", len(batch), reason, exc)
        return
    try:
        on_error(exc, batch)
    except Exception:  # the flusher must survive a failing callback
        log.exception("on_error callback raised")


class Batcher(Generic[T]):
    """A thread-safe batcher for sync clients: ``add`` from any thread, a daemon thread sends."""

    def __init__(
        self,
        send: Callable[[list[T]], object],
        *,
        config: BatchConfig | None = None,
        validate: Callable[[T], T] | None = None,
        size_of: Callable[[T], int] = json_size,
        merge: Callable[[list[T]], list[T]] | None = None,
        on_error: OnError[T] | None = None,
    ) -> None:
        self.config = config or BatchConfig()
        self._send = send
        self._validate = validate
        self._on_error = on_error
        self._buffer: _Buffer[T] = _Buffer(self.config, size_of, merge)
        self._closed = False
        self._init_sync_state()
        _LIVE.add(self)

    def _init_sync_state(self) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._send_lock = threading.Lock()  # one batch at a time keeps order
        self._flush_requested = False
        self._flights: list[_Flight[T]] = []
        self._deadline: float | None = None
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    # -- public ---------------------------------------------------------------------------------
    def add(self, item: T) -> bool:
        """Queue one item; False when it was dropped because the queue is full (``when_full="drop"``)."""
        if self._validate is not None:
            item = self._validate(item)
        size = self._buffer.measure(item)
        with self._lock:
            if self._closed:
                raise QueueFull("batcher is closed")
            if self._buffer.full and not self._make_room():
                return False
            self._buffer.push(item, size)
            self._changed.notify_all()
        self._ensure_thread()
        return True

    def flush(self, timeout: float | None = 10.0) -> FlushResult:
        """Send everything queued now; wait at most ``timeout`` seconds. Returns the counts."""
        before = (self._buffer.delivered, self._buffer.failed)
        if self.config.background and self._thread is not None and self._thread.is_alive():
            deadline = None if timeout is None else time.monotonic() + timeout
            with self._lock:
                self._flush_requested = True
                self._changed.notify_all()
                while self._buffer.items or self._buffer.in_flight:
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        break
                    self._changed.wait(remaining)
        else:
            self._drain()
        with self._lock:
            return FlushResult(self._buffer.delivered - before[0], self._buffer.failed - before[1],
                               len(self._buffer.items) + self._buffer.in_flight)

    def close(self, timeout: float | None = 10.0) -> FlushResult:
        """Flush and stop the worker within ``timeout`` seconds in all; later ``add`` calls raise.

        When it returns every item is accounted for: delivered, or reported to ``on_error`` with its
        reason. Retry waits end at the deadline; a batch still on the wire then is abandoned (reported as
        maybe applied; no further attempt starts); items still queued are reported as not sent before the
        deadline (nothing would send them once the process exits).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        before = (self._buffer.delivered, self._buffer.failed)
        with self._lock:
            self._deadline = deadline
            for flight in self._flights:
                flight.scope.set_deadline(deadline)
        self.flush(timeout)
        with self._lock:
            self._closed = True
            self._changed.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        reports: list[tuple[BaseException, list[T]]] = []
        with self._lock:
            for flight in self._flights:
                if not flight.settled:
                    flight.settled = True
                    self._buffer.settled(len(flight.items), False)
                    reports.append((_abandoned(flight), flight.items))
            left = self._buffer.abandon()
        if left:
            reports.append((BatchError(f"{len(left)} items not sent within the close deadline"), left))
        for exc, items in reports:
            _report(self._on_error, exc, items)
        with self._lock:
            b = self._buffer
            return FlushResult(b.delivered - before[0], b.failed - before[1], b.in_flight)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._buffer.items) + self._buffer.in_flight

    @property
    def stats(self) -> dict[str, int]:
        with self._lock:
            b = self._buffer
            return {"delivered": b.delivered, "failed": b.failed, "dropped": b.dropped,
                    "pending": len(b.items) + b.in_flight}

    def __enter__(self) -> Batcher[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ------------------------------------------------------------------------------
    def _past_deadline(self) -> bool:
        return _past(self._deadline)

    def _make_room(self) -> bool:
        policy = self.config.when_full
        if policy == "block" and not self.config.background:
            # No worker to wait for: send what is queued on the caller's thread (lock released meanwhile).
            self._lock.release()
            try:
                self._drain()
            finally:
                self._lock.acquire()
            return not self._buffer.full or self._make_room()
        if policy == "block":
            deadline = None if self.config.block_timeout is None else time.monotonic() + self.config.block_timeout
            self._flush_requested = True
            self._changed.notify_all()
            while self._buffer.full:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise QueueFull(f"queue stayed full for {self.config.block_timeout} s")
                self._changed.wait(remaining)
            return True
        if policy == "raise":
            raise QueueFull(f"queue is full ({self.config.max_queue} items)")
        self._buffer.drop()
        return False

    def _ensure_thread(self) -> None:
        if not self.config.background:
            if self._buffer.due(time.monotonic()):
                self._drain()
            return
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._run, name="analytics-api-kit-batcher", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not (self._closed or self._flush_requested or self._buffer.due(time.monotonic())):
                    self._changed.wait(self._buffer.wait_time(time.monotonic()))
                if self._closed and (not self._buffer.items or self._past_deadline()):
                    return  # what is still queued after the deadline is close's to report
                only_full = not (self._closed or self._flush_requested) and self._buffer.only_full(time.monotonic())
                self._flush_requested = False
            self._drain(only_full)

    def _drain(self, only_full: bool = False) -> None:
        with self._send_lock:
            with self._lock:
                flights = [_Flight(batch, self._deadline) for batch in self._buffer.take(only_full)]
                self._flights.extend(flights)
            for flight in flights:
                error: BaseException | None = None
                if not flight.scope.abandoned:
                    token = enter_scope(flight.scope)
                    flight.started = True
                    try:
                        self._send(flight.items)
                    except Exception as exc:  # every failure goes to on_error
                        error = _failure(exc, flight)
                    finally:
                        leave_scope(token)
                with self._lock:
                    self._flights.remove(flight)
                    mine = not flight.settled  # False: close abandoned and reported it already
                    if mine:
                        flight.settled = True
                        self._buffer.settled(len(flight.items), error is None)
                    self._changed.notify_all()
                if mine and error is not None:
                    _report(self._on_error, error, flight.items)

    def _reset_after_fork(self) -> None:
        # The parent's queue belongs to the parent (it still delivers it); the child starts empty.
        self._buffer.items.clear()
        self._buffer.bytes = 0
        self._buffer.in_flight = 0
        self._buffer.first_at = None
        self._init_sync_state()


# Every live batcher, weakly: one exit handler and one fork hook serve them all (registering one per
# batcher would pile up handlers that can never be unregistered).
_LIVE: weakref.WeakSet[Batcher[Any]] = weakref.WeakSet()
_LIVE_ASYNC: weakref.WeakSet[AsyncBatcher[Any]] = weakref.WeakSet()


def _at_exit() -> None:
    for batcher in list(_LIVE):
        if not batcher._closed and batcher._pid == os.getpid():
            batcher.close(batcher.config.exit_deadline)
    # No event loop is left to send with at exit: what was never closed is reported, not lost silently.
    for abatcher in list(_LIVE_ASYNC):
        if abatcher._closed:
            continue
        for flight in abatcher._flights:
            if not flight.settled:
                flight.settled = True
                _report(abatcher._on_error, _abandoned(flight), flight.items)
        left = abatcher._buffer.abandon()
        if left:
            _report(abatcher._on_error, BatchError(f"{len(left)} items not sent: the async batcher was never "
                                                   "closed (use `async with` or `await aclose()`)"), left)


def _after_fork_in_child() -> None:
    for batcher in list(_LIVE):
        batcher._reset_after_fork()


atexit.register(_at_exit)
if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=_after_fork_in_child)


class AsyncBatcher(Generic[T]):
    """The same engine for async clients: a task flushes; ``await add``/``flush``/``aclose``.

    Use it as ``async with``: at interpreter exit the event loop is gone, so ``aclose()`` is the drain.
    """

    def __init__(
        self,
        send: Callable[[list[T]], Awaitable[object]],
        *,
        config: BatchConfig | None = None,
        validate: Callable[[T], T] | None = None,
        size_of: Callable[[T], int] = json_size,
        merge: Callable[[list[T]], list[T]] | None = None,
        on_error: OnError[T] | None = None,
    ) -> None:
        self.config = config or BatchConfig()
        self._send = send
        self._validate = validate
        self._on_error = on_error
        self._buffer: _Buffer[T] = _Buffer(self.config, size_of, merge)
        self._closed = False
        self._changed: asyncio.Condition | None = None
        self._send_lock: asyncio.Lock | None = None
        self._task: asyncio.Task[None] | None = None
        self._flush_requested = False
        self._flights: list[_Flight[T]] = []
        self._deadline: float | None = None
        _LIVE_ASYNC.add(self)

    def _cond(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
            self._send_lock = asyncio.Lock()
        return self._changed

    async def add(self, item: T) -> bool:
        if self._validate is not None:
            item = self._validate(item)
        size = self._buffer.measure(item)
        cond = self._cond()
        async with cond:
            if self._closed:
                raise QueueFull("batcher is closed")
            if self._buffer.full and not await self._make_room(cond):
                return False
            self._buffer.push(item, size)
            cond.notify_all()
        if not self.config.background:
            if self._buffer.due(time.monotonic()):
                await self._drain()
        elif self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        return True

    async def _make_room(self, cond: asyncio.Condition) -> bool:
        policy = self.config.when_full
        if policy == "block":
            self._flush_requested = True
            cond.notify_all()
            try:
                await asyncio.wait_for(cond.wait_for(lambda: not self._buffer.full), self.config.block_timeout)
            except TimeoutError:
                raise QueueFull(f"queue stayed full for {self.config.block_timeout} s") from None
            return True
        if policy == "raise":
            raise QueueFull(f"queue is full ({self.config.max_queue} items)")
        self._buffer.drop()
        return False

    async def flush(self, timeout: float | None = 10.0) -> FlushResult:
        before = (self._buffer.delivered, self._buffer.failed)
        cond = self._cond()
        if self.config.background and self._task is not None and not self._task.done():
            async with cond:
                self._flush_requested = True
                cond.notify_all()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        cond.wait_for(lambda: not self._buffer.items and not self._buffer.in_flight), timeout)
        else:
            await self._drain()
        return FlushResult(self._buffer.delivered - before[0], self._buffer.failed - before[1],
                           len(self._buffer.items) + self._buffer.in_flight)

    async def aclose(self, timeout: float | None = 10.0) -> FlushResult:
        """Flush and stop the task within ``timeout`` seconds in all; as ``Batcher.close``, every item is
        delivered or reported to ``on_error`` when it returns."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        self._deadline = None if timeout is None else time.monotonic() + timeout
        for flight in self._flights:
            flight.scope.set_deadline(self._deadline)
        before = (self._buffer.delivered, self._buffer.failed)
        await self.flush(timeout)
        cond = self._cond()
        async with cond:
            self._closed = True
            cond.notify_all()
        if self._task is not None and not self._task.done():
            try:
                remaining = None if deadline is None else max(0.0, deadline - loop.time())
                await asyncio.wait_for(asyncio.shield(self._task), remaining)
            except TimeoutError:
                self._task.cancel()  # its batch in flight is abandoned below
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        self._abandon_all()
        b = self._buffer
        return FlushResult(b.delivered - before[0], b.failed - before[1], b.in_flight)

    def _abandon_all(self) -> None:
        """Report every batch still in flight (abandoned) and every item still queued (not sent)."""
        for flight in self._flights:
            if not flight.settled:
                flight.settled = True
                self._buffer.settled(len(flight.items), False)
                _report(self._on_error, _abandoned(flight), flight.items)
        self._flights.clear()
        left = self._buffer.abandon()
        if left:
            _report(self._on_error, BatchError(f"{len(left)} items not sent within the close deadline"), left)

    @property
    def pending(self) -> int:
        return len(self._buffer.items) + self._buffer.in_flight

    @property
    def stats(self) -> dict[str, int]:
        b = self._buffer
        return {"delivered": b.delivered, "failed": b.failed, "dropped": b.dropped,
                "pending": len(b.items) + b.in_flight}

    async def __aenter__(self) -> AsyncBatcher[T]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _run(self) -> None:
        cond = self._cond()
        while True:
            async with cond:
                while not (self._closed or self._flush_requested or self._buffer.due(time.monotonic())):
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(cond.wait(), self._buffer.wait_time(time.monotonic()))
                if self._closed and (not self._buffer.items or _past(self._deadline)):
                    return
                only_full = not (self._closed or self._flush_requested) and self._buffer.only_full(time.monotonic())
                self._flush_requested = False
            await self._drain(only_full)

    async def _drain(self, only_full: bool = False) -> None:
        cond = self._cond()
        assert self._send_lock is not None
        async with self._send_lock:
            flights = [_Flight(batch, self._deadline) for batch in self._buffer.take(only_full)]
            self._flights.extend(flights)
            for flight in flights:
                error: BaseException | None = None
                if not flight.scope.abandoned:
                    token = enter_scope(flight.scope)
                    flight.started = True
                    try:
                        await self._send(flight.items)
                    except Exception as exc:  # every failure goes to on_error
                        error = _failure(exc, flight)
                    finally:
                        leave_scope(token)
                if flight in self._flights:
                    self._flights.remove(flight)
                if flight.settled:
                    continue  # abandoned at the deadline and reported already
                flight.settled = True
                async with cond:
                    self._buffer.settled(len(flight.items), error is None)
                    cond.notify_all()
                if error is not None:
                    _report(self._on_error, error, flight.items)
