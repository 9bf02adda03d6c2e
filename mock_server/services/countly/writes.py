"""The write API's rules: ``/i`` and ``/i/bulk`` aggregated into time buckets at write time.

Unique users are decided here, from the user's previous session start ``ls`` compared with the request
time in the app's timezone (hour, day, week, month, year), so reads never look at raw requests.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from dataclasses import dataclass
from typing import Any

from schemas import RuleError
from schemas.wire import JSONError, JSONLimitError, loads, parse_number

from .appusers import merge_users
from .buckets import LEVELS, day_hour, last_session_index, take_back, unique_levels, uniques
from .clock import Moment, moment, request_time, zone
from .dashboard import to_fixed
from .geo import lookup_country
from .jsstring import js_string
from .model import EVENTS, Work, add_to, agg_ns, app_user_id, users_ns
from .useragent import os_from_agent
from .views import close_views, record_views, reopen_views

__all__ = ["IGNORED_DEVICE", "Limits", "WriteRules", "parse_json_param"]

IGNORED_DEVICE = "00000000-0000-0000-0000-000000000000"
#: Hours since the previous session → frequency bucket ``f.<k>`` (k = 1..9; 10 for 360 h and over).
FREQ_HOURS = (24, 48, 72, 96, 120, 144, 168, 192, 360)
#: Session seconds → duration bucket ``ds.<k>``.
DURATION_SECONDS = (10, 30, 60, 180, 600, 1800, 3600)
OS_CODES = {
    "android": "a", "ios": "i", "ipados": "ip", "macos": "o", "osx": "o", "mac": "o", "mac os x": "o",
    "windows": "mw", "windows phone": "w", "linux": "l", "web": "web", "tvos": "t", "watchos": "wos",
    "blackberry": "b", "roku": "r", "chrome os": "c", "tizen": "tz", "symbian": "s",
}
#: ``_os`` (exactly as usage.js compares it) → (device name prefixes, inferred ``_device_type``).
APPLE_DEVICE_TYPES = {
    "iOS": ((("iPhone", "iPod"), "mobile"), (("iPad",), "tablet")),
    "watchOS": ((("Watch",), "wearable"),),
    "tvOS": ((("AppleTV",), "smarttv"),),
    "macOS": ((("Mac", "iMac"), "desktop"),),
}
#: metric → (collection, meta set, app-user field).
METRICS: dict[str, tuple[str, str, str]] = {
    "_os": ("device_details", "os", "p"),
    "_os_version": ("device_details", "os_versions", "pv"),
    "_resolution": ("device_details", "resolutions", "r"),
    "_app_version": ("device_details", "app_versions", "av"),
    "_device_type": ("device_details", "device_type", "dt"),
    "_density": ("density", "density", "dnst"),  # the density plugin's own collection
    "_device": ("devices", "devices", "d"),
    "_manufacturer": ("devices", "manufacturers", "mnf"),
    "_carrier": ("carriers", "carriers", "c"),
    "_locale": ("langs", "langs", "la"),
}
INTERNAL_EVENTS = ("[CLY]_",)
ALL = frozenset(LEVELS)
#: The day keys of a month document ("1".."31"): a segment value equal to one is stored as "[CLY]<n>".
DAY_KEYS = frozenset(str(day) for day in range(1, 32))


@dataclass(frozen=True)
class Limits:
    session_cooldown: int = 15
    session_duration_limit: int = 86400
    event_limit: int = 500
    event_segmentation_limit: int = 100
    event_segmentation_value_limit: int = 1000
    metric_limit: int = 1000
    prevent_duplicate_requests: bool = True
    view_limit: int = 50000
    view_name_limit: int = 100


def parse_json_param(raw: Any, field: str) -> Any:
    """``metrics``/``events`` arrive as JSON text (query, form) or as JSON values (a JSON body).

    Bad JSON counts as absent (Countly logs it and carries on); JSON over a bound (too deep, a number no
    double holds) is a 400 naming the parameter.
    """
    if isinstance(raw, str):
        try:
            return loads(raw, field=None)
        except JSONLimitError as exc:
            raise fail_param(field, str(exc)) from None
        except JSONError:
            return None
    return raw


def fail_param(field: str, why: str) -> RuleError:
    return RuleError(f'Invalid parameter "{field}": {why}', field=field)


def truthy(raw: Any) -> bool:
    return raw not in (None, "", "0", 0, False, "false")


def js_int(raw: Any) -> int | None:
    """JavaScript's ``parseInt``: leading digits, sign allowed; None for NaN."""
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, (int, float)):
        return int(raw) if math.isfinite(raw) else None
    match = re.match(r"\s*([-+]?\d{1,300})(?!\d)", str(raw))  # longer: Infinity in JavaScript
    return int(match.group(1)) if match else None


