"""Cyfe Push API: push rows of metrics into a custom chart widget (``POST /api/push/<widget_key>``).

The widget key in the endpoint URL is the only credential, so it is passed to the base client as a
secret: it never appears in a message, a repr or a log line. The rules shared with the reference server
(dates, numbers, option values) live in the contract, ``schemas.cyfe``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

import httpx

import schemas
from schemas.cyfe import (
    CHART_TYPES,
    DATE_LABEL,
    OPTION_NAMES,
    ChartType,
    OnDuplicate,
    add_values,
    check_option,
    cyfe_date,
    parse_date,
    parse_value,
)

from ._batching import AsyncBatcher, BatchConfig, Batcher, OnError
from ._client import AsyncAPIClient, BaseClient, RawResponses, Request, SyncAPIClient
from ._env import env_base_url, env_value
from ._errors import ValidationError
from ._retry import RetryPolicy

__all__ = [
    "CHART_TYPES",
    "OPTION_NAMES",
    "AsyncCyfeClient",
    "ChartType",
    "CyfeClient",
    "MetricOptions",
    "Row",
    "add_values",
    "cyfe_date",
    "merge_rows",
    "parse_date",
    "parse_value",
]

DEFAULT_BASE_URL = "https://app.cyfe.com"
PUSH_PATH = "/api/push/"

#: A row as sent: the first key is the unique element (``"Date"`` → ``YYYYMMDD``), then metric → value.
Row = Mapping[str, str | int | float | date]
#: A row after ``check_row``: element and values as they go on the wire.
WireRow = dict[str, str | int | float]

# -- typed options and rows -----------------------------------------------------------------------

def _flag(value: bool | None) -> str | None:
    return None if value is None else ("1" if value else "0")


@dataclass(frozen=True)
class MetricOptions:
    """Every per-metric option of a push; ``None`` leaves the widget's stored (or default) setting.

    ``total`` and ``comparison`` override the header's computed sum/average and percent change;
    ``yaxis`` puts metrics that share a number on one axis (``0`` for all syncs them).
    """

    onduplicate: OnDuplicate | None = None
    color: str | None = None
    type: ChartType | None = None
    cumulative: bool | None = None
    average: bool | None = None
    total: float | str | None = None
    comparison: float | str | None = None
    reverse: bool | None = None
    reversegraph: bool | None = None
    yaxis: int | None = None
    yaxismin: float | None = None
    yaxismax: float | None = None
    yaxisshow: bool | None = None
    labelshow: bool | None = None

    def __post_init__(self) -> None:
        for option, value in self.wire().items():
            try:
                check_option(option, value)
            except ValueError as exc:
                raise ValidationError(f"{option}: {exc}", field=option) from None
        if self.cumulative and self.average:
            raise ValidationError("cumulative and average cannot both be on for one metric", field="average")
        if self.yaxismin is not None and self.yaxismax is not None and self.yaxismin >= self.yaxismax:
            raise ValidationError("yaxismin must be below yaxismax", field="yaxismin")

    def wire(self) -> dict[str, str | int | float]:
        """The options that are set, as they go on the wire (flags as ``"0"``/``"1"``)."""
        out: dict[str, str | int | float] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool):
                value = _flag(value)
            elif f.name == "yaxis" and value is not None:
                value = str(value)
            if value is not None:
                out[f.name] = value
        return out

    @property
    def replaces(self) -> bool:
        return self.onduplicate == "replace"


def check_row(row: Row, where: str = "row") -> WireRow:
    """A row checked and in wire form: dates → ``YYYYMMDD``, values numbers or numeric strings."""
    if not isinstance(row, Mapping) or not row:
        raise ValidationError(f"{where}: must be a non-empty mapping of label to value", field="data")
    label, element = next(iter(row.items()))
    if not isinstance(label, str) or not label:
        raise ValidationError(f"{where}: the first label must be a non-empty string", field="data")
    if isinstance(element, (date, datetime)):
        element = cyfe_date(element)
    if isinstance(element, bool) or not isinstance(element, (str, int)) or element == "":
        raise ValidationError(f"{where}.{label}: the element must be a non-empty string", field=label)
    element = str(element)
    if label == DATE_LABEL:
        try:
            parse_date(element)
        except ValueError as exc:
            raise ValidationError(f"{where}.{label}: {exc}", field=label) from None
    out: WireRow = {label: element}
    for metric, value in list(row.items())[1:]:
        if not isinstance(metric, str) or not metric:
            raise ValidationError(f"{where}: metric names must be non-empty strings", field="data")
        if isinstance(value, (date, datetime)):
            raise ValidationError(f"{where}.{metric}: a date is not a metric value", field=metric)
        try:
            parse_value(value)
        except ValueError as exc:
            raise ValidationError(f"{where}.{metric}: {exc}", field=metric) from None
        out[metric] = value
    if len(out) < 2:
        raise ValidationError(f"{where}: has no metric after its element {label!r}", field="data")
    return out


def merge_rows(rows: Sequence[Row], replace: frozenset[str] = frozenset()) -> list[Row]:
    """Rows of the same element become one: values add, except metrics in ``replace`` (last value wins).

    Order is the first appearance of each element; a metric that was sent with ``%`` keeps it.
    """
    merged: dict[tuple[str, str], dict[str, tuple[int | float, bool]]] = {}
    for row in rows:
        label, element = next(iter(row.items()))
        values = merged.setdefault((label, str(element)), {})
        for metric, raw in list(row.items())[1:]:
            number, percent = parse_value(raw)
            if metric in values:
                old, old_percent = values[metric]
                # A replaced value still tells the server the metric is a percentage one.
                values[metric] = (number if metric in replace else add_values((old, number)), percent or old_percent)
            else:
                values[metric] = (number, percent)
    return [
        {label: element, **{m: f"{n}%" if p else n for m, (n, p) in values.items()}}
        for (label, element), values in merged.items()
    ]


# -- the clients ----------------------------------------------------------------------------------

def split_endpoint(endpoint: str) -> tuple[str, str]:
    """``https://app.cyfe.com/api/push/KEY`` → (``https://app.cyfe.com``, ``KEY``)."""
    base, sep, key = endpoint.rstrip("/").rpartition(PUSH_PATH)
    if not sep or not key or "/" in key or not base:
        raise ValidationError("endpoint must be a widget's push URL: <base>/api/push/<widget_key>", field="endpoint")
    return base, key


