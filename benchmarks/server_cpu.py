"""Server CPU a request, in process: one validated request per service, and a 100-item StatHat JSON batch.

Each operation is a prebuilt WSGI environ handed to the app as a WSGI server would (no socket, no test client, so
what is measured is the app: routing, parsing, validation, the store, the journal, the reply). CPU time is
``time.process_time``; the operations are interleaved round by round and the median round is reported. The
ratio the issue sets: a 100-item batch costs at most 4 single form POSTs of CPU.

Run: ``.venv/bin/python -m benchmarks.server_cpu`` (``--rounds``, ``--n``; ``--profile OP`` prints a cProfile of
one operation instead).
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from werkzeug.test import EnvironBuilder

from mock_server import create_app
from mock_server.services.taplytics import TaplyticsService

APP_ID = "0123456789abcdef01234567"
BATCH = {"ezkey": "dev-ezkey", "data": [{"stat": f"batch {i % 10}", "count": 1} for i in range(100)]}
TOKEN = {"x-access-token": "dev-api-token"}
REPORTS = {"Authorization": "Bearer dev-api-token"}

#: name -> EnvironBuilder arguments; each answers 200 (checked before timing).
OPERATIONS: dict[str, dict[str, Any]] = {
    "stathat ez form POST": {"method": "POST", "path": "/stathat/ez",
                             "data": {"ezkey": "dev-ezkey", "stat": "form", "count": "1"}},
    "stathat JSON batch, 100 items": {"method": "POST", "path": "/stathat/ez", "data": json.dumps(BATCH),
                                      "content_type": "application/json"},
    "countly /i event": {"path": "/countly/i", "query_string": {
        "app_key": "dev-app-key", "device_id": "bench", "events": '[{"key":"click","count":1}]'}},
    "countly /o?method=sessions": {"path": "/countly/o", "query_string": {
        "method": "sessions", "api_key": "dev-api-key", "app_id": APP_ID}},
    "taplytics users page (100)": {"path": "/taplytics/v2/users", "query_string": {"per_page": "100"},
                                   "headers": TOKEN},
    "taplytics user POST": {"method": "POST", "path": "/taplytics/v2/users", "query_string": {"user_id": "bench"},
                            "json": {"first_name": "Bench", "custom_data": {"plan": "gold"}}, "headers": TOKEN},
    "cyfe push": {"method": "POST", "path": "/cyfe/api/push/dev-widget",
                  "json": {"data": [{"Date": "20130101", "Users": "1", "Revenue": "2.50"}]}},
    "reports reports_over_time": {"path": "/reports/api/v4/analytics/reports_over_time", "headers": REPORTS,
                                  "query_string": {"channel_id": "1", "start_date": "2016-01-01T00:00:00Z",
                                                   "end_date": "2016-02-01T00:00:00Z"}},
}
SINGLE, BATCHED = "stathat ez form POST", "stathat JSON batch, 100 items"
#: The floor: the same form POST to ``benchmarks.bare_flask`` (parses the form, answers a constant).
BARE = "bare Flask form POST (the floor)"


def make_app() -> Flask:
    app = create_app({"demo_data": True})
    taplytics = app.extensions["analytics_api_kit"].services["taplytics"]
    assert isinstance(taplytics, TaplyticsService)
    taplytics.backend.seed({"users": [{"user_id": f"u{i}", "email": f"u{i}@example.com", "first_name": f"User {i}",
                                       "custom_data": {"plan": "gold", "seats": i % 7}} for i in range(200)]}, now=0)
    client = app.test_client()
    for i in range(20):
        client.get("/countly/i", query_string={"app_key": "dev-app-key", "device_id": f"d{i}", "begin_session": "1"})
    return app


def request_of(app: Flask, spec: dict[str, Any]) -> Callable[[], None]:
    """One call: a fresh copy of the environ and its body, the app, the body read to the end; asserts a 200."""
    environ = EnvironBuilder(**spec).get_environ()
    body = environ["wsgi.input"].read()
    statuses: list[str] = []

    def start_response(status: str, headers: Iterable[tuple[str, str]], exc_info: object = None) -> None:
        statuses.append(status)

    def call() -> None:
        env = dict(environ)
        env["wsgi.input"] = io.BytesIO(body)
        chunks = app(env, start_response)
        try:
            reply = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
        status = statuses.pop()
        assert status.startswith("200") and b'"status":4' not in reply, (spec["path"], status, reply[:300])

    return call


def cpu_per_call(fn: Callable[[], None], n: int) -> float:
    started = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - started) / n


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--n", type=int, default=100, help="calls of each operation a round (a tenth for the batch)")
    p.add_argument("--profile", metavar="OP", help="cProfile one operation (a prefix of its name)")
    p.add_argument("--sort", default="tottime", help="the profile's order (pstats: tottime, cumulative, ...)")
    args = p.parse_args()
    if args.profile:
        app = make_app()
        calls = {name: request_of(app, spec) for name, spec in OPERATIONS.items()}
        import cProfile
        import pstats

        name = next(n for n in calls if n.startswith(args.profile))
        calls[name]()
        profile = cProfile.Profile()
        profile.runcall(lambda: [calls[name]() for _ in range(args.n * 3)])
        pstats.Stats(profile).sort_stats(args.sort).print_stats(40)
        return
    print("\n".join(measure(None, args.rounds, args.n)))


def measure(calls: dict[str, Callable[[], None]] | None = None, rounds: int = 9, n: int = 100) -> list[str]:
    """The report's lines: every operation's median CPU a request, the floor ratio and the batch ratio."""
    if calls is None:
        from benchmarks.bare_flask import app as bare

        app = make_app()
        calls = {name: request_of(app, spec) for name, spec in OPERATIONS.items()}
        calls[BARE] = request_of(bare, {**OPERATIONS[SINGLE], "path": "/ez"})
    for call in calls.values():  # warm-up: caches, compiled validators
        cpu_per_call(call, 10)
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for i in range(rounds):
        order = list(calls) if i % 2 == 0 else list(reversed(calls))
        for name in order:
            samples[name].append(cpu_per_call(calls[name], max(1, n // 10) if name == BATCHED else n))
    median = {name: statistics.median(s) for name, s in samples.items()}
    lines = [f"Server CPU a request, in process (median of {rounds} interleaved rounds):", "",
             "| operation | server CPU a request |", "|---|---|"]
    lines += [f"| {name} | {cpu * 1e6:.0f} µs |" for name, cpu in median.items()]
    ratios = [b / s for b, s in zip(samples[BATCHED], samples[SINGLE], strict=True)]
    floor = statistics.median(s / b for s, b in zip(samples[SINGLE], samples[BARE], strict=True))
    lines += ["", f"StatHat form POST / bare Flask form POST: {floor:.2f}x. 100-item batch / single form POST: "
              f"**{statistics.median(ratios):.2f}x** (target <= 4x; {median[BATCHED] / 100 * 1e6:.1f} µs an item)."]
    return lines


if __name__ == "__main__":
    main()
