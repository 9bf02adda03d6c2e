from __future__ import annotations

from contract_tests.conftest import Admin
from sdk import StatHatClient


def test_count_reaches_store(base_url: str, admin: Admin) -> None:
    with StatHatClient("dev-ezkey", base_url=f"{base_url}/stathat") as client:
        client.count("smoke", 3)
        client.count("smoke", 2)
    stats = {s["name"]: s for s in admin.get("/stathat/stats")["stats"]}
    assert sum(p["count"] for p in stats["smoke"]["points"]) == 5
