"""``analytics-kit import`` of 100k StatHat lines vs the same items through the SDK batcher in a script.

Both sides run as a fresh process against the same reference server (reset before each run), so both pay
interpreter start-up; the import also reads and checks 100k JSON lines. Rounds interleave the two sides
(``_harness.paired_ratio``); after every run the server's totals are checked exact. Target: <= 1.2x.

Run: ``.venv/bin/python -m benchmarks.cli_import [--rounds N]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from benchmarks._harness import paired_ratio, server

LINES = 100_000
KIT = str(Path(sys.executable).with_name("analytics-kit"))

# The baseline: the same items, built in code, through the SDK's batcher.
SCRIPT = """
import sys
from sdk import BatchConfig, Stat, StatHatClient
with StatHatClient("dev-ezkey", base_url=sys.argv[1]) as client:
    with client.batcher(BatchConfig(max_items=1000, when_full="block", block_timeout=None)) as batch:
        for i in range(LINES):
            batch.add(Stat(f"s{i % 7}", count=i % 5 + 1, t=1_700_000_000 + i % 600))
""".replace("LINES", str(LINES))


def expected() -> dict[str, float]:
    totals: dict[str, float] = {}
    for i in range(LINES):
        totals[f"s{i % 7}"] = totals.get(f"s{i % 7}", 0) + i % 5 + 1
    return totals


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    want = expected()
    with tempfile.TemporaryDirectory() as tmp, server() as url:
        path = Path(tmp) / "stats.jsonl"
        with path.open("w") as f:
            for i in range(LINES):
                f.write(json.dumps({"stat": f"s{i % 7}", "count": i % 5 + 1, "t": 1_700_000_000 + i % 600}) + "\n")
        env = {**os.environ, "STATHAT_EZKEY": "dev-ezkey", "ANALYTICS_API_KIT_SERVER": url}

        def check() -> None:
            stats = httpx.get(f"{url}/_admin/stathat/stats", params={"ezkey": "dev-ezkey"}, timeout=30).json()
            got = {s["name"]: sum(p["count"] for p in s["points"]) for s in stats["stats"] if s["points"]}
            assert got == want, (got, want)
            httpx.post(f"{url}/_admin/reset", timeout=30).raise_for_status()

        def cli() -> None:
            subprocess.run([KIT, "import", str(path), "--service", "stathat"], env=env, check=True,
                           stdout=subprocess.DEVNULL)
            check()

        def script() -> None:
            subprocess.run([sys.executable, "-c", SCRIPT, f"{url}/stathat"], env=env, check=True)
            check()

        httpx.post(f"{url}/_admin/reset", timeout=30).raise_for_status()
        result = paired_ratio(cli, script, n=1, rounds=rounds)
    print(f"analytics-kit import of {LINES} StatHat lines vs the SDK batcher in a script: "
          f"{result['ratio']:.3f}x ({result['ours_ms_per_call'] / 1000:.2f} s vs "
          f"{result['baseline_ms_per_call'] / 1000:.2f} s, median of {rounds} rounds; totals exact every run)")


if __name__ == "__main__":
    main()