class _CyfeBase(BaseClient):
    """Request building and error reading, shared by both flavours."""

    widget_key: str

    def _resolve(self, endpoint: str | None, widget_key: str | None, base_url: str | None) -> str:
        """Set ``widget_key`` and return the base URL (from the endpoint, the arguments or the environment)."""
        if endpoint is None:
            widget_key = env_value("cyfe", "widget_key", widget_key)
        if (endpoint is None) == (widget_key is None):
            raise ValidationError("pass a widget's endpoint URL or a widget_key (exactly one)", field="widget_key")
        if endpoint is not None:
            if base_url is not None:
                raise ValidationError("base_url comes from the endpoint URL; do not pass both", field="base_url")
            base_url, widget_key = split_endpoint(endpoint)
        assert widget_key is not None
        if not widget_key or "/" in widget_key:
            raise ValidationError("widget_key must be a non-empty key without '/'", field="widget_key")
        self.widget_key = widget_key
        return env_base_url("cyfe", base_url, DEFAULT_BASE_URL)

    def _push(self, rows: Sequence[Row], options: Mapping[str, MetricOptions] | None) -> Request:
        if isinstance(rows, Mapping) or not rows:
            raise ValidationError("rows must be a non-empty sequence of rows", field="data")
        data = [check_row(row, f"data[{i}]") for i, row in enumerate(rows)]
        body: dict[str, Any] = {"data": data}
        metrics = {m for row in data for m in list(row)[1:]}
        for metric, opts in (options or {}).items():
            if not isinstance(opts, MetricOptions):
                raise ValidationError(f"options[{metric!r}] must be a MetricOptions", field=metric)
            if metric not in metrics:
                raise ValidationError(f"options[{metric!r}]: metric {metric!r} is not in the rows", field=metric)
            for option, value in opts.wire().items():
                body.setdefault(option, {})[metric] = value
        errors = schemas.validate("cyfe/push#/$defs/body", body)
        if errors:
            raise ValidationError(str(errors[0]), field=errors[0].path)
        # A push that only replaces values gives the same result when repeated: safe to retry.
        replaces = {m for m, o in (options or {}).items() if o.replaces}
        return Request("POST", PUSH_PATH + self.widget_key, json=body, idempotent=metrics <= replaces)

    def error_message(self, body: Any, response: httpx.Response) -> str:
        if isinstance(body, Mapping) and isinstance(body.get("message"), str):
            return str(body["message"])
        return super().error_message(body, response)


