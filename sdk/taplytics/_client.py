"""``TaplyticsClient`` and ``AsyncTaplyticsClient``: requests built and replies parsed once, sent twice.

Resources: ``client.users``, ``client.experiments``, ``client.events``, ``client.push``. The token travels
in the ``x-access-token`` header, so it is never in a URL, a ``Link`` the server echoes, or a log line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

import schemas

from .._batching import AsyncBatcher, BatchConfig, Batcher, OnError
from .._client import AsyncAPIClient, BaseClient, RawResponses, Request, SyncAPIClient
from .._env import env_base_url, env_value
from .._errors import ValidationError
from .._json import json_of
from .._pagination import AsyncPaginator, Page, PageSpec, Paginator, link_next
from .._retry import RetryPolicy
from ._filters import Filter, check_filter
from ._models import Event, Experiment, Image, Notification, PushNotification, Schedule, User, UserFields

__all__ = ["DEFAULT_BASE_URL", "MAX_EVENTS", "MAX_PER_PAGE", "AsyncTaplyticsClient", "TaplyticsClient"]

DEFAULT_BASE_URL = "https://api.taplytics.com"
MAX_PER_PAGE = 100
MAX_EVENTS = 100


def _json_list(response: httpx.Response) -> list[Any]:
    body = json_of(response)
    return body if isinstance(body, list) else []


# Fresh JSON objects: the users adopt them instead of copying (see User.adopt).
USER_PAGES: PageSpec[User] = PageSpec(lambda r: [User.adopt(u) for u in _json_list(r)], link_next)
EXPERIMENT_PAGES: PageSpec[Experiment] = PageSpec(lambda r: [Experiment.from_json(e) for e in _json_list(r)],
                                                  link_next)
PUSH_PAGES: PageSpec[PushNotification] = PageSpec(
    lambda r: [PushNotification.from_json(p) for p in _json_list(r)], link_next)
TOKEN_PAGES: PageSpec[User] = PageSpec(lambda r: [User.adopt(u) for u in json_of(r)["users"]],
                                       lambda r: json_of(r).get("nextPaginationToken") or None)


def _per_page(per_page: int) -> int:
    if not isinstance(per_page, int) or not 1 <= per_page <= MAX_PER_PAGE:
        raise ValidationError(f"per_page: must be from 1 to {MAX_PER_PAGE} (the account limit)", field="per_page")
    return per_page


def _validated(schema: str, body: Mapping[str, Any], prefix: str = "") -> None:
    errors = schemas.validate(schema, body)
    if errors:
        raise ValidationError(f"{prefix}{errors[0]}", field=errors[0].path)


def _event(item: Event) -> Event:
    if not isinstance(item, Event):
        raise ValidationError(f"events: {type(item).__name__} is not an Event", field="events")
    return item


def _refused(exc: ValidationError, index: int) -> ValidationError:
    reason = str(exc).removeprefix("events: ")
    return ValidationError(f"events[{index}]: {reason} (the {index} events before it are sent)", field=exc.field)


def _batch_config(config: BatchConfig | None) -> BatchConfig:
    config = config or BatchConfig(max_items=MAX_EVENTS)
    if config.max_items > MAX_EVENTS:
        raise ValidationError(f"max_items: at most {MAX_EVENTS} events a request", field="max_items")
    return config


class _TaplyticsBase(BaseClient):
    """Request building and reply parsing, shared by both flavours."""

    @staticmethod
    def _token(api_token: str | None) -> str:
        token = env_value("taplytics", "api_token", api_token)
        if not token:
            raise ValidationError("api_token: required (or set TAPLYTICS_API_TOKEN)", field="api_token")
        return token

    # -- users -----------------------------------------------------------------------------------
    @staticmethod
    def _user_address(id: str | None, user_id: str | None, email: str | None) -> tuple[str, dict[str, str]]:
        given = [(k, v) for k, v in (("id", id), ("user_id", user_id), ("email", email)) if v is not None]
        if len(given) != 1 or not given[0][1]:
            raise ValidationError("give exactly one of id, user_id or email", field="id")
        kind, value = given[0]
        return (f"/v2/users/{quote(value, safe='')}", {}) if kind == "id" else ("/v2/users", {kind: value})

    def _get_user(self, id: str | None, user_id: str | None, email: str | None) -> Request:
        path, params = self._user_address(id, user_id, email)
        return Request("GET", path, params=params)

    def _save_user(self, fields: UserFields, id: str | None, user_id: str | None, email: str | None) -> Request:
        body = dict(fields)
        _validated("taplytics/user#/$defs/write", body)
        if id is None and user_id is None and email is None:  # a new user, or the one the body's ids find
            return Request("POST", "/v2/users", json=body)
        path, params = self._user_address(id, user_id, email)
        # The server merges: sending the same fields twice leaves the same user, so a retry is safe.
        return Request("POST", path, params=params, json=body, idempotent=True)

    def _delete_user(self, id: str | None, user_id: str | None, email: str | None) -> Request:
        path, params = self._user_address(id, user_id, email)
        return Request("DELETE", path, params=params)

    # -- pages -----------------------------------------------------------------------------------
    def _page(self, path: str, page: int, per_page: int) -> Request:
        if not isinstance(page, int) or page < 1:
            raise ValidationError("page: must be a positive integer", field="page")
        return Request("GET", path, params={"page": page, "per_page": _per_page(per_page)})

    def _follow(self, url: str) -> Request:
        """The request for a ``Link`` URL; one that leaves the base URL's origin would carry the token away."""
        if urlsplit(url)[:2] != urlsplit(self.base_url)[:2]:
            raise ValidationError(f"the server's next link {self.redactor.text(url)!r} is not on {self.base_url}",
                                  field="Link")
        return Request("GET", url)

    def _cursor_request(self, first: Request, cursor: str | None) -> Request:
        return first if cursor is None else self._follow(cursor)

    def _by_token(self, token: str | None, per_page: int) -> Request:
        return Request("GET", "/v2/usersByToken", params={"per_page": _per_page(per_page), "paginationToken": token})

    # -- experiments, events, push ---------------------------------------------------------------
    @staticmethod
    def _id_path(prefix: str, id: str) -> str:
        if not id:
            raise ValidationError("id: required", field="id")
        return f"{prefix}/{quote(id, safe='')}"

    def _events(self, session_id: str, events: Sequence[Event]) -> Request:
        if not session_id:
            raise ValidationError("session_id: required", field="session_id")
        if not 1 <= len(events) <= MAX_EVENTS:
            raise ValidationError(f"events: from 1 to {MAX_EVENTS} a request, got {len(events)}", field="events")
        body = [_event(e).to_json() for e in events]
        errors = schemas.validate("taplytics/event#/$defs/batch", body)
        if errors:
            raise ValidationError(f"events{errors[0]}", field=errors[0].path)
        return Request("POST", "/v2/events", params={"session_id": session_id}, json=body)

    def _create_push(
        self, *, alert: str | None, name: str | None, filters: Sequence[Filter], schedule: Schedule | None,
        custom_keys: Mapping[str, Any] | None, image: Image | None, time_to_live: float | None,
        notification: Notification | None, filter_duplicate_content: bool | None, production: bool | None,
        is_silent: bool | None, badge_count: float | None,
    ) -> Request:
        note = notification or Notification()
        if alert is not None or time_to_live is not None:
            note = Notification(alert if alert is not None else note.alert,
                                time_to_live if time_to_live is not None else note.time_to_live, note.extra)
        body: dict[str, Any] = {"notification": note.to_json(),
                                "filters": [check_filter(f, f"filters[{i}]").to_json() for i, f in enumerate(filters)]}
        optional = {"name": name, "custom_keys": dict(custom_keys) if custom_keys is not None else None,
                    "image": image.to_json() if image else None, "schedule": schedule.to_json() if schedule else None,
                    "filter_duplicate_content": filter_duplicate_content, "production": production,
                    "is_silent": is_silent, "badge_count": badge_count}
        body.update({k: v for k, v in optional.items() if v is not None})
        _validated("taplytics/push#/$defs/create", body)
        return Request("POST", "/v2/push", json=body)


