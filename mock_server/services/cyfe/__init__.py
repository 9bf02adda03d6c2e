"""Cyfe Push API: the thin HTTP layer over ``backend``.

``POST /cyfe/api/push/<widget_key>`` takes a JSON body whatever its Content-Type (Cyfe's own PHP
example posts ``json_encode``d text as form data). Replies ``{"status": "ok", "rows": n}``; every error
is ``{"status": "error", "code", "message", "parameter", "row", "field"}`` with its real HTTP status.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response

from ...errors import ServiceError
from ...http import check, json_body, reply
from ...openapi import operation
from ..base import Service
from .backend import DEV_WIDGET, CyfeBackend, fail

__all__ = ["CyfeService"]

_PUSH_KEY = re.compile(r"(/api/push/)[^/\s]+")


#: Cyfe's row rule, which JSON Schema cannot say (an object's keys have no order in it).
FIRST_KEY = (
    "Each row of data is an object whose FIRST key is the element (Date: a real YYYYMMDD date, as a string or an "
    "integer; any other label: a non-empty value) and whose other keys are metrics with numeric values (a trailing % "
    "marks a percentage metric). A push with an element already stored adds its values (onduplicate: replace). "
    "Every metric an option names must be in data. The widget key in the path is the credential: unknown, 404.")


class CyfeService(Service):
    name = "cyfe"
    seed_schema = "cyfe/seed"
    error_schema = "cyfe/push#/$defs/error"
    openapi_description = FIRST_KEY

    def setup(self) -> None:
        self.backend = CyfeBackend(self.store, accept_any_widget=bool(self.settings.get("accept_any_widget")))

    def reset(self) -> None:
        self.backend.reset()

    def seed(self, data: Any) -> dict[str, Any]:
        return self.backend.seed(data)

    def state(self) -> dict[str, Any]:
        return {"widgets": len(self.backend.widgets())}

    def credentials(self) -> dict[str, str]:
        return {"widget key": DEV_WIDGET, "push URL": f"/cyfe/api/push/{DEV_WIDGET}"}

    def render_error(self, error: ServiceError) -> Response:
        body = error.body
        if body is None:  # errors of the HTTP layer: unknown path, wrong method, body too large, faults
            # Those messages quote the path, which holds the widget key: never echo it.
            body = fail(error.status, _PUSH_KEY.sub(r"\1***", error.message)).body
        return reply(body, error.status, schema="cyfe/push#/$defs/error")

    def make_blueprint(self) -> Blueprint:
        bp = Blueprint(self.name, __name__)
        backend = self.backend

        @bp.post("/api/push/<widget_key>")
        @operation("Push rows of metrics into a widget", description=FIRST_KEY, json="cyfe/push#/$defs/body",
                   body_required=True, path={"widget_key": "cyfe/push#/$defs/widget_key"},
                   responses={200: "cyfe/push#/$defs/reply", 400: "cyfe/push#/$defs/error",
                              404: "cyfe/push#/$defs/error", 413: "cyfe/push#/$defs/error"})
        def push(widget_key: str) -> Response:
            backend.widget(widget_key)  # an unknown key is a 404 before the body is read
            rows = backend.push(widget_key, json_body(), lambda body: check("cyfe/push#/$defs/body", body))
            return reply({"status": "ok", "rows": rows}, schema="cyfe/push#/$defs/reply")

        return bp

    def make_admin_blueprint(self) -> Blueprint:
        bp = Blueprint("cyfe_admin", __name__)

        @bp.get("/widgets")
        def widgets() -> Response:
            return reply({"widgets": self.backend.widgets()})

        @bp.get("/widgets/<widget_key>")
        def widget(widget_key: str) -> Response:
            return reply(self.backend.read_back(widget_key), schema="cyfe/widget")

        return bp
