"""The server's configuration: one frozen object built from defaults, a JSON file and CLI flags.

A file or dict is checked against ``schemas/admin/config.json`` before anything is built, so a wrong type,
an out-of-range number or a misspelt key (in a service section too) is refused with the key's JSON path,
and for a file its name and line, instead of starting a server that answers 500 to everything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import schemas

__all__ = ["SERVICE_NAMES", "Config", "ConfigError", "load_config"]

#: Every service, in the order they are mounted and printed; the prefix is ``/<name>``.
SERVICE_NAMES = ("stathat", "countly", "taplytics", "cyfe", "reports")

CONFIG_SCHEMA = "admin/config"


class ConfigError(ValueError):
    """A config that breaks its schema; the message names the key (and the file and line when read from one)."""


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
    #: How many bytes of each request body the journal keeps (secrets masked first; 0: none).
    journal_body_max: int = 16 * 1024
    #: Per-service settings, e.g. ``{"countly": {"session_cooldown": 15}}``.
    services: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.only is not None and self.only not in SERVICE_NAMES:
            raise ConfigError(f"unknown service {self.only!r}; choose from {', '.join(SERVICE_NAMES)}")
        unknown = set(self.services) - set(SERVICE_NAMES)
        if unknown:
            raise ConfigError(f"unknown service settings: {', '.join(sorted(unknown))}")

    def service(self, name: str) -> dict[str, Any]:
        return self.services.get(name, {})

    def with_changes(self, **changes: Any) -> Config:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def load_config(source: Config | dict[str, Any] | str | Path | None = None) -> Config:
    """A ``Config`` from another, a dict, a JSON file path, or None for the defaults; checked against its schema."""
    if source is None:
        return Config()
    if isinstance(source, Config):
        return source
    if isinstance(source, (str, Path)):
        path = Path(source)
        text = path.read_text(encoding="utf-8")
        try:
            data = json.loads(text)
        except ValueError as exc:
            line = getattr(exc, "lineno", None)
            raise ConfigError(f"{path}{f' line {line}' if line else ''}: not valid JSON ({exc})") from None
        _check(data, lambda p: f"{path} line {_line_of(text, p)}")
        return Config(**data)
    _check(source, lambda _: "config")
    return Config(**source)


def _check(data: Any, where: Any) -> None:
    """Raise a ``ConfigError`` for the first key that breaks the schema; an unknown key is named itself."""
    validator = schemas.validator(CONFIG_SCHEMA)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if not errors:
        return
    error = errors[0]
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {})
        extra = next(k for k in error.instance if k not in allowed)
        key = ".".join(map(str, (*path, extra)))
        known = ", ".join(allowed) or "none"
        raise ConfigError(f"{where((*path, extra))}: unknown key {key!r} (known here: {known})")
    found = schemas.validate(CONFIG_SCHEMA, data)[0]
    raise ConfigError(f"{where(path)}: {found}")


def _line_of(text: str, path: tuple[Any, ...]) -> int:
    """The line on which ``path`` (a key, or an item index) starts in the JSON ``text`` (already parsed once)."""
    positions: dict[tuple[Any, ...], int] = {}
    decoder = json.JSONDecoder()

    def skip(i: int) -> int:
        while text[i] in " \t\r\n":
            i += 1
        return i

    def value(i: int, at: tuple[Any, ...]) -> int:
        i = skip(i)
        positions.setdefault(at, i)
        opener = text[i]
        if opener not in "{[":
            return decoder.raw_decode(text, i)[1]
        closer, index = ("}" if opener == "{" else "]"), 0
        i = skip(i + 1)
        while text[i] != closer:
            if opener == "{":
                key, end = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
                positions[(*at, key)] = i
                i = value(skip(end) + 1, (*at, key))
            else:
                i = value(i, (*at, index))
                index += 1
            i = skip(i)
            if text[i] == ",":
                i = skip(i + 1)
        return i + 1

    value(0, ())
    while path and path not in positions:
        path = path[:-1]
    return text.count("\n", 0, positions.get(path, 0)) + 1
