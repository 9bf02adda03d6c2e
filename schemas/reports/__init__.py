"""The reports API's wire rules that JSON Schema cannot say: instants (ISO 8601, naive means UTC), field names."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Literal, get_args

from .. import RuleError

__all__ = ["AWARENESS_FIELDS", "READ_FIELDS", "AwarenessField", "DateLike", "ReadField", "format_instant",
           "parse_instant"]

DateLike = datetime | date | str
ReadField = Literal["total_reads", "unique_reads", "report_readers", "reports_seen"]
AwarenessField = Literal["total_alerts", "alert_source_reports", "unique_alerts", "alerts_opened"]
READ_FIELDS: tuple[ReadField, ...] = get_args(ReadField)
AWARENESS_FIELDS: tuple[AwarenessField, ...] = get_args(AwarenessField)


def parse_instant(value: DateLike, field: str) -> datetime:
    """An aware UTC datetime from a ``datetime``, a ``date`` or an ISO 8601 string; naive means UTC.

    Raises ``RuleError`` naming ``field``.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise RuleError(f"{field}: missing (an ISO 8601 timestamp)", field=field)
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise RuleError(
                f"{field}: {value[:40]!r} is not an ISO 8601 timestamp (e.g. 2016-01-01T00:00:00Z)", field=field
            ) from None
    else:
        raise RuleError(f"{field}: must be a datetime, a date or an ISO 8601 string", field=field)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise RuleError(f"{field}: {str(value)[:40]!r} is out of range in UTC (years 1 to 9999)",
                              field=field) from None


def format_instant(value: datetime) -> str:
    """``2016-11-07T00:00:00.000Z``: the API's own format (UTC, milliseconds)."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


