"""StatHat benchmarks, printed as ratios measured in one run.

(a) one SDK ``count()`` vs a raw httpx POST of the same form body to the same server, keep-alive (target ≤ 1.10×);
(b) our ``/stathat/ez`` vs a bare Flask endpoint, both hit with raw httpx (the server's own overhead);
(c) 100k counts through the batcher vs one request per count (2k timed and scaled), target ≥ 50×,
    with the server's total checked exact.

Run: ``.venv/bin/python -m benchmarks.stathat_bench``
"""

from __future__ import annotations

import time

import httpx

from benchmarks._harness import paired_ratio, server
from sdk import BatchConfig, Stat, StatHatClient

EZKEY = "dev-ezkey"


def total(url: str, name: str) -> float:
    stats = httpx.get(f"{url}/_admin/stathat/stats", params={"ezkey": EZKEY}, timeout=30).json()["stats"]
    return sum(p["count"] for s in stats if s["name"] == name for p in s["points"])


def main() -> None:
    with server() as url, server(module="benchmarks.bare_flask") as bare:
        sdk = StatHatClient(EZKEY, base_url=f"{url}/stathat")
        raw = httpx.Client(timeout=30)
        body = {"ezkey": EZKEY, "stat": "bench a", "count": "1"}

        a = paired_ratio(lambda: sdk.count("bench a", 1), lambda: raw.post(f"{url}/stathat/ez", data=body),
                         n=400, rounds=15)
        print(f"(a) SDK count() vs raw httpx POST: {a['ratio']:.3f}x "
              f"({a['ours_ms_per_call']:.3f} ms vs {a['baseline_ms_per_call']:.3f} ms per call)")

        b = paired_ratio(lambda: raw.post(f"{url}/stathat/ez", data=body), lambda: raw.post(f"{bare}/ez", data=body),
                         n=400, rounds=15)
        print(f"(b) /stathat/ez vs bare Flask endpoint: {b['ratio']:.3f}x "
              f"({b['ours_ms_per_call']:.3f} ms vs {b['baseline_ms_per_call']:.3f} ms per call)")

        single_n, batched_n = 2000, 100_000
        started = time.perf_counter()
        for _ in range(single_n):
            sdk.count("bench single", 1)
        single = (time.perf_counter() - started) / single_n * batched_n
        assert total(url, "bench single") == single_n

        started = time.perf_counter()
        with sdk.batcher(BatchConfig(max_items=1000, interval=0.5, max_queue=200_000)) as batch:
            for _ in range(batched_n):
                batch.add(Stat("bench batched", count=1))
        batched = time.perf_counter() - started
        exact = total(url, "bench batched")
        assert exact == batched_n, f"server total {exact} != {batched_n}"
        print(f"(c) 100k counts: one request each {single:.1f} s (2k timed, scaled) vs batcher {batched:.2f} s: "
              f"{single / batched:.0f}x faster; server total {exact:.0f} exact")


if __name__ == "__main__":
    main()
