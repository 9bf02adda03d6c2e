"""Countly: the write API (``/i``, ``/i/bulk``), the read API (``/o``) and ``/o/analytics``.

Every write carries a request ``timestamp`` (unix ms) fixed when the request is built, so a retry is
byte-for-byte the same request. Countly suppresses a duplicate only by comparing it with the device's
previous request, though: an attempt held past the client's timeout that lands after the retry and after
the device's next write counts twice (the fault tests show it). So a write that may have been applied is
not retried by default (``RetryPolicy(retry_writes=True)`` opts in); it reaches the caller, or a batch's
``on_error``, flagged ``maybe_applied``. Events go through the batching engine: one ``/i`` request per batch
(``/i/bulk`` when the batch holds several devices).

Against a real Countly, an acknowledged write reaches ``/o`` after a delay (seconds); only the
reference server aggregates synchronously.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, Literal, get_args
from urllib.parse import urlencode

import httpx

from .._batching import AsyncBatcher, BatchConfig, Batcher, OnError
from .._client import AsyncAPIClient, BaseClient, RawResponses, Request, SyncAPIClient
from .._env import env_base_url, env_value
from .._errors import ValidationError, maybe_applied
from .._retry import RetryPolicy
from .models import (
    Bar,
    CountryRow,
    Dashboard,
    DashboardMetric,
    DashboardPeriod,
    Event,
    EventCatalogue,
    EventTotal,
    Field,
    Metrics,
    SdkConfig,
    TimeData,
    ViewRow,
    countries_from_json,
    event_totals_from_json,
    views_from_json,
)

__all__ = [
    "TIME_METHODS",
    "AsyncCountlyClient",
    "AsyncCountlySession",
    "Bar",
    "CountlyClient",
    "CountlySession",
    "CountryRow",
    "Dashboard",
    "DashboardMetric",
    "DashboardPeriod",
    "Event",
    "EventCatalogue",
    "EventTotal",
    "Field",
    "Metrics",
    "Period",
    "PeriodName",
    "SdkConfig",
    "TimeData",
    "ViewRow",
]

SDK_NAME = "analytics-api-kit-python"
SDK_VERSION = "0.1.0"
#: Read methods whose answer is the nested time-bucket object.
TIME_METHODS = ("sessions", "users", "locations", "device_details", "app_versions", "devices", "carriers",
                "cities", "langs", "density")
VIEW_EVENT = "[CLY]_view"
#: 200 replies that are refusals (Countly answers checksum problems with 200).
_REFUSALS = ("Request does not have checksum", "Request does not match checksum")
#: Countly's named periods (``countlyCommon.getPeriodObj``); any other ``Ndays``/``Nweeks``/``Nmonths`` is
#: accepted at run time too. A name outside these is refused: the server would silently read 30 days.
PeriodName = Literal["hour", "today", "yesterday", "day", "month", "prevMonth", "7days", "14days", "30days",
                     "60days", "90days", "365days"]
#: A named period, or ``(from, to)`` in unix milliseconds; None: the server's default (30 days).
Period = PeriodName | tuple[int, int] | None
_SPAN = re.compile(r"[1-9][0-9]*(days|weeks|months)")


def _period(period: Period) -> str | None:
    if period is None:
        return None
    if isinstance(period, str):
        if period not in get_args(PeriodName) and not _SPAN.fullmatch(period):
            raise ValidationError(f"period: {period!r} is not one of {', '.join(get_args(PeriodName))} "
                                  "(or Ndays, Nweeks, Nmonths, or a (from, to) pair of unix ms)", field="period")
        return period
    if (not isinstance(period, tuple) or len(period) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in period) or period[0] > period[1]):
        raise ValidationError("period: a (from, to) pair of unix milliseconds, from <= to", field="period")
    return json.dumps(list(period))


def _stamp(event: Event) -> Event:
    if event.timestamp is not None:
        return event
    return Event(event.key, event.count, event.sum, event.dur, event.segmentation, _now_ms(), event.device_id)


_last_ms = 0
_ms_lock = threading.Lock()


def _now_ms() -> int:
    """Unix ms, strictly increasing in this process: two writes built in the same millisecond would
    otherwise look like a retry to the server's duplicate check."""
    global _last_ms
    with _ms_lock:
        _last_ms = max(_last_ms + 1, int(time.time() * 1000))
        return _last_ms


