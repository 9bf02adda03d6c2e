"""The demo dataset answers the API text's own example requests with real numbers, checked exactly.

The expected answers are counted here by a plain scan of ``demo_dataset()`` (the seed as written, not the
store or its pre-aggregates), so they follow from the data alone. Sync in process with ``demo_data``
(what ``mock-server --demo-data`` loads), async against the live server seeded with the same dataset.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from contract_tests.test_reports_sdk import acall_all, call_all
from mock_server import create_app
from mock_server.services.reports.demo import demo_dataset
from sdk import AdminClient
from sdk.reports import (
    AsyncReportsClient,
    DayHourCount,
    FieldSelectionCount,
    OverTimeBucket,
    ReadStats,
    ReportImage,
    ReportsClient,
    StateCount,
    UserAwareness,
    UserCount,
    WeekDayCount,
    parse_instant,
)

# The API text's example: channel_id=1&start_date=2016-01-01T00:00:00Z&end_date=2016-11-11T00:00:00Z.
START, END = "2016-01-01T00:00:00Z", "2016-11-11T00:00:00Z"
LOW, HIGH = parse_instant(START, "start"), parse_instant(END, "end")


def _at(raw: str) -> datetime:
    return parse_instant(raw, "t")


def _inside(raw: str) -> bool:
    return LOW <= _at(raw) < HIGH


def expected() -> dict[str, Any]:
    data = demo_dataset()
    account = next(c["account_id"] for c in data["channels"] if c["id"] == 1)
    reports = {r["id"]: r for r in data["reports"] if r["channel_id"] == 1}
    inside = [r for r in reports.values() if _inside(r["created_at"])]
    users = {u["id"]: u for u in data["users"]}
    states = {s["id"]: s for s in data["states"]}
    field = next(f for form in data["forms"] for f in form["fields"] if f["id"] == 2)
    images = sorted((i for i in data["report_images"] if i["report_id"] in reports and _inside(i["created_at"])),
                    key=lambda i: (_at(i["created_at"]), i["id"]))
    weeks = Counter((_at(r["created_at"]) - timedelta(days=_at(r["created_at"]).weekday())).date() for r in inside)
    choices = Counter(r.get("selections", {}).get("2") for r in inside)
    reads = [rd for rd in data["report_reads"] if rd["report_id"] in reports and _inside(rd["read_at"])]
    alerts: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for al in data["alerts"]:
        if al["report_id"] in reports and _inside(al["created_at"]):
            alerts[al["user_id"]].append(al)
    by_state = Counter(r["state_id"] for r in inside)
    by_user = Counter(r["user_id"] for r in inside)
    by_hour = Counter(_at(r["created_at"]).hour for r in inside)
    by_dow = Counter(_at(r["created_at"]).isoweekday() % 7 for r in inside)  # 0 = Sunday
    return {
        "reports_images": [ReportImage(i["id"], account, i["report_id"], _at(i["created_at"]), i["styles"])
                           for i in images],
        "reports_over_time": [OverTimeBucket(account, datetime(d.year, d.month, d.day, tzinfo=UTC), n, "week")
                              for d, n in sorted(weeks.items())],
        "reports_per_field_selection": [FieldSelectionCount(2, account, o["name"], o["value"], choices[o["value"]])
                                        for o in field["options"] if choices[o["value"]]],
        "reports_per_state": [StateCount(s, states[s]["name"], states[s]["account_id"], n)
                              for s, n in sorted(by_state.items())],
        "reports_per_user": [UserCount(u, account, n) for u, n in sorted(by_user.items())],
        "reports_per_day_hour": [DayHourCount(account, h, n) for h, n in sorted(by_hour.items())],
        "reports_per_week_day": [WeekDayCount(account, d, n) for d, n in sorted(by_dow.items())],
        "reports_read": ReadStats(len(reads), len({(rd["user_id"], rd["report_id"]) for rd in reads}),
                                  len({rd["user_id"] for rd in reads}), len({rd["report_id"] for rd in reads})),
        "user_awareness": [UserAwareness(u, users[u]["first_name"], users[u]["last_name"], len(a),
                                         len({al["report_id"] for al in a}), len({al["alert_id"] for al in a}),
                                         sum(1 for al in a if al.get("opened")))
                           for u, a in sorted(alerts.items())],
    }


def test_the_expectations_are_real_numbers() -> None:
    """Not vacuous: the example range holds most of channel 1's year, and every endpoint has rows."""
    want = expected()
    assert all(want[name] for name in want)
    assert sum(b.report_count for b in want["reports_over_time"]) > 600
    assert [f.name for f in want["reports_per_field_selection"]] == ["Resolved", "Unresolved"]
    assert want["reports_per_field_selection"][0].value == "f_1_2_2_2_1"  # the text's example option
    assert any((u.user_id, u.first_name, u.last_name) == (3, "John", "Doe") for u in want["user_awareness"])


def test_demo_answers_the_example_requests_sync() -> None:
    app = create_app({"demo_data": True, "strict": True})
    with ReportsClient("dev-api-token", base_url="http://demo/reports", transport=httpx.WSGITransport(app=app)) as c:
        assert call_all(c, START, END) == expected()


async def test_demo_answers_the_example_requests_async(base_url: str, admin: AdminClient) -> None:
    # The live reference server, given the same dataset through /_admin/seed.
    admin.seed({"reports": demo_dataset()})
    async with AsyncReportsClient("dev-api-token", base_url=f"{base_url}/reports") as c:
        assert await acall_all(c, START, END) == expected()