# -- sync ----------------------------------------------------------------------------------------
class Users:
    def __init__(self, client: TaplyticsClient) -> None:
        self._c = client

    def get(self, id: str | None = None, *, user_id: str | None = None, email: str | None = None) -> User:
        """One user, by Taplytics ``id``, your ``user_id`` or ``email`` (exactly one)."""
        return User.from_json(self._c.send(self._c._get_user(id, user_id, email)).json())

    def save(self, fields: UserFields, *, id: str | None = None, user_id: str | None = None,
             email: str | None = None) -> User:
        """Create or update; ``custom_data`` merges into what is stored. Without an address: a new user
        (or the one the fields' ``user_id``/``email`` find)."""
        return User.from_json(self._c.send(self._c._save_user(fields, id, user_id, email)).json())

    def delete(self, id: str | None = None, *, user_id: str | None = None, email: str | None = None) -> None:
        self._c.send(self._c._delete_user(id, user_id, email))

    def list(self, page: int = 1, per_page: int = MAX_PER_PAGE) -> Page[User]:
        """One page (its ``links`` hold the server's first/prev/next/last)."""
        return next(self.iter(per_page, page=page, max_pages=1).pages(), Page([], None, None))

    def iter(self, per_page: int = MAX_PER_PAGE, *, page: int = 1, max_pages: int | None = None,
             max_items: int | None = None, cursor: str | None = None) -> Paginator[User]:
        """Every user from ``page`` on, following ``rel="next"``; ``.pages()`` for pages, ``.cursor`` to resume."""
        first = self._c._page("/v2/users", page, per_page)
        return Paginator(lambda cur: self._c.send(self._c._cursor_request(first, cur)), USER_PAGES,
                         cursor=cursor, max_pages=max_pages, max_items=max_items)

    def iter_by_token(self, per_page: int = MAX_PER_PAGE, *, token: str | None = None,
                      max_pages: int | None = None, max_items: int | None = None) -> Paginator[User]:
        """Every user through ``/v2/usersByToken``, following ``nextPaginationToken``."""
        _per_page(per_page)
        return Paginator(lambda cur: self._c.send(self._c._by_token(cur, per_page)), TOKEN_PAGES,
                         cursor=token, max_pages=max_pages, max_items=max_items)


