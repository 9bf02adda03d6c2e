"""StatHat accounts by email (issue 9): the ezkey "defaults to email address", so an email ezkey is an
account made on first use with the default config; any other unknown ezkey stays refused, and the
server logs the refusal once per key with what to do (clients that read only the HTTP status miss it)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import httpx
import pytest

from sdk import AdminClient, AsyncStatHatClient, Stat, StatHatClient, Unauthorized


def points(admin: AdminClient, ezkey: str) -> dict[str, list[dict[str, Any]]]:
    return {s["name"]: s["points"] for s in admin.stathat.stats(ezkey)}


def fresh(domain: str = "example.com") -> str:
    return f"dev-{uuid.uuid4().hex[:8]}@{domain}"


def test_email_ezkey_is_an_account_made_on_first_use(base_url: str, admin: AdminClient) -> None:
    email = fresh()
    with StatHatClient(email, base_url=f"{base_url}/stathat") as stathat:
        stathat.count("signups", 2, t=1700000000)
        stathat.post([Stat("signups", count=1, t=1700000000), Stat("load", value=0.5, t=1700000001)])
    assert points(admin, email) == {"signups": [{"t": 1700000000, "count": 3}],
                                    "load": [{"t": 1700000001, "value": 0.5}]}
    assert points(admin, "dev-ezkey").keys() == {"classic counter", "classic value"}  # kept apart


async def test_email_ezkey_async(base_url: str, admin: AdminClient) -> None:
    email = fresh("mail.example.org")
    async with AsyncStatHatClient(email, base_url=f"{base_url}/stathat") as stathat:
        await stathat.value("latency", 12.5, t=1700000000)
    assert points(admin, email) == {"latency": [{"t": 1700000000, "value": 12.5}]}


def test_email_ezkey_on_the_wire(http: httpx.Client, admin: AdminClient) -> None:
    email = fresh()
    # what the public clients send: the email as ezkey (or as email=), form or JSON batch
    assert http.post("/stathat/ez", data={"email": email, "stat": "a", "count": "1"}).json() == {
        "status": 200, "msg": "ok"}
    assert http.get("/stathat/ez", params={"ezkey": email, "stat": "a", "count": "2"}).json()["status"] == 200
    assert http.post("/stathat/ez", json={"ezkey": email, "data": [{"stat": "b", "value": 3}]}).json()["status"] == 200
    recorded = points(admin, email)
    assert sum(p["count"] for p in recorded["a"]) == 3 and [p["value"] for p in recorded["b"]] == [3]


@pytest.mark.parametrize("ezkey", ["not-an-email", "a@b", "two words@example.com", "@example.com", "me@", "x@y."])
def test_other_unknown_ezkeys_stay_refused(http: httpx.Client, admin: AdminClient, ezkey: str) -> None:
    body = http.post("/stathat/ez", data={"ezkey": ezkey, "stat": "x", "count": "1"}).json()
    assert body["status"] == 401 and body["msg"].startswith("ezkey: no account has this ezkey")
    assert admin.stathat.stats(ezkey) == []


def test_refused_sdk_write_raises(base_url: str, admin: AdminClient) -> None:
    ezkey = "not-an-email-" + uuid.uuid4().hex[:6]
    with StatHatClient(ezkey, base_url=f"{base_url}/stathat") as stathat, pytest.raises(Unauthorized):
        stathat.count("x", 1)


def test_refusal_logged_once_per_key_with_what_to_do(http: httpx.Client, admin: AdminClient,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    key, other = "secret-" + uuid.uuid4().hex, "secret-" + uuid.uuid4().hex
    with caplog.at_level(logging.WARNING, logger="mock_server.stathat"):
        for ezkey in (key, key, other, key):
            assert http.post("/stathat/ez", data={"ezkey": ezkey, "stat": "x", "count": "1"}).json()["status"] == 401
    refusals = [r for r in caplog.records if r.name == "mock_server.stathat"]
    assert len(refusals) == 2  # once per key
    text = refusals[0].getMessage()
    assert "email address" in text and "/_admin/seed" in text and "accept_any_ezkey" in text
    assert key not in caplog.text and other not in caplog.text  # the key itself is a secret
    assert http.post("/stathat/ez", data={"ezkey": fresh(), "stat": "x", "count": "1"}).json()["status"] == 200
    assert len([r for r in caplog.records if r.name == "mock_server.stathat"]) == 2
