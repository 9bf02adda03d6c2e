"""``analytics-kit tail``: the reference server's request journal, polled, printed like ``tail -f``."""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import httpx

from .._errors import ValidationError
from ..admin import AdminClient, JournalEntry

__all__ = ["follow", "format_entry", "status_filter"]

WINDOW = 1000  # entries fetched a poll: more than arrive between two polls of a local server


def status_filter(spec: str | None) -> tuple[int, int] | None:
    """``404`` → (404, 404); ``4xx`` → (400, 499)."""
    if spec is None:
        return None
    text = spec.strip().lower()
    if len(text) == 3 and text[0] in "12345" and text[1:] == "xx":
        low = int(text[0]) * 100
        return low, low + 99
    if text.isdigit() and 100 <= int(text) <= 599:
        return int(text), int(text)
    raise ValidationError(f"--status: {spec!r} is not a status (404) or a class (4xx)")


def format_entry(e: JournalEntry) -> str:
    stamp = time.strftime("%H:%M:%S", time.localtime(e["time"])) + f".{int(e['time'] % 1 * 1000):03d}"
    retry = e.get("retry_count")
    query = f"?{e['query']}" if e.get("query") else ""
    line = f"{stamp} {e['status']} {e['method']:<6} {e['path']}{query}"
    if retry not in (None, "0"):
        line += f"  retry {retry}"
    if e.get("validation_errors"):
        line += "  errors: " + "; ".join(map(str, e["validation_errors"]))
    return line


@contextmanager
def _stop_on_sigint() -> Iterator[threading.Event]:
    """Ctrl-C sets an event the poll loop waits on, instead of raising inside httpx: a KeyboardInterrupt in the
    middle of a request can leave the connection pool's lock held, and closing the client then hangs."""
    stop = threading.Event()

    def on_sigint(_signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():  # a second Ctrl-C: the first one is not being heard
            raise KeyboardInterrupt
        stop.set()

    previous = signal.signal(signal.SIGINT, on_sigint) if threading.current_thread() is threading.main_thread() \
        else None
    try:
        yield stop
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def follow(server: str, *, service: str | None, status: str | None, path: str | None, lines: int,
           once: bool, interval: float) -> None:
    statuses = status_filter(status)
    prefix = path or (f"/{service}" if service else None)
    if service and path and not path.startswith(f"/{service}"):
        raise ValidationError(f"--path {path!r} is not under --service {service}'s /{service}")
    with _stop_on_sigint() as stop, httpx.Client(timeout=10) as http:
        admin = AdminClient(server, http_client=http)

        def fetch(limit: int) -> list[JournalEntry]:
            return admin.requests.list(limit=limit, path=prefix)

        def show(entries: list[JournalEntry]) -> None:
            for e in entries:
                if statuses is None or statuses[0] <= int(e["status"]) <= statuses[1]:
                    print(format_entry(e), flush=True)

        entries = fetch(WINDOW)
        shown = [e for e in entries if statuses is None or statuses[0] <= int(e["status"]) <= statuses[1]]
        show(shown[-lines:] if lines > 0 else [])
        last = entries[-1]["id"] if entries else None
        while not once and not stop.wait(interval):
            entries = fetch(WINDOW)
            ids = [e["id"] for e in entries]
            new = entries[ids.index(last) + 1:] if last in ids else entries
            if new:
                show(new)
                last = new[-1]["id"]
            sys.stdout.flush()
        if stop.is_set():
            raise KeyboardInterrupt