def numeric(raw: Any) -> float | None:
    """A number, or a string that is wholly one (``common.isNumber``); None otherwise."""
    if isinstance(raw, bool) or raw is None:
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError, OverflowError):
        return None
    return value if math.isfinite(value) else None


def clean_value(raw: Any) -> str:
    """A segment value as stored: stringified as JavaScript does, a NUL written ``&#9647`` (as the real
    server stores it, before the output's HTML escaping), leading ``$`` stripped, ``.`` → ``:``."""
    return js_string(raw).replace("\x00", "&#9647").lstrip("$").replace(".", ":")


def with_agent_os(metrics: Any, user_agent: str | None) -> Any:
    """The web plugin at a ``begin_session``: ``_os`` and ``_os_version`` not sent are taken from the
    ``_ua`` metric, or else the request's User-Agent."""
    if metrics is not None and not isinstance(metrics, dict):
        return metrics
    out = dict(metrics or {})
    agent = js_string(out["_ua"]) if out.get("_ua") else user_agent
    if not agent:
        return metrics
    os_name, os_version = os_from_agent(agent)
    if os_name and not out.get("_os"):
        out["_os"] = os_name
    if os_version and not out.get("_os_version"):
        out["_os_version"] = os_version
    return out if out != (metrics or {}) else metrics


def _density(text: str, os_raw: str) -> str:
    """The density plugin: a number with 2 decimals, prefixed by the OS code (``[os]`` for an OS it has
    no code for) when ``_os`` was sent."""
    value = numeric(text)
    if value is not None:
        text = to_fixed(value, 2)
    if os_raw:
        code = OS_CODES.get(os_raw.lower())
        prefix = code if code is not None else f"[{os_raw}]"
        if not text.startswith(prefix):
            text = prefix + text
    return text


def fix_event_key(raw: Any) -> str | None:
    key = raw if isinstance(raw, str) else json.dumps(raw)
    key = key.replace("system.", "").replace("..", "").replace("$", "")
    if not key or len(key) >= 128:
        return None
    return key


def _os_code(os_name: str) -> str:
    """``common.os_mapping`` for a lower-cased ``_os``: exact, else the longest key it starts with, else
    its first letter."""
    if os_name in OS_CODES:
        return OS_CODES[os_name]
    keys = [k for k in OS_CODES if os_name.startswith(k)]
    return OS_CODES[max(keys, key=len)] if keys else os_name[:1]


def _bucket(value: float, bounds: tuple[int, ...], over: int) -> str:
    for i, bound in enumerate(bounds):
        if value <= bound:
            return str(i)
    return str(over)


def _frequency(hours: float) -> str:
    for i, bound in enumerate(FREQ_HOURS):
        if hours < bound:
            return str(i + 1)
    return "10"  # 360-744 h and 744 h and over share the last bucket, as in Countly


def _add_meta(zero: dict[str, Any], name: str, value: str, limit: int) -> bool:
    """Add ``value`` to the ``meta`` set ``name``; False when the set is full and the value is new."""
    values: list[str] = zero.setdefault("meta", {}).setdefault(name, [])
    if value in values:
        return True
    if len(values) >= limit:
        return False
    values.append(value)
    return True


