"""Taplytics unit tests: versions, filter evaluation, the backend's page and token reads, the SDK over respx."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from mock_server.errors import ServiceError
from mock_server.services.taplytics.audience import matches
from mock_server.services.taplytics.backend import USERS, TaplyticsBackend
from mock_server.store import MemoryStore, SqliteStore, Store
from sdk import AdminClient, RetryPolicy
from sdk._errors import RequestFailed, ServerError
from sdk.taplytics import TaplyticsClient, version_key

BASE = "https://api.taplytics.com"
TOKEN = "secret-token-123"
FAST = RetryPolicy(base=0.001, cap=0.002)


# -- versions and filters ------------------------------------------------------------------------
@pytest.mark.parametrize(("a", "b", "order"), [
    ("5.10", "5.9", 1), ("5.0", "5.0.0", 0), ("10.0.0", "5.0.0", 1), ("8.0.1", "8.1", -1), ("1.2", "1.2.1", -1),
])
def test_version_key(a: str, b: str, order: int) -> None:
    ka, kb = version_key(a), version_key(b)
    assert (ka > kb) - (ka < kb) == order


def user(**fields: Any) -> dict[str, Any]:
    return {"id": "x", "custom_data": {}, **fields}


def f(type: str, comparator: str, *values: Any, key: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": type, "comparator": comparator, "values": list(values)}
    if key:
        out["dataKey"] = key
    return out


def test_version_group_is_per_device_and_or_across_platforms() -> None:
    both = [f("an_version", ">=", "5.0.0"), f("ios_version", "!=", "8.0.1")]
    android4 = {"os": "Android", "os_version": "4.4"}
    ios8 = {"os": "iOS", "os_version": "8.0.1"}
    assert not matches(user(devices=[android4, ios8]), both)
    assert matches(user(devices=[android4, {"os": "iOS", "os_version": "9"}]), both)
    # Without an ios_version filter an iPhone is not in an an_version audience at all.
    assert not matches(user(devices=[{"os": "iOS", "os_version": "99"}]), [f("an_version", ">=", "1")])
    # Two filters of one platform must hold on the same device.
    two = [f("an_version", ">=", "5"), f("an_version", "<=", "6")]
    assert not matches(user(devices=[{"os": "Android", "os_version": "4"}, {"os": "Android", "os_version": "7"}]), two)
    assert matches(user(devices=[{"os": "Android", "os_version": "5.5"}]), two)


def test_missing_fields_never_match() -> None:
    assert not matches(user(), [f("gender", "!=", "male")])
    assert not matches(user(), [f("custom_data", "!=", 1, key="k")])
    assert not matches(user(location={"country_name": None}), [f("country", "!=", "US")])
    assert matches(user(), [])


def test_custom_data_numbers_and_strings() -> None:
    assert matches(user(custom_data={"n": "10"}), [f("custom_data", ">=", 9, key="n")])  # numbers: 10 >= 9
    assert not matches(user(custom_data={"s": "b"}), [f("custom_data", "<=", "a", key="s")])  # text: "b" > "a"
    assert matches(user(custom_data={"flag": True}), [f("custom_data", "=", "True", key="flag")])
    # A number against text has no order: "gold" is neither >= 16 nor <= 16 (it would be, as ASCII).
    for comparator in (">=", "<="):
        assert not matches(user(custom_data={"n": "gold"}), [f("custom_data", comparator, 16, key="n")])
    assert matches(user(custom_data={"n": "gold"}), [f("custom_data", "!=", 16, key="n")])


def test_country_name_and_code_are_one_country() -> None:
    us = user(location={"country_name": "United States", "country_code": "US"})
    assert matches(us, [f("country", "=", "US")]) and matches(us, [f("country", "=", "United States")])
    assert not matches(us, [f("country", "!=", "US")])  # the name differs from "US", but it is the US
    assert not matches(us, [f("country", "!=", "United States")])
    assert matches(us, [f("country", "!=", "Canada")])


# -- backend reads -------------------------------------------------------------------------------
class CountingStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.reads: list[tuple[int, int | None, int]] = []

    def items(self, ns: str, offset: int = 0, limit: int | None = None) -> list[tuple[str, Any]]:
        rows = super().items(ns, offset, limit)
        if ns == USERS:
            self.reads.append((offset, limit, len(rows)))
        return rows


def test_a_page_reads_only_its_own_rows() -> None:
    store = CountingStore()
    backend = TaplyticsBackend(store)
    backend.seed({"users": [{"user_id": str(i)} for i in range(5000)]}, now=0)
    store.reads.clear()
    users, total = backend.page(USERS, 40, 100)
    assert total == 5000 and [u["user_id"] for u in users] == [str(i) for i in range(3900, 4000)]
    assert store.reads == [(3900, 100, 100)]  # one slice at the offset: nothing before it is read


def test_token_read_is_logarithmic() -> None:
    store = CountingStore()
    backend = TaplyticsBackend(store)
    backend.seed({"users": [{"user_id": str(i)} for i in range(5000)]}, now=0)
    token = backend.users_by_token(None, 100)["nextPaginationToken"]
    store.reads.clear()
    page = backend.users_by_token(token, 100)
    assert page["users"][0]["user_id"] == "100"
    assert len(store.reads) <= math.ceil(math.log2(5000)) + 2
    assert sum(rows for _, _, rows in store.reads) <= math.ceil(math.log2(5000)) + 101


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_token_survives_adds_and_deletes(kind: str, tmp_path: Path) -> None:
    store: Store = MemoryStore() if kind == "memory" else SqliteStore(str(tmp_path / "t.db"))
    backend = TaplyticsBackend(store)
    backend.seed({"users": [{"user_id": str(i)} for i in range(10)]}, now=0)
    token = backend.users_by_token(None, 4)["nextPaginationToken"]
    for uid in ("0", "2", "3", "6"):  # before the token (0, 2), the token's own user (3), after it (6)
        backend.delete_user(("user_id", uid))
    backend.save_user(None, {"user_id": "new"})
    backend.save_user(("user_id", "5"), {"name": "updated"})  # an update keeps the user's place
    rest = backend.users_by_token(token, 100)
    assert [u["user_id"] for u in rest["users"]] == ["4", "5", "7", "8", "9", "new"]
    assert rest["nextPaginationToken"] is None


def test_seed_refuses_taken_ids() -> None:
    backend = TaplyticsBackend(MemoryStore())
    backend.seed({"users": [{"id": "abc"}]})
    with pytest.raises(ServiceError) as err:
        backend.seed({"users": [{"id": "abc"}]})
    assert err.value.status == 400 and "abc" in err.value.message


# -- SDK over respx ------------------------------------------------------------------------------
def _user_json(i: int) -> dict[str, Any]:
    return {"id": f"id{i}", "created_at": "2015-01-06T03:51:57+00:00", "custom_data": {}, "session_count": 0}


@respx.mock
def test_sdk_follows_the_link_verbatim() -> None:
    # The server's next link has its own shape (a cursor, odd order): the SDK uses it as is, never rebuilds it.
    nxt = f"{BASE}/v2/users?cursor=zz%2Fyy&per_page=2&page=2"
    first = respx.get(f"{BASE}/v2/users", params={"page": "1", "per_page": "2"}).mock(
        return_value=httpx.Response(200, json=[_user_json(1), _user_json(2)], headers={"Link": f"<{nxt}>; rel='next'"}))
    second = respx.get(nxt).mock(return_value=httpx.Response(200, json=[_user_json(3)]))
    with TaplyticsClient(TOKEN) as c:
        assert [u.id for u in c.users.iter(per_page=2)] == ["id1", "id2", "id3"]
    assert first.call_count == 1 and second.call_count == 1
    assert str(second.calls[0].request.url) == nxt
    assert second.calls[0].request.headers["x-access-token"] == TOKEN


@respx.mock
def test_sdk_retries_idempotent_saves_only() -> None:
    by_id = respx.post(f"{BASE}/v2/users", params={"user_id": "42"}).mock(side_effect=[
        httpx.Response(500, json={"error": "boom"}), httpx.Response(200, json=_user_json(1))])
    anonymous = respx.post(f"{BASE}/v2/users", params={}).mock(return_value=httpx.Response(500, json={"error": "x"}))
    with TaplyticsClient(TOKEN, retry=FAST) as c:
        assert c.users.save({"name": "n"}, user_id="42").id == "id1"  # a merge is safe to repeat
        with pytest.raises(ServerError):
            c.users.save({"name": "n"})  # a create might double: not retried
    assert by_id.call_count == 2 and anonymous.call_count == 1


@respx.mock
def test_sdk_errors_carry_the_message_not_the_token() -> None:
    respx.get(f"{BASE}/v2/users", params={"email": "a@b.co"}).mock(
        return_value=httpx.Response(402, json={"error": f"failed for token {TOKEN}"}))
    with TaplyticsClient(TOKEN) as c, pytest.raises(RequestFailed) as err:
        c.users.get(email="a@b.co")
    assert TOKEN not in str(err.value) and "failed" in err.value.message
    assert TOKEN not in repr(c)


def test_user_from_json_fast_path_keeps_dataclass_behaviour() -> None:
    from dataclasses import FrozenInstanceError

    from sdk.taplytics import Device, User

    data = {"id": 7, "created_at": "2015-01-06T03:51:57+00:00", "metadata": {"x": 1}, "devices": [{"os": "iOS"}]}
    user = User.from_json(data)
    assert user.id == "7" and user.created_at is not None and user.created_at.year == 2015
    assert not hasattr(user, "metadata")  # keys that are no field are dropped
    assert (user.email, user.custom_data, user.session_count, user.experiments) == (None, {}, 0, ())
    assert user.devices == (Device(os="iOS"),)
    assert user == User.from_json(data) and "metadata" in data  # the caller's mapping is left alone
    assert User.from_json({"id": "x", "created_at": "not a date"}).created_at is None
    with pytest.raises(FrozenInstanceError):
        user.email = "x"  # type: ignore[misc]


# -- the OpenAPI document ------------------------------------------------------------------------
def test_openapi_declares_the_query_parameters() -> None:
    from mock_server import create_app
    from mock_server.openapi import build

    paths = build(create_app(), "taplytics")["paths"]

    def names(path: str, method: str) -> dict[str, bool]:
        return {p["name"]: p["required"] for p in paths[path][method]["parameters"] if p["in"] == "query"}

    users = {"user_id": False, "email": False, "page": False, "per_page": False}
    by_key = {"user_id": False, "email": False}  # POST and DELETE take no page
    for path in ("/taplytics/v2/users", "/taplytics/v2/users/{user_id}"):
        assert names(path, "get") == users
        assert names(path, "post") == names(path, "delete") == by_key
    paged = {"page": False, "per_page": False}
    assert names("/taplytics/v2/experiments", "get") == names("/taplytics/v2/push", "get") == paged
    assert names("/taplytics/v2/push", "post") == {}
    assert names("/taplytics/v2/usersByToken", "get") == {"per_page": False,
                                                          "paginationToken": False}
    assert names("/taplytics/v2/events", "post") == {"session_id": True}
    assert names("/taplytics/v2/push/{push_id}", "get") == {}
    # api_token is the security scheme of every operation (its query parameter, or the x-access-token header)
    assert all(op["security"] == [{"api_token": []}, {"access_token": []}]
               for item in paths.values() for op in item.values())


@pytest.mark.parametrize(("raw", "ok"), [("1", True), ("100", True), ("007", True), ("0", False), ("00", False),
                                         ("-1", False), ("1.5", False), ("x", False), ("\u00b2", False)])
def test_page_schema_is_the_servers_rule(raw: str, ok: bool) -> None:
    # The document's schema and the server's answer agree on every value (the server checks with it).
    import schemas
    from mock_server import create_app

    client = create_app().test_client()
    for name in ("page", "per_page"):
        assert (schemas.validate(f"taplytics/query#/$defs/{name}", raw) == []) is ok
        status = client.get("/taplytics/v2/users", query_string={name: raw, "api_token": "dev-api-token"}).status_code
        assert status == (200 if ok else 400), (name, raw)


def test_an_unexpected_error_is_a_json_500_that_hides_the_detail(monkeypatch: pytest.MonkeyPatch) -> None:
    from mock_server import create_app

    app = create_app()

    def boom(*args: object) -> None:
        raise KeyError("internal detail")

    monkeypatch.setattr(app.extensions["analytics_api_kit"].services["taplytics"].backend, "get_push", boom)
    r = app.test_client().get("/taplytics/v2/push/x", headers={"x-access-token": "dev-api-token"})
    assert r.status_code == 500 and r.is_json and isinstance(r.get_json()["error"], str)
    assert b"Traceback" not in r.data and b"internal detail" not in r.data
    with TaplyticsClient(TOKEN, base_url="http://localhost/taplytics", transport=httpx.WSGITransport(app=app),
                         retry=FAST) as client:
        AdminClient(transport=httpx.WSGITransport(app=app)).seed({"taplytics": {"tokens": [TOKEN]}})
        with pytest.raises(ServerError) as err:
            client.push.get("x")
    assert err.value.status == 500 and err.value.message
