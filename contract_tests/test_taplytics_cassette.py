"""Taplytics wire format pinned by cassettes: recorded once, replayed after; no secret is ever written."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from contract_tests.cassettes import CASSETTES
from mock_server import create_app
from sdk import AdminClient
from sdk.taplytics import AsyncTaplyticsClient, Event, Image, Schedule, TaplyticsClient, where
from sdk.testing import make_vcr

TOKEN = "dev-api-token"
VCR = make_vcr(CASSETTES)


def test_sync_cassette() -> None:
    name = "taplytics_sync.yaml"
    # In-process, so the Link URLs the cassette holds name the same host on every run.
    transport = httpx.WSGITransport(app=create_app())
    with VCR.use_cassette(name), TaplyticsClient(TOKEN, base_url="http://localhost/taplytics",
                                                 transport=transport) as c:
        ann = c.users.save({"first_name": "Ann", "custom_data": {"plan": "gold"}}, user_id="42")
        bob = c.users.save({"first_name": "Bob", "email": "bob@example.com"})
        assert c.users.save({"custom_data": {"seats": 3}}, id=ann.id).custom_data == {"plan": "gold", "seats": 3}
        assert [u.id for u in c.users.iter(per_page=1)] == [ann.id, bob.id]
        assert [u.id for u in c.users.iter_by_token(per_page=1)] == [ann.id, bob.id]
        c.events.post("s1", [Event("Purchase", value=42, meta_data={"sku": "vcr"})])
        push = c.push.create("You've won a VCR!", filters=[where("user_id").eq("42")],
                             image=Image("https://images.example.com/vcr.jpg"),
                             schedule=Schedule(time=datetime(2099, 1, 1, tzinfo=UTC)))
        assert c.push.get(push.id).status == "scheduled"
        c.users.delete(email="bob@example.com")
    text = (CASSETTES / name).read_text()
    assert TOKEN not in text and "Ann" in text


async def test_async_cassette(base_url: str, admin: AdminClient) -> None:
    name = "taplytics_async.yaml"
    with VCR.use_cassette(name):
        async with AsyncTaplyticsClient(TOKEN, base_url=f"{base_url}/taplytics") as c:
            user = await c.users.save({"name": "Async"}, user_id="a1")
            assert (await c.users.get(user_id="a1")).id == user.id
            assert [u.id for u in (await c.users.list()).items] == [user.id]
            await c.events.send("s2", [Event("Open")])
            await c.users.delete(user.id)
    assert TOKEN not in (CASSETTES / name).read_text()


def test_every_reply_matches_its_schema_in_strict_mode() -> None:
    # Strict mode checks each reply against its schema and answers 500 on drift: one tour of every endpoint.
    app = create_app({"strict": True})
    admin = AdminClient(transport=httpx.WSGITransport(app=app))
    admin.seed({"taplytics": {
        "users": [{"user_id": "s1", "location": {"country_code": "US", "latitude": 1.5, "postal_code": None},
                   "devices": [{"os": "iOS", "os_version": "9.0"}], "age": 30}],
        "experiments": [{"name": "e", "status": "paused", "variations": [{"name": "v", "distributionPercent": 0.5}],
                         "baseline": {"name": "Baseline"}, "winning_variation": None}]}})
    with TaplyticsClient(TOKEN, base_url="http://localhost/taplytics",
                         transport=httpx.WSGITransport(app=app)) as c:
        c.users.save({"custom_data": {"n": {"deep": [1]}}, "experiments": [{"experiment_id": "x", "variation": "y"}]},
                     user_id="s2")
        assert len(list(c.users.iter(per_page=1))) == 2 and len(list(c.users.iter_by_token(per_page=1))) == 2
        [experiment] = list(c.experiments.iter())
        assert c.experiments.get(experiment.id).status == "paused"
        c.events.post("s", [Event("e", value=1.5, meta_data={"a": [1]})])
        push = c.push.create("x", filters=[where("age").ge(18)], custom_keys={"k": 1}, badge_count=2,
                             image=Image("http://e.com/i.PNG?x=1", tl_cdn=True))
        assert c.push.get(push.id) == push and len(list(c.push.iter())) == 1
        c.experiments.delete(experiment.id)
        c.users.delete(user_id="s2")
    assert admin.taplytics.audience(push.id)  # a 500 (a reply off its schema) would raise
    assert admin.taplytics.events()
