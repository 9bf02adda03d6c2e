"""The request journal and fault injection: what ``/_admin/requests`` and ``/_admin/faults`` read and write.

Both live in the store, so every worker process of a SQLite-backed server records into one journal
and obeys the same faults.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import re
import secrets
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, Request, Response, current_app, g, request

from schemas import RuleError
from schemas.redact import MASK, SECRET_HEADERS, SECRET_PATH_ARGS, redact, redact_query, redact_url
from schemas.wire import LAST_SECOND, parse_number

from .config import SERVICE_NAMES
from .errors import ServiceError
from .kit import kit

__all__ = ["JournalFilter", "add_fault", "clear", "count", "install_journal", "list_faults", "parse_filter",
           "parse_status", "recent", "redact_path", "remove_fault"]

#: The access log, one line a request with secrets masked; ``mock-server`` prints it instead of werkzeug's
#: own (which would print widget keys in paths and ezkeys in query strings).
access_log = logging.getLogger("mock_server.access")

JOURNAL = "_journal"
FAULTS = "_faults"
META = "_meta"
#: Bytes of a body masked beyond the journal's cap, so that a secret field cut by the cap is still seen whole
#: enough to be masked by name.
_MASK_MARGIN = 1024


def _record(response: Response) -> None:
    # On every request's path: the request and g are taken once (each access through Flask's proxies costs).
    req: Request = request._get_current_object()  # type: ignore[attr-defined]
    ctx = g._get_current_object()
    k = kit()
    environ = req.environ
    service = k.service_for_request()
    body, truncated = _body(req, ctx, k.config.journal_body_max)
    query = req.query_string
    entry: dict[str, Any] = {
        "id": ctx.get("request_id"),
        "time": time.time(),
        "service": service.name if service is not None else None,
        "method": req.method,
        "path": redact_path(req.path),
        "query": redact_query(query.decode("latin-1")) if query else "",
        "status": response.status_code,
        "retry_count": environ.get("HTTP_X_RETRY_COUNT"),
        "headers": _headers(environ),
        "body_bytes": req.content_length or 0,
        "body": body,
        "body_truncated": truncated,
        "validation_errors": ctx.get("validation_errors", []),
        "fault": ctx.get("fault"),
    }
    if access_log.isEnabledFor(logging.INFO):
        shown = f"?{entry['query']}" if entry["query"] else ""
        access_log.info('"%s %s%s" %s', entry["method"], entry["path"], shown, entry["status"])
    k.store.append(JOURNAL, entry, k.config.journal_size)


#: environ key -> (the name ``request.headers`` gives it, whether its value is a secret); bounded, since clients
#: choose the names.
_HEADER_NAMES: dict[str, tuple[str, bool]] = {}
_BODY_HEADERS = frozenset({"CONTENT_TYPE", "CONTENT_LENGTH"})


def _headers(environ: Mapping[str, Any]) -> dict[str, str]:
    """The request's headers as ``{name: value for name, value in request.headers.items()}`` gives them (werkzeug's
    ``EnvironHeaders`` names and order), secrets masked, read from the environ without werkzeug's per-header work."""
    out: dict[str, str] = {}
    names = _HEADER_NAMES
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            if key == "HTTP_CONTENT_TYPE" or key == "HTTP_CONTENT_LENGTH":
                continue
        elif key not in _BODY_HEADERS or not value:
            continue
        known = names.get(key)
        if known is None:
            name = (key[5:] if key.startswith("HTTP_") else key).replace("_", "-").title()
            known = (name, name.lower() in SECRET_HEADERS)
            if len(names) < 4096:
                names[key] = known
        name, secret = known
        out[name] = MASK if secret else _header_value(name, value)
    return out


def _header_value(name: str, value: str) -> str:
    if name.lower() in SECRET_HEADERS:
        return MASK
    if "?" in value or "://" in value or value[:1] == "/":  # a URL (Referer, Origin, a callback): its query and
        return redact_url(_redact_url_path(value))  # its secret path segments
    return value


