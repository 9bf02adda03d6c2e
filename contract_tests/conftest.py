"""Fixtures of the contract suite: a live reference server on a free port, or any ``--base-url``.

Every test starts from the server's start-up state (``POST /_admin/reset``). Against a server that
is not ours (``--base-url`` to a real service), tests that need ``/_admin`` are skipped.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from mock_server import create_app


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--base-url", default=None, help="run the contract suite against this server instead")


class _QuietHandler(WSGIRequestHandler):
    """werkzeug's own request line shows raw paths (a Cyfe widget key); the app's access log is masked."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class LiveServer:
    """A reference server in a thread, on 127.0.0.1 and a port the OS chose."""

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self.app = create_app(config)
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, self.app, threaded=True,
                                                   request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(5)


@pytest.fixture(scope="session")
def base_url(request: pytest.FixtureRequest) -> Iterator[str]:
    given = request.config.getoption("--base-url")
    if given:
        yield given.rstrip("/")
        return
    server = LiveServer()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def ours(base_url: str) -> bool:
    """Whether the server under test is the reference server (it has ``/_admin``)."""
    try:
        return httpx.get(f"{base_url}/_admin/health", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


class Admin:
    """The reference server's ``/_admin`` API, for set-up and read-back."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=f"{base_url}/_admin", timeout=10)

    def reset(self) -> None:
        self.http.post("/reset").raise_for_status()

    def seed(self, data: dict[str, Any]) -> dict[str, Any]:
        response = self.http.post("/seed", json=data)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def get(self, path: str, **params: Any) -> Any:
        response = self.http.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def fault(self, **spec: Any) -> None:
        response = self.http.post("/faults", json=spec)
        assert response.status_code == 201, response.text

    def requests(self, path: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"limit": limit}
        if path:
            params["path"] = path
        result: list[dict[str, Any]] = self.http.get("/requests", params=params).json()["requests"]
        return result


@pytest.fixture
def admin(base_url: str, ours: bool) -> Iterator[Admin]:
    if not ours:
        pytest.skip("needs the reference server's /_admin API")
    a = Admin(base_url)
    a.reset()
    yield a
    a.http.close()


@pytest.fixture
def http(base_url: str) -> Iterator[httpx.Client]:
    """A raw httpx client on the server, for wire-level checks."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        yield client


@pytest.fixture
async def ahttp(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        yield client
