"""A reference server in its own process (``python -m mock_server``) on a free port, for end-to-end tests
that drive it from outside: the ``analytics-kit`` command line and the browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sdk import AdminClient, TransportError

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    def __init__(self, url: str, proc: subprocess.Popen[bytes]) -> None:
        self.url = url
        self.proc = proc
        self.admin = AdminClient(url, timeout=30)

    def reset(self) -> None:
        self.admin.reset()


#: The console script, as a user starts it.
MOCK_SERVER = str(Path(sys.executable).with_name("mock-server"))


@contextmanager
def server_process(*args: str, command: Sequence[str] = (sys.executable, "-m", "mock_server")) -> Iterator[Server]:
    port = free_port()
    proc = subprocess.Popen([*command, "--port", str(port), *args], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ})
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(400):
            try:
                with AdminClient(url, timeout=1) as probe:
                    probe.health()
                break
            except TransportError:
                if proc.poll() is not None:
                    raise RuntimeError(f"mock-server exited with {proc.returncode}") from None
                time.sleep(0.05)
        server = Server(url, proc)
        yield server
        server.admin.close()
    finally:
        proc.terminate()
        proc.wait(10)
