"""A reference server in its own process (``python -m mock_server``, the production WSGI server) on a port the OS
chose, as the pytest plugin starts it once a session (and once a config a marker asks for)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from typing import IO, Any

__all__ = ["KitServer"]

#: How long a server may take to print its banner (a cold start imports Flask and compiles the schemas).
START_TIMEOUT = 60.0


class KitServer:
    """``KitServer(config)`` starts ``python -m mock_server --host 127.0.0.1 --port 0 [--config FILE]`` and waits
    for its banner; ``url`` is where it listens, ``stop()`` ends it (SIGTERM, then SIGKILL)."""

    def __init__(self, config: Mapping[str, Any] | None = None, *, python: str = sys.executable) -> None:
        self.config = dict(config or {})
        self._config_file: IO[str] | None = None
        args = [python, "-m", "mock_server", "--host", "127.0.0.1", "--port", "0"]
        if self.config:
            self._config_file = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)  # noqa: SIM115
            json.dump(self.config, self._config_file)
            self._config_file.close()
            args += ["--config", self._config_file.name]
        # The access log (a line a request) goes to a file: a full pipe would stall the server.
        self._log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - lives as long as the process
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self._log, stdin=subprocess.DEVNULL,
                                     text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.url = self._wait_for_banner()

    def _wait_for_banner(self) -> str:
        assert self.proc.stdout is not None
        lines: list[str] = []
        done = threading.Event()

        def read() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                lines.append(line)
                if line.startswith("Ctrl-C to quit"):
                    break
            done.set()

        threading.Thread(target=read, daemon=True).start()
        done.wait(START_TIMEOUT)
        found = re.search(r" on (http://\S+)", "".join(lines))
        if found is None:
            self.stop()
            raise RuntimeError(f"the reference server did not start (config {self.config}):\n"
                               f"{''.join(lines)}{self.log()}")
        return found.group(1).rstrip("/")

    def log(self) -> str:
        """What the server wrote to stderr so far (its access log, masked, and any error)."""
        self._log.seek(0)
        return self._log.read()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._log.close()
        if self._config_file is not None:
            os.unlink(self._config_file.name)
