"""What the inspector page shows, computed from the store through each service's backend.

Shapes are the page's own (chart-ready series), not any service's API; numbers come from the same code
the services' read APIs use (Cyfe's header, Countly's dashboard, the reports aggregations), so the page
and the APIs cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from .. import journal as journal_mod
from ..errors import ServiceError
from ..kit import kit
from ..services.base import Service

__all__ = ["VIEWS", "journal", "journal_entry", "stat_series"]

#: Bucket widths a StatHat chart may use, in seconds; the smallest that gives at most MAX_BUCKETS is taken.
INTERVALS = (1, 10, 60, 300, 900, 3600, 6 * 3600, 86400, 7 * 86400, 30 * 86400)
MAX_BUCKETS = 60
LIST_FIELDS = ("id", "time", "method", "path", "query", "status", "retry_count", "validation_errors", "body_bytes")


# -- the journal ----------------------------------------------------------------------------------
def journal(where: journal_mod.JournalFilter, *, after: str | None, limit: int) -> dict[str, Any]:
    """The latest entries (oldest first) that ``where`` selects, without bodies; ``after``: only those after
    that id."""
    entries = journal_mod.recent(kit().config.journal_size, where=where)
    # ``complete``: these are all the entries that match (no ``after``, or it was dropped: a reset, the
    # journal's cap), so the page replaces its rows instead of appending.
    complete = True
    if after is not None:
        ids = [e.get("id") for e in entries]
        if after in ids:
            entries, complete = entries[ids.index(after) + 1:], False
    out = [{k: e.get(k) for k in LIST_FIELDS} | {"service": journal_mod.service_of(e)} for e in entries]
    latest = entries[-1].get("id") if entries else after
    return {"requests": out[-limit:], "latest": latest, "complete": complete}


def journal_entry(entry_id: str) -> dict[str, Any] | None:
    for e in reversed(journal_mod.recent(kit().config.journal_size)):
        if e.get("id") == entry_id:
            return {**e, "service": journal_mod.service_of(e), "body_kept": "body" in e}
    return None


# -- StatHat --------------------------------------------------------------------------------------
def stat_series(stat: Mapping[str, Any], interval: int | None = None) -> dict[str, Any]:
    """A stat as its chart: counters summed per interval, values averaged per interval."""
    points = stat["points"]
    counter = stat["kind"] == "counter"
    field = "count" if counter else "value"
    if interval is None:
        span = (max(p["t"] for p in points) - min(p["t"] for p in points)) if points else 0
        interval = next((i for i in INTERVALS if span // i < MAX_BUCKETS), INTERVALS[-1])
    buckets: dict[int, list[float]] = {}
    for p in points:
        buckets.setdefault(p["t"] - p["t"] % interval, []).append(p[field])
    series = [{"t": t, "y": sum(v) if counter else sum(v) / len(v), "n": len(v)} for t, v in sorted(buckets.items())]
    values = [p[field] for p in points]
    total = sum(values) if counter else (sum(values) / len(values) if values else None)
    return {"name": stat["name"], "kind": stat["kind"], "interval": interval, "series": series,
            "points": len(points), "summary": total}


def stathat_view(service: Service, args: Mapping[str, str]) -> dict[str, Any]:
    from ..services.stathat.backend import ACCOUNTS

    backend = service.backend  # type: ignore[attr-defined]
    ezkeys = [k for k, _ in backend.store.items(ACCOUNTS)]
    raw = args.get("interval")
    interval = int(raw) if raw and raw.isdigit() and int(raw) > 0 else None
    out = []
    for owner, stat in backend.owned_stats():
        out.append({"ezkey": owner, **stat_series(stat, interval)})
    return {"accounts": len(ezkeys), "stats": out}


# -- Cyfe -----------------------------------------------------------------------------------------
def cyfe_view(service: Service, args: Mapping[str, str]) -> dict[str, Any]:
    backend = service.backend  # type: ignore[attr-defined]
    widgets = []
    for summary in backend.widgets():
        widgets.append({"key": _mask(summary["key"]), **backend.read_back(summary["key"])})
    return {"widgets": widgets}


def _mask(key: str) -> str:
    # The widget key is the credential: the page shows its start only (the journal masks it whole).
    return key[:4] + "***"


# -- Countly --------------------------------------------------------------------------------------
def countly_view(service: Service, args: Mapping[str, str]) -> dict[str, Any]:
    from ..services.countly.model import APPS, MEMBERS

    backend = service.backend  # type: ignore[attr-defined]
    store = backend.store
    admin = next((m["api_key"] for _, m in store.items(MEMBERS) if m.get("admin") and not m.get("locked")), None)
    apps = []
    for app_id, app in store.items(APPS):
        entry: dict[str, Any] = {"app_id": app_id, "name": app.get("name") or app_id,
                                 "timezone": app.get("timezone") or "UTC"}
        if admin is not None:
            p = {"api_key": admin, "app_id": app_id}
            dashboard = backend.analytics("dashboard", {**p, "period": "30days"}, None)["30days"]
            entry["dashboard"] = dashboard["dashboard"]
            entry["top"] = dashboard["top"]
            entry["period"] = dashboard["period"]
            sessions = backend.read({**p, "method": "sessions", "period": "30days"}, None)
            entry["sessions_daily"] = _daily(sessions, backend.now(), app.get("timezone"))
        apps.append(entry)
    return {"apps": apps}


def _daily(tree: Mapping[str, Any], now: float, timezone: str | None) -> list[dict[str, Any]]:
    """The last 30 days of a Countly time object: sessions (t), new users (n) and users (u) a day."""
    from zoneinfo import ZoneInfo

    try:
        zone = ZoneInfo(timezone or "UTC")
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    today = datetime.fromtimestamp(now, zone).date()
    out = []
    for back in range(29, -1, -1):
        day = today - timedelta(days=back)
        cell = tree.get(str(day.year), {}).get(str(day.month), {}).get(str(day.day), {})
        out.append({"date": day.isoformat(), "t": cell.get("t", 0), "n": cell.get("n", 0), "u": cell.get("u", 0)})
    return out


# -- Taplytics ------------------------------------------------------------------------------------
def taplytics_view(service: Service, args: Mapping[str, str]) -> dict[str, Any]:
    from ..services.taplytics.backend import PUSHES, USERS

    backend = service.backend  # type: ignore[attr-defined]
    store = backend.store
    latest = store.items(USERS, max(0, store.count(USERS) - 100))
    users = [{k: v for k, v in u.items() if k != "_seq"} for _, u in latest]
    pushes = []
    for push_id, push in store.items(PUSHES):
        try:
            audience = backend.audience(push_id)
        except ServiceError:
            audience = None
        pushes.append({**{k: v for k, v in push.items() if k != "_seq"}, "audience": audience})
    return {"counts": backend.counts(), "users": users, "pushes": pushes}


# -- reports --------------------------------------------------------------------------------------
def reports_view(service: Service, args: Mapping[str, str]) -> dict[str, Any]:
    from ..services.reports.backend import CHANNELS, EXTENT

    backend = service.backend  # type: ignore[attr-defined]
    store = backend.store
    channels = []
    for key, channel in store.items(CHANNELS):
        extent = store.get(EXTENT, key)
        entry: dict[str, Any] = {"id": channel["id"], "name": channel["name"], "range": None}
        if extent:
            start = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=extent[0])
            end = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=extent[1] + 1)
            p = {"channel_id": str(channel["id"]), "start_date": start.date().isoformat(),
                 "end_date": end.date().isoformat()}
            entry["range"] = [p["start_date"], p["end_date"]]
            entry["over_time"] = backend.reports_over_time(p)
            entry["per_day_hour"] = backend.reports_per_day_hour(p)
            entry["per_week_day"] = backend.reports_per_week_day(p)
            entry["per_state"] = backend.reports_per_state(p)
        channels.append(entry)
    return {"state": backend.state(), "channels": channels}


VIEWS: dict[str, Callable[[Service, Mapping[str, str]], dict[str, Any]]] = {
    "stathat": stathat_view, "cyfe": cyfe_view, "countly": countly_view, "taplytics": taplytics_view,
    "reports": reports_view,
}
