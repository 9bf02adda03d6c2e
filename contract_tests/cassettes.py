"""vcrpy set-up shared by every service's cassette test: secrets scrubbed before anything is written.

Scrubbing applies to requests before they are matched too (vcrpy runs ``before_record_request`` on
both), so a replay with real keys matches a cassette that holds none.
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import vcr

from sdk._redact import MASK, SECRET_HEADERS, SECRET_PARAMS

CASSETTES = Path(__file__).parent / "cassettes"


def _scrub_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: MASK if k.lower() in SECRET_PARAMS else _scrub_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_json(v) for v in value]
    return value


def scrub_body(body: bytes | str | None) -> bytes | str | None:
    if not body:
        return body
    text = body.decode() if isinstance(body, bytes) else body
    try:
        scrubbed = json.dumps(_scrub_json(json.loads(text)), separators=(",", ":"))
    except ValueError:
        pairs = parse_qsl(text, keep_blank_values=True)
        scrubbed = urlencode([(k, MASK if k.lower() in SECRET_PARAMS else v) for k, v in pairs]) if pairs else text
    return scrubbed.encode() if isinstance(body, bytes) else scrubbed


def _scrub_response_body(body: bytes, known: list[str]) -> bytes:
    # A reply may echo a key back (an error quoting the request): secret fields and known values go.
    text = body.decode("utf-8", "replace")
    with contextlib.suppress(ValueError):
        text = json.dumps(_scrub_json(json.loads(text)), separators=(",", ":"))
    for secret in known:
        text = re.sub(secret, MASK, text)
    return text.encode()


def make_vcr(*, secrets_in_path: list[str] | None = None, secrets: list[str] | None = None) -> vcr.VCR:
    """A VCR that stores no secret: secret headers, query and body fields, path segments, and the
    ``secrets`` values (and ``secrets_in_path``) wherever they appear in a recorded reply."""
    path_secrets = [re.escape(s) for s in secrets_in_path or []]
    known = path_secrets + [re.escape(s) for s in secrets or [] if s]

    def before_record_request(request: Any) -> Any:
        request.body = scrub_body(request.body)
        for secret in path_secrets:
            request.uri = re.sub(secret, MASK, request.uri)
        return request

    def before_record_response(response: Any) -> Any:
        response["headers"] = {k: v for k, v in response["headers"].items() if k.lower() not in ("date", "server")}
        body = response.get("body", {}).get("string")
        if isinstance(body, bytes) and body:
            scrubbed = _scrub_response_body(body, known)
            if scrubbed != body:
                response["body"]["string"] = scrubbed
                response["headers"] = {k: v for k, v in response["headers"].items() if k.lower() != "content-length"}
        return response

    return vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="once",
        match_on=["method", "path", "query", "body"],
        filter_headers=sorted(SECRET_HEADERS | {"user-agent"}),
        filter_query_parameters=sorted(SECRET_PARAMS),
        before_record_request=before_record_request,
        before_record_response=before_record_response,
        decode_compressed_response=True,
    )
