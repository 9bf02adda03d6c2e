"""The read side: merge the zero and month documents a period needs into Countly's nested object.

Only the documents of the months the period and its previous period touch are loaded (one zero document
per year, one month document per month and collection), so the cost does not grow with the data.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from ...store import Store
from .clock import Moment, Period
from .model import agg_ns, lsidx_ns

__all__ = ["UNIQUE_USERS", "Docs", "Snapshot", "day_data", "merge", "refresh", "users_in_days"]

class Docs(Protocol):
    def get(self, ns: str, key: str) -> Any: ...


class Snapshot:
    """Documents read once for one answer (the dashboard reads the same months for three periods).

    Lives for one request only, so it never holds state across requests; callers must not mutate.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._docs: dict[tuple[str, str], Any] = {}

    def get(self, ns: str, key: str) -> Any:
        slot = (ns, key)
        if slot not in self._docs:
            self._docs[slot] = self.store.get(ns, key)
        return self._docs[slot]


#: Fields that only the zero documents hold above day level (summing them would count a user twice).
UNIQUE_USERS = frozenset({"u", "f", "ds", "l"})
UNIQUE_OTHER = frozenset({"u"})


HOURS = frozenset(str(h) for h in range(24))


def _sum_into(target: dict[str, Any], day: dict[str, Any], unique: frozenset[str]) -> None:
    """Add a day's non-unique values (``t``, ``n``, ``e``, ``d``, ``c``, ``s``, ``dur``, value.t...) to a level."""
    for key, value in day.items():
        if key in unique:
            continue
        if isinstance(value, dict):
            if key in HOURS:
                continue
            slot = target.get(key)
            for k, v in value.items():
                if k != "u" and isinstance(v, (int, float)):
                    if slot is None:
                        slot = target[key] = {}
                    slot[k] = _num(slot.get(k, 0) + v)
        else:
            target[key] = _num(target.get(key, 0) + value)


def _num(value: float) -> float:
    return round(value, 5) if isinstance(value, float) else value


def merge(store: Store, app_id: str, collection: str, period: Period, *, users: bool = False,
          meta_from: str | None = None) -> dict[str, Any]:
    """``fetchTimeObj`` → ``getMergedObj``: ``{"<YYYY>": {"<M>": {"<D>": {"<H>": {...}}}, "w<k>": {...}}, "meta"}``.

    ``{}`` when nothing was recorded. ``meta_from`` names the collection whose zero document holds the
    meta (events keep it on the un-segmented collection).
    """
    ns = agg_ns(app_id)
    unique = UNIQUE_USERS if users else UNIQUE_OTHER
    out: dict[str, Any] = {}
    meta: dict[str, list[str]] = {}
    months = period.months()
    for year in sorted({y for y, _ in months}):
        zero = store.get(ns, f"{collection}|{year}:0")
        if meta_from is not None:
            meta_doc = store.get(ns, f"{meta_from}|{year}:0")
            meta_src = meta_doc.get("meta", {}) if meta_doc else {}
        else:
            meta_src = zero.get("meta", {}) if zero else {}
        for name, values in meta_src.items():
            merged = meta.setdefault(name, [])
            merged.extend(v for v in values if v not in merged)
        if zero and zero.get("d"):
            out[str(year)] = zero["d"]  # a fresh object from the store: no copy needed
    for year, month in months:
        doc = store.get(ns, f"{collection}|{year}:{month}")
        if not doc:
            continue
        ylevel = out.setdefault(str(year), {})
        mlevel = ylevel.setdefault(str(month), {})
        for day, data in doc.items():
            mlevel[day] = data
            _sum_into(mlevel, data, unique)
            _sum_into(ylevel, data, unique)
    if not out and not meta:
        return {}
    if meta or out:
        out["meta"] = {k: [v.replace('"', "&quot;") for v in vs] for k, vs in meta.items()}
    return out


def refresh(store: Store, app_id: str, collection: str, m: Moment, *, meta_from: str | None = None,
            with_uniques: bool = True) -> dict[str, Any]:
    """``action=refresh``: today's slice, the current week and month uniques, and ``meta``."""
    ns = agg_ns(app_id)
    zero = store.get(ns, f"{collection}|{m.year}:0") or {}
    meta_doc = store.get(ns, f"{meta_from}|{m.year}:0") if meta_from else zero
    month = store.get(ns, f"{collection}|{m.year}:{m.month}") or {}
    year: dict[str, Any] = {}
    if with_uniques:
        d = zero.get("d", {})
        year = {k: v for k, v in d.items() if not k.isdigit() and not k.startswith("w")}
        if str(m.month) in d:
            year[str(m.month)] = d[str(m.month)]
        if f"w{m.week}" in d:
            year[f"w{m.week}"] = d[f"w{m.week}"]
    today = month.get(str(m.day))
    if today is not None:
        year.setdefault(str(m.month), {})[str(m.day)] = today
    out: dict[str, Any] = {str(m.year): year} if year else {}
    meta = (meta_doc or {}).get("meta", {})
    if out or meta:
        out["meta"] = meta
    return out


def day_data(store: Docs, app_id: str, collection: str, days: list[date]) -> dict[date, dict[str, Any]]:
    """The stored day objects (with hours) of ``days``, one month document read per month."""
    ns = agg_ns(app_id)
    out: dict[date, dict[str, Any]] = {}
    docs: dict[tuple[int, int], dict[str, Any]] = {}
    for d in days:
        key = (d.year, d.month)
        if key not in docs:
            docs[key] = store.get(ns, f"{collection}|{d.year}:{d.month}") or {}
        out[d] = docs[key].get(str(d.day), {})
    return out


def zero_docs(store: Docs, app_id: str, collection: str, years: set[int]) -> dict[int, dict[str, Any]]:
    ns = agg_ns(app_id)
    return {y: (store.get(ns, f"{collection}|{y}:0") or {}) for y in years}


def users_in_days(store: Docs, app_id: str, days: tuple[date, ...]) -> tuple[int, dict[str, int]]:
    """App users whose last session start falls on one of ``days``: in all, and by country."""
    ns = lsidx_ns(app_id)
    total = 0
    by_country: dict[str, int] = {}
    docs: dict[tuple[int, int], dict[str, Any]] = {}
    for d in days:
        key = (d.year, d.month)
        if key not in docs:
            docs[key] = store.get(ns, f"{d.year}:{d.month}") or {}
        entry = docs[key].get(str(d.day))
        if not entry:
            continue
        total += entry.get("u", 0)
        for cc, n in entry.get("cc", {}).items():
            by_country[cc] = by_country.get(cc, 0) + n
    return total, {k: v for k, v in by_country.items() if v > 0}
