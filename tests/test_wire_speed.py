"""The fast paths of ``schemas.wire`` (orjson) and the stores give exactly what the standard ones gave: the same
values, the same refusals with the same words."""

from __future__ import annotations

import enum
import json
import math

import pytest

from mock_server.store import MemoryStore, SqliteStore
from schemas import wire


class Level(enum.IntEnum):
    HIGH = 3


class Name(str):
    pass


@pytest.mark.parametrize("value", [
    {"a": [1, 2.5, "é", None, True]}, {"big": 10**30}, {"neg": -(2**64)}, {1: "int key"}, [Name("sub")],
    {"level": Level.HIGH}, (1, 2), {"tiny": 5e-324, "e": 1e16}, "\U0001f600",
])
def test_dumps_reads_back_as_json_dumps_does(value: object) -> None:
    standard = json.dumps(value, separators=(",", ":"), allow_nan=False)
    assert json.loads(wire.dumps(value)) == json.loads(standard)
    assert wire.loads(wire.dumps(value)) == json.loads(standard)


@pytest.mark.parametrize("value", [math.nan, [1, math.inf], {"x": {"y": -math.inf}}, {"n": None, "v": math.nan},
                                   [None, (1.5, math.inf)]])
def test_dumps_still_refuses_what_is_not_json(value: object) -> None:
    with pytest.raises(ValueError):
        wire.dumps(value)


@pytest.mark.parametrize("text", ["1e309", "NaN", "[1,2,]", "\ufeff{}", '{"a": Infinity}', "9" * 400, "01"])
def test_loads_refuses_with_the_standard_words(text: str) -> None:
    with pytest.raises(wire.JSONError) as error:
        wire.loads(text)
    assert "orjson" not in str(error.value) and "body" in str(error.value)


def test_long_integers_stay_integers() -> None:
    # orjson alone reads a 30-digit integer as a float; the wire and the stores keep it exact.
    text = '{"n": 123456789012345678901234567890, "m": [18446744073709551616]}'
    assert wire.loads(text) == {"n": 123456789012345678901234567890, "m": [18446744073709551616]}
    for store in (MemoryStore(), SqliteStore(":memory:")):
        store.put("ns", "k", wire.loads(text))
        assert store.get("ns", "k")["n"] == 123456789012345678901234567890
        assert store.items("ns")[0][1]["m"] == [2**64]
        store.close()


@pytest.mark.parametrize("content", [
    b'[{"id": 1, "n": 123456789012345678901234567890}]', b'{"x": NaN}', '{"é": "ü"}'.encode(),
    '[1, 2]'.encode("utf-16"), b'{"a": 1.5e300, "b": -0.0, "c": null}',
])
def test_the_sdks_fast_decode_gives_what_response_json_gives(content: bytes) -> None:
    import httpx

    from sdk._json import json_of

    response = httpx.Response(200, content=content, headers={"Content-Type": "application/json"})
    expected = response.json()
    got = json_of(response)
    assert repr(got) == repr(expected)  # repr: NaN != NaN, and an int must stay an int
