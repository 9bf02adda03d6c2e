"""The Countly SDK with respx: wire format, retries of stamped writes, errors, redaction, models, parity."""

from __future__ import annotations

import inspect
import json
import logging
import time
from datetime import date
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from sdk import BadRequest, RetryPolicy, ServerError, TransportError, Unauthorized, ValidationError
from sdk._batching import BatchConfig
from sdk.countly import AsyncCountlyClient, CountlyClient, Event, Metrics, TimeData

BASE = "https://countly.example/countly"
FAST = RetryPolicy(base=0.001, cap=0.002, jitter=0)
#: Writes that may have been applied retried too (opted in: by default they are not).
RETRY_WRITES = RetryPolicy(base=0.001, cap=0.002, jitter=0, retry_writes=True)


def _client(retry: RetryPolicy = FAST, **kwargs: object) -> CountlyClient:
    return CountlyClient(base_url=BASE, app_key="secret-app-key", device_id="dev", api_key="secret-api-key",
                         app_id="0123456789abcdef01234567", retry=retry, batch=BatchConfig(background=False),
                         **kwargs)  # type: ignore[arg-type]


def _form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


@respx.mock
def test_begin_session_wire_format() -> None:
    route = respx.post(f"{BASE}/i").respond(json={"result": "Success"})
    with _client() as c:
        c.begin_session(Metrics(os="Android", os_version="14", extra={"_store": "play"}), ip_address="1.2.3.4")
    form = _form(route.calls.last.request)
    assert form["app_key"] == "secret-app-key" and form["device_id"] == "dev" and form["begin_session"] == "1"
    assert json.loads(form["metrics"]) == {"_os": "Android", "_os_version": "14", "_store": "play"}
    assert form["ip_address"] == "1.2.3.4" and form["sdk_version"]
    assert len(form["timestamp"]) == 13


@respx.mock
def test_retried_write_is_byte_for_byte_the_same() -> None:
    route = respx.post(f"{BASE}/i").mock(side_effect=[httpx.Response(500), httpx.ReadTimeout("slow"),
                                                      httpx.Response(200, json={"result": "Success"})])
    with _client(retry=RETRY_WRITES) as c:  # opted in
        c.session_duration(30)
    bodies = {call.request.content for call in route.calls}
    assert route.call_count == 3 and len(bodies) == 1  # same timestamp: the server deduplicates


@respx.mock
def test_a_write_that_may_have_been_applied_is_not_retried_by_default() -> None:
    route = respx.post(f"{BASE}/i").mock(side_effect=[httpx.Response(500), httpx.Response(200)])
    with _client() as c, pytest.raises(ServerError) as info:
        c.session_duration(30)
    assert route.call_count == 1 and info.value.maybe_applied


@respx.mock
def test_timestamps_strictly_increase() -> None:
    route = respx.post(f"{BASE}/i").respond(json={"result": "Success"})
    with _client() as c:
        for _ in range(5):
            c.session_duration(1)
    stamps = [int(_form(call.request)["timestamp"]) for call in route.calls]
    assert stamps == sorted(set(stamps))


@respx.mock
def test_events_batch_is_one_request_and_devices_split_to_bulk() -> None:
    single = respx.post(f"{BASE}/i").respond(json={"result": "Success"})
    bulk = respx.post(f"{BASE}/i/bulk").respond(json={"result": "Success"})
    with _client() as c:
        c.record_event(Event("a", 2, sum=1.5, segmentation={"k": "v"}))
        c.record_event(Event("b"))
        c.flush()
        assert single.call_count == 1
        events = json.loads(_form(single.calls.last.request)["events"])
        assert [e["key"] for e in events] == ["a", "b"] and all("timestamp" in e for e in events)
        c.record_event(Event("a", device_id="other"))
        c.record_event(Event("a"))
        c.flush()
    entries = json.loads(_form(bulk.calls.last.request)["requests"])
    assert sorted(e["device_id"] for e in entries) == ["dev", "other"]


@respx.mock
def test_undeliverable_batch_reaches_on_error() -> None:
    respx.post(f"{BASE}/i").respond(400, json={"result": "App does not exist"})
    failures: list[tuple[BaseException, list[Event]]] = []
    with _client(on_error=lambda exc, batch: failures.append((exc, batch))) as c:
        c.record_event(Event("a"))
        c.flush()
    assert len(failures) == 1 and isinstance(failures[0][0], BadRequest) and failures[0][1][0].key == "a"


@respx.mock
def test_errors_and_redaction(caplog: pytest.LogCaptureFixture) -> None:
    respx.get(f"{BASE}/o").respond(401, json={"result": "User does not have right"})
    respx.post(f"{BASE}/i").respond(200, json={"result": "Request does not match checksum"})
    caplog.set_level(logging.DEBUG, logger="analytics_api_kit")
    with _client() as c:
        with pytest.raises(Unauthorized) as caught:
            c.sessions()
        assert caught.value.message == "User does not have right"
        with pytest.raises(BadRequest, match="Request does not match checksum"):
            c.end_session()
        text = f"{caught.value!s} {c!r} {caplog.text}"
    assert "secret-api-key" not in text and "secret-app-key" not in text


