"""The cyfe service (not implemented yet: its issue builds it)."""

from __future__ import annotations

from ..base import Service

__all__ = ["CyfeService"]


class CyfeService(Service):
    name = "cyfe"
