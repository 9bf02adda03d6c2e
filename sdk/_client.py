"""The base clients: request building and error mapping once, the send loop in a sync and an async flavour."""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
import os
import platform
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Generic, ParamSpec, Self, TypeVar
from urllib.parse import urlsplit

import httpx
import tenacity

from ._errors import (
    APIError,
    APITimeoutError,
    BatchError,
    RateLimited,
    SDKError,
    TransportError,
    ValidationError,
    error_class,
)
from ._json import json_of
from ._redact import Redactor, install_log_filter
from ._retry import RetryPolicy, current_scope, parse_retry_after, parse_retry_after_ms
from ._transports import as_async, default_async_transport
from ._version import __version__

__all__ = ["DEFAULT_TIMEOUT", "AsyncAPIClient", "BaseClient", "RawResponse", "RawResponses", "Request",
           "SyncAPIClient", "make_async_http_client", "make_http_client"]

T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")
log = logging.getLogger("analytics_api_kit")
# httpx and httpcore log full URLs (query keys, widget keys in paths): every record is redacted first.
install_log_filter()
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


def _loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def in_process(transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None) -> bool:
    """Whether ``transport`` answers without a network (WSGI/ASGI app, mock): its host is never dialled."""
    return transport is not None and not isinstance(transport, (httpx.HTTPTransport, httpx.AsyncHTTPTransport))


def check_base_url(base_url: str, *, allow_http: bool, in_process: bool = False) -> str:
    """Refuse plain http to anything but loopback unless the caller allows it (keys travel in clear).

    A base URL served by an in-process transport (``transport=httpx.WSGITransport(...)``) is accepted
    whatever its host: nothing leaves the process.
    """
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(f"base_url must be an http(s) URL, got {base_url!r}", field="base_url")
    if parts.scheme == "http" and not allow_http and not in_process and not _loopback(parts.hostname):
        raise ValidationError(
            "base_url uses plain http to a non-loopback host; pass allow_http=True to accept that",
            field="base_url",
        )
    return base_url.rstrip("/")


def make_http_client(transport: httpx.BaseTransport | None, timeout: httpx.Timeout) -> httpx.Client:
    """The connection pool a sync client builds when the caller passed none (one place to change it)."""
    return httpx.Client(transport=transport, timeout=timeout)


def make_async_http_client(transport: httpx.AsyncBaseTransport | httpx.BaseTransport | None,
                           timeout: httpx.Timeout) -> httpx.AsyncClient:
    """The connection pool an async client builds when the caller passed none (one place to change it): aiohttp's
    pool behind httpx's interface unless the caller gave a transport (``sdk._transports``); a sync transport
    (``httpx.WSGITransport(app=...)``) runs in worker threads."""
    return httpx.AsyncClient(transport=as_async(transport) or default_async_transport(), timeout=timeout)


def _clamp(timeout: httpx.Timeout, left: float) -> httpx.Timeout:
    """``timeout`` with no phase longer than ``left`` seconds (a batch's close deadline)."""
    left = max(left, 0.001)

    def cap(value: float | None) -> float:
        return left if value is None else min(value, left)

    return httpx.Timeout(connect=cap(timeout.connect), read=cap(timeout.read), write=cap(timeout.write),
                         pool=cap(timeout.pool))


@dataclass(frozen=True)
class RawResponse(Generic[T]):
    """A call's parsed result with the HTTP details of its (last) successful response."""

    parsed: T
    status_code: int
    headers: httpx.Headers
    request_id: str | None
    http_response: httpx.Response


class _Recording:
    """The successful responses of one ``with_raw_response`` call, in the context (thread or task) it runs in.

    Closed when the call returns, so a task the call started (a batcher's) records nothing afterwards.
    """

    __slots__ = ("client", "open", "responses")

    def __init__(self, client: BaseClient) -> None:
        self.client = client
        self.responses: list[httpx.Response] = []
        self.open = True


