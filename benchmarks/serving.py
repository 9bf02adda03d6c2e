"""The reference server under load, measured with wrk (issues 12 and 14), every comparison in one run.

Each comparison starts all of its sides at once (each a server in its own processes on a free loopback port) and
then, round by round, runs ``wrk -t2 -c32 -d<seconds>s`` against each side in turn (the order reversed every other
round), so the machine's load hits every side alike; a ratio is the median of the per-round ratios. Beside each
figure: the server's CPU a request, read from ``/proc/<pid>/stat`` (user + system time of the server's processes,
its workers included) before and after each wrk run, divided by the requests wrk counted. Every operation is sent
once and checked to answer 2xx before any timing, and a wrk run with any non-2xx answer or socket error is
reported as such.

(a) ``wsgi``: the WSGI server candidates on our own endpoints: gunicorn gthread (``mock-server``'s default), granian
    (``mock-server --server granian``, when it is installed), waitress; one process of 8 threads each.
(b) ``bare``: our server vs a bare Flask endpoint (``benchmarks.bare_flask``) under the same server, the same way
    (``--server``: gunicorn, the default, granian or waitress; the prism section runs ours under it too).
(c) ``prism``: our server vs Prism (``@stoplight/prism-cli``, installed into ``.cache/npm``) mocking our OpenAPI
    documents (``/_admin/openapi/<service>.json``), request validation on.
(d) ``workers``: ``--workers 1`` vs ``--workers 2`` on SQLite and on PostgreSQL, for a mixed write/read load.

wrk is Debian's package: ``ensure_wrk()`` installs it with apt-get when it is missing (as root), and Prism comes
from npm the same way the tests' JavaScript clients do.

Run: ``.venv/bin/python -m benchmarks.serving`` (all; ``--only wsgi,bare,prism,workers``, ``--rounds``,
``--seconds``; ``--connections``). ``python -m benchmarks.fast_under_load`` runs (b) and (c) with issue 14's other
comparisons.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parents[1]
NPM_CACHE = ROOT / ".cache" / "npm"
PRISM = "@stoplight/prism-cli@5"
POSTGRES = os.environ.get("ANALYTICS_API_KIT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
APP_ID = "0123456789abcdef01234567"
TICK = os.sysconf("SC_CLK_TCK")

TITLE = "## Serving under wrk (issue 12): WSGI servers, ours vs bare Flask and Prism, workers"
HEADER = ["operation", "ours req/s", "other req/s", "ours / other (median of rounds)", "target",
          "ours CPU a request", "other CPU a request", "non-2xx", "machine idle"]


@dataclass(frozen=True)
class Op:
    method: str
    path: str
    body: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    service: str = ""


FORM = ("Content-Type", "application/x-www-form-urlencoded")
JSON = ("Content-Type", "application/json")
TOKEN = ("x-access-token", "dev-api-token")
BATCH = json.dumps({"ezkey": "dev-ezkey", "data": [{"stat": f"batch {i % 10}", "count": 1} for i in range(100)]})

#: The four operations of issues 12 and 14, as wrk sends them; every side answers each at the same path.
OPS: dict[str, Op] = {
    "StatHat EZ form POST": Op("POST", "/stathat/ez", "ezkey=dev-ezkey&stat=form&count=1", (FORM,), "stathat"),
    "StatHat JSON batch, 100 items": Op("POST", "/stathat/ez", BATCH, (JSON,), "stathat"),
    "Countly /o?method=sessions": Op("GET", "/countly/o?" + urlencode(
        {"method": "sessions", "api_key": "dev-api-key", "app_id": APP_ID}), service="countly"),
    "Taplytics users page (100)": Op("GET", "/taplytics/v2/users?per_page=100", headers=(TOKEN,),
                                     service="taplytics"),
}
SINGLE = ["StatHat EZ form POST", "Countly /o?method=sessions", "Taplytics users page (100)"]
#: The mixed write/read load of the workers comparison: two writes and two reads, in turn on every connection.
MIXED = [OPS["StatHat EZ form POST"],
         OPS["Countly /o?method=sessions"],
         Op("GET", "/countly/i?" + urlencode({"app_key": "dev-app-key", "device_id": "mixed",
                                              "events": '[{"key":"click","count":1}]'}), service="countly"),
         OPS["Taplytics users page (100)"]]


# -- tools ------------------------------------------------------------------------------------------------------

def ensure_wrk() -> str:
    """The ``wrk`` executable; installed from Debian's package with apt-get when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        raise SystemExit("wrk is not installed and cannot be installed here: apt-get install wrk (as root)")
    print("installing wrk (apt-get install wrk)...", flush=True)
    subprocess.run([apt, "update", "-qq"], check=False, capture_output=True)
    subprocess.run([apt, "install", "-y", "-qq", "wrk"], check=True, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("apt-get install wrk did not give a wrk on PATH")
    return found


def ensure_prism() -> Path:
    """Prism's command, installed with npm into ``.cache/npm`` (git-ignored, kept between runs) when missing."""
    binary = NPM_CACHE / "node_modules" / ".bin" / "prism"
    if binary.exists():
        return binary
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(f"npm is not on PATH: cannot install {PRISM}")
    print(f"installing {PRISM} into {NPM_CACHE} ...", flush=True)
    NPM_CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run([npm, "install", "--prefix", str(NPM_CACHE), "--no-audit", "--no-fund", "--loglevel=error",
                    PRISM], check=True, capture_output=True, timeout=600)
    return binary


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# -- CPU of a process tree ------------------------------------------------------------------------------------------

def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes and all their descendants (gunicorn's workers), in seconds."""
    total = 0
    for root in pids:
        for pid in _tree(root):
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / TICK


def machine_idle() -> tuple[float, float]:
    """(idle, total) CPU seconds of the whole machine so far, every core (``/proc/stat``)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (fields[3] + fields[4]) / TICK, sum(fields[:8]) / TICK


# -- sides: servers to measure ------------------------------------------------------------------------------------

@dataclass
class Running:
    """A started side: the base URL each operation goes to, and the root pids whose CPU counts."""

    base: Callable[[Op], str]
    pids: list[int]


@dataclass
class Side:
    label: str
    start: Callable[[contextlib.ExitStack], Running]
    running: Running | None = None


def _wait(url: str, proc: subprocess.Popen[bytes], what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited ({proc.returncode}) before it answered")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not answer {url} within {timeout:.0f} s")


def _popen(stack: contextlib.ExitStack, cmd: list[str], what: str, health: str) -> subprocess.Popen[bytes]:
    log = stack.enter_context(tempfile.TemporaryFile())  # noqa: SIM115 - closed by the stack
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log, stdin=subprocess.DEVNULL)

    def stop() -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)

    stack.callback(stop)
    try:
        _wait(health, proc, what)
    except SystemExit:
        log.seek(0)
        sys.stderr.write(log.read().decode(errors="replace")[-3000:])
        raise
    return proc


def seed(url: str) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        seed_with(client)


def seed_with(client: httpx.Client) -> None:
    """What the reads read: 200 Taplytics users and 20 Countly sessions (the data ``server_cpu`` uses)."""
    users = [{"user_id": f"u{i}", "email": f"u{i}@example.com", "first_name": f"User {i}",
              "custom_data": {"plan": "gold", "seats": i % 7}} for i in range(200)]
    client.post("/_admin/seed", json={"taplytics": {"users": users}}).raise_for_status()
    for i in range(20):
        client.get("/countly/i", params={"app_key": "dev-app-key", "device_id": f"d{i}", "begin_session": "1"})


def ours(server: str = "gunicorn", *, workers: int = 1, threads: int = 8, store: str | None = None) -> Side:
    def start(stack: contextlib.ExitStack) -> Running:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        cmd = [sys.executable, "-m", "mock_server", "--port", str(port), "--server", server,
               "--workers", str(workers), "--threads", str(threads)]
        if store:
            cmd += ["--store", store]
        proc = _popen(stack, cmd, f"mock-server --server {server}", f"{url}/_admin/health")
        seed(url)
        return Running(lambda _op: url, [proc.pid])

    what = f"ours, {server}" + (f", {workers} workers" if workers > 1 else "")
    return Side(what, start)


def bare(server: str = "gunicorn", threads: int = 8) -> Side:
    def start(stack: contextlib.ExitStack) -> Running:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        proc = _popen(stack, [sys.executable, "-m", "benchmarks.bare_flask", "--port", str(port), "--server", server,
                              "--threads", str(threads)], "bare Flask", f"{url}/_admin/health")
        return Running(lambda _op: url, [proc.pid])

    return Side(f"bare Flask, {server}", start)


def prism(documents: Callable[[str], dict[str, Any]]) -> Side:
    """One Prism mock a service, each serving that service's OpenAPI document (request validation is on by default:
    a request the document does not allow gets 422)."""

    def start(stack: contextlib.ExitStack) -> Running:
        binary = ensure_prism()
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        urls: dict[str, str] = {}
        pids = []
        for service in sorted({op.service for op in OPS.values()}):
            path = folder / f"{service}.json"
            path.write_text(json.dumps(documents(service)))
            port = free_port()
            urls[service] = f"http://127.0.0.1:{port}"
            proc = _popen(stack, [str(binary), "mock", "-h", "127.0.0.1", "-p", str(port), str(path)],
                          f"prism ({service})", f"{urls[service]}/")
            pids.append(proc.pid)
        bad = httpx.post(f"{urls['stathat']}/stathat/ez", json={"ezkey": "dev-ezkey", "data": "not a list"}, timeout=30)
        if bad.status_code != 422:  # validation is on: a batch our schema refuses is refused by Prism too
            raise SystemExit(f"Prism answered {bad.status_code} to an invalid batch (validation off?)")
        return Running(lambda op: urls[op.service], pids)

    return Side("Prism 5 (validation on)", start)


# -- OpenAPI documents for Prism ----------------------------------------------------------------------------------

def _external_refs(node: Any) -> bool:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            return True
        return any(_external_refs(v) for v in node.values())
    if isinstance(node, list):
        return any(_external_refs(v) for v in node)
    return False


def for_prism(doc: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``doc`` as Prism needs it to accept what our server accepts, and what was changed. StatHat takes its ``stat``
    and its keys from the query, the form or a JSON batch; OpenAPI cannot say "in one of them", so the document
    declares them in the query, and Prism would answer 422 or 401 to every form POST and batch our server takes.
    So, for an operation with a request body only: a required query parameter becomes optional, and a security
    requirement made only of query API keys gets the "none" alternative (``{}``)."""
    changed = []
    schemes = doc.get("components", {}).get("securitySchemes", {})

    def in_query(requirement: dict[str, Any]) -> bool:
        return bool(requirement) and all(schemes.get(name, {}).get("in") == "query" for name in requirement)

    for path, item in doc.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "requestBody" not in operation:
                continue
            for param in operation.get("parameters", []):
                if param.get("in") == "query" and param.get("required"):
                    param["required"] = False
                    changed.append(f"{method.upper()} {path}: ?{param['name']} optional")
            security = operation.get("security", doc.get("security"))
            if security and {} not in security and all(in_query(r) for r in security):
                operation["security"] = [*security, {}]
                changed.append(f"{method.upper()} {path}: {' or '.join('+'.join(r) for r in security)} optional")
    return doc, changed


# -- wrk ----------------------------------------------------------------------------------------------------------

def _lua(ops: list[Op]) -> str:
    def quote(s: str) -> str:
        return json.dumps(s)  # a JSON string is a valid Lua string literal for ASCII text

    entries = []
    for op in ops:
        headers = "{" + ", ".join(f"[{quote(k)}] = {quote(v)}" for k, v in op.headers) + "}"
        entries.append(f"wrk.format({quote(op.method)}, {quote(op.path)}, {headers}, "
                       f"{quote(op.body) if op.body else 'nil'})")
    return ("local reqs = {}\nlocal i = 0\n"
            "function init(args)\n  reqs = {" + ", ".join(entries) + "}\nend\n"
            "function request()\n  i = i % #reqs + 1\n  return reqs[i]\nend\n")


@dataclass
class Run:
    requests: int
    rps: float
    cpu: float  # server CPU seconds during the run
    bad: int  # non-2xx answers and socket errors
    idle: float = 0.0  # the share of the machine's CPU (every core) left idle during the run

    @property
    def cpu_us(self) -> float:
        return self.cpu / self.requests * 1e6 if self.requests else float("nan")


def wrk(url: str, ops: list[Op], pids: list[int], *, seconds: float, connections: int, threads: int = 2) -> Run:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_lua(ops))
    try:
        before, idle_before = cpu_seconds(pids), machine_idle()
        done = subprocess.run([ensure_wrk(), f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "-s",
                               script.name, url], capture_output=True, text=True, check=True,
                              timeout=seconds + 60)
        cpu = cpu_seconds(pids) - before
        idle_after = machine_idle()
    finally:
        os.unlink(script.name)
    out = done.stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if errors:
        bad += sum(int(n) for n in errors.groups())
    total = idle_after[1] - idle_before[1]
    return Run(requests, rps, cpu, bad, (idle_after[0] - idle_before[0]) / total if total else 0.0)