def _body(req: Request, ctx: Any, cap: int) -> tuple[str, bool]:
    """The request body as text, secrets masked, at most ``cap`` bytes of UTF-8, and whether it was cut. A body
    not read before the view (over the server's limit, a connection dropped before reading) is not read now."""
    raw = req.get_data(cache=True) if ctx.get("body_kept") else b""
    if not raw:
        return "", False
    masked = redact(raw[: cap + _MASK_MARGIN].decode("utf-8", "replace"))
    data = masked.encode("utf-8")
    if len(data) <= cap and len(raw) <= cap + _MASK_MARGIN:
        return masked, False
    return data[:cap].decode("utf-8", "ignore"), True


# -- secret path segments, by the routes' shapes ------------------------------------------------------------
_VARIABLE = re.compile(r"<(?:[^<>:]+:)?([^<>:]+)>")
_Shape = tuple[tuple[str | None, ...], int]


def _shapes() -> list[_Shape]:
    """For each route with a secret variable (``/cyfe/api/push/<widget_key>``): the segments before it (None where
    a route has a variable) and its position. Any path with those segments has a secret there, routed or not
    (``/cyfe/api/push/<key>/extra``, a 405), so every such path is masked alike."""
    cached: list[_Shape] | None = current_app.extensions.get("analytics_api_kit.path_shapes")
    if cached is not None:
        return cached
    shapes: set[_Shape] = set()
    for rule in current_app.url_map.iter_rules():
        prefix: list[str | None] = []
        for segment in rule.rule.split("/"):
            names = _VARIABLE.findall(segment)
            if any(name in SECRET_PATH_ARGS for name in names):
                shapes.add((tuple(prefix), len(prefix)))
                break
            if "<path:" in segment:  # a variable that spans segments: nothing after it has a fixed position
                break
            prefix.append(None if names else segment)
    found = sorted(shapes, key=lambda s: (s[1], tuple(p or "" for p in s[0])))
    current_app.extensions["analytics_api_kit.path_shapes"] = found
    return found


def redact_path(path: str) -> str:
    """``path`` with every segment that a route's shape says is a secret masked."""
    cache: dict[str, str] | None = current_app.extensions.get("analytics_api_kit.masked_paths")
    if cache is None:
        cache = current_app.extensions["analytics_api_kit.masked_paths"] = {}
    masked = cache.get(path)
    if masked is None:
        masked = _mask_path(path)
        if len(cache) >= 4096:  # clients choose paths: keep the most recent few thousand
            cache.clear()
        cache[path] = masked
    return masked


def _mask_path(path: str) -> str:
    parts = path.split("/")
    masked = False
    for prefix, at in _shapes():
        if len(parts) > at and parts[at] and parts[at] != MASK and all(
                want is None or want == got for want, got in zip(prefix, parts, strict=False)):
            parts[at] = MASK
            masked = True
    return "/".join(parts) if masked else path


def _redact_url_path(value: str) -> str:
    """A URL's path masked as ``redact_path`` masks a request's (a Referer may be a page of this server)."""
    if value[:1] == "/":
        path, mark, query = value.partition("?")
        return f"{redact_path(path)}{mark}{query}"
    scheme, sep, rest = value.partition("://")
    if not sep:
        return value
    host, slash, tail = rest.partition("/")
    if not slash:
        return value
    path, mark, query = tail.partition("?")
    return f"{scheme}://{host}{redact_path('/' + path)}{mark}{query}"


# -- reading the journal ------------------------------------------------------------------------------------
def parse_status(spec: str, field: str = "status") -> Callable[[int], bool]:
    """``404`` or a class ``4xx``: the test a status passes; a 400 naming ``field`` for anything else."""
    low = spec.strip().lower()
    if len(low) == 3 and low.endswith("xx") and low[0] in "12345":
        digit = int(low[0])
        return lambda status: status // 100 == digit
    if len(low) == 3 and low.isdigit() and 100 <= int(low) <= 599:
        wanted = int(low)
        return lambda status: status == wanted
    raise ServiceError(400, f"{field}: {spec[:40]!r} is not a status (404) or a class of statuses (4xx)")