_RECORDING: ContextVar[_Recording | None] = ContextVar("analytics_api_kit_raw_response", default=None)


class RawResponses:
    """The base of every client's ``with_raw_response`` view: each call of the client mirrored with its own
    signature (a ``ParamSpec`` wrapper, so a type checker sees it), answering ``RawResponse[<its result>]``.

    A view is built from the client's bound methods (``self.count = self._wrap(client.count)``); what each
    call received is recorded in a context variable, so concurrent calls (threads, tasks) never mix their
    responses and the client itself is not changed.
    """

    def __init__(self, client: BaseClient) -> None:
        self._client = client

    def _wrap(self, call: Callable[P, R]) -> Callable[P, RawResponse[R]]:
        client = self._client

        @functools.wraps(call)
        def raw(*args: P.args, **kwargs: P.kwargs) -> RawResponse[R]:
            recording = _Recording(client)
            token = _RECORDING.set(recording)
            try:
                result = call(*args, **kwargs)
            finally:
                recording.open = False
                _RECORDING.reset(token)
            return client._raw(result, recording.responses)
        return raw

    def _wrap_async(self, call: Callable[P, Awaitable[R]]) -> Callable[P, Coroutine[Any, Any, RawResponse[R]]]:
        client = self._client

        @functools.wraps(call)
        async def raw(*args: P.args, **kwargs: P.kwargs) -> RawResponse[R]:
            recording = _Recording(client)
            token = _RECORDING.set(recording)
            try:
                result = await call(*args, **kwargs)
            finally:
                recording.open = False
                _RECORDING.reset(token)
            return client._raw(result, recording.responses)
        return raw


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
        in_process: bool = False,
    ) -> None:
        self.base_url = check_base_url(base_url, allow_http=allow_http, in_process=in_process)
        self.timeout = DEFAULT_TIMEOUT if timeout is None else httpx.Timeout(timeout)
        self.retry = retry or RetryPolicy()
        self.headers = {"User-Agent": USER_AGENT, **(headers or {})}
        self._secrets = tuple(s for s in secrets if s)
        self.redactor = Redactor(self._secrets)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.redactor.text(self.base_url)!r})"

    def _bind(self) -> None:
        """Attach resources (``client.users``...) to this instance; called again on every copy."""

    def _copy(self) -> Self:
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone._owns_client = False  # the original closes the pool
        clone._bind()
        return clone

    def with_options(
        self,
        *,
        timeout: httpx.Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Self:
        """A copy with another ``timeout``, ``retry`` or extra ``headers`` (None: unchanged); shares the pool."""
        clone = self._copy()
        if timeout is not None:
            clone.timeout = httpx.Timeout(timeout)
        if retry is not None:
            clone.retry = retry
        if headers is not None:
            clone.headers = {**self.headers, **headers}
        return clone

    def _raw(self, parsed: T, sink: list[httpx.Response]) -> RawResponse[T]:
        if not sink:
            raise ValidationError("this call sent no request (a lazy iterator?): nothing to report raw",
                                  field="with_raw_response")
        last = sink[-1]
        request_id = next((last.headers[h] for h in self.request_id_headers if h in last.headers), None)
        return RawResponse(parsed, last.status_code, last.headers, request_id, last)

    # -- building --------------------------------------------------------------------------------
    def build_request(self, client: httpx.Client | httpx.AsyncClient, request: Request) -> httpx.Request:
        url = request.path if request.path.startswith(("http://", "https://")) else self.base_url + request.path
        timeout = self.timeout if request.timeout is None else httpx.Timeout(request.timeout)
        scope = current_scope()
        left = scope.remaining() if scope is not None else None
        if left is not None:
            timeout = _clamp(timeout, left)
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
            body = json_of(response)
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
                body = json_of(response)
            except ValueError:
                body = response.text
        # The server's words are kept (only the secret values this client knows are masked in them).
        message = self.redactor.known(self.error_message(body, response))
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

    def transport_error(self, exc: httpx.TransportError, request: Request,
                        http_request: httpx.Request) -> tuple[TransportError, httpx.TransportError]:
        """The SDK's error for ``exc`` and a copy of ``exc`` to chain it to, both without a secret.

        httpx's own exception holds the request (its URL carries query keys, a widget key in the path), so it
        is never chained itself: the copy carries the redacted URL.
        """
        # A connect failure means nothing was sent; anything later may have reached the server.
        sent = not isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
        url = self.redactor.text(str(http_request.url))
        detail = self.redactor.text(str(exc))
        message = f"{type(exc).__name__} on {request.method} {url}: {detail}"
        cls = APITimeoutError if isinstance(exc, httpx.TimeoutException) else TransportError
        cause = type(exc)(detail, request=httpx.Request(http_request.method, url))
        return cls(message, sent=sent), cause

    def describe(self, request: Request) -> str:
        return self.redactor.text(f"{request.method} {self.base_url}{request.path}")

    def _retrying_kwargs(self, request: Request, *, started: float, asynchronous: bool = False) -> dict[str, Any]:
        policy = request.retry or self.retry
        return policy.tenacity_kwargs(idempotent=request.is_idempotent, describe=self.describe(request),
                                      asynchronous=asynchronous, started=started)

    def _log_response(self, request: Request, response: httpx.Response, attempt: int) -> None:
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s -> %s (attempt %d)", self.describe(request), response.status_code, attempt)

    def _succeeded(self, request: Request, response: httpx.Response, attempt: int) -> httpx.Response:
        self._log_response(request, response, attempt)
        self.check_response(response)
        recording = _RECORDING.get()
        if recording is not None and recording.open and recording.client is self:
            recording.responses.append(response)
        return response

    @staticmethod
    def _failed(error: SDKError, attempts: list[SDKError]) -> None:
        """Record a failed attempt: on the error (every attempt so far) and on the batch's scope."""
        attempts.append(error)
        error.attempts = tuple(attempts)
        scope = current_scope()
        if scope is not None:
            scope.attempts.append(error)


    @staticmethod
    def _gave_up(state: _Attempts) -> SDKError:
        """What a call raises when its batch's deadline stops it before an attempt: the last failure."""
        if state.errors:
            return state.errors[-1]
        return BatchError("not sent: the batch was abandoned at its deadline")


class _Attempts:
    """One call's failed attempts and where the last one was raised (its traceback, before tenacity's)."""

    def __init__(self) -> None:
        self.errors: list[SDKError] = []
        self.traceback: TracebackType | None = None

    def final(self, exc: SDKError) -> SDKError:
        """``exc`` with every attempt attached and its traceback starting at the failed attempt."""
        exc.attempts = tuple(self.errors) or (exc,)
        tb = self.traceback
        return exc.with_traceback(tb.tb_next if tb is not None else None)


class SyncAPIClient(BaseClient):
    """Sends with an ``httpx.Client``; owns it unless the caller passed one."""

    def __init__(
        self,
        *,
        base_url: str,
        secrets: Sequence[str | None] = (),
        timeout: httpx.Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        allow_http: bool = True,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(base_url=base_url, secrets=secrets, timeout=timeout, retry=retry, headers=headers,
                         allow_http=allow_http, in_process=in_process(transport))
        self._owns_client = http_client is None
        #: Built here (so rebuilt in a forked child) unless the caller passed a client or a transport.
        self._default_http = http_client is None and transport is None
        self._transport = transport
        self._http = http_client or make_http_client(transport, self.timeout)
        self._pid = os.getpid()
        self._bind()

    def _forked(self) -> None:
        # A forked child must not write to the parent's pooled sockets: it gets a pool of its own. The
        # parent's client is kept (not closed: closing could shut connections the parent still uses).
        self._pid = os.getpid()
        self._parent_http = self._http
        self._http = make_http_client(self._transport, self.timeout)
        self._owns_client = True

    def send(self, request: Request) -> httpx.Response:
        """Send with retries; return the successful response or raise the typed error."""
        if self._default_http and self._pid != os.getpid():
            self._forked()
        state = _Attempts()
        started = time.monotonic()
        try:
            try:
                return self._attempt(request, state)
            except SDKError as exc:
                state.traceback = exc.__traceback__
                replay: SDKError | None = exc
            # The first attempt failed: only now is tenacity's loop built (a call answered at once pays nothing for
            # it); the loop's first attempt replays that failure, so it decides exactly as if it had made it.
            for try_ in tenacity.Retrying(**self._retrying_kwargs(request, started=started)):
                with try_:
                    if replay is not None:
                        first, replay = replay, None
                        raise first
                    try:
                        return self._attempt(request, state)
                    except SDKError as exc:
                        state.traceback = exc.__traceback__
                        raise
        except SDKError as exc:
            raise state.final(exc) from exc.__cause__
        raise AssertionError("unreachable")  # pragma: no cover - tenacity reraises

    def _attempt(self, request: Request, state: _Attempts) -> httpx.Response:
        number = len(state.errors) + 1
        http_request = self.build_request(self._http, request)
        http_request.headers["X-Retry-Count"] = str(number - 1)
        scope = current_scope()
        if scope is not None and not scope.begin_attempt():
            raise self._gave_up(state)
        failure: tuple[SDKError, BaseException | None]
        try:
            try:
                response = self._http.send(http_request)
            except httpx.TransportError as exc:
                failure = self.transport_error(exc, request, http_request)
            else:
                try:
                    return self._succeeded(request, response, number)
                except APIError as exc:
                    failure = (exc, None)
        finally:
            if scope is not None:
                scope.end_attempt()
        self._failed(failure[0], state.errors)
        raise failure[0] from failure[1]

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
        base_url: str,
        secrets: Sequence[str | None] = (),
        timeout: httpx.Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        allow_http: bool = True,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(base_url=base_url, secrets=secrets, timeout=timeout, retry=retry, headers=headers,
                         allow_http=allow_http, in_process=in_process(transport))
        self._owns_client = http_client is None
        self._http = http_client or make_async_http_client(transport, self.timeout)
        self._bind()

    async def send(self, request: Request) -> httpx.Response:
        state = _Attempts()
        started = time.monotonic()
        try:
            try:
                return await self._attempt(request, state)
            except SDKError as exc:
                state.traceback = exc.__traceback__
                replay: SDKError | None = exc
            # As in the sync client: tenacity's loop only after a failed first attempt, which it replays.
            kwargs = self._retrying_kwargs(request, started=started, asynchronous=True)
            async for try_ in tenacity.AsyncRetrying(**kwargs):
                with try_:
                    if replay is not None:
                        first, replay = replay, None
                        raise first
                    try:
                        return await self._attempt(request, state)
                    except SDKError as exc:
                        state.traceback = exc.__traceback__
                        raise
        except SDKError as exc:
            raise state.final(exc) from exc.__cause__
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(self, request: Request, state: _Attempts) -> httpx.Response:
        number = len(state.errors) + 1
        http_request = self.build_request(self._http, request)
        http_request.headers["X-Retry-Count"] = str(number - 1)
        scope = current_scope()
        if scope is not None and not scope.begin_attempt():
            raise self._gave_up(state)
        failure: tuple[SDKError, BaseException | None]
        try:
            try:
                response = await self._http.send(http_request)
            except httpx.TransportError as exc:
                failure = self.transport_error(exc, request, http_request)
            else:
                try:
                    return self._succeeded(request, response, number)
                except APIError as exc:
                    failure = (exc, None)
        finally:
            if scope is not None:
                scope.end_attempt()
        self._failed(failure[0], state.errors)
        raise failure[0] from failure[1]

    async def aclose(self) -> None:
        if self._owns_client:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
