"""``mock-server`` through the real console script: what it refuses, what its banner says, how it serves and stops."""

from __future__ import annotations

import signal
import socket
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from mock_server.serving import available
from sdk import StatHatClient
from tests.servers import Served, run, served, total


def test_version() -> None:
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("mock-server (analytics-api-kit) 0.")


@pytest.mark.parametrize(("args", "says"), [
    (["--port", "70000"], "argument --port: 70000 is out of range: a TCP port is from 0 to 65535"),
    (["--port", "-1"], "argument --port: -1 is out of range"),
    (["--port", "80x"], "argument --port: '80x' is not a whole number"),
    (["--workers", "0"], "argument --workers: 0 is out of range: --workers is from 1 to 64"),
    (["--threads", "0"], "argument --threads: 0 is out of range"),
    (["--workers", "2"], "--workers > 1 needs a shared store: --store sqlite:///path.db or postgresql://"),
    (["--store", "memory"], "unknown store 'memory': use memory://"),
    (["--store", "sqlite://relative.db"], "unknown store 'sqlite://relative.db'"),
    (["--store", "redis://nowhere"], "unknown store 'redis://nowhere'"),
    (["--store", "postgresql://postgres@127.0.0.1:1/test"], "cannot connect to PostgreSQL"),
    (["--store", "postgresql://u:s3cret@127.0.0.1:1/test"], "postgresql://u:***@127.0.0.1:1/test"),
    (["--config", "/nonexistent.json"], "/nonexistent.json"),
    (["--server", "waitress", "--workers", "2", "--store", "sqlite:///x.db"], "waitress serves from one process"),
])
def test_refuses_bad_arguments_with_a_clear_message(args: list[str], says: str) -> None:
    r = run(*args)
    assert r.returncode == 2, r
    assert says in r.stderr and "Traceback" not in r.stderr and "s3cret" not in r.stderr
    assert r.stdout == ""  # no banner for a server that does not start


