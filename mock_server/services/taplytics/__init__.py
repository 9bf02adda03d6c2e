"""Taplytics REST API v2: the thin HTTP layer over ``backend``.

Every request needs an API token (query ``api_token``, ``api_token`` in a JSON body, or the
``x-access-token`` header). With ``require_https`` on, a request that did not arrive over https
(``X-Forwarded-Proto`` honoured) is refused with 403 before anything else. Collections answer with a
``Link`` header (first, prev, next, last) whose URLs are the request's own with only ``page`` changed.
"""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import quote, unquote_plus

from flask import Blueprint, Response, request

import schemas
from schemas import wire

from ...errors import ServiceError
from ...http import json_body, reply
from ...kit import kit
from ...openapi import operation
from ..base import Service
from .backend import DEV_TOKEN, EXPERIMENTS, MAX_PER_PAGE, PUSHES, USERS, Ref, TaplyticsBackend, check

__all__ = ["TaplyticsService"]

_DIGITS = re.compile(r"[0-9]*[1-9][0-9]*")
_URI_SAFE = "!$%&'()*+,/:;=?@[]~"  # reserved characters and "%": an existing escape is kept as it is
#: A query part that ``quote(part, safe=_URI_SAFE)`` leaves as it is (nearly every one): not quoted again.
_URI_PART = re.compile(r"[A-Za-z0-9\-._~!$%&'()*+,/:;=?@\[\]]*")


AUTH = ("api_token", "access_token")


