"""Reading untrusted JSON and numbers, and writing strict JSON: one parser for both sides.

``loads`` is for every body and every JSON-in-a-parameter. It refuses what would hurt the code behind it:
nesting deeper than ``MAX_DEPTH`` (``json`` would recurse until ``RecursionError``), text over
``MAX_BYTES``, ``NaN``/``Infinity`` (not JSON, RFC 8259), numbers no IEEE double holds (``1e309``, a
400-digit integer: ``float()`` of them overflows), and escaped lone surrogates (no UTF-8 text can hold
them, so encoding them later fails). ``parse_number`` is for every numeric field, given as a number or as
text: finite, within its bounds. ``dumps`` is the one way a reply is written: strict JSON, or a
``ValueError``.

Every refusal is a ``RuleError`` naming the field, so the server answers in the service's own style and
the SDK raises before sending.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import sys
from itertools import accumulate
from typing import Any

import orjson

from . import RuleError

__all__ = ["LAST_SECOND", "MAX_BYTES", "MAX_DEPTH", "MAX_DOUBLE", "MAX_NUMBER", "JSONError", "JSONLimitError", "dumps",
           "loads", "parse_number"]

#: The deepest nesting accepted; the real payloads (Taplytics custom_data, Countly segmentation, seeds)
#: need well under 10, and 64 keeps jsonschema and every recursive walk far from Python's recursion limit.
MAX_DEPTH = 64
#: The longest JSON text accepted (the server's own body limit, 10 MiB by default, is usually lower).
MAX_BYTES = 16 * 1024 * 1024
#: The largest magnitude ``parse_number`` accepts unless told otherwise: JavaScript's
#: ``Number.MAX_SAFE_INTEGER``. Past it integers are not exact in any JSON client, and sums of many
#: such amounts stay far from overflowing.
MAX_NUMBER = 2**53 - 1
#: The largest finite double: the bound for a field whose sums are checked where they are made (Cyfe).
MAX_DOUBLE = sys.float_info.max

_STRING = re.compile(r'"(?:[^"\\]|\\.)*+"', re.S)


class _OnlyBrackets(dict[int, str | None]):
    """A ``str.translate`` table that keeps brackets and drops every other character."""

    def __missing__(self, key: int) -> None:
        return None


_BRACKETS = _OnlyBrackets({ord(c): c for c in "[]{}"})
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
#: ``\ud800``-``\udbff`` not followed by ``\udc00``-``\udfff``, or the latter without the former.
_LONE_SURROGATE = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
                             r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}")
#: A decimal number as a person or a JSON encoder writes it; ``float()`` also takes ``nan``, ``inf``,
#: ``1_000`` and non-ASCII digits, which no service does.
_DECIMAL = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?", re.ASCII)
_INTEGER = re.compile(r"[-+]?\d+", re.ASCII)
#: Each byte as the guard below sees it: a digit "0", "[" "," ":" as ":", whitespace " ", "-" itself, anything else
#: "x" (a quote, a letter, a ".": what a number never follows). 19 digits in a row become 19 zeros, found with what
#: comes before them by a substring search in C (a regular expression scanning for ``\d{19}`` costs more than
#: ``json.loads`` itself on a 3 KB body).
_CLASSES = bytes(0x30 if 0x30 <= b <= 0x39 else 0x3A if b in b"[,:" else 0x20 if b in b" \t\r\n"
                 else 0x2D if b == 0x2D else 0x78 for b in range(256))
_RUN = b"0" * 19  # an integer beyond 64 bits has at least 20 digits: 19 keeps a margin
#: orjson hands these to ``default`` (which refuses) instead of writing them as json.dumps would not.
_PASSTHROUGH = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS
#: 9999-12-31T23:59:59Z, the last second a ``datetime`` holds: a later unix time is refused, not overflowed.
LAST_SECOND = 253_402_300_799
#: Digits past which a number's text is refused before it is converted (a double has 17 significant).
_MAX_DIGITS = 400


class JSONError(RuleError):
    """The text is not JSON (a syntax error, ``NaN``, bytes that are not UTF-8)."""


class JSONLimitError(JSONError):
    """The text is JSON, but over a bound: too deep, too long, a number no double holds."""


def _shown(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:20]}..."


def _where(field: str | None) -> str:
    return f"{field}: " if field else ""


def _depth(text: str) -> int:
    """The deepest nesting of ``text`` (brackets inside strings not counted), without parsing it."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return 0  # cannot be deeper than the bound: skip the scan
    # Outside strings only: with no backslash, every other piece between quotes is inside one (fast).
    outside = "".join(text.split('"')[0::2]) if "\\" not in text else _STRING.sub("", text)
    brackets = outside.translate(_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def loads(text: str | bytes, *, field: str | None = "body", max_depth: int = MAX_DEPTH,
          max_bytes: int = MAX_BYTES) -> Any:
    """``text`` parsed as strict JSON within the bounds, or a ``JSONError`` naming ``field``."""
    where = _where(field)
    if len(text) > max_bytes:
        raise JSONLimitError(f"{where}JSON is {len(text)} bytes, over the limit of {max_bytes}", field=field)
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode(json.detect_encoding(text))
        except (UnicodeDecodeError, LookupError):
            raise JSONError(f"{where}is not UTF-8 text", field=field) from None
    if _depth(text) > max_depth:
        raise JSONLimitError(f"{where}JSON is nested deeper than {max_depth} levels", field=field)
    if "\\u" in text and _LONE_SURROGATE.search(text):
        raise JSONError(f"{where}JSON holds an unpaired UTF-16 surrogate escape (\\ud800-\\udfff)", field=field)

    if not may_hold_long_integer(text):
        # orjson refuses everything the hooks below refuse (NaN, Infinity, a number no double holds) except long
        # integers, which it would round to a float: those (and any failure) take the standard parser and its words.
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass

    def number(s: str) -> float:
        value = float(s)
        if not math.isfinite(value):
            raise JSONLimitError(f"{where}the number {_shown(s)} is out of range (beyond a double)", field=field)
        return value

    def integer(s: str) -> int | float:
        if len(s) > 310:  # JSON has no leading zeros: over 309 digits is over 1e309, and int() would be slow
            raise JSONLimitError(f"{where}the number {_shown(s)} is out of range (beyond a double)", field=field)
        value = int(s)
        try:
            float(value)
        except OverflowError:
            raise JSONLimitError(f"{where}the number {_shown(s)} is out of range (beyond a double)",
                                 field=field) from None
        return value

    def constant(s: str) -> None:
        raise JSONError(f"{where}{s} is not JSON (only finite numbers are)", field=field)

    try:
        return json.loads(text, parse_float=number, parse_int=integer, parse_constant=constant)
    except JSONError:
        raise
    except RecursionError:  # not reachable past the depth check; kept so that it can never escape
        raise JSONLimitError(f"{where}JSON is nested too deeply", field=field) from None
    except json.JSONDecodeError as exc:
        raise JSONError(f"malformed JSON{f' {field}' if field else ''}: {exc.msg} (line {exc.lineno}, "
                        f"column {exc.colno})", field=field) from None
    except ValueError as exc:
        raise JSONError(f"malformed JSON{f' {field}' if field else ''}: {exc}", field=field) from None


def may_hold_long_integer(text: str | bytes) -> bool:
    """Whether JSON ``text`` may hold an integer beyond 64 bits, which orjson silently reads as a float: the one
    guard in front of every orjson read (the stores, the SDK's responses, the CLI's records, redaction).

    A run of 19 digits or more counts where a JSON number may start: at the start, or after ``[``, ``,`` or ``:``
    and any whitespace, a ``-`` allowed. A run right after a quote, a letter or a ``.`` never is a number (a hex
    id of decimal digits, a fraction), so it does not send a page of users to the slow parser; a run after a
    space inside a string does (conservative: the slow parser is always right)."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    classes = data.translate(_CLASSES)
    if _RUN not in classes:  # nearly every text: one translate and one search, in C
        return False
    if classes.startswith(_RUN) or b":" + _RUN in classes or b":-" + _RUN in classes:
        return True
    # Rare: a run after whitespace or a minus (and only those: a run after a quote or a letter is not a number).
    # Walk back over them to what comes before; conservative where JSON would not parse anyway.
    for lead in (b" " + _RUN, b"-" + _RUN):
        at = classes.find(lead)
        while at != -1:
            start = at
            while start and classes[start - 1] in b" -":
                start -= 1
            if not start or classes[start - 1] == 0x3A:
                return True
            at = classes.find(lead, at + 1)
    return False


def standard_loads(text: str | bytes) -> Any:
    """``json.loads(text)``'s value (NaN, Infinity and integers of any size included; its errors), through orjson
    wherever that gives the same value: a text orjson refuses, or one that may hold an integer beyond 64 bits,
    goes to ``json.loads``."""
    if not may_hold_long_integer(text):
        with contextlib.suppress(orjson.JSONDecodeError):
            return orjson.loads(text)
    return json.loads(text)


def dumps(value: Any) -> str:
    """``value`` as compact strict JSON; ``ValueError`` for NaN or infinity (a server bug, never sent).

    orjson writes it (a tenth of ``json.dumps``'s time on a page of users), except where it would differ from the
    standard encoder in more than spelling (UTF-8 for ``\\u`` escapes, ``1e16`` for ``1e+16``): an integer over 64
    bits, a key that is not a string, a subclass of a JSON type, and NaN or infinity, which orjson writes as null.
    """
    try:
        out = orjson.dumps(value, default=_not_json, option=_PASSTHROUGH)
    except TypeError:  # orjson.JSONEncodeError included
        return _standard_dumps(value)
    if b"null" in out and _has_non_finite(value):  # orjson wrote NaN or infinity as null; json.dumps refuses it
        return _standard_dumps(value)
    return out.decode()


def _has_non_finite(value: Any) -> bool:
    """Whether a float NaN or infinity is anywhere in ``value`` (what orjson wrote as ``null``): a walk of its
    containers, a fifth of the cost of encoding it again with the standard encoder."""
    todo = [value]
    while todo:
        item = todo.pop()
        kind = type(item)
        if kind is float:
            if not math.isfinite(item):
                return True
        elif kind is dict:
            todo.extend(item.values())
        elif kind is list or kind is tuple:
            todo.extend(item)
    return False


def _standard_dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


def _not_json(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not a JSON type")


def parse_number(raw: object, field: str | None, *, minimum: float = -MAX_NUMBER, maximum: float = MAX_NUMBER,
                 integer: bool = False) -> int | float:
    """A numeric field given as a JSON number or as text (``" 2.5 "``, ``"1e3"``): finite and within
    ``minimum``..``maximum``, an ``int`` when it was written as one (or ``integer`` asks for one).

    ``RuleError`` naming ``field`` (when given) for a boolean, text that is not a plain decimal number, NaN, infinity,
    or a number out of bounds.
    """
    value: int | float
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise RuleError(f"{_where(field)}{_shown(repr(raw))} is not a number", field=field)
    if isinstance(raw, str):
        text = raw.strip()
        if not _DECIMAL.fullmatch(text):
            raise RuleError(f"{_where(field)}{_shown(raw)!r} is not a number", field=field)
        if len(text) > _MAX_DIGITS:  # converting it would be slow, and it is out of any range anyway
            raise RuleError(f"{_where(field)}{_shown(text)} is out of range", field=field)
        value = int(text) if _INTEGER.fullmatch(text) else float(text)
    else:
        value = raw
    if isinstance(value, float) and not math.isfinite(value):
        raise RuleError(f"{_where(field)}must be a finite number", field=field)
    if integer and isinstance(value, float):
        if not value.is_integer():
            raise RuleError(f"{_where(field)}must be a whole number", field=field)
        value = int(value)
    if value > maximum:
        raise RuleError(f"{_where(field)}must be at most {_bound(maximum)}", field=field)
    if value < minimum:
        raise RuleError(f"{_where(field)}must be at least {_bound(minimum)}", field=field)
    return value


def _bound(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)
