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
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urljoin

from flask import Flask

import schemas

__all__ = ["build", "not_an_operation", "operation", "undocumented"]

F = TypeVar("F", bound=Callable[..., Any])
_ATTR = "_openapi_operation"


#: A response schema: one schema name, several (any of them), or None (no body, or a body not described).
Schema = str | list[str] | None


def operation(summary: str, *, description: str | None = None, query: str | dict[str, str] | None = None,
              form: str | None = None,
              json: str | None = None, body_required: bool = False, path: dict[str, str] | None = None,
              security: Sequence[str | tuple[str, ...]] | None = None,
              responses: dict[int, Schema | dict[str, Schema]] | None = None) -> Callable[[F], F]:
    """Declare a view's request and responses by schema name.

    ``query``: an object schema whose properties are the query parameters (on a method with a body, only when it is
    not the ``form`` schema itself: the same fields are then the form's), or such schemas by method.
    ``form``/``json``: the body of POST (and PUT, PATCH), ``body_required`` when one must be sent.
    ``path``: a schema a path variable (else a non-empty string).
    ``security``: the service's ``security_schemes`` of which any one authenticates (a tuple: these together); their
    parameters leave the parameter list. ``responses``: a schema a status, or a dict of them by method
    (``{"GET": ...}``).
    """
    default: dict[int, Schema | dict[str, Schema]] = {200: None}
    spec: dict[str, Any] = {"summary": summary, "description": description, "query": query, "form": form, "json": json,
            "body_required": body_required, "path": path or {}, "security": security,
            "responses": responses or default}

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


def _query_parameters(name: str, skip: set[str]) -> list[dict[str, Any]]:
    shape = _resolve(name)
    required = set(shape.get("required", []))
    out = []
    for prop in shape.get("properties", {}):
        if prop in skip:
            continue
        where = f"{name}{'' if '#' in name else '#'}/properties/{prop}"
        param: dict[str, Any] = {"name": prop, "in": "query", "required": prop in required}
        if shape["properties"][prop].get("contentMediaType") == "application/json":  # JSON text: say its shape
            param["content"] = {"application/json": {"schema": _ref(f"{where}/contentSchema")}}
        else:
            param["schema"] = _ref(where)
        description = shape["properties"][prop].get("description")
        if description:
            param["description"] = description
        out.append(param)
    return out


def _path_parameter(name: str, schema: str | None) -> dict[str, Any]:
    param: dict[str, Any] = {"name": name, "in": "path", "required": True,
                             "schema": _ref(schema) if schema else {"type": "string", "minLength": 1}}
    if schema and "description" in _resolve(schema):
        param["description"] = _resolve(schema)["description"]
    return param


def _response(status: int, schema: Schema) -> dict[str, Any]:
    out: dict[str, Any] = {"description": _REASONS.get(status, str(status))}
    if schema is not None:
        shape = _ref(schema) if isinstance(schema, str) else {"anyOf": [_ref(name) for name in schema]}
        out["content"] = {"application/json": {"schema": shape}}
    return out


#: What the HTTP layer answers before any view, on every operation (errors.py): in the service's error style.
_HTTP_LAYER = {414: "request target over the server's limit", 431: "request headers over the server's limit"}
_REASONS = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
            402: "Payment Required", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
            413: "request body over the server's limit", **_HTTP_LAYER}


def _operation_id(method: str, path: str) -> str:
    """``GET /countly/o/analytics/{sub}`` → ``get_countly_o_analytics_sub``: unique, as a path and method are."""
    return "_".join([method.lower(), *re.findall(r"[A-Za-z0-9]+", path)])


def build(app: Flask, service: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``service`` as this app serves it."""
    owner = app.extensions["analytics_api_kit"].services[service]
    schemes: dict[str, dict[str, Any]] = owner.security_schemes
    paths: dict[str, dict[str, Any]] = {}
    prefix = f"/{service}/"
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix):
            continue
        spec = getattr(app.view_functions[rule.endpoint], _ATTR, None)
        if spec is None:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        path_params = [_path_parameter(arg, spec["path"].get(arg))
                       for arg in sorted(re.findall(r"\{([^{}]+)\}", path))]  # the path's own (not a rule's defaults)
        security = spec["security"] or []
        in_query = {schemes[name]["name"] for names in security
                    for name in ([names] if isinstance(names, str) else names) if schemes[name].get("in") == "query"}
        content = {}
        if spec["json"]:
            content["application/json"] = {"schema": _ref(spec["json"])}
        if spec["form"]:
            content["application/x-www-form-urlencoded"] = {"schema": _ref(spec["form"])}
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            has_body = bool(content) and method in ("POST", "PUT", "PATCH")
            params = list(path_params)
            query = spec["query"].get(method) if isinstance(spec["query"], dict) else spec["query"]
            if query and not (has_body and query == spec["form"]):
                params += _query_parameters(query, in_query)
            statuses: dict[int, Schema] = {}
            for status, schema in spec["responses"].items():
                if isinstance(schema, dict):
                    if method not in schema:
                        continue
                    schema = schema[method]
                statuses[status] = schema
            error = spec["responses"].get(400, owner.error_schema)
            for status in (*_HTTP_LAYER, *((413,) if has_body else ())):
                statuses.setdefault(status, error if isinstance(error, (str, list)) else owner.error_schema)
            op: dict[str, Any] = {
                "summary": spec["summary"],
                **({"description": spec["description"]} if spec["description"] else {}),
                "operationId": _operation_id(method, path),
                "parameters": params,
                "responses": {str(status): _response(status, schema) for status, schema in sorted(statuses.items())},
            }
            if security:
                op["security"] = [{name: []} if isinstance(name, str) else {key: [] for key in name}
                                  for name in security]
            if has_body:
                op["requestBody"] = {"content": content, "required": spec["body_required"]}
            paths.setdefault(path, {})[method.lower()] = op
    paths = dict(sorted(paths.items()))
    components: dict[str, Any] = {"schemas": _components(paths)}
    if schemes:
        components["securitySchemes"] = schemes
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {"title": f"analytics-api-kit reference server: {service}", "version": "1",
                 **({"description": owner.openapi_description} if owner.openapi_description else {})},
        "paths": paths,
        "components": components,
    }


def undocumented(app: Flask, service: str) -> list[str]:
    """Routes under the service's prefix that declare no operation (the drift guard's list)."""
    return sorted(
        rule.rule for rule in app.url_map.iter_rules()
        if rule.rule.startswith(f"/{service}/") and not hasattr(app.view_functions[rule.endpoint], _ATTR)
    )
