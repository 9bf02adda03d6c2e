"""Countly's rules and state: apps, members and rights, the write API, reads, dashboard, management."""

from __future__ import annotations

import hashlib
import json
import re
import time
from datetime import datetime
from typing import Any

from ...errors import ServiceError
from ...store import Store
from . import dashboard as dash
from .clock import moment, parse_period, zone
from .model import APP_KEYS, APPS, EVENTS, MEMBERS, REMOTE_CONFIG, SDK_CONFIG, TOKENS, Work, agg_ns, lsidx_ns, users_ns
from .reads import day_data, merge, refresh, users_in_days
from .views import views_data, views_names, views_table
from .writes import IGNORED_DEVICE, Limits, WriteRules, parse_json_param

__all__ = ["DEV_API_KEY", "DEV_APP_ID", "DEV_APP_KEY", "DEV_READONLY_KEY", "READ_METHODS", "CountlyBackend",
           "fail"]

DEV_APP_KEY = "dev-app-key"
DEV_APP_ID = "0123456789abcdef01234567"
DEV_API_KEY = "dev-api-key"
DEV_READONLY_KEY = "dev-readonly-key"

#: ``method`` → the collection it reads (None: handled on its own).
READ_METHODS: dict[str, str | None] = {
    "sessions": "users", "users": "users", "locations": "users",
    "device_details": "device_details", "app_versions": "device_details",
    "devices": "devices", "carriers": "carriers", "cities": "cities", "langs": "langs", "density": "density",
    "events": None, "get_events": None, "total_users": None, "views": None,
}
#: ``/o/sdk`` methods: the sdk plugin's configuration and the remote-config plugin's values.
SDK_METHODS = ("sc", "fetch_remote_config", "rc")
CLOCK = "countly.clock"
_CHECKSUM = re.compile(r"(^|&)(checksum|checksum256)=[^&]*")
_HASH_SKIP = re.compile(r"(^|&)(rr|checksum|checksum256)=[^&]*")


def fail(status: int, result: str) -> ServiceError:
    """An error in Countly's shape: ``{"result": "..."}``."""
    return ServiceError(status, result, body={"result": result})


