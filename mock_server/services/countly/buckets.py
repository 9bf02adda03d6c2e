"""Writing into Countly's time buckets: day and hour in the month document, uniques in the zero document.

Shared by the core write rules (``users`` and the metric collections) and the views plugin.
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any
from zoneinfo import ZoneInfo

from .clock import Moment, moment
from .model import Work, add_to, lsidx_ns

__all__ = ["LEVELS", "day_hour", "last_session_index", "take_back", "unique_levels", "uniques"]

LEVELS = ("hour", "day", "week", "month", "year")


def unique_levels(last: float | None, m: Moment, tz: ZoneInfo) -> set[str]:
    """The levels at which someone last seen at ``last`` (None: never) is unique again at ``m``."""
    if last is None:
        return set(LEVELS)
    before = moment(last, tz)
    levels = {level for level in LEVELS if before.key(level) < m.key(level)}
    if before.year != m.year:
        # Countly counts the week only when the previous time was in an earlier week of the same
        # year, so someone back from last year is not unique in this year's first week (usage.js).
        levels.discard("week")
    return levels


def day_hour(month_doc: dict[str, Any], m: Moment, field: str, value: float) -> None:
    add_to(month_doc, (str(m.day), field), value)
    add_to(month_doc, (str(m.day), str(m.hour), field), value)


def uniques(zero: dict[str, Any], m: Moment, levels: Set[str], path: tuple[str, ...]) -> None:
    """A unique-ish field at the year, month and week levels of ``levels`` (zero document)."""
    d = zero.setdefault("d", {})
    if "year" in levels:
        add_to(d, path, 1)
    if "month" in levels:
        add_to(d, (str(m.month), *path), 1)
    if "week" in levels:
        add_to(d, (f"w{m.week}", *path), 1)


def take_back(doc: dict[str, Any], path: tuple[str, ...]) -> None:
    """Undo one ``add_to(doc, path, 1)``, removing what becomes zero or empty."""
    parents = [doc]
    for key in path[:-1]:
        node = parents[-1].get(key)
        if not isinstance(node, dict):
            return
        parents.append(node)
    last = parents[-1]
    value = last.get(path[-1], 0) - 1
    if value > 0:
        last[path[-1]] = value
        return
    last.pop(path[-1], None)
    for parent, key in zip(reversed(parents[:-1]), reversed(path[:-1]), strict=True):
        if parent[key]:
            break
        del parent[key]


def last_session_index(work: Work, app_id: str, ts: float, country: str, delta: int, tz: ZoneInfo) -> None:
    """Count a user in (``delta`` 1) or out of (-1) the per-day index of last-session starts."""
    m = moment(ts, tz)
    doc = work.doc(lsidx_ns(app_id), f"{m.year}:{m.month}", {})
    add_to(doc, (str(m.day), "u"), delta)
    add_to(doc, (str(m.day), "cc", country), delta)