def test_refuses_a_sqlite_file_it_cannot_use_and_creates_no_directory(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "dir"
    r = run("--store", f"sqlite:///{missing}/m.db")
    assert r.returncode == 2 and f"directory {missing} does not exist (it is not created for you)" in r.stderr
    assert not (tmp_path / "no").exists()
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database, just some text that is long enough to have a header" * 10)
    r = run("--store", f"sqlite:///{junk}")
    assert r.returncode == 2 and "is not a SQLite store (file is not a database)" in r.stderr
    assert "Traceback" not in r.stderr and junk.read_text().startswith("not a database")


@pytest.mark.parametrize(("text", "says"), [
    ('{"store": 5}', "line 1: store: must be of type string"),
    ('{\n  "journal_size": "x"\n}', "line 2: journal_size: must be of type integer"),
    ('{\n  "max_body": -1\n}', "line 2: max_body: must be at least 1"),
    ('{"services": {\n  "stathat": {\n    "accept_any_ezky": true}}}',
     "line 3: unknown key 'services.stathat.accept_any_ezky' (known here: accept_any_ezkey)"),
    ('{"services": {"countly": {"session_cooldown": "15"}}}',
     "line 1: services.countly.session_cooldown: must be of type integer"),
    ('{"storage": "memory://"}', "line 1: unknown key 'storage'"),
    ('{"store": "memory"}', "line 1: store: does not match the pattern ^(memory://"),
    ('{"journal_size": 5,}', "line 1: not valid JSON"),
])
def test_refuses_a_bad_config_file_naming_the_key_the_file_and_the_line(
        tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "server.json"
    path.write_text(text)
    r = run("--config", str(path))
    assert r.returncode == 2 and f"mock-server: {path} {says}" in r.stderr and "Traceback" not in r.stderr


def test_a_taken_port_is_refused_before_any_banner() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = run("--port", str(port))
    assert r.returncode == 2 and r.stdout == ""
    assert f"port {port} on 127.0.0.1 is already in use" in r.stderr and "--port" in r.stderr


def test_banner_names_the_bound_port_the_store_and_the_demo_data(tmp_path: Path) -> None:
    with served() as s:
        assert s.url.startswith("http://127.0.0.1:") and not s.url.endswith(":0")
        assert "store memory://; no demo data" in s.banner and s.banner.rstrip().endswith("Ctrl-C to quit")
        assert "gunicorn, 1 worker x 8 threads" in s.banner or "waitress" in s.banner
        assert s.admin.health()["store"] == "memory://"
    db = tmp_path / "demo.db"
    with served("--demo-data", "--store", f"sqlite:///{db}") as s:
        assert f"store sqlite:///{db}; demo data loaded" in s.banner
        assert s.admin.state()["reports"]


def _servers() -> list[str]:
    return [name for name in ("gunicorn", "waitress", "granian") if available(name)]


@pytest.mark.parametrize("server", _servers())
@pytest.mark.parametrize(("sig", "status"), [(signal.SIGTERM, 0), (signal.SIGINT, 130)])
def test_shutdown_finishes_the_request_in_flight_and_closes_the_store(
        tmp_path: Path, server: str, sig: int, status: int) -> None:
    db = tmp_path / "stop.db"
    s = Served("--server", server, "--store", f"sqlite:///{db}")
    try:
        # A fault with a delay holds the request in the server; the fault is taken (gone from the list) as
        # the request starts, which is how the test knows the request is in flight before it signals.
        s.admin.faults.add("/stathat/ez", status=None, delay=1.5)
        with ThreadPoolExecutor(1) as pool:
            reply = pool.submit(httpx.post, f"{s.url}/stathat/ez", timeout=30,
                                data={"ezkey": "dev-ezkey", "stat": "in flight", "count": "1"})
            while s.admin.faults.list():
                time.sleep(0.02)
            code = s.stop(sig)
            assert reply.result().json() == {"status": 200, "msg": "ok"}
    finally:
        if s.proc.poll() is None:
            s.proc.kill()
    assert code == status, s.stderr
    assert "Traceback" not in s.stderr
    # Every connection closed: SQLite checkpoints and removes the write-ahead log when the last one closes.
    assert not Path(f"{db}-wal").exists()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM kv WHERE ns LIKE 'stathat%'").fetchone()[0] > 0


def test_workers_share_one_sqlite_store_and_count_exactly(tmp_path: Path) -> None:
    with served("--workers", "2", "--threads", "4", "--store", f"sqlite:///{tmp_path}/w.db") as s:
        assert "2 workers x 4 threads" in s.banner

        def count(_: int) -> None:
            with StatHatClient("dev-ezkey", base_url=f"{s.url}/stathat") as client:
                for _ in range(50):
                    client.count("workers", 1)

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(count, range(8)))
        assert total(s.url, "workers") == 400
        assert s.admin.requests.count(path="/stathat/ez") == 400  # both workers record into the one journal


def _old_layout(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE kv (id INTEGER PRIMARY KEY AUTOINCREMENT, ns TEXT NOT NULL, key TEXT NOT NULL,"
                     " value TEXT NOT NULL, UNIQUE (ns, key))")
        conn.executemany("INSERT INTO kv (ns, key, value) VALUES (?, ?, ?)",
                         [("_meta", "initialised", "true"), ("t.users", "b", '{"n": 1}'), ("t.users", "a", "2")])


def test_an_older_sqlite_layout_is_refused_then_migrated_with_migrate(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    _old_layout(db)
    r = run("--store", f"sqlite:///{db}")
    assert r.returncode == 2 and "older layout (version 1" in r.stderr and "--migrate" in r.stderr
    with served("--store", f"sqlite:///{db}", "--migrate") as s:
        assert s.admin.health()["status"] == "ok"
    from mock_server.store import SqliteStore

    store = SqliteStore(str(db))  # now of this layout: no --migrate needed, the order kept
    assert store.items("t.users") == [("b", {"n": 1}), ("a", 2)]
    store.close()
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version=99")
    r = run("--store", f"sqlite:///{db}")
    assert r.returncode == 2 and "layout version 99 was written by a newer analytics-api-kit" in r.stderr


def test_the_banner_is_printed_after_the_port_is_bound() -> None:
    """The banner's port answers at once: nothing is printed until the socket listens."""
    with served() as s:
        port = int(s.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
        assert s.admin.health()["status"] == "ok"


@pytest.mark.parametrize("server", _servers())
def test_a_sigterm_right_after_the_banner_stops_the_server_gracefully(server: str) -> None:
    """Held from the banner until the server's handlers are set: not Python's default death by signal (-15)."""
    s = Served("--server", server)
    code = s.stop(signal.SIGTERM)
    assert code == 0 and "Traceback" not in s.stderr
