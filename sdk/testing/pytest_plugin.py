"""The analytics-api-kit pytest plugin (entry point ``pytest11``; loaded wherever the kit is installed).

Fixtures (every one starts from the server's start-up state)::

    def test_signup_is_counted(stathat_client, analytics_kit_admin):
        stathat_client.count("signups")
        assert analytics_kit_admin.stathat.stats("dev-ezkey")[0]["points"][0]["count"] == 1

- ``analytics_kit``: this test's server (``url``, ``via``, ``app``, ``admin``, ``transport()``, ``client_options()``);
- ``analytics_kit_server``: the session's reference server, a ``python -m mock_server`` process on a free port
  (or the server ``--analytics-kit-url`` names; then state is reset through ``/_admin/reset``);
- ``analytics_kit_url``: this test's server's root URL; ``analytics_kit_app``: a fresh in-process Flask app;
- ``analytics_kit_admin`` / ``async_analytics_kit_admin``: ``sdk.AdminClient`` / ``sdk.AsyncAdminClient`` on it;
- ``stathat_client``, ``countly_client``, ``taplytics_client``, ``cyfe_client``, ``reports_client`` and their
  ``async_`` twins: SDK clients with the server's development credentials, pointed at it;
- ``analytics_kit_via``: ``"http"`` (the default) or ``"in_process"``; parametrise it
  (``@pytest.mark.parametrize("analytics_kit_via", ["http", "in_process"])``) to run the same test both ways:
  in process, every client and the admin client talk to one fresh app with no socket.

``@pytest.mark.analytics_kit(demo_data=True, strict=True, store="sqlite:///...")`` runs a test on a server with that
config (``schemas/admin/config.json``): one process a distinct config a session, or a fresh app in process.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    import httpx
    from flask import Flask

    from sdk import AdminClient, AsyncAdminClient

    from ._server import KitServer

__all__ = ["ExternalServer", "Kit", "ThreadServer"]

VIAS = ("http", "in_process")

if TYPE_CHECKING:
    _async_fixture = pytest.fixture
else:
    try:  # async fixtures in pytest-asyncio's strict mode too (the dev extra has it)
        import pytest_asyncio

        _async_fixture = pytest_asyncio.fixture
    except ImportError:  # pragma: no cover
        _async_fixture = pytest.fixture
#: The root an in-process client is given (nothing is dialled: the transport answers).
IN_PROCESS_URL = "http://analytics-kit.test"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("analytics-kit", "analytics-api-kit reference server")
    parser.addini("analytics_kit_serve", default="process",
                  help="how the plugin serves its live server: process (python -m mock_server, the default) or "
                       "thread (werkzeug in a thread of the test process: the server's logs reach caplog)")
    group.addoption("--analytics-kit-url", default=None, metavar="URL",
                    help="use the reference server already running at URL (its /_admin resets it before each "
                         "test) instead of starting one")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "analytics_kit(**config): run the test on a reference server started with "
                                       "this config (store, demo_data, strict...: schemas/admin/config.json)")
    url = config.getoption("--analytics-kit-url")
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise pytest.UsageError(f"--analytics-kit-url: {url!r} is not an http(s) URL of a reference server "
                                    "(for example http://127.0.0.1:8080)")


class _Servers:
    """The session's server processes, one a config (the default config's is ``analytics_kit_server``)."""

    def __init__(self, serve: str) -> None:
        if serve not in ("process", "thread"):
            raise pytest.UsageError(f"analytics_kit_serve: {serve!r} is not process or thread")
        self.serve = serve
        self.running: dict[str, KitServer | ThreadServer] = {}

    def get(self, config: dict[str, Any]) -> KitServer | ThreadServer:
        key = json.dumps(config, sort_keys=True)
        if key not in self.running:
            if self.serve == "thread":
                self.running[key] = ThreadServer(config)
            else:
                from ._server import KitServer

                self.running[key] = KitServer(config)
        return self.running[key]

    def stop(self) -> None:
        for server in self.running.values():
            server.stop()
        self.running.clear()


@dataclass
class Kit:
    """This test's reference server: over HTTP (``via == "http"``) or in process (``app``, no socket)."""

    url: str
    via: str
    admin: AdminClient
    app: Flask | None = None
    config: dict[str, Any] = field(default_factory=dict)

    def service_url(self, service: str) -> str:
        return f"{self.url}/{service}"

    def transport(self) -> httpx.BaseTransport | None:
        """A sync transport to the app in process, or None (the network) over HTTP."""
        if self.app is None:
            return None
        import httpx

        return httpx.WSGITransport(app=self.app)

    def async_transport(self) -> httpx.AsyncBaseTransport | None:
        """An async transport to the app in process (``sdk.AsyncWSGITransport``), or None over HTTP."""
        if self.app is None:
            return None
        from sdk import AsyncWSGITransport

        return AsyncWSGITransport(self.app)

    def client_options(self, *, asynchronous: bool = False) -> dict[str, Any]:
        """``transport=`` for a client you build yourself (``{}`` over HTTP)."""
        transport = self.async_transport() if asynchronous else self.transport()
        return {} if transport is None else {"transport": transport}


