"""The one guard in front of every orjson read (``schemas.wire.may_hold_long_integer``) and what rests on it:
``standard_loads`` gives ``json.loads``'s value, and ``schemas.redact.redact`` (which reads JSON through it and
walks values inline) masks exactly as the plain implementation kept below does."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_server.services.taplytics import _URI_PART, _URI_SAFE
from mock_server.sqlstore import _load, _load_rows
from schemas import redact as redaction
from schemas import wire
from schemas.wire import may_hold_long_integer, standard_loads

BIG = 2**64  # orjson reads integers from here on as floats, silently


@pytest.mark.parametrize("text", [
    f"[{BIG}]", f"{BIG}", f"[-{BIG}]", f'{{"n":{BIG}}}', f'{{"n": {BIG}}}', f"[1,\n{BIG}]", f"[1,\t -{BIG}]",
    f"{BIG}.5", f'"a" , {BIG}', f'{{"s": "x, {BIG}"}}',  # after ", " inside a string: conservative
])
def test_a_long_integer_where_a_number_may_start_is_seen(text: str) -> None:
    assert may_hold_long_integer(text) and may_hold_long_integer(text.encode())


@pytest.mark.parametrize("text", [
    '{"id": "6930123400000000000000001"}',  # a hex id of decimal digits: right after a quote
    '{"id": "6930a1b20000000000000000001"}',  # digits after a letter
    "[0.12345678901234567890123]", "[1.5e1234567890123456789]",  # a fraction, an exponent
    '{"k1234567890123456789012": 1}', "[1234567890123456789]",  # a key's tail; 19 digits is < 2**64
    f'{{"s": "x {BIG}"}}',  # after "x " inside a string
])
def test_digit_runs_that_cannot_be_a_long_integer_are_not(text: str) -> None:
    if text == "[1234567890123456789]":
        assert may_hold_long_integer(text)  # 19 digits: the guard looks no closer, and the slow parser is right
        return
    assert not may_hold_long_integer(text) and not may_hold_long_integer(text.encode())


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30)
    | st.sampled_from(["6930123400000000000000001", f"x {BIG}", "ezkey=k&stat=s", '{"app_key":"a"}',
                       "http://h/p?api_key=k", "%61pp_key=x", "\u00e9\u4e2d"]),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.sampled_from(["ezkey", "EZKEY", "stat", "count", "app_key", "requests", "id", "email",
                                       "k1234567890123456789012", "value", "token"]) | st.text(max_size=8),
                      children, max_size=5),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(json_values, st.sampled_from([None, 0, 1]))
def test_standard_loads_gives_json_loads_value(value: Any, indent: int | None) -> None:
    text = json.dumps(value, indent=indent)
    got, want = standard_loads(text), json.loads(text)
    assert json.dumps(got) == json.dumps(want) and _types(got) == _types(want)
    assert json.dumps(standard_loads(text.encode())) == json.dumps(want)


def _types(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value).__name__


# -- the redaction as it was (json.loads, a call a value), kept to compare with -----------------------------
def _old_redact(text: str) -> str:
    if not redaction._MAY_HOLD.search(text):
        return text
    head = text.lstrip()[:1]
    if head in ("{", "["):
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            pass
        else:
            return json.dumps(_old_json(value), ensure_ascii=False, separators=(",", ":"))
    if redaction._QUERY_LIKE.fullmatch(text.strip()):
        return _old_query(text.strip())
    return redaction._PAIR.sub(redaction._masked_pair, text)


def _old_query(query: str) -> str:
    if not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, redaction.MASK if k.lower() in redaction.SECRET_PARAMS else _old_redact(v))
                      for k, v in pairs], safe="*")


def _old_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: redaction.MASK if isinstance(k, str) and k.lower() in redaction.SECRET_PARAMS
                and v not in (None, "") else _old_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_old_json(v) for v in value]
    if isinstance(value, str):
        return _old_redact(value)
    return value


@settings(max_examples=500, deadline=None)
@given(json_values)
def test_redact_masks_json_as_before(value: Any) -> None:
    for text in (json.dumps(value), json.dumps(value, ensure_ascii=False), json.dumps({"ezkey": "k", "data": value})):
        assert redaction.redact(text) == _old_redact(text)


@pytest.mark.parametrize("text", [
    '{"ezkey":"dev-ezkey","data":[{"stat":"s","count":1}]}',
    f'{{"ezkey":"k","n":{BIG}}}', '{"ezkey": NaN, "x": Infinity}', '{"app_key":"\\ud800"}',  # json.loads only
    '{"requests":"[{\\"app_key\\":\\"a\\"}]"}', '["ezkey", "x"]', '{"ezkey": ""}', '{"ezkey": null, "token": 0}',
    '{"ezkey":"k"', "ezkey=k&stat=s", "  ezkey=k ", 'see the ezkey docs', '{"EzKey":"k","\\u0065zkey":"k"}',
    '{"ezkey":"k","x":1e400}', '\ufeff{"ezkey":"k"}',
    # the top-level fast path: only the top-level secret keys hold a name; anything more and the walk decides
    '{"ezkey":"k","data":[{"stat":"key","count":1}]}', '{"ezkey":"k","ezkey":"j"}', '{"ezkey":"k","d":{"token":"t"}}',
    '{"ezkey":"token-k","data":[]}', '{"ezkey":{"nested":"x"},"n":1}', '{"\\u0065zkey":"k","s":"%61"}',
    '{"ezkey":"a key","s":"key"}', '{"token":"%61","n":1}', '{"ezkey":"dev-ezkey","token":"","d":null}',
])
def test_redact_masks_edge_cases_as_before(text: str) -> None:
    assert redaction.redact(text) == _old_redact(text)


def test_redact_of_json_deeper_than_the_walk_goes_masks_as_text_and_does_not_raise() -> None:
    deep = '{"a":' * 700 + '{"ezkey":"secret"}' + "}" * 700  # json.loads reads it; a walk a level a frame cannot
    masked = redaction.redact(deep)
    assert "secret" not in masked and redaction.MASK in masked


def test_a_user_page_with_hex_ids_of_digits_takes_orjson() -> None:
    # The store's users: ids of 24 hex digits that are often all decimal (time + sequence): no slow parser.
    page = json.dumps([{"id": f"{i + 1:024x}", "n": i} for i in range(100)])
    assert re.search(r"\d{19}", page) and not may_hold_long_integer(page)
    assert standard_loads(page) == json.loads(page)


@settings(max_examples=200, deadline=None)
@given(st.lists(json_values, max_size=8))
def test_a_page_of_documents_loads_as_each_alone(values: list[Any]) -> None:
    # The stores' items(): one parse for a page, the same values (long integers, floats, text) as one parse each.
    rows = [(f"k{i}", wire.dumps(v)) for i, v in enumerate(values)]
    got = _load_rows(rows)
    assert [k for k, _ in got] == [k for k, _ in rows]
    alone = [_load(text) for _, text in rows]
    assert [(json.dumps(v), _types(v)) for _, v in got] == [(json.dumps(v), _types(v)) for v in alone]


def test_a_query_part_is_left_as_it_is_exactly_where_quote_would_leave_it() -> None:
    for code in range(256):  # the Link header's parts: a byte-for-byte test, so every string agrees too
        char = chr(code)
        assert bool(_URI_PART.fullmatch(char)) == (quote(char, safe=_URI_SAFE, encoding="latin-1") == char), char


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["ezkey", "EzKey", "stat", "count", "app_key", "k", "", "token"])
                          | st.text("abz09_.~-%+=& ", max_size=6),
                          st.text("abkeyz09_.~-%+=&\"{}[]: ", max_size=10)), max_size=5),
       st.sampled_from(["&", "=", ""]))
def test_redact_query_masks_as_before(pairs: list[tuple[str, str]], joiner: str) -> None:
    # The plain-query fast path (a form POST's body) and the parse-and-encode path give the same text.
    query = "&".join(f"{k}{joiner or '='}{v}" if joiner != "&" else k + v for k, v in pairs)
    assert redaction.redact_query(query) == _old_query(query)
