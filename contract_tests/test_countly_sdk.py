"""The Countly SDK against the live reference server, sync and async, and a cassette of its wire format."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import AsyncIterator, Iterator
from datetime import date

import pytest

import sdk.countly as countly_module
from contract_tests.cassettes import CASSETTES
from contract_tests.test_countly_support import API_KEY, APP_ID, APP_KEY, NOW, READONLY_KEY, freeze
from sdk import AdminClient, BadRequest, RetryPolicy, Unauthorized, ValidationError
from sdk._batching import BatchConfig
from sdk.countly import AsyncCountlyClient, CountlyClient, Event, Metrics, TimeData
from sdk.testing import make_vcr
from sdk.testing.pytest_plugin import Kit

TODAY = date(2024, 3, 15)
MANUAL = BatchConfig(background=False, max_items=100)


@pytest.fixture
def client(kit: Kit, admin: AdminClient) -> Iterator[CountlyClient]:
    freeze(admin)
    with CountlyClient(base_url=f"{kit.url}/countly", app_key=APP_KEY, device_id="phone-1", api_key=API_KEY,
                       app_id=APP_ID, batch=MANUAL, **kit.client_options()) as c:
        yield c


@pytest.fixture
async def aclient(kit: Kit, admin: AdminClient) -> AsyncIterator[AsyncCountlyClient]:
    freeze(admin)
    async with AsyncCountlyClient(base_url=f"{kit.url}/countly", app_key=APP_KEY, device_id="phone-1",
                                  api_key=API_KEY, app_id=APP_ID, batch=MANUAL,
                                  **kit.client_options(asynchronous=True)) as c:
        yield c


METRICS = Metrics(os="Android", os_version="14", resolution="1080x2400", carrier="vodafone", app_version="2.1")
EVENTS = (Event("purchase", 2, sum=9.98, segmentation={"plan": "pro"}), Event("level_up"),
          Event("purchase", 1, sum=4.99, segmentation={"plan": "basic"}))


def _check_replay(sessions: TimeData, users: TimeData, purchase: TimeData, by_plan: TimeData) -> None:
    # hand-computed: one new device, 3 heartbeats of 30 s and 15 s at the end = 105 s;
    # requests: begin, 3 heartbeats, one events batch, end = 6
    assert sessions.day("t", TODAY) == 1 and sessions.day("n", TODAY) == 1 and sessions.day("u", TODAY) == 1
    assert sessions.day("d", TODAY) == 105
    assert sessions.day("e", TODAY) == 6
    assert sessions.get("u", 2024, week=11) == 1
    assert users.raw == sessions.raw
    assert users.meta["countries"] == ["TR"]
    assert users.day("t", TODAY, value="TR") == 1
    assert purchase.day("c", TODAY) == 3 and purchase.day("s", TODAY) == pytest.approx(14.97)
    assert purchase.get("c", 2024, 3, 15, 10) == 3
    assert purchase.meta == {"segments": ["plan"], "plan": ["pro", "basic"]}
    assert by_plan.day("c", TODAY, value="pro") == 2 and by_plan.day("c", TODAY, value="basic") == 1
    assert purchase.total("c", [TODAY, date(2024, 3, 14)]) == 3
    assert sessions.total_between("d", date(2024, 2, 15), TODAY) == 105  # the 30 days up to today


def test_device_session_replay(client: CountlyClient, admin: AdminClient) -> None:
    client.begin_session(METRICS, ip_address="88.255.4.4")
    for _ in range(3):
        client.session_duration(30)
    for event in EVENTS:
        client.record_event(event)
    client.flush()
    client.end_session(15)
    _check_replay(client.sessions(), client.users(), client.events("purchase"),
                  client.events("purchase", segmentation="plan"))
    assert client.get_events().keys == ("purchase", "level_up")
    assert client.total_users() == 1
    board = client.dashboard()
    month = board["30days"]
    assert month.total_sessions.total == 1 and month.total_users.total == 1
    assert month.total_users.is_estimate is False
    assert month.total_time.total == "1.8 min" and month.avg_requests.total == "6.0"
    assert [(b.name, b.percent) for b in month.top["platforms"]] == [("Android", 100)]
    assert [(b.name, b.percent) for b in month.top["carriers"]] == [("Vodafone", 100)]
    assert board["today"].period == "00:00 - 23:30"
    countries = client.countries()
    assert [(r.code, r.t, r.u, r.n) for r in countries["today"]] == [("tr", 1, 1, 1)]
    assert client.device_details().meta["os_versions"] == ["a14"]
    assert client.app_versions().meta["app_versions"] == ["2:1"]
    assert client.carriers().meta == {"carriers": ["Vodafone"]}
    assert client.devices().empty and client.cities().empty  # no _device sent; the app keeps no cities
    # one request per events batch
    writes = [r for r in admin.requests.list(path="/countly/i", limit=1000) if r["path"] == "/countly/i"]
    assert len(writes) == 6


async def test_device_session_replay_async(aclient: AsyncCountlyClient) -> None:
    await aclient.begin_session(METRICS, ip_address="88.255.4.4")
    for _ in range(3):
        await aclient.session_duration(30)
    for event in EVENTS:
        await aclient.record_event(event)
    await aclient.flush()
    await aclient.end_session(15)
    _check_replay(await aclient.sessions(), await aclient.users(), await aclient.events("purchase"),
                  await aclient.events("purchase", segmentation="plan"))
    board = await aclient.dashboard()
    assert board["7days"].avg_time.total == "1.8 min"
    assert (await aclient.countries())["30days"][0].country == "Turkey"
    assert await aclient.total_users() == 1


def test_session_context_manager_with_heartbeat(client: CountlyClient, admin: AdminClient) -> None:
    with client.session(METRICS, heartbeat=0.2, country_code="DE"):
        client.record_event(Event("tap"))
        time.sleep(2.2)
    sessions = client.sessions()
    assert sessions.day("t", TODAY) == 1
    # the whole seconds elapsed (at least 2) arrive through the heartbeats and the end
    assert sessions.day("d", TODAY) >= 2
    writes = [r for r in admin.requests.list(path="/countly/i", limit=1000) if r["path"] == "/countly/i"]
    # begin, the events batch, end, and at least one heartbeat in between (e counts every request)
    assert len(writes) >= 4 and sessions.day("e", TODAY) == len(writes)
    assert client.events("tap").day("c", TODAY) == 1
    user = admin.countly.app_user(app_id=APP_ID, app_key=APP_KEY, device_id="phone-1")
    assert user["hos"] is False and user["sd"] == 0


async def test_session_context_manager_async(aclient: AsyncCountlyClient, admin: AdminClient) -> None:
    async with aclient.session(METRICS, heartbeat=0.2):
        await aclient.record_event(Event("tap", 3))
        import asyncio

        await asyncio.sleep(2.2)
    sessions = await aclient.sessions()
    assert sessions.day("d", TODAY) >= 2
    assert sessions.day("e", TODAY) >= 4  # begin, events, end and at least one heartbeat
    assert (await aclient.events("tap")).day("c", TODAY) == 3
    user = admin.countly.app_user(app_id=APP_ID, app_key=APP_KEY, device_id="phone-1")
    assert user["hos"] is False


def test_batch_of_several_devices_goes_to_bulk(client: CountlyClient, admin: AdminClient) -> None:
    client.record_event(Event("a", device_id="dev-a"))
    client.record_event(Event("a", 2, device_id="dev-b"))
    client.record_event(Event("a", 4))
    client.flush()
    assert [r["path"] for r in admin.requests.list(path="/countly/i", limit=1000)] == ["/countly/i/bulk"]
    assert client.events("a").day("c", TODAY) == 7


def test_bulk(client: CountlyClient) -> None:
    client.bulk([{"device_id": "x", "begin_session": 1, "metrics": {"_os": "IOS"}},
                 {"device_id": "y", "begin_session": 1}])
    assert client.sessions().day("t", TODAY) == 2
    with pytest.raises(ValidationError, match=r"requests\[0\].device_id"):
        client.bulk([{"begin_session": 1}])


def test_retry_after_read_timeout_is_not_counted_twice(base_url: str, admin: AdminClient) -> None:
    freeze(admin)
    # Opted in (retry_writes): the first attempt is held 0.6 s by the server and then applied; the client
    # gives up at 0.3 s and retries the same bytes with the same timestamp, which the server acknowledges
    # as a duplicate (no other write of the device comes in between; test_batch_faults shows why that
    # is not the default).
    admin.faults.add(path="/countly/i", status=None, delay=0.6, times=1)
    with CountlyClient(base_url=f"{base_url}/countly", app_key=APP_KEY, device_id="p", api_key=API_KEY,
                       app_id=APP_ID, timeout=0.3, retry=RetryPolicy(base=0.05, jitter=0, retry_writes=True)) as c:
        c.begin_session()
        time.sleep(0.5)  # let the held first attempt finish on the server
        c.with_options(timeout=10).sessions()
        assert c.with_options(timeout=10).sessions().day("t", TODAY) == 1
    attempts = admin.requests.list(path="/countly/i", limit=1000)
    assert len(attempts) == 2 and {r["retry_count"] for r in attempts} == {"0", "1"}


def test_errors(client: CountlyClient, base_url: str) -> None:
    with CountlyClient(base_url=f"{base_url}/countly", app_key="wrong-key", device_id="d") as bad, \
            pytest.raises(BadRequest) as caught:
        bad.begin_session()
    assert caught.value.status == 400 and caught.value.message == "App does not exist"
    assert "wrong-key" not in str(caught.value) and "wrong-key" not in repr(bad)
    with CountlyClient(base_url=f"{base_url}/countly", api_key=READONLY_KEY, app_id=APP_ID) as reader:
        with pytest.raises(Unauthorized, match="User does not have right"):
            reader.sessions()
        with pytest.raises(ValidationError, match="app_key"):
            reader.begin_session()
    with pytest.raises(ValidationError, match="count"):
        client.record_event(Event("k", 0))
    with pytest.raises(ValidationError, match=r"\[CLY\]_"):
        Event("[CLY]_view")
    with pytest.raises(ValidationError, match=r"segmentation\.a"):
        Event("k", segmentation={"a": [1]})  # type: ignore[dict-item]
    with pytest.raises(ValidationError, match="session_duration"):
        client.session_duration(0)
    with pytest.raises(ValidationError, match="method"):
        client.read("live")
    assert client.sessions().empty  # nothing was sent by the refused calls


def test_checksum_with_salt(base_url: str, admin: AdminClient) -> None:
    freeze(admin)
    admin.seed({"countly": {"apps": [{"app_id": "c" * 24, "app_key": "salty", "salt": "pepper"}]}})
    url = f"{base_url}/countly"
    with CountlyClient(base_url=url, app_key="salty", device_id="d", api_key=API_KEY, app_id="c" * 24,
                       salt="pepper") as good:
        good.begin_session(METRICS)
        assert good.sessions().day("t", TODAY) == 1
    with CountlyClient(base_url=url, app_key="salty", device_id="d", salt="wrong") as bad, \
            pytest.raises(BadRequest, match="Request does not match checksum"):
        bad.end_session()
    with CountlyClient(base_url=url, app_key="salty", device_id="d") as none, \
            pytest.raises(BadRequest, match="Request does not have checksum"):
        none.end_session()


async def test_errors_async(aclient: AsyncCountlyClient, base_url: str) -> None:
    async with AsyncCountlyClient(base_url=f"{base_url}/countly", api_key="nobody", app_id=APP_ID) as reader:
        with pytest.raises(Unauthorized, match="User does not exist"):
            await reader.dashboard()
    with pytest.raises(ValidationError):
        await aclient.record_event(Event("k", -1))


def test_reset_app(client: CountlyClient) -> None:
    client.begin_session()
    client.reset_app()
    assert client.sessions().empty
    assert client.total_users() == 0


async def test_reset_app_async(aclient: AsyncCountlyClient) -> None:
    await aclient.begin_session()
    await aclient.reset_app()
    assert (await aclient.users()).empty


def test_periods_and_refresh(client: CountlyClient) -> None:
    client.begin_session()
    assert client.sessions(period="hour").day("t", TODAY) == 1
    assert client.sessions(period=(NOW - 86400, NOW)).day("t", TODAY) == 1
    assert client.read("sessions", refresh=True).day("t", TODAY) == 1
    assert client.dashboard(period="7days").periods.keys() == {"7days"}
    client.record_event(Event("e"))
    client.flush()
    assert client.events(events=["e", "f"]).day("c", TODAY) == 1
    assert client.events("e", refresh=True).day("c", TODAY) == 1


def test_cassette(base_url: str, admin: AdminClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK's wire format, recorded once; a change to it fails the replay."""
    freeze(admin)
    stamps = itertools.count(1710498600000)
    monkeypatch.setattr(countly_module, "_now_ms", lambda: next(stamps))
    vcr = make_vcr(CASSETTES)
    name = "countly_sdk.yaml"
    with vcr.use_cassette(name), CountlyClient(base_url=f"{base_url}/countly", app_key=APP_KEY, device_id="tape",
                                               api_key=API_KEY, app_id=APP_ID, batch=MANUAL) as c:
        c.begin_session(Metrics(os="Android"), country_code="TR")
        c.session_duration(30)
        c.send_events([Event("buy", 2, sum=1.5, segmentation={"k": "v"}, timestamp=1710498600000)])
        c.end_session(5)
        assert c.sessions().day("t", TODAY) == 1
        assert c.dashboard()["today"].total_sessions.total == 1
        assert c.countries()["today"][0].code == "tr"
        assert c.get_events().keys == ("buy",)
    text = (CASSETTES / name).read_text()
    for secret in (APP_KEY, API_KEY):
        assert secret not in text
    assert json.dumps("buy")[1:-1] in text


async def test_async_batch_of_several_devices_and_bulk(aclient: AsyncCountlyClient, admin: AdminClient) -> None:
    await aclient.record_event(Event("a", device_id="dev-a"))
    await aclient.record_event(Event("a", 2))
    await aclient.flush()
    assert [r["path"] for r in admin.requests.list(path="/countly/i", limit=1000)] == ["/countly/i/bulk"]
    await aclient.bulk([{"device_id": "x", "begin_session": 1}, {"device_id": "y", "begin_session": 1}])
    assert (await aclient.sessions()).day("t", TODAY) == 2
    assert (await aclient.events("a")).day("c", TODAY) == 3
    with pytest.raises(ValidationError, match=r"requests\[1\].device_id"):
        await aclient.bulk([{"device_id": "z"}, {"begin_session": 1}])
    assert (await aclient.sessions()).day("t", TODAY) == 2  # nothing sent