def check(url: str, op: Op, label: str) -> int:
    """The operation answers 2xx (and not an error in a 200, StatHat's way) before anything is timed; the size
    of the answer's body."""
    r = httpx.request(op.method, url + op.path, content=op.body.encode() or None, headers=dict(op.headers),
                      timeout=30)
    if not r.is_success or b'"status":4' in r.content:
        raise SystemExit(f"{label}: {op.method} {op.path} answered {r.status_code}: {r.text[:400]}")
    return len(r.content)


# -- comparisons --------------------------------------------------------------------------------------------------

@dataclass
class Row:
    """One operation of a comparison: our side against another, per round."""

    what: str
    #: (who sets it, the least ratio it accepts), e.g. [("issue 12", 0.6), ("issue 14", 0.7)]
    targets: list[tuple[str, float]]
    ours: list[Run] = field(default_factory=list)
    other: list[Run] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return statistics.median(o.rps / b.rps for o, b in zip(self.ours, self.other, strict=True))

    def cells(self) -> list[str]:
        def median(runs: list[Run], f: Callable[[Run], float]) -> float:
            return statistics.median(f(r) for r in runs)

        bad = sum(r.bad for r in self.ours), sum(r.bad for r in self.other)
        met = "; ".join(f"{who} >= {least:g}x: " + ("met" if self.ratio >= least else "**not met**")
                        for who, least in self.targets)
        return [self.what, f"{median(self.ours, lambda r: r.rps):,.0f}", f"{median(self.other, lambda r: r.rps):,.0f}",
                f"**{self.ratio:.2f}x**", met or "—",
                f"{median(self.ours, lambda r: r.cpu_us):,.0f} µs", f"{median(self.other, lambda r: r.cpu_us):,.0f} µs",
                f"{bad[0]} / {bad[1]}", f"{median(self.ours + self.other, lambda r: r.idle):.0%}"]