def _instant(raw: str, field: str) -> float:
    """Epoch seconds, or an ISO 8601 instant with its offset (``2026-12-03T07:00:00Z``)."""
    try:
        return float(parse_number(raw, field, minimum=0, maximum=LAST_SECOND))
    except RuleError as exc:
        if raw.strip()[:1].isdigit() and "-" not in raw and ":" not in raw:
            raise ServiceError(400, str(exc)) from None
    try:
        when = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise ServiceError(400, f"{field}: {raw[:40]!r} is neither epoch seconds nor an ISO 8601 instant") from None
    if when.tzinfo is None:
        raise ServiceError(400, f"{field}: {raw[:40]!r} has no UTC offset (add Z or +hh:mm)")
    return when.timestamp()


@dataclass(frozen=True)
class JournalFilter:
    """What ``/_admin/requests`` and ``/_admin/requests/count`` select: every given criterion must hold."""

    method: str | None = None
    path: str | None = None
    path_pattern: re.Pattern[str] | None = None
    status: Callable[[int], bool] | None = None
    service: str | None = None
    since: float | None = None  # inclusive
    until: float | None = None  # exclusive

    @property
    def empty(self) -> bool:
        return all(v is None for v in vars(self).values())

    def __call__(self, e: Mapping[str, Any]) -> bool:
        if self.method is not None and e["method"] != self.method:
            return False
        if self.path is not None and not e["path"].startswith(self.path):
            return False
        if self.path_pattern is not None and not self.path_pattern.fullmatch(e["path"]):
            return False
        if self.status is not None and not self.status(int(e["status"])):
            return False
        if self.service is not None and service_of(e) != self.service:
            return False
        if self.since is not None and e["time"] < self.since:
            return False
        return not (self.until is not None and e["time"] >= self.until)


FILTER_PARAMS = ("method", "path", "path_pattern", "status", "service", "since", "until")


def parse_filter(args: Mapping[str, str]) -> JournalFilter:
    """The filter the query parameters ask for; a 400 naming the first parameter that is wrong."""
    given = {k: args[k] for k in FILTER_PARAMS if args.get(k) not in (None, "")}
    method = given.get("method")
    if method is not None and not re.fullmatch(r"[A-Za-z]{1,20}", method):
        raise ServiceError(400, f"method: {method[:40]!r} is not an HTTP method")
    pattern = None
    if "path_pattern" in given:
        if len(given["path_pattern"]) > 1000:
            raise ServiceError(400, "path_pattern: at most 1000 characters")
        try:
            pattern = re.compile(given["path_pattern"])
        except (re.error, RecursionError, OverflowError) as exc:
            raise ServiceError(400, f"path_pattern: not a regular expression ({exc})") from None
    service = given.get("service")
    if service is not None and service not in SERVICE_NAMES:
        raise ServiceError(400, f"service: no service named {service[:40]!r} (one of {', '.join(SERVICE_NAMES)})")
    since = _instant(given["since"], "since") if "since" in given else None
    until = _instant(given["until"], "until") if "until" in given else None
    return JournalFilter(method=method.upper() if method else None, path=given.get("path"), path_pattern=pattern,
                         status=parse_status(given["status"]) if "status" in given else None, service=service,
                         since=since, until=until)


def service_of(entry: Mapping[str, Any]) -> str | None:
    """The service an entry was served by (entries written before it was kept: by its path's prefix)."""
    if "service" in entry:
        name: str | None = entry["service"]
        return name
    first = str(entry["path"]).lstrip("/").split("/", 1)[0]
    return first if first in SERVICE_NAMES else kit().config.only


def recent(limit: int, path: str | None = None, where: JournalFilter | None = None) -> list[dict[str, Any]]:
    """The newest ``limit`` entries that match, oldest first."""
    where = JournalFilter(path=path) if where is None and path is not None else where
    store = kit().store
    if where is None or where.empty:
        return [e for _, e in store.items(JOURNAL, max(0, store.count(JOURNAL) - limit))]
    matching = [e for _, e in store.items(JOURNAL) if where(e)]
    return matching[-limit:]


