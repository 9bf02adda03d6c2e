"""The batching engine: triggers, flush and close, full-queue policies, errors, threads, exit and fork."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from sdk import (
    AdminClient,
    AsyncBatcher,
    BatchConfig,
    Batcher,
    BatchError,
    QueueFull,
    Stat,
    StatHatClient,
    ValidationError,
)

ROOT = Path(__file__).resolve().parents[1]


class Sink:
    """A send function that records batches; can be told to fail."""

    def __init__(self, fail_on: set[int] | None = None) -> None:
        self.batches: list[list[int]] = []
        self.fail_on = fail_on or set()
        self.lock = threading.Lock()

    def __call__(self, batch: list[int]) -> None:
        with self.lock:
            number = len(self.batches)
            self.batches.append(list(batch))
        if number in self.fail_on:
            raise RuntimeError(f"batch {number} failed")

    @property
    def items(self) -> list[int]:
        return [i for b in self.batches for i in b]


def wait_for(predicate: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def test_flush_on_count() -> None:
    sink = Sink()
    b: Batcher[int] = Batcher(sink, config=BatchConfig(max_items=10, interval=60))
    for i in range(25):
        b.add(i)
    wait_for(lambda: len(sink.items) >= 20)
    assert [len(x) for x in sink.batches][:2] == [10, 10]
    result = b.close()
    assert sink.items == list(range(25))
    assert result.pending == 0


def test_a_full_batch_goes_at_once_and_the_tail_waits_for_more() -> None:
    sink = Sink()
    b: Batcher[int] = Batcher(sink, config=BatchConfig(max_items=100, interval=60))
    for i in range(130):
        b.add(i)
    wait_for(lambda: len(sink.batches) == 1)
    time.sleep(0.05)  # the worker had its chance: it must not send the 30 as a batch of their own
    assert sink.batches == [list(range(100))] and b.pending == 30
    b.close()
    assert sink.batches == [list(range(100)), list(range(100, 130))]


def test_flush_on_bytes() -> None:
    sink = Sink()
    b: Batcher[int] = Batcher(sink, config=BatchConfig(max_items=1000, max_bytes=30, interval=60),
                              size_of=lambda i: 10)
    for i in range(3):
        b.add(i)
    wait_for(lambda: len(sink.items) == 3)
    b.add(3)
    b.close()
    assert sink.batches[0] == [0, 1, 2]
    assert all(len(batch) * 10 <= 30 for batch in sink.batches)


def test_flush_on_interval() -> None:
    sink = Sink()
    b: Batcher[int] = Batcher(sink, config=BatchConfig(max_items=1000, interval=0.05))
    b.add(1)
    b.add(2)
    wait_for(lambda: sink.items == [1, 2], timeout=2)
    b.close()


def test_flush_returns_counts_and_is_bounded() -> None:
    release = threading.Event()

    def slow(batch: list[int]) -> None:
        release.wait(5)

    b: Batcher[int] = Batcher(slow, config=BatchConfig(max_items=1000, interval=60))
    for i in range(5):
        b.add(i)
    started = time.monotonic()
    result = b.flush(timeout=0.2)
    assert time.monotonic() - started < 2
    assert result.delivered == 0 and result.pending == 5
    release.set()
    result = b.flush(timeout=5)
    assert result.pending == 0
    assert b.stats["delivered"] == 5
    b.close()


def test_close_drains_and_then_refuses() -> None:
    sink = Sink()
    b: Batcher[int] = Batcher(sink, config=BatchConfig(interval=60))
    with b:
        for i in range(7):
            b.add(i)
    assert sink.items == list(range(7))
    with pytest.raises(QueueFull, match="closed"):
        b.add(8)


def test_invalid_item_fails_in_add_and_never_reaches_a_batch() -> None:
    sink = Sink()

    def positive(i: int) -> int:
        if i < 0:
            raise ValidationError(f"{i} is negative")
        return i

    b: Batcher[int] = Batcher(sink, config=BatchConfig(interval=60), validate=positive)
    b.add(1)
    with pytest.raises(ValidationError, match="-5 is negative"):
        b.add(-5)
    b.add(2)
    b.close()
    assert sink.items == [1, 2]


def test_oversized_item_refused_in_add() -> None:
    b: Batcher[str] = Batcher(Sink(), config=BatchConfig(max_item_bytes=10))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="over the limit of 10"):
        b.add("x" * 50)


def test_failed_batch_goes_to_on_error_and_the_others_are_delivered() -> None:
    sink = Sink(fail_on={1})
    errors: list[tuple[str, list[int]]] = []
    b: Batcher[int] = Batcher(sink, config=BatchConfig(max_items=3, interval=60, background=False),
                              on_error=lambda exc, items: errors.append((str(exc), items)))
    for i in range(9):
        b.add(i)
    b.close()
    assert errors == [("batch 1 failed", [3, 4, 5])]
    assert b.stats == {"delivered": 6, "failed": 3, "dropped": 0, "pending": 0}
    # delivered batches are never sent again
    assert sink.items == list(range(9))


def test_failed_batch_without_callback_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    b: Batcher[int] = Batcher(Sink(fail_on={0}), config=BatchConfig(interval=60, background=False))
    b.add(1)
    b.close()
    assert "batch of 1 items not delivered (maybe applied): batch 0 failed" in caplog.text


def test_a_raising_on_error_does_not_kill_the_flusher() -> None:
    sink = Sink(fail_on={0})

    def explode(exc: BaseException, items: list[int]) -> None:
        raise RuntimeError("callback broke")

    b: Batcher[int] = Batcher(sink, config=BatchConfig(max_items=1, interval=60), on_error=explode)
    b.add(1)
    b.add(2)
    b.close()
    assert sink.items == [1, 2]


def test_full_queue_drop_policy_counts_and_warns(caplog: pytest.LogCaptureFixture) -> None:
    gate = threading.Event()
    b: Batcher[int] = Batcher(lambda batch: gate.wait(5), config=BatchConfig(max_queue=3, interval=60))
    results = [b.add(i) for i in range(5)]
    assert results == [True, True, True, False, False]
    assert b.stats["dropped"] == 2
    assert "item dropped" in caplog.text
    gate.set()
    b.close()


def test_full_queue_raise_policy() -> None:
    b: Batcher[int] = Batcher(Sink(), config=BatchConfig(max_queue=2, interval=60, when_full="raise"))
    b.add(1)
    b.add(2)
    with pytest.raises(QueueFull, match="queue is full"):
        b.add(3)
    b.close()


def test_full_queue_block_policy_waits_for_room() -> None:
    sink = Sink()
    b: Batcher[int] = Batcher(sink, config=BatchConfig(max_queue=2, max_items=100, interval=60, when_full="block"))
    for i in range(10):
        assert b.add(i)
    b.close()
    assert sink.items == list(range(10))


def test_many_threads_exactly_once() -> None:
    sink = Sink()
    b: Batcher[int] = Batcher(sink, config=BatchConfig(max_items=50, interval=0.01, max_queue=100_000))

    def producer(start: int) -> None:
        for i in range(start, start + 1000):
            b.add(i)

    threads = [threading.Thread(target=producer, args=(n * 1000,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    b.close()
    assert sorted(sink.items) == list(range(8000))


def test_merge_runs_over_everything_waiting_then_batches_are_cut() -> None:
    sink = Sink()
    b: Batcher[int] = Batcher(sink, config=BatchConfig(max_items=100, interval=60, background=False),
                              merge=lambda items: [sum(items)])
    for i in range(10):
        b.add(i)
    result = b.close()
    assert sink.batches == [[45]]
    assert result.delivered == 1  # counted after merging: what the server received


def test_a_failing_merge_sends_the_items_unmerged(caplog: pytest.LogCaptureFixture) -> None:
    sink = Sink()

    def broken(items: list[int]) -> list[int]:
        raise RuntimeError("merge broke")

    b: Batcher[int] = Batcher(sink, config=BatchConfig(max_items=100, interval=60), merge=broken)
    for i in range(5):
        b.add(i)
    result = b.close()
    assert sink.items == list(range(5)) and result.delivered == 5 and result.pending == 0
    assert "merge failed; sending 5 items unmerged" in caplog.text


# -- async -----------------------------------------------------------------------------------------
async def test_async_triggers_flush_and_close() -> None:
    got: list[list[int]] = []

    async def send(batch: list[int]) -> None:
        got.append(batch)

    b: AsyncBatcher[int] = AsyncBatcher(send, config=BatchConfig(max_items=4, interval=0.05))
    for i in range(10):
        await b.add(i)
    await asyncio.sleep(0.2)
    assert [i for batch in got for i in batch] == list(range(10))
    await b.add(10)
    result = await b.aclose()
    assert result.pending == 0 and got[-1] == [10]
    with pytest.raises(QueueFull):
        await b.add(11)


async def test_async_on_error_and_validation() -> None:
    errors: list[list[int]] = []

    async def send(batch: list[int]) -> None:
        if 3 in batch:
            raise RuntimeError("no")

    def check(i: int) -> int:
        if i > 100:
            raise ValidationError("too big")
        return i

    async with AsyncBatcher(send, config=BatchConfig(max_items=2, interval=60), validate=check,
                            on_error=lambda e, items: errors.append(items)) as b:
        for i in range(6):
            await b.add(i)
        with pytest.raises(ValidationError):
            await b.add(1000)
    assert errors == [[2, 3]]
    assert b.stats["delivered"] == 4 and b.stats["failed"] == 2


async def test_async_full_queue_policies() -> None:
    async def send(batch: list[int]) -> None:
        await asyncio.sleep(0)

    drop: AsyncBatcher[int] = AsyncBatcher(send, config=BatchConfig(max_queue=1, interval=60, background=False))
    assert await drop.add(1) is True
    assert await drop.add(2) is False
    assert drop.stats["dropped"] == 1
    raising: AsyncBatcher[int] = AsyncBatcher(
        send, config=BatchConfig(max_queue=1, interval=60, when_full="raise", background=False))
    await raising.add(1)
    with pytest.raises(QueueFull):
        await raising.add(2)


async def test_async_block_policy_waits_for_room_and_times_out() -> None:
    got: list[int] = []

    async def send(batch: list[int]) -> None:
        await asyncio.sleep(0.01)
        got.extend(batch)

    async with AsyncBatcher(send, config=BatchConfig(max_queue=2, max_items=100, interval=60,
                                                     when_full="block")) as b:
        for i in range(10):
            assert await b.add(i)
    assert got == list(range(10))

    gate = asyncio.Event()

    async def stuck(batch: list[int]) -> None:
        await gate.wait()

    blocked: AsyncBatcher[int] = AsyncBatcher(stuck, config=BatchConfig(
        max_queue=1, max_items=1, interval=60, when_full="block", block_timeout=0.1))
    await blocked.add(1)  # taken by the task, which then hangs
    while blocked._buffer.items:
        await asyncio.sleep(0.01)
    await blocked.add(2)  # fills the queue
    with pytest.raises(QueueFull, match="stayed full"):
        await blocked.add(3)
    gate.set()
    await blocked.aclose()


# -- against the reference server: exit and fork ----------------------------------------------------
def stathat_total(admin: AdminClient, name: str) -> float:
    return sum(p["count"] for s in admin.stathat.stats() if s["name"] == name for p in s["points"])


def test_items_queued_at_exit_reach_the_server(analytics_kit_url: str, analytics_kit_admin: AdminClient) -> None:
    script = textwrap.dedent(f"""
        from sdk import BatchConfig, Stat, StatHatClient
        client = StatHatClient("dev-ezkey", base_url="{analytics_kit_url}/stathat")
        batch = client.batcher(BatchConfig(interval=3600, max_items=100))
        for _ in range(250):
            batch.add(Stat("at exit", count=1))
        # no flush, no close: the atexit drain must deliver all 250
    """)
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, timeout=60)
    assert stathat_total(analytics_kit_admin, "at exit") == 250


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_child_gets_its_own_queue_and_thread(analytics_kit_url: str, analytics_kit_admin: AdminClient) -> None:
    client = StatHatClient("dev-ezkey", base_url=f"{analytics_kit_url}/stathat")
    client.count("forked", 0)  # a pooled keep-alive connection exists at fork time
    batch = client.batcher(BatchConfig(interval=3600))
    for _ in range(10):
        batch.add(Stat("forked", count=1))  # the parent's, pending at fork time
    parent_pool = client._http
    pid = os.fork()
    if pid == 0:  # the child: its own items only, delivered by its own thread
        code = 1
        try:
            # The same client and batcher as the parent: the client gets its own connection pool.
            for _ in range(5):
                batch.add(Stat("forked", count=1))
            code = 0 if batch.close(10).pending == 0 else 2
            if client._http is parent_pool:  # it wrote to the parent's pooled sockets
                code = 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    batch.close()
    client.count("forked", 0)  # the parent's pooled connection still works after the child used its own
    client.close()
    assert stathat_total(analytics_kit_admin, "forked") == 15, "parent's 10 once, child's 5 once"


def test_close_is_bounded_and_what_is_left_goes_to_on_error() -> None:
    release = threading.Event()
    sent: list[list[int]] = []

    def slow(batch: list[int]) -> None:
        release.wait(5)
        sent.append(batch)

    errors: list[tuple[BaseException, list[int]]] = []
    b: Batcher[int] = Batcher(slow, config=BatchConfig(max_items=2, interval=60),
                              on_error=lambda exc, items: errors.append((exc, items)))
    for i in range(2):
        b.add(i)
    wait_for(lambda: b.stats["pending"] == 2 and not b._buffer.items)  # the first batch is being sent
    for i in range(2, 5):
        b.add(i)  # queued behind it
    started = time.monotonic()
    result = b.close(timeout=0.3)
    assert time.monotonic() - started < 1.5, "one deadline for flush and join, not one each"
    # Nothing left unaccounted: the batch on the wire is abandoned as maybe applied, the queue as not sent.
    assert result.failed == 5 and result.pending == 0
    (in_flight, in_flight_items), (queued, queued_items) = errors
    assert isinstance(in_flight, BatchError) and in_flight.reason == "maybe applied" and in_flight.maybe_applied
    assert in_flight_items == [0, 1]
    assert isinstance(queued, BatchError) and queued.reason == "not sent before the deadline"
    assert not queued.maybe_applied and queued_items == [2, 3, 4]
    release.set()
    wait_for(lambda: sent != [])
    # It was applied after all (as reported: maybe); it is neither counted nor reported twice.
    assert sent == [[0, 1]] and b.stats == {"delivered": 0, "failed": 5, "dropped": 0, "pending": 0}
    assert len(errors) == 2


def test_block_policy_without_a_worker_sends_on_the_callers_thread() -> None:
    sink = Sink()
    b: Batcher[int] = Batcher(sink, config=BatchConfig(max_queue=2, max_items=100, interval=60,
                                                       when_full="block", block_timeout=1, background=False))
    for i in range(5):
        assert b.add(i)
    b.close()
    assert sink.items == list(range(5)) and sink.batches[0] == [0, 1]


async def test_async_close_deadline_reports_the_batch_in_flight_and_the_rest() -> None:
    async def hang(batch: list[int]) -> None:
        await asyncio.sleep(30)

    errors: list[tuple[BaseException, list[int]]] = []
    b: AsyncBatcher[int] = AsyncBatcher(hang, config=BatchConfig(max_items=2, interval=60),
                                        on_error=lambda exc, items: errors.append((exc, items)))
    for i in range(2):
        await b.add(i)
    while b._buffer.items:  # the task has taken the first batch
        await asyncio.sleep(0.01)
    await b.add(2)
    started = time.monotonic()
    result = await b.aclose(timeout=0.2)
    assert time.monotonic() - started < 1.5
    assert sorted(i for _, items in errors for i in items) == [0, 1, 2]
    assert all(isinstance(exc, BatchError) for exc, _ in errors)
    assert result.failed == 3 and result.pending == 0 and b.stats["failed"] == 3


def test_async_batcher_never_closed_reports_its_items_at_exit() -> None:
    script = textwrap.dedent("""
        import asyncio
        from sdk import AsyncBatcher, BatchConfig

        async def send(batch):
            print("sent", batch)

        async def main():
            b = AsyncBatcher(send, config=BatchConfig(interval=3600),
                             on_error=lambda exc, items: print("on_error", sorted(items), exc))
            for i in range(3):
                await b.add(i)
            # never closed: the loop ends with the items queued

        asyncio.run(main())
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, timeout=60,
                         capture_output=True, text=True).stdout
    assert "sent [" not in out
    assert ("on_error [0, 1, 2] not sent before the deadline: 3 items not sent: the async batcher was never closed"
            in out)


def test_batchers_do_not_pile_up_exit_handlers() -> None:
    import atexit

    before = atexit._ncallbacks()  # CPython's count of registered exit handlers
    batchers = [Batcher(Sink(), config=BatchConfig(background=False)) for _ in range(50)]
    batchers += [AsyncBatcher(Sink(), config=BatchConfig(background=False)) for _ in range(50)]  # type: ignore[arg-type]
    assert atexit._ncallbacks() == before