class WriteRules:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits

    # -- one request ----------------------------------------------------------------------------
    def process(self, work: Work, app: dict[str, Any], p: dict[str, Any], *, ip: str | None,
                payload: str, now: float, user_agent: str | None = None) -> dict[str, str]:
        """Apply one validated ``/i`` request of ``app``; the reply body."""
        app_id = app["app_id"]
        app_key = str(p["app_key"])
        device_id = str(p["device_id"])
        uid = app_user_id(app_key, device_id)
        old_device = p.get("old_device_id")
        if old_device not in (None, "") and str(old_device) != device_id:
            merge_users(work, app, app_user_id(app_key, str(old_device)), uid, device_id)
        user_ns = users_ns(app_id)
        user: dict[str, Any] = work.get(user_ns, uid, {})
        stamp = p.get("timestamp")
        if self.limits.prevent_duplicate_requests:
            # Without a timestamp the server clock is hashed in, so such a request is never a duplicate.
            marker = str(stamp) if stamp not in (None, "") else f"now:{time.time_ns()}"
            digest = hashlib.sha1((payload + marker).encode()).hexdigest()
            if user.get("last_req") == digest:
                return {"result": "Success", "info": "Request ignored: Duplicate request"}
            user["last_req"] = digest
        t = request_time(stamp, now)
        t = now if t is None else t
        tz = zone(app.get("timezone"))
        m = moment(t, tz)
        user.setdefault("did", device_id)
        for name in ("hour", "dow", "tz"):
            if p.get(name) not in (None, ""):
                prop = js_int(p[name])
                user[name] = 0 if name == "hour" and prop == 24 else prop

        metrics = parse_json_param(p.get("metrics"), "metrics") if "metrics" in p else None
        begin = truthy(p.get("begin_session"))
        if begin:
            metrics = with_agent_os(metrics, user_agent)
        metric_values = self._metric_values(metrics) if isinstance(metrics, dict) else {}
        duration = self._duration(p.get("session_duration"))
        end = truthy(p.get("end_session"))
        counted = False
        if begin:
            lest = user.get("lest")
            # usage.js: ``timestamp - lest < cooldown``, so a begin dated before the last end extends too
            cooling = (lest is not None and t - lest < self.limits.session_cooldown
                       and not truthy(p.get("ignore_cooldown")))
            if p.get("city") not in (None, ""):
                user["cty"] = str(p["city"])
            if cooling:
                self._reopen_session(work, app_id, user)
            else:
                if user.get("hos"):
                    self._close_session(work, app_id, user, m)
                user.pop("closed", None)
                country = self._country(p, ip, user)
                self._begin(work, app, user, m, country, metric_values)
                counted = True
            user["hos"] = True
        if metric_values and not counted:  # outside a counted begin, metrics only update the app user
            for metric, value in metric_values.items():
                user[METRICS[metric][2]] = value
        events = parse_json_param(p.get("events"), "events") if "events" in p else None
        if isinstance(events, list):
            events = record_views(work, app, user, events, m, now, tz, view_limit=self.limits.view_limit,
                                  name_limit=self.limits.view_name_limit)
        if "fs" not in user:
            # Countly shows nothing of a device before its first session: a plain request waits in the
            # app user and joins the first session's ``e``; its session_duration and end_session add nothing.
            if not begin and not duration and not end:
                user["pending_e"] = user.get("pending_e", 0) + 1
        else:
            month = work.doc(agg_ns(app_id), f"users|{m.year}:{m.month}", {})
            # ``e`` as usage.js counts it: a counted begin is one, a session_duration another (both in one
            # request make two), and a request with neither is one; a begin within the cooldown adds none.
            if counted:
                day_hour(month, m, "e", 1 + user.pop("pending_e", 0))
            if not begin and not duration:
                day_hour(month, m, "e", 1)
            if duration:
                day_hour(month, m, "e", 1)
                day_hour(month, m, "d", duration)
                user["sd"] = user.get("sd", 0) + duration
                user["tsd"] = user.get("tsd", 0) + duration
            if end:
                user["lest"] = t
                user["hos"] = False
                self._close_session(work, app_id, user, m)
        if isinstance(events, list):
            self._events(work, app, events, now, tz, m)
        work.put(user_ns, uid, user)
        return {"result": "Success"}

    # -- parameters -----------------------------------------------------------------------------
    def _duration(self, raw: Any) -> int:
        value = js_int(raw)
        if not value:
            return 0
        if value < 0:
            return 30
        return min(value, self.limits.session_duration_limit)

    def _country(self, p: dict[str, Any], ip: str | None, user: dict[str, Any]) -> str:
        if p.get("location") == "" and truthy(p.get("begin_session")):
            return "Unknown"  # the user opted out of location
        code = p.get("country_code")
        if isinstance(code, str) and re.fullmatch(r"[A-Za-z]{2}", code):
            return code.upper()
        return lookup_country(str(p["ip_address"]) if p.get("ip_address") else ip)

    def _metric_values(self, metrics: dict[str, Any]) -> dict[str, str]:
        """``usage.getPredefinedMetrics``: the predefined metrics, normalised; unknown keys ignored."""
        raw = {k: v for k, v in metrics.items() if k in METRICS and v not in (None, "", 0, False)}
        os_name = js_string(raw.get("_os", "")).strip().lower()
        out: dict[str, str] = {}
        for key, value in raw.items():
            text = js_string(value).lstrip("$")
            if key == "_os_version" and os_name:
                text = _os_code(os_name) + text
            elif key == "_app_version" and text.isdigit():
                text += ".0"
            elif key == "_carrier":
                text = self._carrier(text) or ""
            elif key == "_locale":
                text = re.split(r"[_-]", text, maxsplit=1)[0].lower()
            elif key == "_density":
                text = _density(text, js_string(raw["_os"]) if "_os" in raw else "")
            text = text.replace(".", ":")
            if text:
                out[key] = text
        os_raw = js_string(raw.get("_os", ""))
        if os_raw in APPLE_DEVICE_TYPES and "_manufacturer" not in out:
            out["_manufacturer"] = "Apple"
        device = js_string(raw.get("_device", ""))
        if "_device_type" not in out and device:
            for prefixes, device_type in APPLE_DEVICE_TYPES.get(os_raw, ()):
                if device.startswith(prefixes):
                    out["_device_type"] = device_type
                    break
        return out

    @staticmethod
    def _carrier(text: str) -> str | None:
        text = text.strip()
        if text == "--" or (len(text) == 16 and " " not in text) or re.fullmatch(r"\d{5,6}", text):
            return None  # a random hash, a placeholder, or an MCC/MNC the kit has no table for
        return " ".join(w[:1].upper() + w[1:].lower() for w in text.split(" "))

    # -- sessions -------------------------------------------------------------------------------
    @staticmethod
    def _levels(user: dict[str, Any], m: Moment, tz_name: str | None) -> set[str]:
        """The levels at which this user is unique for ``m``: all for a new user, else by ``ls``."""
        return unique_levels(user.get("ls") if "fs" in user else None, m, zone(tz_name))

    def _begin(self, work: Work, app: dict[str, Any], user: dict[str, Any], m: Moment, country: str,
               metric_values: dict[str, str]) -> None:
        app_id = app["app_id"]
        if "_carrier" not in metric_values:  # every counted session has a carrier, Unknown when none was sent
            metric_values = {**metric_values, "_carrier": "Unknown"}
        ns = agg_ns(app_id)
        new = "fs" not in user
        levels = self._levels(user, m, app.get("timezone"))
        month = work.doc(ns, f"users|{m.year}:{m.month}", {})
        zero = work.doc(ns, f"users|{m.year}:0", {})
        day = str(m.day)
        day_hour(month, m, "t", 1)
        if new:
            day_hour(month, m, "n", 1)
        if "day" in levels:
            add_to(month, (day, "u"), 1)
        if "hour" in levels:
            add_to(month, (day, str(m.hour), "u"), 1)
        uniques(zero, m, levels, ("u",))
        # country: t and n per day; unique at every level when the user moved country
        country_levels = ALL if user.get("cc") != country else levels
        add_to(month, (day, country, "t"), 1)
        if new:
            add_to(month, (day, country, "n"), 1)
        if "day" in country_levels:
            add_to(month, (day, country, "u"), 1)
        uniques(zero, m, country_levels, (country, "u"))
        _add_meta(zero, "countries", country, 10**6)
        # frequency: hours since the previous session start
        previous = user.get("ls")
        freq: str | None = "0"
        if previous is not None:
            freq = None if previous > m.ts else _frequency((m.ts - previous) / 3600)
        if freq is not None:
            # counted for every session at every level, unlike ``u``, which only a unique user adds
            add_to(month, (day, "f", freq), 1)
            uniques(zero, m, ALL, ("f", freq))
            _add_meta(zero, "f-ranges", freq, 10**6)
        # metrics: aggregated only at a counted begin_session
        for metric, value in metric_values.items():
            collection, meta_name, field = METRICS[metric]
            mzero = work.doc(ns, f"{collection}|{m.year}:0", {})
            if not _add_meta(mzero, meta_name, value, self.limits.metric_limit):
                continue
            mmonth = work.doc(ns, f"{collection}|{m.year}:{m.month}", {})
            value_levels = ALL if user.get(field) != value else levels
            add_to(mmonth, (day, value, "t"), 1)
            if new:
                add_to(mmonth, (day, value, "n"), 1)
            if "day" in value_levels:
                add_to(mmonth, (day, value, "u"), 1)
            uniques(mzero, m, value_levels, (value, "u"))
            user[field] = value
        city = str(user.get("cty") or "")
        if city and app.get("country") and app["country"] == country:
            czero = work.doc(ns, f"cities|{m.year}:0", {})
            if _add_meta(czero, "cities", city, self.limits.metric_limit):
                cmonth = work.doc(ns, f"cities|{m.year}:{m.month}", {})
                add_to(cmonth, (day, city, "t"), 1)
                if new:
                    add_to(cmonth, (day, city, "n"), 1)
                if "day" in levels:
                    add_to(cmonth, (day, city, "u"), 1)
                uniques(czero, m, levels, (city, "u"))
        # usage.js moves ``ls`` only forwards: a begin dated in the past leaves the last session where it is
        last = m if user.get("ls") is None or m.ts > user["ls"] else moment(user["ls"], zone(app.get("timezone")))
        self._move_last_session(work, app, user, last, country)
        if new:
            user["fs"] = m.ts
        user["ls"] = last.ts
        user["cc"] = country
        user["sc"] = user.get("sc", 0) + 1
        user["lsid"] = hashlib.sha1(f"{user.get('did')}{m.ts}".encode()).hexdigest()[:24]

    @staticmethod
    def _move_last_session(work: Work, app: dict[str, Any], user: dict[str, Any], m: Moment, country: str) -> None:
        tz = zone(app.get("timezone"))
        if user.get("ls") is not None:
            last_session_index(work, app["app_id"], user["ls"], str(user.get("cc", "Unknown")), -1, tz)
        last_session_index(work, app["app_id"], m.ts, country, 1, tz)

    @staticmethod
    def _close_session(work: Work, app_id: str, user: dict[str, Any], m: Moment) -> None:
        """Record the session-duration range of the session that ends, and start counting afresh."""
        seconds = user.get("sd", 0)
        bucket = _bucket(seconds, DURATION_SECONDS, len(DURATION_SECONDS))
        ns = agg_ns(app_id)
        month = work.doc(ns, f"users|{m.year}:{m.month}", {})
        zero = work.doc(ns, f"users|{m.year}:0", {})
        add_to(month, (str(m.day), "ds", bucket), 1)
        uniques(zero, m, {"year", "month", "week"}, ("ds", bucket))
        _add_meta(zero, "d-ranges", bucket, 10**6)
        # Kept so that a begin within the cooldown can take the range back and carry the session on.
        user["closed"] = {"y": m.year, "m": m.month, "d": m.day, "w": m.week, "bucket": bucket, "sd": seconds}
        view = close_views(work, app_id, user, m)
        if view is not None:
            user["closed"]["view"] = view
        user["sd"] = 0

    @staticmethod
    def _reopen_session(work: Work, app_id: str, user: dict[str, Any]) -> None:
        """A begin within the cooldown extends the session that just ended.

        Countly records the duration range only once the cooldown has passed without a new session; the
        reference server records it at the end at once and takes it back here, so the extended session
        gets one range, for its whole duration, when it ends again.
        """
        closed = user.pop("closed", None)
        if not closed:
            return
        ns = agg_ns(app_id)
        month = work.doc(ns, f"users|{closed['y']}:{closed['m']}", {})
        zero = work.doc(ns, f"users|{closed['y']}:0", {})
        bucket = closed["bucket"]
        take_back(month, (str(closed["d"]), "ds", bucket))
        d = zero.setdefault("d", {})
        for path in (("ds", bucket), (str(closed["m"]), "ds", bucket), (f"w{closed['w']}", "ds", bucket)):
            take_back(d, path)
        user["sd"] = closed["sd"] + user.get("sd", 0)
        if "view" in closed:
            reopen_views(work, app_id, user, closed["view"])

    # -- events ---------------------------------------------------------------------------------
    def _events(self, work: Work, app: dict[str, Any], events: list[Any], now: float, tz: Any, m: Moment) -> None:
        app_id = app["app_id"]
        ns = agg_ns(app_id)
        catalogue: dict[str, Any] = work.doc(EVENTS, app_id, {"list": [], "segments": {}})
        for i, event in enumerate(events):
            if not isinstance(event, dict) or event.get("key") in (None, ""):
                continue
            for name in ("count", "sum", "dur"):  # a number, but out of range: refused (the whole request)
                if numeric(event.get(name)) is not None:
                    parse_number(numeric(event.get(name)), f"events[{i}].{name}")
            key = fix_event_key(event["key"])
            if key is None or key.startswith(INTERNAL_EVENTS):
                continue
            if key not in catalogue["list"]:
                if len(catalogue["list"]) >= self.limits.event_limit:
                    continue
                catalogue["list"].append(key)
            raw_count = numeric(event.get("count"))
            count = int(raw_count) if raw_count else 1  # 0, "abc", missing: 1; 2.7: 2
            values: dict[str, float] = {"c": count}
            sum_ = numeric(event.get("sum"))
            if sum_:
                values["s"] = float(to_fixed(sum_, 5))
            dur = numeric(event.get("dur"))
            if dur:
                values["dur"] = dur
            t = request_time(event.get("timestamp"), now) if event.get("timestamp") not in (None, "") else None
            em = m if t is None else moment(t, tz)
            base = f"ev:{key}"
            zero = work.doc(ns, f"{base}:no-segment|{em.year}:0", {})
            month = work.doc(ns, f"{base}:no-segment|{em.year}:{em.month}", {})
            for field, value in values.items():
                day_hour(month, em, field, value)
            segmentation = event.get("segmentation")
            if not isinstance(segmentation, dict):
                continue
            known: list[str] = catalogue["segments"].setdefault(key, [])
            for raw_name, raw_value in segmentation.items():
                name = str(raw_name).lstrip("$").replace(".", "")
                if not name or isinstance(raw_value, (list, dict)) or raw_value in (None, ""):
                    continue  # arrays are kept only by drill, never aggregated
                text = clean_value(raw_value)
                if not text:
                    continue
                if text in DAY_KEYS:
                    text = f"[CLY]{text}"  # would collide with a day key
                if name not in known:
                    if len(known) >= self.limits.event_segmentation_limit:
                        continue
                    known.append(name)
                _add_meta(zero, "segments", name, self.limits.event_segmentation_limit)
                if not _add_meta(zero, name, text, self.limits.event_segmentation_value_limit):
                    continue
                seg = work.doc(ns, f"{base}:{name}|{em.year}:{em.month}", {})
                for field, amount in values.items():
                    add_to(seg, (str(em.day), text, field), amount)
