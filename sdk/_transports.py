"""The async clients' default transport: aiohttp's connection pool behind httpx's transport interface.

httpx's own async pool (httpcore on anyio) costs about 1.5 ms of client CPU a request at concurrency 50 here, more
than the sync client; aiohttp's costs a fraction of that (figures: ``benchmarks/RESULTS.md``). Everything above
the transport stays httpx's: requests, headers, cookies, redirects, timeouts as ``httpx.Timeout``, errors as
httpx's exceptions, so the SDK's retry rules read them unchanged.

What still goes through httpx's own transport:

- a request while a test double has replaced httpx's network layer (respx patches httpcore's pool; vcrpy and
  pytest-httpx patch ``httpx.AsyncHTTPTransport``): the double sees every request, as it would without us;
- every request of a client built while a proxy is configured in the environment (httpx reads those variables
  only for its own transports).

A caller's own ``http_client=`` or ``transport=`` is used as given.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ssl
from typing import Any

import httpcore
import httpx

__all__ = ["AiohttpTransport", "AsyncWSGITransport", "ThreadedTransport", "as_async", "default_async_transport"]

_HTTPX_SEND = httpx.AsyncHTTPTransport.handle_async_request
_HTTPCORE_SEND = httpcore.AsyncConnectionPool.handle_async_request


def _patched() -> bool:
    """Whether something (respx, vcrpy, pytest-httpx) has replaced httpx's or httpcore's async send."""
    return (httpx.AsyncHTTPTransport.handle_async_request is not _HTTPX_SEND
            or httpcore.AsyncConnectionPool.handle_async_request is not _HTTPCORE_SEND)


def default_async_transport(limits: httpx.Limits | None = None) -> httpx.AsyncBaseTransport | None:
    """Our transport, or None (httpx's default) where aiohttp is not installed or a proxy is configured."""
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        return None
    if httpx._utils.get_environment_proxies():
        return None
    return AiohttpTransport(limits=limits)


class AiohttpTransport(httpx.AsyncBaseTransport):
    """httpx requests sent through one ``aiohttp.ClientSession`` (made on first use, in the running loop)."""

    def __init__(self, *, limits: httpx.Limits | None = None) -> None:
        self._limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=20)
        self._session: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._fallback: httpx.AsyncHTTPTransport | None = None

    def _open(self) -> Any:
        import aiohttp

        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop or self._session.closed:
            # A client used from a second event loop (a second asyncio.run) gets a pool of that loop.
            self._abandon()
            connector = aiohttp.TCPConnector(limit=self._limits.max_connections or 0,
                                             keepalive_timeout=self._limits.keepalive_expiry or 0)
            # httpx keeps the cookies, decodes the body and writes every header; aiohttp adds none of its own.
            self._session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False,
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"))
            self._loop = loop
        return self._session

    def _abandon(self) -> None:
        """Drop a session of another (possibly closed) loop without awaiting it."""
        session, self._session = self._session, None
        if session is not None and session.connector is not None:
            session.connector._close()  # closes the sockets now (nothing to await); the session is then closed

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if _patched():
            if self._fallback is None:
                self._fallback = httpx.AsyncHTTPTransport(limits=self._limits)
            return await self._fallback.handle_async_request(request)
        import aiohttp

        session = self._open()
        timeout = request.extensions.get("timeout", {})
        pool, connect = timeout.get("pool"), timeout.get("connect")
        client_timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=connect, sock_read=timeout.get("read"),
            connect=None if pool is None or connect is None else pool + connect)
        body = await request.aread()
        try:
            async with session.request(request.method, str(request.url), headers=request.headers.multi_items(),
                                       data=body or None, allow_redirects=False, compress=None,
                                       timeout=client_timeout,
                                       ssl=_tls() if request.url.scheme == "https" else True) as response:
                content = await response.read()
                headers = response.raw_headers
                status, reason = response.status, response.reason
        except Exception as exc:
            raise _mapped(exc, request) from exc
        extensions: dict[str, Any] = {"http_version": b"HTTP/1.1"}
        if reason:
            extensions["reason_phrase"] = reason.encode("latin-1", "replace")
        return httpx.Response(status, headers=headers, content=content, request=request, extensions=extensions)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._fallback is not None:
            await self._fallback.aclose()

    def __del__(self) -> None:
        # An async client nobody closed: close its sockets quietly, as httpx's own pool does.
        with contextlib.suppress(Exception):  # at interpreter shutdown, anything may be gone
            self._abandon()


