"""Cassettes (vcrpy) that hold no secret: every secret is scrubbed before anything is written, both ways.

Record an exchange once, replay it in CI without the service or its keys::

    from sdk.testing import make_vcr

    recorder = make_vcr("tests/cassettes", secrets=[os.environ["STATHAT_EZKEY"]])
    with recorder.use_cassette("signup.yaml"):
        StatHatClient(os.environ["STATHAT_EZKEY"]).count("signups")

What goes: the secret headers and query and body fields the SDK knows (``ezkey``, ``api_key``, ``token``,
``Authorization``...), and every value in ``secrets`` wherever it appears, in the request's URI (path and
query), body and headers and in the reply's headers and body. Scrubbing applies to a request before it is
matched too (vcrpy runs ``before_record_request`` on both), so a replay with real keys matches a cassette
that holds none. vcrpy's own DEBUG log lines get the SDK's redacting filter too.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlencode

from .._redact import _FILTER, MASK, SECRET_HEADERS, SECRET_PARAMS, Redactor

#: vcrpy's loggers (one a module: a filter on a logger does not see its children's records); at DEBUG they print
#: each request's URI and body as sent, before any scrubbing.
VCR_LOGGERS = ("vcr", "vcr.cassette", "vcr.matchers", "vcr.patch", "vcr.request", "vcr.stubs", "vcr.stubs.httpx_stubs",
               "vcr.stubs.aiohttp_stubs")

__all__ = ["make_vcr", "scrub_body"]


def _scrub_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: MASK if k.lower() in SECRET_PARAMS else _scrub_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_json(v) for v in value]
    return value


def _known(text: str, patterns: list[re.Pattern[str]]) -> str:
    for pattern in patterns:
        text = pattern.sub(MASK, text)
    return text


def _patterns(secrets: Iterable[str]) -> list[re.Pattern[str]]:
    """Each secret as it may appear: raw, percent-encoded (a path, a query) or form-encoded; longest first."""
    forms = {form for s in secrets if s for form in (s, quote(s, safe=""), quote_plus(s), quote(s))}
    return [re.compile(re.escape(f)) for f in sorted(forms, key=len, reverse=True)]


def scrub_body(body: bytes | str | None, secrets: Iterable[str] = ()) -> bytes | str | None:
    """A request or reply body with secret JSON or form fields masked, and every value of ``secrets``."""
    if not body:
        return body
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        scrubbed = json.dumps(_scrub_json(json.loads(text)), separators=(",", ":"))
    except ValueError:
        pairs = parse_qsl(text, keep_blank_values=True)
        if any(k.lower() in SECRET_PARAMS for k, _ in pairs):  # a form with a secret field: that field masked
            scrubbed = urlencode([(k, MASK if k.lower() in SECRET_PARAMS else v) for k, v in pairs], safe="*")
        else:
            scrubbed = text
    scrubbed = _known(scrubbed, _patterns(secrets))
    if scrubbed == text:
        return body  # untouched: the bytes exactly as they were
    return scrubbed.encode() if isinstance(body, bytes) else scrubbed


def make_vcr(cassette_dir: str | Path | None = None, *, secrets: Iterable[str | None] = (),
             secrets_in_path: Iterable[str] = (), record_mode: str = "once", **options: Any) -> Any:
    """A ``vcr.VCR`` that writes no secret (see the module's text); ``options`` go to ``vcr.VCR``.

    ``secrets_in_path`` is kept for callers of the earlier helper: the same as ``secrets``.
    """
    import vcr

    given = [s for s in [*secrets, *secrets_in_path] if s]
    patterns = _patterns(given)

    def before_record_request(request: Any) -> Any:
        request.uri = _known(request.uri, patterns)
        request.body = scrub_body(request.body, given)
        for name in list(request.headers):
            value = request.headers[name]
            if isinstance(value, str):
                request.headers[name] = _known(value, patterns)
        return request

    def before_record_response(response: Any) -> Any:
        headers = {k: v for k, v in response["headers"].items() if k.lower() not in ("date", "server")}
        response["headers"] = {k: [_known(x, patterns) if isinstance(x, str) else x for x in v]
                               if isinstance(v, list) else v for k, v in headers.items()
                               if k.lower() not in SECRET_HEADERS}
        body = response.get("body", {}).get("string")
        if isinstance(body, bytes) and body:
            # A reply may echo a key back (an error quoting the request): secret fields and known values go.
            text = body.decode("utf-8", "replace")
            with contextlib.suppress(ValueError):
                text = json.dumps(_scrub_json(json.loads(text)), separators=(",", ":"))
            scrubbed = _known(text, patterns).encode()
            if scrubbed != body:
                response["body"]["string"] = scrubbed
                response["headers"] = {k: v for k, v in response["headers"].items()
                                       if k.lower() != "content-length"}
        return response

    settings: dict[str, Any] = {
        "record_mode": record_mode,
        "match_on": ["method", "path", "query", "body"],
        "filter_headers": sorted(SECRET_HEADERS | {"user-agent"}),
        "filter_query_parameters": sorted(SECRET_PARAMS),
        "filter_post_data_parameters": sorted(SECRET_PARAMS),
        "before_record_request": before_record_request,
        "before_record_response": before_record_response,
        "decode_compressed_response": True,
        **options,
    }
    if cassette_dir is not None:
        settings["cassette_library_dir"] = str(cassette_dir)
    recorder = vcr.VCR(**settings)
    # vcrpy's own log lines carry the raw request: they get the SDK's redacting filter, which masks the secrets
    # of every live redactor (this one lives as long as the recorder).
    recorder.analytics_kit_redactor = Redactor(given)
    for name in VCR_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    return recorder
