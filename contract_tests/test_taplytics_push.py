"""Taplytics push notifications: every rule of the text, filter evaluation, duplicate content, the SDK."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from sdk import AdminClient
from sdk._errors import NotFound
from sdk._errors import ValidationError as SDKValidationError
from sdk.taplytics import (
    AsyncTaplyticsClient,
    Filter,
    Image,
    Notification,
    Schedule,
    TaplyticsClient,
    where,
)
from sdk.testing.pytest_plugin import Kit

TOKEN = "dev-api-token"
H = {"x-access-token": TOKEN}
EXAMPLE_FILTERS = [  # the text's example: Android >= 5.0.0 OR iOS != 8.0.1, AND Canada or US, AND spent >= 16
    {"type": "an_version", "comparator": ">=", "values": ["5.0.0"]},
    {"type": "ios_version", "comparator": "!=", "values": ["8.0.1"]},
    {"type": "country", "comparator": "=", "values": ["Canada", "US"]},
    {"type": "custom_data", "comparator": ">=", "values": [16], "dataKey": "dollars spent"},
]


def _user(uid: str, os: str, version: str, country: str | None, spent: Any = None, **extra: Any) -> dict[str, Any]:
    user: dict[str, Any] = {"user_id": uid, "devices": [{"os": os, "os_version": version}], **extra}
    if country is not None:
        user["location"] = {"country_name": country} if len(country) > 2 else {"country_code": country}
    if spent is not None:
        user["custom_data"] = {"dollars spent": spent}
    return user


# Hand-computed against EXAMPLE_FILTERS (see each comment):
AUDIENCE = [
    _user("a", "Android", "5.1.0", "Canada", 20),  # yes: Android 5.1.0 >= 5.0.0, Canada, 20 >= 16
    _user("b", "Android", "4.4.4", "Canada", 20),  # no: Android below 5 and no iPhone
    _user("c", "iOS", "8.0.1", "US", 30),  # no: the one iOS version excluded
    _user("d", "iOS", "9.0", "US", 16),  # yes: 16 >= 16 (numbers)
    _user("e", "iOS", "9.0", "Mexico", 100),  # no: country
    _user("f", "Android", "6.0", "US", "5"),  # no: "5" compares as the number 5 < 16
    _user("g", "Android", "10.0.0", "Canada", 16.5),  # yes: 10.0.0 >= 5.0.0 as versions (not as text)
    _user("h", "Android", "5.0", "US"),  # no: no "dollars spent" at all
]
EXPECTED = ["a", "d", "g"]


@pytest.fixture
def client(kit: Kit, admin: AdminClient) -> Iterator[TaplyticsClient]:
    with TaplyticsClient(TOKEN, base_url=f"{kit.url}/taplytics", **kit.client_options()) as c:
        yield c


@pytest.fixture
async def aclient(kit: Kit, admin: AdminClient) -> AsyncIterator[AsyncTaplyticsClient]:
    async with AsyncTaplyticsClient(TOKEN, base_url=f"{kit.url}/taplytics",
                                    **kit.client_options(asynchronous=True)) as c:
        yield c


#: The audience check reads users over raw HTTP (``user_ids``), which reaches no in-process app.
HTTP_ONLY = pytest.mark.parametrize("analytics_kit_via", ["http"])


def user_ids(admin: AdminClient, ids: list[str]) -> list[str]:
    """Taplytics ids → the user_id each seeded user carries."""
    by_id = {u["id"]: u["user_id"] for u in httpx.get(
        f"{admin.base_url}/taplytics/v2/users", params={"per_page": 100}, headers=H).json()}
    return [by_id[i] for i in ids]


def audience(admin: AdminClient, push_id: str) -> dict[str, Any]:
    result: dict[str, Any] = admin.taplytics.audience(push_id)
    return {k: user_ids(admin, v) if isinstance(v, list) else v for k, v in result.items()}


def later(**delta: float) -> datetime:
    return datetime.now(UTC) + timedelta(**delta)


# -- creating ------------------------------------------------------------------------------------
def test_push_example_evaluated_against_users(http: httpx.Client, admin: AdminClient) -> None:
    admin.seed({"taplytics": {"users": AUDIENCE}})
    body = {"name": "Test", "filters": EXAMPLE_FILTERS, "notification": {"alert": "You've won a VCR!"},
            "image": {"url": "https://images.example.com/taplytics.jpg", "tl_cdn": True},
            "filter_duplicate_content": True, "production": False, "is_silent": False}
    r = http.post("/taplytics/v2/push", json=body, headers=H)
    assert r.status_code == 200, r.text
    push = r.json()
    assert push["status"] == "sending" and push["schedule"] == {"now": True} and push["name"] == "Test"
    assert push["filters"] == EXAMPLE_FILTERS and push["image"] == body["image"]
    assert audience(admin, push["id"])["matched"] == EXPECTED
    assert http.get(f"/taplytics/v2/push/{push['id']}", headers=H).json() == push
    listed = http.get("/taplytics/v2/push", headers=H)
    assert listed.json() == [push] and set(listed.links) == {"first", "last"}


def test_no_filters_means_everyone_and_defaults(http: httpx.Client, admin: AdminClient) -> None:
    admin.seed({"taplytics": {"users": AUDIENCE}})
    push = http.post("/taplytics/v2/push", json={"notification": {"alert": "all"}}, headers=H).json()
    assert push["production"] is False and push["filter_duplicate_content"] is True and push["filters"] == []
    assert audience(admin, push["id"])["matched"] == [u["user_id"] for u in AUDIENCE]


@pytest.mark.parametrize(("filters", "expected"), [
    # os, user_id, gender, age as a number, push tokens, != on one value
    ([{"type": "os", "comparator": "=", "values": ["iOS"]}], ["c", "d", "e"]),
    ([{"type": "user_id", "comparator": "=", "values": ["b", "h", "zz"]}], ["b", "h"]),
    ([{"type": "gender", "comparator": "=", "values": ["female"]}], ["a"]),
    ([{"type": "age", "comparator": "<=", "values": [9]}], ["c"]),  # 30 and 9: numbers, not "30" < "9"
    ([{"type": "ios_version", "comparator": "<=", "values": ["8.0.1"]}], ["c"]),  # iOS only, Android left out
    ([{"type": "an_version", "comparator": "<=", "values": ["5.0.0"]}], ["b", "h"]),  # 5.0 == 5.0.0
    ([{"type": "country", "comparator": "!=", "values": ["US"]}], ["a", "b", "e", "g"]),  # f and h are "US" codes
    # The text's bad filter: != with several values matches every iPhone (each differs from one value).
    ([{"type": "ios_version", "comparator": "!=", "values": ["8.0.1", "8.1.3"]}], ["c", "d", "e"]),
    # Two filters are AND-ed: iOS and not 8.0.1 and not 9.0.
    ([{"type": "ios_version", "comparator": "!=", "values": ["8.0.1"]},
      {"type": "ios_version", "comparator": "!=", "values": ["9.0"]}], []),
])
def test_filter_types(http: httpx.Client, admin: AdminClient, filters: list[dict[str, Any]], expected: list[str],
                      ) -> None:
    users = [dict(u) for u in AUDIENCE]
    users[0]["gender"], users[2]["age"], users[3]["age"] = "female", 9, 30
    admin.seed({"taplytics": {"users": users}})
    r = http.post("/taplytics/v2/push", json={"notification": {"alert": "x"}, "filters": filters}, headers=H)
    assert r.status_code == 200, r.text
    assert audience(admin, r.json()["id"])["matched"] == expected


def test_device_filters(http: httpx.Client, admin: AdminClient) -> None:
    admin.seed({"taplytics": {"users": [
        {"user_id": "p", "devices": [{"os": "iOS", "os_version": "12", "push_token": "tok-1", "app_lang": "en",
                                      "device_model": "iPhone9,1"}]},
        {"user_id": "q", "devices": [{"os": "Android", "os_version": "9", "push_token_sandbox": "sand-1",
                                      "app_lang": "fr", "device_model": "Pixel"}]},
    ]}})
    cases = {"push_token": ("tok-1", ["p"]), "push_token_sandbox": ("sand-1", ["q"]), "app_lang": ("fr", ["q"]),
             "device_model": ("iPhone9,1", ["p"])}
    for kind, (value, expected) in cases.items():
        body = {"notification": {"alert": kind}, "filters": [{"type": kind, "comparator": "=", "values": [value]}]}
        push = http.post("/taplytics/v2/push", json=body, headers=H).json()
        assert audience(admin, push["id"])["matched"] == expected, kind


def test_custom_keys_make_alert_optional(http: httpx.Client, admin: AdminClient) -> None:
    r = http.post("/taplytics/v2/push", json={"notification": {}, "custom_keys": {"deep_link": "app://x"}},
                  headers=H)
    assert r.status_code == 200 and r.json()["custom_keys"] == {"deep_link": "app://x"}


def _future(**delta: float) -> str:
    return later(**delta).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(("body", "path"), [
    ({}, "notification"),
    ({"notification": {}}, "notification"),
    ({"notification": {"alert": ""}}, "notification.alert"),
    ({"notification": {"alert": "x", "time_to_live": "10"}}, "notification.time_to_live"),
    ({"notification": {"alert": "x"}, "image": {"url": "https://e.com/a.gif"}}, "image.url"),
    ({"notification": {"alert": "x"}, "image": {"url": "https://e.com/jpg"}}, "image.url"),
    ({"notification": {"alert": "x"}, "image": {"url": "https://e.com/a.png", "tl_cdn": "yes"}}, "image.tl_cdn"),
    ({"notification": {"alert": "x"}, "filters": [{"type": "planet", "comparator": "=", "values": ["x"]}]},
     "filters[0].type"),
    ({"notification": {"alert": "x"}, "filters": [{"type": "app_lang", "comparator": ">", "values": ["en"]}]},
     "filters[0].comparator"),
    ({"notification": {"alert": "x"}, "filters": [{"type": "country", "comparator": "=", "values": []}]},
     "filters[0].values"),
    ({"notification": {"alert": "x"}, "filters": [{"type": "country", "comparator": "=", "values": "US"}]},
     "filters[0].values"),
    ({"notification": {"alert": "x"}, "filters": [{"type": "custom_data", "comparator": "=", "values": [1]}]},
     "filters[0]: 'dataKey'"),
    ({"notification": {"alert": "x"},
      "filters": [{"type": "country", "comparator": "=", "values": ["US"], "dataKey": "k"}]}, "filters[0].dataKey"),
    ({"notification": {"alert": "x"}, "schedule": {}}, "schedule"),
    ({"notification": {"alert": "x"}, "schedule": {"time": "2099-01-01T00:00:00"}}, "schedule.time"),
    ({"notification": {"alert": "x"}, "schedule": {"local_time": "2099-01-01T00:00:00Z"}}, "schedule.local_time"),
    ({"notification": {"alert": "x"}, "schedule": {"time": "2020-01-01T00:00:00Z"}}, "schedule.time"),
    ({"notification": {"alert": "x"}, "schedule": {"local_time": "2020-01-01T00:00:00"}}, "schedule.local_time"),
    ({"notification": {"alert": "x"}, "schedule": {"time": "2099-02-30T00:00:00Z"}}, "schedule.time"),
    ({"notification": {"alert": "x"}, "badge_count": "3"}, "badge_count"),
    ({"notification": {"alert": "x"}, "production": "yes"}, "production"),
    ({"notification": {"alert": "x"}, "custom_keys": {}}, "custom_keys"),
    ({"notification": {"alert": "x"}, "colour": "red"}, "colour"),
])
def test_push_rules(http: httpx.Client, admin: AdminClient, body: dict[str, Any], path: str) -> None:
    r = http.post("/taplytics/v2/push", json=body, headers=H)
    assert r.status_code == 400, r.text
    assert path in r.json()["error"]
    assert http.get("/taplytics/v2/push", headers=H).json() == []


def test_push_not_a_json_object(http: httpx.Client, admin: AdminClient) -> None:
    r = http.post("/taplytics/v2/push", content=b"[1]", headers={**H, "Content-Type": "application/json"})
    assert r.status_code == 400 and "body" in r.json()["error"]
    r = http.post("/taplytics/v2/push", content=b"{", headers={**H, "Content-Type": "application/json"})
    assert r.status_code == 400 and "JSON" in r.json()["error"]


def test_unknown_push_is_404(http: httpx.Client, admin: AdminClient) -> None:
    r = http.get("/taplytics/v2/push/548013f2c703f020242ff21c", headers=H)
    assert r.status_code == 404 and "548013f2c703f020242ff21c" in r.json()["error"]


# -- schedules and duplicate content -------------------------------------------------------------
def test_duplicate_content_within_15_minutes(http: httpx.Client, admin: AdminClient) -> None:
    admin.seed({"taplytics": {"users": AUDIENCE[:3]}})
    everyone = ["a", "b", "c"]

    def send(**body: Any) -> dict[str, Any]:
        r = http.post("/taplytics/v2/push", json={"notification": {"alert": "same"}, **body}, headers=H)
        assert r.status_code == 200, r.text
        return audience(admin, r.json()["id"])

    assert send()["delivered"] == everyone
    again = send()  # same content, now: nobody gets it twice
    assert again["matched"] == everyone and again["delivered"] == [] and again["suppressed"] == everyone
    assert send(filter_duplicate_content=False)["delivered"] == everyone  # the caller opted out
    assert send(notification={"alert": "different"})["delivered"] == everyone
    assert send(schedule={"time": _future(minutes=10)})["suppressed"] == everyone  # within the window
    assert send(schedule={"time": _future(hours=2)})["delivered"] == everyone  # outside it
    # local_time takes precedence over time: +5 h local (outside every window so far) beats +10 min UTC.
    both = {"time": _future(minutes=10), "local_time": later(hours=5).strftime("%Y-%m-%dT%H:%M:%S")}
    assert send(schedule=both)["delivered"] == everyone
    # Deliveries scheduled later do not hide the one made now: the same content now is still a duplicate.
    assert send()["suppressed"] == everyone
    # Only users the filters match are counted at all.
    narrowed = send(notification={"alert": "new"}, filters=[{"type": "user_id", "comparator": "=", "values": ["b"]}])
    assert narrowed == {"push_id": narrowed["push_id"], "matched": ["b"], "delivered": ["b"], "suppressed": []}


def test_scheduled_push(http: httpx.Client, admin: AdminClient) -> None:
    when = _future(days=1)
    push = http.post("/taplytics/v2/push", json={"notification": {"alert": "x"}, "schedule": {"time": when}},
                     headers=H).json()
    assert push["status"] == "scheduled" and push["schedule"] == {"time": when}


# -- SDK -----------------------------------------------------------------------------------------
@HTTP_ONLY
def test_sdk_push_roundtrip(client: TaplyticsClient, admin: AdminClient) -> None:
    admin.seed({"taplytics": {"users": AUDIENCE}})
    when = later(days=2).replace(microsecond=0)
    push = client.push.create(
        "You've won a VCR!", name="Test", time_to_live=3600, badge_count=0, is_silent=False, production=True,
        filters=[where("an_version").ge("5.0.0"), where("ios_version").ne("8.0.1"),
                 where("country").eq("Canada", "US"), where("custom_data", "dollars spent").ge(16)],
        image=Image("https://images.example.com/t.png", tl_cdn=False), custom_keys={"k": "v"},
        schedule=Schedule(time=when),
    )
    assert push.status == "scheduled" and push.schedule == Schedule(time=when)
    assert push.notification == Notification("You've won a VCR!", 3600.0)
    assert [f.to_json() for f in push.filters] == EXAMPLE_FILTERS
    assert push.image == Image("https://images.example.com/t.png", False) and push.custom_keys == {"k": "v"}
    assert (push.production, push.filter_duplicate_content, push.badge_count) == (True, True, 0)
    assert client.push.get(push.id) == push
    assert [p.id for p in client.push.iter()] == [push.id]
    assert audience(admin, push.id)["matched"] == EXPECTED
    with pytest.raises(NotFound):
        client.push.get("nope")


@HTTP_ONLY
async def test_async_sdk_push(aclient: AsyncTaplyticsClient, admin: AdminClient) -> None:
    admin.seed({"taplytics": {"users": AUDIENCE}})
    local = later(days=1).replace(microsecond=0, tzinfo=None)
    push = await aclient.push.create(notification=Notification(extra={"sound": "ping"}), custom_keys={"a": 1},
                                     filters=[where("os").eq("Android")], schedule=Schedule(local_time=local))
    assert push.notification.alert is None and push.notification.extra == {"sound": "ping"}
    assert push.schedule == Schedule(local_time=local)
    assert (await aclient.push.get(push.id)) == push
    assert [p.id async for p in aclient.push.iter()] == [push.id]
    assert (await aclient.push.list()).items == [push]
    assert audience(admin, push.id)["matched"] == ["a", "b", "f", "g", "h"]


@pytest.mark.parametrize(("make", "words"), [
    (lambda: where("ios_version").ne("8.0.1", "8.1.3"), "matches every user"),
    (lambda: where("app_lang").ge("en"), "ASCII"),
    (lambda: where("country").le("US"), "ASCII"),
    (lambda: where("custom_data", "plan").ge("gold"), "ASCII"),
    (lambda: where("age").le("thirty"), "ASCII"),
    (lambda: where("custom_data").eq(1), "dataKey"),
    (lambda: where("country", "k").eq("US"), "dataKey"),
    (lambda: where("planet").eq("x"), "type"),
    (lambda: where("country").eq(), "at least one"),
    (lambda: where("os").eq("Windows"), "iOS or Android"),
    (lambda: where("an_version").ge(5), "version"),
])
def test_filter_builder_refuses_bad_filters(make: Any, words: str) -> None:
    with pytest.raises(SDKValidationError) as err:
        make()
    assert words in str(err.value)


def test_sdk_refuses_bad_push_before_sending(client: TaplyticsClient, admin: AdminClient) -> None:
    bad = Filter("app_lang", ">=", ("en",))  # built by hand, around the builder: still refused
    with pytest.raises(SDKValidationError) as err:
        client.push.create("x", filters=[bad])
    assert "filters[0]" in str(err.value)
    with pytest.raises(SDKValidationError) as err:
        client.push.create()  # neither alert nor custom_keys
    assert "alert" in str(err.value)
    with pytest.raises(SDKValidationError) as err:
        client.push.create("x", image=Image("https://e.com/a.gif"))
    assert "image.url" in str(err.value)
    with pytest.raises(SDKValidationError):
        Schedule()
    with pytest.raises(SDKValidationError):
        Schedule(time=datetime(2099, 1, 1))  # naive: which zone?
    with pytest.raises(SDKValidationError):
        Schedule(local_time=datetime(2099, 1, 1, tzinfo=UTC))
    assert admin.requests.list(path="/taplytics", limit=1000) == []
