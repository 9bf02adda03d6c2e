"""Cyfe push's wire rules that JSON Schema cannot say: dates, metric values, per-metric options."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Literal, get_args

from ..wire import MAX_DOUBLE, parse_number

__all__ = ["CHART_TYPES", "DATE_LABEL", "FLAG_OPTIONS", "OPTION_NAMES", "ChartType", "OnDuplicate", "add_values",
           "check_option", "cyfe_date", "parse_date", "parse_value", "tidy"]

#: The element label whose values are dates (``YYYYMMDD``) and whose rows sort by date.
DATE_LABEL = "Date"
ChartType = Literal["line", "spline", "area", "areaspline", "column", "bar", "pie", "donut", "funnel", "gauge",
                    "table", "kpi"]
#: The chart types ``type`` accepts (Cyfe's custom widget chart types).
CHART_TYPES: tuple[str, ...] = get_args(ChartType)
OnDuplicate = Literal["add", "replace"]
#: Options whose value is a "0"/"1" flag.
FLAG_OPTIONS = ("cumulative", "average", "reverse", "reversegraph", "yaxisshow", "labelshow")
#: Every per-metric option of the push body, in the order of the API text.
OPTION_NAMES = ("onduplicate", "color", "type", "cumulative", "average", "total", "comparison", "reverse",
                "reversegraph", "yaxis", "yaxismin", "yaxismax", "yaxisshow", "labelshow")

_NUMBER = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*%?\s*$", re.ASCII)
_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_AXIS = re.compile(r"^\d{1,3}$")


def cyfe_date(value: date | datetime) -> str:
    """A date or datetime as Cyfe's ``YYYYMMDD`` (a datetime keeps its own calendar day, no conversion)."""
    return value.strftime("%Y%m%d")


def parse_date(text: str) -> date:
    """A real calendar date from ``YYYYMMDD``; ``ValueError`` saying why otherwise."""
    if not (len(text) == 8 and text.isascii() and text.isdigit()):
        raise ValueError(f"{text!r} is not a date in YYYYMMDD format")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise ValueError(f"{text!r} is not a real date") from None


def tidy(number: float) -> int | float:
    """A whole float as an int (exactly representable ones only), any other number as it is."""
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def add_values(values: Iterable[int | float]) -> int | float:
    """The sum as a person would write it: 0.1 added ten times is 1, not 0.9999999999999999.

    Each float is taken at its shortest decimal form (``repr``) and added exactly, so pushing rows one by
    one, in batches, or merged first all give the same stored number.
    """
    total = sum((Decimal(repr(v)) for v in values), Decimal(0))
    return tidy(float(total))


def parse_value(raw: object) -> tuple[int | float, bool]:
    """A metric value (a number, or a string holding one, optionally ending in ``%``) → (number, percent).

    ``ValueError`` saying why for anything else (booleans, empty strings, NaN, infinity).
    """
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise ValueError(f"{raw!r} is not a number or a numeric string")
    if isinstance(raw, str):
        if not _NUMBER.match(raw):
            raise ValueError(f"{raw!r} is not a number")
        text = raw.strip()
        percent = text.endswith("%")
        number = parse_number(text.rstrip("%").strip(), None, minimum=-MAX_DOUBLE, maximum=MAX_DOUBLE)
    else:  # a sum out of range is refused where rows add up (add_values' callers)
        percent, number = False, parse_number(raw, None, minimum=-MAX_DOUBLE, maximum=MAX_DOUBLE)
    return tidy(float(number)), percent


def check_option(option: str, raw: object) -> str | int | float:
    """One option value for one metric, in its stored form; ``ValueError`` saying why it is refused."""
    if option == "onduplicate":
        if raw not in ("add", "replace"):
            raise ValueError(f"{raw!r} is not one of 'add', 'replace'")
        return str(raw)
    if option == "color":
        if not isinstance(raw, str) or not _COLOR.match(raw):
            raise ValueError(f"{raw!r} is not a hexadecimal color such as '#52ff7f'")
        return raw.lower()
    if option == "type":
        if raw not in CHART_TYPES:
            raise ValueError(f"{raw!r} is not a chart type; use one of {', '.join(CHART_TYPES)}")
        return str(raw)
    if option in FLAG_OPTIONS:
        if isinstance(raw, bool) or raw not in ("0", "1", 0, 1):
            raise ValueError(f"{raw!r} is not '0' or '1'")
        return str(raw)
    if option == "yaxis":
        axis_int = isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw <= 999
        if not (axis_int or (isinstance(raw, str) and _AXIS.match(raw))):
            raise ValueError(f"{raw!r} is not a y-axis number ('0' puts the metric on the shared axis)")
        return str(int(raw))  # type: ignore[call-overload]
    if option in ("yaxismin", "yaxismax", "total", "comparison"):
        number, percent = parse_value(raw)
        if percent and option in ("yaxismin", "yaxismax"):
            raise ValueError(f"{raw!r} is not a number")
        return number
    raise ValueError(f"unknown option {option!r}")
