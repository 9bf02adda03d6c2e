"""Which fields are secrets, in every service, and the one way a text is masked by them: the SDK's redaction and
the server's journal and access log both use it.

``redact(text)`` takes any text a request carries (a JSON body, a form body, a query string, a multipart body,
free text) and masks the values of secret fields wherever they are structured: JSON keys at any depth, form and
query fields, and the same inside values (Countly's ``requests=[{"app_key": ...}]``, a JSON string holding
JSON, a URL in a field). Free text is never rewritten by meaning: ``see the ezkey docs`` stays as it is.
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

from .wire import standard_loads

__all__ = ["MASK", "SECRET_HEADERS", "SECRET_PARAMS", "SECRET_PATH_ARGS", "mask_pairs", "redact", "redact_query",
           "redact_url"]

MASK = "***"
#: Query, form and JSON field names whose values are secrets, in every service.
SECRET_PARAMS = frozenset(
    {"ezkey", "email", "key", "ukey", "app_key", "api_key", "auth_token", "api_token", "token", "checksum"}
)
#: URL path variables (Flask ``view_args``) whose values are secrets, e.g. Cyfe's ``/api/push/<widget_key>``.
SECRET_PATH_ARGS = frozenset({"widget_key"})
#: Header names whose values are secrets.
SECRET_HEADERS = frozenset({"authorization", "x-access-token", "countly-token", "cookie", "x-api-key"})

_NAMES = "|".join(sorted(SECRET_PARAMS, key=len, reverse=True))
#: A text that may hold a secret field at all: a name, or an escape that could spell one (``%61pp_key``,
#: ``"\u0061pp_key"``). Everything else is returned as it is, at the cost of one search.
_MAY_HOLD = re.compile(_NAMES + r"|%[0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}", re.IGNORECASE)
_QUERY_LIKE = re.compile(r"[^\s=&]*=[^\s]*")
#: A query of ``name=value`` parts whose characters urlencode never escapes: parsing and encoding it again gives it
#: back as it is, and no value of it can hold JSON, a pair or an escape, so only secret names' values change.
_PLAIN_QUERY = re.compile(r"[A-Za-z0-9_.~-]+=[A-Za-z0-9_.~-]*(?:&[A-Za-z0-9_.~-]+=[A-Za-z0-9_.~-]*)*")
# Free text: ``name=value`` pairs; ``"name": value`` of a JSON text that did not parse (cut short, or escaped
# inside a JSON string: ``\"app_key\":\"...\"``); a multipart part named after a secret field.
_PAIR = re.compile(
    r"(?:(?<=^)|(?<=[?&;\s\"'(]))(?P<k>(?:" + _NAMES + r"))=(?P<v>[^&\s\"',;)]*)"
    # a JSON string value whole, escapes and all (cut short: up to the end), or one quoted with escaped quotes
    r"|(?P<jk>\\*\"(?:" + _NAMES + r")\\*\"\s*:\s*)"
    r"(?P<jv>\"(?:[^\"\\]|\\.)*\\?(?:\"|$)|\\+\"[^\"\\]*(?:\\+\"|$)|[^,}\]\s\"\\]+)"
    r"|(?P<mk>name=\"(?:" + _NAMES + r")\"[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*\r?\n)(?P<mv>[^\r\n]*)",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with the values of secret fields masked (see the module): JSON, query or form text, or any text."""
    if not _MAY_HOLD.search(text):
        return text
    head = text.lstrip()[:1]
    if head in ("{", "["):
        try:
            value = standard_loads(text)  # json.loads's value at orjson's speed
        except (ValueError, RecursionError):
            pass
        else:
            with contextlib.suppress(RecursionError):  # deeper than the walk goes: masked as text below
                masked = _masked_top_level(text, value)
                if masked is None:
                    masked = _redact_json(value)
                return json.dumps(masked, ensure_ascii=False, separators=(",", ":"))
    if _QUERY_LIKE.fullmatch(text.strip()):
        return redact_query(text.strip())
    return mask_pairs(text)


