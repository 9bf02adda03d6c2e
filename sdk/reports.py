"""The reports Analytics API v4: nine read-only aggregations over the reports of a channel.

Every call takes ``channel_id`` and a ``start_date``/``end_date`` range (half-open: ``start <= t < end``).
Dates may be ``datetime`` (a naive one is taken as UTC, an aware one is converted to UTC), ``date``
(midnight UTC) or an ISO 8601 string (without an offset: UTC). They go on the wire as
``YYYY-MM-DDTHH:MM:SS.mmmZ``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar, get_args

import httpx

from schemas import RuleError
from schemas import reports as rules
from schemas.reports import (
    AWARENESS_FIELDS,
    READ_FIELDS,
    AwarenessField,
    DateLike,
    ReadField,
    format_instant,
)

from ._client import AsyncAPIClient, BaseClient, RawResponses, Request, SyncAPIClient
from ._env import env_base_url, env_value
from ._errors import ValidationError
from ._retry import RetryPolicy

__all__ = [
    "AWARENESS_FIELDS",
    "READ_FIELDS",
    "AsyncReportsClient",
    "AwarenessField",
    "DateLike",
    "DayHourCount",
    "FieldSelectionCount",
    "OverTimeBucket",
    "ReadField",
    "ReadStats",
    "ReportImage",
    "ReportsClient",
    "StateCount",
    "UserAwareness",
    "UserCount",
    "WeekDayCount",
    "format_instant",
    "parse_instant",
]

PREFIX = "/api/v4/analytics"
Width = Literal["hour", "day", "week", "month"]


def parse_instant(value: DateLike, field: str) -> datetime:
    """An aware UTC datetime from a ``datetime``, a ``date`` or an ISO 8601 string; naive means UTC.

    Raises ``ValidationError`` naming ``field``; the rule is the contract's (``schemas.reports``).
    """
    try:
        return rules.parse_instant(value, field)
    except RuleError as exc:
        raise ValidationError(str(exc), field=exc.field) from None


def _instant(raw: Any) -> datetime:
    return parse_instant(str(raw), "created_at")


@dataclass(frozen=True)
class ReportImage:
    report_image_id: int
    account_id: int
    report_id: int
    created_at: datetime
    #: Style name (``thumb``, ``medium``...) to the image URL.
    styles: Mapping[str, str]

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ReportImage:
        return cls(int(d["report_image_id"]), int(d["account_id"]), int(d["report_id"]), _instant(d["created_at"]),
                   {str(k): str(v) for k, v in d["styles"].items()})


@dataclass(frozen=True)
class OverTimeBucket:
    account_id: int
    #: The bucket's own boundary (hour, midnight, Monday 00:00 or the 1st of the month, UTC).
    datetime_range_start: datetime
    report_count: int
    datetime_range_width: Width

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> OverTimeBucket:
        width = d["datetime_range_width"]
        if width not in get_args(Width):
            raise ValidationError(f"datetime_range_width: unknown width {width!r}", field="datetime_range_width")
        return cls(int(d["account_id"]), _instant(d["datetime_range_start"]), int(d["report_count"]), width)


@dataclass(frozen=True)
class FieldSelectionCount:
    field_id: int
    account_id: int
    #: The option's label, e.g. ``"Resolved"``.
    name: str
    #: The option's value, e.g. ``"f_1_2_2_2_1"``.
    value: str
    report_count: int

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> FieldSelectionCount:
        return cls(int(d["field_id"]), int(d["account_id"]), str(d["name"]), str(d["value"]), int(d["report_count"]))


@dataclass(frozen=True)
class StateCount:
    id: int
    name: str
    account_id: int
    report_count: int

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> StateCount:
        return cls(int(d["id"]), str(d["name"]), int(d["account_id"]), int(d["report_count"]))


@dataclass(frozen=True)
class UserCount:
    user_id: int
    account_id: int
    report_count: int

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> UserCount:
        return cls(int(d["user_id"]), int(d["account_id"]), int(d["report_count"]))


@dataclass(frozen=True)
class DayHourCount:
    account_id: int
    #: Hour of the day in UTC, 0 to 23.
    hour: int
    report_count: int

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> DayHourCount:
        return cls(int(d["account_id"]), int(d["hour"]), int(d["report_count"]))


@dataclass(frozen=True)
class WeekDayCount:
    account_id: int
    #: Day of the week in UTC as Postgres ``dow``: 0 = Sunday, 1 = Monday ... 6 = Saturday.
    dow: int
    report_count: int

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> WeekDayCount:
        return cls(int(d["account_id"]), int(d["dow"]), int(d["report_count"]))


def _opt_int(d: Mapping[str, Any], key: str) -> int | None:
    return None if d.get(key) is None else int(d[key])


@dataclass(frozen=True)
class ReadStats:
    """Only the fields asked for are set; the others are None."""

    total_reads: int | None = None
    unique_reads: int | None = None
    report_readers: int | None = None
    reports_seen: int | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ReadStats:
        return cls(*(_opt_int(d, f) for f in READ_FIELDS))


@dataclass(frozen=True)
class UserAwareness:
    """One user's alerts; only the counts asked for are set, the others are None."""

    user_id: int
    first_name: str
    last_name: str
    total_alerts: int | None = None
    alert_source_reports: int | None = None
    unique_alerts: int | None = None
    alerts_opened: int | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> UserAwareness:
        return cls(int(d["user_id"]), str(d["first_name"]), str(d["last_name"]),
                   *(_opt_int(d, f) for f in AWARENESS_FIELDS))


