"""``analytics-kit``: send, import, export and tail, through the SDK, from a shell.

Exit codes: 0 done; 1 something was refused or not delivered (the message says what, the failed-items
file keeps it); 2 a usage or set-up error (bad flags, a missing credential, no such file); 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from .._env import ENV
from .._errors import APIError, SDKError, TransportError, ValidationError
from ._records import detect_format, read_records
from ._services import ADAPTERS, DEFAULT_SERVER, SERVER, Connection, connect

__all__ = ["main"]

SERVICES = tuple(ADAPTERS)
PROG = "analytics-kit"

CREDENTIALS = {service: env.credentials for service, env in ENV.items()}
_CRED_HELP = "; ".join(f"{s}: " + ", ".join(f"--{n.replace('_', '-')} (${v})" for n, v in names.items())
                       for s, names in CREDENTIALS.items())

EPILOG = f"""examples:
  {PROG} send stathat stat="page view" count=1
  {PROG} import stats.jsonl --service stathat --progress
  {PROG} export stathat > stats.jsonl
  {PROG} tail --service stathat --status 4xx

The server is --server, else ${SERVER}, else {DEFAULT_SERVER}; a service's own base URL is --base-url or
$ANALYTICS_API_KIT_<SERVICE>_BASE_URL. Credentials come from flags or the environment: {_CRED_HELP}.
Line formats of import and export: `{PROG} import --help`.
"""

SEND_EPILOG = f"""examples:
  {PROG} send stathat stat="page view" count=1 --ezkey dev-ezkey
  {PROG} send stathat stat=latency value=0.23 t=1700000000
  {PROG} send countly key=purchase count=1 sum=9.99 --app-key dev-app-key --device-id d1
  {PROG} send taplytics --json '{{"user_id": "u1", "custom_data": {{"plan": "pro"}}}}' --api-token dev-api-token
  {PROG} send cyfe Date=20260102 Users=12 --widget-key dev-widget
  {PROG} send reports --json '{{"tokens": ["another-token"]}}'

FIELD=VALUE pairs (or --json for nested fields) form one line of the service's import format.
"""

IMPORT_EPILOG = f"""examples:
  {PROG} import stats.jsonl --service stathat --ezkey dev-ezkey --progress
  {PROG} import events.csv --service countly --app-key dev-app-key --device-id d1
  cat users.jsonl | {PROG} import - --service taplytics
  {PROG} import stats.jsonl.failed.jsonl --service stathat     # resume: what did not arrive last time

Line formats (JSON Lines; a CSV has the same fields as columns, a header line first, nested fields as JSON):
  stathat    {{"stat": "page view", "count": 2, "t": 1700000000}}  or  {{"stat": "load", "value": 0.7}}
  countly    {{"key": "purchase", "count": 1, "sum": 9.5, "dur": 3, "segmentation": {{"plan": "pro"}},
              "timestamp": 1700000000000, "device_id": "d1"}}; or a file of export's lines (seed parts
              {{"apps": [...]}}, {{"members": [...]}}, {{"documents": [...]}}), not both in one file
  taplytics  {{"user_id": "u1", "email": "a@example.com", "name": "Ann", "custom_data": {{"plan": "pro"}}}}
  cyfe       {{"Date": "20260102", "Users": 12}}; before the rows, optionally
             {{"options": {{"color": {{"Users": "#ff0000"}}, "type": {{"Users": "area"}}}}}}
  reports    a part of the /_admin/seed reports section: {{"accounts": [{{"id": 1, "name": "Acme"}}]}}

Lines that are not valid are reported (line number and reason: the first --max-errors, then a count) and
not sent. Items that were not delivered, and on Ctrl-C or a fatal error every line not read yet, go to
the failed-items file (--failed, default FILE.failed.jsonl), which import takes again.
"""

EXPORT_EPILOG = f"""examples:
  {PROG} export stathat --ezkey dev-ezkey > stats.jsonl
  {PROG} export cyfe --widget-key dev-widget -o widget.jsonl
  {PROG} export taplytics > users.jsonl && {PROG} import users.jsonl --service taplytics --server http://other:8080
  {PROG} export countly > countly.jsonl && {PROG} import countly.jsonl --service countly --server http://other:8080

