"""Each worker process on one CPU of its own (Linux).

A worker is one Python process: its threads run Python one at a time (the GIL) whatever the number of cores. Left
free, the kernel spreads those threads over the cores, and every hand-over of the GIL (each system call a request
makes: recv, send, the store's I/O) becomes a wake-up across cores: under wrk that cost our gthread worker about
half its throughput (benchmarks/RESULTS.md, "pinned"). Pinned, the hand-overs stay on one core. Workers go round
the CPUs this process may use, starting from the one the master runs on, so several servers on one machine (a
pytest-xdist run, each worker with its own server) start on different cores.
"""

from __future__ import annotations

import os

__all__ = ["current_cpu", "pin", "plan"]


def current_cpu() -> int | None:
    """The CPU this process is running on now (``/proc/self/stat``'s ``processor``), None where unknown."""
    try:
        with open("/proc/self/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return int(fields[36])  # field 39 of proc(5), the 37th after "(comm)"
    except (OSError, IndexError, ValueError):
        return None


def plan() -> list[int]:
    """The CPUs workers are pinned to in turn (the first: where this process runs now); empty where pinning is not
    possible or would change nothing (one CPU)."""
    if not hasattr(os, "sched_getaffinity"):
        return []
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        return []
    here = current_cpu()
    start = allowed.index(here) if here in allowed else 0
    return allowed[start:] + allowed[:start]


def pin(cpus: list[int], index: int) -> int | None:
    """Pin this process (all its threads, present and future) to the ``index``-th CPU of ``plan()``'s list, round
    and round; the CPU, or None when there is nothing to pin to or the system refuses."""
    if not cpus:
        return None
    cpu = cpus[index % len(cpus)]
    try:
        os.sched_setaffinity(0, {cpu})
    except OSError:
        return None
    return cpu