@functools.cache
def _tls() -> ssl.SSLContext:
    """httpx's verifying context (certifi's CAs, ``SSL_CERT_FILE`` honoured), made once, on the first https
    request: loading the CAs costs tens of milliseconds that a client of a local server never needs."""
    return httpx.create_ssl_context()


def _mapped(exc: Exception, request: httpx.Request) -> Exception:
    """aiohttp's exception as the httpx exception httpcore raises for the same failure.

    Only a failure before anything was sent is a connect error (the SDK then retries even a write); everything
    after the connection was made is a read or protocol error, which may have reached the server.
    """
    import aiohttp

    message = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(message, request=request)
    if isinstance(exc, (aiohttp.SocketTimeoutError, aiohttp.ServerTimeoutError, asyncio.TimeoutError)):
        return httpx.ReadTimeout(message, request=request)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return httpx.ConnectError(message, request=request)
    if isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientResponseError)):
        return httpx.RemoteProtocolError(message, request=request)
    if isinstance(exc, (aiohttp.NonHttpUrlClientError, aiohttp.InvalidUrlClientError)):
        return httpx.UnsupportedProtocol(message, request=request)
    if isinstance(exc, (aiohttp.ClientError, OSError)):
        return httpx.ReadError(message, request=request)
    return exc


class ThreadedTransport(httpx.AsyncBaseTransport):
    """A sync transport behind the async interface: each request runs in a worker thread (anyio's, so asyncio
    and trio alike), so an async client can use ``httpx.WSGITransport`` (which has no async half) or any other
    sync transport. The request body is read in the loop, the whole reply in the thread."""

    def __init__(self, transport: httpx.BaseTransport) -> None:
        self.transport = transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        import anyio.to_thread

        body = await request.aread()
        sync_request = httpx.Request(request.method, request.url, headers=request.headers, content=body,
                                     extensions=request.extensions)

        def send() -> tuple[int, list[tuple[bytes, bytes]], bytes, dict[str, Any]]:
            response = self.transport.handle_request(sync_request)
            try:
                content = response.read()
            finally:
                response.close()
            return response.status_code, response.headers.raw, content, dict(response.extensions)

        status, headers, content, extensions = await anyio.to_thread.run_sync(send)
        return httpx.Response(status, headers=headers, content=content, request=request, extensions=extensions)

    async def aclose(self) -> None:
        self.transport.close()


class AsyncWSGITransport(ThreadedTransport):
    """``httpx.WSGITransport`` for async clients: the WSGI app (the reference server's ``create_app()``) answers
    in a worker thread, in process, with no socket::

        app = mock_server.create_app()
        client = sdk.AsyncStatHatClient("key", base_url="http://kit/stathat", transport=sdk.AsyncWSGITransport(app))
    """

    def __init__(self, app: Any, *, raise_app_exceptions: bool = True, script_name: str = "",
                 remote_addr: str = "127.0.0.1") -> None:
        super().__init__(httpx.WSGITransport(app=app, raise_app_exceptions=raise_app_exceptions,
                                             script_name=script_name, remote_addr=remote_addr))


def as_async(transport: httpx.AsyncBaseTransport | httpx.BaseTransport | None) -> httpx.AsyncBaseTransport | None:
    """An async client's transport: a sync one (``httpx.WSGITransport``) runs in worker threads."""
    if isinstance(transport, httpx.BaseTransport):
        return ThreadedTransport(transport)
    return transport
