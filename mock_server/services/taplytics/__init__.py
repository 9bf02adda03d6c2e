"""The taplytics service (not implemented yet: its issue builds it)."""

from __future__ import annotations

from ..base import Service

__all__ = ["TaplyticsService"]


class TaplyticsService(Service):
    name = "taplytics"
