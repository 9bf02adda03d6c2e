"""``sdk.AdminClient`` / ``AsyncAdminClient`` end to end, over HTTP and in process (the plugin's ``analytics_kit_via``):
reset, seed (good and refused), state, the journal, faults, OpenAPI documents and each service's read-back; and the
async clients on the app in process through ``sdk.AsyncWSGITransport`` or a plain ``httpx.WSGITransport``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mock_server import create_app
from sdk import (
    AdminClient,
    AsyncAdminClient,
    AsyncStatHatClient,
    AsyncWSGITransport,
    BadRequest,
    NotFound,
    RetryPolicy,
    ServerError,
    StatHatClient,
    ValidationError,
    WaitTimeout,
)

VIAS = pytest.mark.parametrize("analytics_kit_via", ["http", "in_process"])


def points(stats: list[dict[str, Any]]) -> dict[str, Any]:
    """The stats that have points (the dev account's seeded classic stats start empty)."""
    return {s["name"]: s["points"] for s in stats if s["points"]}


@VIAS
def test_reset_seed_state_and_read_back(analytics_kit_admin: AdminClient, stathat_client: StatHatClient) -> None:
    admin = analytics_kit_admin
    assert admin.health()["status"] == "ok"
    assert admin.seed({"stathat": {"ezkeys": ["me@example.com"]}}) == {"stathat": {"ezkeys": 1, "classic": 0}}
    stathat_client.count("signups", 2, t=1362772440)
    assert points(admin.stathat.stats("dev-ezkey")) == {"signups": [{"t": 1362772440, "count": 2}]}
    assert admin.state()["stathat"]
    assert {w["key"] for w in admin.cyfe.widgets()} == {"dev-widget"}
    assert admin.cyfe.widget("dev-widget")["rows"] == []
    assert admin.taplytics.events() == []
    assert admin.countly.apps()
    assert "reports" not in admin.reports.export() or isinstance(admin.reports.export(), dict)
    assert admin.openapi("stathat")["openapi"].startswith("3.1")
    admin.reset()
    assert points(admin.stathat.stats("dev-ezkey")) == {}


@VIAS
def test_bad_input_is_refused_with_the_servers_words(analytics_kit_admin: AdminClient) -> None:
    admin = analytics_kit_admin
    with pytest.raises(BadRequest, match="must be one of 'stathat'"):
        admin.seed({"nosuch": {}})  # type: ignore[typeddict-unknown-key]
    with pytest.raises(NotFound):
        admin.openapi("nosuch")  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        admin.cyfe.widget("no-such-widget")
    with pytest.raises(NotFound):
        admin.countly.app_user("0123456789abcdef01234567", "dev-app-key", "nobody")
    with pytest.raises(ValidationError, match="give one"):
        admin.faults.add()
    with pytest.raises(BadRequest, match="limit"):
        admin.requests.list(limit=0)


@VIAS
def test_journal_and_faults(analytics_kit_admin: AdminClient, stathat_client: StatHatClient) -> None:
    admin = analytics_kit_admin
    fault = admin.faults.add("/stathat/ez", status=500, times=1)
    assert fault["status"] == 500 and admin.faults.list() == [fault]
    with pytest.raises(ServerError):
        stathat_client.count("x")
    assert admin.faults.list() == []
    stathat_client.count("x")
    journal = admin.requests.list(path="/stathat/ez")
    assert [e["status"] for e in journal] == [500, 200] and all(e["method"] == "POST" for e in journal)
    assert "dev-ezkey" not in str(journal)  # the journal masks the key
    kept = admin.faults.add(path_pattern=r"/stathat/e.", method="POST", status=503, times=3)
    gone = admin.faults.add("/stathat", status=None, times=None, delay=0)
    with pytest.raises(ServerError):
        stathat_client.with_options(retry=RetryPolicy(max_attempts=1)).count("x")
    [listed, _] = admin.faults.list()
    assert (listed["id"], listed["fired"], listed["remaining"]) == (kept["id"], 1, 2)
    admin.faults.remove(kept["id"])
    assert [f["id"] for f in admin.faults.list()] == [gone["id"]]
    with pytest.raises(NotFound, match="no armed fault"):
        admin.faults.remove(kept["id"])
    admin.faults.clear()
    assert admin.faults.list() == []


async def test_async_admin_and_clients_in_process_without_a_socket() -> None:
    app = create_app()
    async with AsyncAdminClient(transport=AsyncWSGITransport(app)) as admin, \
            AsyncStatHatClient("dev-ezkey", base_url="http://kit.test/stathat",
                               transport=httpx.WSGITransport(app=app)) as plain, \
            AsyncStatHatClient("dev-ezkey", base_url="http://kit.test/stathat",
                               transport=AsyncWSGITransport(app)) as bridged:
        await plain.count("a", 1, t=1362772440)
        await bridged.count("a", 2, t=1362772440)
        assert points(await admin.stathat.stats("dev-ezkey")) == {"a": [{"t": 1362772440, "count": 3}]}
        assert len(await admin.requests.list(path="/stathat")) == 2
        with pytest.raises(BadRequest):
            await admin.seed({"nosuch": {}})  # type: ignore[typeddict-unknown-key]
        await admin.faults.add("/stathat/ez", status=400, times=1)
        assert [f["times"] for f in await admin.faults.list()] == [1]
        await admin.reset()
        assert points(await admin.stathat.stats("dev-ezkey")) == {}


async def test_async_admin_over_http(async_analytics_kit_admin: AsyncAdminClient,
                                     async_stathat_client: AsyncStatHatClient) -> None:
    await async_stathat_client.count("b", t=1362772440)
    assert list(points(await async_analytics_kit_admin.stathat.stats())) == ["b"]


def test_wait_for_times_out_saying_what_it_saw(analytics_kit_admin: AdminClient) -> None:
    with pytest.raises(WaitTimeout, match=r"1 request matching path='/stathat': 0 seen"):
        analytics_kit_admin.requests.wait_for(1, path="/stathat", timeout=0.2)


def test_a_server_without_admin_is_named(analytics_kit_url: str) -> None:
    with AdminClient(f"{analytics_kit_url}/stathat") as wrong, pytest.raises(NotFound):
        wrong.reset()
