"""Errors a view raises, and the one place that turns any failure into a JSON reply in a service's style."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

if TYPE_CHECKING:
    from schemas import SchemaError

__all__ = ["ServiceError", "install_error_handlers"]

log = logging.getLogger("mock_server")


class ServiceError(Exception):
    """Raised by a view or a backend; rendered by the service's ``render_error``.

    ``message`` is the human text (naming the parameter or JSON path), ``body`` an exact body when the
    service prescribes one (Countly's ``{"result": ...}``), ``errors`` the schema errors behind it.
    """

    def __init__(self, status: int, message: str, *, body: Any = None,
                 errors: list[SchemaError] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.body = body
        self.errors = errors or []
        self.headers = headers or {}


def install_error_handlers(app: Flask) -> None:
    from .kit import kit

    def render(error: ServiceError) -> Response:
        g.validation_errors = [str(e) for e in error.errors]
        service = kit().service_for_request()
        response = service.render_error(error) if service else _admin_error(error)
        response.headers.update(error.headers)
        return response

    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError) -> Response:
        return render(error)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        messages = {
            404: f"no such endpoint: {request.method} {request.path}",
            405: f"method {request.method} not allowed on {request.path}",
            413: "request body is larger than the server's limit",
        }
        return render(ServiceError(status, messages.get(status, error.description or error.name)))

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        # Logged with its traceback here; the client only ever sees a JSON 500.
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render(ServiceError(500, "internal error"))


def _admin_error(error: ServiceError) -> Response:
    from flask import jsonify

    body = {"error": error.message}
    if error.errors:
        body["validation"] = [{"path": e.path, "message": e.message} for e in error.errors]  # type: ignore[assignment]
    response = jsonify(body)
    response.status_code = error.status
    return response