_F = TypeVar("_F", bound=str)


def _fields(fields: Iterable[_F] | None, allowed: tuple[_F, ...]) -> str | None:
    if fields is None:
        return None
    chosen = list(fields) if not isinstance(fields, str) else [fields]
    for f in chosen:
        if f not in allowed:
            raise ValidationError(f"fields: unknown field {f!r}; choose from {', '.join(allowed)}", field="fields")
    return ",".join(chosen) or None


def _id(value: int, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(f"{field}: must be a positive integer", field=field)
    return value


_M = TypeVar("_M")


def _rows(response: httpx.Response, parse: Callable[[Mapping[str, Any]], _M]) -> list[_M]:
    body = response.json()
    if not isinstance(body, list):
        raise ValidationError("response: expected a JSON array", field="response")
    return [parse(row) for row in body]


class _ReportsBase(BaseClient):
    """Request building and parsing, shared by both flavours."""

    @staticmethod
    def _token(token: str | None) -> str:
        token = env_value("reports", "token", token)
        if not token:
            raise ValidationError("token: required, the API's Bearer token (or set REPORTS_API_TOKEN)", field="token")
        return token

    def _get(self, endpoint: str, channel_id: int, start_date: DateLike, end_date: DateLike,
             **extra: str | int | None) -> Request:
        start = parse_instant(start_date, "start_date")
        end = parse_instant(end_date, "end_date")
        if start > end:
            raise ValidationError("start_date: must not be after end_date", field="start_date")
        params = {"channel_id": _id(channel_id, "channel_id"), "start_date": format_instant(start),
                  "end_date": format_instant(end), **extra}
        return Request("GET", f"{PREFIX}/{endpoint}", params=params)

    def _field_selection(self, channel_id: int, start: DateLike, end: DateLike, field_id: int) -> Request:
        return self._get("reports_per_field_selection", channel_id, start, end, field_id=_id(field_id, "field_id"))

    def _read(self, channel_id: int, start: DateLike, end: DateLike, fields: Iterable[ReadField] | None) -> Request:
        return self._get("reports_read", channel_id, start, end, fields=_fields(fields, READ_FIELDS))

    def _awareness(self, channel_id: int, start: DateLike, end: DateLike,
                   fields: Iterable[AwarenessField] | None) -> Request:
        return self._get("user_awareness", channel_id, start, end, fields=_fields(fields, AWARENESS_FIELDS))

    @staticmethod
    def _read_stats(response: httpx.Response) -> ReadStats:
        body = response.json()
        if not isinstance(body, dict):
            raise ValidationError("response: expected a JSON object", field="response")
        return ReadStats.from_json(body)


class ReportsClient(_ReportsBase, SyncAPIClient):
    """``ReportsClient("dev-api-token", base_url="http://127.0.0.1:8080/reports")``.

    The token is sent as ``Authorization: Bearer <token>`` and never shown in a message, repr or log.
    """

    def __init__(self, token: str | None = None, *, base_url: str | None = None,
                 timeout: httpx.Timeout | float | None = None, retry: RetryPolicy | None = None,
                 headers: Mapping[str, str] | None = None, http_client: httpx.Client | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        token = self._token(token)
        super().__init__(base_url=env_base_url("reports", base_url, None), secrets=[token], timeout=timeout,
                         retry=retry, headers={**(headers or {}), "Authorization": f"Bearer {token}"},
                         http_client=http_client, transport=transport)

    def reports_images(self, channel_id: int, start_date: DateLike, end_date: DateLike) -> list[ReportImage]:
        """Images of the channel's reports created in the range, oldest first."""
        return _rows(self.send(self._get("reports_images", channel_id, start_date, end_date)), ReportImage.from_json)

    def reports_over_time(self, channel_id: int, start_date: DateLike, end_date: DateLike) -> list[OverTimeBucket]:
        """Report counts per hour, day, week or month (chosen by the server from the range's length)."""
        request = self._get("reports_over_time", channel_id, start_date, end_date)
        return _rows(self.send(request), OverTimeBucket.from_json)

    def reports_per_field_selection(self, channel_id: int, start_date: DateLike, end_date: DateLike, *,
                                    field_id: int) -> list[FieldSelectionCount]:
        """Reports per option of a Category, DropDown or Radio field (``field_id``, keyword-only: both are ints)."""
        request = self._field_selection(channel_id, start_date, end_date, field_id)
        return _rows(self.send(request), FieldSelectionCount.from_json)

    def reports_per_state(self, channel_id: int, start_date: DateLike, end_date: DateLike) -> list[StateCount]:
        return _rows(self.send(self._get("reports_per_state", channel_id, start_date, end_date)), StateCount.from_json)

    def reports_per_user(self, channel_id: int, start_date: DateLike, end_date: DateLike) -> list[UserCount]:
        return _rows(self.send(self._get("reports_per_user", channel_id, start_date, end_date)), UserCount.from_json)

    def reports_per_day_hour(self, channel_id: int, start_date: DateLike, end_date: DateLike) -> list[DayHourCount]:
        request = self._get("reports_per_day_hour", channel_id, start_date, end_date)
        return _rows(self.send(request), DayHourCount.from_json)

    def reports_per_week_day(self, channel_id: int, start_date: DateLike, end_date: DateLike) -> list[WeekDayCount]:
        request = self._get("reports_per_week_day", channel_id, start_date, end_date)
        return _rows(self.send(request), WeekDayCount.from_json)

    def reports_read(self, channel_id: int, start_date: DateLike, end_date: DateLike,
                     fields: Sequence[ReadField] | None = None) -> ReadStats:
        """Read counts; without ``fields`` the server returns ``total_reads`` only."""
        return self._read_stats(self.send(self._read(channel_id, start_date, end_date, fields)))

    def user_awareness(self, channel_id: int, start_date: DateLike, end_date: DateLike,
                       fields: Sequence[AwarenessField] | None = None) -> list[UserAwareness]:
        """Alerts per user; without ``fields`` the server returns ``total_alerts`` only."""
        request = self._awareness(channel_id, start_date, end_date, fields)
        return _rows(self.send(request), UserAwareness.from_json)

    @property
    def with_raw_response(self) -> ReportsWithRawResponse:
        """Every call answering ``RawResponse[<its result>]``: status, headers and request id beside it."""
        return ReportsWithRawResponse(self)


class AsyncReportsClient(_ReportsBase, AsyncAPIClient):
    """The async twin of ``ReportsClient``: the same methods, awaited."""

    def __init__(self, token: str | None = None, *, base_url: str | None = None,
                 timeout: httpx.Timeout | float | None = None, retry: RetryPolicy | None = None,
                 headers: Mapping[str, str] | None = None, http_client: httpx.AsyncClient | None = None,
                 transport: httpx.AsyncBaseTransport | httpx.BaseTransport | None = None) -> None:
        token = self._token(token)
        super().__init__(base_url=env_base_url("reports", base_url, None), secrets=[token], timeout=timeout,
                         retry=retry, headers={**(headers or {}), "Authorization": f"Bearer {token}"},
                         http_client=http_client, transport=transport)

    async def reports_images(self, channel_id: int, start_date: DateLike, end_date: DateLike) -> list[ReportImage]:
        request = self._get("reports_images", channel_id, start_date, end_date)
        return _rows(await self.send(request), ReportImage.from_json)

    async def reports_over_time(self, channel_id: int, start_date: DateLike,
                                end_date: DateLike) -> list[OverTimeBucket]:
        request = self._get("reports_over_time", channel_id, start_date, end_date)
        return _rows(await self.send(request), OverTimeBucket.from_json)

    async def reports_per_field_selection(self, channel_id: int, start_date: DateLike, end_date: DateLike, *,
                                          field_id: int) -> list[FieldSelectionCount]:
        request = self._field_selection(channel_id, start_date, end_date, field_id)
        return _rows(await self.send(request), FieldSelectionCount.from_json)

    async def reports_per_state(self, channel_id: int, start_date: DateLike, end_date: DateLike) -> list[StateCount]:
        request = self._get("reports_per_state", channel_id, start_date, end_date)
        return _rows(await self.send(request), StateCount.from_json)

    async def reports_per_user(self, channel_id: int, start_date: DateLike, end_date: DateLike) -> list[UserCount]:
        request = self._get("reports_per_user", channel_id, start_date, end_date)
        return _rows(await self.send(request), UserCount.from_json)

    async def reports_per_day_hour(self, channel_id: int, start_date: DateLike,
                                   end_date: DateLike) -> list[DayHourCount]:
        request = self._get("reports_per_day_hour", channel_id, start_date, end_date)
        return _rows(await self.send(request), DayHourCount.from_json)

    async def reports_per_week_day(self, channel_id: int, start_date: DateLike,
                                   end_date: DateLike) -> list[WeekDayCount]:
        request = self._get("reports_per_week_day", channel_id, start_date, end_date)
        return _rows(await self.send(request), WeekDayCount.from_json)

    async def reports_read(self, channel_id: int, start_date: DateLike, end_date: DateLike,
                           fields: Sequence[ReadField] | None = None) -> ReadStats:
        return self._read_stats(await self.send(self._read(channel_id, start_date, end_date, fields)))

    async def user_awareness(self, channel_id: int, start_date: DateLike, end_date: DateLike,
                             fields: Sequence[AwarenessField] | None = None) -> list[UserAwareness]:
        request = self._awareness(channel_id, start_date, end_date, fields)
        return _rows(await self.send(request), UserAwareness.from_json)

    @property
    def with_raw_response(self) -> AsyncReportsWithRawResponse:
        """Every call answering ``RawResponse[<its result>]``: status, headers and request id beside it."""
        return AsyncReportsWithRawResponse(self)


class ReportsWithRawResponse(RawResponses):
    """``ReportsClient.with_raw_response``: each call, answering ``RawResponse``."""

    def __init__(self, client: ReportsClient) -> None:
        super().__init__(client)
        self.reports_images = self._wrap(client.reports_images)
        self.reports_over_time = self._wrap(client.reports_over_time)
        self.reports_per_field_selection = self._wrap(client.reports_per_field_selection)
        self.reports_per_state = self._wrap(client.reports_per_state)
        self.reports_per_user = self._wrap(client.reports_per_user)
        self.reports_per_day_hour = self._wrap(client.reports_per_day_hour)
        self.reports_per_week_day = self._wrap(client.reports_per_week_day)
        self.reports_read = self._wrap(client.reports_read)
        self.user_awareness = self._wrap(client.user_awareness)


class AsyncReportsWithRawResponse(RawResponses):
    """``AsyncReportsClient.with_raw_response``."""

    def __init__(self, client: AsyncReportsClient) -> None:
        super().__init__(client)
        self.reports_images = self._wrap_async(client.reports_images)
        self.reports_over_time = self._wrap_async(client.reports_over_time)
        self.reports_per_field_selection = self._wrap_async(client.reports_per_field_selection)
        self.reports_per_state = self._wrap_async(client.reports_per_state)
        self.reports_per_user = self._wrap_async(client.reports_per_user)
        self.reports_per_day_hour = self._wrap_async(client.reports_per_day_hour)
        self.reports_per_week_day = self._wrap_async(client.reports_per_week_day)
        self.reports_read = self._wrap_async(client.reports_read)
        self.user_awareness = self._wrap_async(client.user_awareness)
