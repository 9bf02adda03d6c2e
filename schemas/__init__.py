"""The shared JSON Schemas (draft 2020-12) and a loader with compiled, cached validators.

Each service has a folder of ``*.json`` files; every schema carries an ``$id`` of the form
``https://analytics-api-kit.dev/schemas/<service>/<file>.json`` so that files ``$ref`` each other
by relative URI (``"$ref": "common.json#/$defs/timestamp"``) through a ``referencing.Registry``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from ._fast import fast_validator

__all__ = ["BASE_URI", "RuleError", "SchemaError", "load", "registry", "schema_id", "validate", "validator"]

BASE_URI = "https://analytics-api-kit.dev/schemas/"
_ROOT = Path(__file__).resolve().parent


@dataclass(frozen=True)
class SchemaError:
    """One way an instance breaks a schema: a JSON path (``data[1].count``, ``$`` for the whole) and a message."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class RuleError(ValueError):
    """A wire rule that JSON Schema cannot say was broken; ``field`` names the parameter.

    Raised by the per-service rule modules (``schemas.stathat``, ``schemas.reports``...): the server turns
    it into the service's own error reply, the SDK into its ``ValidationError`` before anything is sent.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def schema_id(name: str) -> str:
    """``"stathat/ez_batch"`` → the schema's ``$id``."""
    name = name.removesuffix(".json")
    return f"{BASE_URI}{name}.json"


def _files() -> Iterator[Path]:
    yield from sorted(_ROOT.glob("*/*.json"))


@cache
def registry() -> Registry[Any]:
    """Every schema file, keyed by its ``$id``; built once per process."""
    resources = []
    for path in _files():
        contents = json.loads(path.read_text(encoding="utf-8"))
        expected = schema_id(f"{path.parent.name}/{path.stem}")
        if contents.get("$id") != expected:
            raise ValueError(f"{path}: $id must be {expected!r}")
        resources.append((expected, Resource.from_contents(contents, default_specification=DRAFT202012)))
    return Registry().with_resources(resources)


def load(name: str) -> dict[str, Any]:
    """The raw schema document for ``"service/file"`` (or ``"service/file#/$defs/x"``)."""
    uri = schema_id(name.split("#", 1)[0])
    contents: dict[str, Any] = registry().contents(uri)
    return contents


@cache
def validator(name: str) -> Draft202012Validator:
    """A compiled validator for ``"service/file"`` or ``"service/file#/$defs/thing"``; cached.

    ``$ref``s are inlined once here: jsonschema would otherwise look each one up through the registry for
    every instance it checks (a 1000-item batch went from 0.33 s to a few ms). A recursive ``$ref`` is kept.
    """
    base, _, pointer = name.partition("#")
    ref = schema_id(base) + (f"#{pointer}" if pointer else "")
    return Draft202012Validator(_inline({"$ref": ref}, ref, ()), registry=registry())


def _inline(node: Any, base: str, seen: tuple[str, ...]) -> Any:
    """``node`` with every non-recursive ``$ref`` replaced by its target (siblings kept beside it via allOf).

    ``base`` is the URI of the document ``node`` sits in, against which relative refs resolve.
    """
    if isinstance(node, list):
        return [_inline(item, base, seen) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _inline(v, base, seen) for k, v in node.items() if k not in ("$ref", "$id", "$defs")}
    ref = node.get("$ref")
    if isinstance(ref, str):
        uri = urljoin(base, ref)
        if uri in seen:
            out["$ref"] = uri  # recursive: leave it to the registry
        else:
            target = registry().resolver().lookup(uri).contents
            inlined = _inline(target, uri.partition("#")[0], (*seen, uri))
            if not out:
                return inlined
            out.setdefault("allOf", []).append(inlined)
    return out


def _json_path(error: ValidationError) -> str:
    """``data[1].count``; the document itself is ``$``."""
    path = ""
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path.lstrip(".") or "$"


def validate(name: str, instance: object) -> list[SchemaError]:
    """All the errors of ``instance`` against schema ``name``, the deepest first, in document order.

    A valid instance is told apart first by a compiled check (``schemas._fast``, exact by construction); only an
    instance it refuses, or cannot read, is walked for its errors.
    """
    fast = fast_validator(name)
    if fast is not None:
        try:
            if fast(instance):
                return []
        except (ValueError, TypeError, OverflowError):  # not an instance jsonschema-rs can read: the walk decides
            pass
    errors = sorted(validator(name).iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    return [SchemaError(_json_path(leaf), _message(leaf)) for leaf in map(_deepest, errors)]


def _message(error: ValidationError) -> str:
    """A short message that never echoes a (possibly huge or secret) instance."""
    v: Any = error.validator_value
    messages: dict[str, Callable[[], str]] = {
        "type": lambda: f"must be of type {' or '.join(v) if isinstance(v, list) else v}",
        "maxItems": lambda: f"must have at most {v} items",
        "minItems": lambda: f"must have at least {v} item{'s' if v != 1 else ''}",
        "maxLength": lambda: f"must be at most {v} characters",
        "minLength": lambda: "must not be empty" if v == 1 else f"must be at least {v} characters",
        "pattern": lambda: f"does not match the pattern {v}",
        "enum": lambda: f"must be one of {', '.join(repr(x) for x in v)}",
        "const": lambda: f"must be {v!r}",
        "minimum": lambda: f"must be at least {v}",
        "maximum": lambda: f"must be at most {v}",
        "exclusiveMinimum": lambda: f"must be greater than {v}",
        "exclusiveMaximum": lambda: f"must be less than {v}",
        "format": lambda: f"is not a valid {v}",
        "maxProperties": lambda: f"must have at most {v} properties",
        "minProperties": lambda: f"must have at least {v} properties",
        # jsonschema's own texts for these quote the whole instance (a key in it included).
        "oneOf": lambda: "must match exactly one of the allowed shapes",
        "anyOf": lambda: "must match one of the allowed shapes",
        "not": lambda: "is not allowed here",
        "uniqueItems": lambda: "must not repeat an item",
        "contains": lambda: "has no item of the required shape",
    }
    make = messages.get(str(error.validator))
    text = make() if make else error.message
    return text if len(text) <= 300 else text[:297] + "..."


def _deepest(error: ValidationError) -> ValidationError:
    # oneOf/anyOf failures carry their real cause in .context; the best match names the leaf that broke.
    from jsonschema.exceptions import best_match

    if error.context:
        return _deepest(best_match(error.context))
    return error
