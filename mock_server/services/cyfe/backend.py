"""Cyfe's rules and state: widgets (keyed by their secret widget key), their rows and per-metric options.

A push is checked whole before anything is written, so a refused push leaves nothing behind. Rows are
keyed by their element (the value of the first label); a pushed row whose element exists adds to the
stored values, or replaces them for metrics whose ``onduplicate`` is ``replace``. Options are stored
with the widget, per metric; a later push changes only the options it names.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from schemas.cyfe import DATE_LABEL, OPTION_NAMES, add_values, check_option, parse_date, parse_value, tidy

from ...errors import ServiceError
from ...store import MemoryStore, Store

__all__ = ["DEV_WIDGET", "CyfeBackend", "fail", "rows_ns"]

DEV_WIDGET = "dev-widget"
WIDGETS = "cyfe.widgets"  # widget key -> {"name", "label", "metrics", "percent_metrics", "options"}


def rows_ns(widget_key: str) -> str:
    """Each widget's rows in a namespace of their own: element -> row, in first-push order."""
    return f"cyfe.rows/{widget_key}"


def fail(status: int, message: str, *, parameter: str | None = None, row: int | None = None,
         field: str | None = None) -> ServiceError:
    """A Cyfe error: the message names what is wrong; parameter, row index and label/metric say where."""
    body = {"status": "error", "code": status, "message": message, "parameter": parameter, "row": row,
            "field": field}
    return ServiceError(status, message, body=body)


_PATH = re.compile(r"^(?P<parameter>[^.\[]+)(?:\[(?P<row>\d+)\])?(?:\.(?P<field>.+))?$")


def _located(error: ServiceError) -> ServiceError:
    """A request-schema error in the Cyfe shape, with parameter, row and field read from its JSON path."""
    match = _PATH.match(error.errors[0].path) if error.errors else None
    if match is None or match["parameter"] == "$":
        return fail(error.status, error.message)
    row = match["row"]
    return fail(error.status, error.message, parameter=match["parameter"], row=None if row is None else int(row),
                field=match["field"])


def _empty(key: str, name: str | None = None) -> dict[str, Any]:
    return {"name": name or key, "label": None, "metrics": [], "percent_metrics": [], "options": {}}


def _month(day: date, back: int = 0) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 - back
    return index // 12, index % 12 + 1


