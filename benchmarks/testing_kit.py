"""The testing kit's cost (issue 11), against the reference server as the pytest plugin starts it by default
(``python -m mock_server``, gunicorn, on loopback; ``sdk.testing.KitServer``):

(a) the plugin's per-test fixture work (``POST /_admin/reset`` through ``AdminClient``, then a ``StatHatClient``
    built, one ``count()``, closed) vs a bare ``httpx.Client`` doing the same one POST /stathat/ez;
(b) a whole in-process SDK test (a fresh ``create_app()``, a ``StatHatClient`` on ``httpx.WSGITransport``, one
    ``count()``, the admin read-back) vs the same test over loopback (reset, client, count, read-back).

    .venv/bin/python -m benchmarks.testing_kit [--n 40] [--rounds 10]
"""

from __future__ import annotations

import argparse

import httpx

from benchmarks._harness import paired_ratio
from mock_server import create_app
from sdk import AdminClient, StatHatClient
from sdk.testing import KitServer

FORM = {"ezkey": "dev-ezkey", "stat": "bench", "count": "1"}


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--n", type=int, default=40)
    args.add_argument("--rounds", type=int, default=10)
    opts = args.parse_args()
    server = KitServer()
    try:
        url = server.url
        admin = AdminClient(url)

        def fixture_work() -> None:
            admin.reset()
            with StatHatClient("dev-ezkey", base_url=f"{url}/stathat") as client:
                client.count("bench")

        def bare() -> None:
            with httpx.Client() as http:
                http.post(f"{url}/stathat/ez", data=FORM).raise_for_status()

        a = paired_ratio(fixture_work, bare, n=opts.n, rounds=opts.rounds)
        print(f"(a) fixture (reset + client + count) vs bare httpx.Client + POST: {a['ratio']:.2f}x "
              f"({a['ours_ms_per_call']:.2f} vs {a['baseline_ms_per_call']:.2f} ms per test)")

        def in_process_test() -> None:
            app = create_app()
            transport = httpx.WSGITransport(app=app)
            with StatHatClient("dev-ezkey", base_url="http://kit.test/stathat", transport=transport) as client, \
                    AdminClient(transport=transport) as local:
                client.count("bench", t=1362772440)
                assert local.stathat.stats("dev-ezkey")

        def loopback_test() -> None:
            admin.reset()
            with StatHatClient("dev-ezkey", base_url=f"{url}/stathat") as client:
                client.count("bench", t=1362772440)
                assert admin.stathat.stats("dev-ezkey")

        b = paired_ratio(in_process_test, loopback_test, n=opts.n, rounds=opts.rounds)
        print(f"(b) whole SDK test in process vs over loopback: {b['ratio']:.2f}x "
              f"({b['ours_ms_per_call']:.2f} vs {b['baseline_ms_per_call']:.2f} ms per test)")
        admin.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
