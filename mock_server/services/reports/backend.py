"""The reports service's rules and state: the data model, its seed, and the nine aggregations.

Everything is in the store (see the namespaces below). Reports, images, reads and alerts live in one
namespace per channel, so an aggregation reads only its channel. Report counts are also kept
pre-aggregated when reports are inserted: per channel and UTC day a document of counts per hour, and per
channel and UTC hour the exact report times. ``reports_over_time``, ``reports_per_day_hour`` and
``reports_per_week_day`` sum the hour counts of the whole hours in the range and scan only the (at most
two) partly covered edge hours exactly, so their cost follows the range, not the number of reports.
Instants are kept to the millisecond; a range is half-open: ``start_date <= t < end_date``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas import RuleError
from schemas.reports import AWARENESS_FIELDS, READ_FIELDS, format_instant, parse_instant

from ...store import Store
from .errors import ReportsError, invalid, missing, not_found

__all__ = ["DEV_TOKEN", "ENDPOINTS", "SELECTION_TYPES", "ReportsBackend", "range_width"]

DEV_TOKEN = "dev-api-token"
#: The field types reports_per_field_selection accepts (the API text's list).
SELECTION_TYPES = frozenset({"Category", "DropDown", "Radio"})
#: One value per report for these; Category takes one or more.
SINGLE_CHOICE = frozenset({"DropDown", "Radio"})

TOKENS = "reports.tokens"  # token -> {}
ACCOUNTS = "reports.accounts"  # id -> {id, name}
CHANNELS = "reports.channels"  # id -> {id, account_id, name}
USERS = "reports.users"  # id -> {id, account_id, first_name, last_name}
STATES = "reports.states"  # id -> {id, account_id, name}
FORMS = "reports.forms"  # id -> {id, account_id, name, field_ids}
FIELDS = "reports.fields"  # id -> {id, form_id, account_id, name, field_type, options: [{name, value}]}
REPORT_INDEX = "reports.report_index"  # report id -> {channel_id, account_id}
IMAGE_INDEX = "reports.image_index"  # image id -> {channel_id}
DAYS = "reports.days"  # "<channel>:<UTC day number>" -> {"<hour of day>": count}
HOURS = "reports.hours"  # "<channel>:<UTC hour number>" -> [report time in ms, ...]
EXTENT = "reports.extent"  # "<channel>" -> [first, last UTC day number holding a report]
META = "reports.meta"  # "read_seq", "alert_seq"
_WHAT = {ACCOUNTS: "account", CHANNELS: "channel", USERS: "user", STATES: "state", FORMS: "form", FIELDS: "field",
         REPORT_INDEX: "report", IMAGE_INDEX: "report image"}

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HOUR_MS = 3_600_000
MS = timedelta(milliseconds=1)


def _per_channel(thing: str) -> Callable[[int], str]:
    return lambda channel_id: f"reports.{thing}.{channel_id}"


REPORTS = _per_channel("reports")  # id -> {id, user_id, state_id, t, selections: {"<field id>": [value]}}
IMAGES = _per_channel("images")  # id -> {id, report_id, account_id, t, styles}
READS = _per_channel("reads")  # seq -> {user_id, report_id, t}
ALERTS = _per_channel("alerts")  # seq -> {alert_id, user_id, report_id, t, opened}


def to_ms(value: datetime) -> int:
    return (value - EPOCH) // MS


def from_ms(ms: int) -> datetime:
    return EPOCH + ms * MS


def range_width(start_ms: int, end_ms: int) -> str:
    """The over-time bucket width for a range: ≤ 2 days hour, ≤ 62 days day, ≤ 366 days week, else month."""
    days = (end_ms - start_ms) / (24 * HOUR_MS)
    if days <= 2:
        return "hour"
    if days <= 62:
        return "day"
    if days <= 366:
        return "week"
    return "month"


def bucket_start(hour: int, width: str) -> datetime:
    """The start of the bucket that holds UTC hour number ``hour``: its own hour, day, ISO week or month."""
    at = EPOCH + timedelta(hours=hour)
    if width == "hour":
        return at
    day = at.replace(hour=0)
    if width == "day":
        return day
    if width == "week":
        return day - timedelta(days=day.weekday())  # Monday
    return day.replace(day=1)


def dow(hour: int) -> int:
    """Postgres ``dow`` of UTC hour number ``hour``: 0 = Sunday ... 6 = Saturday (1970-01-01 was a Thursday)."""
    return (hour // 24 + 4) % 7


@dataclass(frozen=True)
class Window:
    channel_id: int
    start_ms: int
    end_ms: int

    def holds(self, t: int) -> bool:
        return self.start_ms <= t < self.end_ms


# -- parameters ---------------------------------------------------------------------------------

def _positive_int(p: Mapping[str, str], name: str) -> int:
    raw = p.get(name, "").strip()
    if not raw:
        raise missing(name, "a positive integer")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18 or int(raw) < 1:
        raise invalid(name, f"{raw[:40]!r} is not a positive integer")
    return int(raw)


def _instant(p: Mapping[str, str], name: str) -> int:
    raw = p.get(name, "").strip()
    if not raw:
        raise missing(name, "an ISO 8601 timestamp such as 2016-01-01T00:00:00Z")
    try:
        return to_ms(parse_instant(raw, name))
    except RuleError as exc:
        raise invalid(name, str(exc).removeprefix(f"{name}: ")) from None


def _fields(p: Mapping[str, str], allowed: tuple[str, ...]) -> list[str]:
    """The ``fields`` asked for (comma-separated), in the documented order; the first one if none."""
    asked = {f.strip() for f in p.get("fields", "").split(",") if f.strip()}
    unknown = sorted(asked - set(allowed))
    if unknown:
        raise invalid("fields", f"unknown field {unknown[0]!r}; choose from {', '.join(allowed)}")
    return [f for f in allowed if f in asked] or [allowed[0]]


def window(p: Mapping[str, str]) -> Window:
    """The three parameters every endpoint takes, checked in order, before any lookup."""
    channel_id = _positive_int(p, "channel_id")
    start_ms = _instant(p, "start_date")
    end_ms = _instant(p, "end_date")
    if start_ms > end_ms:
        raise invalid("start_date", f"{format_instant(from_ms(start_ms))} is after end_date "
                                    f"{format_instant(from_ms(end_ms))}")
    return Window(channel_id, start_ms, end_ms)


# -- seeding ------------------------------------------------------------------------------------

def _seed_error(path: str, message: str) -> ReportsError:
    return ReportsError(400, "invalid_seed", f"{path}: {message}", parameter=path)


class _Pending:
    """One seed call's objects, checked against the store and each other before anything is written."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.new: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
        self._seen: dict[tuple[str, int], Any] = {}

    def get(self, ns: str, id_: int) -> Any:
        if id_ in self.new[ns]:
            return self.new[ns][id_]
        key = (ns, id_)
        if key not in self._seen:  # many reports name the same few users: look each up once per call
            self._seen[key] = self.store.get(ns, str(id_))
        return self._seen[key]

    def add(self, ns: str, path: str, doc: dict[str, Any]) -> None:
        if self.get(ns, doc["id"]) is not None:
            raise _seed_error(f"{path}.id", f"{_WHAT[ns]} {doc['id']} already exists")
        self.new[ns][doc["id"]] = doc

    def ref(self, ns: str, path: str, id_: int, account_id: int | None = None) -> Any:
        """The object ``id_`` names; a 400 naming ``path`` if it does not exist or is another account's."""
        doc = self.get(ns, id_)
        what = _WHAT[ns]
        if doc is None:
            raise _seed_error(path, f"no {what} {id_}")
        if account_id is not None and doc.get("account_id") != account_id:
            raise _seed_error(path, f"{what} {id_} belongs to account {doc.get('account_id')}, not {account_id}")
        return doc