@respx.mock
def test_server_error_after_retries() -> None:
    route = respx.get(f"{BASE}/o/analytics/dashboard").respond(503, json={"result": "busy"})
    with _client() as c, pytest.raises(ServerError):
        c.dashboard()
    assert route.call_count == 3


def test_time_data_model() -> None:
    data = TimeData({"2024": {"3": {"15": {"10": {"t": 1}, "t": 2, "Android": {"t": 2}}, "16": {"t": 3}, "t": 5},
                              "w11": {"u": 4}, "t": 5}, "meta": {"os": ["Android"]}})
    assert data.day("t", date(2024, 3, 15)) == 2
    assert data.get("t", 2024, 3, 15, 10) == 1
    assert data.get("u", 2024, week=11) == 4
    assert data.day("t", date(2024, 3, 15), value="Android") == 2
    assert data.total("t", [date(2024, 3, 15), date(2024, 3, 16), date(2024, 3, 17)]) == 5
    assert data.total_between("t", date(2024, 3, 16), date(2024, 3, 20)) == 3
    assert data.total_between("t", date(2024, 3, 1), date(2024, 3, 31), value="Android") == 2
    with pytest.raises(ValidationError, match="unique users"):
        data.total("u", [date(2024, 3, 15)])
    assert data.get("t", 2024) == 5 and data.get("t", 2023) == 0
    assert data.meta == {"os": ["Android"]} and not data.empty and TimeData({}).empty


def test_sync_and_async_have_the_same_methods() -> None:
    def public(cls: type) -> set[str]:
        return {n for n, _ in inspect.getmembers(cls, inspect.isfunction) if not n.startswith("_")}

    sync, async_ = public(CountlyClient), public(AsyncCountlyClient)
    assert sync - {"close"} == async_ - {"aclose"}
    for name in async_ - {"session"}:
        if name in sync and name not in ("build_request", "check_response", "describe", "error_message",
                                         "make_error", "status_in_body", "transport_error", "with_options"):
            assert inspect.iscoroutinefunction(getattr(AsyncCountlyClient, name)), name


@respx.mock
async def test_async_write_and_read() -> None:
    write = respx.post(f"{BASE}/i").respond(json={"result": "Success"})
    respx.get(f"{BASE}/o").respond(json={"2024": {"3": {"15": {"t": 1}}}})
    async with AsyncCountlyClient(base_url=BASE, app_key="k", device_id="d", api_key="a",
                                  app_id="0123456789abcdef01234567", batch=BatchConfig(background=False)) as c:
        await c.begin_session()
        await c.record_event(Event("x"))
        await c.flush()
        assert (await c.sessions()).day("t", date(2024, 3, 15)) == 1
    assert write.call_count == 2


@respx.mock
def test_bulk_entries_get_their_own_timestamps() -> None:
    route = respx.post(f"{BASE}/i/bulk").respond(json={"result": "Success"})
    with _client() as c:
        c.bulk([{"device_id": "a", "session_duration": 30}, {"device_id": "a", "session_duration": 30},
                {"device_id": "b", "timestamp": 1710000000}])
    entries = json.loads(_form(route.calls.last.request)["requests"])
    assert entries[0]["timestamp"] < entries[1]["timestamp"]  # not a duplicate of each other on the server
    assert entries[2]["timestamp"] == 1710000000  # a caller's timestamp is kept


@respx.mock
def test_heartbeat_seconds_not_applied_go_with_the_next_one() -> None:
    route = respx.post(f"{BASE}/i").mock(side_effect=[httpx.ConnectError("down")] * 3 + [
        httpx.Response(200, json={"result": "Success"}), httpx.Response(200, json={"result": "Success"})])
    with _client() as c:
        session = c.session()
        session._mark = time.monotonic() - 2.5  # two whole seconds to report, as if the session began then
        with pytest.raises(TransportError):
            session.extend()  # never reached the server: its seconds stay with the session
        session.extend()
        assert route.call_count == 4 and _form(route.calls.last.request)["session_duration"] == "2"
        # a heartbeat that may have been applied (read timeout after sending) is not counted again
        route.side_effect = [httpx.ReadTimeout("slow")]
        session._mark -= 3
        with pytest.raises(TransportError):
            session.extend()
        route.side_effect = None
        route.return_value = httpx.Response(200, json={"result": "Success"})
        session._mark -= 1
        session.extend()
        assert route.call_count == 6 and _form(route.calls.last.request)["session_duration"] == "1"


@respx.mock
async def test_async_heartbeat_seconds_not_applied_go_with_the_next_one() -> None:
    route = respx.post(f"{BASE}/i").mock(side_effect=[httpx.Response(503, json={"result": "busy"})] * 3 + [
        httpx.Response(200, json={"result": "Success"})])
    async with AsyncCountlyClient(base_url=BASE, app_key="k", device_id="d", retry=FAST,
                                  batch=BatchConfig(background=False)) as c:
        session = c.session()
        session._mark = time.monotonic() - 2.5
        with pytest.raises(ServerError):
            await session.extend()
        await session.extend()
    assert route.call_count == 4 and _form(route.calls.last.request)["session_duration"] == "2"


