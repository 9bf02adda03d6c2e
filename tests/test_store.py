"""Both stores behave alike; SQLite survives restarts and is shared safely by several processes."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from mock_server.store import MemoryStore, SqliteStore, Store, open_store
from tests.servers import drop_schema, postgres_url


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    if request.param == "sqlite":
        s: Store = SqliteStore(str(tmp_path / "s.db"))
        yield s
        s.close()
        return
    url = postgres_url()
    s = open_store(url)
    yield s
    s.close()
    drop_schema(url)


def test_get_put_delete_roundtrip(store: Store) -> None:
    assert store.get("ns", "a") is None
    store.put("ns", "a", {"x": [1, 2]})
    value = store.get("ns", "a")
    value["x"].append(3)  # a fetched value is a copy: nothing changes until put
    assert store.get("ns", "a") == {"x": [1, 2]}
    assert store.delete("ns", "a") is True
    assert store.delete("ns", "a") is False
    assert store.get("ns", "a") is None


def test_insertion_order_slices_and_index(store: Store) -> None:
    for i in range(10):
        store.put("users", f"u{i}", i)
    store.put("users", "u3", 33)  # an update keeps its place
    store.delete("users", "u5")
    assert [k for k, _ in store.items("users")] == [f"u{i}" for i in range(10) if i != 5]
    assert store.items("users", offset=2, limit=3) == [("u2", 2), ("u3", 33), ("u4", 4)]
    assert store.items("users", offset=100) == []
    assert store.count("users") == 9
    assert store.index_of("users", "u6") == 5
    assert store.index_of("users", "nope") is None
    store.put("users", "u5", 5)  # re-added: now last
    assert store.items("users", offset=9) == [("u5", 5)]


def test_namespaces_and_clear(store: Store) -> None:
    store.put("a", "k", 1)
    store.put("b", "k", 2)
    store.clear("a")
    assert store.get("a", "k") is None and store.get("b", "k") == 2
    store.clear()
    assert store.count("b") == 0


def test_transaction_rolls_back_on_error(store: Store) -> None:
    store.put("ns", "k", 1)
    store.put("ns", "gone", 9)
    store.put("other", "x", 1)
    with pytest.raises(RuntimeError), store.transaction():
        store.put("ns", "k", 2)
        with store.transaction():  # nested: joins the outer one
            store.put("ns", "j", 3)
            store.delete("ns", "gone")
            store.clear("other")
            store.put("other", "y", 2)
        raise RuntimeError("boom")
    assert store.get("ns", "k") == 1 and store.get("ns", "j") is None and store.get("ns", "gone") == 9
    assert store.items("other") == [("x", 1)]
    assert store.count("ns") == 2
    with store.transaction():  # and a clean transaction commits
        store.put("ns", "k", 5)
    assert store.get("ns", "k") == 5


def test_append_keeps_the_newest_in_order(store: Store) -> None:
    """The journal's write: O(1) a call in every store (the oldest goes as the newest comes, nothing scanned)."""
    for i in range(30):
        store.append("log", {"i": i}, 5)
    assert [v["i"] for _, v in store.items("log")] == [25, 26, 27, 28, 29]
    assert store.count("log") == 5 and store.items("log", offset=3, limit=1)[0][1] == {"i": 28}
    store.append("log", {"i": 30}, 2)  # a smaller cap (a restarted server's new config) trims the rest at once
    assert [v["i"] for _, v in store.items("log")] == [29, 30]
    with pytest.raises(RuntimeError), store.transaction():
        store.append("log", {"i": 31}, 2)
        raise RuntimeError
    assert sorted(v["i"] for _, v in store.items("log")) == [29, 30]  # (memory puts a restored key last)
    store.clear("log")
    store.append("log", {"i": 0}, 2)
    assert [v for _, v in store.items("log")] == [{"i": 0}]


def test_memory_deletes_and_appends_do_not_grow_the_order() -> None:
    """What made the journal slow down: a delete scanned the order for its key, and holes piled up. Now the
    order of a namespace trimmed at its start holds the live keys and at most as many holes."""
    store = MemoryStore()
    for i in range(5000):
        store.append("log", i, 10)
    space = store._ns["log"]
    assert len(space.order) <= 2 * 10 + 64 and space.holes <= len(space.order) and store.count("log") == 10
    for i in range(1000):  # deletes anywhere keep slices and positions right
        store.put("users", f"u{i}", i)
    for i in range(0, 1000, 3):
        store.delete("users", f"u{i}")
    live = [i for i in range(1000) if i % 3]
    assert [v for _, v in store.items("users")] == live
    assert store.items("users", offset=500, limit=2) == [(f"u{live[500]}", live[500]), (f"u{live[501]}", live[501])]
    assert store.index_of("users", "u998") == len(live) - 1


def test_sqlite_survives_a_restart(tmp_path: Path) -> None:
    path = str(tmp_path / "r.db")
    s = SqliteStore(path)
    s.put("ns", "k", {"v": 1})
    s.close()
    assert SqliteStore(path).get("ns", "k") == {"v": 1}


def _increment(path: str, times: int) -> None:
    s = SqliteStore(path)
    for _ in range(times):
        with s.transaction():
            s.put("ns", "n", (s.get("ns", "n") or 0) + 1)


def test_sqlite_read_modify_write_is_atomic_across_processes(tmp_path: Path) -> None:
    path = str(tmp_path / "p.db")
    SqliteStore(path)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_increment, args=(path, 200)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert SqliteStore(path).get("ns", "n") == 800


