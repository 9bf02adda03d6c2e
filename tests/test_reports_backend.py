"""The reports backend driven directly: pre-aggregated counts against a plain scan, time rules, both stores."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
import respx

import schemas
from mock_server.services.reports.backend import (
    REPORTS,
    ReportsBackend,
    bucket_start,
    dow,
    from_ms,
    range_width,
    to_ms,
)
from mock_server.services.reports.demo import demo_dataset
from mock_server.store import MemoryStore, SqliteStore, Store
from sdk import AdminClient, ValidationError
from sdk.reports import OverTimeBucket, ReportsClient, format_instant, parse_instant

DAY = 24 * 3_600_000


@pytest.fixture(params=["memory", "sqlite"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> ReportsBackend:
    store: Store = MemoryStore() if request.param == "memory" else SqliteStore(str(tmp_path / "r.db"))
    b = ReportsBackend(store)
    b.reset(demo=True)
    return b


def _params(start_ms: int, end_ms: int, channel: int = 1) -> dict[str, str]:
    return {"channel_id": str(channel), "start_date": format_instant(from_ms(start_ms)),
            "end_date": format_instant(from_ms(end_ms))}


def test_aggregates_match_a_plain_scan(backend: ReportsBackend) -> None:
    """Random windows (edges anywhere, to the ms) over the demo data: buckets == counting the raw reports."""
    times = [r["t"] for _, r in backend.store.items(REPORTS(1))]
    rng = random.Random(7)
    year = to_ms(datetime(2016, 1, 1, tzinfo=UTC))
    for _ in range(40):
        start = year + rng.randrange(366 * DAY)
        end = start + rng.choice([rng.randrange(3_600_000), rng.randrange(3 * DAY), rng.randrange(400 * DAY)])
        inside = [t for t in times if start <= t < end]
        width = range_width(start, end)
        expected_buckets = Counter(format_instant(bucket_start(t // 3_600_000, width)) for t in inside)
        got = backend.reports_over_time(_params(start, end))
        assert {r["datetime_range_start"]: r["report_count"] for r in got} == expected_buckets
        assert {r["datetime_range_width"] for r in got} <= {width}
        hours = backend.reports_per_day_hour(_params(start, end))
        assert {r["hour"]: r["report_count"] for r in hours} == Counter(from_ms(t).hour for t in inside)
        days = backend.reports_per_week_day(_params(start, end))
        # Python's isoweekday is 1 = Monday ... 7 = Sunday; dow is 0 = Sunday.
        assert {r["dow"]: r["report_count"] for r in days} == Counter(from_ms(t).isoweekday() % 7 for t in inside)
        users = backend.reports_per_user(_params(start, end))
        assert sum(r["report_count"] for r in users) == len(inside)


def test_reports_added_later_join_the_buckets(backend: ReportsBackend) -> None:
    p = _params(to_ms(datetime(2016, 1, 1, tzinfo=UTC)), to_ms(datetime(2017, 1, 1, tzinfo=UTC)))
    before = sum(r["report_count"] for r in backend.reports_over_time(p))
    backend.seed({"reports": [{"id": 5000 + i, "channel_id": 1, "user_id": 1, "state_id": 1,
                               "created_at": f"2016-07-0{i + 1}T10:30:00Z"} for i in range(3)]})
    assert sum(r["report_count"] for r in backend.reports_over_time(p)) == before + 3


def test_range_width_rule() -> None:
    assert range_width(0, 2 * DAY) == "hour"
    assert range_width(0, 2 * DAY + 1) == "day"
    assert range_width(0, 62 * DAY) == "day"
    assert range_width(0, 62 * DAY + 1) == "week"
    assert range_width(0, 366 * DAY) == "week"
    assert range_width(0, 366 * DAY + 1) == "month"
    assert range_width(5, 5) == "hour"


def test_bucket_boundaries_and_dow() -> None:
    hour = to_ms(datetime(2016, 3, 13, 23, tzinfo=UTC)) // 3_600_000  # a Sunday
    assert bucket_start(hour, "hour") == datetime(2016, 3, 13, 23, tzinfo=UTC)
    assert bucket_start(hour, "day") == datetime(2016, 3, 13, tzinfo=UTC)
    assert bucket_start(hour, "week") == datetime(2016, 3, 7, tzinfo=UTC)  # its Monday
    assert bucket_start(hour, "month") == datetime(2016, 3, 1, tzinfo=UTC)
    assert dow(hour) == 0
    assert dow(hour + 24) == 1  # Monday


def test_demo_dataset_is_deterministic_and_valid() -> None:
    assert demo_dataset() == demo_dataset()
    assert schemas.validate("reports/seed", demo_dataset()) == []
    store = MemoryStore()
    ReportsBackend(store).reset(demo=True)
    assert ReportsBackend(store).state()["reports"] == len(demo_dataset()["reports"])


# -- SDK pieces ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("2016-01-01T00:00:00Z", datetime(2016, 1, 1, tzinfo=UTC)),
    ("2016-01-01", datetime(2016, 1, 1, tzinfo=UTC)),
    ("2016-01-01T02:00:00+02:00", datetime(2016, 1, 1, tzinfo=UTC)),
    ("2016-01-01T00:00:00.250", datetime(2016, 1, 1, 0, 0, 0, 250_000, tzinfo=UTC)),
    (datetime(2016, 1, 1, 5), datetime(2016, 1, 1, 5, tzinfo=UTC)),
])
def test_parse_instant(value: str | datetime, expected: datetime) -> None:
    assert parse_instant(value, "start_date") == expected


@pytest.mark.parametrize("value", ["", "tomorrow", "2016-02-30", 12, "0001-01-01T00:00:00+01:00",
                                   datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))])
def test_parse_instant_refuses(value: object) -> None:
    with pytest.raises(ValidationError) as info:
        parse_instant(value, "end_date")  # type: ignore[arg-type]
    assert info.value.field == "end_date"


def test_format_instant() -> None:
    at = datetime(2016, 11, 7, 1, 2, 3, 456_789, tzinfo=timezone(timedelta(hours=2)))
    assert format_instant(at) == "2016-11-06T23:02:03.456Z"


@respx.mock
def test_client_sends_bearer_and_parses() -> None:
    route = respx.get("https://reports.test/api/v4/analytics/reports_over_time").mock(return_value=httpx.Response(
        200, json=[{"account_id": 1, "datetime_range_start": "2016-11-07T00:00:00.000Z", "report_count": 2,
                    "datetime_range_width": "week"}]))
    with ReportsClient("tok-123456", base_url="https://reports.test") as client:
        rows = client.reports_over_time(1, "2016-01-01", "2016-11-11")
    assert rows == [OverTimeBucket(1, datetime(2016, 11, 7, tzinfo=UTC), 2, "week")]
    assert route.calls.last.request.headers["Authorization"] == "Bearer tok-123456"
    assert "tok-123456" not in repr(client)


@respx.mock
def test_client_refuses_an_unknown_width() -> None:
    respx.get("https://reports.test/api/v4/analytics/reports_over_time").mock(return_value=httpx.Response(
        200, json=[{"account_id": 1, "datetime_range_start": "2016-11-07T00:00:00.000Z", "report_count": 2,
                    "datetime_range_width": "fortnight"}]))
    with ReportsClient("tok-123456", base_url="https://reports.test") as client, pytest.raises(ValidationError):
        client.reports_over_time(1, "2016-01-01", "2016-11-11")


def test_client_needs_a_token() -> None:
    with pytest.raises(ValidationError, match="token"):
        ReportsClient("", base_url="https://reports.test")


def test_openapi_marks_field_id_required_only_where_it_is() -> None:
    from mock_server import create_app
    from mock_server.openapi import build

    doc = build(create_app(), "reports")
    required = {path.rsplit("/", 1)[-1]: {p["name"] for p in item["get"]["parameters"] if p["required"]}
                for path, item in doc["paths"].items()}
    assert required.pop("reports_per_field_selection") == {"field_id", "channel_id", "start_date", "end_date"}
    assert len(required) == 8 and all(names == {"channel_id", "start_date", "end_date"} for names in required.values())


def test_mock_server_demo_data_flag_loads_the_demo_dataset() -> None:
    """``mock-server --demo-data``: the flag reaches the config, and the app starts with the demo dataset."""
    from mock_server import create_app
    from mock_server.cli import parse_args
    from mock_server.config import load_config

    for argv, reports in ((["--demo-data"], len(demo_dataset()["reports"])), ([], 0)):
        config = load_config(None).with_changes(demo_data=parse_args(argv).demo_data)
        state = AdminClient(transport=httpx.WSGITransport(app=create_app(config))).state()["reports"]
        assert state["reports"] == reports, argv
