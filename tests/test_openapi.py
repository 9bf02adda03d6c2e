"""The OpenAPI documents: every route of a service is declared, and each document is one bundled, valid OpenAPI 3.1
file whose every ``$ref`` is local and resolves (so ordinary tools load it as served)."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from mock_server import create_app
from mock_server.config import SERVICE_NAMES
from mock_server.openapi import build, undocumented

APP = create_app()
SERVED = [s for s in SERVICE_NAMES if any(r.rule.startswith(f"/{s}/") for r in APP.url_map.iter_rules())]


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def pointer(doc: Any, ref: str) -> Any:
    """The target of a local ``$ref`` (a JSON pointer, RFC 6901), or KeyError."""
    assert ref.startswith("#/"), ref
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


@pytest.mark.parametrize("service", SERVED)
def test_every_route_is_declared(service: str) -> None:
    assert undocumented(APP, service) == []


@pytest.mark.parametrize("service", SERVED)
def test_document_is_valid_openapi_31(service: str) -> None:
    doc = build(APP, service)
    validate(doc)  # openapi-spec-validator: the OpenAPI 3.1 meta-schema, unique operationIds, path parameters
    assert doc["openapi"] == "3.1.0" and doc["paths"]
    for path, item in doc["paths"].items():
        assert path.startswith(f"/{service}/") and "<" not in path
        for op in item.values():
            assert op["summary"] and op["responses"]
    for component in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(component)


@pytest.mark.parametrize("service", SERVED)
def test_document_is_bundled(service: str) -> None:
    """One self-contained file: every $ref is a local pointer that resolves, no schema keeps an $id to resolve
    against, and every component is reached from an operation (nothing of another service rides along)."""
    doc = build(APP, service)
    found = refs(doc)
    assert found
    for ref in found:
        assert ref.startswith("#/components/schemas/"), ref
        pointer(doc, ref)  # raises if the target does not exist
    assert "$id" not in str(doc["components"])
    reached = {ref.removeprefix("#/components/schemas/").split("/")[0] for ref in found}
    assert reached == set(doc["components"]["schemas"])


def test_served_at_admin() -> None:
    c = APP.test_client()
    doc = c.get("/_admin/openapi/stathat.json").get_json()
    assert "/stathat/ez" in doc["paths"] and {"get", "post"} <= doc["paths"]["/stathat/ez"].keys()
    assert doc == build(APP, "stathat")
    assert c.get("/_admin/openapi/nosuch.json").status_code == 404
