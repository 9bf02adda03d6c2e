"""The reports API over a small known dataset: every endpoint's answer computed by hand.

The dataset (``SEED``) is written out below; each expected answer is a literal with a comment that
shows how it follows from the dataset. Weekdays: 2016-01-04 Mon, 2016-01-06 Wed, 2016-03-13 Sun,
2016-06-01 Wed, 2016-11-07 Mon, 2016-12-31 Sat, 2015-12-31 Thu. Ranges are half-open [start, end).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import schemas
from sdk import AdminClient

TOKEN = "dev-api-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
API = "/reports/api/v4/analytics"
# The API text's own example range: 315 days, so weekly buckets.
EXAMPLE = {"channel_id": "1", "start_date": "2016-01-01T00:00:00Z", "end_date": "2016-11-11T00:00:00Z"}


def _report(id_: int, channel: int, user: int, state: int, at: str, **selections: Any) -> dict[str, Any]:
    return {"id": id_, "channel_id": channel, "user_id": user, "state_id": state, "created_at": at,
            "selections": {k.removeprefix("f"): v for k, v in selections.items()}}


SEED: dict[str, Any] = {
    "tokens": ["second-token-123"],
    "accounts": [{"id": 1, "name": "Acme"}, {"id": 2, "name": "Other"}],
    "channels": [{"id": 1, "account_id": 1, "name": "Main"}, {"id": 2, "account_id": 1, "name": "Side"},
                 {"id": 3, "account_id": 2, "name": "Theirs"}],
    "users": [{"id": 1, "account_id": 1, "first_name": "Ann", "last_name": "Lee"},
              {"id": 2, "account_id": 1, "first_name": "Bob", "last_name": "Ray"},
              {"id": 3, "account_id": 1, "first_name": "John", "last_name": "Doe"},
              {"id": 9, "account_id": 2, "first_name": "Zed", "last_name": "Other"}],
    "states": [{"id": 1, "account_id": 1, "name": "Open"}, {"id": 2, "account_id": 1, "name": "Resolved"},
               {"id": 9, "account_id": 2, "name": "Open"}],
    "forms": [
        {"id": 2, "account_id": 1, "name": "Incident", "fields": [
            {"id": 1, "name": "Notes", "field_type": "Text"},
            {"id": 2, "name": "Resolution", "field_type": "Radio",
             "options": [{"name": "Resolved", "value": "f_1_2_2_2_1"}, {"name": "Unresolved", "value": "f_1_2_2_2_2"}]},
            {"id": 3, "name": "Area", "field_type": "Category",
             "options": [{"name": "Electrical", "value": "f_1_2_3_3_1"}, {"name": "Plumbing", "value": "f_1_2_3_3_2"},
                         {"name": "HVAC", "value": "f_1_2_3_3_3"}]},
            {"id": 4, "name": "Priority", "field_type": "DropDown",
             "options": [{"name": "Low", "value": "f_1_2_4_4_1"}, {"name": "High", "value": "f_1_2_4_4_2"}]},
        ]},
        {"id": 3, "account_id": 2, "name": "Theirs", "fields": [
            {"id": 5, "name": "Kind", "field_type": "Radio", "options": [{"name": "A", "value": "f_2_3_5_5_1"}]}]},
    ],
    "reports": [
        _report(1, 1, 1, 1, "2016-01-04T09:15:00Z", f2="f_1_2_2_2_1", f3=["f_1_2_3_3_1"], f4="f_1_2_4_4_1"),
        _report(2, 1, 3, 2, "2016-01-04T09:45:00Z", f2="f_1_2_2_2_1", f3=["f_1_2_3_3_1", "f_1_2_3_3_2"]),
        _report(3, 1, 3, 2, "2016-01-06T14:00:00Z", f2="f_1_2_2_2_2", f3=["f_1_2_3_3_2"], f4="f_1_2_4_4_2",
                f1="leaking pipe"),
        _report(4, 1, 2, 1, "2016-03-13T23:59:59.999Z", f2="f_1_2_2_2_1"),
        _report(5, 1, 3, 1, "2016-06-01T00:00:00Z"),
        _report(6, 1, 1, 2, "2016-11-07T08:30:00Z", f3=["f_1_2_3_3_3"]),
        _report(7, 1, 3, 2, "2016-11-07T20:00:00+00:00", f2="f_1_2_2_2_2"),
        _report(8, 1, 2, 1, "2016-12-31T12:00:00Z"),  # after the example range
        _report(9, 1, 1, 1, "2015-12-31T23:00:00Z"),  # before it
        _report(10, 2, 2, 1, "2016-01-04T10:00:00Z", f2="f_1_2_2_2_1"),  # channel 2: never counted for channel 1
        _report(11, 3, 9, 9, "2016-01-04T11:00:00Z", f5="f_2_3_5_5_1"),  # another account's channel
    ],
    "report_images": [
        {"id": 3, "report_id": 2, "created_at": "2016-11-07T00:00:00Z",
         "styles": {"thumb": "https://s3.to/thumb-image.url", "medium": "https://s3.to/medium-image.url"}},
        {"id": 1, "report_id": 1, "created_at": "2016-01-04T09:16:00Z", "styles": {"thumb": "https://s3.to/1.png"}},
        {"id": 2, "report_id": 9, "created_at": "2015-12-31T23:05:00Z", "styles": {}},  # before the range
        {"id": 4, "report_id": 10, "created_at": "2016-01-04T10:01:00Z", "styles": {}},  # channel 2
        {"id": 5, "report_id": 7, "created_at": "2016-11-11T00:00:00Z", "styles": {}},  # == end: excluded
    ],
    "report_reads": [
        {"user_id": 1, "report_id": 1, "read_at": "2016-01-05T10:00:00Z"},
        {"user_id": 1, "report_id": 1, "read_at": "2016-01-06T10:00:00Z"},  # Ann reads report 1 again
        {"user_id": 2, "report_id": 1, "read_at": "2016-01-05T11:00:00Z"},
        {"user_id": 3, "report_id": 2, "read_at": "2016-02-01T00:00:00Z"},
        {"user_id": 1, "report_id": 3, "read_at": "2016-02-02T00:00:00Z"},
        {"user_id": 1, "report_id": 7, "read_at": "2016-11-11T00:00:00Z"},  # == end: excluded
        {"user_id": 2, "report_id": 10, "read_at": "2016-01-05T00:00:00Z"},  # channel 2
        {"user_id": 2, "report_id": 9, "read_at": "2015-12-31T23:30:00Z"},  # before the range
    ],
    "alerts": [
        {"alert_id": 1, "user_id": 3, "report_id": 2, "created_at": "2016-01-04T10:00:00Z", "opened": True},
        {"alert_id": 1, "user_id": 3, "report_id": 2, "created_at": "2016-01-04T11:00:00Z"},  # re-sent
        {"alert_id": 1, "user_id": 1, "report_id": 2, "created_at": "2016-01-04T10:00:00Z", "opened": False},
        {"alert_id": 2, "user_id": 3, "report_id": 3, "created_at": "2016-01-06T15:00:00Z", "opened": True},
        {"user_id": 3, "report_id": 3, "created_at": "2016-01-07T00:00:00Z"},  # its own alert
        {"user_id": 2, "report_id": 7, "created_at": "2016-11-11T00:00:00Z", "opened": True},  # == end: excluded
        {"alert_id": 3, "user_id": 2, "report_id": 10, "created_at": "2016-01-05T00:00:00Z"},  # channel 2
    ],
}

# In the example range, channel 1 holds reports 1-7 (8 is after it, 9 before it, 10 and 11 elsewhere).
EXPECTED: dict[str, Any] = {
    # Images created in the range in channel 1: 1 (report 1, Jan 4) and 3 (report 2, Nov 7), oldest first;
    # 2 is before the range, 4 is channel 2's, 5 is created exactly at end_date.
    "reports_images": [
        {"report_image_id": 1, "account_id": 1, "report_id": 1, "created_at": "2016-01-04T09:16:00.000Z",
         "styles": {"thumb": "https://s3.to/1.png"}},
        {"report_image_id": 3, "account_id": 1, "report_id": 2, "created_at": "2016-11-07T00:00:00.000Z",
         "styles": {"thumb": "https://s3.to/thumb-image.url", "medium": "https://s3.to/medium-image.url"}},
    ],
    # 315 days → weeks starting Monday: reports 1,2,3 (Mon Jan 4, Mon Jan 4, Wed Jan 6) → week of Jan 4;
    # 4 (Sun Mar 13) → week of Mon Mar 7; 5 (Wed Jun 1) → week of Mon May 30; 6,7 (Mon Nov 7) → week of Nov 7.
    "reports_over_time": [
        {"account_id": 1, "datetime_range_start": "2016-01-04T00:00:00.000Z", "report_count": 3,
         "datetime_range_width": "week"},
        {"account_id": 1, "datetime_range_start": "2016-03-07T00:00:00.000Z", "report_count": 1,
         "datetime_range_width": "week"},
        {"account_id": 1, "datetime_range_start": "2016-05-30T00:00:00.000Z", "report_count": 1,
         "datetime_range_width": "week"},
        {"account_id": 1, "datetime_range_start": "2016-11-07T00:00:00.000Z", "report_count": 2,
         "datetime_range_width": "week"},
    ],
    # Field 2 (Radio): Resolved in reports 1, 2, 4 → 3; Unresolved in 3, 7 → 2 (10 is channel 2's).
    "reports_per_field_selection": [
        {"field_id": 2, "account_id": 1, "name": "Resolved", "value": "f_1_2_2_2_1", "report_count": 3},
        {"field_id": 2, "account_id": 1, "name": "Unresolved", "value": "f_1_2_2_2_2", "report_count": 2},
    ],
    # State 1 (Open): reports 1, 4, 5 → 3; state 2 (Resolved): 2, 3, 6, 7 → 4.
    "reports_per_state": [
        {"id": 1, "name": "Open", "account_id": 1, "report_count": 3},
        {"id": 2, "name": "Resolved", "account_id": 1, "report_count": 4},
    ],
    # User 1: reports 1, 6 → 2; user 2: 4 → 1; user 3: 2, 3, 5, 7 → 4.
    "reports_per_user": [
        {"user_id": 1, "account_id": 1, "report_count": 2},
        {"user_id": 2, "account_id": 1, "report_count": 1},
        {"user_id": 3, "account_id": 1, "report_count": 4},
    ],
    # UTC hours: 1→9, 2→9, 3→14, 4→23, 5→0, 6→8, 7→20.
    "reports_per_day_hour": [
        {"account_id": 1, "hour": 0, "report_count": 1},
        {"account_id": 1, "hour": 8, "report_count": 1},
        {"account_id": 1, "hour": 9, "report_count": 2},
        {"account_id": 1, "hour": 14, "report_count": 1},
        {"account_id": 1, "hour": 20, "report_count": 1},
        {"account_id": 1, "hour": 23, "report_count": 1},
    ],
    # dow (0 = Sunday): 1 Mon, 2 Mon, 3 Wed, 4 Sun, 5 Wed, 6 Mon, 7 Mon → 0: 1, 1: 4, 3: 2.
    "reports_per_week_day": [
        {"account_id": 1, "dow": 0, "report_count": 1},
        {"account_id": 1, "dow": 1, "report_count": 4},
        {"account_id": 1, "dow": 3, "report_count": 2},
    ],
    # Reads in range in channel 1: the first five. total 5; unique (user, report): (1,1) (2,1) (3,2) (1,3) → 4;
    # readers {1, 2, 3} → 3; reports seen {1, 2, 3} → 3.
    "reports_read": {"total_reads": 5, "unique_reads": 4, "report_readers": 3, "reports_seen": 3},
    # Alerts in range in channel 1: the first five. Ann (1): one delivery of alert 1 (source report 2), not
    # opened. John (3): alert 1 twice + alert 2 + an alert of its own → total 4; sources {2, 3} → 2;
    # alerts {1, 2, own} → 3; opened: the first delivery of alert 1 and alert 2 → 2. Bob's only alerts are
    # outside the range or channel, so he has no row.
    "user_awareness": [
        {"total_alerts": 1, "alert_source_reports": 1, "unique_alerts": 1, "alerts_opened": 0, "user_id": 1,
         "first_name": "Ann", "last_name": "Lee"},
        {"total_alerts": 4, "alert_source_reports": 2, "unique_alerts": 3, "alerts_opened": 2, "user_id": 3,
         "first_name": "John", "last_name": "Doe"},
    ],
}
EXTRA = {
    "reports_per_field_selection": {"field_id": "2"},
    "reports_read": {"fields": "total_reads,unique_reads,report_readers,reports_seen"},
    "user_awareness": {"fields": "total_alerts,alert_source_reports,unique_alerts,alerts_opened"},
}
ENDPOINTS = list(EXPECTED)


@pytest.fixture
def known(admin: AdminClient) -> AdminClient:
    admin.seed({"reports": SEED})
    return admin


def get(http: httpx.Client, endpoint: str, headers: dict[str, str] | None = None, **params: str) -> httpx.Response:
    return http.get(f"{API}/{endpoint}", params=params, headers=AUTH if headers is None else headers)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_example_request_answers_hand_computed(known: AdminClient, http: httpx.Client, endpoint: str) -> None:
    response = get(http, endpoint, **EXAMPLE, **EXTRA.get(endpoint, {}))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == EXPECTED[endpoint]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_example_request_async(known: AdminClient, ahttp: httpx.AsyncClient, endpoint: str) -> None:
    params = {**EXAMPLE, **EXTRA.get(endpoint, {})}
    response = await ahttp.get(f"{API}/{endpoint}", params=params, headers=AUTH)
    assert response.json() == EXPECTED[endpoint]


def test_other_field_types_hand_computed(known: AdminClient, http: httpx.Client) -> None:
    # Field 3 (Category, several values a report): Electrical in 1, 2 → 2; Plumbing in 2, 3 → 2; HVAC in 6 → 1.
    assert get(http, "reports_per_field_selection", field_id="3", **EXAMPLE).json() == [
        {"field_id": 3, "account_id": 1, "name": "Electrical", "value": "f_1_2_3_3_1", "report_count": 2},
        {"field_id": 3, "account_id": 1, "name": "Plumbing", "value": "f_1_2_3_3_2", "report_count": 2},
        {"field_id": 3, "account_id": 1, "name": "HVAC", "value": "f_1_2_3_3_3", "report_count": 1},
    ]
    # Field 4 (DropDown): Low in 1, High in 3.
    assert get(http, "reports_per_field_selection", field_id="4", **EXAMPLE).json() == [
        {"field_id": 4, "account_id": 1, "name": "Low", "value": "f_1_2_4_4_1", "report_count": 1},
        {"field_id": 4, "account_id": 1, "name": "High", "value": "f_1_2_4_4_2", "report_count": 1},
    ]


def test_fields_default_and_subset(known: AdminClient, http: httpx.Client) -> None:
    assert get(http, "reports_read", **EXAMPLE).json() == {"total_reads": 5}
    assert get(http, "reports_read", fields="reports_seen, report_readers", **EXAMPLE).json() == {
        "report_readers": 3, "reports_seen": 3}
    assert get(http, "user_awareness", **EXAMPLE).json() == [
        {"total_alerts": 1, "user_id": 1, "first_name": "Ann", "last_name": "Lee"},
        {"total_alerts": 4, "user_id": 3, "first_name": "John", "last_name": "Doe"}]
    assert get(http, "user_awareness", fields="alerts_opened", **EXAMPLE).json() == [
        {"alerts_opened": 0, "user_id": 1, "first_name": "Ann", "last_name": "Lee"},
        {"alerts_opened": 2, "user_id": 3, "first_name": "John", "last_name": "Doe"}]


# -- datetime_range_width and exact edges ------------------------------------------------------------

def over_time(http: httpx.Client, start: str, end: str, channel: str = "1") -> list[tuple[str, int, str]]:
    response = get(http, "reports_over_time", channel_id=channel, start_date=start, end_date=end)
    assert response.status_code == 200, response.text
    return [(r["datetime_range_start"], r["report_count"], r["datetime_range_width"]) for r in response.json()]


def test_width_day_for_up_to_62_days(known: AdminClient, http: httpx.Client) -> None:
    # 31 days → day: reports 1, 2 on Jan 4; 3 on Jan 6.
    assert over_time(http, "2016-01-01T00:00:00Z", "2016-02-01T00:00:00Z") == [
        ("2016-01-04T00:00:00.000Z", 2, "day"), ("2016-01-06T00:00:00.000Z", 1, "day")]


def test_width_month_beyond_a_year(known: AdminClient, http: httpx.Client) -> None:
    # 2 years → month: 9 in Dec 2015; 1, 2, 3 in Jan; 4 in Mar; 5 in Jun; 6, 7 in Nov; 8 in Dec 2016.
    assert over_time(http, "2015-06-01T00:00:00Z", "2017-06-01T00:00:00Z") == [
        ("2015-12-01T00:00:00.000Z", 1, "month"), ("2016-01-01T00:00:00.000Z", 3, "month"),
        ("2016-03-01T00:00:00.000Z", 1, "month"), ("2016-06-01T00:00:00.000Z", 1, "month"),
        ("2016-11-01T00:00:00.000Z", 2, "month"), ("2016-12-01T00:00:00.000Z", 1, "month")]


def test_a_huge_range_reads_only_the_days_with_data(known: AdminClient, http: httpx.Client) -> None:
    # The same months as above: every report of channel 1 is inside years 1 .. 9999.
    assert over_time(http, "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z") == [
        ("2015-12-01T00:00:00.000Z", 1, "month"), ("2016-01-01T00:00:00.000Z", 3, "month"),
        ("2016-03-01T00:00:00.000Z", 1, "month"), ("2016-06-01T00:00:00.000Z", 1, "month"),
        ("2016-11-01T00:00:00.000Z", 2, "month"), ("2016-12-01T00:00:00.000Z", 1, "month")]


@pytest.mark.parametrize(("start", "end", "expected"), [
    # Width boundaries: exactly 2 days is still hours; 2 days and 1 ms is days (report 3, Wed 14:00 only).
    ("2016-01-05T00:00:00Z", "2016-01-07T00:00:00Z", [("2016-01-06T14:00:00.000Z", 1, "hour")]),
    ("2016-01-05T00:00:00Z", "2016-01-07T00:00:00.001Z", [("2016-01-06T00:00:00.000Z", 1, "day")]),
    # Exactly 62 days is days, 62 days and 1 ms weeks (reports 1, 2, 3; 4 falls outside).
    ("2016-01-01T00:00:00Z", "2016-03-03T00:00:00Z",
     [("2016-01-04T00:00:00.000Z", 2, "day"), ("2016-01-06T00:00:00.000Z", 1, "day")]),
    ("2016-01-01T00:00:00Z", "2016-03-03T00:00:00.001Z", [("2016-01-04T00:00:00.000Z", 3, "week")]),
    # Exactly 366 days (all of 2016) is weeks; one more ms is months.
    ("2016-01-01T00:00:00Z", "2017-01-01T00:00:00Z",
     [("2016-01-04T00:00:00.000Z", 3, "week"), ("2016-03-07T00:00:00.000Z", 1, "week"),
      ("2016-05-30T00:00:00.000Z", 1, "week"), ("2016-11-07T00:00:00.000Z", 2, "week"),
      ("2016-12-26T00:00:00.000Z", 1, "week")]),
    ("2016-01-01T00:00:00Z", "2017-01-01T00:00:00.001Z",
     [("2016-01-01T00:00:00.000Z", 3, "month"), ("2016-03-01T00:00:00.000Z", 1, "month"),
      ("2016-06-01T00:00:00.000Z", 1, "month"), ("2016-11-01T00:00:00.000Z", 2, "month"),
      ("2016-12-01T00:00:00.000Z", 1, "month")]),
    # Partly covered edge hours are counted exactly: report 1 is at 09:15:00.000, report 2 at 09:45.
    ("2016-01-04T09:15:00Z", "2016-01-04T09:45:00Z", [("2016-01-04T09:00:00.000Z", 1, "hour")]),
    ("2016-01-04T09:15:00.001Z", "2016-01-04T09:45:00Z", []),
    ("2016-01-04T09:15:00.001Z", "2016-01-04T09:45:00.001Z", [("2016-01-04T09:00:00.000Z", 1, "hour")]),
    ("2016-01-04T09:30:00Z", "2016-01-04T10:30:00Z", [("2016-01-04T09:00:00.000Z", 1, "hour")]),
    # Report 4 at 23:59:59.999 on Mar 13; an end at midnight keeps it, an end 1 ms earlier does not.
    ("2016-03-13T23:30:00Z", "2016-03-14T00:00:00Z", [("2016-03-13T23:00:00.000Z", 1, "hour")]),
    ("2016-03-13T23:30:00Z", "2016-03-13T23:59:59.999Z", []),
    # Edge hours on both sides and whole hours between. 2 days 4 h 40 min → days: 1 (09:15) is before the
    # start, 2 (09:45) is in the start's edge hour, 3 (Jan 6 14:00) is the end: excluded → Jan 4: 1.
    ("2016-01-04T09:20:00Z", "2016-01-06T14:00:00Z", [("2016-01-04T00:00:00.000Z", 1, "day")]),
    # Just under 2 days → hours; the end's edge hour holds report 3 at 14:00:00.000 < 14:00:00.001.
    ("2016-01-04T14:20:00Z", "2016-01-06T14:00:00.001Z", [("2016-01-06T14:00:00.000Z", 1, "hour")]),
    # An empty range: start == end.
    ("2016-01-04T09:15:00Z", "2016-01-04T09:15:00Z", []),
])
def test_width_rule_and_exact_edges(known: AdminClient, http: httpx.Client, start: str, end: str,
                                    expected: list[tuple[str, int, str]]) -> None:
    assert over_time(http, start, end) == expected


def test_day_hour_and_week_day_use_exact_edges(known: AdminClient, http: httpx.Client) -> None:
    # [Jan 4 09:30, Jan 6 14:00): report 2 (09:45 Mon) only; 1 is before, 3 is at the end.
    window = {"channel_id": "1", "start_date": "2016-01-04T09:30:00Z", "end_date": "2016-01-06T14:00:00Z"}
    assert get(http, "reports_per_day_hour", **window).json() == [{"account_id": 1, "hour": 9, "report_count": 1}]
    assert get(http, "reports_per_week_day", **window).json() == [{"account_id": 1, "dow": 1, "report_count": 1}]


def test_dates_in_other_forms(known: AdminClient, http: httpx.Client) -> None:
    # A date alone is midnight UTC; no offset is UTC; an offset is converted (01:00+01:00 is 00:00Z).
    for start, end in [("2016-01-01", "2016-11-11"), ("2016-01-01T00:00:00", "2016-11-11T00:00:00.000"),
                       ("2016-01-01T01:00:00+01:00", "2016-11-10T19:00:00-05:00")]:
        response = get(http, "reports_per_user", channel_id="1", start_date=start, end_date=end)
        assert response.json() == EXPECTED["reports_per_user"], (start, end)


def test_channels_are_separate(known: AdminClient, http: httpx.Client) -> None:
    # Channel 2 holds report 10 only (user 2, state 1, Mon Jan 4 10:00); channel 3 report 11 (account 2).
    assert get(http, "reports_per_user", **{**EXAMPLE, "channel_id": "2"}).json() == [
        {"user_id": 2, "account_id": 1, "report_count": 1}]
    assert get(http, "reports_per_state", **{**EXAMPLE, "channel_id": "3"}).json() == [
        {"id": 9, "name": "Open", "account_id": 2, "report_count": 1}]
    assert get(http, "reports_read", **{**EXAMPLE, "channel_id": "2"}).json() == {"total_reads": 1}
    # A channel with nothing in it answers empty, not 404.
    admin_seed = {"reports": {"channels": [{"id": 4, "account_id": 1, "name": "Empty"}]}}
    known.seed(admin_seed)
    for endpoint in ENDPOINTS:
        body = get(http, endpoint, **{**EXAMPLE, "channel_id": "4"}, **EXTRA.get(endpoint, {})).json()
        assert body == ({"total_reads": 0, "unique_reads": 0, "report_readers": 0, "reports_seen": 0}
                        if endpoint == "reports_read" else []), endpoint


def test_seeded_token_works(known: AdminClient, http: httpx.Client) -> None:
    response = get(http, "reports_per_user", headers={"Authorization": "Bearer second-token-123"}, **EXAMPLE)
    assert response.json() == EXPECTED["reports_per_user"]


def test_expected_answers_match_the_shared_schemas() -> None:
    from mock_server.services.reports.backend import ENDPOINTS as SCHEMAS

    for endpoint, (_, schema) in SCHEMAS.items():
        assert schemas.validate(f"reports/analytics#/$defs/{schema}", EXPECTED[endpoint]) == [], endpoint
    assert schemas.validate("reports/seed", SEED) == []
    # The schemas are not vacuous: a wrong shape is refused.
    assert schemas.validate("reports/analytics#/$defs/read", {"total_reads": 1, "bogus": 2})
    assert schemas.validate("reports/analytics#/$defs/over_time", [{**EXPECTED["reports_over_time"][0],
                                                                     "datetime_range_width": "fortnight"}])