class CountlyBackend:
    def __init__(self, store: Store, settings: dict[str, Any]) -> None:
        self.store = store
        fields = Limits.__dataclass_fields__
        self.rules = WriteRules(Limits(**{k: v for k, v in settings.items() if k in fields}))
        self.total_users = bool(settings.get("total_users", True))

    def now(self) -> float:
        """The server time; ``/_admin/countly/clock`` can freeze it (kept in the store, so every worker agrees)."""
        frozen = self.store.get(CLOCK, "now")
        return float(frozen) if frozen is not None else time.time()

    # -- state ----------------------------------------------------------------------------------
    def reset(self) -> None:
        self.seed({
            "apps": [{"app_id": DEV_APP_ID, "app_key": DEV_APP_KEY, "name": "Development app", "timezone": "UTC"}],
            "members": [
                {"api_key": DEV_API_KEY, "admin": True},
                {"api_key": DEV_READONLY_KEY, "admin": False, "rights": {}},
            ],
        })

    def seed(self, data: dict[str, Any]) -> dict[str, int]:
        for app in data.get("apps", []):
            old = self.store.get(APPS, app["app_id"])
            if old is not None:
                self.store.delete(APP_KEYS, old["app_key"])
            if self.store.get(APP_KEYS, app["app_key"]) not in (None, app["app_id"]):
                raise ServiceError(400, f"apps: app_key {app['app_key']!r} belongs to another app")
            self.store.put(APPS, app["app_id"], {"timezone": "UTC", "name": app["app_id"], **app})
            self.store.put(APP_KEYS, app["app_key"], app["app_id"])
        for member in data.get("members", []):
            self.store.put(MEMBERS, member["api_key"], {"admin": False, "locked": False, "rights": {}, **member})
            for token in member.get("auth_tokens", []):
                self.store.put(TOKENS, token, member["api_key"])
        for name, ns in (("remote_config", REMOTE_CONFIG), ("sdk_config", SDK_CONFIG)):
            for app_id, values in data.get(name, {}).items():
                if self.app(app_id) is None:
                    raise ServiceError(400, f"{name}: no app has app_id {app_id!r}")
                if ns == SDK_CONFIG:
                    values = {"t": int(self.now() * 1000), "c": values}
                self.store.put(ns, app_id, values)
        for doc in data.get("documents", []):
            self._seed_document(doc)
        counts = {"apps": len(data.get("apps", [])), "members": len(data.get("members", []))}
        counts.update({name: len(data[name]) for name in ("remote_config", "sdk_config", "documents") if name in data})
        return counts

    def _seed_document(self, doc: dict[str, Any]) -> None:
        """One stored document as ``export_seed`` wrote it (``documents`` of the seed)."""
        from .export import APP_DOCUMENTS, KEYED_DOCUMENTS

        app_id, kind = doc["app_id"], doc["kind"]
        if self.app(app_id) is None:
            raise ServiceError(400, f"documents: no app has app_id {app_id!r}")
        if kind in APP_DOCUMENTS:
            self.store.put(APP_DOCUMENTS[kind], app_id, doc["value"])
        else:
            self.store.put(KEYED_DOCUMENTS[kind](app_id), doc["key"], doc["value"])

    def app(self, app_id: str) -> dict[str, Any] | None:
        value: dict[str, Any] | None = self.store.get(APPS, app_id)
        return value

    def app_user(self, app_id: str, app_key: str, device_id: str) -> dict[str, Any] | None:
        uid = hashlib.sha1((app_key + device_id).encode()).hexdigest()
        value: dict[str, Any] | None = self.store.get(users_ns(app_id), uid)
        return value

    # -- write API ------------------------------------------------------------------------------
    def write(self, p: dict[str, Any], *, ip: str | None, query: str, body: str,
              user_agent: str | None = None) -> dict[str, str]:
        """One ``/i`` request, checked in Countly's order; the reply body (errors raise)."""
        self.precheck(p)
        if p.get("app_key") in (None, "") or p.get("device_id") in (None, ""):
            raise fail(400, 'Missing parameter "app_key" or "device_id"')
        if str(p["device_id"]) == IGNORED_DEVICE:
            return {"result": "Ignoring device_id"}
        app = self._app_by_key(p["app_key"])
        if app.get("paused"):
            raise fail(400, "App is currently not accepting data")
        if app.get("salt"):
            problem = self._checksum(p, app["salt"], query, body)
            if problem:
                return {"result": problem}
        payload = _HASH_SKIP.sub("", query) + _HASH_SKIP.sub("", body)
        with self.store.transaction():
            work = Work(self.store)
            result = self.rules.process(work, app, p, ip=ip, payload=payload, now=self.now(), user_agent=user_agent)
            work.flush()
        return result

    def bulk(self, p: dict[str, Any], *, ip: str | None, user_agent: str | None = None) -> dict[str, str]:
        self.precheck(p)
        raw = p.get("requests")
        entries = parse_json_param(raw, "requests") if raw not in (None, "") else None
        if entries is None:
            raise fail(400, 'Missing parameter "requests"')
        if not isinstance(entries, list):
            raise fail(400, 'Invalid parameter "requests"')
        now = self.now()
        with self.store.transaction():
            work = Work(self.store)
            for entry in entries:
                if not isinstance(entry, dict) or entry.get("device_id") in (None, ""):
                    continue
                entry = dict(entry)
                if entry.get("app_key") in (None, ""):
                    if p.get("app_key") in (None, ""):
                        continue
                    entry["app_key"] = p["app_key"]
                if str(entry["device_id"]) == IGNORED_DEVICE or not isinstance(entry["app_key"], str):
                    continue
                app_id = self.store.get(APP_KEYS, entry["app_key"])
                app = self.app(app_id) if app_id else None
                if app is None or app.get("paused"):
                    continue  # per-entry errors are swallowed, as on the real server
                payload = json.dumps({k: v for k, v in entry.items() if k not in ("rr", "checksum", "checksum256")})
                self.rules.process(work, app, entry, ip=entry.get("ip_address") or ip, payload=payload, now=now,
                                   user_agent=user_agent)
            work.flush()
        return {"result": "Success"}

    def sdk(self, p: dict[str, Any]) -> dict[str, Any]:
        """``/o/sdk``, which the SDKs call at start: answered with the app_key, as ``/i`` is."""
        self.precheck(p)
        if p.get("app_key") in (None, "") or p.get("device_id") in (None, ""):
            raise fail(400, 'Missing parameter "app_key" or "device_id"')
        app = self._app_by_key(p["app_key"])
        method = p.get("method")
        if method not in SDK_METHODS:
            raise fail(400, "Invalid method")
        if method == "sc":
            stored = self.store.get(SDK_CONFIG, app["app_id"]) or {}
            return {"v": 2, "t": stored.get("t", int(self.now() * 1000)), "c": stored.get("c", {})}
        values: dict[str, Any] = self.store.get(REMOTE_CONFIG, app["app_id"]) or {}
        keys = _key_list(p.get("keys"), "keys")
        omit = _key_list(p.get("omit_keys"), "omit_keys")
        return {k: v for k, v in values.items() if (not keys or k in keys) and k not in omit}

    @staticmethod
    def precheck(p: dict[str, Any]) -> None:
        """Countly's global checks before routing: ``app_id`` and ``user_id`` must be 24 characters."""
        for name in ("app_id", "user_id"):
            if p.get(name) not in (None, "") and len(str(p[name])) != 24:  # Countly: a truthy value only
                raise fail(400, f'Invalid parameter "{name}"')

    def _app_by_key(self, app_key: Any) -> dict[str, Any]:
        app_id = self.store.get(APP_KEYS, app_key) if isinstance(app_key, str) else None
        app = self.app(app_id) if app_id else None
        if app is None:
            raise fail(400, "App does not exist")
        return app

    @staticmethod
    def _checksum(p: dict[str, Any], salt: str, query: str, body: str) -> str | None:
        given, algo = (p.get("checksum"), hashlib.sha1) if p.get("checksum") else (p.get("checksum256"),
                                                                                     hashlib.sha256)
        if not given:
            return "Request does not have checksum"
        payload = _CHECKSUM.sub("", body if body else query).lstrip("&")
        if algo((payload + salt).encode()).hexdigest().upper() != str(given).upper():
            return "Request does not match checksum"
        return None

    # -- auth -----------------------------------------------------------------------------------
    def member(self, p: dict[str, Any], header_token: str | None) -> dict[str, Any]:
        """``rights.js``: a valid token names the member; otherwise ``api_key`` does. Locked is checked by
        the caller, after the rights, as Countly does."""
        token = p.get("auth_token") or header_token
        owner = self.store.get(TOKENS, str(token)) if token else None
        api_key = owner if owner is not None else p.get("api_key")
        if not api_key:
            raise fail(400, "Token not valid" if token else 'Missing parameter "api_key" or "auth_token"')
        member: dict[str, Any] | None = self.store.get(MEMBERS, str(api_key))
        if member is None:
            raise fail(401, "User does not exist")
        return member

    @staticmethod
    def _unlocked(member: dict[str, Any]) -> None:
        if member.get("locked"):
            raise fail(401, "User is locked")

    def validate_read(self, p: dict[str, Any], header_token: str | None) -> dict[str, Any]:
        """``rights.validateUserForRead``: the member, its right on the app, locked, then the app."""
        member = self.member(p, header_token)
        app_id = str(p["app_id"])
        if not member.get("admin") and not member.get("rights", {}).get(app_id):
            raise fail(401, "User does not have right")
        self._unlocked(member)
        app = self.app(app_id)
        if app is None:
            raise fail(401, "App does not exist")
        return app

    # -- read API -------------------------------------------------------------------------------
    def read(self, p: dict[str, Any], header_token: str | None) -> Any:
        self.precheck(p)
        if p.get("app_id") in (None, ""):
            raise fail(400, 'Missing parameter "app_id"')
        method = p.get("method")
        if method not in READ_METHODS:
            raise fail(400, "Invalid method")
        app = self.validate_read(p, header_token)
        app_id = app["app_id"]
        now = self.now()
        tz = zone(app.get("timezone"))
        period = parse_period(p.get("period"), now, tz)
        is_refresh = p.get("action") == "refresh"
        collection = READ_METHODS[method]
        if collection is not None:
            if is_refresh:
                return refresh(self.store, app_id, collection, moment(now, tz))
            return merge(self.store, app_id, collection, period, users=collection == "users")
        if method == "get_events":
            return self._get_events(app_id)
        if method == "views":
            if p.get("action") == "getTable":
                return views_table(self.store, app_id, period, p)
            if p.get("action") == "listNames":
                return views_names(self.store, app_id)
            selected = parse_json_param(p.get("selectedViews") or "[]", "selectedViews")
            return views_data(self.store, app_id, period, selected)
        if method == "total_users":
            if not period.contains_today or not self.total_users:
                return []
            total, by_country = users_in_days(self.store, app_id, period.days)
            metric = p.get("metric") or "users"
            if metric in ("countries", "cc"):
                return [{"_id": cc, "u": n} for cc, n in sorted(by_country.items(), key=lambda kv: (-kv[1], kv[0]))]
            return [{"_id": "users", "u": total}] if total else []
        return self._events(app_id, p, period, is_refresh, moment(now, tz))

    def _get_events(self, app_id: str) -> dict[str, Any]:
        doc: dict[str, Any] = self.store.get(EVENTS, app_id) or {}
        out: dict[str, Any] = {}
        if doc.get("list"):
            out["_id"] = app_id
            out["list"] = [k for k in doc["list"] if not k.startswith("[CLY]")]
            segments = {k: v for k, v in doc.get("segments", {}).items() if v and not k.startswith("[CLY]")}
            if segments:
                out["segments"] = segments
        limits = self.rules.limits
        out["limits"] = {"event_limit": limits.event_limit,
                         "event_segmentation_limit": limits.event_segmentation_limit,
                         "event_segmentation_value_limit": limits.event_segmentation_value_limit}
        return out

    def _events(self, app_id: str, p: dict[str, Any], period: Any, is_refresh: bool, now_m: Any) -> Any:
        keys: list[str]
        if p.get("events") not in (None, ""):
            parsed = parse_json_param(p["events"], "events")
            keys = [str(k) for k in parsed] if isinstance(parsed, list) else []
        elif p.get("event") not in (None, ""):
            keys = [str(p["event"])]
        else:
            doc = self.store.get(EVENTS, app_id) or {}
            names = [k for k in doc.get("order", []) if not k.startswith("[CLY]")] or \
                sorted(k for k in doc.get("list", []) if not k.startswith("[CLY]"))
            keys = names[:1]
        segment = p.get("segmentation") or "no-segment"
        outputs = []
        for key in keys:
            base = f"ev:{key}"
            if is_refresh:
                outputs.append(refresh(self.store, app_id, f"{base}:{segment}", now_m,
                                       meta_from=f"{base}:no-segment", with_uniques=False))
            else:
                outputs.append(merge(self.store, app_id, f"{base}:{segment}", period,
                                     meta_from=f"{base}:no-segment"))
        if not outputs:
            return {}
        if len(outputs) == 1 and p.get("events") in (None, ""):
            return outputs[0]
        merged: dict[str, Any] = {}
        for out in outputs:
            _sum_tree(merged, out)
        return merged

    # -- analytics ------------------------------------------------------------------------------
    def analytics(self, path: str, p: dict[str, Any], header_token: str | None) -> Any:
        self.precheck(p)
        if p.get("app_id") in (None, ""):
            raise fail(400, 'Missing parameter "app_id"')
        if path not in ("dashboard", "countries", "events"):  # the switch's default branch: no auth before it
            raise fail(400, "Invalid path, must be one of /dashboard,  /countries, /sessions, /metric, /tops, "
                            "/loyalty, /frequency, /durations, /events")
        app = self.validate_read(p, header_token)
        now = self.now()
        tz = zone(app.get("timezone"))
        if path == "events":
            return self._event_totals(app["app_id"], p, parse_period(p.get("period"), now, tz))
        now_dt = datetime.fromtimestamp(now, tz)
        if path == "countries" or p.get("period") in (None, "", "30days"):
            periods = [("30days", parse_period("30days", now, tz)), ("7days", parse_period("7days", now, tz)),
                       ("today", parse_period("hour", now, tz))]
        else:
            raw = p["period"]
            periods = [(_period_key(raw), parse_period(raw, now, tz))]
        if path == "countries":
            return dash.countries(self.store, app, periods, self.total_users)
        return dash.dashboard(self.store, app, periods, now_dt, self.total_users)

    def _event_totals(self, app_id: str, p: dict[str, Any], period: Any) -> dict[str, Any]:
        """``/o/analytics/events`` as master's events overview: ``{"all": [{_id, c, s, dur}]}`` per custom
        event over the period (30 days by default), most counted first; ``event``/``events`` narrow the list."""
        doc = self.store.get(EVENTS, app_id) or {}
        keys = [k for k in doc.get("list", []) if not k.startswith("[CLY]")]
        wanted = _key_list(p.get("events"), "events") or ([str(p["event"])] if p.get("event") else [])
        rows = []
        for key in (k for k in keys if not wanted or k in wanted):
            total = {"_id": key, "c": 0, "s": 0, "dur": 0}
            for day in day_data(self.store, app_id, f"ev:{key}:no-segment", list(period.days)).values():
                for field in ("c", "s", "dur"):
                    total[field] += day.get(field, 0)
            rows.append(total)
        rows.sort(key=lambda row: (-row["c"], row["_id"]))
        return {"all": rows}

    # -- management -----------------------------------------------------------------------------
    def reset_app(self, p: dict[str, Any], header_token: str | None) -> dict[str, str]:
        """``/i/apps/reset``: wipe an app's aggregated data, app users and event list."""
        self.precheck(p)
        member = self.member(p, header_token)
        raw = p.get("args")
        args = parse_json_param(raw, "args") if raw not in (None, "") else None
        if not isinstance(args, dict):
            raise fail(400, "Error: Missing 'args' parameter")
        app_id = args.get("app_id")
        if not isinstance(app_id, str) or not app_id:
            raise fail(400, "Not enough args")
        app = self.app(app_id)
        if app is None:
            raise fail(400, "App does not exist")
        if not member.get("admin") and "admin" not in member.get("rights", {}).get(app_id, []):
            raise fail(401, "User does not have right")
        self._unlocked(member)
        if args.get("period", "reset") not in ("reset", "clear_all"):
            raise fail(400, "Invalid period")
        with self.store.transaction():
            for ns in (agg_ns(app_id), users_ns(app_id), lsidx_ns(app_id)):
                self.store.clear(ns)
            self.store.delete(EVENTS, app_id)
            self.store.delete(REMOTE_CONFIG, app_id)  # the remote-config plugin drops its parameters too
        return {"result": "Success"}


def _key_list(raw: Any, field: str) -> list[str]:
    """``keys``/``omit_keys``: a JSON array of parameter keys; anything unparsable is no filter."""
    parsed = parse_json_param(raw, field) if raw not in (None, "") else None
    return [str(k) for k in parsed] if isinstance(parsed, list) else []


def _period_key(raw: Any) -> str:
    """The dashboard's key for one ``period``: its text, or for an array JavaScript's ``String(array)``."""
    value = parse_json_param(raw, "period") if isinstance(raw, str) and raw.startswith("[") else raw
    if isinstance(value, list):
        return ",".join(v if isinstance(v, str) else json.dumps(v) for v in value)
    return raw if isinstance(raw, str) else json.dumps(raw)


def _sum_tree(target: dict[str, Any], source: dict[str, Any]) -> None:
    """``fetchMergedEventData``: numeric leaves summed at every level; meta lists joined."""
    for key, value in source.items():
        if isinstance(value, dict):
            _sum_tree(target.setdefault(key, {}), value)
        elif isinstance(value, list):
            slot = target.setdefault(key, [])
            slot.extend(v for v in value if v not in slot)
        elif isinstance(value, (int, float)):
            target[key] = target.get(key, 0) + value
