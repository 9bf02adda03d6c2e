"""``analytics-kit import``: records through a service's batcher, with failures kept for a second run.

What did not arrive goes to one JSON Lines file in the import format, which ``import`` takes again:
items whose batch failed (as the batcher holds them: StatHat counters of one stat and second already
summed), and, when the import stops early (Ctrl-C, bad credentials, an unreachable server), every line
not read yet. Lines of the input that are not valid are reported with their number and not sent.
Ctrl-C stops reading, waits for what was accepted to be sent, and the run exits 130.
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from types import FrameType
from typing import IO, Any, TextIO

from .._errors import APIError, BadRequest, Forbidden, NotFound, SDKError, TransportError, Unauthorized
from ._progress import Progress
from ._records import BadLine, Record
from ._services import Adapter, Connection, Sink

__all__ = ["ImportResult", "run_import"]


@dataclass
class ImportResult:
    lines: int = 0  # records read (good and bad)
    accepted: int = 0  # lines taken by the batcher
    bad: int = 0  # lines refused before sending
    sent: int = 0  # items delivered (after the batcher's merging)
    failed: int = 0  # items whose batch failed
    unread: int = 0  # lines not read because the import stopped early
    retried: int = 0  # requests that were retries
    interrupted: bool = False
    stopped: str | None = None  # why the import stopped early (other than Ctrl-C)
    failed_path: str | None = None


class FailedFile:
    """The failed-items file, opened on the first item to keep; thread-safe (``on_error`` runs in the worker)."""

    def __init__(self, path: str, adapter: Adapter[Any]) -> None:
        self.path = path
        self.adapter = adapter
        self._file: IO[str] | None = None
        self._lock = threading.Lock()
        self.written = 0

    def write(self, lines: list[dict[str, Any]]) -> None:
        with self._lock:
            if self._file is None:
                self._file = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 (closed in close())
                for header in self.adapter.header():
                    self._file.write(json.dumps(header) + "\n")
            for line in lines:
                self._file.write(json.dumps(line) + "\n")
            self.written += len(lines)

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()


def _fatal(exc: BaseException) -> str | None:
    """Why every later batch would fail too, or None for a failure of this batch alone."""
    if isinstance(exc, (Unauthorized, Forbidden)):
        return f"the server refused the credentials ({exc})"
    if isinstance(exc, NotFound):
        return f"the server has no such target ({exc})"
    if isinstance(exc, TransportError) and not exc.sent:
        return f"cannot reach the server ({exc})"
    return None


def run_import(adapter: Adapter[Any], conn: Connection, records: Iterator[Record | BadLine], *,
               failed_path: str, errors: TextIO, max_errors: int, progress: bool,
               total_bytes: int | None) -> ImportResult:
    result = ImportResult(failed_path=failed_path)
    failed = FailedFile(failed_path, adapter)
    position = 0
    sink: Sink[Any] | None = None
    interrupted = threading.Event()
    first_failure: list[str] = []

    recovered = [0]

    def on_error(exc: BaseException, items: list[Any]) -> None:
        # A batch the server refuses for one item's sake (StatHat refuses a batch whole): split it and
        # resend the halves, so only the items the server refuses themselves are kept as failed.
        if isinstance(exc, BadRequest) and len(items) > 1 and sink is not None and sink.resend is not None:
            middle = len(items) // 2
            for half in (items[:middle], items[middle:]):
                try:
                    sink.resend(half)
                except Exception as again:  # every failure is kept, the first reason reported
                    on_error(again, half)
                else:
                    recovered[0] += len(half)
            return
        failed.write([adapter.line(item) for item in items])
        if not first_failure:
            first_failure.append(str(exc))
        reason = _fatal(exc)
        if reason is not None and result.stopped is None:
            result.stopped = reason

    def on_sigint(_signum: int, _frame: FrameType | None) -> None:
        if interrupted.is_set():  # a second Ctrl-C: stop waiting for the flush
            raise KeyboardInterrupt
        interrupted.set()

    def snapshot() -> tuple[int, int, int, int]:
        stats = sink.batcher.stats if sink is not None else {"delivered": 0, "failed": 0}
        return result.lines, position, stats["delivered"] + recovered[0], stats["failed"] - recovered[0]

    def bad(line: int, reason: str) -> None:
        result.bad += 1
        if result.bad <= max_errors:
            errors.write(f"line {line}: {reason}\n")

    previous = signal.signal(signal.SIGINT, on_sigint) if threading.current_thread() is threading.main_thread() \
        else None
    bar = Progress(errors, total_bytes, snapshot).start() if progress else None
    try:
        for record in records:
            if interrupted.is_set() or result.stopped is not None:
                _keep_unread(record, failed, result)
                continue
            result.lines += 1
            position = record.position
            if isinstance(record, BadLine):
                bad(record.line, record.reason)
                continue
            try:
                item = adapter.item(record.data)
                if item is None:  # a directive (Cyfe's options line)
                    continue
                if sink is None:
                    sink = adapter.sink(conn, on_error)
                sink.batcher.add(item)
            except (SDKError, ValueError, TypeError) as exc:
                if isinstance(exc, APIError | TransportError):
                    raise
                bad(record.line, str(exc))
                continue
            result.accepted += 1
        if sink is not None:
            sink.close(None)
    finally:
        if bar is not None:
            bar.stop()
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        failed.close()
    if sink is not None:
        stats = sink.batcher.stats
        result.sent, result.failed = stats["delivered"] + recovered[0], stats["failed"] - recovered[0]
    result.retried = conn.retried
    result.interrupted = interrupted.is_set()
    if result.bad > max_errors:
        errors.write(f"... and {result.bad - max_errors} more bad lines ({result.bad} in all)\n")
    if first_failure and result.stopped is None:
        errors.write(f"first failure: {first_failure[0]}\n")
    if not failed.written:
        result.failed_path = None
    return result


def _keep_unread(record: Record | BadLine, failed: FailedFile, result: ImportResult) -> None:
    if isinstance(record, Record):
        failed.write([record.data])
        result.unread += 1
