"""Garbage in, a JSON 4xx out: every route of every service and of ``/_admin``, hit with random and hostile input.

A seeded random generator makes each run the same; a failure prints the request that caused it.
No route may answer 5xx, a body that is not strict JSON (JSONP aside; ``NaN`` is not JSON), or anything
that looks like a traceback. ``tests/test_hostile_input.py`` proves each class of hostile input one by one.
"""

from __future__ import annotations

import json
import random
import re
from typing import Any

import pytest
from flask import Flask

from mock_server import create_app

APP: Flask = create_app()
ROUTES = sorted(
    (rule.rule, method)
    for rule in APP.url_map.iter_rules()
    if not rule.rule.startswith(("/_admin/reset", "/static"))  # a reset would only undo the fuzz
    for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
)
#: JSON texts that break a naive parser: too deep, numbers no double holds, NaN, a lone surrogate.
HOSTILE_JSON = ["[" * 1000 + "]" * 1000, '{"a":' * 500 + "1" + "}" * 500, "9" * 400, "1e309", "-1e309", "NaN",
                "Infinity", '"\\ud800"', "[1e999]", '{"count":' + "9" * 400 + "}"]
HOSTILE: list[Any] = [
    "", " ", "0", "-1", "1e309", "NaN", "null", "true", "[]", "{}", "x" * 5000, "\u0000", "'; DROP TABLE x;--",
    "<script>alert(1)</script>", "../../etc/passwd", "%", "%%", "\ud7ff", "2016-13-45T99:99:99Z", "9" * 40,
    "[1,2", '{"a":', "ezkey", "undefined", "inf", "-Infinity", "1e-400", "\u0661", "1_000", *HOSTILE_JSON,
]
NAMES = ["ezkey", "stat", "count", "value", "t", "key", "ukey", "app_key", "device_id", "api_key", "app_id", "method",
         "events", "metrics", "begin_session", "session_duration", "timestamp", "callback", "period", "page",
         "per_page", "api_token", "user_id", "email", "session_id", "channel_id", "start_date", "end_date",
         "field_id", "fields", "data", "requests", "paginationToken", "numEntities", "segmentation", "event"]


# Valid credentials half the time, so the fuzz gets past authentication into the rules behind it.
CREDENTIALS = {"ezkey": "dev-ezkey", "app_key": "dev-app-key", "api_key": "dev-api-key", "api_token": "dev-api-token",
               "device_id": "fuzz-device", "app_id": "0123456789abcdef01234567", "channel_id": "1",
               "start_date": "2016-01-01T00:00:00Z", "end_date": "2016-12-31T00:00:00Z"}
HEADERS = {"Authorization": "Bearer dev-api-token", "x-access-token": "dev-api-token"}


def fill(rule: str, rng: random.Random) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: rng.choice(["dev-widget", "1", "x", "%2e%2e", "0" * 30]), rule)


def random_json(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(7 if depth < 3 else 4)
    if kind == 0:
        return rng.choice(HOSTILE)
    if kind == 1:
        return rng.choice([0, -1, 1.5, 10**20, 10**400, True, None])
    if kind == 2:
        return rng.choice(NAMES)
    if kind == 3:
        return rng.random()
    if kind == 4:
        return [random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(NAMES): random_json(rng, depth + 1) for _ in range(rng.randrange(5))}


@pytest.mark.parametrize(("rule", "method"), ROUTES, ids=[f"{m} {r}" for r, m in ROUTES])
def test_hostile_input_never_breaks_a_route(rule: str, method: str) -> None:
    rng = random.Random(f"{method} {rule}")
    client = APP.test_client()
    for _ in range(40):
        path = fill(rule, rng)
        query = {rng.choice(NAMES): rng.choice([*HOSTILE, str(random_json(rng))]) for _ in range(rng.randrange(5))}
        if rng.random() < 0.5:
            query = {**CREDENTIALS, **query}
        kwargs: dict[str, Any] = {"query_string": query, "headers": HEADERS if rng.random() < 0.5 else {}}
        body_kind = rng.randrange(4)
        if method != "GET" and body_kind == 1:
            text = json.dumps(random_json(rng))
            if rng.random() < 0.3:  # a hostile JSON text in place of one value
                text = text.replace("null", rng.choice(HOSTILE_JSON), 1) if "null" in text else rng.choice(HOSTILE_JSON)
            kwargs["data"] = text
            kwargs["content_type"] = "application/json"
        elif method != "GET" and body_kind == 2:
            kwargs["data"] = {rng.choice(NAMES): rng.choice(HOSTILE) for _ in range(3)}
        elif method != "GET" and body_kind == 3:
            kwargs["data"] = rng.choice([b"\xff\xfe", b"{", b"[]", b"null"])
            kwargs["content_type"] = "application/json"
        response = client.open(path, method=method, **kwargs)
        if rule.startswith("/_admin/faults"):
            client.delete("/_admin/faults")  # an injected fault answers 5xx on purpose: never let one stay
        where = f"{method} {path} {kwargs}"
        assert response.status_code < 500, f"{where} -> {response.status_code} {response.data[:300]!r}"
        text = response.get_data(as_text=True)
        assert "Traceback" not in text and 'File "' not in text, where
        if rule.startswith("/_admin/ui"):  # the inspector's page and assets are HTML and JS by design
            continue
        jsonp = re.fullmatch(r"[\w$.]+\((.*)\)", text, re.S)
        strict(jsonp[1] if jsonp and "callback" in str(kwargs) else text)  # always JSON (or JSON in JSONP)


def strict(text: str) -> Any:
    """JSON as a strict parser (JavaScript's ``JSON.parse``) reads it: ``NaN`` and ``Infinity`` are errors."""

    def refuse(name: str) -> None:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)