def _marker_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("analytics_kit")
    if marker is None:
        return {}
    if marker.args:
        if len(marker.args) != 1 or not isinstance(marker.args[0], dict):
            raise pytest.UsageError("@pytest.mark.analytics_kit takes keyword arguments (or one config dict): "
                                    f"got {marker.args!r}")
        return {**marker.args[0], **marker.kwargs}
    return dict(marker.kwargs)


def _check_config(config: dict[str, Any]) -> None:
    import schemas

    errors = schemas.validate("admin/config", config)
    if errors:
        raise pytest.UsageError(f"@pytest.mark.analytics_kit: {errors[0]}")


class ThreadServer:
    """The reference server in a thread of this process (werkzeug's threaded server): its logs reach caplog."""

    def __init__(self, config: dict[str, Any]) -> None:
        import threading

        from werkzeug.serving import WSGIRequestHandler, make_server

        from mock_server import create_app

        class Quiet(WSGIRequestHandler):  # werkzeug's request line shows raw paths; the app's access log is masked
            def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                return None

        self.config = config
        self.app = create_app(config or None)
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True, request_handler=Quiet)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(5)


@pytest.fixture(scope="session")
def _analytics_kit_servers(request: pytest.FixtureRequest) -> Iterator[_Servers]:
    servers = _Servers(str(request.config.getini("analytics_kit_serve")))
    yield servers
    servers.stop()


@dataclass(frozen=True)
class ExternalServer:
    """The server ``--analytics-kit-url`` names (started elsewhere: the plugin neither starts nor stops it)."""

    url: str


@pytest.fixture(scope="session")
def analytics_kit_server(request: pytest.FixtureRequest,
                         _analytics_kit_servers: _Servers) -> KitServer | ThreadServer | ExternalServer:
    """The session's reference server (default config): a ``KitServer`` process the plugin started, or the
    ``ExternalServer`` that ``--analytics-kit-url`` names; ``.url`` is its root either way."""
    url: str | None = request.config.getoption("--analytics-kit-url")
    if url is not None:
        return ExternalServer(url.rstrip("/"))
    return _analytics_kit_servers.get({})


@pytest.fixture
def analytics_kit_via() -> str:
    """How this test reaches its server: ``"http"``; parametrise it to add ``"in_process"``."""
    return "http"


def _admin_for(url: str, transport: httpx.BaseTransport | None = None) -> AdminClient:
    from sdk import AdminClient

    return AdminClient(url, transport=transport)


@pytest.fixture
def analytics_kit(request: pytest.FixtureRequest, analytics_kit_via: str,
                  _analytics_kit_servers: _Servers) -> Iterator[Kit]:
    """This test's server, reset to its start-up state."""
    if analytics_kit_via not in VIAS:
        raise pytest.UsageError(f"analytics_kit_via: {analytics_kit_via!r} is not one of {', '.join(VIAS)}")
    config = _marker_config(request)
    if config:
        _check_config(config)
    external: str | None = request.config.getoption("--analytics-kit-url")
    if analytics_kit_via == "in_process":
        from mock_server import create_app

        app = create_app(config or None)
        import httpx

        kit = Kit(IN_PROCESS_URL, analytics_kit_via, _admin_for(IN_PROCESS_URL, httpx.WSGITransport(app=app)), app,
                  config)
    else:
        if external is not None:
            if config:
                pytest.fail(f"@pytest.mark.analytics_kit({config}) needs a server this session starts, but "
                            f"--analytics-kit-url points at one started elsewhere ({external})", pytrace=False)
            url = external.rstrip("/")
        else:
            url = (request.getfixturevalue("analytics_kit_server") if not config
                   else _analytics_kit_servers.get(config)).url
        kit = Kit(url, analytics_kit_via, _admin_for(url), None, config)
        _reset(kit, external)
    try:
        yield kit
    finally:
        kit.admin.close()