def count(where: JournalFilter) -> int:
    store = kit().store
    if where.empty:
        return store.count(JOURNAL)
    return sum(1 for _, e in store.items(JOURNAL) if where(e))


def clear() -> int:
    """Empty the journal (nothing else); how many entries it held."""
    store = kit().store
    with store.transaction():
        n = store.count(JOURNAL)
        store.clear(JOURNAL)
    return n


# -- faults ---------------------------------------------------------------------------------------------------
#: Kinds that act on the client's connection itself, so they need the WSGI server's socket.
SOCKET_KINDS = frozenset({"reset", "empty", "reset_after", "malformed_chunked"})
_CANNOT = {
    "reset": "drop a connection", "empty": "drop a connection", "reset_after": "drop a connection",
    "malformed_chunked": "send a malformed chunked body",
}


def add_fault(spec: dict[str, Any]) -> dict[str, Any]:
    """Arm a fault (``spec`` already checked against ``admin/fault``); the fault as ``GET /_admin/faults`` lists it."""
    pattern = spec.get("path_pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except (re.error, RecursionError, OverflowError) as exc:
            raise ServiceError(400, f"path_pattern: not a regular expression ({exc})") from None
    store = kit().store
    with store.transaction():
        seq = int(store.get(META, "fault_seq") or 0) + 1
        store.put(META, "fault_seq", seq)
        fault = {"id": seq, "kind": "status", "method": None, "path": None, "path_pattern": None, "times": 1,
                 "status": 503, "headers": {}, "body": None, "delay": 0.0, "duration": None, **spec, "fired": 0}
        fault["remaining"] = fault["times"]
        store.put(FAULTS, str(seq), fault)
    return fault


def list_faults() -> list[dict[str, Any]]:
    """The armed faults, oldest first, each with ``fired`` (requests it hit) and ``remaining`` (null: no end)."""
    return [f for _, f in kit().store.items(FAULTS)]


def remove_fault(fault_id: int) -> bool:
    return kit().store.delete(FAULTS, str(fault_id))


def _matches(fault: Mapping[str, Any]) -> bool:
    path = request.path
    if fault.get("path") is not None and not path.startswith(fault["path"]):
        return False
    if fault.get("path_pattern") is not None and not re.fullmatch(fault["path_pattern"], path):
        return False
    return not (fault.get("method") and fault["method"].upper() != request.method)


def _take_fault() -> dict[str, Any] | None:
    """The first armed fault this request matches, counted as fired (and gone once it has no hit left)."""
    store = kit().store
    if not store.count(FAULTS):
        return None
    with store.transaction():
        for key, fault in store.items(FAULTS):
            if not _matches(fault):
                continue
            fault["fired"] = int(fault.get("fired", 0)) + 1
            remaining = fault.get("remaining", fault["times"])  # a fault armed by an older server: times counts down
            if remaining is not None:
                fault["remaining"] = remaining = int(remaining) - 1
            if remaining is not None and remaining <= 0:
                store.delete(FAULTS, key)
            else:
                store.put(FAULTS, key, fault)
            return dict(fault)
    return None


def _socket(kind: str) -> socket.socket:
    """The client's connection (werkzeug and gunicorn put it in the environ), or the JSON 500 of a server that
    exposes none (an in-process transport, waitress, granian): it cannot deliver this fault, and says so."""
    sock: socket.socket | None = request.environ.get("werkzeug.socket") or request.environ.get("gunicorn.socket")
    if sock is None:
        raise ServiceError(500, f"injected fault {kind}: this server cannot {_CANNOT[kind]} (it exposes no socket: "
                                "in process, waitress or granian); serve with gunicorn (mock-server's default) or "
                                "werkzeug")
    return sock


def _drop_connection(sock: socket.socket) -> None:
    """Shut the client's connection, so the client sees it closed without (more of) a reply; the server's own
    write then fails quietly."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _send_malformed_chunked(sock: socket.socket, response: Response) -> None:
    """The reply's status line and headers, the first half of its body as a proper chunk, then a chunk-size
    line that is not hexadecimal, and the connection closed."""
    data = response.get_data()
    head = [f"HTTP/1.1 {response.status}"]
    head += [f"{k}: {v}" for k, v in response.headers.items() if k.lower() not in ("content-length", "connection")]
    head += ["Transfer-Encoding: chunked", "Connection: close", "", ""]
    half = data[: max(1, len(data) // 2)]
    payload = "\r\n".join(head).encode("latin-1") + f"{len(half):x}\r\n".encode() + half + b"\r\nnot-hex\r\n"
    with contextlib.suppress(OSError):
        sock.sendall(payload)
    _drop_connection(sock)


def _trickle(data: bytes, duration: float) -> Iterator[bytes]:
    """``data`` in up to 10 pieces, one every ``duration / pieces`` seconds (the first after one step)."""
    pieces = max(1, min(len(data), 10))
    size = -(-len(data) // pieces) or 1
    step = duration / pieces
    for start in range(0, max(len(data), 1), size):
        time.sleep(step)
        yield data[start: start + size]


def _keep_body(ctx: Any) -> None:
    """Keep the raw body before a view parses a form from it (the journal shows it); one over the server's limit
    is left to the view, which answers its 413."""
    req: Request = request._get_current_object()  # type: ignore[attr-defined]
    length = req.content_length
    if (length and length <= kit().config.max_body) or (length is None and req.environ.get("wsgi.input_terminated")):
        req.get_data(cache=True)
        ctx.body_kept = True


#: Request ids: a random prefix for this process and a counter, 32 hex digits as a uuid4's; unique across
#: processes and instances without the system call a uuid4 makes (os.urandom) on every request.
_ids: Iterator[int] = itertools.count()
_id_prefix = ""


def _new_id_prefix() -> None:
    global _ids, _id_prefix
    _id_prefix, _ids = secrets.token_hex(8), itertools.count()


_new_id_prefix()
os.register_at_fork(after_in_child=_new_id_prefix)  # a gunicorn worker forked from the master: its own prefix


def request_id() -> str:
    return f"{_id_prefix}{next(_ids):016x}"


def install_journal(app: Flask) -> None:
    @app.before_request
    def request_id_and_faults() -> Response | None:
        # Every reply says which request it answers (X-Request-Id); the journal entry carries the same id.
        ctx = g._get_current_object()
        ctx.request_id = request_id()
        if request.path.startswith("/_admin"):
            return None
        fault = _take_fault()
        if fault is None or fault.get("kind", "status") != "reset":
            _keep_body(ctx)
        if fault is None:
            return None
        return _inject(fault)

    @app.after_request
    def journal(response: Response) -> Response:
        ctx = g._get_current_object()
        if "request_id" in ctx:
            response.headers.setdefault("X-Request-Id", ctx.request_id)
        if not request.path.startswith("/_admin"):
            _record(response)
        after = ctx.get("fault_after")
        if after is None:
            return response
        kind, sock, fault = after
        if fault["headers"]:
            response.headers.update(fault["headers"])
        if kind == "reset_after":
            _drop_connection(sock)
        elif kind == "malformed_chunked":
            _send_malformed_chunked(sock, response)
        elif kind == "slow_body":
            response.response = _trickle(response.get_data(), float(fault["duration"]))
        return response


def _inject(fault: dict[str, Any]) -> Response | None:
    g.fault = {"id": fault["id"], "kind": fault.get("kind", "status")}
    if fault["delay"]:
        time.sleep(float(fault["delay"]))
    kind = g.fault["kind"]
    sock = _socket(kind) if kind in SOCKET_KINDS else None
    if kind in ("reset", "empty") and sock is not None:  # no view runs, no byte of reply
        _drop_connection(sock)
        return Response(status=500)
    if kind in ("reset_after", "malformed_chunked", "slow_body"):  # applied; the reply is spoilt afterwards
        g.fault_after = (kind, sock, fault)
        return None
    if fault["status"] is None:  # a delay alone
        return None
    if fault["body"] is not None:
        from .http import reply

        return reply(fault["body"], fault["status"], headers=fault["headers"])
    raise ServiceError(int(fault["status"]), "injected fault", headers=fault["headers"])
