"""The server's configuration: one frozen object built from defaults, a JSON file and CLI flags."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

__all__ = ["SERVICE_NAMES", "Config", "load_config"]

#: Every service, in the order they are mounted and printed; the prefix is ``/<name>``.
SERVICE_NAMES = ("stathat", "countly", "taplytics", "cyfe", "reports")


@dataclass(frozen=True)
class Config:
    store: str = "memory://"
    #: Request bodies above this many bytes get a 413 in the service's style.
    max_body: int = 10 * 1024 * 1024
    #: Validate every response against its schema too (a 500 names the drift).
    strict: bool = False
    #: Taplytics: answer 403 to requests that did not arrive over https (X-Forwarded-Proto honoured).
    require_https: bool = False
    #: Load the demo dataset (reports) at start and on /_admin/reset.
    demo_data: bool = False
    #: Serve one service at ``/`` as well as under its prefix (for clients with fixed paths).
    only: str | None = None
    #: How many requests ``/_admin/requests`` keeps.
    journal_size: int = 1000
    #: Per-service settings, e.g. ``{"countly": {"session_cooldown": 15}}``.
    services: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.only is not None and self.only not in SERVICE_NAMES:
            raise ValueError(f"unknown service {self.only!r}; choose from {', '.join(SERVICE_NAMES)}")
        unknown = set(self.services) - set(SERVICE_NAMES)
        if unknown:
            raise ValueError(f"unknown service settings: {', '.join(sorted(unknown))}")

    def service(self, name: str) -> dict[str, Any]:
        return self.services.get(name, {})

    def with_changes(self, **changes: Any) -> Config:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def load_config(source: Config | dict[str, Any] | str | Path | None = None) -> Config:
    """A ``Config`` from another, a dict, a JSON file path, or None for the defaults."""
    if source is None:
        return Config()
    if isinstance(source, Config):
        return source
    if isinstance(source, (str, Path)):
        source = json.loads(Path(source).read_text(encoding="utf-8"))
        if not isinstance(source, dict):
            raise ValueError("a config file holds a JSON object")
    known = {f.name for f in fields(Config)}
    unknown = set(source) - known
    if unknown:
        raise ValueError(f"unknown config keys: {', '.join(sorted(unknown))}")
    return Config(**source)
