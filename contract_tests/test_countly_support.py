"""Shared set-up of the Countly contract tests: the development app, a frozen server clock, read helpers."""

from __future__ import annotations

import json
from typing import Any

import httpx

from sdk import AdminClient

APP_KEY = "dev-app-key"
APP_ID = "0123456789abcdef01234567"
API_KEY = "dev-api-key"
READONLY_KEY = "dev-readonly-key"
#: 2024-03-15 10:30:00 UTC, a Friday; day 75 of a leap year, so week w11.
NOW = 1710498600
DAY = 86400


def freeze(admin: AdminClient, now: float = NOW) -> None:
    admin.countly.set_clock(now)


def write(http: httpx.Client, **params: Any) -> httpx.Response:
    """A GET /countly/i with the dev app key; dict/list values sent as JSON text."""
    query = {"app_key": APP_KEY, **{k: json.dumps(v) if isinstance(v, (dict, list)) else v
                                    for k, v in params.items()}}
    return http.get("/countly/i", params=query)


def read(http: httpx.Client, method: str, **params: Any) -> Any:
    response = http.get("/countly/o", params={"api_key": API_KEY, "app_id": APP_ID, "method": method, **params})
    assert response.status_code == 200, response.text
    return response.json()


def day(obj: dict[str, Any], y: int = 2024, m: int = 3, d: int = 15) -> dict[str, Any]:
    result: dict[str, Any] = obj[str(y)][str(m)][str(d)]
    return result
