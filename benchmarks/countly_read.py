"""Countly read cost as data grows: 10k events, then 1M events, in one run.

Starts the reference server as a subprocess (memory store) and records events through the SDK's bulk
path: ``/i/bulk``, 1,000 events a request, each at its own time in the last ``--days`` days (7 by
default), 20 event keys, 10 segment values, 1,000 devices with sessions. Times ``/o?method=events`` and
``/o/analytics/dashboard`` at each size (median of 30 requests), prints the ratios 1M/10k (target: at
most 2x) and the server's peak RSS (VmHWM).

    .venv/bin/python -m benchmarks.countly_read [--small 10000] [--big 1000000] [--days 7]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._harness import server_process
from sdk.countly import CountlyClient

APP_KEY, APP_ID, API_KEY = "dev-app-key", "0123456789abcdef01234567", "dev-api-key"
PER_REQUEST = 1000
ENTRIES = 10  # devices per bulk request, PER_REQUEST // ENTRIES events each
KEYS = [f"event_{i}" for i in range(20)]




def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def record(client: CountlyClient, count: int, rng: random.Random, now: int, days: int) -> None:
    """``count`` events in bulk requests; every event and session at its own time within ``days``."""
    sent = 0
    span = days * 86400
    while sent < count:
        entries = []
        for _ in range(ENTRIES):
            device = f"device-{rng.randrange(1000)}"
            events = [{"key": rng.choice(KEYS), "count": rng.randint(1, 3), "sum": round(rng.random() * 10, 2),
                       "segmentation": {"plan": f"plan-{rng.randrange(10)}"},
                       "timestamp": (now - rng.randrange(span)) * 1000}
                      for _ in range(PER_REQUEST // ENTRIES)]
            entry: dict[str, object] = {"device_id": device, "timestamp": now - rng.randrange(span), "events": events}
            if rng.random() < 0.3:
                entry.update(begin_session=1, session_duration=rng.randint(5, 600),
                             metrics={"_os": rng.choice(["Android", "iOS"]), "_resolution": "1080x2400"})
            entries.append(entry)
        client.bulk(entries)
        sent += PER_REQUEST


def time_reads(http: httpx.Client, rounds: int = 30) -> dict[str, float]:
    targets = {
        "method=events": ("/countly/o", {"method": "events", "event": KEYS[0]}),
        "dashboard": ("/countly/o/analytics/dashboard", {}),
    }
    out = {}
    for name, (path, extra) in targets.items():
        params = {"api_key": API_KEY, "app_id": APP_ID, **extra}
        http.get(path, params=params).raise_for_status()  # warm
        samples = []
        for _ in range(rounds):
            start = time.perf_counter()
            http.get(path, params=params).raise_for_status()
            samples.append(time.perf_counter() - start)
        out[name] = statistics.median(samples)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=7, help="the events' time window (ending now)")
    args = parser.parse_args()
    with server_process() as (base, server):
        rng = random.Random(7)
        now = int(time.time())
        with CountlyClient(base_url=f"{base}/countly", app_key=APP_KEY, timeout=120) as client, \
                httpx.Client(base_url=base, timeout=60) as http:
            started = time.perf_counter()
            record(client, args.small, rng, now, args.days)
            small = time_reads(http)
            rss_small = peak_rss_mb(server.pid)
            record(client, args.big - args.small, rng, now, args.days)
            written = time.perf_counter() - started
            big = time_reads(http)
            rss_big = peak_rss_mb(server.pid)
        print(f"recorded {args.big:,} events over {args.days} days through /i/bulk in {written:.0f} s")
        for name in small:
            print(f"{name:>14}: {small[name] * 1000:7.2f} ms at {args.small:,}  "
                  f"{big[name] * 1000:7.2f} ms at {args.big:,}  ratio {big[name] / small[name]:.2f}x")
        print(f"server peak RSS: {rss_small:.0f} MB after {args.small:,}, {rss_big:.0f} MB after {args.big:,}")
        worst = max(big[n] / small[n] for n in small)
        return 0 if worst <= 2 else 1


if __name__ == "__main__":
    raise SystemExit(main())