def mask_pairs(text: str) -> str:
    """``text`` with the value of every secret ``name=value`` pair, JSON ``"name": value`` and multipart part named
    after a secret field masked, wherever they are in it (free text, a body cut short): the one pattern the SDK's
    messages and the server's journal share."""
    return _PAIR.sub(_masked_pair, text)


def redact_query(query: str) -> str:
    """A query string (or form body) with the values of secret parameters masked, and secret fields inside the
    other values (JSON, a nested query)."""
    if not query:  # most requests: nothing to parse or encode
        return query
    if _PLAIN_QUERY.fullmatch(query):  # a form POST's body, nearly always: each part kept or its value masked
        return "&".join(f"{part.partition('=')[0]}={MASK}" if part.partition("=")[0].lower() in SECRET_PARAMS
                        else part for part in query.split("&"))
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, MASK if k.lower() in SECRET_PARAMS else redact(v)) for k, v in pairs], safe="*")


def redact_url(url: str) -> str:
    """A URL (a ``Referer``, a ``Location``) with its query redacted as ``redact_query`` does."""
    base, mark, rest = url.partition("?")
    if not mark:
        return url
    query, hash_, fragment = rest.partition("#")
    return f"{base}?{redact_query(query)}{hash_}{fragment}"


#: What ``_MAY_HOLD`` looks for, as plain substrings of lower-cased ASCII text without backslashes.
_COUNTED = ("%", *sorted(SECRET_PARAMS))


def _occurrences(text: str) -> list[int]:
    low = text.lower()
    return [low.count(part) for part in _COUNTED]


def _masked_top_level(text: str, value: Any) -> dict[str, Any] | None:
    """``_redact_json(value)`` without the walk, when every secret name and every ``%`` in ``text`` lies in a secret
    key of the top-level object or in the value it masks (a StatHat batch's ``ezkey``). In ASCII text without a
    backslash every string is spelled as it reads and a name cannot cross a quote, so the text's occurrences are the
    sum of its strings': if those keys and values account for all of them, no other string or key can mask or be
    masked. Counted with ``str.count`` (a regular expression over the whole body cost more than the walk). None:
    the walk decides."""
    if type(value) is not dict or not text.isascii() or "\\" in text:
        return None
    secret = [k for k in value if k.lower() in SECRET_PARAMS]
    if not secret:
        return None
    masked = [value[k] for k in secret if value[k] not in (None, "")]
    if any(type(v) is not str for v in masked):
        return None
    accounted = [sum(counts) for counts in zip(*map(_occurrences, [*secret, *masked]), strict=True)]
    if _occurrences(text) != accounted:
        return None
    return {k: MASK if v not in (None, "") and k.lower() in SECRET_PARAMS else v for k, v in value.items()}


def _redact_json(value: Any) -> Any:
    # Scalars are answered inline (no call a value): a 100-item batch is 300 values, nearly all plain.
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if isinstance(k, str) and k.lower() in SECRET_PARAMS and v not in (None, ""):
                out[k] = MASK
            elif type(v) is str:
                out[k] = redact(v) if _MAY_HOLD.search(v) else v
            elif isinstance(v, (dict, list, str)):
                out[k] = _redact_json(v)
            else:
                out[k] = v
        return out
    if isinstance(value, list):
        return [(redact(v) if _MAY_HOLD.search(v) else v) if type(v) is str
                else _redact_json(v) if isinstance(v, (dict, list, str)) else v for v in value]
    if isinstance(value, str):
        return redact(value)
    return value


def _masked_pair(m: re.Match[str]) -> str:
    if m["k"] is not None:
        return f"{m['k']}={MASK}" if m["v"] else m[0]
    if m["jk"] is not None:
        value = m["jv"]
        if value.strip('\\"') in ("", "null"):
            return m[0]
        quote = value[: value.find('"') + 1] if value[:1] in ('"', "\\") else '"'  # as the value was quoted
        return f"{m['jk']}{quote}{MASK}{quote}"
    return f"{m['mk']}{MASK}" if m["mv"] else m[0]
