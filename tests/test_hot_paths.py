"""The request path's short cuts (issue 14) answer exactly what the general code they replace answers: the
urlencoded form, the journal's headers, the request ids, the masked paths and the batched access log."""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import sys
import time
from typing import Any

import pytest
from flask import Flask, request

from mock_server import create_app
from mock_server.accesslog import BatchedStreamHandler
from mock_server.http import params
from mock_server.journal import _headers, redact_path, request_id
from schemas.redact import MASK, SECRET_HEADERS


@pytest.fixture(scope="module")
def app() -> Flask:
    return create_app({})


FORMS: list[bytes] = [
    b"ezkey=dev-ezkey&stat=form&count=1",
    b"a=1&a=2&b=&c",  # repeated names (the first wins), blank values, a name without "="
    b"stat=caf%C3%A9+au+lait&x=%2B%20%26",  # percent-escapes, "+" as a space
    b"bad=%FF%FE&ok=1",  # escapes that are not UTF-8 (werkzeug keeps them quoted)
    b"raw=\xff\xfe&ok=1",  # raw bytes that are not UTF-8: werkzeug parses no field at all
    b"a=1;b=2&c=3",  # ";" is not a separator
    b"",
    b"&&=&x==y",
    "name=\u00e9\u4e2d".encode(),
]


@pytest.mark.parametrize("body", FORMS)
@pytest.mark.parametrize("query", ["", "a=query&only=q"])
def test_params_equal_werkzeugs_form(app: Flask, body: bytes, query: str) -> None:
    with app.test_request_context(f"/stathat/ez?{query}", method="POST", data=body,
                                  content_type="application/x-www-form-urlencoded"):
        request.get_data(cache=True)  # as the journal's hook does before every view
        fast = params()
        expected = {**request.args.to_dict(), **request.form.to_dict()}
    assert fast == expected


def test_params_of_a_body_not_read_before_the_view_is_werkzeugs(app: Flask) -> None:
    with app.test_request_context("/stathat/ez", method="POST", data=b"a=1&a=2",
                                  content_type="application/x-www-form-urlencoded"):
        assert params() == {"a": "1"}
    with app.test_request_context("/stathat/ez", method="POST", data={"a": "1", "b": "2"},
                                  content_type="multipart/form-data"):
        request.get_data(cache=True)
        assert params() == {"a": "1", "b": "2"}


@pytest.mark.parametrize("headers", [
    {"User-Agent": "x", "X-Retry-Count": "2", "Referer": "http://h/cyfe/api/push/secret-widget?api_key=k"},
    {"Authorization": "Bearer t", "x-access-token": "t", "Countly-Token": "c", "X-API-KEY": "k", "Cookie": "a=b"},
    {"Content-Type": "application/json", "X-Weird_Name": "v", "x-lower": "v"},
])
def test_journal_headers_equal_request_headers(app: Flask, headers: dict[str, str]) -> None:
    with app.test_request_context("/stathat/ez", method="POST", data="{}", headers=headers):
        got = _headers(request.environ)
        names = [name for name, _ in request.headers.items()]
        assert list(got) == list(dict.fromkeys(names))
        for name, value in request.headers.items():
            if name.lower() in SECRET_HEADERS:
                assert got[name] == MASK
            elif "://" not in value:
                assert got[name] == value
        assert "secret-widget" not in str(got) and "api_key=k" not in str(got)


def test_request_ids_are_unique_32_hex_and_new_after_fork() -> None:
    ids = {request_id() for _ in range(10_000)}
    assert len(ids) == 10_000 and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child writes one id and leaves at once
        os.write(write, request_id().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)
    assert re.fullmatch(r"[0-9a-f]{32}", child) and child[:16] != request_id()[:16]


def test_masked_paths_are_remembered_and_still_masked(app: Flask) -> None:
    with app.test_request_context("/"):
        for _ in range(2):  # computed, then from the cache
            assert redact_path("/cyfe/api/push/secret-widget") == f"/cyfe/api/push/{MASK}"
            assert redact_path("/stathat/ez") == "/stathat/ez"
        for i in range(5000):  # past the cache's bound: still right
            assert redact_path(f"/cyfe/api/push/w{i}") == f"/cyfe/api/push/{MASK}"


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord("mock_server.access", logging.INFO, __file__, 1, message, None, None)