class Experiments:
    def __init__(self, client: TaplyticsClient) -> None:
        self._c = client

    def get(self, id: str) -> Experiment:
        return Experiment.from_json(self._c.send(Request("GET", self._c._id_path("/v2/experiments", id))).json())

    def delete(self, id: str) -> None:
        self._c.send(Request("DELETE", self._c._id_path("/v2/experiments", id)))

    def list(self, page: int = 1, per_page: int = MAX_PER_PAGE) -> Page[Experiment]:
        return next(self.iter(per_page, page=page, max_pages=1).pages(), Page([], None, None))

    def iter(self, per_page: int = MAX_PER_PAGE, *, page: int = 1, max_pages: int | None = None,
             max_items: int | None = None, cursor: str | None = None) -> Paginator[Experiment]:
        first = self._c._page("/v2/experiments", page, per_page)
        return Paginator(lambda cur: self._c.send(self._c._cursor_request(first, cur)), EXPERIMENT_PAGES,
                         cursor=cursor, max_pages=max_pages, max_items=max_items)


class Events:
    def __init__(self, client: TaplyticsClient) -> None:
        self._c = client

    def post(self, session_id: str, events: Sequence[Event]) -> None:
        """One request of 1 to 100 events."""
        self._c.send(self._c._events(session_id, events))

    def send(self, session_id: str, events: Iterable[Event]) -> int:
        """Any number of events, through the batching engine in requests of at most 100.

        Returns how many were sent; raises the first failure after trying every batch.
        """
        failures: list[BaseException] = []
        batcher = self.batcher(session_id, BatchConfig(max_items=MAX_EVENTS, background=False, when_full="raise"),
                               on_error=lambda exc, _batch: failures.append(exc))
        count = 0
        try:
            for event in events:
                batcher.add(event)
                count += 1
        except ValidationError as exc:
            raise _refused(exc, count) from exc
        finally:
            batcher.close()  # what was accepted before a refused event is sent, not left queued
        if failures:
            raise failures[0]
        return count

    def batcher(self, session_id: str, config: BatchConfig | None = None, *,
                on_error: OnError[Event] | None = None) -> Batcher[Event]:
        """A background batcher for ``session_id``: ``add`` events, at most 100 go in one request."""
        return Batcher(lambda batch: self.post(session_id, batch), config=_batch_config(config), validate=_event,
                       size_of=lambda e: len(str(e.to_json())), on_error=on_error)


