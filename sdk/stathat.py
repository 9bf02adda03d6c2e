"""StatHat: the EZ API (``/ez``, form or JSON batch) and the Classic API (``/c``, ``/v``)."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

import schemas
from schemas import RuleError
from schemas import stathat as rules
from schemas.stathat import MAX_T

from ._batching import AsyncBatcher, BatchConfig, Batcher, OnError
from ._client import AsyncAPIClient, BaseClient, RawResponses, Request, SyncAPIClient
from ._env import env_base_url, env_value
from ._errors import ValidationError
from ._retry import RetryPolicy

__all__ = ["AsyncStatHatClient", "Stat", "StatHatClient", "expand_stat", "multi_stat"]

DEFAULT_BASE_URL = "https://api.stathat.com"
#: The most items one JSON batch may hold (the server refuses a larger batch whole).
MAX_BATCH = 1000


def multi_stat(prefix: str, names: Iterable[str]) -> str:
    """``multi_stat("messages sent", ["total", "female"])`` → ``"messages sent~total,female"``."""
    joined = ",".join(names)
    if not joined:
        raise ValidationError("multi_stat needs at least one name", field="names")
    return f"{prefix}~{joined}"


def expand_stat(name: str) -> list[str]:
    """The stat names a ``prefix~a,b`` name posts to, checked by the contract's rule (``schemas.stathat``)."""
    try:
        return rules.expand_stat(name)
    except RuleError as exc:
        raise ValidationError(str(exc), field=exc.field) from None


def _number(value: float | int | str, field: str) -> float | int:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ValidationError(f"{field}: {value!r} is not a number", field=field) from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValidationError(f"{field}: must be a finite number", field=field)
    return value


def _check_t(t: int | None) -> None:
    if t is None:
        return
    if not isinstance(t, int) or isinstance(t, bool) or t < 0:
        raise ValidationError("t: must be unix seconds (a non-negative integer)", field="t")
    if t > MAX_T:
        raise ValidationError(f"t: {t} is after year 9999: milliseconds instead of seconds?", field="t")


@dataclass(frozen=True)
class Stat:
    """One EZ update: a ``count`` or a ``value`` for ``stat`` at unix time ``t`` (None: when received)."""

    stat: str
    count: float | None = None
    value: float | None = None
    t: int | None = None

    def __post_init__(self) -> None:
        if (self.count is None) == (self.value is None):
            raise ValidationError("a stat update takes a count or a value (exactly one)", field="count")
        expand_stat(self.stat)
        for field, v in (("count", self.count), ("value", self.value)):
            if v is not None:
                _number(v, field)
        _check_t(self.t)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"stat": self.stat}
        if self.count is not None:
            body["count"] = self.count
        if self.value is not None:
            body["value"] = self.value
        if self.t is not None:
            body["t"] = self.t
        return body


def sum_counters(items: list[Stat]) -> list[Stat]:
    """Counters for the same stat at the same second become one; values are all kept, in order."""
    totals: dict[tuple[str, int | None], float] = {}
    out: list[Stat | tuple[str, int | None]] = []
    for item in items:
        if item.count is None:
            out.append(item)
            continue
        key = (item.stat, item.t)
        if key not in totals:
            totals[key] = 0
            out.append(key)
        totals[key] += item.count
    return [o if isinstance(o, Stat) else Stat(o[0], count=totals[o], t=o[1]) for o in out]


class _StatHatBase(BaseClient):
    """Request building and reply checking, shared by both flavours."""

    ezkey: str | None

    def _need_ezkey(self) -> str:
        if not self.ezkey:
            raise ValidationError("this call needs an ezkey: StatHatClient(ezkey=...)", field="ezkey")
        return self.ezkey

    def _ez(self, stat: Stat) -> Request:
        return Request("POST", "/ez", data={"ezkey": self._need_ezkey(), **stat.to_json()})

    def _ez_batch(self, stats: Sequence[Stat]) -> Request:
        if not stats:
            raise ValidationError("a batch needs at least one stat", field="data")
        body = {"ezkey": self._need_ezkey(), "data": [s.to_json() for s in stats]}
        errors = schemas.validate("stathat/ez#/$defs/batch", body)
        if errors:
            raise ValidationError(str(errors[0]), field=errors[0].path)
        return Request("POST", "/ez", json=body)

    def _classic(self, path: str, key: str, ukey: str, number: float, field: str, t: int | None) -> Request:
        if not key or not ukey:
            raise ValidationError("key and ukey are both required", field="key" if not key else "ukey")
        _number(number, field)
        _check_t(t)
        return Request("POST", path, data={"key": key, "ukey": ukey, field: number, "t": t},
                       headers={}, idempotent=False)

    def status_in_body(self, body: Any) -> int | None:
        # StatHat answers errors with HTTP 200 and the real status in the body.
        if isinstance(body, Mapping) and isinstance(body.get("status"), int) and body["status"] != 200:
            return int(body["status"])
        return None


