"""JavaScript's ``String(value)`` (``value + ""``), which is how Countly turns metric and segment values into text.

An array joins its items with commas (``["en_US", "UTF-8"]`` -> ``en_US,UTF-8``; null items give nothing),
booleans are ``true``/``false``, a float that is whole has no fraction (``1.0`` -> ``1``), an object is
``[object Object]``, and numbers follow ``Number.prototype.toString`` (exponent from 1e21 and below 1e-6).
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

__all__ = ["js_number", "js_string"]


def js_number(x: float) -> str:
    """``Number.prototype.toString()``: the shortest digits that round-trip (Python's ``repr`` finds the
    same ones), laid out by ECMAScript's rules."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    _, digit_tuple, exponent = Decimal(repr(abs(float(x)))).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    assert isinstance(exponent, int)
    k = len(digits)
    n = k + exponent  # the value is 0.digits x 10^n
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{mantissa}e{'+' if n - 1 >= 0 else '-'}{abs(n - 1)}"


def js_string(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if abs(value) < 2**53 else js_number(float(value))
    if isinstance(value, float):
        return js_number(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return ",".join("" if item is None else js_string(item) for item in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)
