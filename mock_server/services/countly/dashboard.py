"""``/o/analytics/dashboard`` and ``/o/analytics/countries``: Countly's front-end maths, server side.

``getPercentChange``, ``getShortNumber``, ``timeString``, ``extractBarData``/``fixPercentageDelta``,
``getBars`` and the unique-user estimate of ``getDashboardData``, as the behaviour reference describes
them. JavaScript's ``toFixed`` rounds the exact binary value half away from zero; ``Decimal`` does the same.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ...store import Store
from .clock import MONTHS, Period, week_of
from .geo import country_name
from .reads import Docs, Snapshot, day_data, users_in_days, zero_docs

__all__ = ["UniqueEstimate", "countries", "dashboard", "percent_change", "short_number", "time_string", "to_fixed"]


def to_fixed(value: float, digits: int) -> str:
    quantum = Decimal(1).scaleb(-digits)
    text = str(Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP))
    return "0" + text[2:] if text.startswith("-0") and Decimal(text) == 0 else text


def short_number(text: str) -> str:
    x = float(text)
    if abs(x) >= 1_000_000:
        return to_fixed(x / 1_000_000, 1) + "M"
    if abs(x) >= 10_000:
        return (to_fixed(x / 1000, 1) + "K").replace(".0", "", 1)
    return text.replace(".0", "", 1)


def percent_change(previous: float, current: float) -> tuple[str, str]:
    if previous == 0:
        return "NA", "u"
    if current == 0:
        return "\u221e", "d"
    x = to_fixed((current - previous) / previous * 100, 1)
    return short_number(x) + "%", "d" if float(x) < 0 else "u"


def time_string(minutes: float) -> str:
    if minutes < 60:
        return f"{to_fixed(minutes, 1)} min"
    if minutes < 1440:
        return f"{to_fixed(minutes / 60, 1)} hours"
    if minutes < 142560:
        return f"{to_fixed(minutes / 1440, 1)} days"
    return f"{to_fixed(minutes / 525600, 1)} years"


def _js_round1(x: float) -> float:
    return math.floor(x * 10 + 0.5) / 10


def _clean(x: float) -> float | int:
    x = round(x, 10)
    return int(x) if float(x).is_integer() else x


def _num(obj: dict[str, Any], *path: str) -> float:
    value: Any = obj
    for key in path:
        value = value.get(key, {}) if isinstance(value, dict) else {}
    return value if isinstance(value, (int, float)) else 0


class UniqueEstimate:
    """The period-unique estimate: months, ``w<k>`` weeks and days that exactly cover the days, capped by
    the coarser cover of months and weeks."""

    def __init__(self, zeros: dict[int, dict[str, Any]], days: dict[date, dict[str, Any]]) -> None:
        self.zeros = zeros
        self.days = days

    def _zero(self, year: int, *path: str) -> float:
        return _num(self.zeros.get(year, {}).get("d", {}), *path)

    def estimate(self, period_days: tuple[date, ...], *path: str) -> float:
        wanted = set(period_days)
        exact = 0.0
        coarse = 0.0
        seen_weeks: set[tuple[int, int]] = set()
        done: set[date] = set()
        for d in period_days:
            if d in done:
                continue
            month_days = _month_days(d)
            if month_days <= wanted:
                value = self._zero(d.year, str(d.month), *path)
                exact += value
                coarse += value
                done |= month_days
                continue
            week = (d.year, week_of(d))
            week_days = _week_days(d)
            if week_days <= wanted and not week_days & done:
                exact += self._zero(d.year, f"w{week[1]}", *path)
                done |= week_days
            else:
                exact += _num(self.days.get(d, {}), *path)
                done.add(d)
            if week not in seen_weeks:
                seen_weeks.add(week)
                coarse += self._zero(d.year, f"w{week[1]}", *path)
        return min(exact, coarse) if coarse else exact


def _month_days(d: date) -> set[date]:
    first = d.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return {first + timedelta(days=i) for i in range((nxt - first).days)}


def _week_days(d: date) -> set[date]:
    k = week_of(d)
    start = date(d.year, 1, 1) + timedelta(days=7 * (k - 1))
    return {start + timedelta(days=i) for i in range(7) if (start + timedelta(days=i)).year == d.year}


def _bars(values: dict[str, float]) -> list[dict[str, Any]]:
    """``extractBarData`` with ``fixPercentageDelta``: percents over all values, the top three kept."""
    # Equal values in the name's order (Telecom before Vodafone), as Countly's bars come out.
    items = sorted(((k, v) for k, v in values.items() if v > 0), key=lambda kv: (-kv[1], kv[0]))
    total = sum(v for _, v in items)
    if not items or not total:
        return []
    percents = [_js_round1(v / total * 100) for _, v in items]
    summed = round(sum(percents), 1)
    if summed < 100:
        percents[0] = round(percents[0] + (100 - summed), 1)
    elif summed > 100:
        percents[-1] = round(percents[-1] + (100 - summed), 1)
    rows = zip(items, percents, strict=True)
    return [{"name": k, "value": _clean(v), "percent": _clean(p)} for (k, v), p in rows][:3]


def _time_bars(buckets: list[tuple[str, float]]) -> list[dict[str, Any]]:
    """``getBars``: the three busiest buckets; floor percents of their sum, the remainder to the last."""
    top = sorted((b for b in buckets if b[1] > 0), key=lambda b: -b[1])[:3]
    total = sum(v for _, v in top)
    out: list[dict[str, Any]] = []
    used = 0
    for i, (name, value) in enumerate(top):
        percent = 100 - used if i == len(top) - 1 else math.floor(value / total * 100)
        used += percent
        out.append({"name": name, "value": _clean(value), "percent": percent})
    return out


def _metric(total: Any, previous: float, current: float, **extra: Any) -> dict[str, Any]:
    change, trend = percent_change(previous, current)
    return {"total": total, "change": change, "trend": trend, **extra}


def _period_block(store: Docs, app: dict[str, Any], period: Period, now: datetime,
                  total_users: bool) -> dict[str, Any]:
    app_id = app["app_id"]
    both = list(period.days) + list(period.previous)
    years = {d.year for d in both}
    days = day_data(store, app_id, "users", both)
    zeros = zero_docs(store, app_id, "users", years)
    unique = UniqueEstimate(zeros, days)

    def sums(span: tuple[date, ...]) -> dict[str, float]:
        return {f: sum(_num(days[d], f) for d in span) for f in ("t", "n", "d", "e")}

    cur, prev = sums(period.days), sums(period.previous)
    if period.single_day:
        u_cur, u_prev = _num(days[period.days[0]], "u"), _num(days[period.previous[0]], "u")
    else:
        u_cur, u_prev = unique.estimate(period.days, "u"), unique.estimate(period.previous, "u")
    override = False
    if total_users and period.contains_today:
        counted, _ = users_in_days(store, app_id, period.days)
        if counted:
            u_cur, override = counted, True
    for values, u in ((cur, u_cur), (prev, u_prev)):
        if u < values["n"]:
            if override and values is cur:
                values["n"] = u
            else:
                u = values["n"]
        values["u"] = min(u, values["t"])
    avg_cur = cur["d"] / 60 / cur["t"] if cur["t"] else 0
    avg_prev = prev["d"] / 60 / prev["t"] if prev["t"] else 0
    req_cur = cur["e"] / cur["u"] if cur["u"] else 0
    req_prev = prev["e"] / prev["u"] if prev["u"] else 0
    is_estimate = not period.single_day and not override
    board = {
        "total_sessions": _metric(_clean(cur["t"]), prev["t"], cur["t"]),
        "total_users": _metric(_clean(cur["u"]), prev["u"], cur["u"], is_estimate=is_estimate),
        "new_users": _metric(_clean(cur["n"]), prev["n"], cur["n"]),
        "total_time": _metric(time_string(cur["d"] / 60), prev["d"], cur["d"]),
        "avg_time": _metric(time_string(avg_cur), avg_prev, avg_cur),
        "avg_requests": _metric(to_fixed(req_cur, 1), req_prev, req_cur),
    }
    top: dict[str, Any] = {}
    for name, collection, meta_name in (("platforms", "device_details", "os"),
                                        ("resolutions", "device_details", "resolutions"),
                                        ("carriers", "carriers", "carriers")):
        mdays = day_data(store, app_id, collection, list(period.days))
        mzero = zero_docs(store, app_id, collection, {d.year for d in period.days})
        bars: dict[str, float] = {}
        for z in mzero.values():
            for value in z.get("meta", {}).get(meta_name, []):
                bars[value.replace(":", ".") if collection == "device_details" and meta_name != "os" else value] = \
                    sum(_num(mdays[d], value, "t") for d in period.days)
        top[name] = _bars(bars)
    if period.single_day:
        day = days[period.days[0]]
        buckets = [(f"{h:02d}:00", _num(day, str(h), "t")) for h in range(24)]
    else:
        buckets = [(f"{d.day} {MONTHS[d.month - 1]}", _num(days[d], "t")) for d in period.days]
    top["users"] = _time_bars(buckets)
    return {"dashboard": board, "top": top, "period": period.label(now)}


def dashboard(store: Store, app: dict[str, Any], periods: list[tuple[str, Period]], now: datetime,
              total_users: bool) -> dict[str, Any]:
    docs = Snapshot(store)
    return {name: _period_block(docs, app, p, now, total_users) for name, p in periods}


def countries(store: Store, app: dict[str, Any], periods: list[tuple[str, Period]], total_users: bool
              ) -> dict[str, Any]:
    app_id = app["app_id"]
    docs = Snapshot(store)
    out: dict[str, Any] = {}
    for name, period in periods:
        days = day_data(docs, app_id, "users", list(period.days))
        zeros = zero_docs(docs, app_id, "users", {d.year for d in period.days})
        unique = UniqueEstimate(zeros, days)
        codes: list[str] = []
        for z in zeros.values():
            codes += [c for c in z.get("meta", {}).get("countries", []) if c not in codes]
        by_country: dict[str, int] = {}
        if total_users and period.contains_today:
            _, by_country = users_in_days(docs, app_id, period.days)
        rows: list[dict[str, Any]] = []
        for code in codes:
            t = sum(_num(days[d], code, "t") for d in period.days)
            n = sum(_num(days[d], code, "n") for d in period.days)
            u = _num(days[period.days[0]], code, "u") if period.single_day else unique.estimate(period.days, code, "u")
            u = by_country.get(code, u)
            if not (t or n or u):
                continue
            rows.append({"country": country_name(code), "code": code.lower(), "t": _clean(t), "u": _clean(u),
                         "n": _clean(n)})
        rows.sort(key=lambda r: -r["u"])
        rows = rows[:10]
        rows.sort(key=lambda r: -r["n"])
        out[name] = rows
    return out
