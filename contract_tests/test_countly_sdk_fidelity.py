"""The Countly SDK's wrappers of what the server now offers (issue 9), sync and async against the live
server: views (write and read), density, the SDK configuration and remote config of ``/o/sdk``, and
``change_device_id(merge=True)``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date

import pytest

from contract_tests.test_countly_support import API_KEY, APP_ID, APP_KEY, NOW, freeze
from sdk import AdminClient, BadRequest, Unauthorized, ValidationError
from sdk._batching import BatchConfig
from sdk.countly import AsyncCountlyClient, CountlyClient, Event, EventTotal, Metrics, SdkConfig, TimeData, ViewRow
from sdk.testing.pytest_plugin import Kit

TODAY = date(2024, 3, 15)
MANUAL = BatchConfig(background=False, max_items=100)
RC = {"theme": "dark", "retries": 3, "banner": {"on": True}}


@pytest.fixture
def client(kit: Kit, admin: AdminClient) -> Iterator[CountlyClient]:
    freeze(admin)
    admin.seed({"countly": {"remote_config": {APP_ID: RC}, "sdk_config": {APP_ID: {"tracking": True}}}})
    with CountlyClient(base_url=f"{kit.url}/countly", app_key=APP_KEY, device_id="anon-1", api_key=API_KEY,
                       app_id=APP_ID, batch=MANUAL, **kit.client_options()) as c:
        yield c


@pytest.fixture
async def aclient(kit: Kit, admin: AdminClient) -> AsyncIterator[AsyncCountlyClient]:
    freeze(admin)
    admin.seed({"countly": {"remote_config": {APP_ID: RC}, "sdk_config": {APP_ID: {"tracking": True}}}})
    async with AsyncCountlyClient(base_url=f"{kit.url}/countly", app_key=APP_KEY, device_id="anon-1",
                                  api_key=API_KEY, app_id=APP_ID, batch=MANUAL,
                                  **kit.client_options(asynchronous=True)) as c:
        yield c


def _check_views(rows: tuple[ViewRow, ...], home_days: TimeData) -> None:
    # hand-computed: /home visited (start) then left after 20 s for /cart, then the session ended on /cart
    assert sorted(r.view for r in rows) == ["/cart", "/home"]  # one visit each
    by_name = {r.view: r for r in rows}
    home, cart = by_name["/home"], by_name["/cart"]
    assert (home.t, home.n, home.uvalue, home.s, home.d, home.e, home.b) == (1, 1, 1, 1, 20, 0, 0)
    assert (cart.t, cart.s, cart.e, cart.b, cart.url) == (1, 0, 1, 0, "https://shop.test/cart")
    assert home.avg_duration == 20 and cart.avg_duration == 0
    assert home_days.day("t", TODAY) == 1 and home_days.day("d", TODAY) == 20
    assert home_days.get("u", 2024, week=11) == 1


def _check_merge(total_users: int, new_users: float | str) -> None:
    # two sessions, of the device before and after change_device_id: one user, new once
    assert total_users == 1
    assert new_users == 1


def test_views_density_and_merge(client: CountlyClient, admin: AdminClient) -> None:
    client.begin_session(Metrics(os="Android", density="2.625"))
    client.record_view("/home", start=True)
    client.record_view_duration("/home", 20)
    client.record_view("/cart", url="https://shop.test/cart")
    client.record_event(Event("add_to_cart"))
    client.change_device_id("user-7", merge=True)  # the queued event goes under the old id first
    client.end_session(30)
    rows = client.views()
    _check_views(rows, client.view_data({r.view: r for r in rows}["/home"].id))
    assert client.views(period="yesterday") == ()
    assert client.view_names() == {r.id: r.view for r in rows}
    assert client.density().meta == {"density": ["a2:63"]}
    assert client.density().day("u", TODAY, value="a2:63") == 1
    freeze(admin, NOW + 60)  # past the session cooldown: B's next session counts
    client.begin_session(Metrics(os="Android"))
    _check_merge(client.total_users(), client.dashboard()["30days"].new_users.total)
    user = admin.countly.app_user(app_id=APP_ID, app_key=APP_KEY, device_id="user-7")
    assert (user["p"], user["sc"], user["tsd"]) == ("Android", 2, 30)
    assert client.events("add_to_cart").day("c", TODAY) == 1


async def test_views_density_and_merge_async(aclient: AsyncCountlyClient, admin: AdminClient) -> None:
    await aclient.begin_session(Metrics(os="Android", density="2.625"))
    await aclient.record_view("/home", start=True)
    await aclient.record_view_duration("/home", 20)
    await aclient.record_view("/cart", url="https://shop.test/cart")
    await aclient.record_event(Event("add_to_cart"))
    await aclient.change_device_id("user-7")
    await aclient.end_session(30)
    rows = await aclient.views()
    _check_views(rows, await aclient.view_data({r.view: r for r in rows}["/home"].id))
    assert sorted((await aclient.view_names()).values()) == ["/cart", "/home"]
    assert (await aclient.density()).meta == {"density": ["a2:63"]}
    freeze(admin, NOW + 60)
    await aclient.begin_session(Metrics(os="Android"))
    _check_merge(await aclient.total_users(), (await aclient.dashboard())["30days"].new_users.total)
    user = admin.countly.app_user(app_id=APP_ID, app_key=APP_KEY, device_id="user-7")
    assert (user["p"], user["sc"], user["tsd"]) == ("Android", 2, 30)
    assert (await aclient.events("add_to_cart")).day("c", TODAY) == 1


def test_change_without_merge_is_a_new_user(client: CountlyClient) -> None:
    client.begin_session()
    client.change_device_id("other", merge=False)
    client.begin_session()
    assert client.total_users() == 2


def test_sdk_config_and_remote_config(client: CountlyClient) -> None:
    assert client.sdk_config() == SdkConfig(2, NOW * 1000, {"tracking": True})
    assert client.remote_config() == RC
    assert client.remote_config(keys=["theme"]) == {"theme": "dark"}
    assert client.remote_config(omit_keys=["theme", "banner"]) == {"retries": 3}


async def test_sdk_config_and_remote_config_async(aclient: AsyncCountlyClient) -> None:
    assert await aclient.sdk_config() == SdkConfig(2, NOW * 1000, {"tracking": True})
    assert await aclient.remote_config() == RC
    assert await aclient.remote_config(keys=["retries", "none"]) == {"retries": 3}


def test_refusals(client: CountlyClient, base_url: str) -> None:
    with pytest.raises(ValidationError):
        client.record_view("")
    with pytest.raises(ValidationError):
        client.record_view_duration("/x", -1)
    with pytest.raises(ValidationError):
        client.change_device_id("anon-1")  # the id it already has
    with pytest.raises(ValidationError):
        client.change_device_id("")
    assert client.device_id == "anon-1"
    with CountlyClient(base_url=f"{base_url}/countly", app_key="wrong-key", device_id="d") as wrong:
        with pytest.raises(BadRequest) as info:
            wrong.sdk_config()
        assert "App does not exist" in str(info.value)
        with pytest.raises(BadRequest):
            wrong.remote_config()
    with CountlyClient(base_url=f"{base_url}/countly", api_key="dev-readonly-key", app_id=APP_ID) as reader:
        with pytest.raises(Unauthorized):
            reader.views()
        with pytest.raises(ValidationError):
            reader.sdk_config()  # needs app_key and device_id


async def test_refusals_async(aclient: AsyncCountlyClient, base_url: str) -> None:
    with pytest.raises(ValidationError):
        await aclient.record_view("")
    async with AsyncCountlyClient(base_url=f"{base_url}/countly", app_key="wrong-key", device_id="d") as wrong:
        with pytest.raises(BadRequest):
            await wrong.sdk_config()
    async with AsyncCountlyClient(base_url=f"{base_url}/countly", api_key="dev-readonly-key", app_id=APP_ID) as r:
        with pytest.raises(Unauthorized):
            await r.views()


# -- event_totals(): /o/analytics/events ------------------------------------------------------------
EXPECTED_TOTALS = (EventTotal("buy", 3, 4.5, 2.0), EventTotal("open", 1, 0, 0))


def test_event_totals(client: CountlyClient, base_url: str) -> None:
    client.record_event(Event("open"))
    client.record_event(Event("buy", 2, sum=4.5, dur=2.0))
    client.record_event(Event("buy"))
    client.flush()
    assert client.event_totals() == EXPECTED_TOTALS
    assert client.event_totals(period="yesterday") == (EventTotal("buy", 0, 0, 0), EventTotal("open", 0, 0, 0))
    with (CountlyClient(base_url=f"{base_url}/countly", api_key="dev-readonly-key", app_id=APP_ID) as reader,
          pytest.raises(Unauthorized)):
        reader.event_totals()


async def test_event_totals_async(aclient: AsyncCountlyClient) -> None:
    await aclient.record_event(Event("open"))
    await aclient.record_event(Event("buy", 2, sum=4.5, dur=2.0))
    await aclient.record_event(Event("buy"))
    await aclient.flush()
    assert await aclient.event_totals() == EXPECTED_TOTALS
