"""StatHat, end to end: SDK (sync and async) and raw HTTP → reference server → store → /_admin read-back."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from sdk import (
    AdminClient,
    AsyncStatHatClient,
    BadRequest,
    BatchConfig,
    Stat,
    StatHatClient,
    Unauthorized,
    ValidationError,
)
from sdk.stathat import expand_stat, multi_stat
from sdk.testing.pytest_plugin import Kit

EZKEY = "dev-ezkey"


def stats(admin: AdminClient) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in admin.stathat.stats(EZKEY)}


def total(admin: AdminClient, name: str) -> float:
    return sum(p["count"] for p in stats(admin)[name]["points"])


def values(admin: AdminClient, name: str) -> list[float]:
    return [p["value"] for p in stats(admin)[name]["points"]]


@pytest.fixture
def client(kit: Kit) -> Any:
    with StatHatClient(EZKEY, base_url=f"{kit.url}/stathat", **kit.client_options()) as c:
        yield c


@pytest.fixture
async def aclient(kit: Kit) -> Any:
    async with AsyncStatHatClient(EZKEY, base_url=f"{kit.url}/stathat", **kit.client_options(asynchronous=True)) as c:
        yield c


# -- EZ API through the SDK ------------------------------------------------------------------------
def test_counts_sum_and_values_keep_every_point(client: StatHatClient, admin: AdminClient) -> None:
    t = int(time.time()) - 100
    client.count("signups", 2, t=t)
    client.count("signups", 3, t=t)
    client.count("signups", 4, t=t + 1)
    client.value("load", 0.5, t=t)
    client.value("load", 0.75, t=t)
    s = stats(admin)
    assert s["signups"]["kind"] == "counter"
    assert s["signups"]["points"] == [{"t": t, "count": 5}, {"t": t + 1, "count": 4}]
    assert s["load"]["kind"] == "value"
    assert s["load"]["points"] == [{"t": t, "value": 0.5}, {"t": t, "value": 0.75}]


async def test_async_counts_and_values(aclient: AsyncStatHatClient, admin: AdminClient) -> None:
    await aclient.count("async signups", 7)
    await aclient.count("async signups")
    await aclient.value("async load", 1.25)
    assert total(admin, "async signups") == 8
    assert values(admin, "async load") == [1.25]


def test_missing_t_is_the_time_received(client: StatHatClient, admin: AdminClient) -> None:
    before = int(time.time())
    client.count("now", 1)
    (point,) = stats(admin)["now"]["points"]
    assert before <= point["t"] <= int(time.time())


def test_tilde_fans_out(client: StatHatClient, admin: AdminClient) -> None:
    name = multi_stat("messages sent", ["total", "female", "europe"])
    assert name == "messages sent~total,female,europe"
    client.count(name, 1)
    client.count(name, 2)
    for suffix in ("total", "female", "europe"):
        assert total(admin, f"messages sent {suffix}") == 3
    assert "messages sent~total,female,europe" not in stats(admin)


def test_json_batch_records_every_item(client: StatHatClient, admin: AdminClient) -> None:
    client.post([
        Stat("page view", count=2),
        Stat("messages sent~total,female", count=1),
        Stat("request time~total,messages", value=23.094),
        Stat("ws0: load average", value=0.732, t=1363118126),
    ])
    s = stats(admin)
    assert total(admin, "page view") == 2
    assert total(admin, "messages sent total") == total(admin, "messages sent female") == 1
    assert values(admin, "request time total") == values(admin, "request time messages") == [23.094]
    assert s["ws0: load average"]["points"] == [{"t": 1363118126, "value": 0.732}]


async def test_async_json_batch(aclient: AsyncStatHatClient, admin: AdminClient) -> None:
    await aclient.post([Stat("a", count=1), Stat("a", count=2), Stat("b", value=3)])
    assert total(admin, "a") == 3
    assert values(admin, "b") == [3]


def test_kind_is_fixed_on_first_use(client: StatHatClient, admin: AdminClient) -> None:
    client.count("kind", 1)
    with pytest.raises(BadRequest, match="counter stat"):
        client.value("kind", 2.0)
    assert stats(admin)["kind"]["kind"] == "counter"
    assert total(admin, "kind") == 1


# -- classic API ------------------------------------------------------------------------------------
def test_classic_counter_and_value(client: StatHatClient, admin: AdminClient) -> None:
    client.classic_count("dev-counter-key", "dev-ukey")  # count defaults to 1
    client.classic_count("dev-counter-key", "dev-ukey", 4)
    client.classic_value("dev-value-key", "dev-ukey", 13.947)
    assert total(admin, "classic counter") == 5
    assert values(admin, "classic value") == [13.947]


async def test_async_classic_and_seeded_stats(aclient: AsyncStatHatClient, admin: AdminClient) -> None:
    admin.seed({"stathat": {"classic": [{"name": "orders", "kind": "counter", "key": "k-orders", "ukey": "u-me"}]}})
    await aclient.classic_count("k-orders", "u-me", 3, t=1362772440)
    await aclient.classic_value("dev-value-key", "dev-ukey", 2.5)
    assert stats(admin)["orders"]["points"] == [{"t": 1362772440, "count": 3}]
    assert values(admin, "classic value") == [2.5]


@pytest.mark.parametrize(("key", "ukey"), [("dev-counter-key", "wrong"), ("wrong", "dev-ukey")])
def test_classic_wrong_keys_refused(client: StatHatClient, admin: AdminClient, key: str, ukey: str) -> None:
    with pytest.raises(Unauthorized, match="key/ukey"):
        client.classic_count(key, ukey)
    assert stats(admin)["classic counter"]["points"] == []


def test_classic_value_requires_value(http: httpx.Client, admin: AdminClient) -> None:
    body = http.post("/stathat/v", data={"key": "dev-value-key", "ukey": "dev-ukey"}).json()
    assert body["status"] == 400 and "value" in body["msg"]
    body = http.post("/stathat/c", data={"key": "dev-value-key", "ukey": "dev-ukey"}).json()
    assert body["status"] == 400 and "value stat" in body["msg"]
    assert stats(admin)["classic value"]["points"] == []


# -- the wire: GET, form, JSON, aliases, strings ----------------------------------------------------
def test_get_and_form_and_email_alias_and_strings(http: httpx.Client, admin: AdminClient) -> None:
    assert http.get("/stathat/ez", params={"ezkey": EZKEY, "stat": "w", "count": "2"}).json() == {
        "status": 200, "msg": "ok"}
    assert http.post("/stathat/ez", data={"email": EZKEY, "stat": "w", "count": "3.5"}).json()["status"] == 200
    assert http.post("/stathat/ez", json={"email": EZKEY, "data": [{"stat": "w", "count": "1", "t": "1362772440"}]}
                     ).json()["status"] == 200
    assert http.get("/stathat/c", params={"key": "dev-counter-key", "ukey": "dev-ukey", "count": "2"}
                    ).json()["status"] == 200
    assert total(admin, "w") == 6.5
    assert {"t": 1362772440, "count": 1} in stats(admin)["w"]["points"]
    assert total(admin, "classic counter") == 2


def bad(http: httpx.Client, **kwargs: Any) -> dict[str, Any]:
    response = http.post("/stathat/ez", **kwargs)
    assert response.status_code == 200, "StatHat reports rule errors with HTTP 200"
    body: dict[str, Any] = response.json()
    assert body["status"] == 400, body
    return body


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        ({"data": {"stat": "x", "count": "1"}}, "ezkey"),
        ({"data": {"ezkey": EZKEY, "count": "1"}}, "stat"),
        ({"data": {"ezkey": EZKEY, "stat": "x"}}, "count or a value"),
        ({"data": {"ezkey": EZKEY, "stat": "x", "count": "1", "value": "2"}}, "exactly one"),
        ({"data": {"ezkey": EZKEY, "stat": "x", "count": "ten"}}, "count: 'ten' is not a number"),
        ({"data": {"ezkey": EZKEY, "stat": "x" * 256, "count": "1"}}, "256 characters, over 255"),
        ({"data": {"ezkey": EZKEY, "stat": "p~" + "y" * 254, "count": "1"}}, "over 255"),
        ({"data": {"ezkey": EZKEY, "stat": "a~b~c", "count": "1"}}, "at most one ~"),
        ({"data": {"ezkey": EZKEY, "stat": "x", "count": "1", "t": "yesterday"}}, "t: 'yesterday'"),
        ({"data": {"ezkey": EZKEY, "stat": "x", "count": "1", "t": "1362772440000"}}, "milliseconds instead"),
        ({"json": {"data": [{"stat": "x", "count": 1}]}}, "ezkey"),
        ({"json": {"ezkey": EZKEY}}, "data: missing"),
        ({"json": {"ezkey": EZKEY, "data": {"stat": "x", "count": 1}}}, "data: must be a list"),
        ({"json": {"ezkey": EZKEY, "data": []}}, "at least 1 item"),
        ({"json": [1, 2]}, "JSON object"),
        ({"content": b'{"ezkey": "dev-ezkey", "data": [', "headers": {"Content-Type": "application/json"}},
         "malformed JSON"),
    ],
)
def test_bad_ez_requests_name_the_problem(http: httpx.Client, admin: AdminClient, kwargs: dict[str, Any],
                                          names: str) -> None:
    assert names in bad(http, **kwargs)["msg"]
    assert stats(admin).keys() == {"classic counter", "classic value"}, "nothing was recorded"


def test_unknown_ezkey_refused(http: httpx.Client, admin: AdminClient) -> None:
    body = http.post("/stathat/ez", data={"ezkey": "nobody", "stat": "x", "count": "1"}).json()
    assert body == {"status": 401, "msg": "ezkey: no account has this ezkey (send the account's email address, "
                                          "or seed the ezkey)"}
    admin.seed({"stathat": {"ezkeys": ["nobody"]}})
    assert http.post("/stathat/ez", data={"ezkey": "nobody", "stat": "x", "count": "1"}).json()["status"] == 200


def test_batch_with_one_bad_item_records_nothing(http: httpx.Client, admin: AdminClient) -> None:
    body = bad(http, json={"ezkey": EZKEY, "data": [
        {"stat": "good", "count": 1}, {"stat": "bad", "count": "NaN?"}, {"stat": "good2", "value": 1}]})
    assert body["msg"].startswith("data[1]: ")
    body = bad(http, json={"ezkey": EZKEY, "data": [{"stat": "good", "count": 1}, {"stat": "bad"}]})
    assert body["msg"] == "data[1]: must include a count or a value (exactly one)"
    assert "good" not in stats(admin)


def test_oversized_batch_refused(http: httpx.Client, admin: AdminClient) -> None:
    body = bad(http, json={"ezkey": EZKEY, "data": [{"stat": "s", "count": 1}] * 1001})
    assert body["msg"] == "data: must have at most 1000 items"
    assert "s" not in stats(admin)


def test_body_over_the_limit_is_413_json(http: httpx.Client, admin: AdminClient) -> None:
    response = http.post("/stathat/ez", content=b"x" * (10 * 1024 * 1024 + 1),
                         headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["status"] == 413
    assert stats(admin).keys() == {"classic counter", "classic value"}, "nothing was recorded"


def test_unknown_path_and_method_are_json(http: httpx.Client) -> None:
    response = http.get("/stathat/nope")
    assert response.status_code == 404 and response.json()["status"] == 404
    response = http.delete("/stathat/ez")
    assert response.status_code == 405 and "DELETE" in response.json()["msg"]


# -- SDK-side validation: nothing is sent ----------------------------------------------------------
def test_sdk_refuses_bad_input_before_sending(client: StatHatClient, admin: AdminClient) -> None:
    with pytest.raises(ValidationError, match="over 255"):
        client.count("x" * 256)
    with pytest.raises(ValidationError, match="exactly one"):
        Stat("x")
    with pytest.raises(ValidationError, match="not a number"):
        client.count("x", "ten")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="ezkey"):
        StatHatClient(base_url="http://127.0.0.1:1").count("x")
    with pytest.raises(ValidationError, match="at most 1000"):
        client.post([Stat("x", count=1)] * 1001)
    with pytest.raises(ValidationError, match="milliseconds"):
        client.count("x", 1, t=1362772440000)
    assert admin.requests.list(path="/stathat", limit=1000) == []
    assert expand_stat("a~b, c") == ["a b", "a c"]


async def test_async_sdk_refuses_bad_input_and_raises_typed_errors(aclient: AsyncStatHatClient, admin: AdminClient,
                                                                   ) -> None:
    with pytest.raises(ValidationError, match="over 255"):
        await aclient.count("x" * 256)
    with pytest.raises(ValidationError, match="not a number"):
        await aclient.value("x", "ten")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="at most 1000"):
        await aclient.post([Stat("x", count=1)] * 1001)
    with pytest.raises(ValidationError, match="key and ukey"):
        await aclient.classic_count("", "dev-ukey")
    with pytest.raises(ValidationError, match="milliseconds"):
        await aclient.classic_value("dev-value-key", "dev-ukey", 1.0, t=1362772440000)
    assert admin.requests.list(path="/stathat", limit=1000) == []
    await aclient.count("async kind", 1)
    with pytest.raises(BadRequest, match="counter stat") as info:
        await aclient.post([Stat("fine", count=1), Stat("async kind", value=2)])
    assert info.value.status == 400 and info.value.message.startswith("data[1]: ")
    with pytest.raises(Unauthorized, match="key/ukey"):
        await aclient.classic_value("dev-value-key", "wrong", 1.5)
    assert "fine" not in stats(admin) and total(admin, "async kind") == 1


def test_sdk_raises_typed_error_from_body_status(client: StatHatClient) -> None:
    bad_client = client.with_options()
    bad_client.ezkey = "unknown-key"
    with pytest.raises(Unauthorized) as info:
        bad_client.count("x")
    assert info.value.status == 401
    assert "unknown-key" not in str(info.value)


# -- the batcher end to end ------------------------------------------------------------------------
def test_batcher_sums_counters_and_keeps_values(client: StatHatClient, admin: AdminClient) -> None:
    with client.batcher() as batch:
        for i in range(500):
            batch.add(Stat("batched", count=1))
            batch.add(Stat("batched value", value=i))
    assert total(admin, "batched") == 500
    assert sorted(values(admin, "batched value")) == list(range(500))
    posts = [r for r in admin.requests.list(path="/stathat/ez", limit=1000)]
    assert 1 <= len(posts) <= 3, "a handful of JSON batches, not one request per item"


@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_batcher_never_sends_more_than_a_batch_holds(base_url: str, admin: AdminClient, flavour: str) -> None:
    config = BatchConfig(max_items=5000, interval=60)  # asks for more than the server takes in one batch
    items = [Stat("many values", value=i) for i in range(1500)]  # values are never merged
    if flavour == "sync":
        with StatHatClient(EZKEY, base_url=f"{base_url}/stathat") as c, c.batcher(config) as batch:
            for item in items:
                batch.add(item)
    else:
        async with AsyncStatHatClient(EZKEY, base_url=f"{base_url}/stathat") as ac, ac.batcher(config) as abatch:
            for item in items:
                await abatch.add(item)
    # A batch over 1000 items would have been refused whole (and recorded nothing): every value is there.
    assert sorted(values(admin, "many values")) == list(range(1500))
    assert len(admin.requests.list(path="/stathat/ez", limit=1000)) >= 2


def test_batcher_shared_by_threads_delivers_each_count_exactly_once(client: StatHatClient, admin: AdminClient) -> None:
    threads, per_thread = 8, 500
    with client.batcher(BatchConfig(max_items=200, interval=0.01, max_queue=100_000)) as batch:
        def produce() -> None:
            for _ in range(per_thread):
                batch.add(Stat("threaded", count=1))

        workers = [threading.Thread(target=produce) for _ in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    assert batch.stats["failed"] == batch.stats["dropped"] == 0
    assert total(admin, "threaded") == threads * per_thread


async def test_async_batcher(aclient: AsyncStatHatClient, admin: AdminClient) -> None:
    async with aclient.batcher() as batch:
        for _ in range(300):
            await batch.add(Stat("abatched~x,y", count=2))
    assert total(admin, "abatched x") == total(admin, "abatched y") == 600


# -- the SDK's wire format, recorded once and replayed ----------------------------------------------
def test_wire_format_cassette(base_url: str, admin: AdminClient) -> None:
    from contract_tests.cassettes import CASSETTES
    from sdk.testing import make_vcr

    with make_vcr(CASSETTES).use_cassette("stathat_sdk.yaml"), \
            StatHatClient(EZKEY, base_url=f"{base_url}/stathat") as c:
        c.count("cassette count", 2, t=1362772440)
        c.value("cassette value", 0.375, t=1362772440)
        c.post([Stat("cassette batch~a,b", count=1, t=1362772440), Stat("cassette v", value=1.5, t=1362772440)])
        c.classic_count("dev-counter-key", "dev-ukey", 3, t=1362772440)
        c.classic_value("dev-value-key", "dev-ukey", 13.947, t=1362772440)
    text = (CASSETTES / "stathat_sdk.yaml").read_text()
    for secret in (EZKEY, "dev-counter-key", "dev-value-key", "dev-ukey"):
        assert secret not in text
    assert "cassette batch~a,b" in text and "stat=cassette+count" in text


def test_errors_carry_the_servers_request_id(client: StatHatClient, admin: AdminClient) -> None:
    with pytest.raises(BadRequest) as info:
        client.post([Stat("rid", count=1), Stat("rid", value=1)])
    (entry,) = admin.requests.list(path="/stathat/ez", limit=1000)
    assert info.value.request_id == entry["id"] and len(entry["id"]) == 32
    assert f"(request id {entry['id']})" in str(info.value)


@pytest.mark.parametrize(
    ("path", "data", "status", "message"),
    [
        ("/stathat/c", {"key": "dev-counter-key", "ukey": "dev-ukey", "count": "ten"}, 400,
         "count: 'ten' is not a number"),
        ("/stathat/c", {"ukey": "dev-ukey"}, 400, "key: missing"),
        ("/stathat/c", {"key": "dev-counter-key"}, 400, "ukey: missing"),
        ("/stathat/v", {"key": "dev-value-key", "ukey": "dev-ukey", "value": "x"}, 400, "value: 'x' is not a number"),
        ("/stathat/v", {"key": "dev-value-key", "ukey": "dev-ukey", "value": ""}, 400, "value: missing"),
        ("/stathat/c", {"key": "dev-counter-key", "ukey": "dev-ukey", "t": "soon"}, 400,
         "t: 'soon' is not unix seconds"),
    ],
)
def test_classic_errors_speak_like_ez(http: httpx.Client, admin: AdminClient, path: str, data: dict[str, str],
                                      status: int, message: str) -> None:
    assert http.post(path, data=data).json() == {"status": status, "msg": message}
    assert stats(admin)["classic counter"]["points"] == stats(admin)["classic value"]["points"] == []


def test_classic_blank_count_counts_one(http: httpx.Client, admin: AdminClient) -> None:
    assert http.get("/stathat/c", params={"key": "dev-counter-key", "ukey": "dev-ukey", "count": ""}).json()[
        "status"] == 200
    assert total(admin, "classic counter") == 1
