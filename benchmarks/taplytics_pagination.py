"""Taplytics pagination benchmarks; prints ratios measured in one run.

1. Server: ``GET /taplytics/v2/users`` page 1 vs page 1000 (per_page 100) with 100,000 users stored.
   Target: page 1000 costs at most 2x page 1 (a page is one store slice, whatever its number).
2. SDK: iterating 10,000 users with ``client.users.iter(per_page=100)`` (typed ``User`` objects) vs raw
   httpx following the same ``rel="next"`` links and decoding JSON. Target: at most 1.05x (issue 14).

Run: ``.venv/bin/python benchmarks/taplytics_pagination.py`` (``--rounds N`` to change the repetitions).
Rounds interleave the two sides (alternating which goes first) so drift on the machine hits both alike.
The ratio is taken from each side's fastest round (as ``timeit`` advises: slower rounds measure other
processes, not the code); the medians are printed beside it.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import statistics
import time
from collections.abc import Callable

import httpx
from flask import Flask
from werkzeug.serving import make_server

from mock_server import create_app
from mock_server.services.taplytics import TaplyticsService
from sdk.taplytics import TaplyticsClient

TOKEN = "dev-api-token"


def seed(app: object, n: int) -> None:
    """Straight into the store through the backend (the same code ``/_admin/seed`` runs)."""
    service = app.extensions["analytics_api_kit"].services["taplytics"]  # type: ignore[attr-defined]
    assert isinstance(service, TaplyticsService)
    service.backend.seed({"users": [{"user_id": f"u{i}", "email": f"u{i}@example.com", "first_name": f"User {i}",
                                     "custom_data": {"plan": "gold", "seats": i % 7}} for i in range(n)]}, now=0)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved(a: Callable[[], object], b: Callable[[], object], rounds: int) -> tuple[list[float], list[float]]:
    ta: list[float] = []
    tb: list[float] = []
    for i in range(rounds):
        # Alternate which goes first so neither always gets the warmer cache.
        if i % 2:
            tb.append(timed(b))
            ta.append(timed(a))
        else:
            ta.append(timed(a))
            tb.append(timed(b))
    return ta, tb


def report(label: str, a_name: str, b_name: str, ta: list[float], tb: list[float], target: float) -> float:
    ratio = min(tb) / min(ta)
    median = statistics.median(tb) / statistics.median(ta)
    print(f"{label}: {a_name} {min(ta) * 1e3:.2f} ms, {b_name} {min(tb) * 1e3:.2f} ms (fastest of {len(ta)}); "
          f"ratio {ratio:.3f}x (target <= {target}x); median ratio {median:.3f}x")
    return ratio


def page_cost(rounds: int) -> float:
    app = create_app()
    seed(app, 100_000)
    client = httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://localhost",
                          headers={"x-access-token": TOKEN})

    def get(page: int) -> Callable[[], object]:
        def run() -> None:
            r = client.get("/taplytics/v2/users", params={"page": page, "per_page": 100})
            assert r.status_code == 200 and len(r.json()) == 100, r.text
        return run

    first, thousandth = interleaved(get(1), get(1000), rounds)
    return report("server page cost, 100k users, per_page=100", "page 1", "page 1000", first, thousandth, 2.0)


def _serve(users: int, port: multiprocessing.Queue[int]) -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = create_app()
    seed(app, users)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    port.put(server.server_port)
    server.serve_forever()


def sdk_overhead(rounds: int) -> float:
    # The server runs in its own process, as a real API would: in this process its threads would
    # compete with the client for the GIL and blur what the SDK itself costs.
    ports: multiprocessing.Queue[int] = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(10_000, ports), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{ports.get(timeout=60)}/taplytics"
    raw = httpx.Client(headers={"x-access-token": TOKEN})
    sdk = TaplyticsClient(TOKEN, base_url=base)

    def walk_raw() -> None:
        url: str | None = f"{base}/v2/users?page=1&per_page=100"
        n = 0
        while url:
            r = raw.get(url)
            r.raise_for_status()
            n += len(list(r.json()))
            url = r.links.get("next", {}).get("url")
        assert n == 10_000

    def walk_sdk() -> None:
        assert sum(1 for _ in sdk.users.iter(per_page=100)) == 10_000

    try:
        t_raw, t_sdk = interleaved(walk_raw, walk_sdk, rounds)
    finally:
        raw.close()
        sdk.close()
        server.terminate()
        server.join(5)
    return report("iterate 10k users over http", "raw httpx", "SDK", t_raw, t_sdk, 1.05)


def client_cost(rounds: int) -> None:
    """What the SDK adds on the client alone: the same 100 pages served by an in-memory transport."""
    body = httpx.Client(transport=httpx.WSGITransport(app=_seeded(100)), base_url="http://localhost",
                        headers={"x-access-token": TOKEN}).get("/taplytics/v2/users").content

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        link = f'<http://localhost/taplytics/v2/users?page={page + 1}&per_page=100>; rel="next"' if page < 100 else ""
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json", "Link": link})

    transport = httpx.MockTransport(handler)
    raw = httpx.Client(transport=transport, headers={"x-access-token": TOKEN})
    sdk = TaplyticsClient(TOKEN, base_url="http://localhost/taplytics", transport=transport)

    def walk_raw() -> None:
        url: str | None = "http://localhost/taplytics/v2/users?page=1&per_page=100"
        while url:
            r = raw.get(url)
            list(r.json())
            url = r.links.get("next", {}).get("url")

    def walk_sdk() -> None:
        assert sum(1 for _ in sdk.users.iter(per_page=100)) == 10_000

    t_raw, t_sdk = interleaved(walk_raw, walk_sdk, rounds)
    extra = min(t_sdk) - min(t_raw)
    print(f"client side only (no server, 10k users): raw httpx {min(t_raw) * 1e3:.1f} ms, "
          f"SDK {min(t_sdk) * 1e3:.1f} ms: the SDK adds {extra * 1e3:.1f} ms ({extra * 100:.2f} us a user)")


def _seeded(n: int) -> Flask:
    app = create_app()
    seed(app, n)
    return app


def main() -> int:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a log line a request is noise on both sides
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=31)
    args = parser.parse_args()
    ok = page_cost(args.rounds * 4) <= 2.0
    ok = sdk_overhead(args.rounds) <= 1.05 and ok
    client_cost(args.rounds)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
