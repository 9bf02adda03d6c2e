"""The SDK's exceptions: one ``APIError`` base, a subclass per meaning, ``TransportError`` for no reply."""

from __future__ import annotations

from typing import Any

__all__ = [
    "APIError",
    "BadRequest",
    "BatchError",
    "Forbidden",
    "NotFound",
    "PayloadTooLarge",
    "QueueFull",
    "RateLimited",
    "RequestFailed",
    "SDKError",
    "ServerError",
    "TimeoutError",
    "TransportError",
    "Unauthorized",
    "ValidationError",
]


class SDKError(Exception):
    """Base of everything this SDK raises."""


class ValidationError(SDKError, ValueError):
    """An argument was refused before anything was sent; ``field`` names it."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class QueueFull(SDKError):
    """A batcher's queue is full and its policy is ``"raise"`` (or ``"block"`` timed out)."""


class BatchError(SDKError):
    """A batch could not be delivered; carried to ``on_error`` with the items."""


class TransportError(SDKError):
    """No HTTP response at all: connection refused, reset, DNS, or a timeout."""

    def __init__(self, message: str, *, sent: bool = False) -> None:
        super().__init__(message)
        #: True when the request may have reached the server (a read timeout, a reset after sending).
        self.sent = sent


class TimeoutError(TransportError):
    """The connect, write, read or pool timeout expired."""


class APIError(SDKError):
    """The service answered with an error.

    ``status`` is the HTTP status (or, for StatHat, the status in its reply body), ``body`` the parsed
    error body, ``request_id`` the server's request id when it sent one.
    """

    status: int

    def __init__(
        self,
        message: str,
        *,
        status: int,
        body: Any = None,
        request_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.body = body
        self.request_id = request_id
        self.headers = headers or {}
        self.message = message
        text = f"{status}: {message}"
        if request_id:
            text += f" (request id {request_id})"
        super().__init__(text)


class BadRequest(APIError):
    """400: the service refused the parameters."""


class Unauthorized(APIError):
    """401: a missing or wrong key or token."""


class RequestFailed(APIError):
    """402: the parameters were valid but the request failed."""


class Forbidden(APIError):
    """403: refused, for example plain http where https is required."""


class NotFound(APIError):
    """404: no such resource."""


class PayloadTooLarge(APIError):
    """413: the body was over the server's limit."""


class RateLimited(APIError):
    """429: slow down; ``retry_after`` is the wait the server asked for, in seconds, if any."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(APIError):
    """5xx: the service failed."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequest,
    401: Unauthorized,
    402: RequestFailed,
    403: Forbidden,
    404: NotFound,
    413: PayloadTooLarge,
    429: RateLimited,
}


def error_class(status: int) -> type[APIError]:
    """The exception class for an HTTP (or StatHat body) status."""
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, APIError)
