"""``/_admin``: the server's own API (not part of any service)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from schemas import RuleError
from schemas.wire import parse_number

from . import journal
from .errors import ServiceError
from .http import check, json_body, reply
from .kit import kit

__all__ = ["blueprint"]

blueprint = Blueprint("_admin", __name__)


@blueprint.get("/health")
def health() -> Response:
    k = kit()
    return reply({"status": "ok", "store": getattr(k.store, "url", "memory://"), "services": list(k.services)})


@blueprint.post("/reset")
def reset() -> Response:
    """Back to the start-up state: default credentials and objects (and demo data if configured)."""
    kit().reset()
    return reply({"reset": True})


@blueprint.post("/seed")
def seed() -> Response:
    """``{"<service>": {...}, ...}``: each section goes to that service's ``seed`` after validation."""
    body = json_body()
    check("admin/seed", body)
    k = kit()
    result: dict[str, Any] = {}
    with k.store.transaction():
        for name, section in body.items():
            service = k.services.get(name)
            if service is None:
                raise ServiceError(400, f"$.{name}: service is not served here")
            if service.seed_schema:
                check(service.seed_schema, section)
            result[name] = service.seed(section)
    return reply({"seeded": result})


@blueprint.get("/openapi/<service>.json")
def openapi(service: str) -> Response:
    """The service's OpenAPI 3.1 document, built from its views and the shared schemas."""
    from flask import current_app

    from .openapi import build

    if service not in kit().services:
        raise ServiceError(404, f"service: no service named {service!r}")
    return reply(build(current_app, service))


@blueprint.get("/state")
def state() -> Response:
    k = kit()
    return reply({name: service.state() for name, service in k.services.items()})


@blueprint.get("/requests")
def requests() -> Response:
    """The journal, oldest first: the newest ``limit`` entries that match every filter given (``method``,
    ``path`` prefix, ``path_pattern`` regex over the whole masked path, ``status`` 404 or 4xx, ``service``,
    ``since`` inclusive and ``until`` exclusive, each epoch seconds or an ISO 8601 instant)."""
    try:
        limit = int(parse_number(request.args.get("limit", "100"), "limit", minimum=1, maximum=10_000, integer=True))
    except RuleError:
        raise ServiceError(400, "limit: must be an integer from 1 to 10000") from None
    return reply({"requests": journal.recent(limit, where=journal.parse_filter(request.args))})


@blueprint.get("/requests/count")
def count_requests() -> Response:
    """How many journaled requests match the same filters as ``GET /_admin/requests`` (no limit)."""
    return reply({"count": journal.count(journal.parse_filter(request.args))})


@blueprint.delete("/requests")
def clear_requests() -> Response:
    """Empty the journal; nothing else changes."""
    return reply({"deleted": journal.clear()})


@blueprint.post("/faults")
def add_fault() -> Response:
    """Inject a fault (``schemas/admin/fault.json``): ``{"path": "/stathat/ez", "method": "POST", "status": 503,
    "times": 2, "headers": {"Retry-After": "1"}, "body": {...}, "delay": 0.2}``, or a ``kind`` that acts on the
    connection (reset, empty, reset_after, malformed_chunked) or trickles the reply (slow_body, ``duration``)."""
    body = json_body()
    check("admin/fault", body)
    return reply(journal.add_fault(body), 201)


@blueprint.get("/faults")
def list_faults() -> Response:
    """The armed faults, each with ``fired`` and ``remaining`` (one that has no hit left is gone)."""
    return reply({"faults": journal.list_faults()})


@blueprint.delete("/faults")
def clear_faults() -> Response:
    kit().store.clear(journal.FAULTS)
    return reply({"cleared": True})


@blueprint.delete("/faults/<int:fault_id>")
def remove_fault(fault_id: int) -> Response:
    if not journal.remove_fault(fault_id):
        raise ServiceError(404, f"id: no armed fault {fault_id} (one that has no hit left is gone)")
    return reply({"deleted": fault_id})


