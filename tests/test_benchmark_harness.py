"""The pieces of ``benchmarks.serving`` that decide what its figures mean: the bare Flask floor answers every
operation under the same WSGI servers ``mock-server`` runs, Prism's copy of our documents changes only what it
says it changes, and the CPU of a server's process tree is read from /proc (workers included)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx
import pytest

from benchmarks import serving
from mock_server import create_app
from mock_server.serving import available
from tests.servers import ROOT


@pytest.mark.parametrize("server", [name for name in ("gunicorn", "waitress", "granian") if available(name)])
def test_bare_flask_answers_every_operation_under_the_production_server(server: str) -> None:
    port = serving.free_port()
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.bare_flask", "--port", str(port), "--server", server],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        serving._wait(f"{url}/_admin/health", proc, "bare Flask")
        for op in serving.OPS.values():
            serving.check(url, op, f"bare Flask under {server}")
        with httpx.Client(base_url=url) as client:  # one kept-alive connection for every request
            for _ in range(3):
                assert client.post("/stathat/ez", content=serving.BATCH).json() == {"status": 200, "msg": "ok"}
            assert len(client.get("/taplytics/v2/users").json()) == 100
        assert serving.cpu_seconds([proc.pid]) > 0
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and b"Traceback" not in err


def test_our_server_answers_every_operation_the_harness_times() -> None:
    with httpx.Client(transport=httpx.WSGITransport(app=create_app()), base_url="http://ours") as client:
        serving.seed_with(client)
        for op in serving.OPS.values():
            r = client.request(op.method, op.path, content=op.body.encode() or None, headers=dict(op.headers))
            assert r.status_code == 200 and b'"status":4' not in r.content, (op, r.text[:300])
        assert len(client.get(serving.OPS["Taplytics users page (100)"].path,
                              headers={"x-access-token": "dev-api-token"}).json()) == 100


def test_for_prism_only_relaxes_what_a_body_may_carry_instead_of_the_query() -> None:
    doc = create_app().test_client().get("/_admin/openapi/stathat.json").get_json()
    ez = doc["paths"]["/stathat/ez"]
    get_before, post_security = json.dumps(ez["get"]), ez["post"].get("security")
    relaxed, changed = serving.for_prism(doc)
    assert changed and all(c.startswith("POST ") for c in changed)
    post = relaxed["paths"]["/stathat/ez"]["post"]
    assert not [p for p in post.get("parameters", []) if p.get("in") == "query" and p.get("required")]
    if post_security:
        assert post["security"] == [*post_security, {}]  # the keys may come in the form or the batch
    assert json.dumps(relaxed["paths"]["/stathat/ez"]["get"]) == get_before  # no body: the query is where they are
    assert not serving._external_refs(relaxed)  # self-contained: Prism fetches nothing


def test_cpu_seconds_counts_the_children_of_a_process() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time\nt = time.process_time()\n"
                              "while time.process_time() - t < 0.3: pass\ntime.sleep(60)"])
    try:
        extra, deadline = 0.0, time.monotonic() + 60
        while extra < 0.25 and time.monotonic() < deadline:  # the child's spin, on top of this process's own
            time.sleep(0.05)
            extra = serving.cpu_seconds([os.getpid()]) - sum(os.times()[:2])
        assert extra >= 0.25
    finally:
        child.kill()
        child.wait()