@respx.mock
def test_writes_go_one_at_a_time() -> None:
    """A write and its retries finish before the next write of the client starts (the heartbeat thread, the
    batcher and the caller all write), so the server's duplicate check always sees a retry next to itself."""
    import threading

    started, release = threading.Event(), threading.Event()

    seen: list[httpx.Request] = []

    def held(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if not started.is_set():
            started.set()
            release.wait(5)
            raise httpx.ReadTimeout("slow", request=request)  # applied, maybe: the retry repeats the bytes
        return httpx.Response(200, json={"result": "Success"})

    route = respx.post(f"{BASE}/i").mock(side_effect=held)
    with _client(retry=RETRY_WRITES) as c:
        first = threading.Thread(target=c.session_duration, args=(5,))
        first.start()
        assert started.wait(5)
        second = threading.Thread(target=c.end_session)
        second.start()
        second.join(0.2)
        assert second.is_alive() and len(seen) == 1  # the end waits for the heartbeat and its retry
        release.set()
        first.join(5)
        second.join(5)
    forms = [_form(call.request) for call in route.calls]
    assert [("end_session" in f, f["timestamp"]) for f in forms] == [
        (False, forms[0]["timestamp"]), (False, forms[0]["timestamp"]), (True, forms[2]["timestamp"])]


@respx.mock
async def test_async_writes_go_one_at_a_time() -> None:
    import asyncio

    started, release = asyncio.Event(), asyncio.Event()

    seen: list[httpx.Request] = []

    async def held(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if not started.is_set():
            started.set()
            await release.wait()
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(200, json={"result": "Success"})

    route = respx.post(f"{BASE}/i").mock(side_effect=held)
    async with AsyncCountlyClient(base_url=BASE, app_key="k", device_id="d", retry=RETRY_WRITES,
                                  batch=BatchConfig(background=False)) as c:
        first = asyncio.create_task(c.session_duration(5))
        await started.wait()
        second = asyncio.create_task(c.end_session())
        await asyncio.sleep(0.05)
        assert not second.done() and len(seen) == 1
        release.set()
        await asyncio.gather(first, second)
    forms = [_form(call.request) for call in route.calls]
    assert ["end_session" in f for f in forms] == [False, False, True]
    assert forms[0]["timestamp"] == forms[1]["timestamp"]


@respx.mock
async def test_async_session_exit_lets_a_heartbeat_in_flight_finish() -> None:
    import asyncio

    started, release = asyncio.Event(), asyncio.Event()

    async def held(request: httpx.Request) -> httpx.Response:
        form = _form(request)
        if "session_duration" in form and "end_session" not in form:
            started.set()
            await release.wait()
        return httpx.Response(200, json={"result": "Success"})

    route = respx.post(f"{BASE}/i").mock(side_effect=held)
    async with AsyncCountlyClient(base_url=BASE, app_key="k", device_id="d", retry=FAST,
                                  batch=BatchConfig(background=False)) as c:
        session = c.session(heartbeat=0.01)
        await session.__aenter__()
        session._mark -= 3  # three whole seconds for the first heartbeat to report
        await started.wait()
        leaving = asyncio.create_task(session.__aexit__(None, None, None))
        await asyncio.sleep(0.05)
        release.set()
        await leaving
    forms = [_form(call.request) for call in route.calls]
    reported = sum(int(f.get("session_duration", 0)) for f in forms)
    assert reported == 3 and "end_session" in forms[-1]  # the heartbeat's 3 s arrived; nothing lost


@respx.mock
def test_view_and_change_id_wire_format() -> None:
    route = respx.post(f"{BASE}/i").respond(json={"result": "Success"})
    with _client() as c:
        c.record_view("/home", start=True, url="https://x.test/")
        c.record_view_duration("/home", 12)
        c.record_event(Event("queued"))
        c.change_device_id("new-id")
        assert c.device_id == "new-id"
    forms = [_form(call.request) for call in route.calls]
    visit, duration = json.loads(forms[0]["events"])[0], json.loads(forms[1]["events"])[0]
    assert (visit["key"], visit["segmentation"]) == ("[CLY]_view", {"name": "/home", "visit": 1, "start": 1,
                                                                   "view": "https://x.test/"})
    assert (duration["dur"], duration["segmentation"]) == (12, {"name": "/home"})
    assert (forms[2]["device_id"], json.loads(forms[2]["events"])[0]["key"]) == ("dev", "queued")  # old id first
    assert (forms[3]["device_id"], forms[3]["old_device_id"]) == ("new-id", "dev")


@respx.mock
def test_sdk_reads_use_the_app_key() -> None:
    route = respx.get(f"{BASE}/o/sdk").respond(json={"theme": "dark"})
    with _client() as c:
        assert c.remote_config(keys=["theme"], omit_keys=["x"]) == {"theme": "dark"}
    params = dict(route.calls.last.request.url.params)
    assert params == {"app_key": "secret-app-key", "device_id": "dev", "method": "fetch_remote_config",
                      "keys": '["theme"]', "omit_keys": '["x"]'}
