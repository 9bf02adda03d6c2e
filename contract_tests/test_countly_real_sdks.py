"""Countly's own SDKs against the reference server (issue 9): ``countly-sdk-web`` in headless Chromium from
a page on another origin with the ``countly-token`` header set (so every call is a CORS preflight first),
and ``countly-sdk-nodejs`` with ``change_id(..., merge=true)``; the aggregated result is read through ``/o``.

The packages come from npm into ``.cache/npm`` on first use; Chromium is Debian's (``.ci/run`` installs it).
Each test is skipped, with the reason printed, where Chromium, Node or npm cannot be had. The waits below
are bounded waits for the SDKs' asynchronous sends to arrive, not timings under test.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from contract_tests.test_countly_support import APP_ID, APP_KEY, read
from sdk import AdminClient, NotFound
from tests.browser import browser, static_site  # noqa: F401  (the fixture)
from tests.npm import node, npm_package

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.slow
WAIT = 60.0  # seconds the SDKs get to deliver what they queued
RC = {"hero": "B", "discount": 15}


def wait_for(what: str, probe: Callable[[], Any]) -> Any:
    """Poll ``probe`` until it returns something truthy; fail naming ``what`` after ``WAIT`` seconds."""
    deadline = time.monotonic() + WAIT
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"the SDK's data did not arrive: {what}")
        time.sleep(0.2)


def today(http: httpx.Client, method: str, **params: Any) -> dict[str, Any]:
    """Today's bucket of a time-object read (the app's timezone is UTC)."""
    now = datetime.now(UTC)
    node = read(http, method, **params)
    for key in (str(now.year), str(now.month), str(now.day)):
        node = node.get(key, {}) if isinstance(node, dict) else {}
    return node


def dashboard_today(http: httpx.Client) -> dict[str, Any]:
    response = http.get("/countly/o/analytics/dashboard", params={"api_key": "dev-api-key", "app_id": APP_ID,
                                                                 "period": "hour"})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["hour"]["dashboard"]
    return result


def view_rows(http: httpx.Client) -> dict[str, dict[str, Any]]:
    return {r["view"]: r for r in read(http, "views", action="getTable", period="hour")["aaData"]}


PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>shop</title><script src="countly.js"></script></head>
<body><h1>landing</h1><script>
window.__errors = [];
window.addEventListener("error", function (e) { window.__errors.push(String(e.message)); });
Countly.init({app_key: %(app_key)s, url: %(api)s, device_id: "web-visitor", app_version: "3.1",
              headers: {"countly-token": "page-token"}, interval: 200,
              ignore_bots: false});  // this browser says HeadlessChrome, which the SDK ignores as a bot
Countly.track_sessions();
Countly.track_pageview("/landing");
Countly.add_event({key: "cta_click", count: 2, segmentation: {button: "buy"}});
Countly.fetch_remote_config(function (err, configs) {
  window.__rc = {error: err ? String(err) : null, configs: configs};
});
</script></body></html>
"""


