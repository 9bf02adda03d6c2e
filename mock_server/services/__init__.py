"""The services the server implements, one package each: ``backend`` (rules and state) and ``views`` (HTTP)."""

from __future__ import annotations

from .base import Service
from .countly import CountlyService
from .cyfe import CyfeService
from .reports import ReportsService
from .stathat import StatHatService
from .taplytics import TaplyticsService

__all__ = ["SERVICES", "Service"]

#: name → class, in the order they are mounted and printed.
SERVICES: dict[str, type[Service]] = {
    cls.name: cls for cls in (StatHatService, CountlyService, TaplyticsService, CyfeService, ReportsService)
}