Writes the service's state from a reference server as JSON Lines in the import format: StatHat points,
Cyfe options and rows, Taplytics users, the reports data model, Countly's apps, members and stored
documents (the server keeps aggregated buckets, not events, as Countly does). Reports and Countly load into
a server that holds none of their ids; each line is also a part of a /_admin/seed section.
"""

TAIL_EPILOG = f"""examples:
  {PROG} tail
  {PROG} tail --service stathat --status 4xx
  {PROG} tail -n 20 --no-follow --path /cyfe/api/push

One line a request of the reference server's journal: time, status, retry count, method, path, errors.
"""


def _credential_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("where and with what (flags, else the environment)")
    g.add_argument("--server", help=f"a reference server's root URL (${SERVER}, default {DEFAULT_SERVER})")
    g.add_argument("--base-url", help="the service's own base URL (default <server>/<service>)")
    names = sorted({n for names in CREDENTIALS.values() for n in names})
    for name in names:
        owners = [s for s, v in CREDENTIALS.items() if name in v]
        g.add_argument("--" + name.replace("_", "-"), dest=name,
                       help=", ".join(f"{s} (${CREDENTIALS[s][name]})" for s in owners))


def parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    p = argparse.ArgumentParser(prog=PROG, description="Send, import, export and tail analytics data.",
                                epilog=EPILOG, formatter_class=fmt)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("send", help="send one stat, event, user, row or seed part", epilog=SEND_EPILOG,
                       formatter_class=fmt, description="Send one item to a service.")
    s.add_argument("service", choices=SERVICES)
    s.add_argument("fields", nargs="*", metavar="FIELD=VALUE")
    s.add_argument("--json", dest="json_line", help="the item as a JSON object (merged under FIELD=VALUE)")
    _credential_flags(s)

    i = sub.add_parser("import", help="import a JSON Lines or CSV file through the batchers", epilog=IMPORT_EPILOG,
                       formatter_class=fmt, description="Import a file of items (or - for stdin).")
    i.add_argument("file", metavar="FILE", help="a .jsonl or .csv file, or - for stdin")
    i.add_argument("--service", required=True, choices=SERVICES)
    i.add_argument("--format", choices=("jsonl", "csv"), help="default: csv for *.csv, JSON Lines otherwise")
    i.add_argument("--failed", help="where undelivered items go (default FILE.failed.jsonl)")
    i.add_argument("--progress", action="store_true", help="show progress even when stderr is not a terminal")
    i.add_argument("--max-errors", type=int, default=10, help="bad lines reported one by one (default 10)")
    _credential_flags(i)

    e = sub.add_parser("export", help="export a service's state from a reference server", epilog=EXPORT_EPILOG,
                       formatter_class=fmt, description="Export a service's state as JSON Lines.")
    e.add_argument("service", choices=SERVICES)
    e.add_argument("-o", "--output", help="a file (default stdout)")
    _credential_flags(e)

    t = sub.add_parser("tail", help="follow a reference server's request journal", epilog=TAIL_EPILOG,
                       formatter_class=fmt, description="Follow the request journal, like tail -f.")
    t.add_argument("--server", help=f"the reference server (${SERVER}, default {DEFAULT_SERVER})")
    t.add_argument("--service", choices=SERVICES)
    t.add_argument("--status", help="a status (404) or a class (4xx)")
    t.add_argument("--path", help="only paths that start with this")
    t.add_argument("-n", "--lines", type=int, default=10, help="show this many past requests first (default 10)")
    t.add_argument("--no-follow", action="store_true", help="print and exit")
    t.add_argument("--interval", type=float, default=0.5, help="seconds between polls (default 0.5)")
    return p


def _fail(message: str, code: int = 1) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return code


def _connection(args: argparse.Namespace, service: str) -> Connection:
    given = {n: getattr(args, n, None) for names in CREDENTIALS.values() for n in names}
    return connect(service, args.server, args.base_url, given)


def _fields(pairs: Sequence[str], json_line: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if json_line is not None:
        try:
            loaded = json.loads(json_line)
        except ValueError as exc:
            raise ValidationError(f"--json: not JSON: {exc}") from None
        if not isinstance(loaded, dict):
            raise ValidationError("--json: must be a JSON object")
        data.update(loaded)
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ValidationError(f"{pair!r}: expected FIELD=VALUE")
        data[name] = value
    if not data:
        raise ValidationError("nothing to send: give FIELD=VALUE pairs or --json")
    return data


def cmd_send(args: argparse.Namespace) -> int:
    adapter = ADAPTERS[args.service]()
    conn = _connection(args, args.service)
    try:
        data = _fields(args.fields, args.json_line)
        item = adapter.item(data)
        if item is None:
            raise ValidationError("a directive alone sends nothing: add a row")
        adapter.send_one(conn, item)
    except ValidationError as exc:
        return _fail(f"{args.service}: {exc}", 2)
    except (APIError, TransportError) as exc:
        return _fail(f"{args.service}: {_explain(exc)}")
    finally:
        conn.close()
    print(f"sent 1 {adapter.what} to {args.service}")
    return 0


def _explain(exc: BaseException) -> str:
    from .._errors import Forbidden, Unauthorized

    if isinstance(exc, (Unauthorized, Forbidden)):
        return f"bad credentials: {exc}"
    if isinstance(exc, TransportError):
        return f"cannot reach the server: {exc}"
    return str(exc)


def cmd_import(args: argparse.Namespace) -> int:
    from ._importer import run_import

    adapter = ADAPTERS[args.service]()
    fmt = detect_format(args.file, args.format)
    if args.file == "-":
        stream = sys.stdin.buffer
        total = None
        failed_path = args.failed or "analytics-kit.failed.jsonl"
    else:
        try:
            stream = open(args.file, "rb")  # noqa: SIM115 (closed below)
        except OSError as exc:
            return _fail(f"{args.file}: {exc.strerror}", 2)
        total = os.fstat(stream.fileno()).st_size or None
        failed_path = args.failed or f"{args.file}.failed.jsonl"
    conn = _connection(args, args.service)
    started = time.monotonic()
    try:
        try:
            result = run_import(adapter, conn, read_records(stream, fmt), failed_path=failed_path, errors=sys.stderr,
                                max_errors=max(0, args.max_errors), progress=args.progress or sys.stderr.isatty(),
                                total_bytes=total)
        except ValidationError as exc:  # a missing credential, before anything was sent
            return _fail(f"{args.service}: {exc}", 2)
    finally:
        conn.close()
        if stream is not sys.stdin.buffer:
            stream.close()
    elapsed = time.monotonic() - started
    print(f"{result.lines} lines read, {result.accepted} accepted, {result.bad} bad; "
          f"sent {result.sent} {adapter.what}s, {result.retried} retried requests, {result.failed} failed"
          + (f", {result.unread} lines not read" if result.unread else "") + f" ({elapsed:.1f} s)")
    if result.failed_path:
        print(f"not delivered: {result.failed + result.unread} lines in {result.failed_path} "
              f"(import it again: {PROG} import {result.failed_path} --service {args.service})", file=sys.stderr)
    if result.interrupted:
        print(f"interrupted: {result.sent} {adapter.what}s were sent", file=sys.stderr)
        return 130
    if result.stopped:
        return _fail(f"{args.service}: stopped: {result.stopped}")
    return 1 if (result.bad or result.failed) else 0


def cmd_export(args: argparse.Namespace) -> int:
    adapter = ADAPTERS[args.service]()
    conn = _connection(args, args.service)
    out = sys.stdout
    count = 0
    try:
        if args.output:
            out = open(args.output, "w", encoding="utf-8")  # noqa: SIM115 (closed below)
        for line in adapter.export(conn):
            out.write(json.dumps(line) + "\n")
            count += 1
    except ValidationError as exc:
        return _fail(str(exc), 2)
    except BrokenPipeError:  # `analytics-kit export ... | head`: the reader has what it wanted
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (the interpreter's exit flush must not fail)
        return 0
    except OSError as exc:
        return _fail(f"{args.output}: {exc.strerror}", 2)
    except (APIError, TransportError) as exc:
        return _fail(f"{args.service}: {_explain(exc)}")
    finally:
        conn.close()
        if out is not sys.stdout:
            out.close()
    print(f"exported {count} lines", file=sys.stderr)
    return 0


def cmd_tail(args: argparse.Namespace) -> int:
    from ._tail import follow

    server = (args.server or os.environ.get(SERVER) or DEFAULT_SERVER).rstrip("/")
    try:
        follow(server, service=args.service, status=args.status, path=args.path, lines=args.lines,
               once=args.no_follow, interval=args.interval)
    except ValidationError as exc:
        return _fail(str(exc), 2)
    except (APIError, TransportError) as exc:
        return _fail(_explain(exc))
    except KeyboardInterrupt:
        return 130
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command = {"send": cmd_send, "import": cmd_import, "export": cmd_export, "tail": cmd_tail}[args.command]
    try:
        return command(args)
    except KeyboardInterrupt:
        return 130
    except SDKError as exc:
        return _fail(str(exc))

