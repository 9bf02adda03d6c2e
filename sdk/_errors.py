"""The SDK's exceptions: one ``APIError`` base, a subclass per meaning, ``TransportError`` for no reply."""

from __future__ import annotations

from typing import Any, Literal

__all__ = [
    "APIError",
    "APITimeoutError",
    "BadRequest",
    "BatchError",
    "Forbidden",
    "NotFound",
    "PayloadTooLarge",
    "QueueFull",
    "RateLimited",
    "Reason",
    "RequestFailed",
    "SDKError",
    "ServerError",
    "TransportError",
    "Unauthorized",
    "ValidationError",
    "WaitTimeout",
    "maybe_applied",
]

#: Why items of a batch reached ``on_error``.
Reason = Literal["not sent before the deadline", "maybe applied", "refused"]


class SDKError(Exception):
    """Base of everything this SDK raises.

    ``attempts`` holds every attempt's error of the call, in order, this one last (set by the send loop);
    ``maybe_applied`` says whether any of them may have reached the server's state, so a caller never
    takes a write that failed on its last attempt (a 429) for one that certainly failed (its first
    attempt timed out after the server applied it).
    """

    attempts: tuple[SDKError, ...] = ()

    @property
    def maybe_applied(self) -> bool:
        return any(e.attempt_maybe_applied for e in (self.attempts or (self,)))

    @property
    def attempt_maybe_applied(self) -> bool:
        """Whether this attempt alone may have been applied (refusals before sending were not)."""
        return False

    @property
    def reason(self) -> Reason:
        """What happened to the items of a batch that failed with this error."""
        return "maybe applied" if self.maybe_applied else "refused"


class ValidationError(SDKError, ValueError):
    """An argument was refused before anything was sent; ``field`` names it."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class QueueFull(SDKError):
    """A batcher's queue is full and its policy is ``"raise"`` (or ``"block"`` timed out)."""


class BatchError(SDKError):
    """Items of a batch that were not delivered, carried to ``on_error``: ``reason`` says why.

    ``"not sent before the deadline"``: ``close``'s time ran out before they were sent (never applied);
    ``"maybe applied"``: the deadline passed while they were being sent. The error of the last attempt,
    if any, is the ``__cause__``, and ``attempts`` holds all of them.
    """

    def __init__(self, message: str, *, reason: Reason = "not sent before the deadline",
                 attempts: tuple[SDKError, ...] = ()) -> None:
        super().__init__(f"{reason}: {message}")
        self._reason: Reason = reason
        self.attempts = attempts

    @property
    def maybe_applied(self) -> bool:
        return self._reason == "maybe applied" or super().maybe_applied

    @property
    def reason(self) -> Reason:
        return "maybe applied" if self.maybe_applied else self._reason


class TransportError(SDKError):
    """No HTTP response at all: connection refused, reset, DNS, or a timeout."""

    def __init__(self, message: str, *, sent: bool = False) -> None:
        super().__init__(message)
        #: True when the request may have reached the server (a read timeout, a reset after sending).
        self.sent = sent

    @property
    def attempt_maybe_applied(self) -> bool:
        return self.sent


class APITimeoutError(TransportError, TimeoutError):
    """The connect, write, read or pool timeout expired (also a builtin ``TimeoutError``)."""


class WaitTimeout(SDKError, TimeoutError):
    """A wait (``admin.requests.wait_for``) ran out of time before what it waited for happened; the message
    says what it waited for and what it saw."""


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

    @property
    def attempt_maybe_applied(self) -> bool:
        # A 5xx other than 503 may come after the server applied the request (a 500 mid-way, a proxy's
        # 502/504 after forwarding it); 4xx, 429 and 503 say it was not applied.
        return self.status >= 500 and self.status != 503


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

    def __init__(self, message: str, *, status: int = 429, body: Any = None, request_id: str | None = None,
                 headers: dict[str, str] | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, status=status, body=body, request_id=request_id, headers=headers)
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


def maybe_applied(exc: BaseException) -> bool:
    """Whether a failed send may have changed the server's state; an error not of this SDK may have."""
    return exc.maybe_applied if isinstance(exc, SDKError) else True

