"""Taplytics: auth, https, users (by id, user_id, email), and the three ways through the collection."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from mock_server import create_app
from sdk import AdminClient, RetryPolicy
from sdk._errors import Forbidden, NotFound, RateLimited, RequestFailed, ServerError, Unauthorized
from sdk._errors import ValidationError as SDKValidationError
from sdk.taplytics import AsyncTaplyticsClient, TaplyticsClient
from sdk.testing.pytest_plugin import Kit

TOKEN = "dev-api-token"
H = {"x-access-token": TOKEN}
FAST = RetryPolicy(max_attempts=2, base=0.01, cap=0.02)


@pytest.fixture
def client(kit: Kit, admin: AdminClient) -> Iterator[TaplyticsClient]:
    with TaplyticsClient(TOKEN, base_url=f"{kit.url}/taplytics", **kit.client_options(), retry=FAST) as c:
        yield c


@pytest.fixture
async def aclient(kit: Kit, admin: AdminClient) -> AsyncIterator[AsyncTaplyticsClient]:
    async with AsyncTaplyticsClient(TOKEN, base_url=f"{kit.url}/taplytics", retry=FAST,
                                    **kit.client_options(asynchronous=True)) as c:
        yield c


def seed_users(admin: AdminClient, n: int, **extra: Any) -> None:
    admin.seed({"taplytics": {"users": [{"user_id": f"u{i}", "email": f"u{i}@example.com", **extra}
                                        for i in range(n)]}})


def taplytics_requests(admin: AdminClient) -> list[dict[str, Any]]:
    return admin.requests.list(path="/taplytics", limit=1000)


# -- auth and https ------------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["query", "body", "header"])
def test_token_accepted_three_ways(http: httpx.Client, admin: AdminClient, how: str) -> None:
    kwargs: dict[str, Any] = {"json": {"first_name": "Ann"}}
    if how == "query":
        kwargs["params"] = {"api_token": TOKEN}
    elif how == "body":
        kwargs["json"]["api_token"] = TOKEN
    else:
        kwargs["headers"] = {"x-access-token": TOKEN}
    r = http.post("/taplytics/v2/users", **kwargs)
    assert r.status_code == 200, r.text
    assert r.json()["first_name"] == "Ann"
    assert "api_token" not in r.json()  # the token is never stored as a user attribute
    assert http.get("/taplytics/v2/users", params={"api_token": TOKEN}).json()[0]["id"] == r.json()["id"]


@pytest.mark.parametrize(("kwargs", "word"), [
    ({}, "missing"),
    ({"params": {"api_token": "wrong"}}, "invalid"),
    ({"headers": {"x-access-token": "wrong"}}, "invalid"),
    ({"json": {"api_token": "wrong", "first_name": "x"}}, "invalid"),
])
def test_wrong_or_missing_token_is_401(http: httpx.Client, admin: AdminClient, kwargs: dict[str, Any], word: str,
                                       ) -> None:
    method = "POST" if "json" in kwargs else "GET"
    r = http.request(method, "/taplytics/v2/users", **kwargs)
    assert r.status_code == 401
    assert "api_token" in r.json()["error"] and word in r.json()["error"]
    assert http.get("/taplytics/v2/users", params={"api_token": TOKEN}).json() == []


def test_seeded_token_works(http: httpx.Client, admin: AdminClient) -> None:
    assert http.get("/taplytics/v2/users", params={"api_token": "second"}).status_code == 401
    admin.seed({"taplytics": {"tokens": ["second"]}})
    assert http.get("/taplytics/v2/users", params={"api_token": "second"}).status_code == 200


def test_sdk_maps_401(base_url: str, admin: AdminClient) -> None:
    with TaplyticsClient("wrong-token", base_url=f"{base_url}/taplytics") as c, pytest.raises(Unauthorized) as err:
        c.users.get(user_id="x")
    assert "invalid" in err.value.message and "wrong-token" not in str(err.value)


def test_require_https() -> None:
    app = create_app({"require_https": True})
    transport = httpx.WSGITransport(app=app)
    with TaplyticsClient(TOKEN, base_url="http://localhost/taplytics", transport=transport) as plain:
        with pytest.raises(Forbidden) as err:
            plain.users.list()
        assert err.value.status == 403 and "https" in err.value.message
    forwarded = {"X-Forwarded-Proto": "https"}
    with TaplyticsClient(TOKEN, base_url="http://localhost/taplytics", transport=transport, headers=forwarded) as c:
        assert c.users.save({"user_id": "7"}).user_id == "7"
        # Links name the scheme the client used, not the proxy's hop.
        assert c.users.list().links["first"].startswith("https://localhost/")
    with TaplyticsClient(TOKEN, base_url="https://localhost/taplytics", transport=transport) as tls:
        assert [u.user_id for u in tls.users.iter()] == ["7"]
    # A 403 comes before auth: a plain request without a token is refused for https, not for the token.
    raw = httpx.Client(transport=transport, base_url="http://localhost")
    r = raw.get("/taplytics/v2/users")
    assert r.status_code == 403 and "https" in r.json()["error"]
    # ... and before routing: no path or method under the prefix answers over plain http.
    for method, path in [("GET", "/taplytics/v2/nothing"), ("PUT", "/taplytics/v2/users")]:
        r = raw.request(method, path, headers={"x-access-token": TOKEN})
        assert r.status_code == 403 and "https" in r.json()["error"], (method, path)
        assert raw.request(method, path, headers={"X-Forwarded-Proto": "https"}).status_code in (404, 405)
    assert raw.get("/_admin/health").status_code == 200  # the setting is Taplytics' own, not /_admin's


def test_plain_http_base_url_refused_unless_allowed() -> None:
    with pytest.raises(SDKValidationError) as err:
        TaplyticsClient(TOKEN, base_url="http://api.example.com")
    assert err.value.field == "base_url"
    TaplyticsClient(TOKEN, base_url="http://api.example.com", allow_http=True).close()
    TaplyticsClient(TOKEN, base_url="http://127.0.0.1:9").close()
    TaplyticsClient(TOKEN, base_url="http://localhost:9").close()


async def test_async_plain_http_refused_and_401_mapped(base_url: str, admin: AdminClient) -> None:
    with pytest.raises(SDKValidationError) as err:
        AsyncTaplyticsClient(TOKEN, base_url="http://api.example.com/taplytics")
    assert err.value.field == "base_url"
    await AsyncTaplyticsClient(TOKEN, base_url="http://api.example.com", allow_http=True).aclose()
    async with AsyncTaplyticsClient("wrong-token", base_url=f"{base_url}/taplytics") as c:
        with pytest.raises(Unauthorized) as unauthorized:
            await c.users.list()
    assert "invalid" in unauthorized.value.message and "wrong-token" not in str(unauthorized.value)


# -- users ---------------------------------------------------------------------------------------
def test_user_lifecycle_by_id(client: TaplyticsClient, http: httpx.Client, admin: AdminClient) -> None:
    created = client.users.save({"user_id": "42", "email": "jon@example.com", "first_name": "Jonathan",
                                 "custom_data": {"occupation": "Bug Fixer", "deep": {"a": 1}}})
    assert created.id and created.created_at is not None and created.session_count == 0
    # custom_data merges one level deep: new keys join, a nested object is replaced whole.
    updated = client.users.save({"gender": "male", "custom_data": {"favourite_color": "Chartreuse", "deep": {"b": 2}}},
                                id=created.id)
    assert updated.id == created.id and updated.created_at == created.created_at
    assert updated.custom_data == {"occupation": "Bug Fixer", "favourite_color": "Chartreuse", "deep": {"b": 2}}
    assert updated.gender == "male" and updated.first_name == "Jonathan"
    assert client.users.get(created.id) == updated
    assert client.users.get(user_id="42") == updated
    assert client.users.get(email="jon@example.com") == updated
    r = http.delete(f"/taplytics/v2/users/{created.id}", headers={"x-access-token": TOKEN})
    assert r.status_code == 204 and r.content == b""
    with pytest.raises(NotFound) as err:
        client.users.get(created.id)
    assert created.id in err.value.message
    with pytest.raises(NotFound):
        client.users.get(user_id="42")  # the index went with the user


def test_user_by_user_id_and_email_create_update_delete(client: TaplyticsClient, admin: AdminClient) -> None:
    first = client.users.save({"first_name": "A"}, user_id="42")  # POST /v2/users?user_id=42 creates
    again = client.users.save({"last_name": "B"}, user_id="42")  # ... then updates the same user
    assert first.id == again.id and (again.first_name, again.last_name, again.user_id) == ("A", "B", "42")
    by_mail = client.users.save({"name": "Mail"}, email="m@example.com")
    assert by_mail.email == "m@example.com" and by_mail.id != first.id
    client.users.delete(email="m@example.com")
    with pytest.raises(NotFound):
        client.users.get(email="m@example.com")
    client.users.delete(user_id="42")
    with pytest.raises(NotFound) as err:
        client.users.delete(user_id="42")
    assert "user_id" in err.value.message
    assert client.users.list().items == []


def test_post_body_user_id_finds_existing(http: httpx.Client, admin: AdminClient) -> None:
    h = {"x-access-token": TOKEN}
    a = http.post("/taplytics/v2/users", json={"user_id": "9", "first_name": "A"}, headers=h).json()
    b = http.post("/taplytics/v2/users", json={"user_id": "9", "last_name": "B"}, headers=h).json()
    assert a["id"] == b["id"] and b["first_name"] == "A"


@pytest.mark.parametrize(("body", "status", "names"), [
    ({"id": "abc"}, 400, "id"),
    ({"created_at": "2015-01-06T03:51:57+00:00"}, 400, "created_at"),
    ({"custom_data": [1, 2]}, 400, "custom_data"),
    ({"email": "not-an-email"}, 400, "email"),
    ({"session_count": -1}, 400, "session_count"),
    ({"favourite": "x"}, 400, "favourite"),
    ({"devices": [{"os": "Windows"}]}, 400, "devices[0].os"),
])
def test_bad_user_bodies(http: httpx.Client, admin: AdminClient, body: dict[str, Any], status: int, names: str) -> None:
    r = http.post("/taplytics/v2/users", json=body, headers={"x-access-token": TOKEN})
    assert r.status_code == status
    assert names in r.json()["error"]
    assert http.get("/taplytics/v2/users", headers={"x-access-token": TOKEN}).json() == []


def test_bad_user_fields_refused_by_sdk_before_sending(client: TaplyticsClient, admin: AdminClient) -> None:
    with pytest.raises(SDKValidationError) as err:
        client.users.save({"custom_data": "nope"}, user_id="1")  # type: ignore[typeddict-item]
    assert "custom_data" in str(err.value)
    with pytest.raises(SDKValidationError):
        client.users.get()  # no address at all
    with pytest.raises(SDKValidationError):
        client.users.get("a", user_id="b")  # two addresses
    assert taplytics_requests(admin) == []


def test_unknown_id_is_404_and_not_created(http: httpx.Client, admin: AdminClient) -> None:
    h = {"x-access-token": TOKEN}
    r = http.post("/taplytics/v2/users/548223f2c7036020742ff21c", json={"first_name": "x"}, headers=h)
    assert r.status_code == 404 and "548223f2c7036020742ff21c" in r.json()["error"]
    assert http.get("/taplytics/v2/users/548223f2c7036020742ff21c", headers=h).status_code == 404
    assert http.delete("/taplytics/v2/users", headers=h).status_code == 400
    assert http.get("/taplytics/v2/users", params={"email": ""}, headers=h).status_code == 400
    assert http.get("/taplytics/v2/users", headers=h).json() == []


def test_address_conflicts_are_400(http: httpx.Client, admin: AdminClient) -> None:
    r = http.get("/taplytics/v2/users", params={"user_id": "42", "email": "a@example.com"}, headers=H)
    assert r.status_code == 400 and "user_id, email" in r.json()["error"]
    # Creating through ?user_id=42 with another user_id in the body: which one? Refused, nothing created.
    r = http.post("/taplytics/v2/users", params={"user_id": "42"}, json={"user_id": "43"}, headers=H)
    assert r.status_code == 400 and r.json()["error"].startswith("user_id:") and "'43'" in r.json()["error"]
    assert http.get("/taplytics/v2/users", headers=H).json() == []
    # Once user 42 exists, the same request renames it (an update may change user_id).
    made = http.post("/taplytics/v2/users", params={"user_id": "42"}, json={"name": "A"}, headers=H).json()
    renamed = http.post("/taplytics/v2/users", params={"user_id": "42"}, json={"user_id": "43"}, headers=H).json()
    assert renamed["id"] == made["id"] and renamed["user_id"] == "43"
    assert http.get("/taplytics/v2/users", params={"user_id": "42"}, headers=H).status_code == 404
    assert http.get("/taplytics/v2/users", params={"user_id": "43"}, headers=H).json()["id"] == made["id"]


def test_taken_email_is_402(client: TaplyticsClient, admin: AdminClient) -> None:
    client.users.save({"email": "a@example.com"}, user_id="1")
    other = client.users.save({}, user_id="2")
    with pytest.raises(RequestFailed) as err:
        client.users.save({"email": "a@example.com"}, id=other.id)
    assert err.value.status == 402 and "email" in err.value.message
    assert client.users.get(other.id).email is None
    assert client.users.get(email="a@example.com").user_id == "1"


async def test_async_user_lifecycle(aclient: AsyncTaplyticsClient, admin: AdminClient) -> None:
    user = await aclient.users.save({"custom_data": {"a": 1}}, user_id="a1")
    merged = await aclient.users.save({"custom_data": {"b": 2}}, user_id="a1")
    assert merged.id == user.id and merged.custom_data == {"a": 1, "b": 2}
    assert (await aclient.users.get(user.id)) == merged
    await aclient.users.delete(user.id)
    with pytest.raises(NotFound):
        await aclient.users.get(user_id="a1")


# -- pages ---------------------------------------------------------------------------------------
def _links(response: httpx.Response) -> dict[str, dict[str, list[str]]]:
    return {rel: parse_qs(urlsplit(link["url"]).query) for rel, link in response.links.items()}


def test_250_users_created_and_walked_in_3_pages_by_link(http: httpx.Client, client: TaplyticsClient,
                                                         admin: AdminClient) -> None:
    created = [client.users.save({"name": f"user {i}"}).id for i in range(250)]
    pages = list(client.users.iter(per_page=100).pages())
    assert [len(p.items) for p in pages] == [100, 100, 50]
    assert [u.id for p in pages for u in p.items] == created  # creation order
    # The SDK followed the server's links: page 2 and 3 were fetched from rel="next".
    assert pages[0].next_cursor == pages[1].cursor and pages[1].next_cursor == pages[2].cursor
    assert pages[2].next_cursor is None and pages[0].last_url == pages[2].cursor
    got = [(r["query"]) for r in admin.requests.list(path="/taplytics/v2/users", limit=1000) if r["method"] == "GET"]
    assert got == ["page=1&per_page=100", "page=2&per_page=100", "page=3&per_page=100"]

    # The raw Link header carries the request's own parameters with only page changed.
    r = http.get("/taplytics/v2/users", params={"api_token": TOKEN, "page": 2, "per_page": 100, "extra": "kept"})
    links = _links(r)
    assert set(links) == {"first", "prev", "next", "last"}
    assert {rel: q["page"] for rel, q in links.items()} == {"first": ["1"], "prev": ["1"], "next": ["3"],
                                                             "last": ["3"]}
    for q in links.values():
        assert q["api_token"] == [TOKEN] and q["per_page"] == ["100"] and q["extra"] == ["kept"]
    first = http.get("/taplytics/v2/users", params={"api_token": TOKEN, "per_page": 100})
    assert set(_links(first)) == {"first", "next", "last"}  # no prev on page 1; page is added
    last = http.get(first.links["last"]["url"])
    assert set(_links(last)) == {"first", "prev", "last"} and len(last.json()) == 50


def test_links_keep_the_query_as_sent(http: httpx.Client, admin: AdminClient, base_url: str) -> None:
    seed_users(admin, 5)
    # Escapes, "+", a repeated key and an empty value: every byte but page's comes back as it was sent.
    query = f"api_token={TOKEN}&path=a/b:c&email2=a%40x.com&tag=a+b&tag=c%2Bd&empty=&per_page=2&page=2&z=%C3%A9"
    r = http.get(f"/taplytics/v2/users?{query}")
    assert r.status_code == 200 and len(r.json()) == 2
    expected = {rel: f"{base_url}/taplytics/v2/users?{query.replace('page=2&z', f'page={n}&z')}"
                for rel, n in {"first": 1, "prev": 1, "next": 3, "last": 3}.items()}
    assert {rel: link["url"] for rel, link in r.links.items()} == expected
    assert [u["user_id"] for u in http.get(r.links["next"]["url"]).json()] == ["u4"]


def test_per_page_capped_and_past_the_end(http: httpx.Client, admin: AdminClient) -> None:
    seed_users(admin, 120)
    h = {"x-access-token": TOKEN}
    r = http.get("/taplytics/v2/users", params={"per_page": 500}, headers=h)
    assert len(r.json()) == 100  # the account limit
    assert _links(r)["last"]["page"] == ["2"] and _links(r)["last"]["per_page"] == ["500"]
    past = http.get("/taplytics/v2/users", params={"page": 9, "per_page": 100}, headers=h)
    assert past.status_code == 200 and past.json() == []
    assert _links(past)["prev"]["page"] == ["2"] and "next" not in past.links
    small = http.get("/taplytics/v2/users", params={"page": 4, "per_page": 7}, headers=h).json()
    assert [u["user_id"] for u in small] == [f"u{i}" for i in range(21, 28)]  # offset (4-1)*7


@pytest.mark.parametrize(("params", "name"), [({"page": "0"}, "page"), ({"page": "x"}, "page"),
                                             ({"per_page": "-1"}, "per_page"), ({"per_page": "1.5"}, "per_page"),
                                             # digits Python's isdigit() knows but int() does not, or not ASCII
                                             ({"page": "\u00b2"}, "page"), ({"per_page": "\uff11"}, "per_page"),
                                             ({"page": " 1"}, "page")])
def test_bad_page_parameters(http: httpx.Client, admin: AdminClient, params: dict[str, str], name: str) -> None:
    r = http.get("/taplytics/v2/users", params=params, headers={"x-access-token": TOKEN})
    assert r.status_code == 400 and r.json()["error"].startswith(f"{name}:")


def test_sdk_refuses_bad_per_page(client: TaplyticsClient, admin: AdminClient) -> None:
    with pytest.raises(SDKValidationError):
        client.users.iter(per_page=101)
    with pytest.raises(SDKValidationError):
        client.users.iter_by_token(per_page=0)
    assert taplytics_requests(admin) == []


def test_max_pages_and_max_items(client: TaplyticsClient, admin: AdminClient) -> None:
    seed_users(admin, 30)
    assert len(list(client.users.iter(per_page=10, max_pages=2))) == 20
    assert [u.user_id for u in client.users.iter(per_page=10, max_items=15)] == [f"u{i}" for i in range(15)]
    assert len(list(client.users.iter_by_token(per_page=10, max_items=25))) == 25


async def test_async_iteration_by_link(aclient: AsyncTaplyticsClient, admin: AdminClient) -> None:
    seed_users(admin, 250)
    ids = [u.user_id async for u in aclient.users.iter(per_page=100)]
    assert ids == [f"u{i}" for i in range(250)]
    sizes = [len(p.items) async for p in aclient.users.iter(per_page=100).pages()]
    assert sizes == [100, 100, 50]
    page = await aclient.users.list(page=2, per_page=100)
    assert page.items[0].user_id == "u100" and set(page.links) == {"first", "prev", "next", "last"}
    assert len([u async for u in aclient.users.iter(per_page=100, max_pages=2)]) == 200
    assert [u.user_id async for u in aclient.users.iter(per_page=100, max_items=105)][-1] == "u104"
    assert len([u async for u in aclient.users.iter_by_token(per_page=100, max_pages=1)]) == 100


# -- by token ------------------------------------------------------------------------------------
def test_250_users_by_token(http: httpx.Client, client: TaplyticsClient, admin: AdminClient) -> None:
    seed_users(admin, 250)
    pages = list(client.users.iter_by_token(per_page=100).pages())
    assert [len(p.items) for p in pages] == [100, 100, 50]
    assert [u.user_id for p in pages for u in p.items] == [f"u{i}" for i in range(250)]
    h = {"x-access-token": TOKEN}
    body = http.get("/taplytics/v2/usersByToken", params={"per_page": 100}, headers=h).json()
    assert body["numEntities"] == 100 and isinstance(body["nextPaginationToken"], str)
    end = http.get("/taplytics/v2/usersByToken", params={"per_page": 100, "paginationToken": pages[2].cursor},
                   headers=h).json()
    assert end["nextPaginationToken"] is None and end["numEntities"] == 50


def test_token_is_stable_while_users_are_added_and_deleted(http: httpx.Client, client: TaplyticsClient,
                                                           admin: AdminClient) -> None:
    seed_users(admin, 30)
    h = {"x-access-token": TOKEN}
    first = http.get("/taplytics/v2/usersByToken", params={"per_page": 10}, headers=h).json()
    token = first["nextPaginationToken"]
    # Users added after the token, and users deleted before it, move nobody it has yet to return.
    client.users.save({"name": "new"}, user_id="late")
    client.users.delete(user_id="u0")
    client.users.delete(user_id="u3")
    rest = [u.user_id for u in client.users.iter_by_token(per_page=10, token=token)]
    assert rest == [f"u{i}" for i in range(10, 30)] + ["late"]
    # Deleting the very user the token points at changes nothing either.
    client.users.delete(user_id="u9")
    assert [u.user_id for u in client.users.iter_by_token(per_page=5, token=token, max_items=2)] == ["u10", "u11"]


@pytest.mark.parametrize("token", ["garbage!", "dGwxOng", "548223f2c7036020742ff21c"])
def test_bad_pagination_token(http: httpx.Client, admin: AdminClient, token: str) -> None:
    r = http.get("/taplytics/v2/usersByToken", params={"paginationToken": token}, headers={"x-access-token": TOKEN})
    assert r.status_code == 400 and "paginationToken" in r.json()["error"]


async def test_async_by_token(aclient: AsyncTaplyticsClient, admin: AdminClient) -> None:
    seed_users(admin, 120)
    assert [u.user_id async for u in aclient.users.iter_by_token(per_page=50)] == [f"u{i}" for i in range(120)]


# -- resume after a failure mid-iteration --------------------------------------------------------
@pytest.mark.parametrize(("status", "error"), [(429, RateLimited), (503, ServerError), (500, ServerError)])
def test_resume_after_failure_mid_iteration(client: TaplyticsClient, admin: AdminClient, status: int,
                                            error: type[Exception]) -> None:
    seed_users(admin, 250)
    paginator = client.users.iter(per_page=100)
    seen: list[str | None] = []
    pages = paginator.pages()
    seen += [u.user_id for u in next(pages).items]
    # Page 2 fails on every attempt the policy allows (2), so the iteration stops there ...
    admin.faults.add(path="/taplytics/v2/users", method="GET", status=status, times=FAST.max_attempts,
                headers={"Retry-After": "0"})
    with pytest.raises(error):
        next(pages)
    assert paginator.cursor is not None and "page=2" in paginator.cursor
    # The cursor is enough to resume elsewhere (another process, later): a new iterator starts there ...
    assert [u.user_id for u in client.users.iter(cursor=paginator.cursor)] == [f"u{i}" for i in range(100, 250)]
    # ... and iterating again resumes from page 2: nothing is skipped or repeated.
    seen += [u.user_id for u in paginator]
    assert seen == [f"u{i}" for i in range(250)]
    assert paginator.done


def test_resume_by_token_after_503(client: TaplyticsClient, admin: AdminClient) -> None:
    seed_users(admin, 250)
    paginator = client.users.iter_by_token(per_page=100)
    pages = paginator.pages()
    got = [u.user_id for u in next(pages).items]
    token = paginator.cursor
    admin.faults.add(path="/taplytics/v2/usersByToken", status=503, times=FAST.max_attempts)
    with pytest.raises(ServerError):
        next(pages)
    assert paginator.cursor == token  # still the failed page's token
    got += [u.user_id for u in paginator]
    assert got == [f"u{i}" for i in range(250)]


def test_sync_and_async_resources_match() -> None:
    # Every public method of a sync resource has an async twin of the same name and parameters.
    import inspect

    from sdk.taplytics import _client as c

    pairs = [(c.Users, c.AsyncUsers), (c.Experiments, c.AsyncExperiments), (c.Events, c.AsyncEvents),
             (c.Pushes, c.AsyncPushes), (c.TaplyticsClient, c.AsyncTaplyticsClient)]
    for sync, asyn in pairs:
        for name, member in inspect.getmembers(sync, inspect.isfunction):
            if name.startswith("_") or name in ("close",):
                continue
            twin = getattr(asyn, name, None)
            assert twin is not None, f"{asyn.__name__}.{name} is missing"
            assert list(inspect.signature(member).parameters) == list(inspect.signature(twin).parameters), name


def test_transient_failure_is_retried_within_iteration(base_url: str, admin: AdminClient) -> None:
    seed_users(admin, 150)
    admin.faults.add(path="/taplytics/v2/users", method="GET", status=429, times=1, headers={"Retry-After": "0"})
    with TaplyticsClient(TOKEN, base_url=f"{base_url}/taplytics", retry=RetryPolicy(base=0.01)) as c:
        assert len(list(c.users.iter(per_page=100))) == 150
    retries = [r["retry_count"] for r in admin.requests.list(path="/taplytics/v2/users", limit=1000)]
    assert retries == ["0", "1", "0"]  # page 1 failed once, then page 1 again and page 2


async def test_async_resume_after_429(aclient: AsyncTaplyticsClient, admin: AdminClient) -> None:
    seed_users(admin, 150)
    paginator = aclient.users.iter(per_page=100)
    admin.faults.add(path="/taplytics/v2/usersX", status=429)  # matches nothing: proves faults are path-scoped
    got: list[str | None] = []
    async for page in paginator.pages():
        got += [u.user_id for u in page.items]
        admin.faults.add(path="/taplytics/v2/users", method="GET", status=429, times=FAST.max_attempts,
                    headers={"Retry-After": "0"})
        break
    with pytest.raises(RateLimited):
        async for user in paginator:
            got.append(user.user_id)
    got += [u.user_id async for u in paginator]
    assert got == [f"u{i}" for i in range(150)]


def test_next_link_off_origin_is_refused(client: TaplyticsClient, admin: AdminClient) -> None:
    # A rel="next" to another host would carry the token away: the SDK refuses to follow it.
    admin.faults.add(path="/taplytics/v2/users", method="GET", status=200, times=1, body=[],
                headers={"Link": '<https://evil.example/v2/users?page=2>; rel="next"'})
    paginator = client.users.iter()
    with pytest.raises(SDKValidationError) as err:
        list(paginator)
    assert "evil.example" in str(err.value)


def test_repeated_next_link_stops(client: TaplyticsClient, admin: AdminClient, base_url: str) -> None:
    seed_users(admin, 3)
    url = f"{base_url}/taplytics/v2/users?page=%d&per_page=100"
    one = {"id": "x", "created_at": None}
    # A page whose next link is its own URL: fetched once.
    admin.faults.add(path="/taplytics/v2/users", method="GET", status=200, times=1, body=[one],
                headers={"Link": f'<{url % 1}>; rel="next"'})
    assert len(list(client.users.iter())) == 1
    # Page 1 -> page 2 -> page 1 again: the loop is seen when it comes back, so two pages, not three.
    for target in (2, 1, 2):
        admin.faults.add(path="/taplytics/v2/users", method="GET", status=200, times=1, body=[one],
                    headers={"Link": f'<{url % target}>; rel="next"'})
    assert len(list(client.users.iter())) == 2
    assert len(admin.requests.list(path="/taplytics/v2/users", limit=1000)) == 3
    admin.faults.clear()
