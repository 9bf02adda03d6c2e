"""OpenAPI 3.1 documents, one per service, built from the views' declarations and the shared schemas.

A view declares what it takes and answers with ``@operation(...)``, naming schemas (``"stathat/ez#/$defs/params"``);
``build(app, service)`` walks the app's routes under the service's prefix and writes them out. The schema
files themselves are embedded under ``components.schemas`` with their ``$id``, so every ``$ref`` (by ``$id``)
resolves inside the one document. ``GET /_admin/openapi/<service>.json`` serves it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask

import schemas

__all__ = ["build", "not_an_operation", "operation", "undocumented"]

F = TypeVar("F", bound=Callable[..., Any])
_ATTR = "_openapi_operation"


def operation(summary: str, *, query: str | None = None, form: str | None = None, json: str | None = None,
              responses: dict[int, str | None] | None = None) -> Callable[[F], F]:
    """Declare a view's request (query parameters, form body, JSON body) and responses by schema name."""
    spec = {"summary": summary, "query": query, "form": form, "json": json, "responses": responses or {200: None}}

    def mark(view: F) -> F:
        setattr(view, _ATTR, spec)
        return view

    return mark


def not_an_operation(view: F) -> F:
    """Mark a route that is deliberately left out of the document (a catch-all that only explains a 404)."""
    setattr(view, _ATTR, None)
    return view


def _ref(name: str) -> dict[str, str]:
    base, _, pointer = name.partition("#")
    return {"$ref": schemas.schema_id(base) + (f"#{pointer}" if pointer else "")}


def _resolve(name: str) -> dict[str, Any]:
    base, _, pointer = name.partition("#")
    doc: Any = schemas.load(base)
    for part in filter(None, pointer.split("/")):
        doc = doc[part]
    result: dict[str, Any] = doc
    return result


def _query_parameters(name: str) -> list[dict[str, Any]]:
    shape = _resolve(name)
    required = set(shape.get("required", []))
    return [
        {"name": prop, "in": "query", "required": prop in required,
         "schema": _ref(f"{name}{'' if '#' in name else '#'}/properties/{prop}")}
        for prop in shape.get("properties", {})
    ]


def build(app: Flask, service: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``service`` as this app serves it."""
    paths: dict[str, dict[str, Any]] = {}
    prefix = f"/{service}/"
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix):
            continue
        spec = getattr(app.view_functions[rule.endpoint], _ATTR, None)
        if spec is None:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        params: list[dict[str, Any]] = [
            {"name": arg, "in": "path", "required": True, "schema": {"type": "string"}}
            for arg in sorted(rule.arguments)
        ]
        if spec["query"]:
            params += _query_parameters(spec["query"])
        content = {}
        if spec["json"]:
            content["application/json"] = {"schema": _ref(spec["json"])}
        if spec["form"]:
            content["application/x-www-form-urlencoded"] = {"schema": _ref(spec["form"])}
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            op: dict[str, Any] = {
                "summary": spec["summary"],
                "operationId": f"{rule.endpoint}_{method.lower()}".replace(".", "_"),
                "parameters": params,
                "responses": {
                    str(status): {"description": str(status)} | (
                        {"content": {"application/json": {"schema": _ref(schema)}}} if schema else {})
                    for status, schema in spec["responses"].items()
                },
            }
            if content and method in ("POST", "PUT", "PATCH"):
                op["requestBody"] = {"content": content}
            paths.setdefault(path, {})[method.lower()] = op
    components = {
        uri.removeprefix(schemas.BASE_URI).removesuffix(".json").replace("/", "_"): schemas.registry().contents(uri)
        for uri in sorted(schemas.registry())
        if uri.startswith((schemas.BASE_URI + service + "/", schemas.BASE_URI + "common/"))
    }
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {"title": f"analytics-api-kit reference server: {service}", "version": "1"},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": components},
    }


def undocumented(app: Flask, service: str) -> list[str]:
    """Routes under the service's prefix that declare no operation (the drift guard's list)."""
    return sorted(
        rule.rule for rule in app.url_map.iter_rules()
        if rule.rule.startswith(f"/{service}/") and not hasattr(app.view_functions[rule.endpoint], _ATTR)
    )
