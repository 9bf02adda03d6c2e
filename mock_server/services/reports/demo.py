"""The demo dataset (``mock-server --demo-data``): channel 1 with reports across 2016, and a little more.

Generated from a fixed random seed, so every start gives the same numbers. It fits the API text's
examples: field 2 is a Radio field whose option "Resolved" has the value ``f_1_2_2_2_1``, user 3 is
John Doe, and the example range 2016-01-01 .. 2016-11-11 on channel 1 answers every endpoint.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.reports import format_instant

__all__ = ["demo_dataset"]

_YEAR = datetime(2016, 1, 1, tzinfo=UTC)
_SECONDS_2016 = 366 * 24 * 3600


def _options(field_id: int, names: list[str]) -> list[dict[str, str]]:
    # Option values follow the text's example pattern: f_<account>_<form>_<field>_<field>_<n>.
    return [{"name": n, "value": f"f_1_2_{field_id}_{field_id}_{i}"} for i, n in enumerate(names, 1)]


def demo_dataset() -> dict[str, Any]:
    rng = random.Random(2016)
    names = [("Ada", "Lovelace"), ("Grace", "Hopper"), ("John", "Doe"), ("Jane", "Roe"), ("Alan", "Turing")]
    users = [{"id": i, "account_id": 1, "first_name": f, "last_name": last} for i, (f, last) in enumerate(names, 1)]
    users.append({"id": 6, "account_id": 2, "first_name": "Other", "last_name": "Person"})
    states = [{"id": i, "account_id": 1, "name": n} for i, n in enumerate(["Open", "In progress", "Resolved",
                                                                          "Closed"], 1)]
    states.append({"id": 5, "account_id": 2, "name": "Open"})
    options = {2: _options(2, ["Resolved", "Unresolved"]), 3: _options(3, ["Low", "Medium", "High"]),
               4: _options(4, ["Electrical", "Plumbing", "HVAC", "Structural"])}
    fields: list[dict[str, Any]] = [
        {"id": 1, "name": "Description", "field_type": "Text"},
        {"id": 2, "name": "Resolution", "field_type": "Radio", "options": options[2]},
        {"id": 3, "name": "Priority", "field_type": "DropDown", "options": options[3]},
        {"id": 4, "name": "Area", "field_type": "Category", "options": options[4]},
    ]
    reports: list[dict[str, Any]] = []
    times: dict[int, datetime] = {}

    def add_report(channel_id: int, user_ids: list[int], state_ids: list[int], selections: bool) -> None:
        id_ = len(reports) + 1
        at = _YEAR + timedelta(seconds=rng.randrange(_SECONDS_2016), milliseconds=rng.randrange(1000))
        times[id_] = at
        report: dict[str, Any] = {"id": id_, "channel_id": channel_id, "user_id": rng.choice(user_ids),
                                  "state_id": rng.choice(state_ids), "created_at": format_instant(at)}
        if selections:
            report["selections"] = {
                "1": "free text",
                "2": rng.choice(options[2])["value"],
                "3": rng.choice(options[3])["value"],
                "4": [o["value"] for o in rng.sample(options[4], rng.randint(1, 2))],
            }
        reports.append(report)

    for _ in range(800):
        add_report(1, [1, 2, 3, 3, 4, 5], [1, 2, 3, 3, 4], selections=True)
    for _ in range(100):
        add_report(2, [1, 2, 3], [1, 2], selections=False)
    for _ in range(20):
        add_report(3, [6], [5], selections=False)

    channel1 = [r for r in reports if r["channel_id"] == 1]
    images = [{"id": i, "report_id": r["id"],
               "created_at": format_instant(times[r["id"]] + timedelta(minutes=rng.randint(1, 90))),
               "styles": {"thumb": f"https://s3.to/reports/{r['id']}/thumb.jpg",
                          "medium": f"https://s3.to/reports/{r['id']}/medium.jpg"}}
              for i, r in enumerate(channel1[::3], 1)]
    reads = []
    for _ in range(2000):
        r = rng.choice(channel1)
        reads.append({"user_id": rng.randint(1, 5), "report_id": r["id"],
                      "read_at": format_instant(times[r["id"]] + timedelta(hours=rng.randint(1, 24 * 20)))})
    alerts = []
    for alert_id in range(1, 61):
        r = rng.choice(channel1[:25])  # a few reports raise several alerts
        for user_id in rng.sample(range(1, 6), rng.randint(1, 3)):
            for resend in range(rng.randint(1, 3)):
                alerts.append({"alert_id": alert_id, "user_id": user_id, "report_id": r["id"],
                               "created_at": format_instant(times[r["id"]] + timedelta(hours=1 + resend)),
                               "opened": rng.random() < 0.4})
    return {
        "accounts": [{"id": 1, "name": "Acme Field Services"}, {"id": 2, "name": "Other Company"}],
        "channels": [{"id": 1, "account_id": 1, "name": "Maintenance"}, {"id": 2, "account_id": 1, "name": "Safety"},
                     {"id": 3, "account_id": 2, "name": "Other"}],
        "users": users,
        "states": states,
        "forms": [{"id": 2, "account_id": 1, "name": "Incident", "fields": fields}],
        "reports": reports,
        "report_images": images,
        "report_reads": reads,
        "alerts": alerts,
    }
