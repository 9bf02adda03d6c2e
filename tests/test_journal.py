"""The request journal (``/_admin/requests``): filters, count, delete, bodies with secrets masked, secret path
segments of routed and unrouted paths and URLs in headers, in process; over HTTP, sync and async, in
contract_tests/test_journal_http.py."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from mock_server import create_app
from mock_server.config import ConfigError
from schemas.redact import redact, redact_query, redact_url


@pytest.fixture
def c() -> FlaskClient:
    return create_app().test_client()


def _entries(c: FlaskClient, query: str = "") -> list[dict[str, Any]]:
    reply = c.get(f"/_admin/requests?{query}")
    assert reply.status_code == 200, reply.get_json()
    entries: list[dict[str, Any]] = reply.get_json()["requests"]
    return entries


def _count(c: FlaskClient, query: str = "") -> int:
    reply = c.get(f"/_admin/requests/count?{query}")
    assert reply.status_code == 200, reply.get_json()
    n: int = reply.get_json()["count"]
    return n


def _traffic(c: FlaskClient) -> None:
    c.post("/stathat/ez", data={"ezkey": "dev-ezkey", "stat": "a", "count": "1"})  # 200
    c.get("/stathat/nothing")  # 404
    c.get("/taplytics/v2/users?api_token=dev-api-token")  # 200
    c.get("/taplytics/v2/users/nobody?api_token=dev-api-token")  # 404
    c.post("/cyfe/api/push/dev-widget", json={"data": [{"Date": "20130301", "Users": "1"}]})  # 200
    c.get("/cyfe/api/push/dev-widget")  # 405


def test_filters_and_count_select_the_same_entries(c: FlaskClient) -> None:
    _traffic(c)
    cases = {
        "": 6,
        "method=get": 4,
        "method=POST": 2,
        "path=/taplytics/v2/users": 2,
        "path_pattern=/taplytics/v2/users/[^/]%2B": 1,
        "path_pattern=/taplytics": 0,  # the whole path, not a search
        "status=404": 2,
        "status=4xx": 3,
        "status=2XX": 3,
        "service=cyfe": 2,
        "service=stathat&status=404": 1,
        "service=reports": 0,
    }
    for query, n in cases.items():
        assert len(_entries(c, query)) == n, query
        assert _count(c, query) == n, query
    assert [e["path"] for e in _entries(c, "service=cyfe")] == ["/cyfe/api/push/***"] * 2
    assert [e["status"] for e in _entries(c, "status=4xx")] == [404, 404, 405]
    assert [e["service"] for e in _entries(c, "limit=2")] == ["cyfe", "cyfe"]  # the newest, oldest first


def test_time_filters_since_inclusive_until_exclusive(c: FlaskClient) -> None:
    _traffic(c)
    times = [e["time"] for e in _entries(c)]
    third = times[2]
    assert _count(c, f"since={third}") == 4  # inclusive
    assert _count(c, f"until={third}") == 2  # exclusive
    assert _count(c, f"since={times[0]}&until={times[-1]}") == 5
    iso = datetime.fromtimestamp(time.time() + 3600, UTC).isoformat()
    assert _count(c, f"until={iso.replace('+00:00', 'Z')}") == 6
    assert _count(c, f"since={iso.replace('+', '%2B')}") == 0
    assert _count(c, "since=2020-01-01T01:00:00%2B01:00&until=9999999999") == 6


@pytest.mark.parametrize(("query", "named"), [
    ("status=4x", "status"), ("status=600", "status"), ("status=abc", "status"),
    ("service=nosuch", "service"), ("path_pattern=(", "path_pattern"), (f"path_pattern={'a' * 1001}", "path_pattern"),
    ("method=G%20T", "method"), ("since=yesterday", "since"), ("since=-5", "since"), ("since=1e400", "since"),
    ("until=2026-12-03T07:00:00", "until"), ("until=2026-13-03T07:00:00Z", "until"),
])
def test_a_bad_filter_is_a_400_naming_it(c: FlaskClient, query: str, named: str) -> None:
    _traffic(c)
    for path in ("/_admin/requests", "/_admin/requests/count"):
        reply = c.get(f"{path}?{query}")
        assert reply.status_code == 400, (path, query)
        assert reply.get_json()["error"].startswith(f"{named}:"), reply.get_json()
    assert _count(c) == 6  # nothing changed


def test_delete_empties_the_journal_only(c: FlaskClient) -> None:
    _traffic(c)
    assert c.delete("/_admin/requests").get_json() == {"deleted": 6}
    assert _entries(c) == [] and _count(c) == 0
    stats = c.get("/_admin/stathat/stats?ezkey=dev-ezkey").get_json()["stats"]
    assert "a" in [s["name"] for s in stats]  # the services' state is untouched
    c.get("/stathat/nothing")
    assert [e["path"] for e in _entries(c)] == ["/stathat/nothing"]
    assert c.delete("/_admin/requests").get_json() == {"deleted": 1}


# -- bodies ---------------------------------------------------------------------------------------------------
SECRET = "s3cr3t-value-0042"


def test_bodies_are_kept_with_every_services_secrets_masked(c: FlaskClient) -> None:
    c.post("/stathat/ez", data={"ezkey": SECRET, "stat": "form", "count": "1"})
    c.post("/stathat/ez", json={"ezkey": SECRET, "data": [{"stat": "json", "count": 1}]})
    c.post("/stathat/c", data={"ukey": SECRET, "key": SECRET, "count": "1"})
    c.post("/countly/i", data={"app_key": SECRET, "device_id": "d", "begin_session": "1", "checksum": SECRET})
    c.post("/countly/i/bulk", data={"requests": json.dumps([{"app_key": SECRET, "device_id": "d"}])})
    c.post("/countly/i/bulk", json={"app_key": SECRET, "requests": [{"app_key": SECRET, "device_id": "d"}]})
    c.post("/countly/o", data={"api_key": SECRET, "auth_token": SECRET, "method": "sessions"})
    c.post("/countly/i", data={"app_key": SECRET, "device_id": "d"}, content_type="multipart/form-data")
    c.post("/taplytics/v2/users", json={"api_token": SECRET, "user_id": "u", "email": SECRET, "token": SECRET})
    c.post("/cyfe/api/push/" + SECRET, json={"data": [{"Date": "20130301", "Users": "1"}]})
    c.get("/reports/api/v4/analytics/reports_read", data=f"token={SECRET}&channel_id=1")
    entries = _entries(c)
    assert len(entries) == 11
    assert SECRET not in json.dumps(entries)
    assert all(e["body"] and e["body_truncated"] is False for e in entries), [e["body"] for e in entries]
    assert entries[0]["body"] == "ezkey=***&stat=form&count=1"
    assert json.loads(entries[1]["body"]) == {"ezkey": "***", "data": [{"stat": "json", "count": 1}]}
    assert json.loads(redact_query(entries[4]["body"]).split("requests=")[1].replace("%22", '"')
                      .replace("%5B", "[").replace("%5D", "]").replace("%7B", "{").replace("%7D", "}")
                      .replace("%3A", ":").replace("%2C", ",").replace("+", " ")) == [
        {"app_key": "***", "device_id": "d"}]
    assert 'name="app_key"' in entries[7]["body"] and "***" in entries[7]["body"]
    assert entries[9]["path"] == "/cyfe/api/push/***"
    assert entries[9]["body"] == '{"data": [{"Date": "20130301", "Users": "1"}]}'  # no secret: as sent


def test_a_body_is_capped_by_the_config_and_masked_across_the_cut() -> None:
    c = create_app({"journal_body_max": 64}).test_client()
    long_stat = "x" * 200
    c.post("/stathat/ez", data={"stat": long_stat, "count": "1", "ezkey": SECRET})
    c.post("/stathat/ez", json={"data": [{"stat": "s", "count": 1}] * 3, "ezkey": SECRET})
    c.post("/stathat/ez", data={"ezkey": "dev-ezkey", "stat": "short"})
    cut, json_cut, short = _entries(c)
    assert cut["body_truncated"] is True and len(cut["body"].encode()) == 64 and SECRET not in cut["body"]
    assert json_cut["body_truncated"] is True and len(json_cut["body"].encode()) <= 64
    assert short == {**short, "body": "ezkey=***&stat=short", "body_truncated": False}
    none = create_app({"journal_body_max": 0}).test_client()
    none.post("/stathat/ez", data={"ezkey": "dev-ezkey", "stat": "x"})
    assert [(e["body"], e["body_truncated"]) for e in _entries(none)] == [("", True)]
    with pytest.raises(ConfigError, match="journal_body_max"):
        create_app({"journal_body_max": -1})


def test_a_secret_cut_by_the_cap_is_masked_still() -> None:
    c = create_app({"journal_body_max": 40}).test_client()
    c.post("/stathat/ez", data="stat=aaaaaaaaaaaaaaaaaaaaaaaaaaaa&ezkey=" + SECRET,
           content_type="application/x-www-form-urlencoded")
    c.post("/stathat/ez", data='{"data": [], "ezkey": "' + SECRET + '"}', content_type="application/json")
    # a secret beyond the part masked first: cut off with it (it never reaches the kept bytes)
    c.post("/stathat/ez", data="stat=" + "a" * 1060 + "&ezkey=" + SECRET,
           content_type="application/x-www-form-urlencoded")
    form, whole, far = _entries(c)
    assert form["body"] == "stat=aaaaaaaaaaaaaaaaaaaaaaaaaaaa&ezkey=" and form["body_truncated"] is True
    assert whole["body"] == '{"data":[],"ezkey":"***"}' and whole["body_truncated"] is False  # masked, it fits
    assert far["body"] == "stat=" + "a" * 35 and far["body_truncated"] is True


def test_redact_is_one_rule_for_json_form_query_and_free_text() -> None:
    assert redact("ezkey=k&stat=a") == "ezkey=***&stat=a"
    assert redact('{"Token": "k", "n": [{"api_key": "k"}], "s": "see the ezkey docs"}') == \
        '{"Token":"***","n":[{"api_key":"***"}],"s":"see the ezkey docs"}'
    assert redact('{"requests": "[{\\"app_key\\": \\"k\\"}]"}') == '{"requests":"[{\\"app_key\\":\\"***\\"}]"}'
    assert redact('{"ezkey": "kkkk') == '{"ezkey": "***"'  # not JSON (cut short): masked by name still
    assert redact("plain text with ezkey=k inside") == "plain text with ezkey=*** inside"
    assert redact("nothing secret here") == "nothing secret here"
    assert redact("%65zkey=k") == "ezkey=***"  # an escaped name is a name
    assert redact_query("requests=%5B%7B%22app_key%22%3A%22k%22%7D%5D") == \
        "requests=%5B%7B%22app_key%22%3A%22***%22%7D%5D"
    assert redact_url("https://app.test/page?x=1&api_token=k#top") == "https://app.test/page?x=1&api_token=***#top"
    assert redact_url("https://app.test/page") == "https://app.test/page"


# -- secret path segments and headers, routed or not ----------------------------------------------------------
def test_unrouted_paths_and_urls_in_headers_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="mock_server.access")
    c = create_app().test_client()
    c.post(f"/cyfe/api/push/{SECRET}/extra", json={"data": []})  # no route: a 404
    c.get(f"/cyfe/api/push/{SECRET}")  # a 405
    c.post(f"/cyfe/api/push/{SECRET}/", json={"data": []})
    c.get("/stathat/nothing", headers={"Referer": f"https://app.test/page?api_token={SECRET}&tab=2",
                                       "Origin": f"http://localhost/cyfe/api/push/{SECRET}",
                                       "X-Callback": f"/hook?ezkey={SECRET}",
                                       "X-Forwarded-Uri": f"/cyfe/api/push/{SECRET}?a=1"})
    entries = _entries(c)
    assert [(e["path"], e["status"]) for e in entries] == [
        ("/cyfe/api/push/***/extra", 404), ("/cyfe/api/push/***", 405), ("/cyfe/api/push/***/", 404),
        ("/stathat/nothing", 404)]
    headers = entries[-1]["headers"]
    assert headers["Referer"] == "https://app.test/page?api_token=***&tab=2"
    assert headers["Origin"] == "http://localhost/cyfe/api/push/***"
    assert headers["X-Callback"] == "/hook?ezkey=***"
    assert headers["X-Forwarded-Uri"] == "/cyfe/api/push/***?a=1"
    assert headers["User-Agent"].startswith("Werkzeug/")  # not a URL: as sent
    assert SECRET not in json.dumps(entries) and SECRET not in caplog.text
    assert "/cyfe/api/push/***/extra" in caplog.text


def test_a_service_at_the_root_masks_its_own_shapes() -> None:
    c = create_app({"only": "cyfe"}).test_client()
    c.post(f"/api/push/{SECRET}", json={"data": [{"Date": "20130301", "Users": "1"}]})
    c.post(f"/api/push/{SECRET}/more", json={"data": []})
    entries = _entries(c)
    assert [e["path"] for e in entries] == ["/api/push/***", "/api/push/***/more"]
    assert [e["service"] for e in entries] == ["cyfe", "cyfe"]
