"""Test helpers for the serving layer: the real ``mock-server`` console script in a subprocess, and the
PostgreSQL the Postgres tests use (``ANALYTICS_API_KIT_TEST_POSTGRES``), each test in a schema of its own."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from sdk import AdminClient

ROOT = Path(__file__).resolve().parents[1]
#: The console script pip installed beside this interpreter (what a user runs).
MOCK_SERVER = str(Path(sys.executable).with_name("mock-server"))
POSTGRES = os.environ.get("ANALYTICS_API_KIT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``mock-server ARGS`` to completion (for the ones that refuse to start)."""
    return subprocess.run([MOCK_SERVER, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


class Served:
    """A running ``mock-server``: its process, base URL and banner; ``stop(sig)`` returns the exit status."""

    def __init__(self, *args: str) -> None:
        # stderr (the access log, a line a request) goes to a file: a full pipe would stall the server.
        self._err = tempfile.TemporaryFile("w+")  # noqa: SIM115 - lives as long as the process
        self.proc = subprocess.Popen([MOCK_SERVER, "--port", "0", *args], cwd=ROOT, text=True,
                                     stdout=subprocess.PIPE, stderr=self._err, stdin=subprocess.DEVNULL)
        assert self.proc.stdout is not None
        lines = []
        for line in self.proc.stdout:  # the banner ends with "Ctrl-C to quit"; nothing is printed before bind
            lines.append(line)
            if line.startswith("Ctrl-C to quit"):
                break
        self.banner = "".join(lines)
        found = re.search(r" on (http://\S+)", self.banner)
        if found is None:
            self.proc.kill()
            self.proc.communicate(timeout=30)
            raise AssertionError(f"mock-server did not start: {self.banner}{self.read_stderr()}")
        self.url = found.group(1)
        self.stderr = ""
        #: The server's /_admin (closed with the server).
        self.admin = AdminClient(self.url, timeout=30)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        if hasattr(self, "admin"):
            self.admin.close()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        self.proc.communicate(timeout=timeout)
        self.stderr = self.read_stderr()
        return self.proc.returncode

    def read_stderr(self) -> str:
        self._err.seek(0)
        return self._err.read()


@contextmanager
def served(*args: str) -> Iterator[Served]:
    server = Served(*args)
    try:
        yield server
    finally:
        if server.proc.poll() is None:
            server.stop()


def postgres_url() -> str:
    """A URL of the test database with a schema of its own (dropped by the caller), or a skip saying why not."""
    try:
        import psycopg
    except ImportError:
        pytest.skip("psycopg not installed: pip install 'analytics-api-kit[postgres]'")
    try:
        psycopg.connect(POSTGRES, connect_timeout=3).close()
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES} (ANALYTICS_API_KIT_TEST_POSTGRES): "
                    f"{str(exc).strip().splitlines()[0]}")
    joiner = "&" if "?" in POSTGRES else "?"
    return f"{POSTGRES}{joiner}schema=t_{uuid.uuid4().hex[:12]}"


def drop_schema(url: str) -> None:
    from mock_server.postgres import PostgresStore

    store = PostgresStore(url)
    store.drop()
    store.close()


def total(url: str, name: str) -> float:
    with AdminClient(url, timeout=30) as admin:
        stats = admin.stathat.stats()
    return sum(p["count"] for s in stats if s["name"] == name for p in s["points"])