def _reset(kit: Kit, external: str | None) -> None:
    from sdk import SDKError

    try:
        kit.admin.reset()
    except SDKError as exc:
        where = f"--analytics-kit-url {external}" if external else kit.url
        pytest.fail(f"cannot reset the reference server at {where}: {exc}", pytrace=False)


@pytest.fixture
def analytics_kit_url(analytics_kit: Kit) -> str:
    """This test's server's root URL (``{url}/stathat`` is StatHat's base URL)."""
    return analytics_kit.url


@pytest.fixture
def analytics_kit_app(request: pytest.FixtureRequest) -> Flask:
    """A fresh reference server app in process (the marker's config applies), for ``httpx.WSGITransport`` or
    Flask's test client."""
    from mock_server import create_app

    config = _marker_config(request)
    if config:
        _check_config(config)
    return create_app(config or None)


@pytest.fixture
def analytics_kit_admin(analytics_kit: Kit) -> AdminClient:
    """``sdk.AdminClient`` on this test's server (reset, seed, journal, faults, read-back)."""
    return analytics_kit.admin


@_async_fixture
async def async_analytics_kit_admin(analytics_kit: Kit) -> AsyncIterator[AsyncAdminClient]:
    from sdk import AsyncAdminClient

    async with AsyncAdminClient(analytics_kit.url, **analytics_kit.client_options(asynchronous=True)) as admin:
        yield admin


# -- SDK clients with the development credentials -----------------------------------------------------------
def _credentials(service: str) -> dict[str, str]:
    """The credentials ``mock-server`` prints at start-up, as client arguments."""
    if service == "stathat":
        return {"ezkey": "dev-ezkey"}
    if service == "countly":
        return {"app_key": "dev-app-key", "app_id": "0123456789abcdef01234567", "api_key": "dev-api-key",
                "device_id": "analytics-kit-test"}
    if service == "taplytics":
        return {"api_token": "dev-api-token"}
    if service == "cyfe":
        return {"widget_key": "dev-widget"}
    return {"token": "dev-api-token"}


def _client_class(service: str, asynchronous: bool) -> Callable[..., Any]:
    import sdk

    names = {"stathat": "StatHatClient", "countly": "CountlyClient", "taplytics": "TaplyticsClient",
             "cyfe": "CyfeClient", "reports": "ReportsClient"}
    cls: Callable[..., Any] = getattr(sdk, ("Async" if asynchronous else "") + names[service])
    return cls


def _sync_client(service: str) -> Any:
    @pytest.fixture(name=f"{service}_client")
    def fixture(analytics_kit: Kit) -> Iterator[Any]:
        client = _client_class(service, False)(base_url=analytics_kit.service_url(service),
                                               **_credentials(service), **analytics_kit.client_options())
        with client:
            yield client

    fixture.__doc__ = f"A {service} SDK client (sync) on this test's server, with its development credentials."
    return fixture


def _async_client(service: str) -> Any:
    @_async_fixture(name=f"async_{service}_client")
    async def fixture(analytics_kit: Kit) -> AsyncIterator[Any]:
        client = _client_class(service, True)(base_url=analytics_kit.service_url(service), **_credentials(service),
                                              **analytics_kit.client_options(asynchronous=True))
        async with client:
            yield client

    fixture.__doc__ = f"A {service} SDK client (async) on this test's server, with its development credentials."
    return fixture


stathat_client = _sync_client("stathat")
async_stathat_client = _async_client("stathat")
countly_client = _sync_client("countly")
async_countly_client = _async_client("countly")
taplytics_client = _sync_client("taplytics")
async_taplytics_client = _async_client("taplytics")
cyfe_client = _sync_client("cyfe")
async_cyfe_client = _async_client("cyfe")
reports_client = _sync_client("reports")
async_reports_client = _async_client("reports")
