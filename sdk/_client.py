"""The base clients: request building and error mapping once, the send loop in a sync and an async flavour."""

from __future__ import annotations

import json
import logging
import os
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import urlsplit

import httpx
import tenacity

from ._errors import APIError, RateLimited, TimeoutError, TransportError, ValidationError, error_class
from ._redact import Redactor
from ._retry import RetryPolicy, parse_retry_after, parse_retry_after_ms
from ._version import __version__

__all__ = ["DEFAULT_TIMEOUT", "AsyncAPIClient", "BaseClient", "Request", "SyncAPIClient"]

log = logging.getLogger("analytics_api_kit")
if os.environ.get("ANALYTICS_API_KIT_LOG", "").lower() in ("debug", "info"):
    logging.basicConfig()
    log.setLevel(os.environ["ANALYTICS_API_KIT_LOG"].upper())

#: Never unbounded: 5 s to connect, 30 s to read or write, 10 s for a pooled connection.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0, pool=10.0)
USER_AGENT = f"analytics-api-kit/{__version__} python/{platform.python_version()} {platform.system()}"
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

Params = Mapping[str, Any]


@dataclass(frozen=True)
class Request:
    """What one API call sends, independent of how it is sent (sans-IO)."""

    method: str
    path: str
    params: Params | Sequence[tuple[str, Any]] | None = None
    json: Any = None
    data: Params | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    #: None: decided by the method. A write the server deduplicates may say True.
    idempotent: bool | None = None
    timeout: httpx.Timeout | float | None = None
    retry: RetryPolicy | None = None

    @property
    def is_idempotent(self) -> bool:
        return self.method.upper() in _IDEMPOTENT_METHODS if self.idempotent is None else self.idempotent


QueryItems = list[tuple[str, str | int | float | bool | None]]


def _clean(params: Params | Sequence[tuple[str, Any]] | None) -> QueryItems | None:
    """Drop ``None`` values and render numbers and booleans the way query strings expect."""
    if params is None:
        return None
    items = params.items() if isinstance(params, Mapping) else params
    out: QueryItems = []
    for key, value in items:
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (dict, list)):
            value = json.dumps(value, separators=(",", ":"))
        out.append((key, str(value)))
    return out


def check_base_url(base_url: str, *, allow_http: bool) -> str:
    """Refuse plain http to anything but loopback unless the caller allows it (keys travel in clear)."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(f"base_url must be an http(s) URL, got {base_url!r}", field="base_url")
    if parts.scheme == "http" and not allow_http and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
        raise ValidationError(
            "base_url uses plain http to a non-loopback host; pass allow_http=True to accept that",
            field="base_url",
        )
    return base_url.rstrip("/")


class BaseClient:
    """What the sync and async clients share: configuration, request building, error mapping."""

    _owns_client: bool
    #: Where ``request_id`` is read from, in order.
    request_id_headers: Sequence[str] = ("x-request-id", "request-id")

    def __init__(
        self,
        *,
        base_url: str,
        secrets: Sequence[str | None] = (),
        timeout: httpx.Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        allow_http: bool = True,
    ) -> None:
        self.base_url = check_base_url(base_url, allow_http=allow_http)
        self.timeout = DEFAULT_TIMEOUT if timeout is None else httpx.Timeout(timeout)
        self.retry = retry or RetryPolicy()
        self.headers = {"User-Agent": USER_AGENT, **(headers or {})}
        self._secrets = tuple(s for s in secrets if s)
        self.redactor = Redactor(self._secrets)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.redactor.text(self.base_url)!r})"

    def with_options(self, **changes: Any) -> Self:
        """A copy with another ``timeout``, ``retry`` or extra ``headers``; shares the connection pool."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone._owns_client = False  # the original closes the pool
        if "timeout" in changes:
            clone.timeout = httpx.Timeout(changes.pop("timeout"))
        if "retry" in changes:
            clone.retry = changes.pop("retry")
        if "headers" in changes:
            clone.headers = {**self.headers, **changes.pop("headers")}
        if changes:
            raise TypeError(f"unknown options: {', '.join(changes)}")
        return clone

    # -- building --------------------------------------------------------------------------------
    def build_request(self, client: httpx.Client | httpx.AsyncClient, request: Request) -> httpx.Request:
        url = request.path if request.path.startswith(("http://", "https://")) else self.base_url + request.path
        timeout = self.timeout if request.timeout is None else httpx.Timeout(request.timeout)
        return client.build_request(
            request.method,
            url,
            params=_clean(request.params),
            json=request.json,
            data=dict(_clean(request.data) or []) if request.data is not None else None,
            headers={**self.headers, **request.headers},
            timeout=timeout,
        )

    # -- parsing ---------------------------------------------------------------------------------
    def error_message(self, body: Any, response: httpx.Response) -> str:
        """The service's own error text from its body; services override for their shape."""
        if isinstance(body, Mapping):
            for key in ("error", "message", "msg", "result", "detail", "title"):
                value = body.get(key)
                if isinstance(value, str) and value:
                    return value
                if isinstance(value, Mapping) and isinstance(value.get("message"), str):
                    return str(value["message"])
        return response.reason_phrase or "error"

    def check_response(self, response: httpx.Response) -> None:
        """Raise the typed error for an error response, or for a 2xx whose body says it failed."""
        if response.is_error:
            raise self.make_error(response.status_code, response)
        if type(self).status_in_body is BaseClient.status_in_body:
            return  # the service never hides errors in a 2xx: no need to parse the body here
        try:
            body = response.json()
        except ValueError:
            return
        status = self.status_in_body(body)
        if status is not None:
            raise self.make_error(status, response, body)

    def status_in_body(self, body: Any) -> int | None:
        """The error status a 2xx body carries (StatHat, Countly's checksum refusals); None if it succeeded."""
        return None

    def make_error(self, status: int, response: httpx.Response, body: Any = None) -> APIError:
        if body is None:
            try:
                body = response.json()
            except ValueError:
                body = response.text
        message = self.redactor.text(self.error_message(body, response))
        body = self.redactor.data(body)  # the exception keeps the body: no secret in it either
        request_id = next((response.headers[h] for h in self.request_id_headers if h in response.headers), None)
        headers = {k.lower(): v for k, v in self.redactor.headers(response.headers.items()).items()}
        cls = error_class(status)
        if cls is RateLimited:
            retry_after = parse_retry_after_ms(response.headers.get("retry-after-ms"))
            if retry_after is None:
                retry_after = parse_retry_after(response.headers.get("retry-after"))
            return RateLimited(message, status=status, body=body, request_id=request_id, headers=headers,
                               retry_after=retry_after)
        return cls(message, status=status, body=body, request_id=request_id, headers=headers)

    def transport_error(self, exc: httpx.TransportError, request: Request) -> TransportError:
        # A connect failure means nothing was sent; anything later may have reached the server.
        sent = not isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
        message = self.redactor.text(f"{type(exc).__name__} on {request.method} {request.path}: {exc}")
        cls = TimeoutError if isinstance(exc, httpx.TimeoutException) else TransportError
        return cls(message, sent=sent)

    def describe(self, request: Request) -> str:
        return self.redactor.text(f"{request.method} {self.base_url}{request.path}")

    def _retrying_kwargs(self, request: Request) -> dict[str, Any]:
        policy = request.retry or self.retry
        return policy.tenacity_kwargs(idempotent=request.is_idempotent, describe=self.describe(request))

    def _log_response(self, request: Request, response: httpx.Response, attempt: int) -> None:
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s -> %s (attempt %d)", self.describe(request), response.status_code, attempt)


