"""Every comparison of issue 14 ("Fast under load") in one run, and the tables written into benchmarks/RESULTS.md.

1. Server CPU a request in process, per operation, with the 100-item batch / single ratio (``server_cpu``).
2. Async SDK vs raw ``httpx.AsyncClient`` vs the sync SDK at concurrency 50 (``async_clients``).
3. Sync SDK vs raw httpx: a StatHat count, and iterating 10k Taplytics users (``stathat_bench``,
   ``taplytics_pagination``).
4. Under a real server with wrk (``benchmarks.serving``, which installs wrk and Prism when missing): the WSGI
   servers on our endpoints, ours vs bare Flask under the same server and vs Prism per operation, 1 vs 2 workers
   on SQLite and PostgreSQL, each with the server's CPU a request.

Each comparison interleaves its sides round by round; ratios are medians of per-round ratios.

Run: ``.venv/bin/python -m benchmarks.fast_under_load`` (``--quick`` for fewer rounds; ``--no-write`` to only
print).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from benchmarks import async_clients, server_cpu
from benchmarks._harness import RESULTS, paired_ratio, server, write_section

TITLE = "## Fast under load (issue 14): every comparison in one run"


def sync_sdk(rounds: int) -> list[str]:
    import httpx

    from sdk import StatHatClient

    lines = ["Sync SDK vs raw httpx (target <= 1.05x):", "", "| what | SDK | raw httpx | ratio |", "|---|---|---|---|"]
    with server() as url:
        sdk = StatHatClient("dev-ezkey", base_url=f"{url}/stathat")
        raw = httpx.Client(timeout=30)
        body = {"ezkey": "dev-ezkey", "stat": "bench a", "count": "1"}
        r = paired_ratio(lambda: sdk.count("bench a", 1), lambda: raw.post(f"{url}/stathat/ez", data=body),
                         n=300, rounds=rounds)
        lines.append(f"| StatHat count(), reference server | {r['ours_ms_per_call']:.3f} ms | "
                     f"{r['baseline_ms_per_call']:.3f} ms | {r['ratio']:.3f}x |")
        sdk.close()
        raw.close()
    from benchmarks import taplytics_pagination

    ratio = taplytics_pagination.sdk_overhead(rounds)
    lines.append(f"| iterate 10k Taplytics users (typed User objects) | | | {ratio:.3f}x (fastest rounds) |")
    return lines


def under_wrk(rounds: int, seconds: float) -> list[str]:
    """Issue 12's wrk comparisons (``benchmarks.serving``): WSGI servers, ours vs bare Flask, vs Prism, workers."""
    from benchmarks import serving

    args = argparse.Namespace(rounds=rounds, seconds=seconds, connections=32, server="gunicorn")
    return ["Under wrk (`benchmarks.serving`, which installs wrk and Prism where missing):", "",
            *serving.run_all(args)]


def write(section: list[str]) -> None:
    write_section(TITLE, section)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    p.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = p.parse_args()
    rounds = 3 if args.quick else 7
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    command = ".venv/bin/python -m benchmarks.fast_under_load" + (" --quick" if args.quick else "")
    parts: list[list[str]] = []
    for run in (lambda: server_cpu.measure(None, rounds, 100),
                lambda: async_part(rounds),
                lambda: sync_sdk(rounds),
                lambda: under_wrk(2 if args.quick else 3, 2 if args.quick else 5)):
        lines = run()
        print("\n".join(lines) + "\n", flush=True)
        parts.append(lines)
    load = os.getloadavg()
    section = [f"Command: `{command}` ({started}; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; load average "
               f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the end, this run's own load included: wrk, the "
               "servers, PostgreSQL). Absolute figures move with the load; the ratios are the figures that matter.",
               ""]
    for lines in parts:
        section += [*lines, ""]
    if not args.no_write:
        write(section)
        print(f"written to {RESULTS}")


def async_part(rounds: int) -> list[str]:
    lines = ["Async SDK vs raw httpx.AsyncClient (its default transport) vs the sync SDK, concurrency 50 (targets: "
             "async SDK CPU <= 0.5x raw and <= sync SDK; throughput >= 2x raw on the minimal endpoint, >= 1x on "
             "ours):", ""]
    with async_clients.minimal_server() as bare, server() as ours:
        for label, base in (("minimal endpoint (benchmarks.bare_flask under gunicorn)", bare),
                            ("reference server (/stathat/ez)", f"{ours}/stathat")):
            lines += [*async_clients.table(label, async_clients.measure(base, 1000, rounds)), ""]
    return lines


if __name__ == "__main__":
    main()
