"""``mock-server --server granian`` through the real console script: the promises gunicorn and waitress keep
(bind then banner, every service served, graceful stop with 0 on SIGTERM and 130 on SIGINT, no traceback, workers
on a shared store, the app's own 414/431 in JSON, the access log), and the socket faults it cannot deliver
refused with the clear JSON 500. The in-flight shutdown and 414/431 checks run for granian too in
tests/test_cli.py and tests/test_hostile_input.py (parametrized over every available server)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from mock_server.serving import available
from sdk import StatHatClient
from tests.servers import MOCK_SERVER, ROOT, Served, run, served, total

if not available("granian"):
    pytest.skip("granian is not installed here (pip install 'analytics-api-kit[server]'; not on Windows)",
                allow_module_level=True)

APP_ID = "0123456789abcdef01234567"


def test_every_service_answers_and_the_access_log_prints_from_the_worker() -> None:
    with served("--server", "granian") as s:
        assert "(granian, 1 worker x 8 threads)" in s.banner
        url = s.url
        assert httpx.post(f"{url}/stathat/ez", data={"ezkey": "dev-ezkey", "stat": "g", "count": "2"}).json() == {
            "status": 200, "msg": "ok"}
        assert httpx.get(f"{url}/countly/i", params={"app_key": "dev-app-key", "device_id": "d1",
                                                      "begin_session": "1"}).json() == {"result": "Success"}
        sessions = httpx.get(f"{url}/countly/o", params={"api_key": "dev-api-key", "app_id": APP_ID,
                                                          "method": "sessions"})
        assert sessions.status_code == 200 and isinstance(sessions.json(), dict)
        users = httpx.get(f"{url}/taplytics/v2/users", headers={"x-access-token": "dev-api-token"})
        assert users.status_code == 200 and isinstance(users.json(), list)
        cyfe = httpx.post(f"{url}/cyfe/api/push/dev-widget", json={"data": [{"Date": "20130320", "Users": 1}]})
        assert cyfe.status_code == 200, cyfe.text
        reports = httpx.get(f"{url}/reports/api/v4/analytics/reports_read",
                            headers={"Authorization": "Bearer dev-api-token"})
        assert reports.status_code in (200, 400) and reports.headers["content-type"] == "application/json"
        assert httpx.get(f"{url}/reports/api/v4/analytics/reports_read").status_code == 401
        bad = httpx.post(f"{url}/stathat/ez", data={"stat": "g", "count": "1"})
        assert bad.json() == {"status": 400, "msg": "ezkey: missing"}  # bad input: the service's own error
        assert total(url, "g") == 2
        code = s.stop(signal.SIGTERM)
    assert code == 0 and "Traceback" not in s.stderr
    # our access log (mock_server.access), printed from granian's worker process, secrets masked
    assert '"POST /stathat/ez" 200' in s.stderr and '"GET /reports/api/v4/analytics/reports_read" 401' in s.stderr
    assert "app_key=***" in s.stderr and "dev-app-key" not in s.stderr


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGTERM, 0), (signal.SIGINT, 130)])
def test_a_signal_to_the_whole_process_group_stops_every_worker_gracefully(
        tmp_path: Path, sig: int, status: int) -> None:
    """As a Ctrl-C in a terminal (SIGINT) or systemd (SIGTERM) sends it: to the master and every worker at once."""
    db = tmp_path / "group.db"
    proc = subprocess.Popen([MOCK_SERVER, "--port", "0", "--server", "granian", "--workers", "2", "--store",
                             f"sqlite:///{db}"], cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        assert proc.stdout is not None
        banner = ""
        for line in proc.stdout:
            banner += line
            if line.startswith("Ctrl-C to quit"):
                break
        url = banner.split(" on ", 1)[1].split()[0]
        for i in range(6):  # both workers busy at least once, most likely
            httpx.post(f"{url}/stathat/ez", data={"ezkey": "dev-ezkey", "stat": f"s{i}", "count": "1"})
        os.killpg(proc.pid, sig)
        _, err = proc.communicate(timeout=60)  # well within the 30 s grace: no worker is left to be killed
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == status, err
    assert "Traceback" not in err and "Unexpected exit" not in err and "Killing worker" not in err
    assert not Path(f"{db}-wal").exists()  # every worker closed its connections


def test_two_workers_share_one_sqlite_store_and_count_exactly(tmp_path: Path) -> None:
    with served("--server", "granian", "--workers", "2", "--threads", "4",
                "--store", f"sqlite:///{tmp_path}/w.db") as s:
        assert "(granian, 2 workers x 4 threads)" in s.banner

        def count(_: int) -> None:
            with StatHatClient("dev-ezkey", base_url=f"{s.url}/stathat") as client:
                for _ in range(25):
                    client.count("workers", 1)

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(count, range(8)))
        assert total(s.url, "workers") == 200
        assert s.admin.requests.count(path="/stathat/ez") == 200  # both workers journal into the one store
        code = s.stop(signal.SIGINT)
    assert code == 130 and "Traceback" not in s.stderr
    with sqlite3.connect(tmp_path / "w.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM kv").fetchone()[0] > 0


def test_a_signal_while_the_workers_start_stops_the_server_at_once(tmp_path: Path) -> None:
    # signalled right after the banner, while the workers start
    s = Served("--server", "granian", "--workers", "2", "--store", f"sqlite:///{tmp_path}/s.db")
    code = s.stop(signal.SIGTERM, timeout=20)  # not GRACE (30 s): no worker waits to be killed
    assert code == 0 and "Traceback" not in s.stderr and "Killing worker" not in s.stderr


def test_workers_on_the_memory_store_are_refused() -> None:
    r = run("--server", "granian", "--workers", "2")
    assert r.returncode == 2 and "--workers > 1 needs a shared store" in r.stderr and r.stdout == ""


def test_a_taken_port_is_refused_before_any_banner() -> None:
    with served("--server", "granian") as s:
        port = s.url.rsplit(":", 1)[1]
        r = run("--server", "granian", "--port", port)
    assert r.returncode == 2 and r.stdout == "" and f"port {port} on 127.0.0.1 is already in use" in r.stderr


def test_a_socket_fault_is_a_clear_500_and_other_faults_are_delivered() -> None:
    with served("--server", "granian") as s:
        for kind in ("reset", "empty", "reset_after", "malformed_chunked"):
            assert httpx.post(f"{s.url}/_admin/faults", json={"path": "/stathat/ez", "kind": kind}).status_code == 201
            reply = httpx.post(f"{s.url}/stathat/ez", data={"ezkey": "dev-ezkey", "stat": kind, "count": "1"})
            assert reply.status_code == 500 and reply.json()["status"] == 500
            assert f"injected fault {kind}: this server cannot" in reply.json()["msg"]
            assert "granian" in reply.json()["msg"]
        armed = httpx.post(f"{s.url}/_admin/faults", json={"path": "/stathat/ez", "status": 503, "times": 1})
        assert armed.status_code == 201
        assert httpx.post(f"{s.url}/stathat/ez", data={"ezkey": "dev-ezkey", "stat": "x"}).status_code == 503
        assert total(s.url, "reset") == 0  # nothing of a refused fault was applied


def test_the_app_answers_414_and_431_in_json() -> None:
    with served("--server", "granian") as s:
        long = httpx.get(f"{s.url}/stathat/ez?pad={'x' * 20_000}")
        assert long.status_code == 414 and long.json()["status"] == 414
        big = httpx.get(f"{s.url}/countly/i", headers={"X-Pad": "x" * 40_000})
        assert big.status_code == 431 and "limit" in big.json()["result"]
        fine = httpx.get(f"{s.url}/stathat/ez?pad={'x' * 8000}", headers={"X-Pad": "x" * 9000})
        assert fine.json() == {"status": 400, "msg": "ezkey: missing"}


def test_a_worker_that_dies_is_replaced() -> None:
    s = Served("--server", "granian")
    try:
        assert s.admin.health()["status"] == "ok"  # a worker answered: it exists
        children = _children(s.proc.pid)
        assert len(children) == 1
        os.kill(children[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{s.url}/_admin/health", timeout=5).status_code == 200 and _children(s.proc.pid):
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        assert httpx.get(f"{s.url}/_admin/health", timeout=5).json()["status"] == "ok"
    finally:
        code = s.stop(signal.SIGTERM)
    assert code == 0 and "Traceback" not in s.stderr


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out
