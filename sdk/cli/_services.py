"""One adapter a service: what a line of its import format is, how it is sent, how its state is exported.

The line formats (JSON Lines; CSV has the same fields as columns, nested fields as JSON text):

- ``stathat``: ``{"stat": "page view", "count": 2, "t": 1700000000}`` or ``{"stat": ..., "value": 0.7}``
  (``t`` optional: the time it was read). Export: every point of every stat of the ezkey.
- ``countly``: an event ``{"key": "purchase", "count": 1, "sum": 9.5, "dur": 3, "segmentation": {...},
  "timestamp": <unix ms>, "device_id": "..."}`` (all but ``key`` optional), or a part of the
  ``/_admin/seed`` countly section (``{"apps": [...]}``, ``{"members": [...]}``, ``{"documents": [...]}``...),
  which is what export writes: the server keeps aggregates, not events (as Countly does), so the export is
  its stored documents (apps, members, then each app's buckets, app users, catalogue, configs). A file
  holds events or seed parts, not both (the parts replace documents, so their order against events would
  matter). Export: the whole state; imported into a server that holds none of its apps, the same state.
- ``taplytics``: a user ``{"user_id": "u1", "email": ..., "name": ..., "custom_data": {...}, ...}``
  (the fields ``users.save`` takes); saved by ``user_id``, else ``email``, else created. Export: every
  user without the server's ``id``/``created_at`` (a new server assigns its own).
- ``cyfe``: a row ``{"Date": "20260102", "Users": 12, "Signups": 3}`` (first field the element); an
  options line ``{"options": {"color": {"Users": "#ff0000"}, "type": {"Users": "area"}}}`` (the push
  body's option → metric → value) may come before the first row. Export: the options, then every row.
- ``reports`` (reference server only: the API has no writes): a part of the ``/_admin/seed`` reports
  section, ``{"reports": [{...}]}``, ``{"accounts": [...]}``...; lines are merged into one seed a batch.
  Export: the whole data model, one object a line, in the order the seed checks references.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx

from .._batching import BatchConfig, Batcher, OnError
from .._env import ENV, env_value
from .._errors import ValidationError
from ..admin import AdminClient
from ..countly import CountlyClient, Event
from ..cyfe import OPTION_NAMES, CyfeClient, MetricOptions, check_row
from ..stathat import Stat, StatHatClient
from ..taplytics import TaplyticsClient

__all__ = ["ADAPTERS", "Adapter", "Connection", "Sink"]

T = TypeVar("T")

DEFAULT_SERVER = "http://127.0.0.1:8080"


@dataclass
class Connection:
    """Where to send and with what: the flags, else the environment, else the local reference server."""

    service: str
    server: str
    base_url: str
    given: dict[str, str | None]
    #: Requests that were retries (``X-Retry-Count`` above 0), counted by an httpx hook.
    retried: int = 0
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(event_hooks={"request": [self._count]}, timeout=httpx.Timeout(30.0, connect=5.0))

    def _count(self, request: httpx.Request) -> None:
        if request.headers.get("X-Retry-Count", "0") != "0":
            self.retried += 1

    def cred(self, name: str, *, required: str | None = None) -> str | None:
        """A credential: its flag, else its environment variable; ``required`` says what it is for."""
        value = env_value(self.service, name, self.given.get(name))  # type: ignore[arg-type]
        if value is None and required is not None:
            flag = "--" + name.replace("_", "-")
            raise ValidationError(f"{self.service} needs {required}: pass {flag} or set "
                                  f"{ENV[self.service].credentials[name]}", field=name)  # type: ignore[index]
        return value

    def close(self) -> None:
        self.http.close()


#: The root of a reference server that serves every service under its prefix (``<root>/<service>``).
SERVER = "ANALYTICS_API_KIT_SERVER"


def connect(service: str, server: str | None, base_url: str | None, given: dict[str, str | None]) -> Connection:
    """``--base-url``, else (without ``--server``) ``$ANALYTICS_API_KIT_<SERVICE>_BASE_URL``, else the server's
    ``/<service>``; the server is ``--server``, else ``$ANALYTICS_API_KIT_SERVER``, else the local default."""
    import os

    root = (server or os.environ.get(SERVER) or DEFAULT_SERVER).rstrip("/")
    own = None if server else os.environ.get(ENV[service].base_url)  # type: ignore[index]
    url = base_url or own or f"{root}/{service}"
    return Connection(service, root, url.rstrip("/"), given)


class Sink(Generic[T]):
    """A batcher, what closes with it (the client), and ``resend``: one batch sent now, raising on failure
    (to split a refused batch and find the items the server refuses)."""

    def __init__(self, batcher: Batcher[T], close: Callable[[], None],
                 resend: Callable[[list[T]], object] | None = None) -> None:
        self.batcher = batcher
        self._close = close
        self.resend = resend

    def close(self, timeout: float | None) -> None:
        try:
            self.batcher.close(timeout)
        finally:
            self._close()


class Adapter(Generic[T]):
    """A service's import format and its way in and out. ``item`` returns None for a directive line."""

    name: str
    what: str  # "stat", "event", ...

    def item(self, data: dict[str, Any]) -> T | None:
        raise NotImplementedError

    def line(self, item: T) -> dict[str, Any]:
        raise NotImplementedError

    def header(self) -> list[dict[str, Any]]:
        """Directive lines a file of failed items must start with (so ``import`` can take it again)."""
        return []

    def sink(self, conn: Connection, on_error: OnError[T]) -> Sink[T]:
        raise NotImplementedError

    def send_one(self, conn: Connection, item: T) -> None:
        errors: list[BaseException] = []
        sink = self.sink(conn, lambda exc, _items: errors.append(exc))
        sink.batcher.add(item)
        sink.close(None)
        if errors:
            raise errors[0]

    def export(self, conn: Connection) -> Iterator[dict[str, Any]]:
        raise ValidationError(f"{self.name}: export is not available for this service")


