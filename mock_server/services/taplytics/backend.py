"""Taplytics' rules and state: API tokens, users, experiments, events, push notifications and their audiences.

Everything lives in the store. Collections keep creation order (the store's insertion order), so a page
is one ``items(offset, limit)`` slice whatever its number. Ids look like the service's (24 hex digits):
eight of creation time, sixteen of a per-kind sequence number.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import schemas

from ...errors import ServiceError
from ...store import Store
from .audience import matches

__all__ = ["DEV_TOKEN", "MAX_EVENTS", "MAX_PER_PAGE", "TaplyticsBackend"]

DEV_TOKEN = "dev-api-token"
MAX_PER_PAGE = 100  # the account's pagination limit
MAX_EVENTS = 100
DUPLICATE_WINDOW = 15 * 60  # seconds in which the same content is not delivered twice to a user

TOKENS = "taplytics.tokens"  # token -> {}
USERS = "taplytics.users"  # id -> user (plus "_seq", the creation number, never shown)
USER_IDS = "taplytics.user_ids"  # user_id -> id
EMAILS = "taplytics.emails"  # email -> id
EXPERIMENTS = "taplytics.experiments"  # id -> experiment
EVENTS = "taplytics.events"  # id -> event
PUSHES = "taplytics.push"  # id -> push
AUDIENCES = "taplytics.audiences"  # push id -> {"matched", "delivered", "suppressed"}
DELIVERIES = "taplytics.deliveries"  # "<content digest>\x1f<user id>" -> unix times of its deliveries
META = "taplytics.meta"  # "seq.<kind>" -> last number given

#: Where a user is addressed: ("id" | "user_id" | "email", value).
Ref = tuple[str, str]
_INDEX = {"user_id": USER_IDS, "email": EMAILS}


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def check(schema: str, instance: object, prefix: str = "") -> None:
    """Raise a 400 naming the first JSON path of ``instance`` that breaks ``schema`` (``prefix`` roots it)."""
    errors = schemas.validate(schema, instance)
    if errors:
        path = errors[0].path
        if prefix:
            path = prefix if path == "$" else prefix + (path if path.startswith("[") else f".{path}")
        raise ServiceError(400, f"{path}: {errors[0].message}", errors=errors)


def _utc(text: str, local: bool) -> float:
    # local_time has no zone: it is compared as if it were UTC (see the README).
    fmt = "%Y-%m-%dT%H:%M:%S" if local else "%Y-%m-%dT%H:%M:%SZ"
    try:
        return datetime.strptime(text, fmt).replace(tzinfo=UTC).timestamp()
    except ValueError:
        raise ServiceError(400, f"schedule.{'local_time' if local else 'time'}: {text!r} is not a valid date") from None


class TaplyticsBackend:
    def __init__(self, store: Store, *, project_id: str = "dev-project") -> None:
        self.store = store
        self.project_id = project_id

    # -- state ----------------------------------------------------------------------------------
    def reset(self, tokens: list[str]) -> None:
        self.seed({"tokens": [DEV_TOKEN, *tokens]})

    def seed(self, data: dict[str, Any], now: float | None = None) -> dict[str, int]:
        now = time.time() if now is None else now
        for token in data.get("tokens", []):
            self.store.put(TOKENS, token, {})
        for user in data.get("users", []):
            self.seed_user(user, now)
        for experiment in data.get("experiments", []):
            self.seed_experiment(experiment, now)
        return {k: len(data.get(k, [])) for k in ("tokens", "users", "experiments")}

    def seed_user(self, fields: dict[str, Any], now: float) -> dict[str, Any]:
        seq, new_id = self._new_id("user", now)
        user = {"id": fields.get("id", new_id), "created_at": fields.get("created_at", iso(now)),
                "custom_data": {}, "session_count": 0}
        if self.store.get(USERS, user["id"]) is not None:
            raise ServiceError(400, f"users: id {user['id']!r} is already taken")
        self._apply(user, {k: v for k, v in fields.items() if k not in ("id", "created_at")})
        user["_seq"] = seq
        self._index(user, None)
        self.store.put(USERS, user["id"], user)
        return user

    def seed_experiment(self, data: dict[str, Any], now: float) -> dict[str, Any]:
        _, new_id = self._new_id("experiment", now)
        stamp = iso(now)
        experiment: dict[str, Any] = {
            "id": new_id, "project_id": self.project_id, "description": "", "goal_ids": [], "filters": [],
            "variations": [], "created_at": stamp, "updated_at": stamp, **data,
        }
        if self.store.get(EXPERIMENTS, experiment["id"]) is not None:
            raise ServiceError(400, f"experiments: id {experiment['id']!r} is already taken")
        for variation in [*experiment["variations"], experiment.get("baseline")]:
            if variation is not None and "_id" not in variation:
                variation["_id"] = self._new_id("variation", now)[1]
        self.store.put(EXPERIMENTS, experiment["id"], experiment)
        return experiment

    def counts(self) -> dict[str, int]:
        return {"tokens": self.store.count(TOKENS), "users": self.store.count(USERS),
                "experiments": self.store.count(EXPERIMENTS), "events": self.store.count(EVENTS),
                "push": self.store.count(PUSHES)}

    def _new_id(self, kind: str, now: float) -> tuple[int, str]:
        with self.store.transaction():
            seq = int(self.store.get(META, f"seq.{kind}") or 0) + 1
            self.store.put(META, f"seq.{kind}", seq)
        return seq, f"{int(now) & 0xFFFFFFFF:08x}{seq:016x}"

    # -- auth -----------------------------------------------------------------------------------
    def authenticate(self, token: str | None) -> None:
        if not token:
            raise ServiceError(401, "missing API key: send the api_token query parameter, "
                                    "api_token in a JSON body, or the x-access-token header")
        if self.store.get(TOKENS, token) is None:
            raise ServiceError(401, "invalid API key: no project has this api_token")

    # -- pages ----------------------------------------------------------------------------------
    def page(self, ns: str, page: int, per_page: int) -> tuple[list[dict[str, Any]], int]:
        """One page of a collection in creation order, and the collection's size: O(per_page) reads."""
        with self.store.snapshot():
            total = self.store.count(ns)
            rows = self.store.items(ns, (page - 1) * per_page, per_page)
        return [_stripped(v) for _, v in rows], total

    # -- users ----------------------------------------------------------------------------------
    def _find(self, ref: Ref) -> dict[str, Any] | None:
        kind, value = ref
        user_id = value if kind == "id" else self.store.get(_INDEX[kind], value)
        if user_id is None:
            return None
        user: dict[str, Any] | None = self.store.get(USERS, user_id)
        return user

    def get_user(self, ref: Ref) -> dict[str, Any]:
        user = self._find(ref)
        if user is None:
            raise ServiceError(404, f"{ref[0]}: no user with {ref[0]} {ref[1]!r}")
        return _public(user)

    def save_user(self, ref: Ref | None, body: dict[str, Any], now: float | None = None) -> dict[str, Any]:
        """Create or update the user ``ref`` addresses (a new user when ``ref`` is None or finds nobody)."""
        now = time.time() if now is None else now
        for server_field in ("id", "created_at"):
            if server_field in body:
                raise ServiceError(400, f"{server_field}: assigned by the server; address the user in the URL")
        check("taplytics/user#/$defs/write", body)
        fields = {k: v for k, v in body.items() if k != "api_token"}
        with self.store.transaction():
            user = self._find(ref) if ref is not None else None
            if user is None and ref is not None and ref[0] == "id":
                raise ServiceError(404, f"id: no user with id {ref[1]!r} (ids are assigned by the server; "
                                        "create a user by user_id or email, or without any)")
            if user is None:
                new = dict(fields)
                if ref is not None and new.setdefault(ref[0], ref[1]) != ref[1]:
                    raise ServiceError(400, f"{ref[0]}: the body's {new[ref[0]]!r} differs from {ref[1]!r} in the "
                                            f"query, and no user has {ref[1]!r} to rename")
                return _public(self.seed_user(new, now))
            before = dict(user)
            self._apply(user, fields)
            self._index(user, before)
            self.store.put(USERS, user["id"], user)
        return _public(user)

    def _apply(self, user: dict[str, Any], fields: dict[str, Any]) -> None:
        for key, value in fields.items():
            if key == "custom_data":
                # One level deep, as the text warns: top-level keys merge, anything nested is replaced.
                user["custom_data"] = {**user.get("custom_data", {}), **value}
            else:
                user[key] = value

    def _index(self, user: dict[str, Any], before: dict[str, Any] | None) -> None:
        for field, ns in _INDEX.items():
            old = before.get(field) if before else None
            new = user.get(field)
            if new is not None and new != old:
                owner = self.store.get(ns, new)
                if owner is not None and owner != user["id"]:
                    raise ServiceError(402, f"{field}: {new!r} already belongs to user {owner}")
                self.store.put(ns, new, user["id"])
            if old is not None and old != new:
                self.store.delete(ns, old)

    def delete_user(self, ref: Ref) -> None:
        with self.store.transaction():
            user = self._find(ref)
            if user is None:
                raise ServiceError(404, f"{ref[0]}: no user with {ref[0]} {ref[1]!r}")
            for field, ns in _INDEX.items():
                if user.get(field) is not None:
                    self.store.delete(ns, user[field])
            self.store.delete(USERS, user["id"])

    def users_by_token(self, token: str | None, per_page: int) -> dict[str, Any]:
        """A page after the user the token names. The token holds that user's creation number, not an
        offset, so it stays right while users are added (after it) or deleted (anywhere)."""
        after = 0 if token is None else _decode_token(token)
        with self.store.snapshot():
            start = self._first_after(after)
            rows = self.store.items(USERS, start, per_page + 1)
        users = [u for _, u in rows[:per_page]]
        token = _encode_token(users[-1]["_seq"]) if len(rows) > per_page else None  # before _seq is dropped
        return {"nextPaginationToken": token, "numEntities": len(users), "users": [_stripped(u) for u in users]}

    def _first_after(self, seq: int) -> int:
        """The position of the first user created after number ``seq``: a binary search, O(log n) reads."""
        lo, hi = 0, self.store.count(USERS)
        while lo < hi:
            mid = (lo + hi) // 2
            ((_, user),) = self.store.items(USERS, mid, 1)
            if user["_seq"] <= seq:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def all_users(self, chunk: int = 1000) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            rows = self.store.items(USERS, offset, chunk)
            yield from (u for _, u in rows)
            if len(rows) < chunk:
                return
            offset += chunk

    # -- experiments ----------------------------------------------------------------------------
    def get_experiment(self, experiment_id: str) -> dict[str, Any]:
        experiment: dict[str, Any] | None = self.store.get(EXPERIMENTS, experiment_id)
        if experiment is None:
            raise ServiceError(404, f"id: no experiment with id {experiment_id!r}")
        return experiment

    def delete_experiment(self, experiment_id: str) -> dict[str, Any]:
        if not self.store.delete(EXPERIMENTS, experiment_id):
            raise ServiceError(404, f"id: no experiment with id {experiment_id!r}")
        return {"deleted": True, "id": experiment_id}

    # -- events ---------------------------------------------------------------------------------
    def add_events(self, session_id: str | None, body: Any, now: float | None = None) -> list[dict[str, Any]]:
        now = time.time() if now is None else now
        if not session_id:
            raise ServiceError(400, "session_id: required query parameter (the session the events belong to)")
        if not isinstance(body, list):
            raise ServiceError(400, "body: must be a JSON list of events")
        if not body:
            raise ServiceError(400, "body: the list holds no events")
        if len(body) > MAX_EVENTS:
            raise ServiceError(400, f"body: at most {MAX_EVENTS} events a request, got {len(body)}")
        for i, event in enumerate(body):
            if not isinstance(event, dict) or not event.get("name"):
                raise ServiceError(400, f"events[{i}].name: every event needs a name")
            for server_field in ("id", "session_id"):
                if server_field in event:  # the server's id, the query's session: never the body's
                    raise ServiceError(400, f"events[{i}].{server_field}: set by the server "
                                            "(session_id goes in the query string)")
            if isinstance(event.get("date"), str) and not _is_iso(event["date"]):
                raise ServiceError(400, f"events[{i}].date: {event['date']!r} is not an ISO 8601 date and time")
        check("taplytics/event#/$defs/batch", body, "events")
        stored = []
        with self.store.transaction():
            for event in body:
                _, event_id = self._new_id("event", now)
                record = {"id": event_id, "session_id": session_id, "date": iso(now), **event}
                self.store.put(EVENTS, event_id, record)
                stored.append(record)
        return stored

    def events(self, session_id: str | None = None) -> list[dict[str, Any]]:
        return [e for _, e in self.store.items(EVENTS) if session_id is None or e["session_id"] == session_id]

    # -- push -----------------------------------------------------------------------------------
    def create_push(self, body: Any, now: float | None = None) -> dict[str, Any]:
        now = time.time() if now is None else now
        if not isinstance(body, dict):
            raise ServiceError(400, "body: must be a JSON object")
        for i, f in enumerate(body.get("filters") or []):
            if isinstance(f, dict) and "dataKey" in f and f.get("type") != "custom_data":
                raise ServiceError(400, f"filters[{i}].dataKey: only allowed when type is custom_data")
        schedule = body.get("schedule")
        if isinstance(schedule, dict) and not (schedule.get("time") or schedule.get("local_time")):
            raise ServiceError(400, "schedule: give time (UTC, YYYY-MM-DDTHH:MM:SSZ) or local_time "
                                    "(YYYY-MM-DDTHH:MM:SS, no zone)")
        check("taplytics/push#/$defs/create", body)
        send_at = now
        if schedule:
            for key in ("time", "local_time"):
                if key in schedule and _utc(schedule[key], key == "local_time") <= now:
                    raise ServiceError(400, f"schedule.{key}: {schedule[key]!r} is not in the future")
            # local_time takes precedence when both are given.
            key = "local_time" if "local_time" in schedule else "time"
            send_at = _utc(schedule[key], key == "local_time")
        fields = {k: v for k, v in body.items() if k not in ("api_token", "schedule")}
        with self.store.transaction():
            _, push_id = self._new_id("push", now)
            push = {"id": push_id, **({"name": body["name"]} if "name" in body else {}),
                    "status": "scheduled" if schedule else "sending", "created_at": iso(now),
                    "schedule": dict(schedule) if schedule else {"now": True},
                    "production": False, "filter_duplicate_content": True, "filters": [], **fields}
            self.store.put(PUSHES, push_id, push)
            self.store.put(AUDIENCES, push_id, self._deliver(push, send_at))
        return push

    def _deliver(self, push: dict[str, Any], send_at: float) -> dict[str, Any]:
        """Who the filters match, and who gets it: not those who had the same content within 15 minutes."""
        digest = hashlib.sha256(json.dumps([push.get("notification"), push.get("custom_keys")],
                                           sort_keys=True).encode()).hexdigest()[:32]
        matched, delivered, suppressed = [], [], []
        for user in self.all_users():
            if not matches(user, push["filters"]):
                continue
            matched.append(user["id"])
            key = f"{digest}\x1f{user['id']}"
            # Every send time is kept: pushes may be scheduled out of order, so the latest is not enough.
            times: list[float] = self.store.get(DELIVERIES, key) or []
            if push["filter_duplicate_content"] and any(abs(send_at - t) < DUPLICATE_WINDOW for t in times):
                suppressed.append(user["id"])
                continue
            delivered.append(user["id"])
            self.store.put(DELIVERIES, key, [*times, send_at])
        return {"matched": matched, "delivered": delivered, "suppressed": suppressed}

    def get_push(self, push_id: str) -> dict[str, Any]:
        push: dict[str, Any] | None = self.store.get(PUSHES, push_id)
        if push is None:
            raise ServiceError(404, f"id: no push notification with id {push_id!r}")
        return push

    def audience(self, push_id: str) -> dict[str, Any]:
        self.get_push(push_id)
        return {"push_id": push_id, **self.store.get(AUDIENCES, push_id)}


def _is_iso(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return "T" in text


def _stripped(doc: dict[str, Any]) -> dict[str, Any]:
    """``_public`` of a document just read from the store, which nothing else holds: changed in place (a page
    of 100 users copied every user's dict again)."""
    doc.pop("_seq", None)
    return doc


def _public(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "_seq"}


def _encode_token(seq: int) -> str:
    return base64.urlsafe_b64encode(f"tl1:{seq}".encode()).decode().rstrip("=")


def _decode_token(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, _, number = text.partition(":")
        if prefix == "tl1" and number.isdigit():
            return int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ServiceError(400, "paginationToken: not a token this server issued (pass nextPaginationToken back as is)")