Targets = Callable[[str], list[tuple[str, float]]]


def compare(ours_side: Side, others: list[Side], work: dict[str, list[Op]], targets: Targets,
            args: argparse.Namespace) -> dict[str, list[Row]]:
    """Every side up at once; rounds of wrk over (work item x side), order reversed every other round.
    Returns, per other side, one row a work item (ours against that side)."""
    sides = [ours_side, *others]
    runs: dict[tuple[str, str], list[Run]] = {}
    with contextlib.ExitStack() as stack:
        for side in sides:
            side.running = side.start(stack)
            for what, ops in work.items():
                sizes = [check(side.running.base(op), op, side.label) for op in ops]
                print(f"  {side.label}, {what}: answers of {'/'.join(map(str, sizes))} bytes", flush=True)
        for ops in work.values():  # warm-up: caches, compiled validators, pools
            for side in sides:
                assert side.running is not None
                wrk(side.running.base(ops[0]), ops, side.running.pids, seconds=1, connections=args.connections)
        for rnd in range(args.rounds):
            for what, ops in work.items():
                order = sides if rnd % 2 == 0 else list(reversed(sides))
                for side in order:
                    assert side.running is not None
                    run = wrk(side.running.base(ops[0]), ops, side.running.pids, seconds=args.seconds,
                              connections=args.connections)
                    runs.setdefault((what, side.label), []).append(run)
                    bad = f", {run.bad} non-2xx/errors" if run.bad else ""
                    print(f"  round {rnd + 1} {what} / {side.label}: {run.rps:,.0f} req/s, {run.cpu_us:,.0f} µs CPU "
                          f"a request, machine {run.idle:.0%} idle{bad}", flush=True)
    return {other.label: [Row(what, targets(what), runs[(what, ours_side.label)], runs[(what, other.label)])
                          for what in work] for other in others}


