"""StatHat: the thin HTTP layer over ``backend``.

Replies are StatHat's: ``{"status": 200, "msg": "ok"}``. Errors of the API's own rules keep the real
service's habit of HTTP 200 with the error status in the body; errors of the HTTP layer (unknown path,
wrong method, body over the limit, injected faults, a server failure) carry their real HTTP status,
with the same body shape, so retries and proxies see them.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from ...errors import ServiceError
from ...http import check, json_body, params, reply
from ...openapi import operation
from ..base import Service
from .backend import DEV_EZKEY, StatHatBackend

__all__ = ["StatHatService"]

_HTTP_LAYER = frozenset({404, 405, 413, 414, 429, 431, 500, 502, 503, 504})


REPLY = "stathat/ez#/$defs/reply"
#: StatHat's habit, which OpenAPI cannot say: the API's own errors are HTTP 200 with the status in the body.
ERRORS_IN_BODY = (
    "StatHat answers its own errors (a missing or unknown key, a bad stat name, count and value both or neither, "
    "a bad number or t) with HTTP 200 and the error's status in the body: {\"status\": 400, \"msg\": \"...\"}; "
    "success is {\"status\": 200, \"msg\": \"ok\"}. The 200 response's schema admits both. Only the HTTP layer's "
    "errors (body over the limit, request target or headers too large) carry their HTTP status.")


class StatHatService(Service):
    name = "stathat"
    seed_schema = "stathat/seed"
    error_schema = REPLY
    security_schemes = {
        "ezkey": {"type": "apiKey", "in": "query", "name": "ezkey",
                  "description": "The account's ezkey (email is its alias), for the EZ API: a query or form field; a "
                                 "JSON batch carries it in the body (ezkey), which OpenAPI cannot say of a key."},
        "counter_key": {"type": "apiKey", "in": "query", "name": "key",
                        "description": "Classic API: the private key of a counter stat (a query or form field)."},
        "value_key": {"type": "apiKey", "in": "query", "name": "key",
                      "description": "Classic API: the private key of a value stat (a query or form field)."},
        "ukey": {"type": "apiKey", "in": "query", "name": "ukey",
                 "description": "Classic API: the user's private key (a query or form field), with the stat's key."},
    }
    openapi_description = ERRORS_IN_BODY

    def setup(self) -> None:
        self.backend = StatHatBackend(self.store, accept_any_ezkey=bool(self.settings.get("accept_any_ezkey")))

    def reset(self) -> None:
        self.backend.reset()

    def seed(self, data: Any) -> dict[str, Any]:
        return self.backend.seed(data)

    def state(self) -> dict[str, Any]:
        return {"stats": len(self.backend.stats())}

    def credentials(self) -> dict[str, str]:
        return {"ezkey": DEV_EZKEY, "classic key": "dev-counter-key / dev-value-key", "ukey": "dev-ukey"}

    def render_error(self, error: ServiceError) -> Response:
        status = error.status if error.status in _HTTP_LAYER else 200
        return reply({"status": error.status, "msg": error.message}, status)

    def make_blueprint(self) -> Blueprint:
        bp = Blueprint(self.name, __name__)
        backend = self.backend

        @bp.route("/ez", methods=["GET", "POST"])
        @operation("EZ API: count or value for a stat (form, query, or a JSON batch)", description=ERRORS_IN_BODY,
                   query="stathat/ez#/$defs/params", form="stathat/ez#/$defs/params", json="stathat/ez#/$defs/batch",
                   security=["ezkey"], responses={200: REPLY})
        def ez() -> Response:
            if request.method == "POST" and request.mimetype == "application/json":
                body = json_body()
                if not isinstance(body, dict):
                    raise ServiceError(400, "body: must be a JSON object with ezkey and data")
                _require_ezkey(body)
                if "data" not in body:
                    raise ServiceError(400, "data: missing (a list of stat objects)")
                if not isinstance(body["data"], list):
                    raise ServiceError(400, "data: must be a list of stat objects")
                with backend.store.transaction():
                    updates = backend.plan(_ezkey(body), body["data"], batch=True)
                    check("stathat/ez#/$defs/batch", body)
                    backend.record(_ezkey(body), updates)
            else:
                p = params()
                _require_ezkey(p)
                if not p.get("stat"):
                    raise ServiceError(400, "stat: missing")
                with backend.store.transaction():
                    updates = backend.plan(_ezkey(p), [p], batch=False)
                    check("stathat/ez#/$defs/params", p)
                    backend.record(_ezkey(p), updates)
            return _ok()

        @bp.route("/c", methods=["GET", "POST"])
        @operation("Classic API: count for a stat created beforehand", description=ERRORS_IN_BODY,
                   query="stathat/classic#/$defs/counter", form="stathat/classic#/$defs/counter",
                   security=[("counter_key", "ukey")], responses={200: REPLY})
        def classic_count() -> Response:
            return classic("counter")

        @bp.route("/v", methods=["GET", "POST"])
        @operation("Classic API: value for a stat created beforehand", description=ERRORS_IN_BODY,
                   query="stathat/classic#/$defs/value", form="stathat/classic#/$defs/value",
                   security=[("value_key", "ukey")], responses={200: REPLY})
        def classic_value() -> Response:
            return classic("value")

        def classic(kind: str) -> Response:
            # A blank field is an absent one (old clients send ``count=``): /c then counts 1.
            p = {k: v for k, v in params().items() if v != ""}
            with backend.store.transaction():
                ezkey, update = backend.classic_plan(kind, p)  # the rules first, with their own messages
                check(f"stathat/classic#/$defs/{kind}", p)
                backend.record(ezkey, [update])
            return _ok()

        return bp

    def make_admin_blueprint(self) -> Blueprint:
        bp = Blueprint("stathat_admin", __name__)

        @bp.get("/stats")
        def stats() -> Response:
            return reply({"stats": self.backend.stats(request.args.get("ezkey"))}, schema="stathat/stats")

        return bp


def _ezkey(p: dict[str, Any]) -> str:
    return str(p.get("ezkey") or p.get("email"))


def _require_ezkey(p: dict[str, Any]) -> None:
    if not (p.get("ezkey") or p.get("email")):
        raise ServiceError(400, "ezkey: missing")


def _ok() -> Response:
    return reply({"status": 200, "msg": "ok"}, schema="stathat/ez#/$defs/reply")
