"""Where ``mock-server`` writes its access log (the ``mock_server.access`` logger, a line a request).

A request appends its line to a queue; a background thread writes what has queued every ``interval`` seconds, in
one write. Under load that turns a write system call a request (each of which hands the GIL to another thread, so
the threads serving requests queue up behind it) into a few a second. The log stays a ``logging`` logger, so
``caplog`` and a user's own handlers see every record as before.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import deque
from typing import TextIO

__all__ = ["BatchedStreamHandler", "install"]

#: How long a line may wait before it is written (what ``tail -f`` sees).
INTERVAL = 0.1


class _Formatter(logging.Formatter):
    """``%(asctime)s %(message)s`` as ``logging.basicConfig`` formats it, the date and time built once a second."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(message)s")
        self._second = -1
        self._stamp = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        second = int(record.created)
        if second != self._second:
            self._stamp, self._second = time.strftime("%Y-%m-%d %H:%M:%S", self.converter(second)), second
        return f"{self._stamp},{int(record.msecs):03d}"  # logging's default_msec_format


class BatchedStreamHandler(logging.Handler):
    """A handler that queues formatted lines and writes them from a background thread (started in each process
    on its first line, so a forked worker has its own), flushing at close and at exit."""

    def __init__(self, stream: TextIO, interval: float = INTERVAL) -> None:
        super().__init__()
        self.stream = stream
        self.interval = interval
        self.setFormatter(_Formatter())
        self._lines: deque[str] = deque()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._write_lock = threading.Lock()
        os.register_at_fork(after_in_child=self._forked)
        atexit.register(self.flush)

    def _forked(self) -> None:
        self._thread = None  # the parent's writer thread does not exist in the child,
        self._lines = deque()  # and the lines the parent queued are the parent's to write
        self._wake = threading.Event()
        self._write_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._lines.append(self.format(record) + "\n")  # deque.append is atomic: no lock on the request's path
        except Exception:
            self.handleError(record)
            return
        if self._thread is None:
            self._start()

    def handle(self, record: logging.LogRecord) -> bool:
        # logging.Handler.handle takes the handler's lock around emit; emit needs none.
        if not self.filter(record):
            return False
        self.emit(record)
        return True

    def _start(self) -> None:
        with self._write_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="mock-server access log", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while not self._wake.wait(self.interval):
            self.flush()

    def flush(self) -> None:
        lines = self._lines
        with self._write_lock:
            chunk = []
            while True:
                try:
                    chunk.append(lines.popleft())
                except IndexError:
                    break
            if chunk:
                try:
                    self.stream.write("".join(chunk))
                    self.stream.flush()
                except (OSError, ValueError):  # stderr closed or gone: the log is lost, the server goes on
                    pass

    def close(self) -> None:
        self._wake.set()
        self.flush()
        super().close()


def install(stream: TextIO) -> BatchedStreamHandler:
    """Send the access log to ``stream`` through a batched handler (it no longer reaches the root logger's)."""
    handler = BatchedStreamHandler(stream)
    log = logging.getLogger("mock_server.access")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    return handler
