"""What every benchmark shares: a server in its own process on a free port, and paired timing rounds.

Ratios are measured in one run, with the two sides interleaved round by round so that drift in the
machine's load hits both alike; the median of the per-round ratios is reported.
"""

from __future__ import annotations

import os
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("RESULTS.md")


def write_section(title: str, lines: list[str]) -> None:
    """Put ``## title`` and ``lines`` into RESULTS.md: in place of the section of that title, or at the end."""
    text = RESULTS.read_text(encoding="utf-8")
    block = "\n".join([title, "", *lines]).rstrip("\n") + "\n"
    pattern = re.compile(rf"^{re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(lambda _: block + "\n", text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + block
    RESULTS.write_text(text, encoding="utf-8")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def server(*args: str, module: str = "mock_server") -> Iterator[str]:
    """``python -m <module> --port N ...`` in a subprocess; yields its base URL once it answers."""
    with server_process(*args, module=module) as (url, _):
        yield url


@contextmanager
def server_process(*args: str, module: str = "mock_server") -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """As ``server``, and the process too (to read its memory, say)."""
    port = free_port()
    with command_process([sys.executable, "-m", module, "--port", str(port), *args], port) as running:
        yield running


@contextmanager
def command_process(cmd: list[str], port: int) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``cmd`` (a server listening on ``port``) in a subprocess; yields its base URL once ``/_admin/health``
    answers, and the process."""
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ})
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(f"{url}/_admin/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield url, proc
    finally:
        proc.terminate()
        proc.wait(10)


def timed(fn: Callable[[], object], n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return time.perf_counter() - started


def paired_ratio(
    ours: Callable[[], object], baseline: Callable[[], object], *, n: int, rounds: int
) -> dict[str, float]:
    """Median over rounds of time(ours)/time(baseline), each side ``n`` calls a round, after a warm-up."""
    timed(ours, n // 10 or 1)
    timed(baseline, n // 10 or 1)
    ratios, ours_t, base_t = [], [], []
    for i in range(rounds):
        first, second = (ours, baseline) if i % 2 == 0 else (baseline, ours)
        a = timed(first, n)
        b = timed(second, n)
        o, base = (a, b) if i % 2 == 0 else (b, a)
        ours_t.append(o)
        base_t.append(base)
        ratios.append(o / base)
    return {
        "ratio": statistics.median(ratios),
        "ours_ms_per_call": statistics.median(ours_t) / n * 1000,
        "baseline_ms_per_call": statistics.median(base_t) / n * 1000,
    }
