"""Keeping secrets (keys, tokens, widget keys) out of messages, reprs, logs and cassettes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from schemas.redact import MASK, SECRET_HEADERS, SECRET_PARAMS, SECRET_PATH_ARGS, redact_query

__all__ = ["MASK", "SECRET_HEADERS", "SECRET_PARAMS", "SECRET_PATH_ARGS", "Redactor", "redact_query"]


class Redactor:
    """Replaces every known secret value, and every value of a secret parameter, with ``***``.

    Value-based masking catches secrets wherever they travel (a Cyfe widget key in a URL path,
    an ezkey echoed in an error body); name-based masking catches secrets the client never saw.
    """

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        values = sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, values))) if values else None

    def text(self, value: str) -> str:
        if self._pattern is not None:
            value = self._pattern.sub(MASK, value)
        return _mask_pairs(value)

    def data(self, value: Any) -> Any:
        """A parsed body with secret fields masked and known secrets masked inside every string."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: MASK if isinstance(k, str) and k.lower() in SECRET_PARAMS else self.data(v)
                    for k, v in value.items()}
        if isinstance(value, list):
            return [self.data(v) for v in value]
        return value

    def headers(self, headers: Iterable[tuple[str, str]]) -> dict[str, str]:
        return {k: MASK if k.lower() in SECRET_HEADERS else self.text(v) for k, v in headers}


# ``name=value`` in query strings and form bodies, ``"name": "value"`` in JSON text.
_NAMES = "|".join(sorted(SECRET_PARAMS))
_PAIR = re.compile(
    r"(?P<k>(?:^|(?<=[?&\s\"'{,]))\"?(?:" + _NAMES + r")\"?)(?P<sep>=|\"?\s*:\s*\"?)(?P<v>[^&\s\",}]*)"
)


def _mask_pairs(text: str) -> str:
    return _PAIR.sub(lambda m: f"{m['k']}{m['sep']}{MASK}" if m["v"] else m[0], text)

