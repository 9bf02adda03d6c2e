"""The reports Analytics API v4: the thin HTTP layer over ``backend``.

``GET /reports/api/v4/analytics/<endpoint>`` with ``Authorization: Bearer <token>``. Errors are always
``{"error": {"code": ..., "message": ..., "parameter": ...}}`` with the real HTTP status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, request

from ...errors import ServiceError
from ...http import params, reply
from ...openapi import not_an_operation, operation
from ..base import Service
from .backend import DEV_TOKEN, ENDPOINTS, ReportsBackend
from .errors import ReportsError, error_body

__all__ = ["ReportsService"]


class ReportsService(Service):
    name = "reports"
    seed_schema = "reports/seed"
    error_schema = "reports/analytics#/$defs/error"
    security_schemes = {
        "bearer": {"type": "http", "scheme": "bearer",
                   "description": "Authorization: Bearer <token>. Missing, not Bearer, or unknown: 401."},
    }
    openapi_description = (
        "Aggregations over the reports of a channel between start_date (inclusive) and end_date (exclusive), "
        "ISO 8601 instants (a naive one is UTC); start_date after end_date is a 400. An unknown endpoint is a 404.")

    def setup(self) -> None:
        self.backend = ReportsBackend(self.store)

    def reset(self) -> None:
        self.backend.reset(demo=self.config.demo_data)

    def seed(self, data: Any) -> dict[str, Any]:
        return self.backend.seed(data)

    def state(self) -> dict[str, Any]:
        return self.backend.state()

    def credentials(self) -> dict[str, str]:
        return {"token": f"Authorization: Bearer {DEV_TOKEN}"}

    def render_error(self, error: ServiceError) -> Response:
        return reply(error_body(error), error.status, schema="reports/analytics#/$defs/error")

    def make_blueprint(self) -> Blueprint:
        bp = Blueprint(self.name, __name__)
        backend = self.backend

        def endpoint_view(name: str) -> Callable[[], Response]:
            method, schema = ENDPOINTS[name]
            query = {"reports_per_field_selection": "field_selection_query", "reports_read": "read_query",
                     "user_awareness": "awareness_query"}.get(name, "query")

            @operation(f"Analytics API v4: {name}", query=f"reports/analytics#/$defs/{query}", security=["bearer"],
                       responses={200: f"reports/analytics#/$defs/{schema}", 400: "reports/analytics#/$defs/error",
                                  401: "reports/analytics#/$defs/error", 404: "reports/analytics#/$defs/error"})
            def view() -> Response:
                backend.authenticate(request.headers.get("Authorization"))
                return reply(method(backend, params()), schema=f"reports/analytics#/$defs/{schema}")

            return view

        # One rule per endpoint, so each has its own OpenAPI operation and an unknown name is a 404.
        for name in ENDPOINTS:
            bp.add_url_rule(f"/api/v4/analytics/{name}", endpoint=name, view_func=endpoint_view(name))

        @bp.get("/api/v4/analytics/<name>")
        @not_an_operation
        def unknown(name: str) -> Response:
            backend.authenticate(request.headers.get("Authorization"))
            raise ReportsError(404, "not_found", f"no such endpoint: {name}; choose from {', '.join(ENDPOINTS)}")

        return bp

    def make_admin_blueprint(self) -> Blueprint:
        bp = Blueprint("reports_admin", __name__)

        @bp.get("/export")
        def export() -> Response:
            """The whole data model as a ``/_admin/seed`` section: ``{"reports": {...}}``."""
            from .export import export_seed

            return reply({"reports": export_seed(self.store)})

        return bp
