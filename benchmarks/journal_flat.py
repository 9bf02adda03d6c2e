"""The request journal's cost stays flat however many requests were served (issue 11).

Times are this process's CPU seconds (``time.process_time``), not wall clock: the work is single-threaded and in
process, and CPU time is what other processes on a shared machine disturb least. In process, no socket: the
app's WSGI callable is called N times with one prepared environ (a cheap journaled
request: a StatHat GET answered 404 by the service), and the rate of the first and the last 10k requests is
printed, with the process's RSS before and after. Then the journal write alone (the app's ``journal``
after-request hook, in one request context) is timed the same way, in microseconds a write.

    .venv/bin/python benchmarks/journal_flat.py [--requests 200000] [--store memory://|sqlite:///x.db|postgresql://...]
    .venv/bin/python benchmarks/journal_flat.py --compare /tmp/old-checkout   # µs a journal write, there vs here

Run it against another checkout by putting that checkout first on the path (``PYTHONPATH=/work/main``), so
the same script measures the code before and after a change.
"""

from __future__ import annotations

import argparse
import io
import resource
import statistics
import sys
import time
from typing import Any

from flask import Response
from werkzeug.test import EnvironBuilder

from mock_server import create_app

WINDOW = 10_000


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _request_runner(app: Any) -> Any:
    base = EnvironBuilder(path="/stathat/nothing", query_string="ezkey=dev-ezkey&stat=x",
                          headers={"User-Agent": "bench", "Referer": "http://example.test/page"}).get_environ()

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        return None

    def run(n: int) -> float:
        started = time.process_time()
        for _ in range(n):
            environ = dict(base)
            environ["wsgi.input"] = io.BytesIO(b"")
            for _ in app(environ, start_response):
                pass
        return time.process_time() - started

    return run


def serve(app: Any, n: int) -> list[float]:
    """Seconds of each window of WINDOW requests."""
    run = _request_runner(app)
    return [run(WINDOW) for _ in range(n // WINDOW)]


def _hook_runner(app: Any) -> Any:
    hook = next(f for f in app.after_request_funcs[None] if f.__name__ == "journal")

    def run(n: int) -> float:
        with app.test_request_context("/stathat/ez", method="POST", data={"ezkey": "dev-ezkey", "stat": "x"},
                                      headers={"User-Agent": "bench", "Referer": "http://example.test/page"}):
            from flask import g

            g.request_id = "0" * 32
            response = Response("{}", 200)
            started = time.process_time()
            for _ in range(n):
                hook(response)
            return time.process_time() - started

    return run


def journal_writes(app: Any, n: int) -> list[float]:
    """Seconds of each window of WINDOW calls of the journal hook alone."""
    run = _hook_runner(app)
    return [run(WINDOW) for _ in range(n // WINDOW)]


def interleaved(aged: Any, store: str, runner: Any, n: int, rounds: int) -> tuple[float, float, float]:
    """Median over rounds of (seconds a call on the aged app, on a fresh one, aged / fresh); the two sides
    alternate within each round, a fresh app each round."""
    aged_run = runner(aged)
    rows = []
    for r in range(rounds):
        fresh_run = runner(create_app({"store": store}))
        if r % 2:
            a, f = aged_run(n), fresh_run(n)
        else:
            f, a = fresh_run(n), aged_run(n)
        rows.append((a / n, f / n, a / f))
    return (statistics.median(x[0] for x in rows), statistics.median(x[1] for x in rows),
            statistics.median(x[2] for x in rows))


def hook_us(repeat: int = 7, number: int = 2000) -> float:
    """The journal hook's cost on a fresh app: the fastest of ``repeat`` runs of ``number`` writes, in µs a write
    (a POST with a form body, three headers and a Referer: what the journal masks)."""
    import timeit

    from flask import g, request

    app = create_app()
    hook = next(f for f in app.after_request_funcs[None] if f.__name__ == "journal")
    with app.test_request_context("/stathat/ez", method="POST", data={"ezkey": "dev-ezkey", "stat": "x"},
                                  headers={"User-Agent": "python-httpx/0.27", "Accept": "*/*",
                                           "Referer": "http://example.test/page"}):
        g.request_id = "0" * 32
        g.body_kept = True
        request.get_data(cache=True)
        response = Response("{}", 200)
        return min(timeit.repeat(lambda: hook(response), number=number, repeat=repeat, timer=time.process_time)) \
            / number * 1e6


def compare(other: str, pairs: int) -> None:
    """µs a journal write here and in the checkout ``other`` (its code first on the path), in processes that
    alternate pair by pair; medians and the median of the per-pair ratios."""
    import os
    import subprocess
    from pathlib import Path

    here = str(Path(__file__).resolve().parents[1])
    rows = []
    for _ in range(pairs):
        got = {}
        for name, root in (("other", other), ("here", here)):
            out = subprocess.run([sys.executable, __file__, "--hook-only"], cwd=root, check=True, text=True,
                                 capture_output=True, env={**os.environ, "PYTHONPATH": root}).stdout
            got[name] = float(out.split()[-1])
        rows.append((got["other"], got["here"], got["here"] / got["other"]))
        print(f"  {other}: {rows[-1][0]:.1f} us, here: {rows[-1][1]:.1f} us ({rows[-1][2]:.2f}x)")
    there, mine, ratio = (statistics.median(r[i] for r in rows) for i in range(3))
    print(f"journal write, fresh app, {pairs} alternating pairs: {other} {there:.1f} us, here {mine:.1f} us "
          f"a write; here / there: {ratio:.2f}x (median of the pairs' ratios)")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hook-only", action="store_true", help="print the journal hook's µs a write and stop")
    parser.add_argument("--compare", metavar="CHECKOUT", help="the hook's µs here vs in another checkout")
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--writes", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--store", default="memory://")
    args = parser.parse_args()
    if args.hook_only:
        print(f"us a write {hook_us():.2f}")
        return 0
    if args.compare:
        compare(args.compare, args.pairs)
        return 0
    import logging

    logging.getLogger("mock_server.access").setLevel(logging.WARNING)
    app = create_app({"store": args.store})
    size = app.extensions["analytics_api_kit"].config.journal_size
    print(f"python {sys.version.split()[0]}, store {args.store}, journal_size {size}")
    rss0 = rss_mib()
    w = serve(app, args.requests)
    rss1 = rss_mib()
    print(f"served {args.requests} requests in process: first {WINDOW}: {WINDOW / w[0]:.0f} req/s, "
          f"last {WINDOW}: {WINDOW / w[-1]:.0f} req/s; RSS {rss0:.0f} -> {rss1:.0f} MiB")
    aged, fresh, ratio = interleaved(app, args.store, _request_runner, 2000, args.rounds)
    print(f"  interleaved, {args.rounds} rounds of 2000: after {args.requests} served {aged * 1e6:.0f} us a request, "
          f"fresh {fresh * 1e6:.0f} us: {ratio:.2f}x")
    app2 = create_app({"store": args.store})
    j = journal_writes(app2, args.writes)
    print(f"journal write alone (the after-request hook), {args.writes} writes: first {WINDOW}: "
          f"{j[0] / WINDOW * 1e6:.1f} us, last {WINDOW}: {j[-1] / WINDOW * 1e6:.1f} us a write")
    aged, fresh, ratio = interleaved(app2, args.store, _hook_runner, 2000, args.rounds)
    print(f"  interleaved, {args.rounds} rounds of 2000: after {args.writes} writes {aged * 1e6:.1f} us a write, "
          f"fresh {fresh * 1e6:.1f} us: {ratio:.2f}x; RSS {rss_mib():.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
