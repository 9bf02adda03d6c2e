"""Fixtures of the contract suite, on the kit's own pytest plugin (``sdk.testing.pytest_plugin``): one source of
truth for the live server, its reset before each test and the admin client.

``--base-url URL`` runs the suite against another server: a reference server started elsewhere (the same as the
plugin's ``--analytics-kit-url``), or a real service, where tests that need ``/_admin`` are skipped.

SDK tests (whose fixtures reach the server only through the plugin's ``analytics_kit``, never a raw ``base_url``)
run twice: over HTTP and in process (``analytics_kit_via``), every client and the admin client on one fresh app.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from sdk import AdminClient, SDKError
from sdk.testing.pytest_plugin import Kit


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--base-url", default=None, help="run the contract suite against this server instead")


def _given(config: pytest.Config) -> str | None:
    url: str | None = config.getoption("--base-url")
    return url.rstrip("/") if url else None


def _has_admin(url: str) -> bool:
    try:
        with AdminClient(url, timeout=5) as admin:
            admin.health()
        return True
    except SDKError:
        return False


def pytest_configure(config: pytest.Config) -> None:
    given = _given(config)
    if given and config.getoption("--analytics-kit-url") is None and _has_admin(given):
        config.option.analytics_kit_url = given  # a reference server elsewhere: the plugin's fixtures use it


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    names = metafunc.fixturenames
    chosen = any("analytics_kit_via" in str(m.args[0]) for m in metafunc.definition.iter_markers("parametrize"))
    # A raw URL (``base_url``, ``analytics_kit_url``) is dialled by something outside the SDK: HTTP only.
    if "analytics_kit" in names and not {"base_url", "analytics_kit_url"} & set(names) and not chosen:
        metafunc.parametrize("analytics_kit_via", ["http", "in_process"])


@pytest.fixture(scope="session")
def ours(request: pytest.FixtureRequest) -> bool:
    """Whether the server under test is the reference server (it has ``/_admin``)."""
    given = _given(request.config)
    return given is None or _has_admin(given)


@pytest.fixture(scope="session")
def base_url(request: pytest.FixtureRequest) -> str:
    """The server's root URL, for raw HTTP checks (always over the network)."""
    given = _given(request.config)
    if given:
        return given
    url: str = request.getfixturevalue("analytics_kit_server").url
    return url


@pytest.fixture
def kit(ours: bool, analytics_kit: Kit) -> Kit:
    if not ours:
        pytest.skip("needs the reference server's /_admin API")
    return analytics_kit


@pytest.fixture
def admin(kit: Kit) -> AdminClient:
    """The plugin's admin client on this test's server (reset before the test)."""
    return kit.admin


@pytest.fixture
def http(base_url: str) -> Iterator[httpx.Client]:
    """A raw httpx client on the server, for wire-level checks."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        yield client


@pytest.fixture
async def ahttp(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        yield client