class Pushes:
    def __init__(self, client: TaplyticsClient) -> None:
        self._c = client

    def create(self, alert: str | None = None, *, name: str | None = None, filters: Sequence[Filter] = (),
               schedule: Schedule | None = None, custom_keys: Mapping[str, Any] | None = None,
               image: Image | None = None, time_to_live: float | None = None,
               notification: Notification | None = None, filter_duplicate_content: bool | None = None,
               production: bool | None = None, is_silent: bool | None = None,
               badge_count: float | None = None) -> PushNotification:
        """Send (or schedule) a push; every filter is checked first and bad ones are refused unsent."""
        request = self._c._create_push(
            alert=alert, name=name, filters=filters, schedule=schedule, custom_keys=custom_keys, image=image,
            time_to_live=time_to_live, notification=notification, filter_duplicate_content=filter_duplicate_content,
            production=production, is_silent=is_silent, badge_count=badge_count)
        return PushNotification.from_json(self._c.send(request).json())

    def get(self, id: str) -> PushNotification:
        return PushNotification.from_json(self._c.send(Request("GET", self._c._id_path("/v2/push", id))).json())

    def list(self, page: int = 1, per_page: int = MAX_PER_PAGE) -> Page[PushNotification]:
        return next(self.iter(per_page, page=page, max_pages=1).pages(), Page([], None, None))

    def iter(self, per_page: int = MAX_PER_PAGE, *, page: int = 1, max_pages: int | None = None,
             max_items: int | None = None, cursor: str | None = None) -> Paginator[PushNotification]:
        first = self._c._page("/v2/push", page, per_page)
        return Paginator(lambda cur: self._c.send(self._c._cursor_request(first, cur)), PUSH_PAGES,
                         cursor=cursor, max_pages=max_pages, max_items=max_items)


