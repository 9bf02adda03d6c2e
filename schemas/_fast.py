"""A compiled yes-or-no check in front of jsonschema's error walk: jsonschema-rs answers "valid" in microseconds
(a 100-item StatHat batch: about 0.1 ms against jsonschema's 10 ms), and only an instance it refuses pays for the
walk, so every message, path and order stays jsonschema's.

It must never say "valid" where jsonschema says "invalid". Where the two could disagree:

- ``pattern``: Rust's regex classes are not Python's (``\\S`` matches U+001C in Rust and not in Python; Unicode
  versions differ), so ``pattern`` runs Python's ``re.search``, as jsonschema does.
- a tuple is an array to jsonschema-rs and not to jsonschema: every ``type`` that allows ``array`` gets an
  ``x-list`` check beside it.
- ``patternProperties`` matches keys with Rust's regexes: a schema that uses it (or any keyword not in
  ``_AUDITED``) gets no fast check.
- anything jsonschema-rs cannot take (a key that is not a string, a lone surrogate, a set) raises: that is a
  "don't know", and the walk decides.

``format`` is an annotation in both (jsonschema checks it only when given a format checker).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

__all__ = ["fast_validator"]

#: Keywords whose meaning the two libraries share once ``pattern`` and ``x-list`` are as above.
_AUDITED = frozenset({
    "$defs", "$id", "$ref", "$schema", "additionalProperties", "allOf", "anyOf", "const", "default", "description",
    "enum", "format", "if", "then", "else", "items", "maxItems", "maxLength", "maximum", "minItems", "minLength",
    "minProperties", "maxProperties", "minimum", "exclusiveMinimum", "exclusiveMaximum", "not", "oneOf", "pattern",
    "properties", "propertyNames", "required", "title", "type",
})
_ONE = frozenset({"items", "not", "if", "then", "else", "propertyNames", "additionalProperties", "contains"})
_MANY = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_NAMED = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas"})
_LIST = "x-list"


class _Unaudited(Exception):
    pass


class _Pattern:
    """``pattern`` through Python's ``re``, as jsonschema evaluates it."""

    def __init__(self, parent: dict[str, Any], value: str, path: list[str | int]) -> None:
        self.search = re.compile(value).search

    def validate(self, instance: object) -> None:
        if isinstance(instance, str) and not self.search(instance):
            raise ValueError("does not match the pattern")


class _List:
    """Only a ``list`` is a JSON array to jsonschema (a tuple is not)."""

    def __init__(self, parent: dict[str, Any], value: object, path: list[str | int]) -> None:
        pass

    def validate(self, instance: object) -> None:
        if isinstance(instance, tuple):
            raise ValueError("a tuple is not an array")


def _prepared(schema: Any, *, audit: bool = True) -> Any:
    """``schema`` with ``x-list`` beside every ``type`` that allows arrays; ``_Unaudited`` for a keyword outside
    ``_AUDITED`` when ``audit``."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if audit and key not in _AUDITED:
            raise _Unaudited(key)
        if key in _ONE:
            out[key] = _prepared(value, audit=audit)
        elif key in _MANY:
            out[key] = [_prepared(s, audit=audit) for s in value]
        elif key in _NAMED:
            out[key] = {k: _prepared(s, audit=audit) for k, s in value.items()}
        else:
            out[key] = value
    kind = schema.get("type")
    if kind == "array" or (isinstance(kind, list) and "array" in kind):
        out[_LIST] = True
    return out


@cache
def _registry() -> Any:
    import jsonschema_rs

    from . import registry

    # Not audited here: a compiled schema reaches these documents only through a recursive $ref, whose target is
    # inside the inlined schema that ``fast_validator`` audits.
    resources = [(uri, _prepared(registry().contents(uri), audit=False)) for uri in registry()]
    return jsonschema_rs.Registry(resources, retriever=_offline)


def _offline(uri: str) -> Any:
    raise LookupError(f"{uri}: not a bundled schema (schemas are never fetched)")


@cache
def fast_validator(name: str) -> Callable[[object], bool] | None:
    """``is_valid`` for schema ``name`` (as ``schemas.validator`` compiles it); None where no fast check is exact
    (or jsonschema-rs is not installed)."""
    try:
        import jsonschema_rs
    except ImportError:
        return None
    from . import validator as compiled

    try:
        prepared = _prepared(compiled(name).schema)
    except _Unaudited:
        return None
    fast = jsonschema_rs.Draft202012Validator(
        prepared, registry=_registry(), retriever=_offline, validate_formats=False,
        keywords={"pattern": _Pattern, _LIST: _List})
    is_valid: Callable[[object], bool] = fast.is_valid
    return is_valid
