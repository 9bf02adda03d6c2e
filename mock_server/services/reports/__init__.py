"""The reports Analytics API v4: the thin HTTP layer over ``backend``.

``GET /reports/api/v4/analytics/<endpoint>`` with ``Authorization: Bearer <token>``. Errors are always
``{"error": {"code": ..., "message": ..., "parameter": ...}}`` with the real HTTP status.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from ...errors import ServiceError
from ...http import params, reply
from ..base import Service
from .backend import DEV_TOKEN, ENDPOINTS, ReportsBackend
from .errors import ReportsError, error_body

__all__ = ["ReportsService"]


class ReportsService(Service):
    name = "reports"
    seed_schema = "reports/seed"

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

        @bp.get("/api/v4/analytics/<endpoint>")
        def analytics(endpoint: str) -> Response:
            backend.authenticate(request.headers.get("Authorization"))
            if endpoint not in ENDPOINTS:
                raise ReportsError(404, "not_found", f"no such endpoint: {endpoint}; choose from "
                                                     f"{', '.join(ENDPOINTS)}")
            method, schema = ENDPOINTS[endpoint]
            return reply(method(backend, params()), schema=f"reports/analytics#/$defs/{schema}")

        return bp