def test_web_sdk_in_chromium_from_another_origin(browser: Browser, base_url: str, admin: AdminClient,  # noqa: F811
                                                 http: httpx.Client) -> None:
    sdk = npm_package("countly-sdk-web", "^26")
    admin.seed({"countly": {"remote_config": {APP_ID: RC}}})
    api = f"{base_url}/countly"
    page_html = PAGE % {"app_key": json.dumps(APP_KEY), "api": json.dumps(api)}
    with static_site({"index.html": page_html.encode(), "countly.js": sdk / "lib" / "countly.js"}) as site:
        assert not site.startswith(base_url)  # another origin: localhost vs 127.0.0.1
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(f"{site}/index.html")
            page.wait_for_function("window.__rc !== undefined", timeout=WAIT * 1000)
            remote = page.evaluate("window.__rc")
            assert remote == {"error": None, "configs": RC}
            wait_for("a session, a view and the event", lambda: today(http, "sessions").get("t") == 1
                     and "/landing" in view_rows(http) and today(http, "events", event="cta_click").get("c") == 2)
            assert page.evaluate("window.__errors") == []
        finally:
            context.close()
    board = dashboard_today(http)
    assert (board["total_sessions"]["total"], board["total_users"]["total"], board["new_users"]["total"]) == (1, 1, 1)
    assert read(http, "device_details")["meta"]["os"] == ["Linux"]  # Chromium here runs on Linux
    assert read(http, "device_details")["meta"]["app_versions"] == ["3:1"]
    landing = view_rows(http)["/landing"]
    assert (landing["t"], landing["uvalue"], landing["n"]) == (1, 1, 1)
    assert read(http, "events", event="cta_click", segmentation="button")["meta"]["button"] == ["buy"]
    # every call crossed origins with the countly-token header: the browser asked first, and was let through
    journal = admin.requests.list(path="/countly", limit=1000)
    preflights = {e["path"] for e in journal if e["method"] == "OPTIONS"}
    assert {"/countly/o/sdk", "/countly/i"} <= preflights
    assert all(e["status"] == 200 for e in journal if e["method"] == "OPTIONS")
    calls = [e for e in journal if e["method"] == "POST" and e["path"] == "/countly/o/sdk"]
    assert calls and all(e["status"] == 200 for e in calls)
    assert all(e["headers"].get("Countly-Token") == "***" for e in calls)  # the journal masks it


NODE_SCRIPT = """
const [sdkPath, url, appKey, storage] = process.argv.slice(2);
const Countly = require(sdkPath);
Countly.init({app_key: appKey, url: url, device_id: "node-anonymous", storage_path: storage, interval: 100,
              app_version: "2.0"});
Countly.begin_session(true);
Countly.add_event({key: "purchase", count: 2, sum: 19.98});
Countly.change_id("node-user-7", true);
Countly.end_session(42);
"""


# A reference server that also serves Countly at ``/`` (``--only countly``): the Node SDK sends to ``/i`` and
# ``/o`` of its URL's host whatever path the URL has.
@pytest.mark.analytics_kit(only="countly")
def test_node_sdk_change_id_with_merge(analytics_kit_url: str, analytics_kit_admin: AdminClient,
                                       tmp_path: Path) -> None:
    executable = node()
    sdk = npm_package("countly-sdk-nodejs", "^24")
    base_url = analytics_kit_url
    admin = analytics_kit_admin
    http = httpx.Client(base_url=base_url, timeout=10)
    script = tmp_path / "client.js"
    script.write_text(NODE_SCRIPT)
    process = subprocess.Popen([executable, str(script), str(sdk), base_url, APP_KEY,
                                str(tmp_path / "storage")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        # The end comes from the new id: only a merged user has a session for it to end, so its 42 s count.
        wait_for("the session's end under the new id", lambda: today(http, "sessions").get("d") == 42
                 and today(http, "events", event="purchase").get("c") == 2)
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert read(http, "total_users") == [{"_id": "users", "u": 1}]
    board = dashboard_today(http)
    assert (board["total_sessions"]["total"], board["total_users"]["total"], board["new_users"]["total"]) == (1, 1, 1)
    sessions = today(http, "sessions")
    assert sessions["ds"] == {"2": 1}  # one session of 31-60 s
    user = admin.countly.app_user(app_id=APP_ID, app_key=APP_KEY, device_id="node-user-7")
    assert (user["sc"], user["tsd"], user["av"]) == (1, 42, "2:0")
    with pytest.raises(NotFound):
        admin.countly.app_user(APP_ID, APP_KEY, "node-anonymous")
    assert today(http, "events", event="purchase")["s"] == pytest.approx(19.98)
    assert {e["path"] for e in admin.requests.list(limit=1000)} >= {"/i"}  # it did send to the root
    http.close()