class _RowChecker:
    """``validate`` for a batcher: each row checked at ``add``; one first label per batcher (one per push)."""

    def __init__(self) -> None:
        self.label: str | None = None

    def __call__(self, row: Row) -> Row:
        checked = check_row(row)
        label = next(iter(checked))
        if self.label is None:
            self.label = label
        elif label != self.label:
            raise ValidationError(f"row: first label {label!r} differs from this batcher's {self.label!r}",
                                  field=label)
        return checked


def _options_for(batch: Sequence[Row], options: Mapping[str, MetricOptions]) -> dict[str, MetricOptions]:
    # Options may only name metrics of the push, so each batch carries those of its own metrics.
    present = {m for row in batch for m in list(row)[1:]}
    return {m: o for m, o in options.items() if m in present}


class CyfeClient(_CyfeBase, SyncAPIClient):
    """``CyfeClient("https://app.cyfe.com/api/push/<key>")`` or ``CyfeClient(widget_key=..., base_url=...)``."""

    def __init__(self, endpoint: str | None = None, *, widget_key: str | None = None,
                 base_url: str | None = None, timeout: httpx.Timeout | float | None = None,
                 retry: RetryPolicy | None = None, headers: Mapping[str, str] | None = None,
                 http_client: httpx.Client | None = None, transport: httpx.BaseTransport | None = None) -> None:
        base = self._resolve(endpoint, widget_key, base_url)
        super().__init__(base_url=base, secrets=[self.widget_key], timeout=timeout, retry=retry, headers=headers,
                         http_client=http_client, transport=transport)

    def push(self, rows: Sequence[Row], options: Mapping[str, MetricOptions] | None = None) -> None:
        """Push rows (each: first label the element, then metric → value) with per-metric options."""
        self.send(self._push(rows, options))

    def batcher(self, options: Mapping[str, MetricOptions] | None = None, config: BatchConfig | None = None,
                *, on_error: OnError[Row] | None = None) -> Batcher[Row]:
        """A batcher that pushes the rows in the order they were added, up to 1000 a push, and lets the
        widget aggregate them under the options it holds: the result is what one push a row would leave
        (rows are not merged here: a metric the widget stores as ``onduplicate: replace`` would otherwise be
        summed). Every row is checked in ``add``."""
        opts = dict(options or {})
        return Batcher(lambda batch: self.push(batch, _options_for(batch, opts)),
                       config=config or BatchConfig(max_items=1000), on_error=on_error, validate=_RowChecker())

    @property
    def with_raw_response(self) -> CyfeWithRawResponse:
        """Every call answering ``RawResponse[<its result>]``: status, headers and request id beside it."""
        return CyfeWithRawResponse(self)


class AsyncCyfeClient(_CyfeBase, AsyncAPIClient):
    def __init__(self, endpoint: str | None = None, *, widget_key: str | None = None,
                 base_url: str | None = None, timeout: httpx.Timeout | float | None = None,
                 retry: RetryPolicy | None = None, headers: Mapping[str, str] | None = None,
                 http_client: httpx.AsyncClient | None = None,
                 transport: httpx.AsyncBaseTransport | httpx.BaseTransport | None = None) -> None:
        base = self._resolve(endpoint, widget_key, base_url)
        super().__init__(base_url=base, secrets=[self.widget_key], timeout=timeout, retry=retry, headers=headers,
                         http_client=http_client, transport=transport)

    async def push(self, rows: Sequence[Row], options: Mapping[str, MetricOptions] | None = None) -> None:
        await self.send(self._push(rows, options))

    def batcher(self, options: Mapping[str, MetricOptions] | None = None, config: BatchConfig | None = None,
                *, on_error: OnError[Row] | None = None) -> AsyncBatcher[Row]:
        opts = dict(options or {})

        async def send(batch: list[Row]) -> None:
            await self.push(batch, _options_for(batch, opts))

        return AsyncBatcher(send, config=config or BatchConfig(max_items=1000), on_error=on_error,
                            validate=_RowChecker())

    @property
    def with_raw_response(self) -> AsyncCyfeWithRawResponse:
        """Every call answering ``RawResponse[<its result>]``: status, headers and request id beside it."""
        return AsyncCyfeWithRawResponse(self)


class CyfeWithRawResponse(RawResponses):
    """``CyfeClient.with_raw_response``: each call, answering ``RawResponse``."""

    def __init__(self, client: CyfeClient) -> None:
        super().__init__(client)
        self.push = self._wrap(client.push)


class AsyncCyfeWithRawResponse(RawResponses):
    """``AsyncCyfeClient.with_raw_response``."""

    def __init__(self, client: AsyncCyfeClient) -> None:
        super().__init__(client)
        self.push = self._wrap_async(client.push)
