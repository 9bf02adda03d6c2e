"""Errors a view raises, and the one place that turns any failure into a JSON reply in a service's style."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from schemas import RuleError

if TYPE_CHECKING:
    from schemas import SchemaError

__all__ = ["MAX_HEADERS", "MAX_URL", "ServiceError", "install_error_handlers"]

log = logging.getLogger("mock_server")

#: The longest request target (path and query) served; longer gets a JSON 414 in the service's style.
#: Node's default header limit (what Countly runs behind), and below the WSGI server's own limit, so the
#: app answers first: werkzeug's server refuses a request line over 64 KiB with its own HTML 414, and
#: gunicorn must run with ``limit_request_line = 0`` (its default 4094 answers a longer line itself).
MAX_URL = 16 * 1024
#: The largest header block (names and values) served; larger gets a JSON 431 in the service's style.
MAX_HEADERS = 32 * 1024


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
        try:
            service = kit().service_for_request()
            response = service.render_error(error) if service else _admin_error(error)
        except Exception:  # the error path itself must never fail: a bare JSON reply with the status
            log.exception("rendering a %s error failed on %s %s", error.status, request.method, request.path)
            response = Response('{"error":"internal error"}' if error.status >= 500 else
                                '{"error":"request refused"}', status=error.status, mimetype="application/json")
        response.headers.update(error.headers)
        return response

    @app.before_request
    def request_limits() -> None:
        # Before routing, so that an unknown path with a huge query is refused the same way.
        environ = request.environ
        target = environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.full_path
        if len(target) > MAX_URL:
            raise ServiceError(414, f"request target is {len(target)} bytes, over the server's limit of {MAX_URL}")
        size = header_bytes(environ)
        if size > MAX_HEADERS:
            raise ServiceError(431, f"request headers are {size} bytes, over the server's limit of {MAX_HEADERS}")

    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError) -> Response:
        return render(error)

    @app.errorhandler(RuleError)
    def rule_error(error: RuleError) -> Response:
        # A wire rule (schemas: a number, JSON over a bound, a stat name...) broken anywhere: a 400 naming it.
        return render(ServiceError(400, str(error)))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        messages = {
            404: f"no such endpoint: {request.method} {request.path}",
            405: f"method {request.method} not allowed on {request.path}",
            413: "request body is larger than the server's limit",
            414: "request target is longer than the server's limit",
            431: "request headers are larger than the server's limit",
        }
        headers = {}
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            headers["Allow"] = ", ".join(sorted(error.valid_methods))  # RFC 9110 15.5.6
        message = messages.get(status, error.description or error.name)
        return render(ServiceError(status, message, headers=headers))

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        # Logged with its traceback here; the client only ever sees a JSON 500.
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render(ServiceError(500, "internal error"))


def header_bytes(environ: dict[str, Any]) -> int:
    """The size of the request's header block as ``request.headers`` lists it (name, ``": "``, value, CRLF for each),
    read from the environ without building the header names: ``HTTP_USER_AGENT`` is ``User-Agent``, as long less
    the prefix; Content-Type and Content-Length count when set (werkzeug's ``EnvironHeaders`` order and rules)."""
    size = 0
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            if key != "HTTP_CONTENT_TYPE" and key != "HTTP_CONTENT_LENGTH":
                size += len(key) - len("HTTP_") + len(value) + 4
        elif (key == "CONTENT_TYPE" or key == "CONTENT_LENGTH") and value:
            size += len(key) + len(value) + 4
    return size


def _admin_error(error: ServiceError) -> Response:
    from .http import reply

    body: dict[str, Any] = {"error": error.message}
    if error.errors:
        body["validation"] = [{"path": e.path, "message": e.message} for e in error.errors]
    return reply(body, error.status)
