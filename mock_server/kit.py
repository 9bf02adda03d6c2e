"""The app's shared objects (store, config, services), kept on ``app.extensions``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import current_app, request

from .config import Config
from .store import Store

if TYPE_CHECKING:
    from .services.base import Service

__all__ = ["Kit", "kit"]


@dataclass
class Kit:
    config: Config
    store: Store
    services: dict[str, Service] = field(default_factory=dict)

    def service_for_request(self) -> Service | None:
        """The service whose blueprint matched, or whose prefix the path starts with (404s, 405s)."""
        name = request.blueprint
        if name:
            name = name.split(".")[0].removesuffix("_root")
            if name in self.services:
                return self.services[name]
        first = request.path.lstrip("/").split("/", 1)[0]
        if first in self.services:
            return self.services[first]
        if self.config.only and not first.startswith("_"):
            return self.services.get(self.config.only)
        return None

    def reset(self) -> None:
        """Empty the store and load every service's start-up state, in one transaction."""
        with self.store.transaction():
            self.store.clear()
            for service in self.services.values():
                service.reset()
            self.store.put("_meta", "initialised", True)


def kit() -> Kit:
    value: Kit = current_app.extensions["analytics_api_kit"]
    return value