def test_open_store() -> None:
    assert isinstance(open_store(None), MemoryStore)
    assert isinstance(open_store("memory://"), MemoryStore)
    with pytest.raises(ValueError, match="unknown store"):
        open_store("redis://x")


def test_sqlite_slices_seek_the_position_index(tmp_path: Path) -> None:
    """A far page is found through the (ns, pos) index, not by walking the rows before it."""
    s = SqliteStore(str(tmp_path / "seek.db"))
    with s.transaction():
        for i in range(300):
            s.put("users", f"u{i}", i)
    s.delete("users", "u0")  # first: positions stay dense without moving anything
    s.delete("users", "u150")  # middle: later rows shift down
    s.delete("users", "u299")  # last
    keys = [f"u{i}" for i in range(1, 299) if i != 150]
    assert [k for k, _ in s.items("users")] == keys
    assert [k for k, _ in s.items("users", offset=200, limit=5)] == keys[200:205]
    assert s.count("users") == len(keys) and s.index_of("users", "u151") == keys.index("u151")
    plan = " ".join(str(row) for row in s._conn().execute(
        "EXPLAIN QUERY PLAN SELECT key, value FROM kv WHERE ns=? AND pos>=? ORDER BY pos LIMIT ?", ("users", 200, 5)))
    assert "kv_ns_pos" in plan and "pos>?" in plan


def test_sqlite_refuses_a_file_of_the_older_layout(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE kv (id INTEGER PRIMARY KEY, ns TEXT, key TEXT, value TEXT, UNIQUE (ns, key))")
    with pytest.raises(ValueError, match="older layout"):
        SqliteStore(str(path))


def _increments(store: Store, threads: int, times: int) -> None:
    def increment() -> None:
        for _ in range(times):
            with store.transaction():
                store.put("ns", "n", store.get("ns", "n") + 1)

    running = [threading.Thread(target=increment) for _ in range(threads)]
    for t in running:
        t.start()
    for t in running:
        t.join()


def test_concurrent_increments_are_exact(store: Store) -> None:
    """8 threads x 10k read-modify-writes of one counter: none lost, none doubled (the isolation every store gives;
    PostgreSQL across processes too: the test below, 2 processes x 8 threads x 5k)."""
    store.put("ns", "n", 0)
    _increments(store, 8, 10_000)
    assert store.get("ns", "n") == 80_000


def _instance(url: str) -> None:
    store = open_store(url)
    _increments(store, 8, 5_000)
    store.close()


def test_postgres_increments_from_two_processes_are_exact() -> None:
    """Two processes (as two instances on two machines) x 8 threads x 5k increments of one counter: exactly 80k."""
    url = postgres_url()
    try:
        store = open_store(url)
        store.put("ns", "n", 0)
        ctx = multiprocessing.get_context("spawn")
        procs = [ctx.Process(target=_instance, args=(url,)) for _ in range(2)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(600)
            assert p.exitcode == 0
        assert store.get("ns", "n") == 80_000
        store.close()
    finally:
        drop_schema(url)


def test_a_forked_child_opens_its_own_connection(tmp_path: Path) -> None:
    """A forked worker never uses its parent's SQLite connection; both go on working afterwards."""
    s = SqliteStore(str(tmp_path / "fork.db"))
    s.put("ns", "n", 0)
    parent = s._conn()
    pid = os.fork()
    if pid == 0:  # the child: a connection of its own, and the parent's left alone
        ok = s._conn() is not parent
        with s.transaction():
            s.put("ns", "n", s.get("ns", "n") + 1)
        s.close()
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert s._conn() is parent and s.get("ns", "n") == 1
    s.put("ns", "n", 2)
    assert s.get("ns", "n") == 2


def test_a_snapshot_reads_one_state(store: Store) -> None:
    for i in range(3):
        store.put("s", f"k{i}", i)
    with store.snapshot():
        assert store.count("s") == 3 and [k for k, _ in store.items("s", 1, 5)] == ["k1", "k2"]
    with store.transaction(), store.snapshot():  # inside a transaction it joins it, and sees its writes
        store.put("s", "k3", 3)
        assert store.count("s") == 4
    assert store.get("s", "k3") == 3


SQL_STORES = pytest.mark.parametrize("store", ["sqlite", "postgresql"], indirect=True)


@SQL_STORES
def test_a_snapshot_takes_no_write_lock_and_keeps_its_state_while_others_write(store: Store) -> None:
    store.put("s", "a", 1)
    writing, written, done = threading.Event(), threading.Event(), threading.Event()

    def writer() -> None:
        with store.transaction():  # holds the write lock (in the process, and the database's) until told
            store.put("s", "a", 2)
            writing.set()
            done.wait(30)
        written.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert writing.wait(30)
        answered = threading.Event()

        def reader() -> None:
            with store.snapshot():
                assert store.get("s", "a") == 1  # the writer's value is not committed yet
            answered.set()

        reading = threading.Thread(target=reader)
        reading.start()
        assert answered.wait(10), "a snapshot waited for a writer's lock"
        reading.join()
        with store.snapshot():
            before = store.count("s")
            done.set()
            assert written.wait(30)  # a writer commits while this snapshot is open...
            assert store.count("s") == before and store.get("s", "a") == 1  # ...which still sees its own state
        assert store.get("s", "a") == 2
    finally:
        done.set()
        thread.join(30)


@SQL_STORES
def test_a_write_inside_a_snapshot_is_refused(store: Store) -> None:
    with store.snapshot(), pytest.raises(RuntimeError, match="inside a snapshot"):
        store.put("s", "a", 1)
    store.put("s", "a", 2)  # the snapshot ended cleanly
    assert store.get("s", "a") == 2
