"""Countly: the thin HTTP layer over ``backend`` (write API ``/i``, read API ``/o``, ``/o/analytics``).

Every reply is ``application/json; charset=utf-8`` with Countly's default extra headers; a ``callback``
wraps any reply (errors too) as JSONP and keeps its status.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException

from ...errors import ServiceError
from ...http import check, json_body_if_any, reply
from ...openapi import not_an_operation, operation
from ..base import Service
from .backend import CLOCK, DEV_API_KEY, DEV_APP_ID, DEV_APP_KEY, DEV_READONLY_KEY, CountlyBackend, fail
from .model import APPS, MEMBERS

__all__ = ["CountlyService"]

RESULT = "countly/replies#/$defs/result"  # every {"result": ...} reply
PARAMS = "countly/params#/$defs/"
READS = "countly/reads#/$defs/"
#: Who may read: a member's api_key, or a token (auth_token, or the countly-token header) that names one.
MEMBER = ("api_key", "auth_token", "countly_token")

EXTRA_HEADERS = {
    "X-Frame-Options": "deny",
    "X-XSS-Protection": "1; mode=block",
    "Access-Control-Allow-Origin": "*",
}
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
    "Access-Control-Allow-Headers": "countly-token, Content-Type",
}
#: A JavaScript identifier path; anything else is refused (a deliberate deviation that closes an XSS).
CALLBACK = re.compile(r"[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*")
_ENTITY = re.compile(r"&(amp|quot|#39|lt|gt|#46|#36);")
_ESCAPES = {"&": "&amp;", '"': "&quot;", "'": "&#39;", "<": "&lt;", ">": "&gt;"}


_DANGER = re.compile(r"[\"'<>&]")


def escape(text: str) -> str:
    """``common.escape_html`` as the output uses it: from the first dangerous character on."""
    found = _DANGER.search(text)
    while found is not None:
        i = found.start()
        if text[i] != "&" or not _ENTITY.match(text, i):
            return text[:i] + "".join(_ESCAPES.get(c, c) for c in text[i:])
        found = _DANGER.search(text, i + 1)
    return text


def escape_output(value: Any) -> Any:
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, dict):
        return {k if not _DANGER.search(k) else escape(k): v if isinstance(v, (int, float)) else escape_output(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [escape_output(v) for v in value]
    return value


def escape_read(value: Any) -> Any:
    """Escape a ``/o`` answer. In a time-bucket object every string key that is not a date or a field
    letter is a metric or segment value listed in ``meta``, so a clean ``meta`` means nothing to escape
    and the (possibly large) tree is not walked."""
    if isinstance(value, dict) and isinstance(value.get("meta"), dict):
        strings = [s for values in value["meta"].values() if isinstance(values, list) for s in values]
        strings += list(value["meta"])
        if not any(_DANGER.search(s) for s in strings if isinstance(s, str)):
            return value
    return escape_output(value)


def _params() -> dict[str, Any]:
    """Query merged with the body (form, multipart or JSON object); a body field wins."""
    merged: dict[str, Any] = request.args.to_dict()
    if request.mimetype == "application/json":
        body = json_body_if_any()
        if isinstance(body, dict):
            merged.update(body)
    elif request.form:
        merged.update(request.form.to_dict())
    # ``app_key[$regex]=...``: Node's qs makes an object of it, and an object is never an app key.
    if "app_key" not in merged and any(k.startswith("app_key[") for k in merged):
        merged["app_key"] = {}
    return merged


def _callback() -> str | None:
    # ``request.values`` of a GET is its args alone: read them without building the combined MultiDict.
    raw = request.args.get("callback") if request.method == "GET" else request.values.get("callback")
    if raw is None and request.mimetype == "application/json":
        body = json_body_if_any()
        if isinstance(body, dict) and isinstance(body.get("callback"), str):
            raw = body["callback"]
    return raw


def _ip() -> str | None:
    forwarded = request.headers.get("X-Forwarded-For")
    return forwarded.split(",")[0].strip() if forwarded else request.remote_addr


def out(body: Any, status: int = 200, *, schema: str | None = None) -> Response:
    """A Countly reply; JSONP when a (valid) ``callback`` was sent."""
    response = reply(body, status, schema=schema, headers=EXTRA_HEADERS)
    try:
        callback = _callback()
    except (HTTPException, ServiceError):  # a body refused (413, too deep) cannot be read for a callback
        callback = request.args.get("callback")
    if callback is not None and CALLBACK.fullmatch(callback):
        response.set_data(f"{callback}({response.get_data(as_text=True)})")
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    return response


class CountlyService(Service):
    name = "countly"
    seed_schema = "countly/seed"
    error_schema = RESULT
    security_schemes = {
        "app_key": {"type": "apiKey", "in": "query", "name": "app_key",
                    "description": "The app's key: the write API (/i, /i/bulk) and /o/sdk. Unknown: 400 App does not "
                                   "exist (Countly's status). Also a body field."},
        "api_key": {"type": "apiKey", "in": "query", "name": "api_key",
                    "description": "A member's API key: the read API and management. Unknown: 401 User does not exist; "
                                   "missing (and no token): 400. Also a body field."},
        "auth_token": {"type": "apiKey", "in": "query", "name": "auth_token",
                       "description": "A token that names a member, instead of api_key."},
        "countly_token": {"type": "apiKey", "in": "header", "name": "countly-token",
                          "description": "The same token as a header (what the web SDK sends)."},
    }
    openapi_description = (
        "Countly's write API (/i, /i/bulk), SDK start-up reads (/o/sdk), read API (/o, /o/analytics/*) and app reset. "
        "Every endpoint takes GET or POST; its parameters come in the query, a form, a multipart or a JSON object "
        "body, merged (a body field wins). Every reply is application/json; charset=utf-8; a callback parameter "
        "(a JavaScript identifier path, else 400) wraps any reply, errors too, as JSONP, whose body is then not "
        "JSON: it is left out of the parameters here. OPTIONS answers a CORS preflight (200, no body) on every path. "
        "An unknown path is Countly's 400 {\"result\": \"Invalid path\"}.")

    def setup(self) -> None:
        self.backend = CountlyBackend(self.store, dict(self.settings))

    def reset(self) -> None:
        self.backend.reset()

    def seed(self, data: Any) -> dict[str, Any]:
        return self.backend.seed(data)

    def state(self) -> dict[str, Any]:
        return {"apps": self.store.count(APPS), "members": self.store.count(MEMBERS)}

    def credentials(self) -> dict[str, str]:
        return {"app_key": DEV_APP_KEY, "app_id": DEV_APP_ID, "api_key (admin)": DEV_API_KEY,
                "api_key (no rights)": DEV_READONLY_KEY}

    def render_error(self, error: ServiceError) -> Response:
        body, status = error.body, error.status
        if request.method == "OPTIONS" and status in (404, 405):
            # api.js answers every preflight before it routes: a path it has no route for included
            # (a browser SDK asks before its first /o/sdk call when it sends the countly-token header).
            return Response(status=200, headers=CORS)
        if status == 404:  # Countly answers an unknown path with 400 "Invalid path"
            body, status = {"result": "Invalid path"}, 400
        if body is None:
            messages = {405: "Method not allowed", 413: "Request body too large", 500: "Internal server error"}
            body = {"result": messages.get(status, error.message)}
        return out(body, status)

    def make_blueprint(self) -> Blueprint:
        bp = Blueprint(self.name, __name__)
        backend = self.backend

        @bp.before_request
        def check_callback() -> Response | None:
            if request.method == "OPTIONS":
                return Response(status=200, headers=CORS)
            request.get_data(cache=True)  # keep the raw body (checksums, duplicate hash) before forms parse it
            callback = _callback()
            if callback is not None and not CALLBACK.fullmatch(callback):
                raise fail(400, 'Invalid parameter "callback"')
            return None

        methods = ["GET", "POST", "OPTIONS"]

        @bp.route("/i", methods=methods)
        @operation("Write API: sessions, metrics, events, location (query, form, multipart or JSON)",
                   query=PARAMS + "write", security=["app_key"], responses={200: RESULT, 400: RESULT})
        def write() -> Response:
            body = request.get_data(as_text=True) if request.method == "POST" else ""
            if request.mimetype == "multipart/form-data":
                body = "&".join(f"{k}={v}" for k, v in request.form.items(multi=True))
            result = backend.write(_params(), ip=_ip(), query=request.query_string.decode("latin-1"), body=body,
                                   user_agent=request.headers.get("User-Agent"))
            return out(result, schema="countly/replies#/$defs/result")

        @bp.route("/i/bulk", methods=methods)
        @operation("Write API in bulk: requests=[...] (a JSON array or its text)", query=PARAMS + "bulk",
                   description="An entry's own app_key wins over the request's; the request's is optional.",
                   security=["app_key", ()], responses={200: RESULT, 400: RESULT})
        def bulk() -> Response:
            return out(backend.bulk(_params(), ip=_ip(), user_agent=request.headers.get("User-Agent")),
                       schema="countly/replies#/$defs/result")

        @bp.route("/o/sdk", methods=methods)
        @operation("SDK start-up reads with the app_key: method=sc (SDK configuration), fetch_remote_config "
                   "and rc (remote config; keys, omit_keys)", query=PARAMS + "sdk", security=["app_key"],
                   responses={200: READS + "sdk", 400: RESULT})
        def sdk() -> Response:
            p = _params()
            schema = "countly/reads#/$defs/" + ("sdk_config" if p.get("method") == "sc" else "remote_config")
            return out(backend.sdk(p), schema=schema)

        @bp.route("/i/apps/reset", methods=methods)
        @operation("Reset an app's data (admin api_key, args={app_id, period})", query=PARAMS + "reset",
                   security=MEMBER, responses={200: RESULT, 400: RESULT, 401: RESULT})
        def reset_app() -> Response:
            return out(backend.reset_app(_params(), request.headers.get("countly-token")),
                       schema="countly/replies#/$defs/result")

        @bp.route("/o", methods=methods)
        @operation("Read API: sessions, users, locations, carriers, devices, device_details, app_versions, density, "
                   "events, get_events, cities, langs, total_users, views", query=PARAMS + "read", security=MEMBER,
                   responses={200: [READS + name for name in ("time_object", "get_events", "total_users",
                                                                "views_table", "views_names", "views_data")],
                              400: RESULT, 401: RESULT})
        def read() -> Response:
            p = _params()
            method = p.get("method")
            if method == "views":
                action = p.get("action")
                schema = "countly/reads#/$defs/" + (
                    "views_table" if action == "getTable" else "views_names" if action == "listNames" else "views_data")
            else:
                schema = "countly/reads#/$defs/" + (
                    method if method in ("get_events", "total_users") else "time_object")
            return out(escape_read(backend.read(p, request.headers.get("countly-token"))), schema=schema)

        @bp.route("/o/analytics", methods=methods)
        @not_an_operation
        def analytics_root() -> Response:  # no sub-path: Countly's own 400s (missing app_id, Invalid path)
            return analytics("")

        @bp.route("/o/analytics/<path:sub>", methods=methods)
        @operation("Analytics: dashboard, countries and the events overview", query=PARAMS + "analytics",
                   path={"sub": PARAMS + "analytics_path"}, security=MEMBER,
                   responses={200: ["countly/dashboard", "countly/dashboard#/$defs/one_period", "countly/countries",
                                    READS + "event_totals"],
                              400: RESULT, 401: RESULT})
        def analytics(sub: str) -> Response:
            p = _params()
            result = backend.analytics(sub, p, request.headers.get("countly-token"))
            schema = f"countly/{sub}" if sub in ("dashboard", "countries") and "period" not in p else None
            return out(escape_output(result), schema=schema)

        return bp

    def make_admin_blueprint(self) -> Blueprint:
        bp = Blueprint("countly_admin", __name__)

        @bp.get("/apps")
        def apps() -> Response:
            return reply({"apps": [a for _, a in self.store.items(APPS)]})

        @bp.get("/app_user")
        def app_user() -> Response:
            args = request.args
            for name in ("app_id", "app_key", "device_id"):
                if not args.get(name):
                    raise ServiceError(400, f"{name}: missing")
            user = self.backend.app_user(args["app_id"], args["app_key"], args["device_id"])
            if user is None:
                raise ServiceError(404, "no such app user")
            return reply(user)

        @bp.get("/export")
        def export() -> Response:
            """The whole state as a ``/_admin/seed`` section: ``{"countly": {"apps", "members", "documents"}}``."""
            from .export import export_seed

            return reply({"countly": export_seed(self.store)})

        @bp.post("/clock")
        def set_clock() -> Response:
            """Freeze the server clock at ``{"now": <unix seconds>}`` (or ``{"now": null}`` for real time)."""
            body = request.get_json(silent=True)
            if not isinstance(body, dict) or "now" not in body:
                raise ServiceError(400, "now: missing")
            check("countly/seed#/$defs/clock", body)
            self.store.put(CLOCK, "now", body["now"])
            return reply({"now": body["now"]})

        return bp
