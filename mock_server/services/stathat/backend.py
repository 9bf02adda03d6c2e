"""StatHat's rules and state: accounts (ezkeys), stats created on first use, classic keys.

The API text says the ezkey "defaults to email address", and every public client sends the account's
email: an ezkey that is an email address is an account, created on first use as a stat is. Any other
unknown ezkey is refused (401) unless ``accept_any_ezkey`` is set, and the server logs the refusal once
per key with what to do, since most clients look only at the HTTP status (200) and would report success.

Counters sum per second; values keep every point. A JSON batch is checked whole before anything is
recorded, so a bad item refuses the batch and nothing of it is kept.

A stat's points live in a namespace of their own (``points_ns``): a counter's second is one document, read and
written alone, and a value is appended; so a write costs the same after a day of points as after one. A stat
written by an older version kept its points inside its own document: they are read from there too, and moved out
on the stat's next write.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import Any, NamedTuple

from schemas import RuleError
from schemas.stathat import MAX_T, expand_stat
from schemas.wire import parse_number

from ...errors import ServiceError
from ...store import Store

__all__ = ["DEV_CLASSIC", "DEV_EZKEY", "StatHatBackend", "Update"]

DEV_EZKEY = "dev-ezkey"
DEV_CLASSIC = (
    {"name": "classic counter", "kind": "counter", "key": "dev-counter-key", "ukey": "dev-ukey"},
    {"name": "classic value", "kind": "value", "key": "dev-value-key", "ukey": "dev-ukey"},
)

log = logging.getLogger("mock_server.stathat")

ACCOUNTS = "stathat.accounts"  # ezkey -> {}
#: An email address as an account name: something@domain.tld, no spaces.
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
STATS = "stathat.stats"  # "<ezkey>\x1f<name>" -> {"name", "kind"}
CLASSIC = "stathat.classic"  # "<key>\x1f<ukey>" -> {"ezkey", "name", "kind"}


def points_ns(ezkey: str, name: str) -> str:
    """A stat's points: a counter's ``"<t>" -> {"t", "count"}``, one a second; a value's appended in order."""
    return f"stathat.points\x1f{ezkey}\x1f{name}"


#: Values are never dropped (``Store.append`` keeps the newest ``keep``).
_KEEP_ALL = 2**62


class Update(NamedTuple):
    """One checked update to one stat (after ``~`` expansion); a tuple, built once per item of a batch."""

    name: str
    kind: str  # "counter" | "value"
    number: float
    t: int
    #: The stat's document as the rules read it (None: a new stat), so that recording does not read it again.
    stat: dict[str, Any] | None = None


def _number(raw: Any, where: str) -> float:
    try:
        value = parse_number(raw, where)
    except RuleError as exc:
        raise ServiceError(400, str(exc)) from None
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _time(raw: Any, where: str, now: int) -> int:
    if raw is None or raw == "":
        return now
    try:
        t = int(str(raw).strip())
    except ValueError:
        raise ServiceError(400, f"{where}: {raw!r} is not unix seconds") from None
    if t < 0:
        raise ServiceError(400, f"{where}: must not be negative")
    if t > MAX_T:
        raise ServiceError(400, f"{where}: {t} is after year 9999: milliseconds instead of seconds?")
    return t


