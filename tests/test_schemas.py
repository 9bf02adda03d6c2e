"""The schema loader: every file is valid 2020-12 with the right $id; validators are compiled once."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator

import schemas

ROOT = Path(schemas.__file__).parent


def test_every_schema_is_valid_and_has_its_id() -> None:
    files = sorted(ROOT.glob("*/*.json"))
    assert files
    for path in files:
        doc = json.loads(path.read_text())
        Draft202012Validator.check_schema(doc)
        assert doc["$id"] == schemas.schema_id(f"{path.parent.name}/{path.stem}")


def test_validators_are_cached() -> None:
    assert schemas.validator("stathat/ez#/$defs/batch") is schemas.validator("stathat/ez#/$defs/batch")


def test_refs_across_files_resolve_and_messages_are_short() -> None:
    errors = schemas.validate("stathat/ez#/$defs/item", {"stat": "x", "count": "abc" * 1000})
    assert errors and errors[0].path == "count"
    assert len(errors[0].message) < 200
    assert schemas.validate("stathat/ez#/$defs/item", {"stat": "x", "count": "12.5"}) == []
    assert schemas.validate("stathat/ez#/$defs/batch", {"ezkey": "k", "data": [{"stat": "s"}] * 2000})[0].message \
        == "must have at most 1000 items"


def test_load_returns_the_document() -> None:
    assert schemas.load("stathat/ez")["title"] == "StatHat EZ API"


def test_messages_never_quote_the_instance() -> None:
    # Both count and value: the item is "valid under each of" oneOf's branches; jsonschema would quote it.
    (error,) = schemas.validate("stathat/ez#/$defs/item", {"stat": "secret-stat", "count": 1, "value": 2})
    assert error.path == "$" and error.message == "must match exactly one of the allowed shapes"
    assert "secret-stat" not in error.message


def test_refs_are_inlined_once_and_recursion_is_kept() -> None:
    # The compiled schema carries the targets, not $refs to look up per instance.
    text = str(schemas.validator("stathat/ez#/$defs/batch").schema)
    assert "$ref" not in text and "integer_string" not in text and "pattern" in text
    from schemas import _inline

    assert _inline({"$ref": "#/x"}, "https://e/a.json", ("https://e/a.json#/x",)) == {"$ref": "https://e/a.json#/x"}