def table(title: str, rows: list[Row], header: list[str] = HEADER) -> list[str]:
    return [title, "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *["| " + " | ".join(row.cells()) + " |" for row in rows], ""]


def section_wsgi(args: argparse.Namespace) -> list[str]:
    import importlib.util

    others = [ours("waitress")]
    if importlib.util.find_spec("granian") is not None:
        others.insert(0, ours("granian"))
    work = {name: [op] for name, op in OPS.items()}
    print("(a) WSGI servers on our endpoints", flush=True)
    found = compare(ours("gunicorn"), others, work, lambda _w: [], args)
    head = ["operation", "gunicorn req/s", "other req/s", "gunicorn / other (median of rounds)", "target",
            "gunicorn CPU a request", "other CPU a request", "non-2xx", "machine idle"]
    lines = []
    for label, rows in found.items():
        lines += table(f"(a) gunicorn gthread vs {label.removeprefix('ours, ')} (one process, 8 threads each; "
                       "our app, memory store):", rows, head)
    if importlib.util.find_spec("granian") is None:
        lines += ["granian: not installed here (pip install granian), not measured.", ""]
    return lines


def _named(server: str) -> str:
    return "gunicorn gthread" if server == "gunicorn" else server


def section_bare(args: argparse.Namespace) -> list[str]:
    print("(b) ours vs bare Flask, same server", flush=True)
    work = {name: [op] for name, op in OPS.items()}

    def target(what: str) -> list[tuple[str, float]]:
        return [("issue 12", 0.6), *([("issue 14", 0.7)] if what in SINGLE else [])]

    rows = compare(ours(args.server), [bare(args.server)], work, target, args)[f"bare Flask, {args.server}"]
    return table(f"(b) ours vs a bare Flask endpoint, both under {_named(args.server)}, one worker of 8 threads "
                 "(targets: issue 12 >= 0.6x every operation, issue 14 >= 0.7x single-item operations):", rows)


def section_prism(args: argparse.Namespace) -> list[str]:
    print("(c) ours vs Prism", flush=True)
    work = {name: [op] for name, op in OPS.items()}
    with contextlib.ExitStack() as stack:
        source = ours(args.server).start(stack)
        served = {s: httpx.get(f"{source.base(OPS[SINGLE[0]])}/_admin/openapi/{s}.json", timeout=30).json()
                  for s in {op.service for op in OPS.values()}}
    if any(_external_refs(doc) for doc in served.values()):
        raise SystemExit("our OpenAPI documents refer to schemas by URL: Prism cannot load them")
    docs, changed = {}, []
    for service, doc in served.items():
        docs[service], more = for_prism(doc)
        changed += more
    rows = compare(ours(args.server), [prism(docs.__getitem__)], work,
                   lambda _w: [("issue 12", 1.0), ("issue 14", 1.5)], args)
    return table(f"(c) ours ({_named(args.server)}, one worker of 8 threads) vs Prism 5 mocking our OpenAPI documents, "
                 "request validation on, default logging (targets: issue 12 >= 1.0x, issue 14 >= 1.5x)"
                 + (f"; documents as served except what a body may carry instead of the query (`for_prism`): "
                    f"{'; '.join(changed)}" if changed else "; documents as served") + ":",
                 rows["Prism 5 (validation on)"])


WORKERS = ["load", "2 workers req/s", "1 worker req/s", "2 / 1 (median of rounds)", "target",
           "2 workers CPU a request", "1 worker CPU a request", "non-2xx", "machine idle"]


def section_workers(args: argparse.Namespace) -> list[str]:
    work = {"mixed: 2 writes, 2 reads in turn": MIXED}
    lines = []
    with tempfile.TemporaryDirectory() as folder:
        print("(d) 1 vs 2 workers, SQLite", flush=True)
        two, one = (ours("gunicorn", workers=n, store=f"sqlite:///{folder}/w{n}.db") for n in (2, 1))
        rows = compare(two, [one], work, lambda _w: [("issue 12", 1.5)], args)[one.label]
        lines += table("(d) `--workers 2` vs `--workers 1` (8 threads each), SQLite store, mixed load (target "
                       ">= 1.5x):", rows, WORKERS)
    try:
        import psycopg

        psycopg.connect(POSTGRES, connect_timeout=3).close()
    except Exception as exc:  # no driver, no server: said, not hidden
        return [*lines, f"PostgreSQL at {POSTGRES} not reachable ({exc}): not measured.", ""]
    joiner = "&" if "?" in POSTGRES else "?"
    urls = {n: f"{POSTGRES}{joiner}schema=bench_{uuid.uuid4().hex[:10]}" for n in (1, 2)}
    try:
        print("(d) 1 vs 2 workers, PostgreSQL", flush=True)
        two, one = (ours("gunicorn", workers=n, store=urls[n]) for n in (2, 1))
        rows = compare(two, [one], work, lambda _w: [], args)[one.label]
        lines += table("(d) `--workers 2` vs `--workers 1` (8 threads each), PostgreSQL store (127.0.0.1, the same "
                       "machine; its own CPU is not counted), mixed load:", rows, WORKERS)
    finally:
        from mock_server.postgres import PostgresStore

        for url in urls.values():
            with contextlib.suppress(Exception):
                store = PostgresStore(url)
                store.drop()
                store.close()
    return lines


SECTIONS: dict[str, Callable[[argparse.Namespace], list[str]]] = {
    "wsgi": section_wsgi, "bare": section_bare, "prism": section_prism, "workers": section_workers}


def run_all(args: argparse.Namespace, only: list[str] | None = None) -> list[str]:
    ensure_wrk()
    lines = [f"wrk -t2 -c{args.connections} -d{args.seconds:g}s a run, {args.rounds} interleaved rounds; server CPU "
             "a request from /proc/<pid>/stat of the server's processes (workers included), wrk's own CPU not "
             "counted; non-2xx: answers that were not 2xx plus socket errors, ours / other.", ""]
    for name in only or list(SECTIONS):
        started = time.monotonic()
        lines += SECTIONS[name](args)
        print(f"({name}: {time.monotonic() - started:.0f} s)", flush=True)
    return lines


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", help=f"comma-separated sections: {', '.join(SECTIONS)}")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--server", choices=("gunicorn", "granian", "waitress"), default="gunicorn",
                   help="the WSGI server of the bare and prism sections (ours and bare Flask alike)")
    p.add_argument("--write", action="store_true", help=f"also put the tables into benchmarks/RESULTS.md ({TITLE})")
    args = p.parse_args()
    only = args.only.split(",") if args.only else None
    load, started = os.getloadavg(), time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = run_all(args, only)
    end = os.getloadavg()
    command = " ".join(["python -m benchmarks.serving", *sys.argv[1:]]).replace(" --write", "")
    head = [f"Command: `.venv/bin/{command}` ({started}; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs "
            f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the start, "
            f"{end[0]:.1f} / {end[1]:.1f} / {end[2]:.1f} at the end, this run's own load included).", ""]
    print("\n".join([*head, *lines]))
    if args.write:
        from benchmarks._harness import write_section

        write_section(TITLE, [*head, *lines])


if __name__ == "__main__":
    main()