def test_batched_access_log_writes_every_line_in_order_within_its_interval() -> None:
    out = io.StringIO()
    handler = BatchedStreamHandler(out, interval=0.05)
    try:
        for i in range(500):
            handler.handle(_record(f'"GET /n/{i}" 200'))
        deadline = time.monotonic() + 10
        while out.getvalue().count("\n") < 500 and time.monotonic() < deadline:
            time.sleep(0.01)
        lines = out.getvalue().splitlines()
        assert [line.split(" ", 2)[2] for line in lines] == [f'"GET /n/{i}" 200' for i in range(500)]
        # basicConfig's "%(asctime)s %(message)s": the date, the time and its milliseconds
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} .*", line) for line in lines)
    finally:
        handler.close()


def test_batched_access_log_flushes_what_is_queued_at_close() -> None:
    out = io.StringIO()
    handler = BatchedStreamHandler(out, interval=60)  # the writer thread would not write for a minute
    handler.handle(_record("last words"))
    handler.close()
    assert out.getvalue().endswith(" last words\n")


def test_console_script_prints_each_request_in_the_access_log_masked() -> None:
    from tests.servers import served

    with served() as server:
        import httpx

        for i in range(3):
            httpx.post(f"{server.url}/cyfe/api/push/dev-widget", json={"data": [{"Date": "20130101", "N": str(i)}]})
        httpx.get(f"{server.url}/stathat/ez", params={"ezkey": "dev-ezkey", "stat": "s", "count": "1"})
        deadline = time.monotonic() + 10  # the log is written within its interval, while the server runs
        while server.read_stderr().count('"POST /cyfe/api/push/') < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.read_stderr().count(f'"POST /cyfe/api/push/{MASK}" 200') == 3
    assert "dev-widget" not in server.stderr and "ezkey=dev-ezkey" not in server.stderr
    assert '"GET /stathat/ez?' in server.stderr


def test_a_forked_child_writes_its_own_lines(tmp_path: Any) -> None:
    script = (
        "import logging, os, sys\n"
        "from mock_server import accesslog\n"
        "accesslog.install(sys.stderr)\n"
        "log = logging.getLogger('mock_server.access')\n"
        "log.info('parent line')\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    log.info('child line')\n"
        "    sys.exit(0)\n"  # a normal exit (as a gunicorn worker's): atexit flushes
        "os.waitpid(pid, 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count(" parent line\n") == 1 and done.stderr.count(" child line\n") == 1


def _workers(pid: int) -> list[int]:
    """The processes ``pid`` forked (gunicorn's workers), from /proc."""
    found: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            found += [int(child) for child in f.read().split()]
    return found


def _allowed(pid: int) -> set[int]:
    """The CPUs every thread of ``pid`` may run on (the union over its threads)."""
    cpus: set[int] = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        cpus |= os.sched_getaffinity(int(task))
    return cpus


needs_cpus = pytest.mark.skipif(not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2
                                or not os.path.exists("/proc/self/task"),
                                reason="pinning needs Linux and at least two CPUs this process may use")


@needs_cpus
def test_each_worker_runs_on_one_cpu_of_its_own_unless_told_not_to(tmp_path: Any) -> None:
    from tests.servers import served

    allowed = os.sched_getaffinity(0)
    with served("--workers", "2", "--threads", "4", "--store", f"sqlite:///{tmp_path}/pin.db") as server:
        server.admin.health()
        deadline = time.monotonic() + 30
        while len(_workers(server.proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        masks = [_allowed(worker) for worker in _workers(server.proc.pid)]
        assert len(masks) == 2 and all(len(m) == 1 and m <= allowed for m in masks)
        assert masks[0] != masks[1]  # the two workers on two CPUs
        assert _allowed(server.proc.pid) == allowed  # the master (it serves no request) is left free
    with served("--no-pin") as server:
        server.admin.health()
        assert [_allowed(worker) for worker in _workers(server.proc.pid)] == [allowed]
