"""Async SDK vs raw ``httpx.AsyncClient`` (its default transport) vs the sync SDK, at concurrency 50.

Each side sends the same StatHat EZ count (a form POST) ``--n`` times a round: the async sides from 50 tasks
sharing one client, the sync SDK from one thread (its usual use). Client CPU a request is this process's
``time.process_time`` over the round; throughput is requests over wall time. Rounds interleave the sides
(the order rotates) and the median round is reported. Two servers, each in its own process under gunicorn gthread
(one worker of 8 threads, keep-alive), the production server: a minimal endpoint (``benchmarks.bare_flask``'s app:
the server is then not the bottleneck; werkzeug's development server was, closing every connection after its
reply) and the reference server.

Targets (issue 14): async SDK CPU a request <= 0.5x raw httpx.AsyncClient and <= the sync SDK's; async SDK
throughput >= 2x raw httpx.AsyncClient against the minimal endpoint, and never below it against ours.

Run: ``.venv/bin/python -m benchmarks.async_clients`` (``--n``, ``--rounds``).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from benchmarks._harness import command_process, free_port, server
from sdk import AsyncStatHatClient, StatHatClient

EZKEY = "dev-ezkey"
CONCURRENCY = 50
BODY = {"ezkey": EZKEY, "stat": "async bench", "count": "1"}


@contextmanager
def minimal_server(threads: int = 8) -> Iterator[str]:
    """``benchmarks.bare_flask``'s app under gunicorn gthread, as ``mock-server`` serves ours: its base URL."""
    port = free_port()
    cmd = [sys.executable, "-m", "gunicorn", "--worker-class", "gthread", "--workers", "1", "--threads", str(threads),
           "--keep-alive", "5", "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "benchmarks.bare_flask:app"]
    with command_process(cmd, port) as (url, _):
        yield url


async def _gather(n: int, one: Callable[[], Awaitable[Any]]) -> None:
    left = n

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await one()

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


def run_raw_async(base: str, n: int) -> None:
    async def main() -> None:
        async with httpx.AsyncClient(timeout=30) as client:
            async def one() -> None:
                r = await client.post(f"{base}/ez", data=BODY)
                r.raise_for_status()
                r.json()
            await _gather(n, one)
    asyncio.run(main())


def run_async_sdk(base: str, n: int) -> None:
    async def main() -> None:
        async with AsyncStatHatClient(EZKEY, base_url=base) as client:
            await _gather(n, lambda: client.count("async bench", 1))
    asyncio.run(main())


def run_sync_sdk(base: str, n: int) -> None:
    with StatHatClient(EZKEY, base_url=base) as client:
        for _ in range(n):
            client.count("async bench", 1)


SIDES: dict[str, Callable[[str, int], None]] = {
    "raw httpx.AsyncClient": run_raw_async, "async SDK": run_async_sdk, "sync SDK": run_sync_sdk}


def measure(base: str, n: int, rounds: int) -> dict[str, dict[str, float]]:
    for run in SIDES.values():
        run(base, max(50, n // 10))  # warm-up: imports, the server's caches
    cpu: dict[str, list[float]] = {s: [] for s in SIDES}
    rate: dict[str, list[float]] = {s: [] for s in SIDES}
    names = list(SIDES)
    for i in range(rounds):
        for name in names[i % len(names):] + names[: i % len(names)]:
            wall, started = time.perf_counter(), time.process_time()
            SIDES[name](base, n)
            cpu[name].append((time.process_time() - started) / n)
            rate[name].append(n / (time.perf_counter() - wall))
    return {s: {"cpu": statistics.median(cpu[s]), "rate": statistics.median(rate[s]),
                "cpu_ratio": statistics.median(a / b for a, b in zip(cpu[s], cpu[names[0]], strict=True)),
                "rate_ratio": statistics.median(a / b for a, b in zip(rate[s], rate[names[0]], strict=True))}
            for s in SIDES}


def table(label: str, results: dict[str, dict[str, float]]) -> list[str]:
    lines = [f"{label}:", "| client | req/s | x raw async | client CPU a request | x raw async |",
             "|---|---|---|---|---|"]
    for name, r in results.items():
        lines.append(f"| {name} | {r['rate']:.0f} | {r['rate_ratio']:.2f}x | {r['cpu'] * 1e3:.3f} ms | "
                     f"{r['cpu_ratio']:.2f}x |")
    return lines


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=1000, help="requests a side a round")
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args()
    with minimal_server() as bare, server() as ours:
        for label, base in (("minimal endpoint (benchmarks.bare_flask under gunicorn)", bare),
                            ("reference server (/stathat/ez)", f"{ours}/stathat")):
            print("\n".join(table(label, measure(base, args.n, args.rounds))), flush=True)


if __name__ == "__main__":
    main()
