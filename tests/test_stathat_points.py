"""StatHat keeps each stat's points apart from the stat: a write reads and writes one second's document (a counter)
or appends one point (a value), however many the stat holds; a store of the older layout (every point inside the
stat's own document) is read as it is and moved out on the stat's next write, in every store."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mock_server import create_app
from mock_server.services.stathat.backend import ACCOUNTS, DEV_EZKEY, STATS, Update
from mock_server.store import open_store
from schemas import wire
from sdk import AsyncStatHatClient, StatHatClient

from .servers import drop_schema, postgres_url, served


def _spy(store: Any, sizes: list[int]) -> None:
    """Record the size of every document ``store`` reads or writes from now on."""
    get, put, append = store.get, store.put, store.append

    def spied_get(ns: str, key: str) -> Any:
        value = get(ns, key)
        sizes.append(len(wire.dumps(value)))
        return value

    def spied_put(ns: str, key: str, value: Any) -> None:
        sizes.append(len(wire.dumps(value)))
        put(ns, key, value)

    def spied_append(ns: str, value: Any, keep: int) -> None:
        if ns.startswith("stathat."):
            sizes.append(len(wire.dumps(value)))
        append(ns, value, keep)

    store.get, store.put, store.append = spied_get, spied_put, spied_append


@pytest.mark.parametrize("field", ["count", "value"])
def test_a_write_touches_one_small_document_however_many_points_the_stat_holds(field: str) -> None:
    app = create_app({})
    backend = app.extensions["analytics_api_kit"].services["stathat"].backend
    now = int(time.time())
    kind = "counter" if field == "count" else "value"
    backend.record(DEV_EZKEY, [Update("busy", kind, 1, now - 4999 + i) for i in range(5000)])
    sizes: list[int] = []
    _spy(backend.store, sizes)
    reply = app.test_client().post("/stathat/ez", data={"ezkey": DEV_EZKEY, "stat": "busy", field: "2", "t": now})
    assert reply.get_json() == {"status": 200, "msg": "ok"}
    assert sizes and max(sizes) < 200, sizes  # the old layout read and wrote ~150 KB here
    (stat,) = [s for s in backend.stats(DEV_EZKEY) if s["name"] == "busy"]
    assert len(stat["points"]) == 5000 + (field == "value")
    assert stat["points"][-1] == {"t": now, field: 2 if field == "value" else 3}  # the counter's second summed
    assert [p["t"] for p in stat["points"]] == sorted(p["t"] for p in stat["points"])


def test_counters_read_back_in_time_order_and_values_as_sent() -> None:
    app = create_app({})
    client = app.test_client()
    for t, n in ((300, 1), (100, 2), (200, 3), (100, 4)):
        client.post("/stathat/ez", data={"ezkey": DEV_EZKEY, "stat": "c", "count": n, "t": t})
    for t, v in ((300, 0.5), (100, 0.25), (300, 0.125)):
        client.post("/stathat/ez", data={"ezkey": DEV_EZKEY, "stat": "v", "value": v, "t": t})
    stats = {s["name"]: s["points"] for s in client.get("/_admin/stathat/stats").get_json()["stats"]}
    assert stats["c"] == [{"t": 100, "count": 6}, {"t": 200, "count": 3}, {"t": 300, "count": 1}]
    assert stats["v"] == [{"t": 300, "value": 0.5}, {"t": 100, "value": 0.25}, {"t": 300, "value": 0.125}]


def test_a_refused_batch_leaves_no_point() -> None:
    app = create_app({})
    client = app.test_client()
    client.post("/stathat/ez", data={"ezkey": DEV_EZKEY, "stat": "v", "value": 1, "t": 100})
    bad = {"ezkey": DEV_EZKEY, "data": [{"stat": "c", "count": 1, "t": 100}, {"stat": "v", "count": 1}]}
    assert client.post("/stathat/ez", json=bad).get_json()["status"] == 400
    stats = {s["name"]: s["points"] for s in client.get("/_admin/stathat/stats").get_json()["stats"]}
    assert "c" not in stats and {k: v for k, v in stats.items() if v} == {"v": [{"t": 100, "value": 1}]}


# -- a store written by an older version -------------------------------------------------------------------
OLD_COUNTER = {"name": "old counter", "kind": "counter", "points": [{"t": 100, "count": 2}, {"t": 200, "count": 5}]}
OLD_VALUE = {"name": "old value", "kind": "value", "points": [{"t": 100, "value": 0.5}]}


def _older_store(url: str) -> None:
    """A store as an older version left it: the defaults, and two stats with their points inside them."""
    create_app({"store": url}).extensions["analytics_api_kit"].store.close()
    store = open_store(url)
    with store.transaction():
        store.put(ACCOUNTS, DEV_EZKEY, {})
        store.put(STATS, f"{DEV_EZKEY}\x1fold counter", OLD_COUNTER)
        store.put(STATS, f"{DEV_EZKEY}\x1fold value", OLD_VALUE)
    store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def older_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'older.db'}"
        _older_store(url)
        yield url
    else:
        url = postgres_url()
        try:
            _older_store(url)
            yield url
        finally:
            drop_schema(url)


async def test_an_older_stores_points_are_read_and_moved_on_the_next_write(older_store: str) -> None:
    with served("--store", older_store) as server:
        points = {s["name"]: s["points"] for s in server.admin.stathat.stats(DEV_EZKEY)}
        assert points["old counter"] == OLD_COUNTER["points"] and points["old value"] == OLD_VALUE["points"]
        with StatHatClient(DEV_EZKEY, base_url=f"{server.url}/stathat") as client:
            client.count("old counter", 3, t=200)  # a second the document holds: summed with it
        async with AsyncStatHatClient(DEV_EZKEY, base_url=f"{server.url}/stathat") as aclient:
            await aclient.count("old counter", 1, t=150)
            await aclient.value("old value", 0.75, t=50)
        points = {s["name"]: s["points"] for s in server.admin.stathat.stats(DEV_EZKEY)}
    assert points["old counter"] == [{"t": 100, "count": 2}, {"t": 150, "count": 1}, {"t": 200, "count": 8}]
    assert points["old value"] == [{"t": 100, "value": 0.5}, {"t": 50, "value": 0.75}]
    store = open_store(older_store)
    try:
        assert store.get(STATS, f"{DEV_EZKEY}\x1fold counter") == {"name": "old counter", "kind": "counter"}
        assert store.get(STATS, f"{DEV_EZKEY}\x1fold value") == {"name": "old value", "kind": "value"}
    finally:
        store.close()
