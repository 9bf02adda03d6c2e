"""The reference server's own API (``/_admin``): reset, seed, state, the request journal, faults, OpenAPI
documents and each service's read-back, as ``AdminClient`` / ``AsyncAdminClient``.

``base_url`` is the server's root (``http://127.0.0.1:8080``), not a service's prefix::

    admin = AdminClient("http://127.0.0.1:8080")
    admin.reset()
    admin.seed({"stathat": {"ezkeys": ["me@example.com"]}})
    ...                                   # the application under test sends its requests
    entries = admin.requests.wait_for(1, path="/stathat/ez", method="POST", timeout=5)
    admin.faults.add("/stathat/ez", status=503, times=2)

Requests, sans-IO, are built once here (``_Admin``); only the send differs between the flavours. Calls are not
retried by default (a test tool shows the server's first answer); pass ``retry=`` to change that.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping
from typing import Any, Literal, NotRequired, TypedDict, cast
from urllib.parse import quote

import httpx

from ._client import AsyncAPIClient, BaseClient, Request, SyncAPIClient
from ._env import Service
from ._errors import APIError, NotFound, ValidationError, WaitTimeout
from ._retry import RetryPolicy

__all__ = [
    "AdminClient",
    "AsyncAdminClient",
    "CountlySeed",
    "CyfeSeed",
    "Fault",
    "FaultKind",
    "JournalEntry",
    "ReportsSeed",
    "Seed",
    "StatHatSeed",
    "TaplyticsSeed",
]

#: Where ``AdminClient()`` without a URL looks (the same variable the ``analytics-kit`` CLI and the pytest
#: plugin's ``--analytics-kit-url`` use), and the server ``mock-server`` starts by default.
ENV_URL = "ANALYTICS_API_KIT_URL"
DEFAULT_URL = "http://127.0.0.1:8080"
NO_RETRY = RetryPolicy(max_attempts=1)
#: How often ``requests.wait_for`` asks the server again.
POLL_INTERVAL = 0.05

JSON = Any  # a decoded JSON value (the read-backs' shapes are the server's schemas under schemas/<service>/)


# -- seed sections (schemas/<service>/seed.json; the server validates each section again) --------------------
class StatHatClassicStat(TypedDict):
    name: str
    kind: Literal["counter", "value"]
    key: str
    ukey: str
    ezkey: NotRequired[str]


class StatHatSeed(TypedDict, total=False):
    ezkeys: list[str]
    classic: list[StatHatClassicStat]


class CountlyApp(TypedDict):
    app_id: str
    app_key: str
    name: NotRequired[str]
    timezone: NotRequired[str]
    country: NotRequired[str]
    salt: NotRequired[str]
    paused: NotRequired[bool]


class CountlyMember(TypedDict):
    api_key: str
    admin: NotRequired[bool]
    locked: NotRequired[bool]
    auth_tokens: NotRequired[list[str]]
    rights: NotRequired[dict[str, list[Literal["read", "write", "admin"]]]]


class CountlySeed(TypedDict, total=False):
    apps: list[CountlyApp]
    members: list[CountlyMember]
    remote_config: dict[str, dict[str, JSON]]
    sdk_config: dict[str, dict[str, JSON]]
    #: Stored documents as ``GET /_admin/countly/export`` gives them (kind, app_id, key, value).
    documents: list[dict[str, JSON]]


class TaplyticsSeed(TypedDict, total=False):
    tokens: list[str]
    #: Users as ``schemas/taplytics/user.json#/$defs/fields`` has them, with ``id`` and ``created_at``.
    users: list[dict[str, JSON]]
    #: Experiments as ``schemas/taplytics/experiment.json#/$defs/seed`` has them.
    experiments: list[dict[str, JSON]]


class CyfeWidget(TypedDict):
    key: str
    name: NotRequired[str]
    #: Push bodies (``schemas/cyfe/push.json#/$defs/body``), applied in order.
    pushes: NotRequired[list[dict[str, JSON]]]


class CyfeSeed(TypedDict, total=False):
    widgets: list[CyfeWidget]


class ReportsSeed(TypedDict, total=False):
    """``schemas/reports/seed.json``: every id new; references may name objects of the same payload."""

    tokens: list[str]
    accounts: list[dict[str, JSON]]
    channels: list[dict[str, JSON]]
    users: list[dict[str, JSON]]
    states: list[dict[str, JSON]]
    forms: list[dict[str, JSON]]
    reports: list[dict[str, JSON]]
    report_images: list[dict[str, JSON]]
    report_reads: list[dict[str, JSON]]
    alerts: list[dict[str, JSON]]


class Seed(TypedDict, total=False):
    """``POST /_admin/seed``: a section a service (``schemas/admin/seed.json``)."""

    stathat: StatHatSeed
    countly: CountlySeed
    taplytics: TaplyticsSeed
    cyfe: CyfeSeed
    reports: ReportsSeed


# -- the journal and faults --------------------------------------------------------------------------------
class JournalEntry(TypedDict, total=False):
    """One request the server answered (secrets masked), as ``GET /_admin/requests`` lists it."""

    id: str | None
    time: float
    method: str
    path: str
    query: str
    status: int
    retry_count: str | None
    headers: dict[str, str]
    body_bytes: int
    validation_errors: list[str]
    service: str | None
    #: The request body as text (secrets masked), cut at the server's ``journal_body_max``.
    body: str | None
    body_truncated: bool


FaultKind = Literal["status", "reset", "reset_after", "empty", "malformed_chunked", "slow_body"]
Method = Literal["GET", "POST", "PUT", "DELETE", "PATCH"]


class Fault(TypedDict, total=False):
    """An injected fault as the server holds it (``schemas/admin/fault.json``, with its ``id``, and in a
    listing how many times it ``fired`` and how many are ``remaining``)."""

    id: int
    kind: FaultKind
    method: Method | None
    path: str
    path_pattern: str
    times: int | None
    status: int | None
    headers: dict[str, str]
    body: JSON
    delay: float
    duration: float
    fired: int
    remaining: int | None


Entries = list[JournalEntry]
FaultList = list[Fault]


def _filters(limit: int | None, method: str | None, path: str | None, path_pattern: str | None,
             status: int | str | None, service: Service | None, since: float | str | None,
             until: float | str | None) -> dict[str, Any]:
    params = {"limit": limit, "method": method.upper() if method else None, "path": path,
              "path_pattern": path_pattern, "status": status, "service": service, "since": since, "until": until}
    return {k: v for k, v in params.items() if v is not None}


class _Admin(BaseClient):
    """Request building and reply parsing, shared by both flavours."""

    def make_error(self, status: int, response: httpx.Response, body: Any = None) -> APIError:
        if status == 404 and response.request.url.path.startswith("/_admin"):
            try:
                parsed = response.json()
            except ValueError:
                parsed = None
            if not isinstance(parsed, dict):  # the kit's 404s are JSON objects; anything else is another server
                return NotFound(f"{self.base_url} has no /_admin: not an analytics-api-kit reference server",
                                status=404, body=response.text[:200])
        return super().make_error(status, response, body)

    @staticmethod
    def _get(path: str, params: Mapping[str, Any] | None = None) -> Request:
        return Request("GET", "/_admin" + path, params=params)

    @staticmethod
    def _post(path: str, body: Any, *, idempotent: bool | None = None) -> Request:
        return Request("POST", "/_admin" + path, json=body, idempotent=idempotent)

    @staticmethod
    def _delete(path: str) -> Request:
        return Request("DELETE", "/_admin" + path)

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        return response.json()


#: An argument not given (None is a value some fields take).
_UNSET: Any = object()


def _fault_spec(path: str | None, path_pattern: str | None, kind: FaultKind | None, method: str | None,
                status: Any, times: Any, headers: Mapping[str, str] | None, body: Any,
                delay: float | None, duration: float | None) -> dict[str, Any]:
    """The ``POST /_admin/faults`` body: what was given (``status``, ``times`` and ``body`` may be given as None:
    no status, a delay alone; every matching request; a JSON null body)."""
    if path is None and path_pattern is None:
        raise ValidationError("a fault matches a path prefix, a path_pattern or both: give one", field="path")
    spec: dict[str, Any] = {"path": path, "path_pattern": path_pattern, "kind": kind,
                            "method": method.upper() if method else None,
                            "headers": dict(headers) if headers is not None else None, "delay": delay,
                            "duration": duration}
    spec = {k: v for k, v in spec.items() if v is not None}
    spec.update({k: v for k, v in (("status", status), ("times", times), ("body", body)) if v is not _UNSET})
    return spec


# -- sync --------------------------------------------------------------------------------------------------
class _Resource:
    def __init__(self, client: AdminClient) -> None:
        self._client = client

    def _call(self, request: Request) -> Any:
        return self._client.send(request).json()


class Requests(_Resource):
    """The request journal (``/_admin/requests``): newest last; filters combine (and)."""

    def list(self, *, limit: int | None = None, method: str | None = None, path: str | None = None,
             path_pattern: str | None = None, status: int | str | None = None, service: Service | None = None,
             since: float | str | None = None, until: float | str | None = None) -> Entries:
        """Entries matching every filter given: ``path`` is a prefix, ``path_pattern`` a regular expression,
        ``status`` a code or a class (``"4xx"``), ``since`` (inclusive) and ``until`` (exclusive) unix seconds or
        ISO 8601; ``limit``: the newest that many (the server's default 100)."""
        params = _filters(limit, method, path, path_pattern, status, service, since, until)
        return cast("list[JournalEntry]", self._call(_Admin._get("/requests", params))["requests"])

    def count(self, *, method: str | None = None, path: str | None = None, path_pattern: str | None = None,
              status: int | str | None = None, service: Service | None = None, since: float | str | None = None,
              until: float | str | None = None) -> int:
        """How many journaled requests match (the verify call of WireMock)."""
        params = _filters(None, method, path, path_pattern, status, service, since, until)
        return int(self._call(_Admin._get("/requests/count", params))["count"])

    def wait_for(self, count: int = 1, *, timeout: float = 5.0, method: str | None = None, path: str | None = None,
                 path_pattern: str | None = None, status: int | str | None = None, service: Service | None = None,
                 since: float | str | None = None, until: float | str | None = None) -> Entries:
        """Poll until at least ``count`` requests match (for what an application sends in the background), then
        return the matching entries; ``WaitTimeout`` after ``timeout`` seconds, saying how many were seen."""
        filters = {"method": method, "path": path, "path_pattern": path_pattern, "status": status,
                   "service": service, "since": since, "until": until}
        deadline = time.monotonic() + timeout
        while True:
            seen = self.count(**filters)  # type: ignore[arg-type]
            if seen >= count:
                return self.list(limit=max(seen, 1), **filters)  # type: ignore[arg-type]
            if time.monotonic() >= deadline:
                raise WaitTimeout(_waited(count, seen, timeout, filters))
            time.sleep(POLL_INTERVAL)

    def clear(self) -> int:
        """Empty the journal; answers how many entries were deleted."""
        return int(self._call(_Admin._delete("/requests"))["deleted"])


class Faults(_Resource):
    """Fault injection (``/_admin/faults``), as WireMock's: the next ``times`` matching requests fail."""

    def add(self, path: str | None = None, *, path_pattern: str | None = None, kind: FaultKind | None = None,
            method: str | None = None, status: int | None = _UNSET, times: int | None = _UNSET,
            headers: Mapping[str, str] | None = None, body: Any = _UNSET, delay: float | None = None,
            duration: float | None = None) -> Fault:
        """One fault on requests whose path starts with ``path`` and/or matches the regular expression
        ``path_pattern`` (whole path), of ``method`` if given: every criterion given must match. ``kind``:
        ``status`` (the default: ``status``/``headers``/``body``), ``reset`` (dropped before the request is read),
        ``reset_after`` (applied, then dropped), ``empty`` (read, not applied, closed without a reply),
        ``malformed_chunked`` (a broken chunked reply), ``slow_body`` (trickled over ``duration`` s).
        Not given, the server's defaults: ``status`` 503, ``times`` 1, no body. ``status=None`` with a ``delay``
        only slows the reply down; ``times=None``: every matching request; ``delay``: seconds before the fault."""
        spec = _fault_spec(path, path_pattern, kind, method, status, times, headers, body, delay, duration)
        return cast("Fault", self._call(_Admin._post("/faults", spec)))

    def list(self) -> FaultList:
        return cast("list[Fault]", self._call(_Admin._get("/faults"))["faults"])

    def clear(self) -> None:
        self._call(_Admin._delete("/faults"))

    def remove(self, fault_id: int | str) -> None:
        self._call(_Admin._delete(f"/faults/{quote(str(fault_id), safe='')}"))


class StatHatReadBack(_Resource):
    def stats(self, ezkey: str | None = None) -> list[dict[str, JSON]]:
        """Every stat with its points (``schemas/stathat/stats.json``), of one account if ``ezkey`` is given."""
        return cast("list[dict[str, JSON]]", self._call(_Admin._get("/stathat/stats", {"ezkey": ezkey}))["stats"])


class CountlyReadBack(_Resource):
    def apps(self) -> list[dict[str, JSON]]:
        return cast("list[dict[str, JSON]]", self._call(_Admin._get("/countly/apps"))["apps"])

    def app_user(self, app_id: str, app_key: str, device_id: str) -> dict[str, JSON]:
        """The app user (``app_users<app_id>`` document) a device maps to; ``NotFound`` if none."""
        params = {"app_id": app_id, "app_key": app_key, "device_id": device_id}
        return cast("dict[str, JSON]", self._call(_Admin._get("/countly/app_user", params)))

    def set_clock(self, now: float | None) -> None:
        """Freeze the server's Countly clock at unix seconds ``now`` (None: real time again)."""
        self._call(_Admin._post("/countly/clock", {"now": now}, idempotent=True))

    def export(self) -> CountlySeed:
        """The whole Countly state as a seed section (``admin.seed({"countly": admin.countly.export()})``)."""
        return cast("CountlySeed", self._call(_Admin._get("/countly/export"))["countly"])


class TaplyticsReadBack(_Resource):
    def events(self, session_id: str | None = None) -> list[dict[str, JSON]]:
        params = {"session_id": session_id}
        return cast("list[dict[str, JSON]]", self._call(_Admin._get("/taplytics/events", params))["events"])

    def audience(self, push_id: str) -> dict[str, JSON]:
        """Who a push notification reached (``schemas/taplytics/push.json#/$defs/audience``)."""
        path = f"/taplytics/push/{quote(push_id, safe='')}/audience"
        return cast("dict[str, JSON]", self._call(_Admin._get(path)))


class CyfeReadBack(_Resource):
    def widgets(self) -> list[dict[str, JSON]]:
        return cast("list[dict[str, JSON]]", self._call(_Admin._get("/cyfe/widgets"))["widgets"])

    def widget(self, key: str) -> dict[str, JSON]:
        """One widget as its dashboard would draw it (``schemas/cyfe/widget.json``)."""
        return cast("dict[str, JSON]", self._call(_Admin._get(f"/cyfe/widgets/{quote(key, safe='')}")))


class ReportsReadBack(_Resource):
    def export(self) -> ReportsSeed:
        """The whole data model as a seed section (``admin.seed({"reports": admin.reports.export()})``)."""
        return cast("ReportsSeed", self._call(_Admin._get("/reports/export"))["reports"])


class AdminClient(_Admin, SyncAPIClient):
    """``AdminClient("http://127.0.0.1:8080")``; in process: ``AdminClient(transport=httpx.WSGITransport(app=app))``.

    Without a URL, ``ANALYTICS_API_KIT_URL`` is read, then ``http://127.0.0.1:8080``.
    """

    def __init__(self, base_url: str | None = None, *, timeout: httpx.Timeout | float | None = None,
                 retry: RetryPolicy | None = None, headers: Mapping[str, str] | None = None,
                 http_client: httpx.Client | None = None, transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(base_url=_url(base_url, transport), timeout=timeout, retry=retry or NO_RETRY,
                         headers=headers, http_client=http_client, transport=transport)

    def _bind(self) -> None:
        self.requests = Requests(self)
        self.faults = Faults(self)
        self.stathat = StatHatReadBack(self)
        self.countly = CountlyReadBack(self)
        self.taplytics = TaplyticsReadBack(self)
        self.cyfe = CyfeReadBack(self)
        self.reports = ReportsReadBack(self)

    def health(self) -> dict[str, JSON]:
        """``{"status": "ok", "store": ..., "services": [...]}``."""
        return cast("dict[str, JSON]", self.send(self._get("/health")).json())

    def reset(self) -> None:
        """Back to the start-up state (default credentials and objects, demo data if configured)."""
        self.send(self._post("/reset", None, idempotent=True))

    def seed(self, data: Seed) -> dict[str, JSON]:
        """Seed each service's section; answers what each service reports as seeded."""
        return cast("dict[str, JSON]", self.send(self._post("/seed", data)).json()["seeded"])

    def state(self) -> dict[str, dict[str, JSON]]:
        """A summary of what each service holds."""
        return cast("dict[str, dict[str, JSON]]", self.send(self._get("/state")).json())

    def openapi(self, service: Service) -> dict[str, JSON]:
        """The service's OpenAPI 3.1 document."""
        return cast("dict[str, JSON]", self.send(self._get(f"/openapi/{quote(service, safe='')}.json")).json())


# -- async -------------------------------------------------------------------------------------------------
class _AsyncResource:
    def __init__(self, client: AsyncAdminClient) -> None:
        self._client = client

    async def _call(self, request: Request) -> Any:
        return (await self._client.send(request)).json()


class AsyncRequests(_AsyncResource):
    async def list(self, *, limit: int | None = None, method: str | None = None, path: str | None = None,
                   path_pattern: str | None = None, status: int | str | None = None,
                   service: Service | None = None, since: float | str | None = None,
                   until: float | str | None = None) -> Entries:
        params = _filters(limit, method, path, path_pattern, status, service, since, until)
        return cast("list[JournalEntry]", (await self._call(_Admin._get("/requests", params)))["requests"])

    async def count(self, *, method: str | None = None, path: str | None = None, path_pattern: str | None = None,
                    status: int | str | None = None, service: Service | None = None, since: float | str | None = None,
                    until: float | str | None = None) -> int:
        params = _filters(None, method, path, path_pattern, status, service, since, until)
        return int((await self._call(_Admin._get("/requests/count", params)))["count"])

    async def wait_for(self, count: int = 1, *, timeout: float = 5.0, method: str | None = None,
                       path: str | None = None, path_pattern: str | None = None, status: int | str | None = None,
                       service: Service | None = None, since: float | str | None = None,
                       until: float | str | None = None) -> Entries:
        filters = {"method": method, "path": path, "path_pattern": path_pattern, "status": status,
                   "service": service, "since": since, "until": until}
        deadline = time.monotonic() + timeout
        while True:
            seen = await self.count(**filters)  # type: ignore[arg-type]
            if seen >= count:
                return await self.list(limit=max(seen, 1), **filters)  # type: ignore[arg-type]
            if time.monotonic() >= deadline:
                raise WaitTimeout(_waited(count, seen, timeout, filters))
            await asyncio.sleep(POLL_INTERVAL)

    async def clear(self) -> int:
        return int((await self._call(_Admin._delete("/requests")))["deleted"])


class AsyncFaults(_AsyncResource):
    async def add(self, path: str | None = None, *, path_pattern: str | None = None, kind: FaultKind | None = None,
                  method: str | None = None, status: int | None = _UNSET, times: int | None = _UNSET,
                  headers: Mapping[str, str] | None = None, body: Any = _UNSET, delay: float | None = None,
                  duration: float | None = None) -> Fault:
        spec = _fault_spec(path, path_pattern, kind, method, status, times, headers, body, delay, duration)
        return cast("Fault", await self._call(_Admin._post("/faults", spec)))

    async def list(self) -> FaultList:
        return cast("list[Fault]", (await self._call(_Admin._get("/faults")))["faults"])

    async def clear(self) -> None:
        await self._call(_Admin._delete("/faults"))

    async def remove(self, fault_id: int | str) -> None:
        await self._call(_Admin._delete(f"/faults/{quote(str(fault_id), safe='')}"))


class AsyncStatHatReadBack(_AsyncResource):
    async def stats(self, ezkey: str | None = None) -> list[dict[str, JSON]]:
        body = await self._call(_Admin._get("/stathat/stats", {"ezkey": ezkey}))
        return cast("list[dict[str, JSON]]", body["stats"])


class AsyncCountlyReadBack(_AsyncResource):
    async def apps(self) -> list[dict[str, JSON]]:
        return cast("list[dict[str, JSON]]", (await self._call(_Admin._get("/countly/apps")))["apps"])

    async def app_user(self, app_id: str, app_key: str, device_id: str) -> dict[str, JSON]:
        params = {"app_id": app_id, "app_key": app_key, "device_id": device_id}
        return cast("dict[str, JSON]", await self._call(_Admin._get("/countly/app_user", params)))

    async def set_clock(self, now: float | None) -> None:
        await self._call(_Admin._post("/countly/clock", {"now": now}, idempotent=True))

    async def export(self) -> CountlySeed:
        return cast("CountlySeed", (await self._call(_Admin._get("/countly/export")))["countly"])


class AsyncTaplyticsReadBack(_AsyncResource):
    async def events(self, session_id: str | None = None) -> list[dict[str, JSON]]:
        body = await self._call(_Admin._get("/taplytics/events", {"session_id": session_id}))
        return cast("list[dict[str, JSON]]", body["events"])

    async def audience(self, push_id: str) -> dict[str, JSON]:
        path = f"/taplytics/push/{quote(push_id, safe='')}/audience"
        return cast("dict[str, JSON]", await self._call(_Admin._get(path)))


class AsyncCyfeReadBack(_AsyncResource):
    async def widgets(self) -> list[dict[str, JSON]]:
        return cast("list[dict[str, JSON]]", (await self._call(_Admin._get("/cyfe/widgets")))["widgets"])

    async def widget(self, key: str) -> dict[str, JSON]:
        return cast("dict[str, JSON]", await self._call(_Admin._get(f"/cyfe/widgets/{quote(key, safe='')}")))


class AsyncReportsReadBack(_AsyncResource):
    async def export(self) -> ReportsSeed:
        return cast("ReportsSeed", (await self._call(_Admin._get("/reports/export")))["reports"])


class AsyncAdminClient(_Admin, AsyncAPIClient):
    """The async flavour of ``AdminClient``; in process: ``transport=sdk.AsyncWSGITransport(app)``."""

    def __init__(self, base_url: str | None = None, *, timeout: httpx.Timeout | float | None = None,
                 retry: RetryPolicy | None = None, headers: Mapping[str, str] | None = None,
                 http_client: httpx.AsyncClient | None = None,
                 transport: httpx.AsyncBaseTransport | httpx.BaseTransport | None = None) -> None:
        super().__init__(base_url=_url(base_url, transport), timeout=timeout, retry=retry or NO_RETRY,
                         headers=headers, http_client=http_client, transport=transport)

    def _bind(self) -> None:
        self.requests = AsyncRequests(self)
        self.faults = AsyncFaults(self)
        self.stathat = AsyncStatHatReadBack(self)
        self.countly = AsyncCountlyReadBack(self)
        self.taplytics = AsyncTaplyticsReadBack(self)
        self.cyfe = AsyncCyfeReadBack(self)
        self.reports = AsyncReportsReadBack(self)

    async def health(self) -> dict[str, JSON]:
        return cast("dict[str, JSON]", (await self.send(self._get("/health"))).json())

    async def reset(self) -> None:
        await self.send(self._post("/reset", None, idempotent=True))

    async def seed(self, data: Seed) -> dict[str, JSON]:
        return cast("dict[str, JSON]", (await self.send(self._post("/seed", data))).json()["seeded"])

    async def state(self) -> dict[str, dict[str, JSON]]:
        return cast("dict[str, dict[str, JSON]]", (await self.send(self._get("/state"))).json())

    async def openapi(self, service: Service) -> dict[str, JSON]:
        path = f"/openapi/{quote(service, safe='')}.json"
        return cast("dict[str, JSON]", (await self.send(self._get(path))).json())


def _url(base_url: str | None, transport: object) -> str:
    if base_url:
        return base_url
    if transport is not None:
        return "http://testserver"  # nothing is dialled: the transport answers
    return os.environ.get(ENV_URL) or DEFAULT_URL


def _waited(count: int, seen: int, timeout: float, filters: Mapping[str, Any]) -> str:
    given = ", ".join(f"{k}={v!r}" for k, v in filters.items() if v is not None) or "no filter"
    noun = "request" if count == 1 else "requests"
    return f"waited {timeout:g} s for {count} {noun} matching {given}: {seen} seen"

