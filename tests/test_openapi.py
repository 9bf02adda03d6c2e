"""The OpenAPI documents: every route of a service is declared, and each document is one bundled, valid OpenAPI 3.1
file whose every ``$ref`` is local and resolves (so ordinary tools load it as served)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from mock_server import create_app
from mock_server.config import SERVICE_NAMES
from mock_server.openapi import build, undocumented
from sdk import AdminClient, NotFound

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
    admin = AdminClient(transport=httpx.WSGITransport(app=APP))
    doc = admin.openapi("stathat")
    assert "/stathat/ez" in doc["paths"] and {"get", "post"} <= doc["paths"]["/stathat/ez"].keys()
    assert doc == build(APP, "stathat")
    with pytest.raises(NotFound):
        admin.openapi("nosuch")  # type: ignore[arg-type]


def _served_operations(service: str) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every route under the service's prefix, less the deliberate catch-alls."""
    from mock_server.openapi import _ATTR

    out = set()
    for rule in APP.url_map.iter_rules():
        view = APP.view_functions[rule.endpoint]
        if rule.rule.startswith(f"/{service}/") and getattr(view, _ATTR, None) is not None:
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            out |= {(m.lower(), path) for m in (rule.methods or set()) - {"HEAD", "OPTIONS"}}
    return out


@pytest.mark.parametrize("service", SERVED)
def test_document_has_every_served_operation_and_nothing_else(service: str) -> None:
    doc = build(APP, service)
    documented = {(method, path) for path, item in doc["paths"].items() for method in item}
    assert documented == _served_operations(service)
    client = APP.test_client()
    for method, path in documented:  # each is routed (not the 404 or 405 of an unknown one)
        url = re.sub(r"\{[^}]+\}", "x", path)
        assert client.open(url, method=method.upper()).status_code not in (404, 405) or "{" in path, (method, path)


CREDENTIALS = {  # service -> the security schemes its operations name, with where each is carried
    "stathat": {"ezkey": ("query", "ezkey"), "counter_key": ("query", "key"), "value_key": ("query", "key"),
                "ukey": ("query", "ukey")},
    "countly": {"app_key": ("query", "app_key"), "api_key": ("query", "api_key"),
                "auth_token": ("query", "auth_token"), "countly_token": ("header", "countly-token")},
    "taplytics": {"api_token": ("query", "api_token"), "access_token": ("header", "x-access-token")},
    "reports": {"bearer": ("http", "bearer")},
}


@pytest.mark.parametrize("service", SERVED)
def test_security_schemes(service: str) -> None:
    doc = build(APP, service)
    schemes = doc["components"].get("securitySchemes", {})
    where = {name: (s["in"], s["name"]) if s["type"] == "apiKey" else (s["type"], s["scheme"])
             for name, s in schemes.items()}
    assert where == CREDENTIALS.get(service, {})
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if service == "cyfe":  # the widget key is a path segment, which no security scheme can be
                key = op["parameters"][0]
                assert key["name"] == "widget_key" and "credential" in key["description"]
                continue
            assert op["security"], (method, path)
            named = {name for requirement in op["security"] for name in requirement}
            assert named <= set(schemes)
            carried = {schemes[n]["name"] for n in named
                       if schemes[n]["type"] == "apiKey" and schemes[n]["in"] == "query"}
            assert not carried & {p["name"] for p in op["parameters"] if p["in"] == "query"}, (method, path)


def test_what_the_issue_asked_for() -> None:
    """Countly declares its parameters; Taplytics' lists are lists; 400 on /v2/experiments; required bodies; value
    rules; StatHat's errors-in-200 said and admitted."""
    countly = build(APP, "countly")["paths"]
    assert {p["name"] for p in countly["/countly/i"]["get"]["parameters"]} >= {"device_id", "events", "metrics"}
    assert all(op["parameters"] for item in countly.values() for op in item.values())
    taplytics = build(APP, "taplytics")
    paths = taplytics["paths"]
    listed = paths["/taplytics/v2/users"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert {"$ref": "#/components/schemas/taplytics.user.list"} in listed["anyOf"]
    push = paths["/taplytics/v2/push"]
    assert push["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/taplytics.push.list"}
    assert "400" in paths["/taplytics/v2/experiments"]["get"]["responses"]
    assert push["post"]["requestBody"]["required"] is True
    assert set(paths["/taplytics/v2/users/{user_id}"]["delete"]["responses"]) >= {"204"}
    assert "200" not in paths["/taplytics/v2/users/{user_id}"]["delete"]["responses"]
    reports = build(APP, "reports")["components"]["schemas"]["reports.analytics.query"]["properties"]
    assert reports["start_date"]["format"] == reports["end_date"]["format"] == "date-time"
    channel = Draft202012Validator(reports["channel_id"])
    assert channel.is_valid("1") and channel.is_valid("42") and not channel.is_valid("0")
    cyfe = build(APP, "cyfe")
    assert "FIRST key" in cyfe["paths"]["/cyfe/api/push/{widget_key}"]["post"]["description"]
    assert cyfe["components"]["schemas"]["cyfe.push.row"]["additionalProperties"]["anyOf"][1]["minLength"] == 1
    stathat = build(APP, "stathat")
    for item in stathat["paths"].values():
        for op in item.values():
            assert "HTTP 200" in op["description"]
            reply = stathat["components"]["schemas"]["stathat.ez.reply"]
            assert op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("stathat.ez.reply")
            assert Draft202012Validator(reply).is_valid({"status": 400, "msg": "stat: missing"})
