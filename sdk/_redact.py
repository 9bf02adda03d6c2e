"""Keeping secrets (keys, tokens, widget keys) out of messages, reprs, logs, exceptions and cassettes.

Two rules, applied together and nowhere else: the secret *values* a client knows are masked wherever they
appear; the values of secret *fields* (``schemas.redact``: names in query strings, forms, JSON and headers)
are masked where the text is structured. Free text is never rewritten by name: the server's
``ezkey: no account has this ezkey`` stays as it is (it carries no secret).
"""

from __future__ import annotations

import logging
import re
import threading
import weakref
from collections.abc import Iterable
from typing import Any

from schemas.redact import MASK, SECRET_HEADERS, SECRET_PARAMS, SECRET_PATH_ARGS, mask_pairs, redact_query

__all__ = ["LOGGERS", "MASK", "SECRET_HEADERS", "SECRET_PARAMS", "SECRET_PATH_ARGS", "RedactingFilter", "Redactor",
           "install_log_filter", "redact_known", "redact_query"]

#: Loggers that can carry a request's URL or headers: the SDK's own and httpx's (httpcore logs per module,
#: and a filter on a logger does not see its children's records, so each is named).
LOGGERS = ("analytics_api_kit", "httpx", "httpcore", "httpcore.connection", "httpcore.http11", "httpcore.http2",
           "httpcore.proxy", "httpcore.socks")

# Every live redactor, weakly: the log filter masks the secrets of every client still in use.
_LIVE: weakref.WeakSet[Redactor] = weakref.WeakSet()
_LIVE_LOCK = threading.Lock()


class Redactor:
    """Replaces every known secret value, and every value of a secret field, with ``***``.

    Value-based masking catches secrets wherever they travel (a Cyfe widget key in a URL path, an ezkey
    echoed in an error body); name-based masking catches secrets the client never saw, but only in
    structured text (``name=value`` pairs, JSON ``"name": "value"``), never in prose.
    """

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self.values = tuple(sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True))
        self._pattern = re.compile("|".join(map(re.escape, self.values))) if self.values else None
        if self.values:
            with _LIVE_LOCK:
                _LIVE.add(self)

    def known(self, value: str) -> str:
        """``value`` with the secret values this redactor knows masked (nothing else touched)."""
        return self._pattern.sub(MASK, value) if self._pattern is not None else value

    def text(self, value: str) -> str:
        return mask_pairs(self.known(value))

    def data(self, value: Any) -> Any:
        """A parsed body with secret fields masked and known secrets masked inside every string.

        Strings inside are prose (an error message): only known values are masked in them.
        """
        if isinstance(value, str):
            return self.known(value)
        if isinstance(value, dict):
            return {k: MASK if isinstance(k, str) and k.lower() in SECRET_PARAMS else self.data(v)
                    for k, v in value.items()}
        if isinstance(value, list):
            return [self.data(v) for v in value]
        return value

    def headers(self, headers: Iterable[tuple[str, str]]) -> dict[str, str]:
        return {k: MASK if k.lower() in SECRET_HEADERS else self.text(v) for k, v in headers}


def redact_known(text: str) -> str:
    """``text`` with the secrets of every live client masked, and secret fields of structured text."""
    with _LIVE_LOCK:
        redactors = list(_LIVE)
    for redactor in redactors:
        text = redactor.known(text)
    return mask_pairs(text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message with every live client's secrets masked (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact_known(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


_FILTER = RedactingFilter()


def install_log_filter() -> None:
    """Put the redacting filter on every logger that can carry a URL (idempotent)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
