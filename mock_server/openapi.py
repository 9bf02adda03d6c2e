"""OpenAPI 3.1 documents, one per service, built from the views' declarations and the shared schemas.

A view declares what it takes and answers with ``@operation(...)``, naming schemas (``"stathat/ez#/$defs/params"``);
``build(app, service)`` walks the app's routes under the service's prefix and writes them out. The document is
bundled, so that ordinary tools (schemathesis, Prism, code generators) load it as one file: each schema file
``service/file.json`` becomes the component ``service.file`` and each of its ``$defs`` the component
``service.file.name``, and every ``$ref`` is rewritten to a local ``#/components/schemas/...`` pointer. Only the
components the operations reach are included; the schema files stay the one source (nothing is copied by hand).
``GET /_admin/openapi/<service>.json`` serves it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urljoin

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


_LOCAL = "#/components/schemas/"


def _component(uri: str) -> str:
    """A schema URI (``$id`` and optional pointer) → the local ``$ref`` of the bundled component that holds it.

    ``…/stathat/ez.json#/$defs/item/properties/count`` → ``#/components/schemas/stathat.ez.item/properties/count``.
    """
    base, _, pointer = uri.partition("#")
    if not base.startswith(schemas.BASE_URI):
        raise ValueError(f"{uri}: not a bundled schema")
    name = base.removeprefix(schemas.BASE_URI).removesuffix(".json").replace("/", ".")
    parts = pointer.split("/")[1:] if pointer else []
    if parts[:1] == ["$defs"] and len(parts) >= 2:
        name, parts = f"{name}.{parts[1]}", parts[2:]
    return _LOCAL + name + "".join(f"/{p}" for p in parts)


def _ref(name: str) -> dict[str, str]:
    base, _, pointer = name.partition("#")
    return {"$ref": _component(schemas.schema_id(base) + (f"#{pointer}" if pointer else ""))}


def _localised(node: Any, base: str) -> Any:
    """``node`` (a part of the schema file ``base``) with every ``$ref`` pointing into the bundle."""
    if isinstance(node, list):
        return [_localised(item, base) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _localised(v, base) for k, v in node.items() if k not in ("$id", "$schema")}
    if isinstance(node.get("$ref"), str):
        out["$ref"] = _component(urljoin(base, node["$ref"]))
    return out


def _file_components(uri: str) -> dict[str, Any]:
    """One schema file as components: the file itself (without ``$defs``) and each of its ``$defs``."""
    contents: dict[str, Any] = schemas.registry().contents(uri)
    name = _component(uri).removeprefix(_LOCAL)
    out = {name: _localised({k: v for k, v in contents.items() if k != "$defs"}, uri)}
    for key, schema in contents.get("$defs", {}).items():
        out[f"{name}.{key}"] = _localised(schema, uri)
    return out


def _components(paths: Any) -> dict[str, Any]:
    """Every component the ``paths`` reach, through any chain of ``$ref``s."""
    available: dict[str, Any] = {}
    for uri in schemas.registry():
        available |= _file_components(uri)
    chosen: dict[str, Any] = {}
    todo = _local_refs(paths)
    while todo:
        name = todo.pop().removeprefix(_LOCAL).split("/", 1)[0]
        if name not in chosen:
            chosen[name] = available[name]
            todo += _local_refs(chosen[name])
    return dict(sorted(chosen.items()))


def _local_refs(node: Any) -> list[str]:
    if isinstance(node, list):
        return [r for item in node for r in _local_refs(item)]
    if not isinstance(node, dict):
        return []
    own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
    return own + [r for v in node.values() for r in _local_refs(v)]


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


def _operation_id(method: str, path: str) -> str:
    """``GET /countly/o/analytics/{sub}`` → ``get_countly_o_analytics_sub``: unique, as a path and method are."""
    return "_".join([method.lower(), *re.findall(r"[A-Za-z0-9]+", path)])


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
        params: list[dict[str, Any]] = [  # the path's own variables (not a rule's defaults)
            {"name": arg, "in": "path", "required": True, "schema": {"type": "string"}}
            for arg in sorted(re.findall(r"\{([^{}]+)\}", path))
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
                "operationId": _operation_id(method, path),
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
    paths = dict(sorted(paths.items()))
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {"title": f"analytics-api-kit reference server: {service}", "version": "1"},
        "paths": paths,
        "components": {"schemas": _components(paths)},
    }


def undocumented(app: Flask, service: str) -> list[str]:
    """Routes under the service's prefix that declare no operation (the drift guard's list)."""
    return sorted(
        rule.rule for rule in app.url_map.iter_rules()
        if rule.rule.startswith(f"/{service}/") and not hasattr(app.view_functions[rule.endpoint], _ATTR)
    )
