"""Helpers the thin HTTP layers share: reading parameters and bodies, validating, replying."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import werkzeug.urls  # noqa: F401 - registers the "werkzeug.url_quote" codec error handler parse_qsl uses
from flask import Request, Response, g, request
from flask.json.provider import DefaultJSONProvider

import schemas
from schemas import wire

from .errors import ServiceError
from .kit import kit

__all__ = ["StrictJSONProvider", "check", "dumps", "json_body", "json_body_if_any", "params", "reply"]

#: The one encoder of every reply (swap it here for a faster one).
dumps = wire.dumps


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's ``request.get_json`` and ``jsonify`` through the same strict parser and encoder as the views."""

    sort_keys = False

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return wire.loads(s)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return super().dumps(obj, **{**kwargs, "allow_nan": False})


def params() -> dict[str, str]:
    """Query parameters merged with form fields; a body field overrides the query field of the same name."""
    req = request._get_current_object()  # type: ignore[attr-defined]
    merged: dict[str, str] = req.args.to_dict()
    form = _urlencoded_form(req) if req.mimetype == "application/x-www-form-urlencoded" else None
    if form is None:
        form = req.form.to_dict()
    merged.update(form)
    return merged


def _urlencoded_form(req: Request) -> dict[str, str] | None:
    """A urlencoded body's fields, the first value of each name, exactly as ``request.form.to_dict()`` gives them
    (werkzeug's own ``parse_qsl`` call; a body that is not UTF-8 is no fields), without building the MultiDicts;
    None when the body was not read before the view (werkzeug's form parsing then answers as it would)."""
    data: bytes | None = getattr(req, "_cached_data", None)
    if data is None or "form" in req.__dict__:
        return None
    try:
        text = data.decode()
    except UnicodeDecodeError:
        return {}
    fields: dict[str, str] = {}
    for name, value in parse_qsl(text, keep_blank_values=True, errors="werkzeug.url_quote"):
        fields.setdefault(name, value)
    return fields


def _parsed_body() -> tuple[Any, wire.JSONError | None]:
    """The body through ``wire.loads`` once per request (the error path may ask again): value or error."""
    cached: tuple[Any, wire.JSONError | None] | None = g.get("_json_body")
    if cached is None:
        try:
            cached = wire.loads(request.get_data(cache=True), field="body"), None
        except wire.JSONError as exc:
            cached = None, exc
        g._json_body = cached
    return cached


def json_body() -> Any:
    """The request body parsed as JSON, or a 400 that says why it is not JSON (or is JSON over a bound)."""
    if not request.get_data(cache=True):
        raise ServiceError(400, "request body is empty: expected JSON")
    value, error = _parsed_body()
    if error is not None:
        raise ServiceError(400, str(error))
    return value


def json_body_if_any() -> Any:
    """For services that ignore a body that is not JSON (Countly): the value, or None; JSON over a bound
    (too deep, a number no double holds) is still a 400."""
    value, error = _parsed_body()
    if isinstance(error, wire.JSONLimitError):
        raise ServiceError(400, str(error))
    return value


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
    response = Response(dumps(body), status=status, mimetype="application/json")
    if headers:
        response.headers.update(headers)
    return response
