"""The reports service's one error style: ``{"error": {"code", "message", "parameter"?}}``."""

from __future__ import annotations

from typing import Any

from ...errors import ServiceError

__all__ = ["ReportsError", "error_body", "invalid", "missing", "not_found"]

#: The code of an error raised without one (the HTTP layer: unknown path, wrong method, faults, failures).
_CODES = {400: "bad_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
          413: "payload_too_large", 429: "rate_limited", 500: "internal_error", 503: "unavailable"}


class ReportsError(ServiceError):
    """A ``ServiceError`` that knows its code and, when one is to blame, the parameter (or JSON path)."""

    def __init__(self, status: int, code: str, message: str, *, parameter: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(status, message, headers=headers)
        self.code = code
        self.parameter = parameter


def error_body(error: ServiceError) -> dict[str, Any]:
    if isinstance(error, ReportsError):
        code, parameter = error.code, error.parameter
    else:
        code = _CODES.get(error.status, "error")
        # A schema failure in /_admin/seed says which JSON path broke.
        parameter = error.errors[0].path if error.errors else None
    inner: dict[str, Any] = {"code": code, "message": error.message}
    if parameter is not None:
        inner["parameter"] = parameter
    return {"error": inner}


def missing(parameter: str, what: str) -> ReportsError:
    return ReportsError(400, "missing_parameter", f"{parameter}: missing ({what})", parameter=parameter)


def invalid(parameter: str, message: str) -> ReportsError:
    return ReportsError(400, "invalid_parameter", f"{parameter}: {message}", parameter=parameter)


def not_found(parameter: str, message: str) -> ReportsError:
    return ReportsError(404, "not_found", f"{parameter}: {message}", parameter=parameter)
