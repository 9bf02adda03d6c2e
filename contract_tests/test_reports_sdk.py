"""ReportsClient and AsyncReportsClient against the live reference server, over the known dataset.

The expected models restate the hand-computed answers of test_reports_known.py (see the reasoning there).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from contract_tests.cassettes import CASSETTES
from contract_tests.test_reports_known import SEED, TOKEN
from mock_server import create_app
from sdk import AdminClient, BadRequest, NotFound, Unauthorized, ValidationError
from sdk.reports import (
    AsyncReportsClient,
    AwarenessField,
    DayHourCount,
    FieldSelectionCount,
    OverTimeBucket,
    ReadField,
    ReadStats,
    ReportImage,
    ReportsClient,
    StateCount,
    UserAwareness,
    UserCount,
    WeekDayCount,
)
from sdk.testing import make_vcr
from sdk.testing.pytest_plugin import Kit

START, END = "2016-01-01T00:00:00Z", "2016-11-11T00:00:00Z"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


EXPECTED: dict[str, Any] = {
    "reports_images": [
        ReportImage(1, 1, 1, utc(2016, 1, 4, 9, 16), {"thumb": "https://s3.to/1.png"}),
        ReportImage(3, 1, 2, utc(2016, 11, 7),
                    {"thumb": "https://s3.to/thumb-image.url", "medium": "https://s3.to/medium-image.url"}),
    ],
    "reports_over_time": [
        OverTimeBucket(1, utc(2016, 1, 4), 3, "week"), OverTimeBucket(1, utc(2016, 3, 7), 1, "week"),
        OverTimeBucket(1, utc(2016, 5, 30), 1, "week"), OverTimeBucket(1, utc(2016, 11, 7), 2, "week"),
    ],
    "reports_per_field_selection": [
        FieldSelectionCount(2, 1, "Resolved", "f_1_2_2_2_1", 3),
        FieldSelectionCount(2, 1, "Unresolved", "f_1_2_2_2_2", 2),
    ],
    "reports_per_state": [StateCount(1, "Open", 1, 3), StateCount(2, "Resolved", 1, 4)],
    "reports_per_user": [UserCount(1, 1, 2), UserCount(2, 1, 1), UserCount(3, 1, 4)],
    "reports_per_day_hour": [DayHourCount(1, h, n) for h, n in [(0, 1), (8, 1), (9, 2), (14, 1), (20, 1), (23, 1)]],
    "reports_per_week_day": [WeekDayCount(1, 0, 1), WeekDayCount(1, 1, 4), WeekDayCount(1, 3, 2)],
    "reports_read": ReadStats(total_reads=5, unique_reads=4, report_readers=3, reports_seen=3),
    "user_awareness": [UserAwareness(1, "Ann", "Lee", 1, 1, 1, 0), UserAwareness(3, "John", "Doe", 4, 2, 3, 2)],
}
ALL_READ: list[ReadField] = ["total_reads", "unique_reads", "report_readers", "reports_seen"]
ALL_AWARENESS: list[AwarenessField] = ["total_alerts", "alert_source_reports", "unique_alerts", "alerts_opened"]


def call_all(client: ReportsClient, start: Any = START, end: Any = END) -> dict[str, Any]:
    return {
        "reports_images": client.reports_images(1, start, end),
        "reports_over_time": client.reports_over_time(1, start, end),
        "reports_per_field_selection": client.reports_per_field_selection(1, start, end, field_id=2),
        "reports_per_state": client.reports_per_state(1, start, end),
        "reports_per_user": client.reports_per_user(1, start, end),
        "reports_per_day_hour": client.reports_per_day_hour(1, start, end),
        "reports_per_week_day": client.reports_per_week_day(1, start, end),
        "reports_read": client.reports_read(1, start, end, fields=ALL_READ),
        "user_awareness": client.user_awareness(1, start, end, fields=ALL_AWARENESS),
    }


async def acall_all(client: AsyncReportsClient, start: Any = START, end: Any = END) -> dict[str, Any]:
    return {
        "reports_images": await client.reports_images(1, start, end),
        "reports_over_time": await client.reports_over_time(1, start, end),
        "reports_per_field_selection": await client.reports_per_field_selection(1, start, end, field_id=2),
        "reports_per_state": await client.reports_per_state(1, start, end),
        "reports_per_user": await client.reports_per_user(1, start, end),
        "reports_per_day_hour": await client.reports_per_day_hour(1, start, end),
        "reports_per_week_day": await client.reports_per_week_day(1, start, end),
        "reports_read": await client.reports_read(1, start, end, fields=ALL_READ),
        "user_awareness": await client.user_awareness(1, start, end, fields=ALL_AWARENESS),
    }


@pytest.fixture
def client(kit: Kit, admin: AdminClient) -> Iterator[ReportsClient]:
    admin.seed({"reports": SEED})
    with ReportsClient(TOKEN, base_url=f"{kit.url}/reports", **kit.client_options()) as c:
        yield c


@pytest.fixture
async def aclient(kit: Kit, admin: AdminClient) -> AsyncIterator[AsyncReportsClient]:
    admin.seed({"reports": SEED})
    async with AsyncReportsClient(TOKEN, base_url=f"{kit.url}/reports", **kit.client_options(asynchronous=True)) as c:
        yield c


def test_sync_client_every_endpoint(client: ReportsClient) -> None:
    assert call_all(client) == EXPECTED


async def test_async_client_every_endpoint(aclient: AsyncReportsClient) -> None:
    assert await acall_all(aclient) == EXPECTED


def test_parity_of_sync_and_async_methods() -> None:
    public = {n for n in dir(ReportsClient) if not n.startswith("_")}
    assert public == ({n for n in dir(AsyncReportsClient) if not n.startswith("_")} | {"close"}) - {"aclose"}


DATE_FORMS = [
    (datetime(2016, 1, 1), datetime(2016, 11, 11)),  # naive: UTC
    (utc(2016, 1, 1), utc(2016, 11, 11)),
    (datetime(2016, 1, 1, 1, tzinfo=timezone(timedelta(hours=1))), utc(2016, 11, 11)),  # converted to UTC
    (date(2016, 1, 1), date(2016, 11, 11)),  # midnight UTC
    ("2016-01-01", "2016-11-11T00:00:00"),
    ("2016-01-01T01:00:00+01:00", date(2016, 11, 11)),  # mixed forms
]


@pytest.mark.parametrize(("start", "end"), DATE_FORMS)
def test_dates_as_datetime_date_or_string(client: ReportsClient, start: Any, end: Any) -> None:
    assert client.reports_per_user(1, start, end) == EXPECTED["reports_per_user"]


@pytest.mark.parametrize(("start", "end"), DATE_FORMS)
async def test_async_dates_as_datetime_date_or_string(aclient: AsyncReportsClient, start: Any, end: Any) -> None:
    assert await aclient.reports_per_user(1, start, end) == EXPECTED["reports_per_user"]
    assert await aclient.reports_over_time(1, start, end) == EXPECTED["reports_over_time"]


def test_fields_default_and_subset(client: ReportsClient) -> None:
    assert client.reports_read(1, START, END) == ReadStats(total_reads=5)
    assert client.reports_read(1, START, END, fields=["reports_seen"]) == ReadStats(reports_seen=3)
    assert client.user_awareness(1, START, END, fields=["alerts_opened"]) == [
        UserAwareness(1, "Ann", "Lee", alerts_opened=0), UserAwareness(3, "John", "Doe", alerts_opened=2)]


@pytest.mark.parametrize(("start", "end", "field"), [
    ("not a date", END, "start_date"), (START, 20161111, "end_date"), (END, START, "start_date"),
    ("0001-01-01T00:00:00+01:00", END, "start_date"),
])
async def test_async_client_side_validation_sends_nothing(aclient: AsyncReportsClient, admin: AdminClient, start: Any,
                                                          end: Any, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        await aclient.reports_per_user(1, start, end)
    assert info.value.field == field
    with pytest.raises(ValidationError, match="fields"):
        await aclient.user_awareness(1, START, END, fields=["total_reads"])  # type: ignore[list-item]
    assert admin.requests.list(path="/reports", limit=1000) == []


async def test_async_fields_and_dates(aclient: AsyncReportsClient) -> None:
    assert await aclient.reports_read(1, date(2016, 1, 1), date(2016, 11, 11)) == ReadStats(total_reads=5)


@pytest.mark.parametrize(("call", "field"), [
    (lambda c: c.reports_per_user(1, "not a date", END), "start_date"),
    (lambda c: c.reports_per_user(1, START, 20161111), "end_date"),
    (lambda c: c.reports_per_user(1, END, START), "start_date"),
    (lambda c: c.reports_per_user(1, "0001-01-01T00:00:00+01:00", END), "start_date"),  # before year 1 in UTC
    (lambda c: c.reports_per_user(0, START, END), "channel_id"),
    (lambda c: c.reports_per_user(True, START, END), "channel_id"),
    (lambda c: c.reports_per_field_selection(1, START, END, field_id=-2), "field_id"),
    (lambda c: c.reports_read(1, START, END, fields=["total_alerts"]), "fields"),
    (lambda c: c.user_awareness(1, START, END, fields=["total_reads"]), "fields"),
])
def test_client_side_validation_sends_nothing(client: ReportsClient, admin: AdminClient, call: Any, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        call(client)
    assert info.value.field == field
    assert field in str(info.value)
    assert admin.requests.list(path="/reports", limit=1000) == []


def test_server_errors_become_typed_exceptions(client: ReportsClient) -> None:
    with pytest.raises(NotFound) as nf:
        client.reports_per_user(999, START, END)
    assert nf.value.message == "channel_id: no channel 999"
    assert nf.value.body["error"]["parameter"] == "channel_id"
    with pytest.raises(BadRequest, match="field_id: field 1 is a Text field"):
        client.reports_per_field_selection(1, START, END, field_id=1)
    with pytest.raises(NotFound, match="field_id: no field 99"):
        client.reports_per_field_selection(1, START, END, field_id=99)


async def test_async_errors(aclient: AsyncReportsClient) -> None:
    with pytest.raises(NotFound, match="channel_id"):
        await aclient.reports_over_time(999, START, END)


def test_wrong_token_is_401_and_never_shown(base_url: str, admin: AdminClient, caplog: pytest.LogCaptureFixture,
                                            ) -> None:
    secret = "not-the-token-4242"
    with ReportsClient(secret, base_url=f"{base_url}/reports") as c, pytest.raises(Unauthorized) as info:
        c.reports_per_user(1, START, END)
    assert "unknown token" in str(info.value)
    for text in (str(info.value), repr(c), repr(info.value.headers), caplog.text):
        assert secret not in text
    # The server's journal keeps no token either.
    entry = admin.requests.list(path="/reports", limit=1000)[-1]
    assert entry["headers"]["Authorization"] == "***"


def test_wire_format(client: ReportsClient, admin: AdminClient) -> None:
    client.reports_read(1, datetime(2016, 1, 1, 12), date(2016, 11, 11), fields=["unique_reads", "total_reads"])
    entry = admin.requests.list(path="/reports", limit=1000)[-1]
    assert entry["path"] == "/reports/api/v4/analytics/reports_read"
    assert entry["query"] == ("channel_id=1&start_date=2016-01-01T12%3A00%3A00.000Z"
                              "&end_date=2016-11-11T00%3A00%3A00.000Z&fields=unique_reads%2Ctotal_reads")


def test_in_process_with_demo_data() -> None:
    """A new user's first call: the API text's own example on the demo dataset, no socket."""
    app = create_app({"demo_data": True, "strict": True})
    with ReportsClient("dev-api-token", base_url="http://demo/reports", transport=httpx.WSGITransport(app=app)) as c:
        buckets = c.reports_over_time(1, START, END)
        field = c.reports_per_field_selection(1, START, END, field_id=2)
        awareness = c.user_awareness(1, START, END, fields=["total_alerts", "unique_alerts"])
        assert c.reports_read(1, START, END).total_reads
        assert all(call for call in (c.reports_images(1, START, END), c.reports_per_state(1, START, END),
                                     c.reports_per_user(1, START, END), c.reports_per_day_hour(1, START, END),
                                     c.reports_per_week_day(1, START, END)))
    assert {b.datetime_range_width for b in buckets} == {"week"}
    assert sum(b.report_count for b in buckets) > 100
    assert [f.name for f in field] == ["Resolved", "Unresolved"] and field[0].value == "f_1_2_2_2_1"
    assert any((u.user_id, u.first_name, u.last_name) == (3, "John", "Doe") for u in awareness)
    # The demo dataset comes back on reset.
    with AdminClient(transport=httpx.WSGITransport(app=app)) as local:
        local.reset()
        assert local.state()["reports"]["reports"] > 800


def test_cassette_replays_and_holds_no_token(base_url: str, admin: AdminClient) -> None:
    admin.seed({"reports": SEED})
    cassette = Path(CASSETTES) / "reports.yaml"
    with make_vcr(CASSETTES).use_cassette(cassette.name), ReportsClient(TOKEN, base_url=f"{base_url}/reports") as c:
        assert call_all(c) == EXPECTED
    text = cassette.read_text()
    assert TOKEN not in text
    assert "reports_per_field_selection" in text


def test_served_at_the_root_with_only() -> None:
    """``mock-server --only reports``: a client with a fixed path (no /reports prefix) gets the same API."""
    app = create_app({"only": "reports", "demo_data": True})
    with ReportsClient("dev-api-token", base_url="http://demo", transport=httpx.WSGITransport(app=app)) as c:
        at_root = c.reports_per_state(1, START, END)
    with ReportsClient("dev-api-token", base_url="http://demo/reports", transport=httpx.WSGITransport(app=app)) as c:
        assert c.reports_per_state(1, START, END) == at_root
        with pytest.raises(Unauthorized):
            c.with_options(headers={"Authorization": "Bearer nope-nope"}).reports_per_state(1, START, END)
    assert [s.name for s in at_root] == ["Open", "In progress", "Resolved", "Closed"]
