"""Time as Countly buckets it: the app's timezone, ``w<k>`` weeks (``ceil(dayOfYear/7)``, not ISO), periods."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from schemas.wire import LAST_SECOND, JSONError, JSONLimitError, loads, parse_number

__all__ = ["Moment", "Period", "moment", "parse_period", "request_time", "zone"]

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def week_of(d: date) -> int:
    return math.ceil(d.timetuple().tm_yday / 7)


@dataclass(frozen=True)
class Moment:
    """One instant, with the bucket keys it falls into in the app's timezone."""

    ts: float  # unix seconds
    year: int
    month: int
    day: int
    hour: int
    week: int

    def key(self, level: str) -> tuple[int, ...]:
        """Comparable bucket id at ``level`` (hour, day, week, month, year)."""
        return {
            "hour": (self.year, self.month, self.day, self.hour),
            "day": (self.year, self.month, self.day),
            "week": (self.year, self.week),
            "month": (self.year, self.month),
            "year": (self.year,),
        }[level]

    @property
    def date(self) -> date:
        return date(self.year, self.month, self.day)


def moment(ts: float, tz: ZoneInfo) -> Moment:
    dt = datetime.fromtimestamp(ts, tz)
    return Moment(ts, dt.year, dt.month, dt.day, dt.hour, week_of(dt.date()))


def request_time(raw: object, now: float) -> float | None:
    """A ``timestamp`` as Countly reads it: 10 digits = seconds (fraction allowed), 13 = ms; future → now.

    Anything else gives None (the caller uses the server time).
    """
    if isinstance(raw, bool) or raw is None:
        return None
    text = str(raw).strip()
    head = text.split(".", 1)[0]
    if not head.isdigit():
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    if len(head) == 13:
        value /= 1000
    elif len(head) != 10:
        return None
    return min(value, now)


@dataclass(frozen=True)
class Period:
    """The days a period covers (app timezone), the equally long period before it, and how it is shown."""

    name: str
    days: tuple[date, ...]
    previous: tuple[date, ...]
    #: today/yesterday/a single day: one bucket, read directly (hours for the bars).
    single_day: bool
    contains_today: bool

    @property
    def start(self) -> date:
        return self.days[0]

    @property
    def end(self) -> date:
        return self.days[-1]

    def months(self) -> list[tuple[int, int]]:
        """Every (year, month) the period and the previous period touch: the documents a read loads."""
        first = min(self.days[0], self.previous[0]) if self.previous else self.days[0]
        out: list[tuple[int, int]] = []
        y, m = first.year, first.month
        while (y, m) <= (self.end.year, self.end.month):
            out.append((y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    def label(self, now: datetime) -> str:
        if self.single_day and self.name in ("hour", "today"):
            return f"00:00 - 23:{now.minute:02d}"
        if self.name == "month":
            return f"{MONTHS[self.start.month - 1]} - {MONTHS[self.end.month - 1]}"
        return f"{_dm(self.start)} - {_dm(self.end)}"


def _dm(d: date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]}"


def _span(first: date, last: date) -> tuple[date, ...]:
    return tuple(first + timedelta(days=i) for i in range((last - first).days + 1))


def _shift(days: tuple[date, ...]) -> tuple[date, ...]:
    n = len(days)
    return tuple(d - timedelta(days=n) for d in days)


def _to_date(raw: object, tz: ZoneInfo) -> date | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        ts = raw / 1000 if raw > 10**11 else raw
        # Within what a date can hold (year 1 to 9999), or a 400 naming the period.
        ts = parse_number(ts, "period: a timestamp", minimum=-62_135_596_800 + 86_400, maximum=LAST_SECOND)
        return datetime.fromtimestamp(ts, tz).date()
    if isinstance(raw, str):
        text = raw.strip()
        if text.isascii() and text.isdigit() and len(text) <= 20:
            return _to_date(int(text), tz)
        for fmt in ("%d-%m-%Y %H:%M:%S", "%d-%m-%Y"):
            try:
                return datetime.strptime(text, fmt).date()
            except ValueError:
                continue
    return None


def parse_period(raw: object, now: float, tz: ZoneInfo) -> Period:
    """``countlyCommon.getPeriodObj``: hour, yesterday, day, month, prevMonth, Ndays/Nweeks/Nmonths,
    ``[from, to]``, ``{"since": ts}``; anything else is 30 days."""
    today = datetime.fromtimestamp(now, tz).date()
    value: object = raw
    if isinstance(raw, str) and raw[:1] in "[{":
        try:
            value = loads(raw, field="period")
        except JSONLimitError:
            raise
        except JSONError:
            value = None
    if value in ("hour", "today"):
        return Period("hour", (today,), (today - timedelta(days=1),), True, True)
    if value == "yesterday":
        y = today - timedelta(days=1)
        return Period("yesterday", (y,), (y - timedelta(days=1),), True, False)
    if value == "day":  # this month; previous: the previous month
        days = _span(today.replace(day=1), today)
        prev_last = today.replace(day=1) - timedelta(days=1)
        return Period("day", days, _span(prev_last.replace(day=1), prev_last), False, True)
    if value == "month":  # this year; previous: the previous year
        days = _span(date(today.year, 1, 1), today)
        return Period("month", days, _span(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)), False, True)
    if value == "prevMonth":
        last = today.replace(day=1) - timedelta(days=1)
        days = _span(last.replace(day=1), last)
        return Period("prevMonth", days, _shift(days), False, False)
    if isinstance(value, str):
        for suffix, mult in (("days", 1), ("weeks", 7), ("months", 30)):
            head = value.removesuffix(suffix)
            if head != value and head.isascii() and head.isdigit() and len(head) <= 9 and int(head) > 0:
                n = min(int(head) * mult, 3660)
                days = _span(today - timedelta(days=n - 1), today)
                return Period(value, days, _shift(days), False, True)
    if isinstance(value, list) and len(value) == 2:
        start, stop = _to_date(value[0], tz), _to_date(value[1], tz)
        if start and stop and start <= stop and (stop - start).days <= 3660:
            days = _span(start, stop)
            return Period(json.dumps(value), days, _shift(days), False, start <= today <= stop)
    if isinstance(value, dict) and "since" in value:
        first = _to_date(value["since"], tz)
        if first and first <= today and (today - first).days <= 3660:
            days = _span(first, today)
            return Period("since", days, _shift(days), False, True)
    days = _span(today - timedelta(days=29), today)
    return Period("30days", days, _shift(days), False, True)


def now() -> float:
    return time.time()
