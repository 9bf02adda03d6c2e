"""The request journal and fault injection: what ``/_admin/requests`` and ``/_admin/faults`` read and write.

Both live in the store, so every worker process of a SQLite-backed server records into one journal
and obeys the same faults.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import time
import uuid
from typing import Any

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from schemas.redact import MASK, SECRET_HEADERS, SECRET_PATH_ARGS, redact_query

from .errors import ServiceError
from .kit import kit

__all__ = ["install_journal", "recent"]

#: The access log, one line a request with secrets masked; ``mock-server`` prints it instead of werkzeug's
#: own (which would print widget keys in paths and ezkeys in query strings).
access_log = logging.getLogger("mock_server.access")

JOURNAL = "_journal"
FAULTS = "_faults"
META = "_meta"


def _record(response: Response) -> None:
    k = kit()
    entry: dict[str, Any] = {
        "id": g.get("request_id"),
        "time": time.time(),
        "method": request.method,
        "path": _redact_path(),
        "query": redact_query(request.query_string.decode("latin-1")),
        "status": response.status_code,
        "retry_count": request.headers.get("X-Retry-Count"),
        "headers": {h: (MASK if h.lower() in SECRET_HEADERS else v) for h, v in request.headers.items()},
        "body_bytes": request.content_length or 0,
        "validation_errors": getattr(g, "validation_errors", []),
    }
    if access_log.isEnabledFor(logging.INFO):
        query = f"?{entry['query']}" if entry["query"] else ""
        access_log.info('"%s %s%s" %s', entry["method"], entry["path"], query, entry["status"])
    with k.store.transaction():
        seq = int(k.store.get(META, "journal_seq") or 0) + 1
        k.store.put(META, "journal_seq", seq)
        k.store.put(JOURNAL, f"{seq:012d}", entry)
        if seq > k.config.journal_size:
            k.store.delete(JOURNAL, f"{seq - k.config.journal_size:012d}")


def _path_args() -> dict[str, Any]:
    """The URL variables of the request; for a 405 (no view ran), those of a method the route allows."""
    if request.view_args is not None:
        return request.view_args
    error = request.routing_exception
    allowed = list(error.valid_methods or []) if isinstance(error, MethodNotAllowed) else []
    if allowed:
        try:
            _, args = current_app.url_map.bind_to_environ(request.environ).match(method=allowed[0])
        except HTTPException:
            return {}
        return dict(args)
    return {}


def _redact_path() -> str:
    secrets = {str(v) for k, v in _path_args().items() if k in SECRET_PATH_ARGS and v}
    return "/".join(MASK if part in secrets else part for part in request.path.split("/"))


def recent(limit: int, path: str | None = None) -> list[dict[str, Any]]:
    store = kit().store
    count = store.count(JOURNAL)
    if path is None:
        return [e for _, e in store.items(JOURNAL, max(0, count - limit))]
    matching = [e for _, e in store.items(JOURNAL) if e["path"].startswith(path)]
    return matching[-limit:]


def add_fault(spec: dict[str, Any]) -> dict[str, Any]:
    store = kit().store
    with store.transaction():
        seq = int(store.get(META, "fault_seq") or 0) + 1
        store.put(META, "fault_seq", seq)
        fault = {"id": seq, "kind": "status", "method": None, "times": 1, "status": 503, "headers": {},
                 "body": None, "delay": 0.0, **spec}
        store.put(FAULTS, str(seq), fault)
    return fault


def _take_fault() -> dict[str, Any] | None:
    store = kit().store
    if not store.count(FAULTS):
        return None
    with store.transaction():
        for key, fault in store.items(FAULTS):
            if not request.path.startswith(fault["path"]):
                continue
            if fault["method"] and fault["method"].upper() != request.method:
                continue
            if fault["times"] is not None:
                fault["times"] -= 1
                if fault["times"] <= 0:
                    store.delete(FAULTS, key)
                else:
                    store.put(FAULTS, key, fault)
            return dict(fault)
    return None


def _drop_connection() -> None:
    """Shut the client's connection (the WSGI server's socket: werkzeug and gunicorn put it in the environ),
    so the client sees it closed without a reply; the server's own write then fails quietly. A server that
    exposes no socket (an in-process transport, waitress) cannot drop it: the client gets an error reply."""
    sock = request.environ.get("werkzeug.socket") or request.environ.get("gunicorn.socket")
    if sock is None:
        raise ServiceError(500, "injected fault: this server cannot drop a connection")
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def install_journal(app: Flask) -> None:
    @app.before_request
    def request_id() -> None:
        # Every reply says which request it answers (X-Request-Id); the journal entry carries the same id.
        g.request_id = uuid.uuid4().hex

    @app.before_request
    def inject_fault() -> Response | None:
        if request.path.startswith("/_admin"):
            return None
        fault = _take_fault()
        if fault is None:
            return None
        if fault["delay"]:
            time.sleep(float(fault["delay"]))
        kind = fault.get("kind", "status")
        if kind == "reset":  # dropped before the request is applied: no view runs, no reply arrives
            _drop_connection()
            return Response(status=500)
        if kind == "reset_after":  # applied, then dropped (see the journal hook): the reply never comes
            g.drop_connection = True
            return None
        if fault["status"] is None:  # a delay alone
            return None
        if fault["body"] is not None:
            from .http import reply

            return reply(fault["body"], fault["status"], headers=fault["headers"])
        raise ServiceError(int(fault["status"]), "injected fault", headers=fault["headers"])

    @app.after_request
    def journal(response: Response) -> Response:
        if "request_id" in g:
            response.headers.setdefault("X-Request-Id", g.request_id)
        if not request.path.startswith("/_admin"):
            _record(response)
        if g.get("drop_connection"):
            _drop_connection()
        return response
