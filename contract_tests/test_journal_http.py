"""The request journal over HTTP, sync and async: what SDK clients sent is read back through ``/_admin/requests``
(filters, count, bodies with secrets masked; ``sdk.AdminClient`` and ``AsyncAdminClient``) and
``DELETE /_admin/requests`` empties it, the state kept."""

from __future__ import annotations

import json
import time

import pytest

from sdk import (
    AdminClient,
    AsyncAdminClient,
    AsyncCyfeClient,
    AsyncStatHatClient,
    BadRequest,
    CyfeClient,
    JournalEntry,
    Stat,
    StatHatClient,
)

T0 = 1362772440


def _check_stathat(stathat: list[JournalEntry]) -> None:
    assert [(e["path"], e["status"], e["body_truncated"]) for e in stathat] == [("/stathat/ez", 200, False)] * 2
    assert json.loads(stathat[1]["body"]) == {"ezkey": "***", "data": [{"stat": "j", "count": 2, "t": T0}]}
    assert "dev-ezkey" not in json.dumps(stathat)


def _check_journal(admin: AdminClient, since: float) -> None:
    assert admin.requests.count(service="stathat", method="POST", since=since) == 2
    _check_stathat(admin.requests.list(service="stathat", since=since))
    cyfe = admin.requests.list(path_pattern=r"/cyfe/api/push/\*+", status="2xx")
    assert [e["service"] for e in cyfe] == ["cyfe"]
    with pytest.raises(BadRequest, match="status"):
        admin.requests.list(status="5")
    assert admin.requests.count(until=since) == 0


async def _acheck_journal(admin: AsyncAdminClient, since: float) -> None:
    assert await admin.requests.count(service="stathat", method="POST", since=since) == 2
    _check_stathat(await admin.requests.list(service="stathat", since=since))
    cyfe = await admin.requests.list(path_pattern=r"/cyfe/api/push/\*+", status="2xx")
    assert [e["service"] for e in cyfe] == ["cyfe"]
    with pytest.raises(BadRequest, match="status"):
        await admin.requests.list(status="5")
    assert await admin.requests.count(until=since) == 0


def test_journal_read_back_sync(base_url: str, admin: AdminClient) -> None:
    since = time.time()
    with StatHatClient("dev-ezkey", base_url=f"{base_url}/stathat") as stathat, \
            CyfeClient(widget_key="dev-widget", base_url=f"{base_url}/cyfe") as cyfe:
        stathat.count("j", 1, t=T0)
        stathat.post([Stat("j", count=2, t=T0)])
        cyfe.push([{"Date": "20130301", "Users": 1}])
    _check_journal(admin, since)
    assert admin.requests.clear() == 3
    assert admin.requests.count() == 0
    stats = admin.stathat.stats("dev-ezkey")
    assert [sum(p["count"] for p in s["points"]) for s in stats if s["name"] == "j"] == [3]  # kept


async def test_journal_read_back_async(base_url: str, admin: AdminClient) -> None:
    since = time.time()
    async with AsyncStatHatClient("dev-ezkey", base_url=f"{base_url}/stathat") as stathat, \
            AsyncCyfeClient(widget_key="dev-widget", base_url=f"{base_url}/cyfe") as cyfe:
        await stathat.count("j", 1, t=T0)
        await stathat.post([Stat("j", count=2, t=T0)])
        await cyfe.push([{"Date": "20130301", "Users": 1}])
    async with AsyncAdminClient(base_url) as aadmin:
        await _acheck_journal(aadmin, since)
        assert await aadmin.requests.clear() == 3
        assert await aadmin.requests.count() == 0
    stats = admin.stathat.stats("dev-ezkey")
    assert [sum(p["count"] for p in s["points"]) for s in stats if s["name"] == "j"] == [3]
