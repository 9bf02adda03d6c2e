"""10k Cyfe rows: pushed through the merging batcher vs one push per row, against the reference server.

    python benchmarks/cyfe_batching.py [--rows 10000] [--sample 1000] [--full]

The server runs in a thread on a free port (real HTTP, keep-alive). One push per row is measured on the
first ``--sample`` rows and scaled to all rows (``--full`` pushes them all instead). Both widgets are read
back and checked exact: every stored row and every header total against values computed here.
"""

from __future__ import annotations

import argparse
import logging
import random
import threading
import time
from datetime import date, timedelta
from typing import Any

import httpx
from werkzeug.serving import make_server

from mock_server import create_app
from sdk import BatchConfig
from sdk.cyfe import CyfeClient, MetricOptions, Row, add_values, cyfe_date

OPTIONS = {"Rank": MetricOptions(onduplicate="replace")}


def make_rows(n: int, seed: int = 5) -> list[Row]:
    rnd = random.Random(seed)
    start = date(2013, 1, 1)
    return [{"Date": start + timedelta(days=rnd.randrange(90)), "Users": rnd.randrange(1000),
             "Revenue": f"{rnd.randrange(100_000) / 100}", "Rank": rnd.randrange(1, 100)} for _ in range(n)]


def expected_rows(rows: list[Row]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        day = cyfe_date(row["Date"])  # type: ignore[arg-type]
        e = out.setdefault(day, {"Date": day, "Users": 0, "Revenue": 0})
        e["Users"] = add_values((e["Users"], row["Users"]))  # type: ignore[arg-type]
        e["Revenue"] = add_values((e["Revenue"], float(row["Revenue"])))  # type: ignore[arg-type]
        e["Rank"] = row["Rank"]
    return out


def check(admin: httpx.Client, key: str, rows: list[Row]) -> None:
    widget = admin.get(f"/_admin/cyfe/widgets/{key}").json()
    expected = expected_rows(rows)
    stored = {r["Date"]: r for r in widget["rows"]}
    assert stored == expected, f"{key}: stored rows differ from the rows pushed"
    latest = max(expected)
    month = [r for d, r in expected.items() if d[:6] == latest[:6]]
    for metric in ("Users", "Revenue", "Rank"):
        total = add_values([r[metric] for r in month])
        assert widget["header"][metric]["total"] == total, (key, metric, widget["header"][metric], total)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=1_000)
    parser.add_argument("--full", action="store_true", help="push every row singly instead of a sample")
    args = parser.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log: it would dominate single pushes
    server = make_server("127.0.0.1", 0, create_app(), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    admin = httpx.Client(base_url=base)
    admin.post("/_admin/seed", json={"cyfe": {"widgets": [{"key": "batched"}, {"key": "single"}]}}).raise_for_status()
    rows = make_rows(args.rows)
    sample = rows if args.full else rows[: args.sample]

    with CyfeClient(widget_key="batched", base_url=f"{base}/cyfe") as client:
        t0 = time.perf_counter()
        with client.batcher(OPTIONS, BatchConfig(max_items=1000, max_queue=args.rows, background=False)) as batcher:
            for row in rows:
                batcher.add(row)
        batched = time.perf_counter() - t0
    # The journal masks widget keys in paths; nothing else has pushed yet, so every push entry is the batcher's.
    batched_requests = len(admin.get("/_admin/requests", params={"limit": 10_000, "path": "/cyfe/api/push/"})
                           .json()["requests"])
    check(admin, "batched", rows)

    with CyfeClient(widget_key="single", base_url=f"{base}/cyfe") as client:
        t0 = time.perf_counter()
        for row in sample:
            client.push([row], {m: o for m, o in OPTIONS.items() if m in row})
        single = time.perf_counter() - t0
    check(admin, "single", sample)
    single_all = single * len(rows) / len(sample)

    print(f"rows: {len(rows)} over {len(expected_rows(rows))} dates")
    print(f"merging batcher: {batched:.3f} s, {batched_requests} requests, totals exact")
    scaled = "" if len(sample) == len(rows) else f" (measured {single:.3f} s for {len(sample)} rows, scaled)"
    print(f"one push per row: {single_all:.3f} s, {len(rows)} requests{scaled}, totals exact")
    print(f"ratio (one push per row / batcher): {single_all / batched:.1f}x")
    server.shutdown()


if __name__ == "__main__":
    main()
