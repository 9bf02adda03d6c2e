"""Push filters: the rules the API text states, a builder that refuses the filters it calls bad, versions.

The types and the version order are the contract's (``schemas.taplytics``), so the SDK and the reference
server agree on which types order how.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from schemas.taplytics import (
    COMPARATORS,
    FILTER_TYPES,
    OS_VALUES,
    STRING_TYPES,
    VERSION_TYPES,
    version_key,
)

from .._errors import ValidationError

__all__ = ["COMPARATORS", "FILTER_TYPES", "STRING_TYPES", "Comparator", "Filter", "FilterField", "FilterType",
           "check_filter", "version_key", "where"]

FilterType = Literal["an_version", "ios_version", "os", "id", "email", "custom_data", "gender", "user_id", "age",
                     "app_lang", "country", "device_model", "push_token", "push_token_sandbox"]
Comparator = Literal["=", "<=", ">=", "!="]
Value = str | int | float

@dataclass(frozen=True)
class Filter:
    """One audience filter: users whose ``type`` field compares true with ANY of ``values``.

    Built through ``where(...)`` (which refuses the bad filters); ``Filter.from_json`` reads what the server
    holds without judging it.
    """

    type: str
    comparator: str
    values: tuple[Value, ...]
    data_key: str | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "comparator": self.comparator, "values": list(self.values)}
        if self.data_key is not None:
            body["dataKey"] = self.data_key
        return body

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Filter:
        return cls(str(data["type"]), str(data["comparator"]), tuple(data.get("values", ())), data.get("dataKey"))


def check_filter(f: Filter, where: str = "filter") -> Filter:
    """Raise ``ValidationError`` for a filter the API refuses, or one the text calls bad; return it unchanged."""
    if f.type not in FILTER_TYPES:
        raise ValidationError(f"{where}.type: {f.type!r} is not one of {', '.join(FILTER_TYPES)}", field="type")
    if f.comparator not in COMPARATORS:
        raise ValidationError(f"{where}.comparator: {f.comparator!r} is not one of {', '.join(COMPARATORS)}",
                              field="comparator")
    if not f.values:
        raise ValidationError(f"{where}.values: needs at least one value", field="values")
    for v in f.values:
        finite = isinstance(v, (str, int)) or (isinstance(v, float) and math.isfinite(v))
        if isinstance(v, bool) or not finite:
            raise ValidationError(f"{where}.values: {v!r} is not a string or a finite number", field="values")
    if f.type == "custom_data" and not f.data_key:
        raise ValidationError(f"{where}.dataKey: required when type is custom_data", field="dataKey")
    if f.type != "custom_data" and f.data_key is not None:
        raise ValidationError(f"{where}.dataKey: only allowed when type is custom_data", field="dataKey")
    if f.type == "os" and any(v not in OS_VALUES for v in f.values):
        raise ValidationError(f"{where}.values: os takes {' or '.join(OS_VALUES)}", field="values")
    # The two bad filters of the text.
    if f.comparator == "!=" and len(f.values) > 1:
        raise ValidationError(
            f"{where}: '!=' with several values matches every user (each user differs from at least one); "
            "use one '!=' filter per value", field="values")
    ordering = f.comparator in ("<=", ">=")
    # age and custom data order numbers; a text value there orders by ASCII codes all the same.
    string_values = f.type in ("age", "custom_data") and any(isinstance(v, str) for v in f.values)
    if ordering and (f.type in STRING_TYPES or string_values):
        raise ValidationError(
            f"{where}: {f.comparator!r} on the string type {f.type!r} compares ASCII codes, not meaning; "
            "use '=' or '!='", field="comparator")
    if f.type in VERSION_TYPES and any(not isinstance(v, str) or not version_key(v) for v in f.values):
        raise ValidationError(f"{where}.values: {f.type} values are version strings such as '5.0.0'",
                              field="values")
    return f


class FilterField:
    """``where("country").eq("Canada", "US")``, ``where("custom_data", "dollars spent").ge(16)``."""

    def __init__(self, type: FilterType, data_key: str | None = None) -> None:
        self.type = type
        self.data_key = data_key

    def _make(self, comparator: Comparator, values: Sequence[Value]) -> Filter:
        return check_filter(Filter(self.type, comparator, tuple(values), self.data_key), "filter")

    def eq(self, *values: Value) -> Filter:
        """Equal to any of ``values``."""
        return self._make("=", values)

    def ne(self, *values: Value) -> Filter:
        """Not equal to ``value`` (one value: several would match everyone)."""
        return self._make("!=", values)

    def ge(self, *values: Value) -> Filter:
        return self._make(">=", values)

    def le(self, *values: Value) -> Filter:
        return self._make("<=", values)


def where(type: FilterType, data_key: str | None = None) -> FilterField:
    """Start a filter on ``type`` (``data_key`` for ``custom_data``)."""
    return FilterField(type, data_key)
