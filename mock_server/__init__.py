"""The analytics-api-kit reference server: ``create_app()`` and the ``mock-server`` command."""

from .app import create_app
from .config import Config

__all__ = ["Config", "create_app"]