def _seed_time(raw: str, path: str) -> int:
    try:
        return to_ms(parse_instant(raw, path))
    except RuleError as exc:
        raise _seed_error(path, str(exc).removeprefix(f"{path}: ")) from None


def _selections(pending: _Pending, raw: Mapping[str, Any], account_id: int, path: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in raw.items():
        where = f"{path}.selections.{key}"
        field = pending.ref(FIELDS, where, int(key), account_id)
        values = [value] if isinstance(value, str) else list(value)
        if len(set(values)) != len(values):
            raise _seed_error(where, "a value is selected twice")
        if field["field_type"] in SINGLE_CHOICE and len(values) != 1:
            raise _seed_error(where, f"a {field['field_type']} field takes exactly one value")
        if field["options"]:
            known = {o["value"] for o in field["options"]}
            for v in values:
                if v not in known:
                    raise _seed_error(where, f"{v!r} is not an option of field {field['id']}")
        out[str(field["id"])] = values
    return out


# -- the backend --------------------------------------------------------------------------------

class ReportsBackend:
    def __init__(self, store: Store) -> None:
        self.store = store

    # -- state ----------------------------------------------------------------------------------
    def reset(self, *, demo: bool) -> None:
        self.store.put(TOKENS, DEV_TOKEN, {})
        if demo:
            from .demo import demo_dataset

            self.seed(demo_dataset())

    def authenticate(self, header: str | None) -> None:
        scheme, _, token = (header or "").strip().partition(" ")
        if not header:
            message = "Authorization: missing; send Authorization: Bearer <token>"
        elif scheme.lower() != "bearer" or not token.strip():
            message = "Authorization: must be Bearer <token>"
        elif self.store.get(TOKENS, token.strip()) is None:
            message = "Authorization: unknown token"
        else:
            return
        raise ReportsError(401, "unauthorized", message, parameter="Authorization",
                           headers={"WWW-Authenticate": 'Bearer realm="reports"'})

    def seed(self, data: Mapping[str, Any]) -> dict[str, int]:
        """Add everything in ``data`` (already schema-checked): all of it, or nothing and a 400 naming the path.

        This is also the bulk insert: aggregates are updated once per touched day and hour, not per report.
        One transaction, so no other worker process writes between the checks and the writes.
        """
        with self.store.transaction():
            self._seed(data)
        return {kind: len(data.get(kind, [])) for kind in
                ("accounts", "channels", "users", "states", "forms", "reports", "report_images", "report_reads",
                 "alerts", "tokens")}

    def _seed(self, data: Mapping[str, Any]) -> None:
        pending = _Pending(self.store)
        for i, a in enumerate(data.get("accounts", [])):
            pending.add(ACCOUNTS, f"accounts[{i}]", {"id": a["id"], "name": a["name"]})
        for i, c in enumerate(data.get("channels", [])):
            pending.ref(ACCOUNTS, f"channels[{i}].account_id", c["account_id"])
            pending.add(CHANNELS, f"channels[{i}]", {"id": c["id"], "account_id": c["account_id"], "name": c["name"]})
        for i, u in enumerate(data.get("users", [])):
            pending.ref(ACCOUNTS, f"users[{i}].account_id", u["account_id"])
            pending.add(USERS, f"users[{i}]", {k: u[k] for k in ("id", "account_id", "first_name", "last_name")})
        for i, s in enumerate(data.get("states", [])):
            pending.ref(ACCOUNTS, f"states[{i}].account_id", s["account_id"])
            pending.add(STATES, f"states[{i}]", {"id": s["id"], "account_id": s["account_id"], "name": s["name"]})
        for i, f in enumerate(data.get("forms", [])):
            path = f"forms[{i}]"
            pending.ref(ACCOUNTS, f"{path}.account_id", f["account_id"])
            field_ids = []
            for j, fld in enumerate(f.get("fields", [])):
                values = [o["value"] for o in fld.get("options", [])]
                if len(set(values)) != len(values):
                    raise _seed_error(f"{path}.fields[{j}].options", "two options have the same value")
                if fld["field_type"] in SELECTION_TYPES and not values:
                    raise _seed_error(f"{path}.fields[{j}].options", f"a {fld['field_type']} field needs options")
                pending.add(FIELDS, f"{path}.fields[{j}]", {
                    "id": fld["id"], "form_id": f["id"], "account_id": f["account_id"], "name": fld["name"],
                    "field_type": fld["field_type"], "options": [dict(o) for o in fld.get("options", [])]})
                field_ids.append(fld["id"])
            pending.add(FORMS, path, {"id": f["id"], "account_id": f["account_id"], "name": f["name"],
                                      "field_ids": field_ids})
        reports: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for i, r in enumerate(data.get("reports", [])):
            path = f"reports[{i}]"
            channel = pending.ref(CHANNELS, f"{path}.channel_id", r["channel_id"])
            account_id = channel["account_id"]
            pending.ref(USERS, f"{path}.user_id", r["user_id"], account_id)
            pending.ref(STATES, f"{path}.state_id", r["state_id"], account_id)
            doc = {"id": r["id"], "user_id": r["user_id"], "state_id": r["state_id"],
                   "t": _seed_time(r["created_at"], f"{path}.created_at"),
                   "selections": _selections(pending, r.get("selections", {}), account_id, path)}
            pending.add(REPORT_INDEX, path, {"id": r["id"], "channel_id": channel["id"], "account_id": account_id})
            reports[channel["id"]].append(doc)
        images: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for i, img in enumerate(data.get("report_images", [])):
            path = f"report_images[{i}]"
            report = pending.ref(REPORT_INDEX, f"{path}.report_id", img["report_id"])
            pending.add(IMAGE_INDEX, path, {"id": img["id"], "channel_id": report["channel_id"]})
            images[report["channel_id"]].append({
                "id": img["id"], "report_id": img["report_id"], "account_id": report["account_id"],
                "t": _seed_time(img["created_at"], f"{path}.created_at"), "styles": dict(img["styles"])})
        reads: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for i, rd in enumerate(data.get("report_reads", [])):
            path = f"report_reads[{i}]"
            report = pending.ref(REPORT_INDEX, f"{path}.report_id", rd["report_id"])
            pending.ref(USERS, f"{path}.user_id", rd["user_id"], report["account_id"])
            reads[report["channel_id"]].append({"user_id": rd["user_id"], "report_id": rd["report_id"],
                                                "t": _seed_time(rd["read_at"], f"{path}.read_at")})
        alerts: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for i, al in enumerate(data.get("alerts", [])):
            path = f"alerts[{i}]"
            report = pending.ref(REPORT_INDEX, f"{path}.report_id", al["report_id"])
            pending.ref(USERS, f"{path}.user_id", al["user_id"], report["account_id"])
            alerts[report["channel_id"]].append({
                "alert_id": al.get("alert_id"), "user_id": al["user_id"], "report_id": al["report_id"],
                "t": _seed_time(al["created_at"], f"{path}.created_at"), "opened": bool(al.get("opened", False))})

        # Everything is checked: now write. (The memory store has no rollback, hence checks first.)
        for token in data.get("tokens", []):
            self.store.put(TOKENS, token, {})
        for ns, by_id in pending.new.items():
            for id_, doc in by_id.items():
                self.store.put(ns, str(id_), doc)
        for channel_id, docs in reports.items():
            self._insert_reports(channel_id, docs)
        for channel_id, docs in images.items():
            for image in docs:
                self.store.put(IMAGES(channel_id), str(image["id"]), image)
        self._append(READS, "read_seq", reads)
        self._append(ALERTS, "alert_seq", alerts, id_field="alert_id")

    def _insert_reports(self, channel_id: int, docs: list[dict[str, Any]]) -> None:
        """Store reports and fold them into the per-day hour counts and per-hour times, one write per doc."""
        days: dict[int, Counter[str]] = defaultdict(Counter)
        hours: dict[int, list[int]] = defaultdict(list)
        for doc in docs:
            self.store.put(REPORTS(channel_id), str(doc["id"]), doc)
            hour = doc["t"] // HOUR_MS
            days[hour // 24][str(hour % 24)] += 1
            hours[hour].append(doc["t"])
        extent = self.store.get(EXTENT, str(channel_id)) or [min(days), max(days)]
        self.store.put(EXTENT, str(channel_id), [min(extent[0], *days), max(extent[1], *days)])
        for day, counts in days.items():
            key = f"{channel_id}:{day}"
            stored = Counter(self.store.get(DAYS, key) or {})
            stored.update(counts)
            self.store.put(DAYS, key, dict(stored))
        for hour, times in hours.items():
            key = f"{channel_id}:{hour}"
            self.store.put(HOURS, key, sorted((self.store.get(HOURS, key) or []) + times))

    def _append(self, ns: Callable[[int], str], seq_name: str, by_channel: Mapping[int, list[dict[str, Any]]],
                id_field: str | None = None) -> None:
        seq = int(self.store.get(META, seq_name) or 0)
        for channel_id, docs in by_channel.items():
            for doc in docs:
                seq += 1
                if id_field and doc[id_field] is None:
                    doc[id_field] = -seq  # its own alert: unique, and never equal to a given id
                self.store.put(ns(channel_id), f"{seq:012d}", doc)
        self.store.put(META, seq_name, seq)

    def state(self) -> dict[str, int]:
        channels = [int(k) for k, _ in self.store.items(CHANNELS)]
        return {"accounts": self.store.count(ACCOUNTS), "channels": len(channels),
                "users": self.store.count(USERS), "reports": self.store.count(REPORT_INDEX),
                "report_images": self.store.count(IMAGE_INDEX),
                "report_reads": sum(self.store.count(READS(c)) for c in channels),
                "alerts": sum(self.store.count(ALERTS(c)) for c in channels)}

    # -- lookups --------------------------------------------------------------------------------
    def channel(self, w: Window) -> dict[str, Any]:
        channel: dict[str, Any] | None = self.store.get(CHANNELS, str(w.channel_id))
        if channel is None:
            raise not_found("channel_id", f"no channel {w.channel_id}")
        return channel

    def _reports(self, w: Window) -> Iterable[dict[str, Any]]:
        return (r for _, r in self.store.items(REPORTS(w.channel_id)) if w.holds(r["t"]))

    def hourly(self, w: Window) -> Counter[int]:
        """Reports per UTC hour number in the window: whole hours from the day documents, edge hours exactly."""
        counts: Counter[int] = Counter()
        first_whole = -(-w.start_ms // HOUR_MS)
        end_whole = w.end_ms // HOUR_MS  # exclusive
        edges = {ms // HOUR_MS for ms in (w.start_ms, w.end_ms) if ms % HOUR_MS}
        for hour in edges:
            times = self.store.get(HOURS, f"{w.channel_id}:{hour}") or []
            n = sum(1 for t in times if w.holds(t))
            if n:
                counts[hour] += n
        extent = self.store.get(EXTENT, str(w.channel_id))
        if first_whole < end_whole and extent:
            # Only the days that can hold reports: a range of centuries costs no more than the data's span.
            for day in range(max(first_whole // 24, extent[0]), min((end_whole - 1) // 24, extent[1]) + 1):
                for hour_of_day, n in (self.store.get(DAYS, f"{w.channel_id}:{day}") or {}).items():
                    hour = day * 24 + int(hour_of_day)
                    if first_whole <= hour < end_whole:
                        counts[hour] += n
        return counts

    # -- the nine endpoints ---------------------------------------------------------------------
    def reports_images(self, p: Mapping[str, str]) -> list[dict[str, Any]]:
        w = window(p)
        self.channel(w)
        images = sorted((img for _, img in self.store.items(IMAGES(w.channel_id)) if w.holds(img["t"])),
                        key=lambda img: (img["t"], img["id"]))
        return [{"report_image_id": img["id"], "account_id": img["account_id"], "report_id": img["report_id"],
                 "created_at": format_instant(from_ms(img["t"])), "styles": img["styles"]} for img in images]

    def reports_over_time(self, p: Mapping[str, str]) -> list[dict[str, Any]]:
        w = window(p)
        account_id = self.channel(w)["account_id"]
        width = range_width(w.start_ms, w.end_ms)
        buckets: Counter[datetime] = Counter()
        starts: dict[int, datetime] = {}  # wider than an hour: one bucket per UTC day, computed once a day
        for hour, n in self.hourly(w).items():
            if width == "hour":
                buckets[bucket_start(hour, width)] += n
                continue
            day = hour // 24
            if day not in starts:
                starts[day] = bucket_start(day * 24, width)
            buckets[starts[day]] += n
        return [{"account_id": account_id, "datetime_range_start": format_instant(start), "report_count": n,
                 "datetime_range_width": width} for start, n in sorted(buckets.items())]

    def reports_per_field_selection(self, p: Mapping[str, str]) -> list[dict[str, Any]]:
        w = window(p)
        field_id = _positive_int(p, "field_id")
        account_id = self.channel(w)["account_id"]
        field: dict[str, Any] | None = self.store.get(FIELDS, str(field_id))
        if field is None or field["account_id"] != account_id:
            raise not_found("field_id", f"no field {field_id} in the account of channel {w.channel_id}")
        if field["field_type"] not in SELECTION_TYPES:
            raise invalid("field_id", f"field {field_id} is a {field['field_type']} field; only "
                                      f"{', '.join(sorted(SELECTION_TYPES))} fields are supported")
        counts: Counter[str] = Counter()
        for r in self._reports(w):
            counts.update(r["selections"].get(str(field_id), []))
        return [{"field_id": field_id, "account_id": account_id, "name": o["name"], "value": o["value"],
                 "report_count": counts[o["value"]]} for o in field["options"] if counts[o["value"]]]

    def reports_per_state(self, p: Mapping[str, str]) -> list[dict[str, Any]]:
        w = window(p)
        self.channel(w)
        counts = Counter(r["state_id"] for r in self._reports(w))
        rows = []
        for state_id in sorted(counts):
            state = self.store.get(STATES, str(state_id))
            rows.append({"id": state_id, "name": state["name"], "account_id": state["account_id"],
                         "report_count": counts[state_id]})
        return rows

    def reports_per_user(self, p: Mapping[str, str]) -> list[dict[str, Any]]:
        w = window(p)
        account_id = self.channel(w)["account_id"]
        counts = Counter(r["user_id"] for r in self._reports(w))
        return [{"user_id": user_id, "account_id": account_id, "report_count": counts[user_id]}
                for user_id in sorted(counts)]

    def reports_per_day_hour(self, p: Mapping[str, str]) -> list[dict[str, Any]]:
        w = window(p)
        account_id = self.channel(w)["account_id"]
        counts: Counter[int] = Counter()
        for hour, n in self.hourly(w).items():
            counts[hour % 24] += n
        return [{"account_id": account_id, "hour": h, "report_count": counts[h]} for h in sorted(counts)]

    def reports_per_week_day(self, p: Mapping[str, str]) -> list[dict[str, Any]]:
        w = window(p)
        account_id = self.channel(w)["account_id"]
        counts: Counter[int] = Counter()
        for hour, n in self.hourly(w).items():
            counts[dow(hour)] += n
        return [{"account_id": account_id, "dow": d, "report_count": counts[d]} for d in sorted(counts)]

    def reports_read(self, p: Mapping[str, str]) -> dict[str, int]:
        w = window(p)
        fields = _fields(p, READ_FIELDS)
        self.channel(w)
        reads = [rd for _, rd in self.store.items(READS(w.channel_id)) if w.holds(rd["t"])]
        values = {
            "total_reads": len(reads),
            "unique_reads": len({(rd["user_id"], rd["report_id"]) for rd in reads}),
            "report_readers": len({rd["user_id"] for rd in reads}),
            "reports_seen": len({rd["report_id"] for rd in reads}),
        }
        return {f: values[f] for f in fields}

    def user_awareness(self, p: Mapping[str, str]) -> list[dict[str, Any]]:
        w = window(p)
        fields = _fields(p, AWARENESS_FIELDS)
        self.channel(w)
        per_user: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for _, al in self.store.items(ALERTS(w.channel_id)):
            if w.holds(al["t"]):
                per_user[al["user_id"]].append(al)
        rows = []
        for user_id in sorted(per_user):
            alerts = per_user[user_id]
            user = self.store.get(USERS, str(user_id))
            values = {
                "total_alerts": len(alerts),
                "alert_source_reports": len({al["report_id"] for al in alerts}),
                "unique_alerts": len({al["alert_id"] for al in alerts}),
                "alerts_opened": sum(1 for al in alerts if al["opened"]),
            }
            rows.append({**{f: values[f] for f in fields}, "user_id": user_id,
                         "first_name": user["first_name"], "last_name": user["last_name"]})
        return rows


#: Endpoint name → (the backend method, the schema of its reply in schemas/reports/analytics.json).
ENDPOINTS: dict[str, tuple[Callable[[ReportsBackend, Mapping[str, str]], Any], str]] = {
    "reports_images": (ReportsBackend.reports_images, "images"),
    "reports_over_time": (ReportsBackend.reports_over_time, "over_time"),
    "reports_per_field_selection": (ReportsBackend.reports_per_field_selection, "field_selection"),
    "reports_per_state": (ReportsBackend.reports_per_state, "per_state"),
    "reports_per_user": (ReportsBackend.reports_per_user, "per_user"),
    "reports_per_day_hour": (ReportsBackend.reports_per_day_hour, "per_day_hour"),
    "reports_per_week_day": (ReportsBackend.reports_per_week_day, "per_week_day"),
    "reports_read": (ReportsBackend.reports_read, "read"),
    "user_awareness": (ReportsBackend.user_awareness, "user_awareness"),
}
