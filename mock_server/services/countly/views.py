"""Countly's views plugin: ``[CLY]_view`` events aggregated per view, and ``/o?method=views``.

Per view (an id made from the app and the view name, kept in ``viewsmeta``), a month document holds
per day and hour ``t`` (visits), ``n`` (first visits of a user), ``u`` (unique visitors, decided from
the user's previous visit of that view), ``s`` (starts: the first view of a session), ``d`` (seconds),
``e`` (exits) and ``b`` (bounces); the zero document holds the unique visitors of the year, months
and ``w<k>`` weeks. Exits and bounces are the server's: when a session ends, its last view is an exit,
and a bounce if it was the session's only view.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from ...store import Store
from .buckets import day_hour, take_back, unique_levels, uniques
from .clock import Moment, Period, moment, request_time
from .dashboard import UniqueEstimate
from .jsstring import js_string
from .model import Work, add_to, agg_ns
from .reads import Snapshot, day_data, merge, zero_docs

__all__ = ["VIEW_EVENT", "close_views", "record_views", "reopen_views", "views_data", "views_names", "views_table"]

VIEW_EVENT = "[CLY]_view"
META = "viewsmeta"
FIELDS = ("t", "s", "b", "e", "d", "n", "scr")
#: ``iSortCol_0`` -> the column the dashboard's table sorts by.
COLUMNS = ("name", "u", "n", "t", "d", "s", "e", "b", "scr")


def view_id(app_id: str, name: str) -> str:
    """A stable 24-hex id per view (the real server's is a Mongo ObjectId)."""
    return hashlib.sha1(f"{app_id}\x1f{name}".encode()).hexdigest()[:24]


def _collection(vid: str) -> str:
    return f"view:{vid}"


def _js_truthy(value: Any) -> bool:
    if isinstance(value, float) and math.isnan(value):
        return False
    return value not in (None, False, 0, "")


def _seconds(raw: Any) -> int:
    """``Math.round(dur)``; a 10-digit or longer number is a timestamp some SDKs send by mistake: 0."""
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return 0
    if not math.isfinite(value):
        return 0
    rounded = math.floor(value + 0.5)
    return 0 if len(str(abs(rounded))) >= 10 else rounded


@dataclass
class _View:
    name: str
    seg: dict[str, Any]
    dur: int
    timestamp: Any


def record_views(work: Work, app: dict[str, Any], user: dict[str, Any], events: list[Any], m: Moment,
                 now: float, tz: ZoneInfo, *, view_limit: int, name_limit: int) -> list[Any]:
    """Aggregate the view events of one request; the other events are returned for the events rules."""
    views = [e for e in events if isinstance(e, dict) and e.get("key") == VIEW_EVENT]
    if not views:
        return events
    rest = [e for e in events if not (isinstance(e, dict) and e.get("key") == VIEW_EVENT)]
    # First pass, as the plugin does: a view event without ``visit`` (the SDK reporting the time spent)
    # gives its duration to the visit of the same view earlier in this request.
    items: list[_View] = []
    visits: dict[str, _View] = {}
    for event in views:
        seg = event.get("segmentation")
        if not isinstance(seg, dict) or not _js_truthy(seg.get("name")):
            continue
        name = js_string(seg["name"])
        item = _View(name[:name_limit], seg, _seconds(event.get("dur") or seg.get("dur") or 0), event.get("timestamp"))
        if _js_truthy(seg.get("visit")):
            visits[name] = item
            user["vc"] = user.get("vc", 0) + 1
        elif item.dur > 0 and name in visits:
            visits[name].dur += item.dur
            item.dur = 0
        user["lv"] = item.name
        items.append(item)
    app_id = app["app_id"]
    ns = agg_ns(app_id)
    meta: dict[str, Any] = work.doc(ns, META, {})
    seen: dict[str, float] = user.setdefault("views", {})
    for item in items:
        vid = view_id(app_id, item.name)
        if vid not in meta:
            if len(meta) >= view_limit:
                continue  # the plugin stops creating views at its limit
            meta[vid] = {"view": item.name}
        seg = item.seg
        if _js_truthy(seg.get("view")):
            meta[vid]["url"] = js_string(seg["view"])
        stamp = item.timestamp
        t = request_time(stamp, now) if stamp not in (None, "") else None
        em = m if t is None else moment(t, tz)
        month = work.doc(ns, f"{_collection(vid)}|{em.year}:{em.month}", {})
        if _js_truthy(seg.get("visit")):
            last = seen.get(vid)
            seen[vid] = em.ts if last is None else max(last, em.ts)
            day_hour(month, em, "t", 1)
            if last is None:
                day_hour(month, em, "n", 1)
            levels = unique_levels(last, em, tz)
            if "day" in levels:
                add_to(month, (str(em.day), "u"), 1)
            if "hour" in levels:
                add_to(month, (str(em.day), str(em.hour), "u"), 1)
            uniques(work.doc(ns, f"{_collection(vid)}|{em.year}:0", {}), em, levels, ("u",))
        for flag, field in (("start", "s"), ("exit", "e"), ("bounce", "b")):
            if _js_truthy(seg.get(flag)):
                day_hour(month, em, field, 1)
        if item.dur:
            day_hour(month, em, "d", item.dur)
    return rest


def close_views(work: Work, app_id: str, user: dict[str, Any], m: Moment) -> dict[str, Any] | None:
    """At a session's end its last view is an exit (and a bounce if it was the only one); what was
    recorded is returned so that a begin within the cooldown can take it back."""
    count = user.get("vc", 0)
    name = user.get("lv")
    if not count or not name:
        return None
    user["vc"] = 0
    vid = view_id(app_id, name)
    ns = agg_ns(app_id)
    if vid not in (work.get(ns, META) or {}):
        return None
    month = work.doc(ns, f"{_collection(vid)}|{m.year}:{m.month}", {})
    day_hour(month, m, "e", 1)
    if count == 1:
        day_hour(month, m, "b", 1)
    return {"id": vid, "vc": count, "y": m.year, "m": m.month, "d": m.day, "h": m.hour}


def reopen_views(work: Work, app_id: str, user: dict[str, Any], closed: dict[str, Any]) -> None:
    month = work.doc(agg_ns(app_id), f"{_collection(closed['id'])}|{closed['y']}:{closed['m']}", {})
    fields = ("e", "b") if closed["vc"] == 1 else ("e",)
    for field in fields:
        take_back(month, (str(closed["d"]), field))
        take_back(month, (str(closed["d"]), str(closed["h"]), field))
    user["vc"] = closed["vc"] + user.get("vc", 0)


# -- reads ------------------------------------------------------------------------------------------
def _num(node: Any, field: str) -> float:
    value = node.get(field) if isinstance(node, dict) else None
    return value if isinstance(value, (int, float)) else 0


def _row(store: Snapshot, app_id: str, vid: str, info: dict[str, Any], period: Period) -> dict[str, Any] | None:
    days = day_data(store, app_id, _collection(vid), list(period.days))
    sums = {f: sum(_num(days[d], f) for d in period.days) for f in FIELDS}
    if not any(sums.values()):
        return None
    u = sum(_num(days[d], "u") for d in period.days)
    if period.single_day:
        unique = u
    else:
        zeros = zero_docs(store, app_id, _collection(vid), {d.year for d in period.days})
        estimate = UniqueEstimate(zeros, days).estimate(period.days, "u")
        unique = max(sums["n"], min(estimate, sums["t"]))
    row: dict[str, Any] = {"_id": vid, "view": info["view"]}
    if "url" in info:
        row["url"] = info["url"]
    row.update({"u": u, "t": sums["t"], "s": sums["s"], "b": sums["b"], "e": sums["e"], "d": sums["d"],
                "n": sums["n"], "scr": sums["scr"], "uvalue": unique})
    for field in ("d", "scr"):
        row[f"{field}-calc"] = row[field] / row["t"] if row["t"] and row[field] else 0
    return row


def _int(raw: Any, default: int) -> int:
    try:
        return int(str(raw))
    except ValueError:
        return default


def views_table(store: Store, app_id: str, period: Period, p: dict[str, Any]) -> dict[str, Any]:
    """``method=views&action=getTable``: one row per view with data in the period, the dashboard's table
    (``iSortCol_0``/``sSortDir_0``, ``iDisplayStart``/``iDisplayLength`` (50 by default), ``sSearch``)."""
    docs = Snapshot(store)
    meta: dict[str, Any] = store.get(agg_ns(app_id), META) or {}
    search = p.get("sSearch")
    rows = []
    for vid, info in meta.items():
        if search not in (None, ""):
            try:
                if not re.search(str(search), info["view"]):
                    continue
            except re.error:
                continue
        row = _row(docs, app_id, vid, info, period)
        if row is not None:
            rows.append(row)
    column = "t"
    if p.get("iSortCol_0") not in (None, "") and p.get("sSortDir_0") not in (None, ""):
        index = _int(p["iSortCol_0"], 3)
        column = COLUMNS[index] if 0 <= index < len(COLUMNS) else "t"
    key = {"name": "view", "u": "uvalue", "d": "d-calc", "scr": "scr-calc"}.get(column, column)
    ascending = p.get("sSortDir_0") == "asc"
    rows.sort(key=lambda r: r["view"])  # ties in the name's order
    rows.sort(key=lambda r: r[key], reverse=not ascending)
    start = max(_int(p.get("iDisplayStart", 0), 0), 0)
    length = _int(p.get("iDisplayLength", 0), 0)
    page = rows[start:] if length == -1 else rows[start:start + (length or 50)]
    out: dict[str, Any] = {}
    if p.get("sEcho") not in (None, ""):
        out["sEcho"] = p["sEcho"]
    out.update({"iTotalRecords": len(rows), "iTotalDisplayRecords": len(rows), "aaData": page})
    return out


def views_names(store: Store, app_id: str) -> list[dict[str, Any]]:
    """``action=listNames``: every view's id and name."""
    meta: dict[str, Any] = store.get(agg_ns(app_id), META) or {}
    return [{"_id": vid, "view": info["view"]} for vid, info in meta.items()]


def views_data(store: Store, app_id: str, period: Period, selected: Any) -> dict[str, Any]:
    """``method=views&selectedViews=[{"view": "<id>"}]``: each view's time-bucket object."""
    data: dict[str, Any] = {}
    for entry in selected if isinstance(selected, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("view"), str):
            data[entry["view"]] = {"no-segment": merge(store, app_id, _collection(entry["view"]), period)}
    return {"appID": app_id, "data": data}
