"""The reports data model read back as a ``/_admin/seed`` reports section: seeding it into a server that
holds none of its ids rebuilds the same state (the aggregates are recomputed from the reports)."""

from __future__ import annotations

from typing import Any

from schemas.reports import format_instant

from ...store import Store
from .backend import (
    ACCOUNTS,
    ALERTS,
    CHANNELS,
    FIELDS,
    FORMS,
    IMAGES,
    READS,
    REPORTS,
    STATES,
    TOKENS,
    USERS,
    from_ms,
)

__all__ = ["export_seed"]


def _when(ms: int) -> str:
    return format_instant(from_ms(ms))


def export_seed(store: Store) -> dict[str, list[Any]]:
    """Every object, in the order the seed checks references (accounts before what points at them)."""
    fields = {key: f for key, f in store.items(FIELDS)}
    channels = [c for _, c in store.items(CHANNELS)]
    out: dict[str, list[Any]] = {
        "tokens": [key for key, _ in store.items(TOKENS)],
        "accounts": [a for _, a in store.items(ACCOUNTS)],
        "channels": channels,
        "users": [u for _, u in store.items(USERS)],
        "states": [s for _, s in store.items(STATES)],
        "forms": [{"id": f["id"], "account_id": f["account_id"], "name": f["name"],
                   "fields": [{k: fields[str(i)][k] for k in ("id", "name", "field_type", "options")}
                              for i in f["field_ids"]]} for _, f in store.items(FORMS)],
        "reports": [], "report_images": [], "report_reads": [], "alerts": [],
    }
    for channel in channels:
        cid = channel["id"]
        for _, r in store.items(REPORTS(cid)):
            report = {"id": r["id"], "channel_id": cid, "user_id": r["user_id"], "state_id": r["state_id"],
                      "created_at": _when(r["t"])}
            if r["selections"]:
                report["selections"] = r["selections"]
            out["reports"].append(report)
        out["report_images"] += [{"id": i["id"], "report_id": i["report_id"], "created_at": _when(i["t"]),
                                  "styles": i["styles"]} for _, i in store.items(IMAGES(cid))]
        out["report_reads"] += [{"user_id": rd["user_id"], "report_id": rd["report_id"], "read_at": _when(rd["t"])}
                                for _, rd in store.items(READS(cid))]
        for _, al in store.items(ALERTS(cid)):
            alert = {"user_id": al["user_id"], "report_id": al["report_id"], "created_at": _when(al["t"]),
                     "opened": al["opened"]}
            if al["alert_id"] is not None and al["alert_id"] > 0:  # a negative id is one the seed made up
                alert["alert_id"] = al["alert_id"]
            out["alerts"].append(alert)
    return out