class _CountlyBase(BaseClient):
    """Request building and reply parsing, shared by both flavours (sans-IO)."""

    app_key: str | None
    device_id: str | None
    api_key: str | None
    app_id: str | None
    salt: str | None

    def _init(self, app_key: str | None, device_id: str | None, api_key: str | None, app_id: str | None,
              salt: str | None) -> list[str | None]:
        """Set the credentials (arguments first, then the environment); return the secrets among them."""
        self.app_key = env_value("countly", "app_key", app_key)
        self.device_id = env_value("countly", "device_id", device_id)
        self.api_key = env_value("countly", "api_key", api_key)
        self.app_id = env_value("countly", "app_id", app_id)
        self.salt = env_value("countly", "salt", salt)
        return [self.app_key, self.api_key, self.salt]

    # -- writes ---------------------------------------------------------------------------------
    def _need(self, name: str) -> str:
        value = getattr(self, name)
        if not value:
            raise ValidationError(f"this call needs {name}: CountlyClient({name}=...)", field=name)
        return str(value)

    def _write(self, fields: Mapping[str, Any], *, device_id: str | None = None) -> Request:
        items: list[tuple[str, str]] = [("app_key", self._need("app_key")),
                                        ("device_id", device_id or self._need("device_id")),
                                        ("timestamp", str(_now_ms()))]
        for key, value in fields.items():
            if value is None:
                continue
            text = json.dumps(value, separators=(",", ":")) if isinstance(value, (dict, list)) else str(value)
            items.append((key, text))
        if self.salt:
            # The server hashes the body exactly as httpx encodes it, with the checksum removed.
            items.append(("checksum256", hashlib.sha256((urlencode(items) + self.salt).encode()).hexdigest().upper()))
        return Request("POST", "/i", data=dict(items))

    def _begin(self, metrics: Metrics | Mapping[str, str] | None, ip_address: str | None,
               country_code: str | None, city: str | None, location: str | None) -> Request:
        body = metrics.to_json() if isinstance(metrics, Metrics) else dict(metrics or {})
        return self._write({"begin_session": 1, "sdk_name": SDK_NAME, "sdk_version": SDK_VERSION,
                            "metrics": body or None, "ip_address": ip_address, "country_code": country_code,
                            "city": city, "location": location})

    def _duration(self, seconds: int) -> Request:
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 1:
            raise ValidationError("session_duration: must be a positive number of seconds", field="session_duration")
        return self._write({"session_duration": seconds})

    def _end(self, duration: int | None) -> Request:
        if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int) or duration < 0):
            raise ValidationError("session_duration: must be a non-negative number of seconds",
                                  field="session_duration")
        return self._write({"end_session": 1, "session_duration": duration or None})

    def _events(self, events: Sequence[Event]) -> Request:
        if not events:
            raise ValidationError("events: at least one event", field="events")
        devices = {e.device_id or self._need("device_id") for e in events}
        if len(devices) == 1:
            return self._write({"events": [e.to_json() for e in events]}, device_id=devices.pop())
        entries: dict[str, list[dict[str, Any]]] = {}
        for e in events:
            entries.setdefault(e.device_id or self._need("device_id"), []).append(e.to_json())
        return self._bulk([{"device_id": d, "events": evs} for d, evs in entries.items()])

    def _bulk(self, entries: Sequence[Mapping[str, Any]]) -> Request:
        if not entries:
            raise ValidationError("requests: at least one request", field="requests")
        out = []
        for i, entry in enumerate(entries):
            if not entry.get("device_id"):
                raise ValidationError(f"requests[{i}].device_id: missing", field=f"requests[{i}].device_id")
            # Each entry its own timestamp: two equal entries of one device are two requests, not a retry.
            out.append({"timestamp": _now_ms(), **entry})
        return Request("POST", "/i/bulk", data={"app_key": self._need("app_key"),
                                                "requests": json.dumps(out, separators=(",", ":"))})

    def _view(self, name: str, *, start: bool, url: str | None, seconds: int | None) -> Request:
        """A ``[CLY]_view`` event: a visit (``seconds`` None) or the time spent on the view."""
        if not isinstance(name, str) or not name:
            raise ValidationError("name: must be a non-empty string", field="name")
        segmentation: dict[str, Any] = {"name": name}
        event: dict[str, Any] = {"key": VIEW_EVENT, "count": 1, "timestamp": _now_ms(), "segmentation": segmentation}
        if seconds is None:
            segmentation["visit"] = 1
            if start:
                segmentation["start"] = 1
            if url is not None:
                segmentation["view"] = url
        else:
            if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
                raise ValidationError("seconds: must be a non-negative number of seconds", field="seconds")
            event["dur"] = seconds
        return self._write({"events": [event]})

    def _change_id(self, device_id: str) -> Request:
        if not isinstance(device_id, str) or not device_id:
            raise ValidationError("device_id: must be a non-empty string", field="device_id")
        old = self._need("device_id")
        if device_id == old:
            raise ValidationError("device_id: is already the client's device id", field="device_id")
        return self._write({"old_device_id": old}, device_id=device_id)

    # -- reads ----------------------------------------------------------------------------------
    def _sdk(self, method: str, **params: Any) -> Request:
        """``/o/sdk``, read with the app_key and device_id as the SDKs do."""
        return Request("GET", "/o/sdk", params={"app_key": self._need("app_key"), "device_id": self._need("device_id"),
                                                "method": method, **params})

    def _remote_config(self, keys: Sequence[str] | None, omit_keys: Sequence[str] | None) -> Request:
        return self._sdk("fetch_remote_config", keys=json.dumps(list(keys)) if keys else None,
                         omit_keys=json.dumps(list(omit_keys)) if omit_keys else None)

    def _views(self, period: Period) -> Request:
        return self._read("views", action="getTable", iDisplayLength=-1, period=_period(period))

    def _view_data(self, view_id: str, period: Period) -> Request:
        return self._read("views", selectedViews=json.dumps([{"view": view_id}]), period=_period(period))

    def _read(self, method: str, **params: Any) -> Request:
        query = {"api_key": self._need("api_key"), "app_id": self._need("app_id"), "method": method, **params}
        return Request("GET", "/o", params=query)

    def _analytics(self, path: str, period: Period) -> Request:
        return Request("GET", f"/o/analytics/{path}", params={"api_key": self._need("api_key"),
                                                              "app_id": self._need("app_id"),
                                                              "period": _period(period)})

    def _reset(self, app_id: str | None) -> Request:
        args = {"app_id": app_id or self._need("app_id"), "period": "reset"}
        return Request("POST", "/i/apps/reset", data={"api_key": self._need("api_key"), "args": json.dumps(args)},
                       idempotent=True)  # wiping twice leaves the same empty app

    @staticmethod
    def _event_time(response: httpx.Response, segmentation: str | None) -> TimeData:
        return TimeData(response.json(), events=True, segmentation=segmentation)

    def _events_read(self, event: str | None, events: Sequence[str] | None, segmentation: str | None,
                     period: Period, refresh: bool) -> Request:
        return self._read("events", event=event, events=list(events) if events else None,
                          segmentation=segmentation, period=_period(period), action="refresh" if refresh else None)

    # -- replies --------------------------------------------------------------------------------
    def error_message(self, body: Any, response: httpx.Response) -> str:
        if isinstance(body, Mapping) and isinstance(body.get("result"), str):
            return str(body["result"])
        return super().error_message(body, response)

    def status_in_body(self, body: Any) -> int | None:
        # Countly refuses a bad checksum with HTTP 200 and a result string.
        return 400 if isinstance(body, Mapping) and body.get("result") in _REFUSALS else None

    @staticmethod
    def _time(response: httpx.Response) -> TimeData:
        return TimeData(response.json())

    @staticmethod
    def _names(response: httpx.Response) -> dict[str, str]:
        return {str(row["_id"]): str(row["view"]) for row in response.json()}

    @staticmethod
    def _one_view(response: httpx.Response, view_id: str) -> TimeData:
        data = response.json().get("data", {}).get(view_id, {})
        return TimeData(data.get("no-segment", {}))

    @staticmethod
    def _total_users(response: httpx.Response) -> int:
        rows = response.json()
        return sum(int(r.get("u", 0)) for r in rows if r.get("_id") == "users")


