"""Helpers the thin HTTP layers share: reading parameters and bodies, validating, replying."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, g, request

import schemas

from .errors import ServiceError
from .kit import kit

__all__ = ["check", "json_body", "params", "reply"]


def params() -> dict[str, str]:
    """Query parameters merged with form fields; a body field overrides the query field of the same name."""
    merged = request.args.to_dict()
    if request.form:
        merged.update(request.form.to_dict())
    return merged


def json_body() -> Any:
    """The request body parsed as JSON, or a 400 that says why it is not JSON."""
    raw = request.get_data(cache=True)
    if not raw:
        raise ServiceError(400, "request body is empty: expected JSON")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ServiceError(400, f"malformed JSON body: {exc}") from None


def check(schema: str, instance: object, *, status: int = 400) -> None:
    """Raise a ``ServiceError`` naming the first JSON path that breaks ``schema``, with all errors attached."""
    errors = schemas.validate(schema, instance)
    if errors:
        first = errors[0]
        raise ServiceError(status, f"{first.path}: {first.message}", errors=errors)


def reply(body: Any, status: int = 200, *, schema: str | None = None,
          headers: dict[str, str] | None = None) -> Response:
    """A JSON reply; in strict mode the body is checked against ``schema`` first (drift is a 500)."""
    if schema is not None and kit().config.strict:
        errors = schemas.validate(schema, body)
        if errors:
            g.validation_errors = [f"response {e}" for e in errors]
            raise ServiceError(500, f"response does not match {schema}: {errors[0]}", errors=errors)
    response = Response(json.dumps(body, separators=(",", ":")), status=status, mimetype="application/json")
    if headers:
        response.headers.update(headers)
    return response