class StatHatBackend:
    def __init__(self, store: Store, *, accept_any_ezkey: bool = False) -> None:
        self.store = store
        self.accept_any_ezkey = accept_any_ezkey
        self._refused: set[str] = set()  # ezkeys whose refusal was logged (by this process)
        self._refused_lock = threading.Lock()

    # -- state ----------------------------------------------------------------------------------
    def reset(self) -> None:
        self.seed({"ezkeys": [DEV_EZKEY], "classic": list(DEV_CLASSIC)})

    def seed(self, data: dict[str, Any]) -> dict[str, int]:
        for ezkey in data.get("ezkeys", []):
            self.store.put(ACCOUNTS, ezkey, {})
        for stat in data.get("classic", []):
            ezkey = stat.get("ezkey", DEV_EZKEY)
            self.store.put(ACCOUNTS, ezkey, {})
            self.store.put(CLASSIC, f"{stat['key']}\x1f{stat['ukey']}",
                           {"ezkey": ezkey, "name": stat["name"], "kind": stat["kind"]})
            self._stat(ezkey, stat["name"], stat["kind"], create=True)
        return {"ezkeys": len(data.get("ezkeys", [])), "classic": len(data.get("classic", []))}

    def stats(self, ezkey: str | None = None) -> list[dict[str, Any]]:
        """Every stat (of ``ezkey``) with its points, in creation order: counters' by time, values' as sent."""
        return [stat for _, stat in self.owned_stats(ezkey)]

    def owned_stats(self, ezkey: str | None = None) -> list[tuple[str, dict[str, Any]]]:
        """(owner ezkey, stat with its points) for every stat, or every stat of ``ezkey`` (only those points read)."""
        out = []
        with self.store.snapshot():
            for key, stat in self.store.items(STATS):
                owner = key.partition("\x1f")[0]
                if ezkey is None or owner == ezkey:
                    points = self._points(owner, stat)
                    out.append((owner, {"name": stat["name"], "kind": stat["kind"], "points": points}))
        return out

    def _points(self, ezkey: str, stat: dict[str, Any]) -> list[dict[str, Any]]:
        points = list(stat.get("points", ()))  # an older version's layout, until the stat's next write
        points += [p for _, p in self.store.items(points_ns(ezkey, stat["name"]))]
        if stat["kind"] == "counter":
            points.sort(key=lambda p: p["t"])
        return points

    # -- rules ----------------------------------------------------------------------------------
    def account(self, ezkey: str) -> str:
        if self.store.get(ACCOUNTS, ezkey) is None:
            if not (self.accept_any_ezkey or EMAIL.fullmatch(ezkey)):
                self._log_refusal(ezkey)
                raise ServiceError(401, "ezkey: no account has this ezkey (send the account's email address, "
                                        "or seed the ezkey)")
            self.store.put(ACCOUNTS, ezkey, {})
        return ezkey

    def _log_refusal(self, ezkey: str) -> None:
        with self._refused_lock:
            if ezkey in self._refused:
                return
            self._refused.add(ezkey)
        shown = ezkey[: min(4, len(ezkey) // 3)] + "..."  # enough to tell keys apart, not the secret
        log.warning('StatHat: refused a write for the unknown ezkey %r (%d characters); clients that look only '
                    'at the HTTP status report it as sent. Send your StatHat account\'s email address as the '
                    'ezkey (an account is made on first use), seed the key with POST /_admin/seed '
                    '{"stathat": {"ezkeys": ["..."]}}, or start the server with the setting '
                    '{"services": {"stathat": {"accept_any_ezkey": true}}}. Logged once per key.',
                    shown, len(ezkey))

    def _stat(self, ezkey: str, name: str, kind: str, *, create: bool) -> dict[str, Any] | None:
        key = f"{ezkey}\x1f{name}"
        stat: dict[str, Any] | None = self.store.get(STATS, key)
        if stat is None and create:
            stat = {"name": name, "kind": kind}
            self.store.put(STATS, key, stat)
        return stat

    def ez_updates(self, ezkey: str, item: dict[str, Any], where: str, now: int,
                   known: dict[str, dict[str, Any] | None] | None = None) -> list[Update]:
        """The updates one EZ item makes, every rule checked; nothing is recorded here.

        ``known`` remembers each stat already looked up in this request (None: no such stat). ``where`` names the
        item in messages (``data[3]: ``).
        """
        try:
            names = expand_stat(str(item.get("stat", "")))
        except RuleError as exc:
            raise ServiceError(400, f"{where}{exc}") from None
        has_count = item.get("count") not in (None, "")
        has_value = item.get("value") not in (None, "")
        if has_count == has_value:
            raise ServiceError(400, f"{where}must include a count or a value (exactly one)")
        kind, field = ("counter", "count") if has_count else ("value", "value")
        number = _number(item[field], where + field if where else field)
        raw_t = item.get("t")
        t = now if raw_t is None or raw_t == "" else _time(raw_t, f"{where}t", now)
        updates = []
        known = {} if known is None else known
        for name in names:
            if name in known:
                existing = known[name]
            else:
                existing = known[name] = self._stat(ezkey, name, kind, create=False)
            if existing is not None and existing["kind"] != kind:
                raise ServiceError(400, f"{where}stat {name!r} is a {existing['kind']} stat; send "
                                        f"{'count' if existing['kind'] == 'counter' else 'value'}")
            updates.append(Update(name, kind, number, t, existing))
        return updates

    def record(self, ezkey: str, updates: list[Update]) -> None:
        # Each stat's document is read once per call, and each second of a counter read and written once, however
        # many updates they get (a batch of 1000 counts for one stat in one second is one write).
        by_name: dict[str, list[Update]] = {}
        for u in updates:
            by_name.setdefault(u.name, []).append(u)
        with self.store.transaction():
            for name, group in by_name.items():
                stat = group[0].stat or self._stat(ezkey, name, group[0].kind, create=True)
                assert stat is not None
                ns = points_ns(ezkey, name)
                if "points" in stat:
                    self._move_points(ezkey, stat)
                counts: dict[int, float] = {}
                for u in group:
                    if stat["kind"] != u.kind:  # a batch that mixes kinds for one new stat
                        raise ServiceError(400, f"stat {u.name!r} is a {stat['kind']} stat")
                    if u.kind == "value":
                        self.store.append(ns, {"t": u.t, "value": u.number}, _KEEP_ALL)
                    else:
                        counts[u.t] = counts.get(u.t, 0) + u.number
                for t, count in counts.items():
                    self._add_count(ns, t, count)

    def _add_count(self, ns: str, t: int, count: float) -> None:
        """A counter's second: read, summed and written alone."""
        point = self.store.get(ns, str(t))
        self.store.put(ns, str(t), {"t": t, "count": count if point is None else point["count"] + count})

    def _move_points(self, ezkey: str, stat: dict[str, Any]) -> None:
        """An older version's stat (its points inside its document): the points into their namespace, once."""
        ns = points_ns(ezkey, stat["name"])
        for p in stat.pop("points"):
            if stat["kind"] == "value":
                self.store.append(ns, p, _KEEP_ALL)
            else:
                self._add_count(ns, p["t"], p["count"])
        self.store.put(STATS, f"{ezkey}\x1f{stat['name']}", stat)

    def plan(self, ezkey: str, items: list[dict[str, Any]], *, batch: bool) -> list[Update]:
        """Every update the items make, every rule checked; nothing is recorded (call in a transaction)."""
        now = int(time.time())
        self.account(ezkey)
        updates: list[Update] = []
        known: dict[str, dict[str, Any] | None] = {}
        for i, item in enumerate(items):
            if batch and not isinstance(item, dict):
                raise ServiceError(400, f"data[{i}]: must be an object with stat and count or value")
            try:
                updates += self.ez_updates(ezkey, item, "", now, known)
            except ServiceError:
                if batch:  # the same rules again, to name the item in the message (a refusal is rare; a batch not)
                    self.ez_updates(ezkey, item, f"data[{i}]: ", now, known)
                raise
        kinds: dict[str, str] = {}
        for u in updates:
            if kinds.setdefault(u.name, u.kind) != u.kind:
                raise ServiceError(400, f"stat {u.name!r} gets both counts and values in one batch")
        return updates

    def classic_plan(self, kind: str, params: dict[str, Any]) -> tuple[str, Update]:
        """The account and the update a Classic call makes, every rule checked; nothing is recorded."""
        for name in ("key", "ukey"):
            if not params.get(name):
                raise ServiceError(400, f"{name}: missing")
        entry = self.store.get(CLASSIC, f"{params['key']}\x1f{params['ukey']}")
        if entry is None:
            raise ServiceError(401, "key/ukey: no stat has this key for this user")
        if entry["kind"] != kind:
            raise ServiceError(400, f"key: stat {entry['name']!r} is a {entry['kind']} stat; "
                                    f"use /{'c' if entry['kind'] == 'counter' else 'v'}")
        field = "count" if kind == "counter" else "value"
        raw = params.get(field)
        if raw in (None, "") and kind == "value":
            raise ServiceError(400, "value: missing")
        number = 1 if raw in (None, "") else _number(raw, field)
        return entry["ezkey"], Update(entry["name"], kind, number, _time(params.get("t"), "t", int(time.time())))
