"""Push filters evaluated against a stored user, as the API text defines them.

Filters are AND-ed and a filter's values OR-ed, except that the version filters form one group:
``an_version`` filters pick Android devices, ``ios_version`` filters iOS devices, and a user passes the
group when one device passes every version filter of its platform (Android >= 5 OR iOS != 8.0.1).
Versions compare as versions, ages and numeric custom data as numbers, everything else as text
(so an ordering comparator on text compares ASCII codes, as the text warns). A user without the
field a filter looks at does not match it, whatever the comparator.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from schemas.taplytics import VERSION_TYPES, version_key

__all__ = ["matches"]

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<=": operator.le, ">=": operator.ge,
}
_PLATFORM = {"an_version": "Android", "ios_version": "iOS"}
_DEVICE_FIELDS = frozenset({"os", "app_lang", "device_model", "push_token", "push_token_sandbox"})


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value  # as it is: an int too large for a float still compares exactly with a float
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _compare(kind: str, stored: Any, comparator: str, value: Any) -> bool:
    op = _OPS[comparator]
    if kind in VERSION_TYPES:
        return op(version_key(str(stored)), version_key(str(value)))
    if kind in ("age", "custom_data"):
        a, b = _number(stored), _number(value)
        if a is not None and b is not None:
            return op(a, b)
        if comparator in ("<=", ">=") and (a is not None or b is not None):
            return False  # a number against text has no order (text against text is ASCII, as the text warns)
    return op(str(stored), str(value))


def _any(kind: str, candidates: list[Any], f: dict[str, Any]) -> bool:
    present = [c for c in candidates if c is not None]
    if kind == "country" and f["comparator"] == "!=":
        # A country's name and code are two names of one thing: "not US" holds when neither is US.
        return bool(present) and any(all(c != v for c in present) for v in f["values"])
    return any(_compare(kind, c, f["comparator"], v) for c in present for v in f["values"])


def _candidates(user: dict[str, Any], f: dict[str, Any]) -> list[Any]:
    kind = f["type"]
    if kind in _DEVICE_FIELDS:
        return [d.get(kind) for d in user.get("devices") or []]
    if kind == "country":
        location = user.get("location") or {}
        return [location.get("country_name"), location.get("country_code")]
    if kind == "custom_data":
        data = user.get("custom_data") or {}
        return [data[f["dataKey"]]] if f.get("dataKey") in data else []
    return [user.get(kind)]


def matches(user: dict[str, Any], filters: list[dict[str, Any]]) -> bool:
    """Whether ``user`` is in the audience of ``filters`` (no filters: everyone)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for f in filters:
        if f["type"] in _PLATFORM:
            groups.setdefault(_PLATFORM[f["type"]], []).append(f)
        elif not _any(f["type"], _candidates(user, f), f):
            return False
    if not groups:
        return True
    return any(
        device.get("os") in groups
        and device.get("os_version") is not None
        and all(_any(f["type"], [device["os_version"]], f) for f in groups[device["os"]])
        for device in user.get("devices") or []
    )
