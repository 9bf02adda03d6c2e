"""The async clients' default transport (aiohttp behind httpx, ``sdk._transports``): end to end against the server,
the same requests on the wire as httpx's own transport, failures as the errors the retry rules read, and test doubles
(respx, vcrpy) still seeing every request."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
import respx

from sdk import AdminClient, APITimeoutError, AsyncStatHatClient, RetryPolicy, TransportError, Unauthorized
from sdk._transports import AiohttpTransport, default_async_transport

NO_RETRY = RetryPolicy(max_attempts=1)


def counts(admin: AdminClient, name: str) -> float:
    stats = admin.stathat.stats("dev-ezkey")
    return sum(p["count"] for s in stats if s["name"] == name for p in s["points"])


async def test_the_default_async_client_sends_through_aiohttp_end_to_end(base_url: str, admin: AdminClient) -> None:
    async with AsyncStatHatClient("dev-ezkey", base_url=f"{base_url}/stathat") as client:
        assert isinstance(client._http._transport, AiohttpTransport)
        await asyncio.gather(*(client.count("aio", 1) for _ in range(20)))
    assert counts(admin, "aio") == 20
    # Unknown ezkey: the service's own error through the same transport.
    async with AsyncStatHatClient("nobody", base_url=f"{base_url}/stathat", retry=NO_RETRY) as client:
        with pytest.raises(Unauthorized, match="ezkey"):
            await client.count("aio", 1)


async def test_the_request_on_the_wire_is_httpxs_own(base_url: str, admin: AdminClient) -> None:
    # The same call through httpx's transport and through ours: the server sees the same headers, no more.
    seen = []
    for transport in (httpx.AsyncHTTPTransport(), AiohttpTransport()):
        async with httpx.AsyncClient(transport=transport, cookies={"c": "1"}) as client:
            r = await client.post(f"{base_url}/stathat/ez", data={"ezkey": "dev-ezkey", "stat": "wire", "count": "1"},
                                  headers={"X-Custom": "yes"})
            assert r.status_code == 200 and r.json() == {"status": 200, "msg": "ok"}
            assert r.headers["content-type"] == "application/json"
        entry = admin.requests.list(path="/stathat/ez", limit=1000)[-1]
        seen.append({k.lower(): v for k, v in entry["headers"].items() if k.lower() not in ("host",)})
    assert seen[0] == seen[1]
    assert counts(admin, "wire") == 2


async def test_a_client_survives_a_second_event_loop(base_url: str, admin: AdminClient) -> None:
    client = AsyncStatHatClient("dev-ezkey", base_url=f"{base_url}/stathat")

    def in_new_loop() -> None:
        asyncio.run(client.count("loops", 1))

    await client.count("loops", 1)
    thread = threading.Thread(target=in_new_loop)
    thread.start()
    thread.join(30)
    await client.count("loops", 1)
    await client.aclose()
    assert counts(admin, "loops") == 3


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A socket that accepts connections and reads, but never answers (the test closes them)."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.recv(65536)
            accepted.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(5)
    for conn in accepted:
        conn.close()
    listener.close()


async def test_failures_are_httpxs_exceptions_with_what_was_sent(silent_server: str) -> None:
    url = silent_server
    # Nothing listening: a connect error, nothing sent, so even a write may be retried.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    async with AsyncStatHatClient("dev-ezkey", base_url=f"http://127.0.0.1:{closed_port}", retry=NO_RETRY) as c:
        with pytest.raises(TransportError) as refused:
            await c.count("x", 1)
    assert not isinstance(refused.value, APITimeoutError)
    assert refused.value.maybe_applied is False
    assert isinstance(refused.value.__cause__, httpx.ConnectError)
    # The request went out and no reply came in time: a read timeout, which may have been applied.
    async with AsyncStatHatClient("dev-ezkey", base_url=url, retry=NO_RETRY, timeout=httpx.Timeout(5, read=0.3)) as c:
        with pytest.raises(APITimeoutError) as timed_out:
            await c.count("x", 1)
    assert timed_out.value.maybe_applied is True
    assert isinstance(timed_out.value.__cause__, httpx.ReadTimeout)


async def test_a_server_that_hangs_up_after_the_request_may_have_applied_it() -> None:
    listener = socket.create_server(("127.0.0.1", 0))

    def hang_up() -> None:
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.close()

    thread = threading.Thread(target=hang_up, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    async with AsyncStatHatClient("dev-ezkey", base_url=url, retry=NO_RETRY) as c:
        with pytest.raises(TransportError) as error:
            await c.count("x", 1)
    thread.join(5)
    listener.close()
    assert error.value.maybe_applied is True
    assert isinstance(error.value.__cause__, httpx.RemoteProtocolError)


@respx.mock
async def test_respx_still_sees_every_request_of_the_default_client() -> None:
    route = respx.post("https://api.stathat.com/ez").respond(200, json={"status": 200, "msg": "ok"})
    async with AsyncStatHatClient("secret") as client:
        assert isinstance(client._http._transport, AiohttpTransport)
        await client.count("mocked", 1)
    assert route.call_count == 1


def test_a_proxy_in_the_environment_keeps_httpxs_own_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(default_async_transport(), AiohttpTransport)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    assert default_async_transport() is None
