"""The analytics-api-kit reference server: ``create_app()`` and the ``mock-server`` command.

Importing the package needs nothing beyond the SDK's dependencies (so ``mock-server`` can say what to
install when Flask is missing); ``create_app`` and ``Config`` load the server on first use.
"""

from typing import TYPE_CHECKING, Any

__all__ = ["Config", "create_app"]

if TYPE_CHECKING:
    from .app import create_app
    from .config import Config
else:
    def __getattr__(name: str) -> Any:
        if name == "create_app":
            from .app import create_app

            return create_app
        if name == "Config":
            from .config import Config

            return Config
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
