"""Several ``mock-server`` instances (as on several machines) sharing one PostgreSQL database, through the real
console script: exact counts, a shared journal and shared faults, and no acknowledged write lost to a SIGKILL."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from sdk import APIError, RetryPolicy, StatHatClient, TransportError
from tests.servers import Served, drop_schema, postgres_url, served, total


@pytest.fixture
def pg() -> Iterator[str]:
    url = postgres_url()
    yield url
    drop_schema(url)


def test_two_instances_count_exactly_and_share_journal_and_faults(pg: str, tmp_path: Path) -> None:
    """2 instances x 8 threads: 100 single counts a thread, then 5k increments a thread in batches, all exact."""
    config = tmp_path / "server.json"
    config.write_text('{"journal_size": 5000}')
    with served("--store", pg, "--workers", "2", "--threads", "4", "--config", str(config)) as a, \
            served("--store", pg, "--config", str(config)) as b:
        assert "store postgresql://" in a.banner and "2 workers x 4 threads" in a.banner

        def count(i: int) -> None:
            url = (a.url, b.url)[i % 2]
            with StatHatClient("dev-ezkey", base_url=f"{url}/stathat") as client:
                for _ in range(100):
                    client.count("shared", 1)

        batch = {"ezkey": "dev-ezkey", "data": [{"stat": "batched", "count": 1}] * 100}

        def count_in_batches(i: int) -> None:
            # 5k increments a thread, 100 to a request (each batch one read-modify-write of the counter).
            with httpx.Client(base_url=(a.url, b.url)[i % 2], timeout=60) as client:
                for _ in range(50):
                    assert client.post("/stathat/ez", json=batch).json() == {"status": 200, "msg": "ok"}

        with ThreadPoolExecutor(16) as pool:  # 2 instances x 8 threads
            list(pool.map(count, range(16)))
            list(pool.map(count_in_batches, range(16)))
        assert total(a.url, "shared") == total(b.url, "shared") == 1600
        assert total(a.url, "batched") == total(b.url, "batched") == 2 * 8 * 5_000
        assert b.admin.requests.count(path="/stathat/ez") == 1600 + 800  # one journal, whichever instance answered

        a.admin.faults.add("/stathat/ez", status=503, times=1)
        r = httpx.post(f"{b.url}/stathat/ez", data={"ezkey": "dev-ezkey", "stat": "shared", "count": "1"})
        assert r.status_code == 503  # a fault set through one instance hits a request to another
        assert a.admin.faults.list() == []


def test_sigkill_of_one_instance_under_load_loses_no_acknowledged_write(pg: str) -> None:
    survivor, victim = Served("--store", pg), Served("--store", pg)
    try:
        acked = {"survivor": 0, "victim": 0}
        unknown = 0  # sent to the victim and not answered: applied or not, nobody was told
        lock = threading.Lock()
        killed = threading.Event()

        def load(url: str, who: str) -> None:
            nonlocal unknown
            with StatHatClient("dev-ezkey", base_url=f"{url}/stathat", retry=RetryPolicy(max_attempts=1)) as client:
                for _ in range(150):
                    try:
                        client.count("durable", 1)
                    except (TransportError, APIError):
                        with lock:
                            unknown += 1
                        if killed.is_set():
                            return
                        continue
                    with lock:
                        acked[who] += 1
                        if who == "victim" and acked["victim"] == 200 and not killed.is_set():
                            victim.proc.send_signal(signal.SIGKILL)  # mid-load, with requests in flight
                            killed.set()

        with ThreadPoolExecutor(8) as pool:
            jobs = [pool.submit(load, *((victim.url, "victim") if i % 2 else (survivor.url, "survivor")))
                    for i in range(8)]
            for job in jobs:
                job.result()
        assert killed.is_set() and victim.proc.wait(30) == -signal.SIGKILL
        stored = total(survivor.url, "durable")
        assert acked["victim"] + acked["survivor"] <= stored <= acked["victim"] + acked["survivor"] + unknown
        assert acked["survivor"] == 600  # the other instance served on, through and after the kill
    finally:
        for s in (survivor, victim):
            if s.proc.poll() is None:
                s.stop()