class CyfeBackend:
    def __init__(self, store: Store, *, accept_any_widget: bool = False) -> None:
        self.store = store
        self.accept_any_widget = accept_any_widget

    # -- state ----------------------------------------------------------------------------------
    def reset(self) -> None:
        self.create(DEV_WIDGET, "Development widget")

    def create(self, key: str, name: str | None = None) -> dict[str, Any]:
        """An empty widget (an existing one with this key is emptied)."""
        widget = _empty(key, name)
        self.store.clear(rows_ns(key))
        self.store.put(WIDGETS, key, widget)
        return widget

    def seed(self, data: dict[str, Any]) -> dict[str, int]:
        # A dry run on a scratch store first: a transaction serialises but does not roll back in memory,
        # and a refused seed must leave nothing behind.
        CyfeBackend(MemoryStore())._seed(data)
        return self._seed(data)

    def _seed(self, data: dict[str, Any]) -> dict[str, int]:
        rows = 0
        for spec in data.get("widgets", []):
            self.create(spec["key"], spec.get("name"))
            for i, body in enumerate(spec.get("pushes", [])):
                try:
                    rows += self.push(spec["key"], body)
                except ServiceError as exc:
                    raise ServiceError(400, f"cyfe.widgets[{spec['key']}].pushes[{i}]: {exc.message}") from None
        return {"widgets": len(data.get("widgets", [])), "rows": rows}

    def widgets(self) -> list[dict[str, Any]]:
        return [{"key": key, "name": w["name"], "label": w["label"], "metrics": w["metrics"],
                 "rows": self.store.count(rows_ns(key))} for key, w in self.store.items(WIDGETS)]

    def widget(self, key: str) -> dict[str, Any]:
        widget: dict[str, Any] | None = self.store.get(WIDGETS, key)
        if widget is None:
            if not self.accept_any_widget:
                # Never echo the key: it is the widget's only credential.
                raise fail(404, "widget_key: no widget has this key", parameter="widget_key")
            # Not stored yet: the push that asked for it stores it, and a refused push leaves nothing.
            widget = _empty(key)
        return widget

    def rows(self, key: str, widget: dict[str, Any]) -> list[dict[str, Any]]:
        rows = [row for _, row in self.store.items(rows_ns(key))]
        if widget["label"] == DATE_LABEL:
            rows.sort(key=lambda r: str(r[DATE_LABEL]))
        return rows

    def read_back(self, key: str) -> dict[str, Any]:
        widget = self.store.get(WIDGETS, key)
        if widget is None:
            raise fail(404, "widget_key: no widget has this key", parameter="widget_key")
        rows = self.rows(key, widget)
        header, period = self.header(widget, rows)
        return {"name": widget["name"], "label": widget["label"], "metrics": widget["metrics"],
                "percent_metrics": widget["percent_metrics"], "rows": rows, "options": widget["options"],
                "header": header, "period": period}

    # -- the push -------------------------------------------------------------------------------
    def push(self, key: str, body: Any, check: Callable[[Any], None] | None = None) -> int:
        """Check every rule of the push, then store it all; returns the number of rows received.

        ``check`` (the request schema) runs after the rules, whose errors name row and metric better.
        """
        with self.store.transaction():
            widget = self.widget(key)
            rows = self._check_rows(widget, body)
            metrics = list(dict.fromkeys(m for _, _, values in rows for m in values))
            options = self._check_options(widget, body, set(metrics))
            if check is not None:
                try:
                    check(body)
                except ServiceError as exc:
                    raise _located(exc) from None
            self._record(key, widget, rows, metrics, options)
            return len(rows)

    def _check_rows(self, widget: dict[str, Any], body: Any) -> list[tuple[str, str, dict[str, tuple[Any, bool]]]]:
        if not isinstance(body, dict):
            raise fail(400, "body: must be a JSON object with data", parameter="body")
        unknown = [k for k in body if k != "data" and k not in OPTION_NAMES]
        if unknown:
            raise fail(400, f"{unknown[0]}: unknown parameter; use data, {', '.join(OPTION_NAMES)}",
                       parameter=unknown[0])
        if "data" not in body:
            raise fail(400, "data: missing (a non-empty list of rows)", parameter="data")
        data = body["data"]
        if not isinstance(data, list) or not data:
            raise fail(400, "data: must be a non-empty list of rows", parameter="data")
        label = widget["label"]
        rows = []
        for i, row in enumerate(data):
            where = f"data[{i}]"
            if not isinstance(row, dict) or not row:
                raise fail(400, f"{where}: must be an object whose first label is the element", parameter="data", row=i)
            first, element = next(iter(row.items()))
            if label is None:
                label = first
            if first != label:
                raise fail(400, f"{where}: first label {first!r} differs from the widget's {label!r}",
                           parameter="data", row=i, field=first)
            if isinstance(element, bool) or not isinstance(element, (str, int)) or element == "":
                raise fail(400, f"{where}.{first}: the element must be a non-empty string", parameter="data",
                           row=i, field=first)
            element = str(element)
            if first == DATE_LABEL:
                try:
                    parse_date(element)
                except ValueError as exc:
                    raise fail(400, f"{where}.{first}: {exc}", parameter="data", row=i, field=first) from None
            values: dict[str, tuple[Any, bool]] = {}
            for metric, raw in list(row.items())[1:]:
                if not metric:
                    raise fail(400, f"{where}: a metric name is empty", parameter="data", row=i, field=metric)
                try:
                    values[metric] = parse_value(raw)
                except ValueError as exc:
                    raise fail(400, f"{where}.{metric}: {exc}", parameter="data", row=i, field=metric) from None
            if not values:
                raise fail(400, f"{where}: has no metric after its element {first!r}", parameter="data", row=i,
                           field=first)
            rows.append((first, element, values))
        return rows

    def _check_options(self, widget: dict[str, Any], body: dict[str, Any], metrics: set[str]) -> dict[str, Any]:
        """The widget's options with this push's merged in, every value and combination checked."""
        options: dict[str, dict[str, Any]] = {name: dict(v) for name, v in widget["options"].items()}
        for name in OPTION_NAMES:
            if name not in body:
                continue
            given = body[name]
            if not isinstance(given, dict):
                raise fail(400, f"{name}: must be an object of metric name to value", parameter=name)
            for metric, raw in given.items():
                if metric not in metrics:
                    raise fail(400, f"{name}.{metric}: metric {metric!r} is not in data", parameter=name,
                               field=metric)
                try:
                    options.setdefault(name, {})[metric] = check_option(name, raw)
                except ValueError as exc:
                    raise fail(400, f"{name}.{metric}: {exc}", parameter=name, field=metric) from None
        for metric in metrics:
            if all(options.get(flag, {}).get(metric) == "1" for flag in ("cumulative", "average")):
                raise fail(400, f"average.{metric}: cumulative and average cannot both be '1' for one metric",
                           parameter="average", field=metric)
            low, high = options.get("yaxismin", {}).get(metric), options.get("yaxismax", {}).get(metric)
            if low is not None and high is not None and low >= high:
                raise fail(400, f"yaxismin.{metric}: {low} is not below yaxismax {high}", parameter="yaxismin",
                           field=metric)
        return options

    def _record(self, key: str, widget: dict[str, Any], rows: list[tuple[str, str, dict[str, tuple[Any, bool]]]],
                metrics: list[str], options: dict[str, Any]) -> None:
        replace = {m for m, v in options.get("onduplicate", {}).items() if v == "replace"}
        ns = rows_ns(key)
        pending: dict[str, dict[str, Any]] = {}
        percent = set(widget["percent_metrics"])
        for i, (label, element, values) in enumerate(rows):
            stored = pending.get(element) or self.store.get(ns, element) or {label: element}
            for metric, (number, is_percent) in values.items():
                if is_percent or metric.endswith("%"):
                    percent.add(metric)
                if metric in stored and metric not in replace:
                    total = add_values((stored[metric], number))
                    if not math.isfinite(total):  # still nothing written: the push is refused whole
                        raise fail(400, f"data[{i}].{metric}: adding {number!r} to {stored[metric]!r} is out of "
                                        f"range", parameter="data", row=i, field=metric)
                    stored[metric] = total
                else:
                    stored[metric] = number
            pending[element] = stored
        for element, stored in pending.items():
            self.store.put(ns, element, stored)
        widget["label"] = rows[0][0]
        widget["metrics"] = list(dict.fromkeys([*widget["metrics"], *metrics]))
        widget["percent_metrics"] = [m for m in widget["metrics"] if m in percent]
        widget["options"] = options
        self.store.put(WIDGETS, key, widget)

    # -- the widget header ----------------------------------------------------------------------
    def header(self, widget: dict[str, Any], rows: list[dict[str, Any]]) -> tuple[dict[str, Any], Any]:
        """Per metric: the total and the percent change the widget header shows, and the period used.

        With Date rows the current period is the calendar month of the latest date, compared with the
        month before; other widgets total every row and have no comparison. The total is a sum, or an
        average for percentage metrics (and where ``average`` is "1"; "0" forces a sum); ``cumulative``
        sums every row up to the end of the period. ``total``/``comparison`` options override;
        ``reverse`` flips whether a rise is good.
        """
        options = widget["options"]
        dated = widget["label"] == DATE_LABEL and bool(rows)
        period = None
        current: list[dict[str, Any]] = rows
        previous: list[dict[str, Any]] | None = None
        upto_current: list[dict[str, Any]] = rows
        upto_previous: list[dict[str, Any]] = []
        if dated:
            days = [(parse_date(str(r[DATE_LABEL])), r) for r in rows]
            latest = max(d for d, _ in days)
            cur, prev = _month(latest), _month(latest, 1)
            current = [r for d, r in days if (d.year, d.month) == cur]
            previous = [r for d, r in days if (d.year, d.month) == prev]
            upto_current = [r for d, r in days if (d.year, d.month) <= cur]
            upto_previous = [r for d, r in days if (d.year, d.month) <= prev]
            period = {"current": f"{cur[0]:04d}-{cur[1]:02d}", "previous": f"{prev[0]:04d}-{prev[1]:02d}"}
        header: dict[str, Any] = {}
        for metric in widget["metrics"]:
            def opt(name: str, metric: str = metric) -> Any:
                return options.get(name, {}).get(metric)

            if opt("cumulative") == "1":
                method = "cumulative"
            elif opt("average") == "1" or (opt("average") != "0" and metric in widget["percent_metrics"]):
                method = "average"
            else:
                method = "sum"
            now_rows, then_rows = (upto_current, upto_previous) if method == "cumulative" else (current, previous)
            total = _aggregate(now_rows, metric, method)
            comparison = None
            if dated and then_rows is not None:
                before = _aggregate(then_rows, metric, method)
                if total is not None and before not in (None, 0):
                    comparison = round((total - before) / abs(before) * 100, 2)
            if opt("total") is not None:
                total = opt("total")
            if opt("comparison") is not None:
                comparison = opt("comparison")
            good = None if not comparison else (comparison > 0) != (opt("reverse") == "1")
            header[metric] = {"total": total, "comparison": comparison, "good": good, "method": method}
        return header, period


def _aggregate(rows: list[dict[str, Any]], metric: str, method: str) -> int | float | None:
    """None when no row has the metric: "no value" (no total, no comparison), not a sum of 0.

    Also None when the sum leaves the range of a double: JSON has no infinity.
    """
    values = [r[metric] for r in rows if metric in r]
    total = add_values(values) if values else math.inf
    if not math.isfinite(total):
        return None
    return tidy(round(total / len(values), 6)) if method == "average" else total

