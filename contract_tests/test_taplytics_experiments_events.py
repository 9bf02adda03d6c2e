"""Taplytics experiments (seeded; list, get, delete) and events (POST /v2/events, through the batcher)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from sdk import AdminClient
from sdk._batching import BatchConfig
from sdk._errors import BadRequest, NotFound
from sdk._errors import ValidationError as SDKValidationError
from sdk.taplytics import AsyncTaplyticsClient, Event, TaplyticsClient, Variation
from sdk.testing.pytest_plugin import Kit

TOKEN = "dev-api-token"
H = {"x-access-token": TOKEN}
EXPERIMENT = {
    "id": "5a6a0ca339004c0094fa208z", "name": "Buy button", "description": "Disables the Buy button",
    "status": "active", "goal_ids": ["5a6a0d2186bfc6201339fbob"],
    "filters": [{"comparator": "=", "type": "os", "values": ["iOS"]}],
    "variations": [{"name": "Variation 1", "distributionPercent": 1, "_id": "5a6a0ca339003c0094fa2091",
                    "dynamicVariables": [{"name": "ANYTHING", "isActive": False, "createdFrom": "device",
                                          "defaultValue": "{\"ANYTHING\":1}", "variableType": "JSON",
                                          "value": "{\"ANYTHING\":1}", "_id": "5adf436633a6c7000c5e1d51"}]}],
    "baseline": {"name": "Baseline", "distributionPercent": 0},
    "winning_variation": "5a6a0ca339003c0094fa2091", "min_app_version": "1.0", "max_app_version": "1.8.4",
}


@pytest.fixture
def client(kit: Kit, admin: AdminClient) -> Iterator[TaplyticsClient]:
    with TaplyticsClient(TOKEN, base_url=f"{kit.url}/taplytics", **kit.client_options()) as c:
        yield c


@pytest.fixture
async def aclient(kit: Kit, admin: AdminClient) -> AsyncIterator[AsyncTaplyticsClient]:
    async with AsyncTaplyticsClient(TOKEN, base_url=f"{kit.url}/taplytics",
                                    **kit.client_options(asynchronous=True)) as c:
        yield c


def seed_experiments(admin: AdminClient, n: int = 0) -> None:
    more = [{"name": f"exp {i}", "status": ["draft", "active", "paused", "archived"][i % 4]} for i in range(n)]
    admin.seed({"taplytics": {"experiments": [EXPERIMENT, *more]}})


# -- experiments ---------------------------------------------------------------------------------
def test_experiments_list_get_delete(http: httpx.Client, admin: AdminClient) -> None:
    seed_experiments(admin, 3)
    r = http.get("/taplytics/v2/experiments", headers=H)
    assert r.status_code == 200 and set(r.links) == {"first", "last"}
    listed = r.json()
    assert [e["name"] for e in listed] == ["Buy button", "exp 0", "exp 1", "exp 2"]
    first = listed[0]
    assert {k: first[k] for k in EXPERIMENT if k != "baseline"} == {k: v for k, v in EXPERIMENT.items()
                                                                     if k != "baseline"}
    assert first["project_id"] == "dev-project" and first["created_at"] and first["updated_at"]
    assert first["baseline"] == {**EXPERIMENT["baseline"], "_id": first["baseline"]["_id"]}  # an id is assigned
    assert http.get(f"/taplytics/v2/experiments/{first['id']}", headers=H).json() == first
    r = http.delete(f"/taplytics/v2/experiments/{first['id']}", headers=H)
    assert r.status_code == 200 and r.json() == {"deleted": True, "id": first["id"]}
    r = http.get(f"/taplytics/v2/experiments/{first['id']}", headers=H)
    assert r.status_code == 404 and first["id"] in r.json()["error"]
    assert http.delete(f"/taplytics/v2/experiments/{first['id']}", headers=H).status_code == 404
    assert len(http.get("/taplytics/v2/experiments", headers=H).json()) == 3


def test_experiments_cannot_be_created_through_the_api(http: httpx.Client, admin: AdminClient) -> None:
    r = http.post("/taplytics/v2/experiments", json={"name": "x"}, headers=H)
    assert r.status_code == 405 and "POST" in r.json()["error"]
    assert http.get("/taplytics/v2/experiments", headers=H).json() == []


@pytest.mark.parametrize(("experiment", "path"), [
    ({"name": "x", "status": "running"}, "status"),
    ({"status": "active"}, "name"),
    ({"name": "x", "status": "draft", "variations": [{"distributionPercent": 2}]}, "variations[0]"),
])
def test_bad_experiment_seed(admin: AdminClient, experiment: dict[str, Any], path: str) -> None:
    with pytest.raises(BadRequest) as info:
        admin.seed({"taplytics": {"experiments": [experiment]}})
    assert path in info.value.message


def test_experiment_ids_are_unique(admin: AdminClient) -> None:
    seed_experiments(admin)
    with pytest.raises(BadRequest) as info:
        admin.seed({"taplytics": {"experiments": [EXPERIMENT]}})
    assert EXPERIMENT["id"] in info.value.message


def test_sdk_experiments(client: TaplyticsClient, admin: AdminClient) -> None:
    seed_experiments(admin, 150)
    experiments = list(client.experiments.iter(per_page=100))
    assert len(experiments) == 151 and [e.status for e in experiments[1:5]] == ["draft", "active", "paused",
                                                                                 "archived"]
    exp = client.experiments.get(EXPERIMENT["id"])
    assert exp == experiments[0]
    assert exp.variations[0].id == "5a6a0ca339003c0094fa2091" and exp.variations[0].distribution_percent == 1
    assert exp.variations[0].dynamic_variables[0].variable_type == "JSON"
    assert isinstance(exp.baseline, Variation) and exp.baseline.name == "Baseline"
    assert exp.filters[0].to_json() == EXPERIMENT["filters"][0]
    assert (exp.winning_variation, exp.min_app_version, exp.max_app_version) == ("5a6a0ca339003c0094fa2091", "1.0",
                                                                                  "1.8.4")
    assert client.experiments.list(page=2).items[0].name == "exp 99"
    client.experiments.delete(exp.id)
    with pytest.raises(NotFound):
        client.experiments.get(exp.id)


async def test_async_experiments(aclient: AsyncTaplyticsClient, admin: AdminClient) -> None:
    seed_experiments(admin)
    [exp] = [e async for e in aclient.experiments.iter()]
    assert (await aclient.experiments.get(exp.id)) == exp
    assert (await aclient.experiments.list()).items == [exp]
    await aclient.experiments.delete(exp.id)
    with pytest.raises(NotFound):
        await aclient.experiments.delete(exp.id)


# -- events --------------------------------------------------------------------------------------
def test_events_stored(http: httpx.Client, admin: AdminClient) -> None:
    body = [{"name": "Purchase", "date": "2015-01-06T03:50:57+00:00", "value": 42,
             "metaData": {"occupation": "Bug Fixer"}}, {"name": "Open"}]
    r = http.post("/taplytics/v2/events", params={"session_id": "548223f2c7036020742ff21c"}, json=body, headers=H)
    assert r.status_code == 200 and r.json()["received"] == 2
    stored = admin.taplytics.events()
    assert [{k: e[k] for k in b} for e, b in zip(stored, body, strict=True)] == body
    assert {e["session_id"] for e in stored} == {"548223f2c7036020742ff21c"}
    assert stored[1]["date"] and stored[0]["id"] != stored[1]["id"]
    assert admin.taplytics.events("other") == []


@pytest.mark.parametrize(("params", "body", "words"), [
    ({}, [{"name": "x"}], "session_id"),
    ({"session_id": ""}, [{"name": "x"}], "session_id"),
    ({"session_id": "s"}, [{"name": "x"}, {"value": 1}], "events[1].name"),
    ({"session_id": "s"}, [{"name": ""}], "events[0].name"),
    ({"session_id": "s"}, [{"name": "x"}] * 101, "at most 100"),
    ({"session_id": "s"}, [], "no events"),
    ({"session_id": "s"}, {"name": "x"}, "list"),
    ({"session_id": "s"}, [{"name": "x", "value": "42"}], "events[0].value"),
    ({"session_id": "s"}, [{"name": "x", "date": "yesterday"}], "events[0].date"),
    ({"session_id": "s"}, [{"name": "x", "metaData": [1]}], "events[0].metaData"),
    ({"session_id": "s"}, [{"name": "x"}, {"name": "y", "id": "mine"}], "events[1].id"),
    ({"session_id": "s"}, [{"name": "x", "session_id": "other"}], "events[0].session_id"),
])
def test_bad_events(http: httpx.Client, admin: AdminClient, params: dict[str, str], body: Any, words: str) -> None:
    r = http.post("/taplytics/v2/events", params=params, json=body, headers=H)
    assert r.status_code == 400 and words in r.json()["error"]
    assert admin.taplytics.events() == []


def test_100_events_is_the_limit(http: httpx.Client, admin: AdminClient) -> None:
    r = http.post("/taplytics/v2/events", params={"session_id": "s"}, json=[{"name": "x"}] * 100, headers=H)
    assert r.status_code == 200 and len(admin.taplytics.events()) == 100


def _event_posts(admin: AdminClient) -> list[dict[str, Any]]:
    return [r for r in admin.requests.list(path="/taplytics/v2/events", limit=1000) if r["method"] == "POST"]


def test_sdk_splits_events_into_requests_of_100(client: TaplyticsClient, admin: AdminClient) -> None:
    events = [Event(f"e{i}", value=i, date=datetime(2024, 1, 1, tzinfo=UTC), meta_data={"i": i}) for i in range(250)]
    assert client.events.send("s1", events) == 250
    posts = _event_posts(admin)
    assert len(posts) == 3 and all(p["status"] == 200 for p in posts)
    stored = admin.taplytics.events("s1")
    assert [e["name"] for e in stored] == [f"e{i}" for i in range(250)]
    assert stored[7]["value"] == 7 and stored[7]["metaData"] == {"i": 7} and stored[7]["date"].startswith("2024")


def test_sdk_background_batcher(client: TaplyticsClient, admin: AdminClient) -> None:
    with client.events.batcher("s2", BatchConfig(max_items=100, interval=30)) as batcher:
        for i in range(130):
            batcher.add(Event(f"b{i}"))
        result = batcher.flush()
        assert result.pending == 0
    assert len(admin.taplytics.events("s2")) == 130
    assert all(p["body_bytes"] > 0 for p in _event_posts(admin)) and len(_event_posts(admin)) == 2


def test_sdk_refuses_bad_events_before_sending(client: TaplyticsClient, admin: AdminClient) -> None:
    with pytest.raises(SDKValidationError) as err:
        Event("")
    assert "name" in str(err.value)
    with pytest.raises(SDKValidationError):
        client.events.send("", [Event("x")])
    with pytest.raises(SDKValidationError):
        client.events.post("s", [Event("x")] * 101)
    with pytest.raises(SDKValidationError):
        client.events.batcher("s", BatchConfig(max_items=101))
    with pytest.raises(SDKValidationError):
        client.events.send("s", [{"name": "x"}])  # type: ignore[list-item]
    assert admin.requests.list(path="/taplytics", limit=1000) == []


def test_sdk_bad_event_midway_sends_those_before_it(client: TaplyticsClient, admin: AdminClient) -> None:
    events: list[Any] = [Event(f"m{i}") for i in range(150)]
    events[120] = {"name": "not an Event"}
    with pytest.raises(SDKValidationError) as err:
        client.events.send("s4", events)
    assert "events[120]" in str(err.value) and "dict" in str(err.value)
    # The 120 accepted before it were sent at once (100, then 20), not left queued; nothing after it.
    assert [e["name"] for e in admin.taplytics.events("s4")] == [
        f"m{i}" for i in range(120)]
    assert len(_event_posts(admin)) == 2


async def test_async_bad_event_midway_sends_those_before_it(aclient: AsyncTaplyticsClient, admin: AdminClient) -> None:
    events: list[Any] = [Event(f"m{i}") for i in range(30)]
    events[7] = "Open"
    with pytest.raises(SDKValidationError) as err:
        await aclient.events.send("a4", events)
    assert "events[7]" in str(err.value)
    assert [e["name"] for e in admin.taplytics.events("a4")] == [
        f"m{i}" for i in range(7)]


def test_sdk_event_failure_raises(client: TaplyticsClient, admin: AdminClient) -> None:
    admin.faults.add(path="/taplytics/v2/events", method="POST", status=400, times=1,
                body={"error": "events[0].name: injected"})
    with pytest.raises(BadRequest) as err:
        client.events.send("s3", [Event(f"x{i}") for i in range(150)])
    assert "injected" in err.value.message
    # The first batch failed; the second was still delivered and is the only one stored.
    assert [e["name"] for e in admin.taplytics.events("s3")] == [
        f"x{i}" for i in range(100, 150)]


async def test_async_events(aclient: AsyncTaplyticsClient, admin: AdminClient) -> None:
    assert await aclient.events.send("a1", (Event(f"a{i}") for i in range(201))) == 201
    assert len(_event_posts(admin)) == 3
    assert len(admin.taplytics.events("a1")) == 201
    async with aclient.events.batcher("a2") as batcher:
        await batcher.add(Event("one"))
    assert [e["name"] for e in admin.taplytics.events("a2")] == ["one"]
