"""The request journal over HTTP, sync and async: what SDK clients sent is read back through ``/_admin/requests``
(filters, count, bodies with secrets masked) and ``DELETE /_admin/requests`` empties it, the state kept."""

from __future__ import annotations

import json
import time

import httpx

from contract_tests.conftest import Admin
from sdk import AsyncCyfeClient, AsyncStatHatClient, CyfeClient, Stat, StatHatClient

T0 = 1362772440


def _check_journal(http: httpx.Client, since: float) -> None:
    count = http.get("/_admin/requests/count", params={"service": "stathat", "method": "POST", "since": since})
    assert count.json() == {"count": 2}
    stathat = http.get("/_admin/requests", params={"service": "stathat", "since": since}).json()["requests"]
    assert [(e["path"], e["status"], e["body_truncated"]) for e in stathat] == [("/stathat/ez", 200, False)] * 2
    assert json.loads(stathat[1]["body"]) == {"ezkey": "***", "data": [{"stat": "j", "count": 2, "t": T0}]}
    assert "dev-ezkey" not in json.dumps(stathat)
    cyfe = http.get("/_admin/requests", params={"path_pattern": r"/cyfe/api/push/\*+", "status": "2xx"}).json()
    assert [e["service"] for e in cyfe["requests"]] == ["cyfe"]
    assert http.get("/_admin/requests", params={"status": "5"}).status_code == 400
    assert http.get("/_admin/requests/count", params={"until": since}).json() == {"count": 0}


def test_journal_read_back_sync(base_url: str, admin: Admin) -> None:
    since = time.time()
    with StatHatClient("dev-ezkey", base_url=f"{base_url}/stathat") as stathat, \
            CyfeClient(widget_key="dev-widget", base_url=f"{base_url}/cyfe") as cyfe:
        stathat.count("j", 1, t=T0)
        stathat.post([Stat("j", count=2, t=T0)])
        cyfe.push([{"Date": "20130301", "Users": 1}])
    with httpx.Client(base_url=base_url, timeout=10) as http:
        _check_journal(http, since)
        assert http.delete("/_admin/requests").json() == {"deleted": 3}
        assert http.get("/_admin/requests/count").json() == {"count": 0}
    stats = admin.get("/stathat/stats", ezkey="dev-ezkey")["stats"]
    assert [sum(p["count"] for p in s["points"]) for s in stats if s["name"] == "j"] == [3]  # kept


async def test_journal_read_back_async(base_url: str, admin: Admin) -> None:
    since = time.time()
    async with AsyncStatHatClient("dev-ezkey", base_url=f"{base_url}/stathat") as stathat, \
            AsyncCyfeClient(widget_key="dev-widget", base_url=f"{base_url}/cyfe") as cyfe:
        await stathat.count("j", 1, t=T0)
        await stathat.post([Stat("j", count=2, t=T0)])
        await cyfe.push([{"Date": "20130301", "Users": 1}])
    with httpx.Client(base_url=base_url, timeout=10) as http:
        _check_journal(http, since)
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as ahttp:
        assert (await ahttp.delete("/_admin/requests")).json() == {"deleted": 3}
        assert (await ahttp.get("/_admin/requests/count")).json() == {"count": 0}
    stats = admin.get("/stathat/stats", ezkey="dev-ezkey")["stats"]
    assert [sum(p["count"] for p in s["points"]) for s in stats if s["name"] == "j"] == [3]
