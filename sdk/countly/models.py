"""Countly's payloads and typed read results: events, metrics, time buckets, dashboard, countries."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from .._errors import ValidationError

__all__ = [
    "Bar",
    "CountryRow",
    "Dashboard",
    "DashboardMetric",
    "DashboardPeriod",
    "Event",
    "EventCatalogue",
    "EventTotal",
    "Field",
    "Metrics",
    "SdkConfig",
    "TimeData",
    "ViewRow",
]

#: The numbers a time bucket holds: total sessions/events (t, c), new (n), unique (u), events (e),
#: duration (d, dur), sum (s), and the views/crash fields some reads add.
Field = Literal["t", "n", "u", "e", "d", "c", "s", "dur", "p", "m", "b", "scr", "uvc", "br"]

Scalar = str | int | float | bool
MAX_KEY = 127


@dataclass(frozen=True)
class Event:
    """One custom event. ``timestamp`` is unix milliseconds (None: stamped when added to the batcher).

    ``device_id`` sends the event for another device than the client's (a batch of several devices goes
    to ``/i/bulk``).
    """

    key: str
    count: int = 1
    sum: float | None = None
    dur: float | None = None
    segmentation: Mapping[str, Scalar] | None = None
    timestamp: int | None = None
    device_id: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not self.key:
            raise ValidationError("key: must be a non-empty string", field="key")
        if len(self.key) > MAX_KEY:
            raise ValidationError(f"key: {len(self.key)} characters, over {MAX_KEY}", field="key")
        if self.key.startswith("[CLY]_"):
            raise ValidationError("key: [CLY]_ keys are reserved for Countly's own events", field="key")
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
            raise ValidationError("count: must be a positive integer", field="count")
        for name in ("sum", "dur"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                      or not math.isfinite(value)):
                raise ValidationError(f"{name}: must be a finite number", field=name)
        if self.segmentation is not None:
            if not isinstance(self.segmentation, Mapping):
                raise ValidationError("segmentation: must be a mapping", field="segmentation")
            for k, v in self.segmentation.items():
                if not isinstance(k, str) or not k.lstrip("$").replace(".", ""):
                    raise ValidationError(f"segmentation: key {k!r} is empty once $ and . are removed",
                                          field="segmentation")
                if not isinstance(v, (str, int, float, bool)):
                    raise ValidationError(f"segmentation.{k}: must be a string, number or boolean",
                                          field=f"segmentation.{k}")
        if self.timestamp is not None and (isinstance(self.timestamp, bool) or not isinstance(self.timestamp, int)
                                           or self.timestamp < 0):
            raise ValidationError("timestamp: must be unix milliseconds", field="timestamp")

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"key": self.key, "count": self.count}
        if self.sum is not None:
            body["sum"] = self.sum
        if self.dur is not None:
            body["dur"] = self.dur
        if self.segmentation:
            body["segmentation"] = dict(self.segmentation)
        if self.timestamp is not None:
            body["timestamp"] = self.timestamp
        return body


@dataclass(frozen=True)
class Metrics:
    """The predefined device metrics sent with ``begin_session``; ``extra`` holds any other ``_name``."""

    os: str | None = None
    os_version: str | None = None
    device: str | None = None
    resolution: str | None = None
    carrier: str | None = None
    app_version: str | None = None
    locale: str | None = None
    density: str | None = None
    device_type: str | None = None
    manufacturer: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, str]:
        out = {f"_{name}": value for name, value in (
            ("os", self.os), ("os_version", self.os_version), ("device", self.device),
            ("resolution", self.resolution), ("carrier", self.carrier), ("app_version", self.app_version),
            ("locale", self.locale), ("density", self.density), ("device_type", self.device_type),
            ("manufacturer", self.manufacturer)) if value is not None}
        out.update(self.extra)
        return out


def _number(value: Any) -> float:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


@dataclass(frozen=True)
class TimeData:
    """Countly's nested time-bucket object (``{"2024": {"3": {"15": {"10": {...}}}}, "meta": ...}``).

    ``get`` reads one bucket; ``day``/``total`` answer "how many in this day / these days". Unique
    users (``u``) can be read per bucket but not summed across days (a user would count twice).
    """

    raw: Mapping[str, Any]
    #: Set for an ``events`` read: whether it was segmented, and by what. A segmented read holds numbers
    #: per segment value only, an unsegmented one totals only, so each refuses the other kind of question.
    events: bool = False
    segmentation: str | None = None

    def _check(self, value: str | None) -> None:
        if not self.events:
            return
        if value is not None and self.segmentation is None:
            raise ValidationError(f"value: {value!r} needs a segmented read: events(..., segmentation=\"<key>\")",
                                  field="value")
        if value is None and self.segmentation is not None:
            raise ValidationError(f"value: this read is segmented by {self.segmentation!r} and holds numbers per "
                                  "segment value only: pass value=, or read without segmentation for totals",
                                  field="value")

    @property
    def meta(self) -> dict[str, list[str]]:
        meta = self.raw.get("meta", {})
        return {k: list(v) for k, v in meta.items()} if isinstance(meta, Mapping) else {}

    @property
    def empty(self) -> bool:
        return not any(k != "meta" for k in self.raw)

    def bucket(self, year: int, month: int | None = None, day: int | None = None, hour: int | None = None,
               *, week: int | None = None) -> Mapping[str, Any]:
        node: Any = self.raw.get(str(year), {})
        if week is not None:
            node = node.get(f"w{week}", {})
        for part in (month, day, hour):
            if part is None:
                break
            node = node.get(str(part), {}) if isinstance(node, Mapping) else {}
        return node if isinstance(node, Mapping) else {}

    def get(self, field: Field, year: int, month: int | None = None, day: int | None = None,
            hour: int | None = None, *, week: int | None = None, value: str | None = None) -> float:
        """``field`` (t, n, u, e, d, c, s, dur...) in one bucket, for one segment ``value`` if given.

        An events read that cannot answer the question (a ``value`` of an unsegmented read, a total of a
        segmented one) raises ``ValidationError`` instead of answering 0.
        """
        self._check(value)
        node = self.bucket(year, month, day, hour, week=week)
        if value is not None:
            node = node.get(value, {})
            if not isinstance(node, Mapping):
                return 0
        return _number(node.get(field))

    def day(self, field: Field, when: date, *, value: str | None = None) -> float:
        return self.get(field, when.year, when.month, when.day, value=value)

    def total(self, field: Field, days: Iterable[date], *, value: str | None = None) -> float:
        """The sum of ``field`` over ``days`` (for additive fields: t, n, e, d, c, s, dur).

        Unique users (``u``) are refused: a user seen on two days would count twice. Read them from the
        month, week or year bucket with ``get``.
        """
        if field == "u":
            raise ValidationError("field: unique users (u) cannot be summed over days; read a month, week or "
                                  "year bucket with get()", field="field")
        return sum(self.day(field, d, value=value) for d in days)

    def total_between(self, field: Field, first: date, last: date, *, value: str | None = None) -> float:
        """The sum of ``field`` from ``first`` to ``last`` inclusive (a period such as the last 30 days)."""
        return self.total(field, (first + timedelta(days=i) for i in range((last - first).days + 1)), value=value)


@dataclass(frozen=True)
class EventCatalogue:
    """``method=get_events``: the app's event keys, their segment keys, and the server's limits."""

    keys: tuple[str, ...]
    segments: Mapping[str, tuple[str, ...]]
    limits: Mapping[str, int]

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> EventCatalogue:
        return cls(tuple(body.get("list", [])),
                   {k: tuple(v) for k, v in body.get("segments", {}).items()},
                   dict(body.get("limits", {})))


@dataclass(frozen=True)
class DashboardMetric:
    """A number of the dashboard: ``total`` (a number, or a string such as ``"0.5 min"``), ``change``
    (``"NA"``, ``"∞"``, ``"-50%"``...), ``trend`` ``"u"``/``"d"``; ``is_estimate`` only on total_users."""

    total: float | str
    change: str
    trend: str
    is_estimate: bool | None = None

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> DashboardMetric:
        return cls(body["total"], body["change"], body["trend"], body.get("is_estimate"))


@dataclass(frozen=True)
class Bar:
    name: str
    value: float
    percent: float


@dataclass(frozen=True)
class DashboardPeriod:
    total_sessions: DashboardMetric
    total_users: DashboardMetric
    new_users: DashboardMetric
    total_time: DashboardMetric
    avg_time: DashboardMetric
    avg_requests: DashboardMetric
    top: Mapping[str, tuple[Bar, ...]]
    period: str

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> DashboardPeriod:
        d = body["dashboard"]
        top = {name: tuple(Bar(b["name"], b.get("value", 0), b["percent"]) for b in bars)
               for name, bars in body["top"].items()}
        m = {k: DashboardMetric.from_json(v) for k, v in d.items()}
        return cls(total_sessions=m["total_sessions"], total_users=m["total_users"], new_users=m["new_users"],
                   total_time=m["total_time"], avg_time=m["avg_time"], avg_requests=m["avg_requests"],
                   top=top, period=body["period"])


@dataclass(frozen=True)
class Dashboard:
    """``/o/analytics/dashboard``: one ``DashboardPeriod`` per period key (30days, 7days, today)."""

    periods: Mapping[str, DashboardPeriod]

    def __getitem__(self, name: str) -> DashboardPeriod:
        return self.periods[name]

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> Dashboard:
        return cls({k: DashboardPeriod.from_json(v) for k, v in body.items()})


@dataclass(frozen=True)
class CountryRow:
    country: str
    code: str
    t: int
    u: int
    n: int


def countries_from_json(body: Mapping[str, Any]) -> dict[str, tuple[CountryRow, ...]]:
    return {period: tuple(CountryRow(r["country"], r["code"], r["t"], r["u"], r["n"]) for r in rows)
            for period, rows in body.items()}


@dataclass(frozen=True)
class EventTotal:
    """One custom event in ``/o/analytics/events``: its count, sum and duration over the period."""

    key: str
    c: int
    s: float
    dur: float


def event_totals_from_json(body: Mapping[str, Any]) -> tuple[EventTotal, ...]:
    return tuple(EventTotal(r["_id"], r["c"], r["s"], r["dur"]) for r in body["all"])


@dataclass(frozen=True)
class ViewRow:
    """One view in ``method=views&action=getTable``: ``t`` visits, ``u`` the daily unique visitors summed,
    ``uvalue`` the period's unique visitors, ``n`` first visits, ``s`` starts, ``e`` exits, ``b`` bounces,
    ``d`` seconds spent (``avg_duration`` per visit), ``scr`` scroll depth."""

    id: str
    view: str
    url: str | None
    t: float
    u: float
    uvalue: float
    n: float
    s: float
    e: float
    b: float
    d: float
    scr: float

    @property
    def avg_duration(self) -> float:
        return self.d / self.t if self.t else 0.0

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> ViewRow:
        return cls(str(row["_id"]), str(row["view"]), row.get("url"), *(_number(row.get(k)) for k in (
            "t", "u", "uvalue", "n", "s", "e", "b", "d", "scr")))


def views_from_json(body: Mapping[str, Any]) -> tuple[ViewRow, ...]:
    return tuple(ViewRow.from_json(r) for r in body.get("aaData", []))


@dataclass(frozen=True)
class SdkConfig:
    """``/o/sdk?method=sc``: the configuration the server hands to SDKs (``version`` 2, ``timestamp`` ms)."""

    version: int
    timestamp: int
    config: Mapping[str, Any]

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> SdkConfig:
        return cls(int(body["v"]), int(body["t"]), dict(body.get("c", {})))