class TaplyticsClient(_TaplyticsBase, SyncAPIClient):
    """``TaplyticsClient("api-token")``. Plain http is refused except to loopback unless ``allow_http=True``."""

    def __init__(self, api_token: str | None = None, *, base_url: str | None = None, allow_http: bool = False,
                 timeout: httpx.Timeout | float | None = None, retry: RetryPolicy | None = None,
                 headers: Mapping[str, str] | None = None, http_client: httpx.Client | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        token = self._token(api_token)
        super().__init__(base_url=env_base_url("taplytics", base_url, DEFAULT_BASE_URL), secrets=[token],
                         timeout=timeout, retry=retry, headers={"x-access-token": token, **(headers or {})},
                         allow_http=allow_http, http_client=http_client, transport=transport)

    def _bind(self) -> None:
        self.users = Users(self)
        self.experiments = Experiments(self)
        self.events = Events(self)
        self.push = Pushes(self)

    @property
    def with_raw_response(self) -> TaplyticsWithRawResponse:
        """Every call answering ``RawResponse[<its result>]``: status, headers and request id beside it."""
        return TaplyticsWithRawResponse(self)


# -- async ---------------------------------------------------------------------------------------
class AsyncUsers:
    def __init__(self, client: AsyncTaplyticsClient) -> None:
        self._c = client

    async def get(self, id: str | None = None, *, user_id: str | None = None, email: str | None = None) -> User:
        return User.from_json((await self._c.send(self._c._get_user(id, user_id, email))).json())

    async def save(self, fields: UserFields, *, id: str | None = None, user_id: str | None = None,
                   email: str | None = None) -> User:
        return User.from_json((await self._c.send(self._c._save_user(fields, id, user_id, email))).json())

    async def delete(self, id: str | None = None, *, user_id: str | None = None, email: str | None = None) -> None:
        await self._c.send(self._c._delete_user(id, user_id, email))

    async def list(self, page: int = 1, per_page: int = MAX_PER_PAGE) -> Page[User]:
        async for p in self.iter(per_page, page=page, max_pages=1).pages():
            return p
        return Page([], None, None)

    def iter(self, per_page: int = MAX_PER_PAGE, *, page: int = 1, max_pages: int | None = None,
             max_items: int | None = None, cursor: str | None = None) -> AsyncPaginator[User]:
        first = self._c._page("/v2/users", page, per_page)
        return AsyncPaginator(lambda cur: self._c.send(self._c._cursor_request(first, cur)), USER_PAGES,
                              cursor=cursor, max_pages=max_pages, max_items=max_items)

    def iter_by_token(self, per_page: int = MAX_PER_PAGE, *, token: str | None = None,
                      max_pages: int | None = None, max_items: int | None = None) -> AsyncPaginator[User]:
        _per_page(per_page)
        return AsyncPaginator(lambda cur: self._c.send(self._c._by_token(cur, per_page)), TOKEN_PAGES,
                              cursor=token, max_pages=max_pages, max_items=max_items)


class AsyncExperiments:
    def __init__(self, client: AsyncTaplyticsClient) -> None:
        self._c = client

    async def get(self, id: str) -> Experiment:
        response = await self._c.send(Request("GET", self._c._id_path("/v2/experiments", id)))
        return Experiment.from_json(response.json())

    async def delete(self, id: str) -> None:
        await self._c.send(Request("DELETE", self._c._id_path("/v2/experiments", id)))

    async def list(self, page: int = 1, per_page: int = MAX_PER_PAGE) -> Page[Experiment]:
        async for p in self.iter(per_page, page=page, max_pages=1).pages():
            return p
        return Page([], None, None)

    def iter(self, per_page: int = MAX_PER_PAGE, *, page: int = 1, max_pages: int | None = None,
             max_items: int | None = None, cursor: str | None = None) -> AsyncPaginator[Experiment]:
        first = self._c._page("/v2/experiments", page, per_page)
        return AsyncPaginator(lambda cur: self._c.send(self._c._cursor_request(first, cur)), EXPERIMENT_PAGES,
                              cursor=cursor, max_pages=max_pages, max_items=max_items)


class AsyncEvents:
    def __init__(self, client: AsyncTaplyticsClient) -> None:
        self._c = client

    async def post(self, session_id: str, events: Sequence[Event]) -> None:
        await self._c.send(self._c._events(session_id, events))

    async def send(self, session_id: str, events: Iterable[Event]) -> int:
        failures: list[BaseException] = []
        batcher = self.batcher(session_id, BatchConfig(max_items=MAX_EVENTS, background=False, when_full="raise"),
                               on_error=lambda exc, _batch: failures.append(exc))
        count = 0
        try:
            for event in events:
                await batcher.add(event)
                count += 1
        except ValidationError as exc:
            raise _refused(exc, count) from exc
        finally:
            await batcher.aclose()
        if failures:
            raise failures[0]
        return count

    def batcher(self, session_id: str, config: BatchConfig | None = None, *,
                on_error: OnError[Event] | None = None) -> AsyncBatcher[Event]:
        return AsyncBatcher(lambda batch: self.post(session_id, batch), config=_batch_config(config),
                            validate=_event, size_of=lambda e: len(str(e.to_json())), on_error=on_error)


class AsyncPushes:
    def __init__(self, client: AsyncTaplyticsClient) -> None:
        self._c = client

    async def create(self, alert: str | None = None, *, name: str | None = None, filters: Sequence[Filter] = (),
                     schedule: Schedule | None = None, custom_keys: Mapping[str, Any] | None = None,
                     image: Image | None = None, time_to_live: float | None = None,
                     notification: Notification | None = None, filter_duplicate_content: bool | None = None,
                     production: bool | None = None, is_silent: bool | None = None,
                     badge_count: float | None = None) -> PushNotification:
        request = self._c._create_push(
            alert=alert, name=name, filters=filters, schedule=schedule, custom_keys=custom_keys, image=image,
            time_to_live=time_to_live, notification=notification, filter_duplicate_content=filter_duplicate_content,
            production=production, is_silent=is_silent, badge_count=badge_count)
        return PushNotification.from_json((await self._c.send(request)).json())

    async def get(self, id: str) -> PushNotification:
        response = await self._c.send(Request("GET", self._c._id_path("/v2/push", id)))
        return PushNotification.from_json(response.json())

    async def list(self, page: int = 1, per_page: int = MAX_PER_PAGE) -> Page[PushNotification]:
        async for p in self.iter(per_page, page=page, max_pages=1).pages():
            return p
        return Page([], None, None)

    def iter(self, per_page: int = MAX_PER_PAGE, *, page: int = 1, max_pages: int | None = None,
             max_items: int | None = None, cursor: str | None = None) -> AsyncPaginator[PushNotification]:
        first = self._c._page("/v2/push", page, per_page)
        return AsyncPaginator(lambda cur: self._c.send(self._c._cursor_request(first, cur)), PUSH_PAGES,
                              cursor=cursor, max_pages=max_pages, max_items=max_items)


class AsyncTaplyticsClient(_TaplyticsBase, AsyncAPIClient):
    def __init__(self, api_token: str | None = None, *, base_url: str | None = None, allow_http: bool = False,
                 timeout: httpx.Timeout | float | None = None, retry: RetryPolicy | None = None,
                 headers: Mapping[str, str] | None = None, http_client: httpx.AsyncClient | None = None,
                 transport: httpx.AsyncBaseTransport | httpx.BaseTransport | None = None) -> None:
        token = self._token(api_token)
        super().__init__(base_url=env_base_url("taplytics", base_url, DEFAULT_BASE_URL), secrets=[token],
                         timeout=timeout, retry=retry, headers={"x-access-token": token, **(headers or {})},
                         allow_http=allow_http, http_client=http_client, transport=transport)

    def _bind(self) -> None:
        self.users = AsyncUsers(self)
        self.experiments = AsyncExperiments(self)
        self.events = AsyncEvents(self)
        self.push = AsyncPushes(self)

    @property
    def with_raw_response(self) -> AsyncTaplyticsWithRawResponse:
        """Every call answering ``RawResponse[<its result>]``: status, headers and request id beside it."""
        return AsyncTaplyticsWithRawResponse(self)


class UsersWithRawResponse(RawResponses):
    """``TaplyticsClient.with_raw_response.users``."""

    def __init__(self, client: TaplyticsClient) -> None:
        super().__init__(client)
        self.get = self._wrap(client.users.get)
        self.save = self._wrap(client.users.save)
        self.delete = self._wrap(client.users.delete)
        self.list = self._wrap(client.users.list)


class ExperimentsWithRawResponse(RawResponses):
    """``TaplyticsClient.with_raw_response.experiments``."""

    def __init__(self, client: TaplyticsClient) -> None:
        super().__init__(client)
        self.get = self._wrap(client.experiments.get)
        self.delete = self._wrap(client.experiments.delete)
        self.list = self._wrap(client.experiments.list)


class EventsWithRawResponse(RawResponses):
    """``TaplyticsClient.with_raw_response.events``."""

    def __init__(self, client: TaplyticsClient) -> None:
        super().__init__(client)
        self.post = self._wrap(client.events.post)
        self.send = self._wrap(client.events.send)


class PushesWithRawResponse(RawResponses):
    """``TaplyticsClient.with_raw_response.push``."""

    def __init__(self, client: TaplyticsClient) -> None:
        super().__init__(client)
        self.create = self._wrap(client.push.create)
        self.get = self._wrap(client.push.get)
        self.list = self._wrap(client.push.list)


class TaplyticsWithRawResponse(RawResponses):
    """``TaplyticsClient.with_raw_response``: each resource's calls (``.users.get(...)``), answering
    ``RawResponse`` (the lazy ``iter``/``iter_by_token`` send nothing when called: not here)."""

    def __init__(self, client: TaplyticsClient) -> None:
        super().__init__(client)
        self.users = UsersWithRawResponse(client)
        self.experiments = ExperimentsWithRawResponse(client)
        self.events = EventsWithRawResponse(client)
        self.push = PushesWithRawResponse(client)


class AsyncUsersWithRawResponse(RawResponses):
    """``AsyncTaplyticsClient.with_raw_response.users``."""

    def __init__(self, client: AsyncTaplyticsClient) -> None:
        super().__init__(client)
        self.get = self._wrap_async(client.users.get)
        self.save = self._wrap_async(client.users.save)
        self.delete = self._wrap_async(client.users.delete)
        self.list = self._wrap_async(client.users.list)


class AsyncExperimentsWithRawResponse(RawResponses):
    """``AsyncTaplyticsClient.with_raw_response.experiments``."""

    def __init__(self, client: AsyncTaplyticsClient) -> None:
        super().__init__(client)
        self.get = self._wrap_async(client.experiments.get)
        self.delete = self._wrap_async(client.experiments.delete)
        self.list = self._wrap_async(client.experiments.list)


class AsyncEventsWithRawResponse(RawResponses):
    """``AsyncTaplyticsClient.with_raw_response.events``."""

    def __init__(self, client: AsyncTaplyticsClient) -> None:
        super().__init__(client)
        self.post = self._wrap_async(client.events.post)
        self.send = self._wrap_async(client.events.send)


class AsyncPushesWithRawResponse(RawResponses):
    """``AsyncTaplyticsClient.with_raw_response.push``."""

    def __init__(self, client: AsyncTaplyticsClient) -> None:
        super().__init__(client)
        self.create = self._wrap_async(client.push.create)
        self.get = self._wrap_async(client.push.get)
        self.list = self._wrap_async(client.push.list)


class AsyncTaplyticsWithRawResponse(RawResponses):
    """``AsyncTaplyticsClient.with_raw_response``: each resource's calls (``.users.get(...)``), answering
    ``RawResponse`` (the lazy ``iter``/``iter_by_token`` send nothing when called: not here)."""

    def __init__(self, client: AsyncTaplyticsClient) -> None:
        super().__init__(client)
        self.users = AsyncUsersWithRawResponse(client)
        self.experiments = AsyncExperimentsWithRawResponse(client)
        self.events = AsyncEventsWithRawResponse(client)
        self.push = AsyncPushesWithRawResponse(client)
