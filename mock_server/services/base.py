"""What every service provides to the app: its blueprints, its error style, reset and seed."""

from __future__ import annotations

from typing import Any, ClassVar

from flask import Blueprint, Response

from ..config import Config
from ..errors import ServiceError
from ..http import reply
from ..store import Store

__all__ = ["Service"]


class Service:
    """A service = a backend (rules and state in the store) + a thin HTTP layer (blueprints).

    Subclasses set ``name``, build ``blueprint`` (mounted at ``/<name>``) and optionally ``admin``
    (mounted at ``/_admin/<name>``), and override ``reset``, ``seed``, ``render_error`` and
    ``credentials``. All state lives in the store so several worker processes can share it.
    """

    name: ClassVar[str]
    #: The schema the ``/_admin/seed`` section of this service must match (``"<name>/seed"``).
    seed_schema: ClassVar[str | None] = None
    #: The OpenAPI document's ``components.securitySchemes``: how a request carries the service's credentials.
    security_schemes: ClassVar[dict[str, dict[str, Any]]] = {}
    #: The schema of the service's error replies (what the HTTP layer's 413, 414 and 431 answer in its style).
    error_schema: ClassVar[str | None] = None
    #: The document's ``info.description``: what the service does that no schema says.
    openapi_description: ClassVar[str | None] = None

    def __init__(self, store: Store, config: Config) -> None:
        self.store = store
        self.config = config
        self.settings = config.service(self.name)
        self.setup()
        self.blueprint = self.make_blueprint()
        self.admin = self.make_admin_blueprint()

    def setup(self) -> None:
        """Build the backend (rules and state); runs before the blueprints are made."""

    def make_blueprint(self) -> Blueprint:
        return Blueprint(self.name, __name__)

    def make_admin_blueprint(self) -> Blueprint | None:
        return None

    def reset(self) -> None:
        """Back to the start-up state: clear this service's namespaces and load the defaults."""

    def seed(self, data: Any) -> dict[str, Any]:
        """Add the objects described by ``data`` (already validated against ``seed_schema``)."""
        raise ServiceError(400, f"{self.name} takes no seed data")

    def state(self) -> dict[str, Any]:
        """A summary of what the service holds, for ``GET /_admin/state``."""
        return {}

    def credentials(self) -> dict[str, str]:
        """The development credentials, printed at start-up."""
        return {}

    def render_error(self, error: ServiceError) -> Response:
        """The service's error style; the default is ``{"error": ..., "validation": [...]}``."""
        body: Any = error.body
        if body is None:
            body = {"error": error.message}
            if error.errors:
                body["validation"] = [{"path": e.path, "message": e.message} for e in error.errors]
        return reply(body, error.status)
