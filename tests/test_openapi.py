"""The OpenAPI documents: every route of a service is declared, and every $ref resolves to a shared schema."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

import schemas
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


@pytest.mark.parametrize("service", SERVED)
def test_every_route_is_declared(service: str) -> None:
    assert undocumented(APP, service) == []


@pytest.mark.parametrize("service", SERVED)
def test_document_shape_and_refs_resolve(service: str) -> None:
    doc = build(APP, service)
    assert doc["openapi"] == "3.1.0" and doc["paths"]
    for path, item in doc["paths"].items():
        assert path.startswith(f"/{service}/") and "<" not in path
        for op in item.values():
            assert op["summary"] and op["responses"]
    resolver = schemas.registry().resolver()
    for ref in refs(doc["paths"]):
        assert ref.startswith(schemas.BASE_URI), ref
        resolver.lookup(ref)  # raises if the target does not exist
    for component in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(component)


def test_served_at_admin() -> None:
    c = APP.test_client()
    doc = c.get("/_admin/openapi/stathat.json").get_json()
    assert "/stathat/ez" in doc["paths"] and {"get", "post"} <= doc["paths"]["/stathat/ez"].keys()
    assert c.get("/_admin/openapi/nosuch.json").status_code == 404