class TaplyticsService(Service):
    name = "taplytics"
    seed_schema = "taplytics/seed"
    security_schemes = {
        "api_token": {"type": "apiKey", "in": "query", "name": "api_token",
                      "description": "The project's API token (also api_token in a JSON body). "
                                     "Missing or unknown: 401."},
        "access_token": {"type": "apiKey", "in": "header", "name": "x-access-token",
                         "description": "The same token as a header."},
    }
    openapi_description = (
        "Every request needs the API token. Collections (GET /v2/users, /v2/experiments, /v2/push) answer a page with "
        "a Link header (first, prev, next, last: this request's URL with only page changed).")

    def setup(self) -> None:
        self.backend = TaplyticsBackend(self.store, project_id=str(self.settings.get("project_id", "dev-project")))

    def reset(self) -> None:
        self.backend.reset(list(self.settings.get("tokens", [])))

    def seed(self, data: Any) -> dict[str, Any]:
        return self.backend.seed(data)

    def state(self) -> dict[str, Any]:
        return self.backend.counts()

    def credentials(self) -> dict[str, str]:
        return {"api_token": DEV_TOKEN}

    def make_blueprint(self) -> Blueprint:
        bp = Blueprint(self.name, __name__)
        backend = self.backend

        @bp.before_app_request
        def https_only() -> None:
            # App-wide, so that a plain-http request is denied even where no route matches (404, 405).
            if self.config.require_https and kit().service_for_request() is self and _scheme() != "https":
                raise ServiceError(403, "https required: requests over plain http are denied")

        @bp.before_request
        def guard() -> None:
            backend.authenticate(_token())

        def collection(ns: str, schema: str) -> Response:
            page, per_page = _int_param("page", 1), min(_int_param("per_page", MAX_PER_PAGE), MAX_PER_PAGE)
            items, total = backend.page(ns, page, per_page)
            return reply(items, schema=schema, headers={"Link": _links(page, per_page, total)})

        @bp.route("/v2/users", methods=["GET", "POST", "DELETE"])
        @bp.route("/v2/users/<user_id>", methods=["GET", "POST", "DELETE"])
        @operation("Users: list (paged, Link header), or get / create-or-update / delete one by id, user_id or email",
                   query={"GET": "taplytics/query#/$defs/users", "POST": "taplytics/query#/$defs/user_ref",
                          "DELETE": "taplytics/query#/$defs/user_ref"},
                   json="taplytics/user#/$defs/write", body_required=True,
                   security=AUTH,
                   responses={200: {"GET": ["taplytics/user#/$defs/list", "taplytics/user#/$defs/user"],
                                    "POST": "taplytics/user#/$defs/user"},
                              204: {"DELETE": None}, 400: None, 401: None, 402: None, 404: None})
        def users(user_id: str | None = None) -> Response:
            ref = ("id", user_id) if user_id is not None else _query_ref()
            if request.method == "POST":
                if ref is not None and ref[0] != "id":  # the query's user_id or email must be one a user can have
                    check("taplytics/user#/$defs/fields", {ref[0]: ref[1]})
                body = json_body()
                if not isinstance(body, dict):
                    raise ServiceError(400, "body: must be a JSON object of user attributes")
                if ref is None:  # POST /v2/users: the body's user_id or email finds the user, if any
                    ref = next(((k, body[k]) for k in ("user_id", "email") if isinstance(body.get(k), str)), None)
                return reply(backend.save_user(ref, body), schema="taplytics/user#/$defs/user")
            if ref is None:
                if request.method == "DELETE":
                    raise ServiceError(400, "id: give the user's id in the URL, or user_id or email as a parameter")
                return collection(USERS, "taplytics/user#/$defs/list")
            if request.method == "DELETE":
                backend.delete_user(ref)
                return Response(status=204, mimetype="application/json")
            return reply(backend.get_user(ref), schema="taplytics/user#/$defs/user")

        @bp.get("/v2/usersByToken")
        @operation("Users by pagination token", query="taplytics/query#/$defs/by_token", security=AUTH,
                   responses={200: "taplytics/user#/$defs/by_token", 400: None, 401: None})
        def users_by_token() -> Response:
            per_page = min(_int_param("per_page", MAX_PER_PAGE), MAX_PER_PAGE)
            token = request.args.get("paginationToken") or None
            return reply(backend.users_by_token(token, per_page), schema="taplytics/user#/$defs/by_token")

        @bp.get("/v2/experiments")
        @operation("Experiments, paged with a Link header", query="taplytics/query#/$defs/collection", security=AUTH,
                   responses={200: "taplytics/experiment#/$defs/list", 400: None, 401: None})
        def experiments() -> Response:
            return collection(EXPERIMENTS, "taplytics/experiment#/$defs/list")

        @bp.route("/v2/experiments/<experiment_id>", methods=["GET", "DELETE"])
        @operation("One experiment: get, or delete ({deleted, id})", query="taplytics/query#/$defs/auth", security=AUTH,
                   responses={200: {"GET": "taplytics/experiment#/$defs/experiment",
                                    "DELETE": "taplytics/experiment#/$defs/deleted"}, 401: None, 404: None})
        def experiment(experiment_id: str) -> Response:
            if request.method == "DELETE":
                return reply(backend.delete_experiment(experiment_id), schema="taplytics/experiment#/$defs/deleted")
            return reply(backend.get_experiment(experiment_id), schema="taplytics/experiment#/$defs/experiment")

        @bp.post("/v2/events")
        @operation("Events of a session (session_id), at most 100 a request", query="taplytics/query#/$defs/events",
                   json="taplytics/event#/$defs/batch", body_required=True, security=AUTH,
                   responses={200: "taplytics/event#/$defs/reply", 400: None, 401: None})
        def events() -> Response:
            stored = backend.add_events(request.args.get("session_id"), json_body())
            return reply({"received": len(stored), "events": stored}, schema="taplytics/event#/$defs/reply")

        @bp.route("/v2/push", methods=["GET", "POST"])
        @operation("Push notifications: list (paged, Link header) or create",
                   query={"GET": "taplytics/query#/$defs/collection", "POST": "taplytics/query#/$defs/auth"},
                   json="taplytics/push#/$defs/create", body_required=True, security=AUTH,
                   responses={200: {"GET": "taplytics/push#/$defs/list", "POST": "taplytics/push#/$defs/push"},
                              400: None, 401: None})
        def pushes() -> Response:
            if request.method == "POST":
                return reply(backend.create_push(json_body()), schema="taplytics/push#/$defs/push")
            return collection(PUSHES, "taplytics/push#/$defs/list")

        @bp.get("/v2/push/<push_id>")
        @operation("One push notification", query="taplytics/query#/$defs/auth", security=AUTH,
                   responses={200: "taplytics/push#/$defs/push", 401: None, 404: None})
        def push(push_id: str) -> Response:
            return reply(backend.get_push(push_id), schema="taplytics/push#/$defs/push")

        return bp

    def make_admin_blueprint(self) -> Blueprint:
        bp = Blueprint("taplytics_admin", __name__)

        @bp.get("/events")
        def events() -> Response:
            return reply({"events": self.backend.events(request.args.get("session_id"))},
                         schema="taplytics/event#/$defs/readback")

        @bp.get("/push/<push_id>/audience")
        def audience(push_id: str) -> Response:
            return reply(self.backend.audience(push_id), schema="taplytics/push#/$defs/audience")

        return bp


