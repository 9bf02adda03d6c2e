"""The ``mock-server`` entry point: says what to install when the server's dependencies are missing.

The SDK installs without Flask (``pip install analytics-api-kit``); the server needs the extra
(``pip install 'analytics-api-kit[server]'``). This module imports nothing of the server until it runs.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["SERVER_DEPENDENCIES", "main"]

#: Top-level modules the server needs beyond the SDK's own dependencies.
SERVER_DEPENDENCIES = frozenset({"flask", "werkzeug"})
INSTALL_HINT = "pip install 'analytics-api-kit[server]'"


def main(argv: Sequence[str] | None = None) -> int:
    try:
        from .cli import main as serve
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in SERVER_DEPENDENCIES:
            raise
        print(f"mock-server: the reference server needs {exc.name}, which is not installed: {INSTALL_HINT}",
              file=sys.stderr)
        return 2
    return serve(argv)