# -- field helpers: JSON gives numbers, CSV gives text --------------------------------------------
def _number(data: Mapping[str, Any], name: str) -> float | None:
    raw = data.get(name)
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise ValidationError(f"{name}: {raw!r} is not a number", field=name)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ValidationError(f"{name}: {raw!r} is not a number", field=name) from None
    if not math.isfinite(value):
        raise ValidationError(f"{name}: must be a finite number", field=name)
    return int(value) if value.is_integer() and not isinstance(raw, float) else value


def _integer(data: Mapping[str, Any], name: str) -> int | None:
    value = _number(data, name)
    if value is None:
        return None
    if not float(value).is_integer():
        raise ValidationError(f"{name}: {data[name]!r} is not a whole number", field=name)
    return int(value)


def _text(data: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    raw = data.get(name)
    if raw is None:
        if required:
            raise ValidationError(f"{name}: missing", field=name)
        return None
    if not isinstance(raw, str):
        raise ValidationError(f"{name}: must be a string", field=name)
    return raw


def _object(data: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    raw = data.get(name)
    if isinstance(raw, str):  # a CSV cell holds nested JSON as text
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ValidationError(f"{name}: not a JSON object", field=name) from None
    if raw is not None and not isinstance(raw, dict):
        raise ValidationError(f"{name}: must be an object", field=name)
    return raw


def _only(data: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError(f"{unknown[0]}: unknown field; expected {', '.join(sorted(allowed))}",
                              field=unknown[0])


# -- StatHat --------------------------------------------------------------------------------------
class StatHatAdapter(Adapter[Stat]):
    name = "stathat"
    what = "stat"
    fields = frozenset({"stat", "count", "value", "t"})

    def item(self, data: dict[str, Any]) -> Stat:
        _only(data, self.fields)
        stat = _text(data, "stat", required=True)
        assert stat is not None
        return Stat(stat, count=_number(data, "count"), value=_number(data, "value"), t=_integer(data, "t"))

    def line(self, item: Stat) -> dict[str, Any]:
        return item.to_json()

    def client(self, conn: Connection) -> StatHatClient:
        return StatHatClient(conn.cred("ezkey", required="an ezkey"), base_url=conn.base_url, http_client=conn.http)

    def sink(self, conn: Connection, on_error: OnError[Stat]) -> Sink[Stat]:
        client = self.client(conn)
        return Sink(client.batcher(BatchConfig(max_items=1000, when_full="block", block_timeout=None),
                                   on_error=on_error), client.close, client.post)

    def export(self, conn: Connection) -> Iterator[dict[str, Any]]:
        ezkey = conn.cred("ezkey", required="an ezkey")
        for stat in admin(conn).stathat.stats(ezkey):
            field_name = "count" if stat["kind"] == "counter" else "value"
            for point in stat["points"]:
                yield {"stat": stat["name"], field_name: point[field_name], "t": point["t"]}


# -- Countly --------------------------------------------------------------------------------------
#: The parts of a ``/_admin/seed`` countly section (what ``export countly`` writes, one object a line).
_COUNTLY_SEED_PARTS = frozenset({"apps", "members", "documents", "remote_config", "sdk_config"})


class CountlyAdapter(Adapter[Event | dict[str, Any]]):
    name = "countly"
    what = "event"
    fields = frozenset({"key", "count", "sum", "dur", "segmentation", "timestamp", "device_id"})

    def __init__(self) -> None:
        self.seeding: bool | None = None  # None until the first line says: seed parts (an export) or events

    def item(self, data: dict[str, Any]) -> Event | dict[str, Any]:
        seed_part = bool(data) and "key" not in data and set(data) <= _COUNTLY_SEED_PARTS
        if self.seeding is not None and seed_part != self.seeding:
            raise ValidationError("a file holds events or seed parts (an export), not both: import them apart",
                                  field=next(iter(data), "key"))
        if seed_part:
            _seed_part("countly/seed", data)
            self.seeding, self.what = True, "seed part"
            return data
        self.seeding = False
        return self.event(data)

    def event(self, data: dict[str, Any]) -> Event:
        _only(data, self.fields)
        key = _text(data, "key", required=True)
        assert key is not None
        count = _integer(data, "count")
        return Event(key, 1 if count is None else count, _number(data, "sum"), _number(data, "dur"),
                     _object(data, "segmentation"), _integer(data, "timestamp"), _text(data, "device_id"))

    def line(self, item: Event | dict[str, Any]) -> dict[str, Any]:
        if isinstance(item, dict):
            return item
        out: dict[str, Any] = {"key": item.key, "count": item.count}
        for name in ("sum", "dur", "segmentation", "timestamp", "device_id"):
            value = getattr(item, name)
            if value is not None:
                out[name] = dict(value) if name == "segmentation" else value
        return out

    def sink(self, conn: Connection, on_error: OnError[Any]) -> Sink[Any]:
        if self.seeding:
            return _seed_sink(conn, "countly", on_error)
        client = CountlyClient(base_url=conn.base_url, app_key=conn.cred("app_key", required="an app key"),
                               device_id=conn.cred("device_id") or "analytics-kit", http_client=conn.http,
                               batch=BatchConfig(max_items=100, when_full="block", block_timeout=None),
                               on_error=on_error)
        return Sink(client.events_batcher, client.close, client.send_events)

    def export(self, conn: Connection) -> Iterator[dict[str, Any]]:
        section: dict[str, Any] = dict(admin(conn).countly.export())
        for part in ("apps", "members", "documents"):  # apps first: a document names its app
            for obj in section[part]:
                yield {part: [obj]}


# -- Taplytics ------------------------------------------------------------------------------------
_USER_FIELDS = frozenset({"user_id", "email", "first_name", "last_name", "name", "gender", "age", "custom_data",
                          "last_seen_ip", "location", "session_count", "devices", "experiments"})


class TaplyticsAdapter(Adapter[dict[str, Any]]):
    name = "taplytics"
    what = "user"

    def item(self, data: dict[str, Any]) -> dict[str, Any]:
        _only(data, _USER_FIELDS)
        user = dict(data)
        for name in ("custom_data", "location"):
            if name in user:
                user[name] = _object(user, name)
        for name in ("devices", "experiments"):
            if isinstance(user.get(name), str):
                try:
                    user[name] = json.loads(user[name])
                except ValueError:
                    raise ValidationError(f"{name}: not a JSON list", field=name) from None
        if "age" in user:
            user["age"] = _number(user, "age")
        if "session_count" in user:
            user["session_count"] = _integer(user, "session_count")
        import schemas

        errors = schemas.validate("taplytics/user#/$defs/write", user)
        if errors:
            raise ValidationError(str(errors[0]), field=errors[0].path)
        return user

    def line(self, item: dict[str, Any]) -> dict[str, Any]:
        return item

    def client(self, conn: Connection) -> TaplyticsClient:
        return TaplyticsClient(conn.cred("api_token", required="an API token") or "", base_url=conn.base_url,
                               http_client=conn.http)

    def sink(self, conn: Connection, on_error: OnError[dict[str, Any]]) -> Sink[dict[str, Any]]:
        client = self.client(conn)

        def save(batch: list[dict[str, Any]]) -> None:
            # One user a request (the API has no batch of users): a batch of one, so a failure names one user.
            for user in batch:
                address = {k: user[k] for k in ("user_id", "email") if k in user}
                key = next(iter(address), None)
                client.users.save(user, **({key: address[key]} if key else {}))  # type: ignore[arg-type]

        return Sink(Batcher(save, config=BatchConfig(max_items=1, when_full="block", block_timeout=None),
                            on_error=on_error), client.close)

    def export(self, conn: Connection) -> Iterator[dict[str, Any]]:
        client = self.client(conn)
        try:
            for user in client.users.iter(per_page=100):
                yield {k: v for k, v in _user_json(user).items() if k in _USER_FIELDS}
        finally:
            client.close()


def _user_json(user: Any) -> dict[str, Any]:
    import dataclasses

    out: dict[str, Any] = {}
    for f in dataclasses.fields(user):
        value = getattr(user, f.name)
        if value in (None, (), {}) or (f.name == "session_count" and value == 0):
            continue
        out[f.name] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


# -- Cyfe -----------------------------------------------------------------------------------------
_BOOL_OPTIONS = frozenset({"cumulative", "average", "reverse", "reversegraph", "yaxisshow", "labelshow"})


class CyfeAdapter(Adapter[dict[str, Any]]):
    name = "cyfe"
    what = "row"

    def __init__(self) -> None:
        self.options: dict[str, dict[str, Any]] = {}  # option → metric → wire value
        self.started = False

    def item(self, data: dict[str, Any]) -> dict[str, Any] | None:
        if "options" in data and len(data) == 1:
            if self.started:
                raise ValidationError("options: an options line must come before the first row", field="options")
            options = _object(data, "options") or {}
            for option, per_metric in options.items():
                if option not in OPTION_NAMES or not isinstance(per_metric, dict):
                    raise ValidationError(f"options.{option}: unknown option or not an object of metric → value",
                                          field=option)
                self.options.setdefault(option, {}).update(per_metric)
            self.metric_options()  # checked now, with the line number
            return None
        self.started = True
        return dict(check_row(data))

    def metric_options(self) -> dict[str, MetricOptions]:
        per_metric: dict[str, dict[str, Any]] = {}
        for option, values in self.options.items():
            for metric, value in values.items():
                if option in _BOOL_OPTIONS:
                    value = str(value) in ("1", "true", "True")
                elif option == "yaxis":
                    value = int(value)
                elif option in ("yaxismin", "yaxismax"):
                    value = float(value)
                per_metric.setdefault(metric, {})[option] = value
        try:
            return {metric: MetricOptions(**opts) for metric, opts in per_metric.items()}
        except TypeError as exc:
            raise ValidationError(f"options: {exc}", field="options") from None

    def line(self, item: dict[str, Any]) -> dict[str, Any]:
        return item

    def header(self) -> list[dict[str, Any]]:
        return [{"options": self.options}] if self.options else []

    def client(self, conn: Connection) -> CyfeClient:
        return CyfeClient(widget_key=conn.cred("widget_key", required="a widget key"), base_url=conn.base_url,
                          http_client=conn.http)

    def sink(self, conn: Connection, on_error: OnError[dict[str, Any]]) -> Sink[dict[str, Any]]:
        client = self.client(conn)
        options = self.metric_options()
        batcher = client.batcher(options, BatchConfig(max_items=1000, when_full="block", block_timeout=None),
                                 on_error=on_error)  # type: ignore[arg-type]

        def resend(rows: list[dict[str, Any]]) -> None:
            present = {m for row in rows for m in list(row)[1:]}
            client.push(rows, {m: o for m, o in options.items() if m in present})

        return Sink(batcher, client.close, resend)  # type: ignore[arg-type]

    def export(self, conn: Connection) -> Iterator[dict[str, Any]]:
        key = self.client(conn).widget_key
        assert key is not None
        widget = admin(conn).cyfe.widget(key)
        if widget["options"]:
            yield {"options": widget["options"]}
        yield from widget["rows"]


# -- reports --------------------------------------------------------------------------------------
class ReportsAdapter(Adapter[dict[str, Any]]):
    name = "reports"
    what = "seed part"

    def item(self, data: dict[str, Any]) -> dict[str, Any]:
        _seed_part("reports/seed", data)
        return data

    def line(self, item: dict[str, Any]) -> dict[str, Any]:
        return item

    def sink(self, conn: Connection, on_error: OnError[dict[str, Any]]) -> Sink[dict[str, Any]]:
        return _seed_sink(conn, "reports", on_error)

    def export(self, conn: Connection) -> Iterator[dict[str, Any]]:
        section: dict[str, list[Any]] = dict(admin(conn).reports.export())  # type: ignore[arg-type]
        for kind, objects in section.items():  # in the order the seed checks references
            for obj in objects:
                yield {kind: [obj]}


# -- seed parts (reports, and Countly's export) ---------------------------------------------------
def _seed_part(schema: str, data: dict[str, Any]) -> None:
    import schemas

    errors = schemas.validate(schema, data)
    if errors:
        raise ValidationError(str(errors[0]), field=errors[0].path)


def _seed_sink(conn: Connection, service: str, on_error: OnError[dict[str, Any]]) -> Sink[dict[str, Any]]:
    """Lines that are parts of a ``/_admin/seed`` section, merged into one seed a batch (lists joined, objects
    updated), in the order they were read."""
    def seed(batch: list[dict[str, Any]]) -> None:
        merged: dict[str, Any] = {}
        for part in batch:
            for kind, objects in part.items():
                if isinstance(objects, dict):
                    merged.setdefault(kind, {}).update(objects)
                else:
                    merged.setdefault(kind, []).extend(objects)
        admin(conn).seed({service: merged})  # type: ignore[misc]  # a seed part checked when it was read

    # A stored document (a month of buckets) may be large: one is allowed up to 4 MiB, a batch up to 8 MiB
    # (the server takes 10 MiB a body).
    config = BatchConfig(max_items=500, max_bytes=8 * 1024 * 1024, max_item_bytes=4 * 1024 * 1024,
                         when_full="block", block_timeout=None)
    return Sink(Batcher(seed, config=config, on_error=on_error), lambda: None)


ADAPTERS: dict[str, Callable[[], Adapter[Any]]] = {
    "stathat": StatHatAdapter, "countly": CountlyAdapter, "taplytics": TaplyticsAdapter, "cyfe": CyfeAdapter,
    "reports": ReportsAdapter,
}


# -- the reference server's /_admin ---------------------------------------------------------------
def admin(conn: Connection) -> AdminClient:
    """The server's ``/_admin`` on the command's own connection pool."""
    return AdminClient(conn.server, http_client=conn.http)
