"""A StatHat write to a stat that holds a day of points vs one to a new stat, in process (server CPU a request).

A developer replaying a day of traffic at one counter leaves it 86,400 seconds of points; a value stat gets a
point a write. Each write must cost the same however many points its stat already has. The two sides are form
POSTs through the app's WSGI call (``benchmarks.server_cpu``), interleaved round by round; the figure is the
median of per-round ratios, with the store's own layout as it is (memory, or ``--store sqlite:///...``).

Run: ``.venv/bin/python -m benchmarks.stathat_history`` (``--points``, ``--rounds``, ``--n``, ``--store``).
"""

from __future__ import annotations

import argparse
import statistics
import time

from benchmarks.server_cpu import cpu_per_call, request_of
from mock_server import create_app
from mock_server.services.stathat import StatHatService
from mock_server.services.stathat.backend import DEV_EZKEY, Update


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--points", type=int, default=86_400, help="points the old stats hold (default: a day of seconds)")
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--n", type=int, default=200, help="writes a side a round")
    p.add_argument("--store", default=None, help="a store URL (default: memory)")
    args = p.parse_args()
    app = create_app({"store": args.store} if args.store else {})
    service = app.extensions["analytics_api_kit"].services["stathat"]
    assert isinstance(service, StatHatService)
    now = int(time.time())
    started = time.perf_counter()
    service.backend.record(DEV_EZKEY, [Update("day counter", "counter", 1, now - args.points + i)
                                       for i in range(args.points)])
    service.backend.record(DEV_EZKEY, [Update("day value", "value", 0.5, now) for _ in range(args.points)])
    seeded = time.perf_counter() - started

    def form(stat: str, field: str) -> dict[str, object]:
        return {"method": "POST", "path": "/stathat/ez", "data": {"ezkey": DEV_EZKEY, "stat": stat, field: "1"}}

    calls = {"counter, a day of points": request_of(app, form("day counter", "count")),
             "counter, new": request_of(app, form("new counter", "count")),
             "value, a day of points": request_of(app, form("day value", "value")),
             "value, new": request_of(app, form("new value", "value"))}
    for call in calls.values():
        cpu_per_call(call, 5)
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for i in range(args.rounds):
        for name in (list(calls) if i % 2 == 0 else list(reversed(calls))):
            samples[name].append(cpu_per_call(calls[name], args.n))
    print(f"StatHat form POST, server CPU a request, {args.points:,} points seeded in {seeded:.1f} s "
          f"({args.store or 'memory'}; median of {args.rounds} interleaved rounds of {args.n}):\n")
    print("| stat | CPU a request | old / new (median of rounds) |\n|---|---|---|")
    for kind in ("counter", "value"):
        old, new = samples[f"{kind}, a day of points"], samples[f"{kind}, new"]
        ratio = statistics.median(o / n for o, n in zip(old, new, strict=True))
        print(f"| {kind}, {args.points:,} points | {statistics.median(old) * 1e6:.0f} µs | **{ratio:.2f}x** |")
        print(f"| {kind}, new | {statistics.median(new) * 1e6:.0f} µs | |")


if __name__ == "__main__":
    main()