class SyncAPIClient(BaseClient):
    """Sends with an ``httpx.Client``; owns it unless the caller passed one."""

    def __init__(
        self,
        *,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._owns_client = http_client is None
        #: Built here (so rebuilt in a forked child) unless the caller passed a client or a transport.
        self._default_http = http_client is None and transport is None
        self._transport = transport
        self._http = http_client or httpx.Client(transport=transport, timeout=self.timeout)
        self._pid = os.getpid()

    def _forked(self) -> None:
        # A forked child must not write to the parent's pooled sockets: it gets a pool of its own. The
        # parent's client is kept (not closed: closing could shut connections the parent still uses).
        self._pid = os.getpid()
        self._parent_http = self._http
        self._http = httpx.Client(transport=self._transport, timeout=self.timeout)
        self._owns_client = True

    def send(self, request: Request) -> httpx.Response:
        """Send with retries; return the successful response or raise the typed error."""
        if self._default_http and self._pid != os.getpid():
            self._forked()
        attempt = 0
        for try_ in tenacity.Retrying(**self._retrying_kwargs(request)):
            with try_:
                attempt += 1
                http_request = self.build_request(self._http, request)
                http_request.headers["X-Retry-Count"] = str(attempt - 1)
                try:
                    response = self._http.send(http_request)
                except httpx.TransportError as exc:
                    raise self.transport_error(exc, request) from None
                response.read()
                self._log_response(request, response, attempt)
                self.check_response(response)
                return response
        raise AssertionError("unreachable")  # pragma: no cover - tenacity reraises

    def close(self) -> None:
        if self._owns_client:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncAPIClient(BaseClient):
    """Sends with an ``httpx.AsyncClient``; owns it unless the caller passed one."""

    def __init__(
        self,
        *,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._owns_client = http_client is None
        self._http = http_client or httpx.AsyncClient(transport=transport, timeout=self.timeout)

    async def send(self, request: Request) -> httpx.Response:
        attempt = 0
        async for try_ in tenacity.AsyncRetrying(**self._retrying_kwargs(request)):
            with try_:
                attempt += 1
                http_request = self.build_request(self._http, request)
                http_request.headers["X-Retry-Count"] = str(attempt - 1)
                try:
                    response = await self._http.send(http_request)
                except httpx.TransportError as exc:
                    raise self.transport_error(exc, request) from None
                await response.aread()
                self._log_response(request, response, attempt)
                self.check_response(response)
                return response
        raise AssertionError("unreachable")  # pragma: no cover

    async def aclose(self) -> None:
        if self._owns_client:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