def _scheme() -> str:
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return forwarded or request.scheme


def _token() -> str | None:
    token = request.headers.get("x-access-token") or request.args.get("api_token")
    if token:
        return token
    if request.mimetype == "application/json":
        try:
            body = wire.loads(request.get_data(cache=True))
        except wire.JSONError:
            return None  # the view answers the malformed body once the token is known to be missing
        if isinstance(body, dict) and isinstance(body.get("api_token"), str):
            return str(body["api_token"])
    return None


def _query_ref() -> Ref | None:
    if "user_id" in request.args and "email" in request.args:
        raise ServiceError(400, "user_id, email: address the user by one of them, not both")
    for key in ("user_id", "email"):
        if key in request.args:
            value = request.args[key]
            if not value:
                raise ServiceError(400, f"{key}: must not be empty")
            return key, value
    return None


def _int_param(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if schemas.validate(f"taplytics/query#/$defs/{name}", raw):  # the rule the OpenAPI document shows
        if _DIGITS.fullmatch(raw):  # a positive integer past the bound: the number parser says it is out of range
            wire.parse_number(raw, name, minimum=1, integer=True)
        raise ServiceError(400, f"{name}: must be a positive integer, got {raw!r}")
    return int(wire.parse_number(raw, name, minimum=1, integer=True))


def _links(page: int, per_page: int, total: int) -> str:
    """first, prev, next and last (where they exist): this request's URL with only ``page`` changed."""
    last = max(1, math.ceil(total / per_page))
    rels = [("first", 1)]
    if page > 1:
        rels.append(("prev", min(page - 1, last)))
    if page < last:
        rels.append(("next", page + 1))
    rels.append(("last", last))
    base = f"{_scheme()}://{request.host}{request.path}"
    # The query as sent (not decoded and re-encoded): only the page parameter is swapped. Bytes a URI
    # cannot hold (``<``, ``>``, spaces, raw non-ASCII) are percent-encoded so the header stays parseable.
    query = [part if _URI_PART.fullmatch(part) else quote(part, safe=_URI_SAFE, encoding="latin-1")
             for part in request.query_string.decode("latin-1").split("&") if part]
    pages = [_is_page(part) for part in query]
    has_page = any(pages)

    def url(number: int) -> str:
        parts = [f"page={number}" if page else part for part, page in zip(query, pages, strict=True)]
        if not has_page:
            parts.append(f"page={number}")
        return f"{base}?{'&'.join(parts)}"

    return ", ".join(f'<{url(n)}>; rel="{rel}"' for rel, n in rels)


def _is_page(part: str) -> bool:
    return unquote_plus(part.partition("=")[0]) == "page"
