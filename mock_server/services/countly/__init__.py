"""The countly service (not implemented yet: its issue builds it)."""

from __future__ import annotations

from ..base import Service

__all__ = ["CountlyService"]


class CountlyService(Service):
    name = "countly"
