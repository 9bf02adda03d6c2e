"""Taplytics' wire rules that JSON Schema cannot say: the push filter types and how versions order."""

from __future__ import annotations

import re

__all__ = ["COMPARATORS", "FILTER_TYPES", "OS_VALUES", "STRING_TYPES", "VERSION_TYPES", "version_key"]

FILTER_TYPES: tuple[str, ...] = ("an_version", "ios_version", "os", "id", "email", "custom_data", "gender", "user_id",
                                 "age", "app_lang", "country", "device_model", "push_token", "push_token_sandbox")
COMPARATORS: tuple[str, ...] = ("=", "<=", ">=", "!=")
#: Types whose values are plain strings: an ordering comparator on them compares ASCII codes (a bad filter).
STRING_TYPES = frozenset({"os", "id", "email", "gender", "user_id", "app_lang", "country", "device_model",
                          "push_token", "push_token_sandbox"})
VERSION_TYPES = frozenset({"an_version", "ios_version"})
OS_VALUES = ("iOS", "Android")
_PART = re.compile(r"(\d+)|([^\d.]+)", re.ASCII)


def version_key(version: str) -> tuple[tuple[int, int, str], ...]:
    """A sort key comparing versions as versions: ``"5.10" > "5.9"``, ``"5.0" == "5.0.0"``.

    Numeric parts compare as numbers, of any length (by digit count, then digits: no ``int()`` of a
    5000-digit part); a textual part (``"beta"``) sorts before a number in the same place.
    Trailing zero parts are dropped so that ``5.0`` and ``5.0.0`` are equal.
    """
    parts: list[tuple[int, int, str]] = []
    for number, text in _PART.findall(str(version)):
        digits = number.lstrip("0")
        parts.append((1, len(digits), digits) if number else (0, 0, text))
    while parts and parts[-1] == (1, 0, ""):
        parts.pop()
    return tuple(parts)
