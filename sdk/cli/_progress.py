"""The import's progress line on stderr: lines read, items a second, percent and ETA (when the size is known)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["Progress"]


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress:
    """Redraws one line every ``every`` seconds from a thread; ``snapshot`` gives (lines, bytes, sent, failed)."""

    def __init__(self, stream: TextIO, total_bytes: int | None, snapshot: Callable[[], tuple[int, int, int, int]],
                 *, every: float = 0.2) -> None:
        self.stream = stream
        self.total = total_bytes
        self.snapshot = snapshot
        self.every = every
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="analytics-kit-progress", daemon=True)
        self._width = 0

    def start(self) -> Progress:
        self._thread.start()
        return self

    def render(self) -> str:
        lines, position, sent, failed = self.snapshot()
        elapsed = max(time.monotonic() - self.started, 1e-6)
        parts = [f"{lines:,} lines", f"{lines / elapsed:,.0f} items/s"]
        if self.total:
            fraction = min(position / self.total, 1.0)
            filled = int(fraction * 20)
            eta = elapsed * (1 - fraction) / fraction if fraction > 0 else None
            parts.insert(0, f"[{'#' * filled}{'.' * (20 - filled)}] {fraction:4.0%}")
            parts.append(f"ETA {_clock(eta) if eta is not None else '?'}")
        else:
            parts.append(f"elapsed {_clock(elapsed)}")
        parts.append(f"sent {sent:,}")
        if failed:
            parts.append(f"failed {failed:,}")
        return "  ".join(parts)

    def _draw(self) -> None:
        text = self.render()
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width = len(text)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self._draw()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self._draw()
        self.stream.write("\n")
        self.stream.flush()
