"""reports_over_time over one year with 1M reports stored vs 10k: the ratio of the two response times.

Reports are seeded straight into the store through the backend's bulk insert (``ReportsBackend.seed``),
spread at random over 2016 in channel 1; the request is the API text's own over a whole year
(``start_date=2016-01-01T00:00:00Z&end_date=2017-01-01T00:00:00Z``, weekly buckets) sent through the
Flask app (WSGI test client, no socket). Target: ratio ≤ 5.

    .venv/bin/python benchmarks/reports_over_time.py [--large 1000000] [--small 10000] [--store memory://]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from flask import Flask

from mock_server import create_app
from mock_server.services.reports import ReportsService

HEADERS = {"Authorization": "Bearer dev-api-token"}
QUERY = ("/reports/api/v4/analytics/reports_over_time"
         "?channel_id=1&start_date=2016-01-01T00:00:00Z&end_date=2017-01-01T00:00:00Z")
YEAR_MS = 366 * 24 * 3600 * 1000
START_2016_MS = 1_451_606_400_000


def build(n: int, store: str) -> Flask:
    app = create_app({"store": store})
    service = app.extensions["analytics_api_kit"].services["reports"]
    assert isinstance(service, ReportsService)
    backend = service.backend
    backend.seed({
        "accounts": [{"id": 1, "name": "bench"}],
        "channels": [{"id": 1, "account_id": 1, "name": "bench"}],
        "users": [{"id": u, "account_id": 1, "first_name": "U", "last_name": str(u)} for u in range(1, 11)],
        "states": [{"id": s, "account_id": 1, "name": f"S{s}"} for s in range(1, 5)],
    })
    rng = random.Random(n)
    chunk = 100_000
    for first in range(0, n, chunk):
        reports: list[dict[str, Any]] = []
        for i in range(first, min(n, first + chunk)):
            ms = START_2016_MS + rng.randrange(YEAR_MS)
            reports.append({"id": i + 1, "channel_id": 1, "user_id": rng.randint(1, 10), "state_id": rng.randint(1, 4),
                            "created_at": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000))
                            + f".{ms % 1000:03d}Z"})
        backend.seed({"reports": reports})
    return app


def timed(app: Flask) -> tuple[float, int]:
    """One request: its wall time and the number of reports its buckets count."""
    client = app.test_client()
    t = time.perf_counter()
    response = client.get(QUERY, headers=HEADERS)
    elapsed = time.perf_counter() - t
    assert response.status_code == 200, response.get_data(as_text=True)
    return elapsed, sum(row["report_count"] for row in response.get_json())


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--small", type=int, default=10_000)
    p.add_argument("--large", type=int, default=1_000_000)
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--store", default="memory://", help="memory:// or sqlite (a temporary file)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        apps = {}
        for n in (args.small, args.large):
            store = f"sqlite:///{Path(tmp) / f'{n}.db'}" if args.store.startswith("sqlite") else args.store
            t = time.perf_counter()
            apps[n] = build(n, store)
            print(f"{n:>9,} reports seeded in {time.perf_counter() - t:6.1f} s", flush=True)
        # Interleaved, so a change in machine load hits both sizes alike.
        times: dict[int, list[float]] = {n: [] for n in apps}
        for _ in range(args.runs):
            for n, app in apps.items():
                elapsed, counted = timed(app)
                assert counted == n, f"counted {counted} of {n} reports"
                times[n].append(elapsed)
    for n, ts in times.items():
        median = statistics.median(ts) * 1000
        print(f"{n:>9,} reports: reports_over_time (1 year, weekly buckets) median {median:7.2f} ms,"
              f" min {min(ts) * 1000:7.2f} ms over {args.runs} runs")
    ratio = statistics.median(times[args.large]) / statistics.median(times[args.small])
    print(f"ratio of medians {args.large:,} / {args.small:,}: {ratio:.2f}x (target <= 5x) -> "
          f"{'OK' if ratio <= 5 else 'FAIL'}")


if __name__ == "__main__":
    main()
