"""A response body decoded with orjson where that gives exactly what ``response.json()`` gives (a page of 100
users decodes in a third of the time: the hot path of every paginated walk)."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from schemas.wire import may_hold_long_integer

__all__ = ["json_of"]


def json_of(response: httpx.Response) -> Any:
    """``response.json()``, faster. orjson reads UTF-8 only, refuses NaN and rounds integers beyond 64 bits to
    floats: a body it refuses, or one that may hold such an integer, goes to ``response.json()`` itself."""
    content = response.content
    if not may_hold_long_integer(content):
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError:
            pass
    return response.json()