class CountlySession:
    """``with client.session(...)``: begin, a heartbeat every ``heartbeat`` seconds, end with the rest."""

    def __init__(self, client: CountlyClient, heartbeat: float | None, begin: Request) -> None:
        self._client = client
        self._heartbeat = heartbeat
        self._begin = begin
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._mark = 0.0
        self._carry = 0.0

    def _take(self) -> int:
        """Whole seconds since the last report (fractions carried to the next one)."""
        with self._lock:
            now = time.monotonic()
            self._carry += now - self._mark
            self._mark = now
            whole = int(self._carry)
            self._carry -= whole
            return whole

    def _give_back(self, seconds: int) -> None:
        with self._lock:
            self._carry += seconds

    def extend(self) -> None:
        """Report the whole seconds since the last report. Seconds of a heartbeat that certainly was not
        applied are carried to the next one; one that may have been applied is not resent (it would
        count twice)."""
        seconds = self._take()
        if seconds:
            try:
                self._client.session_duration(seconds)
            except Exception as exc:
                if not maybe_applied(exc):  # every attempt's outcome counts, not only the last one's
                    self._give_back(seconds)
                raise

    def _run(self) -> None:
        assert self._heartbeat is not None
        while not self._stop.wait(self._heartbeat):
            with contextlib.suppress(Exception):  # its seconds go with the next heartbeat or the end
                self.extend()

    def __enter__(self) -> CountlySession:
        self._client._send_write(self._begin)
        self._mark = time.monotonic()
        if self._heartbeat:
            self._thread = threading.Thread(target=self._run, name="countly-heartbeat", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._client.flush()
        self._client.end_session(self._take())


class CountlyClient(_CountlyBase, SyncAPIClient):
    """``CountlyClient(app_key=..., device_id=...)`` for writes, ``api_key=..., app_id=...`` for reads."""

    def __init__(self, *, base_url: str | None = None, app_key: str | None = None, device_id: str | None = None,
                 api_key: str | None = None, app_id: str | None = None, salt: str | None = None,
                 batch: BatchConfig | None = None, on_error: OnError[Event] | None = None,
                 timeout: httpx.Timeout | float | None = None, retry: RetryPolicy | None = None,
                 headers: Mapping[str, str] | None = None, http_client: httpx.Client | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        secrets = self._init(app_key, device_id, api_key, app_id, salt)
        super().__init__(base_url=env_base_url("countly", base_url, None), secrets=secrets, timeout=timeout,
                         retry=retry, headers=headers, http_client=http_client, transport=transport)
        self._write_lock = threading.Lock()
        self.events_batcher: Batcher[Event] = Batcher(self.send_events, config=batch or BatchConfig(max_items=100),
                                                      validate=_stamp, on_error=on_error)

    # writes
    def _send_write(self, request: Request) -> httpx.Response:
        """Send a write, one at a time. Countly compares a request only with the device's previous one,
        so a retry is recognised as a duplicate only if no other write of the device came in between
        (the heartbeat thread and the batcher write too)."""
        with self._write_lock:
            return self.send(request)

    def begin_session(self, metrics: Metrics | Mapping[str, str] | None = None, *, ip_address: str | None = None,
                      country_code: str | None = None, city: str | None = None,
                      location: str | None = None) -> None:
        self._send_write(self._begin(metrics, ip_address, country_code, city, location))

    def session_duration(self, seconds: int) -> None:
        """Extend the session by ``seconds`` (the heartbeat)."""
        self._send_write(self._duration(seconds))

    def end_session(self, duration: int | None = None) -> None:
        self._send_write(self._end(duration))

    def session(self, metrics: Metrics | Mapping[str, str] | None = None, *, heartbeat: float | None = None,
                ip_address: str | None = None, country_code: str | None = None) -> CountlySession:
        return CountlySession(self, heartbeat, self._begin(metrics, ip_address, country_code, None, None))

    def record_event(self, event: Event) -> bool:
        """Queue an event for the batcher (stamped with the time it was added)."""
        return self.events_batcher.add(event)

    def send_events(self, events: Sequence[Event]) -> None:
        """Send events now, in one request."""
        self._send_write(self._events(events))

    def bulk(self, requests: Sequence[Mapping[str, Any]]) -> None:
        """``/i/bulk``: several write requests (dicts of ``/i`` parameters) in one."""
        self._send_write(self._bulk(requests))

    def record_view(self, name: str, *, start: bool = False, url: str | None = None) -> None:
        """A visit of the view ``name`` (``start``: the first view of the session), sent at once."""
        self._send_write(self._view(name, start=start, url=url, seconds=None))

    def record_view_duration(self, name: str, seconds: int) -> None:
        """The time spent on the view ``name``, when the user leaves it."""
        self._send_write(self._view(name, start=False, url=None, seconds=seconds))

    def change_device_id(self, device_id: str, *, merge: bool = True) -> None:
        """Switch to ``device_id``. With ``merge`` the server folds the old device's user into the new one
        (``old_device_id``), so the user is counted once; without it the new id is a new user. Queued
        events are sent under the old id first."""
        request = self._change_id(device_id)
        self.flush()
        if merge:
            self._send_write(request)
        self.device_id = device_id

    def flush(self) -> None:
        self.events_batcher.flush()

    def close(self) -> None:
        self.events_batcher.close()
        super().close()

    # reads
    def read(self, method: str, *, period: Period = None, refresh: bool = False) -> TimeData:
        """A time-bucket method (sessions, users, locations, device_details, app_versions, devices, carriers,
        cities, langs)."""
        if method not in TIME_METHODS:
            raise ValidationError(f"method: {method!r} is not one of {', '.join(TIME_METHODS)}", field="method")
        return self._time(self.send(self._read(method, period=_period(period),
                                               action="refresh" if refresh else None)))

    def sessions(self, *, period: Period = None) -> TimeData:
        return self.read("sessions", period=period)

    def users(self, *, period: Period = None) -> TimeData:
        return self.read("users", period=period)

    def locations(self, *, period: Period = None) -> TimeData:
        return self.read("locations", period=period)

    def device_details(self, *, period: Period = None) -> TimeData:
        return self.read("device_details", period=period)

    def carriers(self, *, period: Period = None) -> TimeData:
        return self.read("carriers", period=period)

    def devices(self, *, period: Period = None) -> TimeData:
        return self.read("devices", period=period)

    def app_versions(self, *, period: Period = None) -> TimeData:
        return self.read("app_versions", period=period)

    def cities(self, *, period: Period = None) -> TimeData:
        return self.read("cities", period=period)

    def density(self, *, period: Period = None) -> TimeData:
        """The density plugin's collection (``meta["density"]``: values such as ``a2:63``)."""
        return self.read("density", period=period)

    def views(self, *, period: Period = None) -> tuple[ViewRow, ...]:
        """Every view with visits in the period, most visited first."""
        return views_from_json(self.send(self._views(period)).json())

    def view_names(self) -> dict[str, str]:
        """Every view the app has (id -> name), with data in any period or none."""
        return self._names(self.send(self._read("views", action="listNames")))

    def view_data(self, view_id: str, *, period: Period = None) -> TimeData:
        """One view's time buckets (``t``, ``u``, ``n``, ``s``, ``e``, ``b``, ``d``); ``view_id`` from ``views()``."""
        return self._one_view(self.send(self._view_data(view_id, period)), view_id)

    def sdk_config(self) -> SdkConfig:
        """What ``/o/sdk?method=sc`` hands the SDKs at start."""
        return SdkConfig.from_json(self.send(self._sdk("sc")).json())

    def remote_config(self, *, keys: Sequence[str] | None = None,
                      omit_keys: Sequence[str] | None = None) -> dict[str, Any]:
        """The remote-config values for this device (only ``keys``, or all but ``omit_keys``)."""
        values: dict[str, Any] = self.send(self._remote_config(keys, omit_keys)).json()
        return values

    def events(self, event: str | None = None, *, events: Sequence[str] | None = None,
               segmentation: str | None = None, period: Period = None, refresh: bool = False) -> TimeData:
        return self._event_time(self.send(self._events_read(event, events, segmentation, period, refresh)),
                                segmentation)

    def get_events(self) -> EventCatalogue:
        return EventCatalogue.from_json(self.send(self._read("get_events")).json())

    def event_totals(self, *, period: Period = None) -> tuple[EventTotal, ...]:
        """Every custom event's count, sum and duration over the period, most counted first."""
        return event_totals_from_json(self.send(self._analytics("events", period)).json())

    def total_users(self, *, period: Period = None) -> int:
        return self._total_users(self.send(self._read("total_users", metric="users", period=_period(period))))

    def dashboard(self, *, period: Period = None) -> Dashboard:
        return Dashboard.from_json(self.send(self._analytics("dashboard", period)).json())

    def countries(self) -> dict[str, tuple[CountryRow, ...]]:
        return countries_from_json(self.send(self._analytics("countries", None)).json())

    def reset_app(self, app_id: str | None = None) -> None:
        self.send(self._reset(app_id))

    @property
    def with_raw_response(self) -> CountlyWithRawResponse:
        """Every call answering ``RawResponse[<its result>]``: status, headers and request id beside it."""
        return CountlyWithRawResponse(self)


class AsyncCountlySession:
    """``async with client.session(...)``: begin, a heartbeat task, end with the remaining seconds."""

    def __init__(self, client: AsyncCountlyClient, heartbeat: float | None, begin: Request) -> None:
        self._client = client
        self._heartbeat = heartbeat
        self._begin = begin
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._mark = 0.0
        self._carry = 0.0

    def _take(self) -> int:
        now = time.monotonic()
        self._carry += now - self._mark
        self._mark = now
        whole = int(self._carry)
        self._carry -= whole
        return whole

    async def extend(self) -> None:
        """As ``CountlySession.extend``."""
        seconds = self._take()
        if seconds:
            try:
                await self._client.session_duration(seconds)
            except Exception as exc:
                if not maybe_applied(exc):  # every attempt's outcome counts, not only the last one's
                    self._carry += seconds
                raise

    async def _run(self) -> None:
        assert self._heartbeat is not None
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._heartbeat)
                return
            with contextlib.suppress(Exception):  # its seconds go with the next heartbeat or the end
                await self.extend()

    async def __aenter__(self) -> AsyncCountlySession:
        await self._client._send_write(self._begin)
        self._mark = time.monotonic()
        if self._heartbeat:
            self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            # Stopped, not cancelled: a heartbeat in flight finishes, so its seconds are neither lost nor
            # sent twice (as the sync session joins its thread).
            self._stop.set()
            await self._task
        await self._client.flush()
        await self._client.end_session(self._take())


class AsyncCountlyClient(_CountlyBase, AsyncAPIClient):
    def __init__(self, *, base_url: str | None = None, app_key: str | None = None, device_id: str | None = None,
                 api_key: str | None = None, app_id: str | None = None, salt: str | None = None,
                 batch: BatchConfig | None = None, on_error: OnError[Event] | None = None,
                 timeout: httpx.Timeout | float | None = None, retry: RetryPolicy | None = None,
                 headers: Mapping[str, str] | None = None, http_client: httpx.AsyncClient | None = None,
                 transport: httpx.AsyncBaseTransport | httpx.BaseTransport | None = None) -> None:
        secrets = self._init(app_key, device_id, api_key, app_id, salt)
        super().__init__(base_url=env_base_url("countly", base_url, None), secrets=secrets, timeout=timeout,
                         retry=retry, headers=headers, http_client=http_client, transport=transport)
        self._write_lock = asyncio.Lock()
        self.events_batcher: AsyncBatcher[Event] = AsyncBatcher(
            self.send_events, config=batch or BatchConfig(max_items=100), validate=_stamp, on_error=on_error)

    async def _send_write(self, request: Request) -> httpx.Response:
        """As ``CountlyClient.write``: one write at a time, so retries stay next to themselves."""
        async with self._write_lock:
            return await self.send(request)

    async def begin_session(self, metrics: Metrics | Mapping[str, str] | None = None, *,
                            ip_address: str | None = None, country_code: str | None = None,
                            city: str | None = None, location: str | None = None) -> None:
        await self._send_write(self._begin(metrics, ip_address, country_code, city, location))

    async def session_duration(self, seconds: int) -> None:
        await self._send_write(self._duration(seconds))

    async def end_session(self, duration: int | None = None) -> None:
        await self._send_write(self._end(duration))

    def session(self, metrics: Metrics | Mapping[str, str] | None = None, *, heartbeat: float | None = None,
                ip_address: str | None = None, country_code: str | None = None) -> AsyncCountlySession:
        return AsyncCountlySession(self, heartbeat, self._begin(metrics, ip_address, country_code, None, None))

    async def record_event(self, event: Event) -> bool:
        return await self.events_batcher.add(event)

    async def send_events(self, events: Sequence[Event]) -> None:
        await self._send_write(self._events(events))

    async def bulk(self, requests: Sequence[Mapping[str, Any]]) -> None:
        await self._send_write(self._bulk(requests))

    async def record_view(self, name: str, *, start: bool = False, url: str | None = None) -> None:
        await self._send_write(self._view(name, start=start, url=url, seconds=None))

    async def record_view_duration(self, name: str, seconds: int) -> None:
        await self._send_write(self._view(name, start=False, url=None, seconds=seconds))

    async def change_device_id(self, device_id: str, *, merge: bool = True) -> None:
        """As ``CountlyClient.change_device_id``."""
        request = self._change_id(device_id)
        await self.flush()
        if merge:
            await self._send_write(request)
        self.device_id = device_id

    async def flush(self) -> None:
        await self.events_batcher.flush()

    async def aclose(self) -> None:
        await self.events_batcher.aclose()
        await super().aclose()

    async def read(self, method: str, *, period: Period = None, refresh: bool = False) -> TimeData:
        if method not in TIME_METHODS:
            raise ValidationError(f"method: {method!r} is not one of {', '.join(TIME_METHODS)}", field="method")
        return self._time(await self.send(self._read(method, period=_period(period),
                                                     action="refresh" if refresh else None)))

    async def sessions(self, *, period: Period = None) -> TimeData:
        return await self.read("sessions", period=period)

    async def users(self, *, period: Period = None) -> TimeData:
        return await self.read("users", period=period)

    async def locations(self, *, period: Period = None) -> TimeData:
        return await self.read("locations", period=period)

    async def device_details(self, *, period: Period = None) -> TimeData:
        return await self.read("device_details", period=period)

    async def carriers(self, *, period: Period = None) -> TimeData:
        return await self.read("carriers", period=period)

    async def devices(self, *, period: Period = None) -> TimeData:
        return await self.read("devices", period=period)

    async def app_versions(self, *, period: Period = None) -> TimeData:
        return await self.read("app_versions", period=period)

    async def cities(self, *, period: Period = None) -> TimeData:
        return await self.read("cities", period=period)

    async def density(self, *, period: Period = None) -> TimeData:
        return await self.read("density", period=period)

    async def views(self, *, period: Period = None) -> tuple[ViewRow, ...]:
        return views_from_json((await self.send(self._views(period))).json())

    async def view_names(self) -> dict[str, str]:
        return self._names(await self.send(self._read("views", action="listNames")))

    async def view_data(self, view_id: str, *, period: Period = None) -> TimeData:
        return self._one_view(await self.send(self._view_data(view_id, period)), view_id)

    async def sdk_config(self) -> SdkConfig:
        return SdkConfig.from_json((await self.send(self._sdk("sc"))).json())

    async def remote_config(self, *, keys: Sequence[str] | None = None,
                            omit_keys: Sequence[str] | None = None) -> dict[str, Any]:
        values: dict[str, Any] = (await self.send(self._remote_config(keys, omit_keys))).json()
        return values

    async def events(self, event: str | None = None, *, events: Sequence[str] | None = None,
                     segmentation: str | None = None, period: Period = None, refresh: bool = False) -> TimeData:
        return self._event_time(await self.send(self._events_read(event, events, segmentation, period, refresh)),
                                segmentation)

    async def get_events(self) -> EventCatalogue:
        return EventCatalogue.from_json((await self.send(self._read("get_events"))).json())

    async def event_totals(self, *, period: Period = None) -> tuple[EventTotal, ...]:
        return event_totals_from_json((await self.send(self._analytics("events", period))).json())

    async def total_users(self, *, period: Period = None) -> int:
        return self._total_users(await self.send(self._read("total_users", metric="users",
                                                            period=_period(period))))

    async def dashboard(self, *, period: Period = None) -> Dashboard:
        return Dashboard.from_json((await self.send(self._analytics("dashboard", period))).json())

    async def countries(self) -> dict[str, tuple[CountryRow, ...]]:
        return countries_from_json((await self.send(self._analytics("countries", None))).json())

    async def reset_app(self, app_id: str | None = None) -> None:
        await self.send(self._reset(app_id))

    @property
    def with_raw_response(self) -> AsyncCountlyWithRawResponse:
        """Every call answering ``RawResponse[<its result>]``: status, headers and request id beside it."""
        return AsyncCountlyWithRawResponse(self)


class CountlyWithRawResponse(RawResponses):
    """``CountlyClient.with_raw_response``: each call that sends at once, answering ``RawResponse``
    (``record_event`` and ``flush`` go through the batcher, ``session`` through its own thread: not here)."""

    def __init__(self, client: CountlyClient) -> None:
        super().__init__(client)
        self.begin_session = self._wrap(client.begin_session)
        self.session_duration = self._wrap(client.session_duration)
        self.end_session = self._wrap(client.end_session)
        self.send_events = self._wrap(client.send_events)
        self.bulk = self._wrap(client.bulk)
        self.record_view = self._wrap(client.record_view)
        self.record_view_duration = self._wrap(client.record_view_duration)
        self.change_device_id = self._wrap(client.change_device_id)
        self.read = self._wrap(client.read)
        self.sessions = self._wrap(client.sessions)
        self.users = self._wrap(client.users)
        self.locations = self._wrap(client.locations)
        self.device_details = self._wrap(client.device_details)
        self.carriers = self._wrap(client.carriers)
        self.devices = self._wrap(client.devices)
        self.app_versions = self._wrap(client.app_versions)
        self.cities = self._wrap(client.cities)
        self.density = self._wrap(client.density)
        self.views = self._wrap(client.views)
        self.view_names = self._wrap(client.view_names)
        self.view_data = self._wrap(client.view_data)
        self.sdk_config = self._wrap(client.sdk_config)
        self.remote_config = self._wrap(client.remote_config)
        self.events = self._wrap(client.events)
        self.get_events = self._wrap(client.get_events)
        self.event_totals = self._wrap(client.event_totals)
        self.total_users = self._wrap(client.total_users)
        self.dashboard = self._wrap(client.dashboard)
        self.countries = self._wrap(client.countries)
        self.reset_app = self._wrap(client.reset_app)


class AsyncCountlyWithRawResponse(RawResponses):
    """``AsyncCountlyClient.with_raw_response``."""

    def __init__(self, client: AsyncCountlyClient) -> None:
        super().__init__(client)
        self.begin_session = self._wrap_async(client.begin_session)
        self.session_duration = self._wrap_async(client.session_duration)
        self.end_session = self._wrap_async(client.end_session)
        self.send_events = self._wrap_async(client.send_events)
        self.bulk = self._wrap_async(client.bulk)
        self.record_view = self._wrap_async(client.record_view)
        self.record_view_duration = self._wrap_async(client.record_view_duration)
        self.change_device_id = self._wrap_async(client.change_device_id)
        self.read = self._wrap_async(client.read)
        self.sessions = self._wrap_async(client.sessions)
        self.users = self._wrap_async(client.users)
        self.locations = self._wrap_async(client.locations)
        self.device_details = self._wrap_async(client.device_details)
        self.carriers = self._wrap_async(client.carriers)
        self.devices = self._wrap_async(client.devices)
        self.app_versions = self._wrap_async(client.app_versions)
        self.cities = self._wrap_async(client.cities)
        self.density = self._wrap_async(client.density)
        self.views = self._wrap_async(client.views)
        self.view_names = self._wrap_async(client.view_names)
        self.view_data = self._wrap_async(client.view_data)
        self.sdk_config = self._wrap_async(client.sdk_config)
        self.remote_config = self._wrap_async(client.remote_config)
        self.events = self._wrap_async(client.events)
        self.get_events = self._wrap_async(client.get_events)
        self.event_totals = self._wrap_async(client.event_totals)
        self.total_users = self._wrap_async(client.total_users)
        self.dashboard = self._wrap_async(client.dashboard)
        self.countries = self._wrap_async(client.countries)
        self.reset_app = self._wrap_async(client.reset_app)