class StatHatClient(_StatHatBase, SyncAPIClient):
    """``StatHatClient(ezkey="...")``; ``base_url`` points it elsewhere (the reference server).

    Without arguments, ``STATHAT_EZKEY`` and ``ANALYTICS_API_KIT_STATHAT_BASE_URL`` are read.
    """

    def __init__(self, ezkey: str | None = None, *, base_url: str | None = None,
                 timeout: httpx.Timeout | float | None = None, retry: RetryPolicy | None = None,
                 headers: Mapping[str, str] | None = None, http_client: httpx.Client | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.ezkey = env_value("stathat", "ezkey", ezkey)
        super().__init__(base_url=env_base_url("stathat", base_url, DEFAULT_BASE_URL), secrets=[self.ezkey],
                         timeout=timeout, retry=retry, headers=headers, http_client=http_client, transport=transport)

    def count(self, stat: str, count: float = 1, *, t: int | None = None) -> None:
        """Add ``count`` to a counter stat (created on first use)."""
        self.send(self._ez(Stat(stat, count=count, t=t)))

    def value(self, stat: str, value: float, *, t: int | None = None) -> None:
        """Record ``value`` for a value stat (created on first use)."""
        self.send(self._ez(Stat(stat, value=value, t=t)))

    def post(self, stats: Sequence[Stat]) -> None:
        """One JSON batch; the server records all of it or nothing."""
        self.send(self._ez_batch(stats))

    def classic_count(self, key: str, ukey: str, count: float = 1, *, t: int | None = None) -> None:
        self.send(self._classic("/c", key, ukey, count, "count", t))

    def classic_value(self, key: str, ukey: str, value: float, *, t: int | None = None) -> None:
        self.send(self._classic("/v", key, ukey, value, "value", t))

    def batcher(self, config: BatchConfig | None = None, *, on_error: OnError[Stat] | None = None,
                stamp_time: bool = True) -> Batcher[Stat]:
        """A batcher that sends JSON batches, summing counters of the same stat and second.

        With ``stamp_time`` each update without ``t`` gets the time it was added, so summing never moves
        a count to another second.
        """
        return Batcher(self.post, config=_batch_config(config), on_error=on_error,
                       validate=_stamp if stamp_time else None, merge=sum_counters, size_of=_size)

    @property
    def with_raw_response(self) -> StatHatWithRawResponse:
        """Every call answering ``RawResponse[<its result>]``: status, headers and request id beside it."""
        return StatHatWithRawResponse(self)


class AsyncStatHatClient(_StatHatBase, AsyncAPIClient):
    def __init__(self, ezkey: str | None = None, *, base_url: str | None = None,
                 timeout: httpx.Timeout | float | None = None, retry: RetryPolicy | None = None,
                 headers: Mapping[str, str] | None = None, http_client: httpx.AsyncClient | None = None,
                 transport: httpx.AsyncBaseTransport | httpx.BaseTransport | None = None) -> None:
        self.ezkey = env_value("stathat", "ezkey", ezkey)
        super().__init__(base_url=env_base_url("stathat", base_url, DEFAULT_BASE_URL), secrets=[self.ezkey],
                         timeout=timeout, retry=retry, headers=headers, http_client=http_client, transport=transport)

    async def count(self, stat: str, count: float = 1, *, t: int | None = None) -> None:
        await self.send(self._ez(Stat(stat, count=count, t=t)))

    async def value(self, stat: str, value: float, *, t: int | None = None) -> None:
        await self.send(self._ez(Stat(stat, value=value, t=t)))

    async def post(self, stats: Sequence[Stat]) -> None:
        await self.send(self._ez_batch(stats))

    async def classic_count(self, key: str, ukey: str, count: float = 1, *, t: int | None = None) -> None:
        await self.send(self._classic("/c", key, ukey, count, "count", t))

    async def classic_value(self, key: str, ukey: str, value: float, *, t: int | None = None) -> None:
        await self.send(self._classic("/v", key, ukey, value, "value", t))

    def batcher(self, config: BatchConfig | None = None, *, on_error: OnError[Stat] | None = None,
                stamp_time: bool = True) -> AsyncBatcher[Stat]:
        return AsyncBatcher(self.post, config=_batch_config(config), on_error=on_error,
                            validate=_stamp if stamp_time else None, merge=sum_counters, size_of=_size)

    @property
    def with_raw_response(self) -> AsyncStatHatWithRawResponse:
        """Every call answering ``RawResponse[<its result>]``: status, headers and request id beside it."""
        return AsyncStatHatWithRawResponse(self)


def _batch_config(config: BatchConfig | None) -> BatchConfig:
    # A batch over MAX_BATCH would be refused whole, so no config may ask for one.
    if config is None:
        return BatchConfig(max_items=MAX_BATCH)
    return dataclasses.replace(config, max_items=min(config.max_items, MAX_BATCH))


def _size(stat: Stat) -> int:
    return len(str(stat.to_json()))


def _stamp(stat: Stat) -> Stat:
    if stat.t is not None:
        return stat
    return Stat(stat.stat, count=stat.count, value=stat.value, t=int(time.time()))


class StatHatWithRawResponse(RawResponses):
    """``StatHatClient.with_raw_response``: each call, answering ``RawResponse``."""

    def __init__(self, client: StatHatClient) -> None:
        super().__init__(client)
        self.count = self._wrap(client.count)
        self.value = self._wrap(client.value)
        self.post = self._wrap(client.post)
        self.classic_count = self._wrap(client.classic_count)
        self.classic_value = self._wrap(client.classic_value)


class AsyncStatHatWithRawResponse(RawResponses):
    """``AsyncStatHatClient.with_raw_response``."""

    def __init__(self, client: AsyncStatHatClient) -> None:
        super().__init__(client)
        self.count = self._wrap_async(client.count)
        self.value = self._wrap_async(client.value)
        self.post = self._wrap_async(client.post)
        self.classic_count = self._wrap_async(client.classic_count)
        self.classic_value = self._wrap_async(client.classic_value)
