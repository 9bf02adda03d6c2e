"""A real browser for tests: Debian's headless Chromium driven by the Python ``playwright`` package.

Never Playwright's own browser download (it cannot work on these machines): the Debian package
``chromium`` (``/usr/bin/chromium``, installed by ``.ci/run``) is launched by path. A test that uses the
``browser`` fixture is skipped, with the reason printed, when the package or Playwright is missing.

    from tests.browser import browser, static_site  # noqa: F401  (the fixture, imported to be used)

    def test_page(browser: Browser) -> None:
        with static_site({"index.html": b"<p>hi</p>"}) as site:
            page = browser.new_page()
            page.goto(f"{site}/index.html")

``static_site`` serves files from ``http://localhost:<port>``, another origin than a server the tests
start on ``127.0.0.1``, so a page there makes real cross-origin requests (CORS preflights included).
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

__all__ = ["CHROMIUM_ARGS", "browser", "find_chromium", "static_site"]

#: Headless, no sandbox (we run as root), nothing that reaches the network on its own.
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--metrics-recording-only",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
)


def find_chromium() -> str | None:
    """``$CHROMIUM`` if set, else Debian's ``/usr/bin/chromium``, else ``chromium`` on PATH."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """A headless Chromium for the module's tests (a fresh ``new_page()`` or ``new_context()`` each)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright not found: pip install -e '.[dev]' installs the Python package")
    path = find_chromium()
    if path is None:
        pytest.skip("Chromium not found: /usr/bin/chromium (the Debian package chromium; .ci/run installs it)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=list(CHROMIUM_ARGS), headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def static_site(files: Mapping[str, bytes | Path]) -> Iterator[str]:
    """Serve ``files`` (relative name -> content, or a file to copy) at ``http://localhost:<port>``."""
    with tempfile.TemporaryDirectory(prefix="static-site-") as root:
        for name, content in files.items():
            target = Path(root, name)
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Path):
                shutil.copyfile(content, target)
            else:
                target.write_bytes(content)
        server = ThreadingHTTPServer(("localhost", 0), functools.partial(_QuietHandler, directory=root))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://localhost:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)
