"""The inspector: ``GET /``, the JSON under ``/_admin/inspector`` (in-process), and the page in headless
Chromium against a server of two worker processes sharing a SQLite store (``tests/browser.py``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from mock_server import create_app
from mock_server.cli import banner
from mock_server.inspector.data import stat_series
from sdk import CountlyClient, CyfeClient, MetricOptions, ReportsClient, Stat, StatHatClient, TaplyticsClient
from sdk.taplytics import where

from .browser import browser
from .live import MOCK_SERVER, ROOT, Server, server_process
from .servers import drop_schema, postgres_url

__all__ = ["browser"]  # the fixture, imported for the tests below

#: One screenshot per service, kept as test artefacts (git-ignored).
ARTEFACTS = ROOT / "test-artefacts"


def screenshot(page: Any, name: str) -> Path:
    ARTEFACTS.mkdir(exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# -- in-process: the root page, the banner, the JSON ------------------------------------------------
@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(transport=httpx.WSGITransport(app=create_app()), base_url="http://kit") as client:
        yield client


def test_root_links_to_the_inspector(http: httpx.Client) -> None:
    page = http.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'href="/_admin/ui"' in page.text
    assert http.get("/").json()["inspector"] == "/_admin/ui"
    ui = http.get("/_admin/ui")
    assert ui.status_code == 200 and "/_admin/ui/app.js" in ui.text
    js = http.get("/_admin/ui/app.js")
    assert js.headers["content-type"].startswith("text/javascript") and "cartesian" in js.text
    assert "http" not in ui.text.replace("http://www.w3.org", "")  # nothing loaded from elsewhere


def test_the_banner_names_the_inspector() -> None:
    app = create_app()
    assert "inspector  http://127.0.0.1:8080/_admin/ui" in banner(app.extensions["analytics_api_kit"],
                                                                  "http://127.0.0.1:8080")


def test_stat_series_sums_counters_and_averages_values_per_interval() -> None:
    counter = {"name": "c", "kind": "counter", "points": [{"t": 100, "count": 2}, {"t": 105, "count": 3},
                                                          {"t": 112, "count": 4}]}
    assert stat_series(counter, 10)["series"] == [{"t": 100, "y": 5, "n": 2}, {"t": 110, "y": 4, "n": 1}]
    value = {"name": "v", "kind": "value", "points": [{"t": 100, "value": 1}, {"t": 101, "value": 2},
                                                      {"t": 130, "value": 7}]}
    out = stat_series(value, 10)
    assert out["series"] == [{"t": 100, "y": 1.5, "n": 2}, {"t": 130, "y": 7, "n": 1}]
    assert out["summary"] == 10 / 3
    assert stat_series(value)["interval"] == 1  # 30 s fit in 60 one-second buckets
    wide = {"name": "w", "kind": "counter", "points": [{"t": 0, "count": 1}, {"t": 86400 * 3, "count": 1}]}
    assert stat_series(wide)["interval"] == 6 * 3600


def test_journal_json_filters_and_gives_a_body_on_demand(http: httpx.Client) -> None:
    sdk = StatHatClient("dev-ezkey", base_url="http://kit/stathat", http_client=http)
    sdk.count("a", 1)
    http.post("/cyfe/api/push/no-such-widget", json={"data": [{"Date": "20260101", "Users": 1}]})
    everything = http.get("/_admin/inspector/journal").json()
    assert [e["service"] for e in everything["requests"]] == ["stathat", "cyfe"]
    assert everything["complete"] is True
    only = http.get("/_admin/inspector/journal", params={"status": "4xx"}).json()["requests"]
    assert [(e["service"], e["status"], e["path"]) for e in only] == [("cyfe", 404, "/cyfe/api/push/***")]
    # The filters are the journal's own (those of /_admin/requests): path a prefix, path_pattern a regex.
    assert http.get("/_admin/inspector/journal", params={"service": "stathat", "path": "/stathat/ez"}).json()[
        "requests"]
    assert not http.get("/_admin/inspector/journal", params={"path": "/ez"}).json()["requests"]
    assert [e["path"] for e in http.get("/_admin/inspector/journal", params={"path_pattern": ".*/ez.*"}).json()[
        "requests"]] == ["/stathat/ez"]
    assert http.get("/_admin/inspector/journal", params={"method": "GET"}).json()["requests"] == []
    for bad in ({"path_pattern": "("}, {"since": "yesterday"}, {"method": "P O S T"}):
        reply = http.get("/_admin/inspector/journal", params=bad)
        assert reply.status_code == 400 and next(iter(bad)) in reply.json()["error"], reply.text
    # The list has no bodies; an entry's body comes on demand, secrets masked.
    assert not any("body" in e for e in everything["requests"])
    after = http.get("/_admin/inspector/journal", params={"after": everything["requests"][0]["id"]}).json()
    assert [e["service"] for e in after["requests"]] == ["cyfe"] and after["complete"] is False
    entry = http.get(f"/_admin/inspector/journal/{everything['requests'][0]['id']}").json()
    assert entry["method"] == "POST" and "dev-ezkey" not in json.dumps(entry)
    assert entry["body_kept"] is True and entry["body"] == "ezkey=***&stat=a&count=1"
    assert json.loads(http.get(f"/_admin/inspector/journal/{everything['requests'][1]['id']}").json()["body"]) == {
        "data": [{"Date": "20260101", "Users": 1}]}
    assert http.get("/_admin/inspector/journal/nope").status_code == 404
    assert http.get("/_admin/inspector/journal", params={"status": "abc"}).status_code == 400
    assert http.get("/_admin/inspector/journal", params={"service": "nope"}).status_code == 400
    assert http.get("/_admin/inspector/nope").status_code == 404


def test_every_service_view_answers_from_a_fresh_server(http: httpx.Client) -> None:
    for name in ("stathat", "countly", "taplytics", "cyfe", "reports"):
        reply = http.get(f"/_admin/inspector/{name}")
        assert reply.status_code == 200, (name, reply.text)


# -- the page in Chromium ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    store = tmp_path_factory.mktemp("inspector") / "store.db"
    with server_process("--store", f"sqlite:///{store}", "--workers", "2", "--demo-data") as server:
        yield server


@pytest.fixture
def server(live: Server) -> Server:
    live.reset()
    return live


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, errors


def open_tab(page: Any, server: Server, tab: str) -> None:
    page.goto(f"{server.url}/_admin/ui#{tab}")
    page.wait_for_selector(f"#panel-{tab}[data-loaded]", state="attached")


def numbers(page: Any, selector: str, attribute: str) -> list[float]:
    return [float(v) for v in page.eval_on_selector_all(selector, f"ns => ns.map(n => n.getAttribute('{attribute}'))")]


def test_journal_shows_requests_live_with_filters_and_masked_bodies(page: Any, server: Server) -> None:
    with StatHatClient("dev-ezkey", base_url=f"{server.url}/stathat") as stathat:
        stathat.count("visits", 2)
    httpx.post(f"{server.url}/cyfe/api/push/no-such-widget", json={"data": [{"Date": "20260101", "Users": 1}]})
    page.goto(f"{server.url}/_admin/ui")
    page.wait_for_selector("#journal tbody tr[data-service=cyfe]")
    rows = page.eval_on_selector_all("#journal tbody tr", "rs => rs.map(r => [r.dataset.service, r.dataset.status, "
                                     "r.querySelector('.path').textContent])")
    assert rows == [["cyfe", "404", "/cyfe/api/push/***"], ["stathat", "200", "/stathat/ez"]]
    page.evaluate("window.__sameDocument = true")

    # A request sent now shows up without a reload.
    reply = httpx.post(f"{server.url}/stathat/ez", data={"ezkey": "dev-ezkey", "stat": "visits", "count": "1"})
    new_id = reply.headers["X-Request-Id"]
    page.wait_for_selector(f'#journal tbody tr[data-id="{new_id}"]')
    assert page.evaluate("window.__sameDocument") is True

    # The body on demand, secrets masked.
    page.click(f'#journal tbody tr[data-id="{new_id}"]')
    page.wait_for_function(f"document.getElementById('entry-id').textContent === '{new_id}'")
    detail = page.text_content("#entry-body")
    assert detail.startswith("POST /stathat/ez") and "dev-ezkey" not in detail
    assert detail.splitlines()[-1] == "ezkey=***&stat=visits&count=1"  # the body, masked


    # Filters: status class, service, path.
    page.fill("#f-status", "4xx")
    page.wait_for_function("document.querySelectorAll('#journal tbody tr').length === 1")
    assert page.get_attribute("#journal tbody tr", "data-status") == "404"
    page.fill("#f-status", "")
    page.select_option("#f-service", "stathat")
    page.wait_for_function("[...document.querySelectorAll('#journal tbody tr')].every(r => r.dataset.service"
                           " === 'stathat') && document.querySelectorAll('#journal tbody tr').length === 2")
    page.fill("#f-path", "ez")  # anywhere in the path (a path_pattern of the journal's filters)
    page.wait_for_function("document.querySelectorAll('#journal tbody tr').length === 2")
    page.fill("#f-path", "/nothing-like-it")
    page.wait_for_function("document.querySelectorAll('#journal tbody tr').length === 0")
    screenshot(page, "inspector-requests")


def test_journal_bodies_on_demand_indented_and_cut(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/_admin/ui")
    page.wait_for_selector("body[data-ticks]")
    # A JSON body is shown indented; a body over the journal's cap is shown cut, saying so.
    with StatHatClient("dev-ezkey", base_url=f"{server.url}/stathat") as stathat:
        batch = stathat.with_raw_response.post([Stat("visits", count=3)])
    page.click(f'#journal tbody tr[data-id="{batch.request_id}"]')
    page.wait_for_function(f"document.getElementById('entry-id').textContent === '{batch.request_id}'")
    detail = page.text_content("#entry-body")
    shown = json.loads(detail[detail.index("{"):])
    assert shown == {"ezkey": "***", "data": [{"stat": "visits", "count": 3}]} and '\n  "ezkey"' in detail
    big = httpx.post(f"{server.url}/cyfe/api/push/dev-widget",
                     json={"data": [{"Date": "20260101", "Note": "x" * 40_000}]}).headers["X-Request-Id"]
    page.click(f'#journal tbody tr[data-id="{big}"]')
    page.wait_for_function(f"document.getElementById('entry-id').textContent === '{big}'")
    assert "… (cut:" in page.text_content("#entry-body")
    screenshot(page, "inspector-request-body")


def test_stathat_counters_summed_and_values_averaged_per_interval(page: Any, server: Server) -> None:
    t0 = 1_700_000_000
    counts = [(t0 + i * 7, i % 4 + 1) for i in range(40)]
    values = [(t0 + i * 3, i / 4) for i in range(30)]
    with StatHatClient("dev-ezkey", base_url=f"{server.url}/stathat") as stathat:
        stathat.post([Stat("signups", count=c, t=t) for t, c in counts])
        stathat.post([Stat("latency", value=v, t=t) for t, v in values])
    open_tab(page, server, "stathat")
    for name, kind, data in (("signups", "counter", counts), ("latency", "value", values)):
        card = f'section.stat[data-name="{name}"]'
        assert page.get_attribute(card, "data-kind") == kind
        interval = int(page.get_attribute(card, "data-interval"))
        buckets: dict[int, list[float]] = {}
        for t, v in data:
            buckets.setdefault(t - t % interval, []).append(v)
        want = {t: (sum(v) if kind == "counter" else sum(v) / len(v)) for t, v in buckets.items()}
        got = dict(zip(numbers(page, f"{card} .pt", "data-t"), numbers(page, f"{card} .pt", "data-y"), strict=True))
        assert got == pytest.approx({float(t): y for t, y in want.items()})
        summary = float(page.get_attribute(f"{card} .summary", "data-value"))
        all_values = [v for _, v in data]
        assert summary == pytest.approx(sum(all_values) if kind == "counter" else sum(all_values) / len(all_values))
    screenshot(page, "inspector-stathat")


def test_cyfe_widgets_drawn_as_their_options_ask(page: Any, server: Server) -> None:
    server.admin.seed({"cyfe": {"widgets": [{"key": "pie-widget", "name": "Share"}]}})
    last_month = [{"Date": f"202512{d:02d}", "Users": d * 2, "Signups": d} for d in range(1, 29)]
    this_month = [{"Date": f"202601{d:02d}", "Users": d * 3, "Signups": d} for d in range(1, 20)]
    cyfe = CyfeClient(widget_key="dev-widget", base_url=f"{server.url}/cyfe")
    cyfe.push(last_month + this_month, {"Users": MetricOptions(color="#ff0000", type="area", yaxis=1),
                                        "Signups": MetricOptions(type="column", yaxis=2, reverse=True)})
    pie = CyfeClient(widget_key="pie-widget", base_url=f"{server.url}/cyfe")
    pie.push([{"Browser": "Chrome", "Visits": 60, "Other": 15}], {"Visits": MetricOptions(type="pie")})
    open_tab(page, server, "cyfe")

    card = 'section.widget[data-name="Development widget"]'
    users = f'{card} g.series[data-metric="Users"]'
    assert page.get_attribute(users, "data-type") == "area"
    assert page.get_attribute(users, "data-color") == "#ff0000"
    assert page.get_attribute(f'{card} g.series[data-metric="Signups"]', "data-type") == "column"
    assert page.get_attribute(users, "data-axis") != page.get_attribute(f'{card} g.series[data-metric="Signups"]',
                                                                        "data-axis")
    rows = last_month + this_month
    for metric in ("Users", "Signups"):
        series = f'{card} g.series[data-metric="{metric}"] .pt'
        got = list(zip(page.eval_on_selector_all(series, "ns => ns.map(n => n.dataset.x)"),
                       numbers(page, series, "data-y"), strict=True))
        assert got == [(r["Date"], r[metric]) for r in rows]
        # The header: this month's total and the change from last month (a rise is bad where reversed).
        total = sum(r[metric] for r in this_month)
        before = sum(r[metric] for r in last_month)
        head = f'{card} .metric-head[data-metric="{metric}"]'
        assert float(page.get_attribute(f"{head} .total", "data-value")) == total
        change = round((total - before) / before * 100, 2)
        assert float(page.get_attribute(f"{head} .comparison", "data-value")) == change
    assert "bad" in page.get_attribute(f'{card} .metric-head[data-metric="Users"] .comparison', "class")
    assert "good" in page.get_attribute(f'{card} .metric-head[data-metric="Signups"] .comparison', "class")

    slices = 'section.widget[data-name="Share"] path.slice'
    assert page.get_attribute('section.widget[data-name="Share"] svg.chart', "data-chart") == "pie"
    assert dict(zip(page.eval_on_selector_all(slices, "ns => ns.map(n => n.dataset.metric)"),
                    numbers(page, slices, "data-value"), strict=True)) == {"Visits": 60, "Other": 15}
    assert page.get_attribute(card, "data-key") == "dev-***"  # the key is the credential
    screenshot(page, "inspector-cyfe")


def test_countly_dashboard_numbers_platforms_and_sessions(page: Any, server: Server) -> None:
    platforms = ["Android", "iOS", "Android", "Android"]
    for i, os_name in enumerate(platforms):
        with CountlyClient(base_url=f"{server.url}/countly", app_key="dev-app-key", device_id=f"device-{i}") as c:
            c.begin_session({"_os": os_name, "_app_version": "1.0"})
            c.end_session(60)
    open_tab(page, server, "countly")
    app = 'section.app[data-app-id="0123456789abcdef01234567"]'
    for key in ("total_sessions", "total_users", "new_users"):
        assert page.get_attribute(f'{app} .num[data-key="{key}"] .total', "data-value") == "4"
        assert page.get_attribute(f'{app} .num[data-key="{key}"] .change', "data-trend") in ("u", "d")
    assert page.text_content(f'{app} .num[data-key="total_time"] .total') == "4.0 min"
    bars = page.eval_on_selector_all(f"{app} .platforms .bar-row", "rs => rs.map(r => [r.dataset.name, "
                                     "Number(r.dataset.value)])")
    assert bars == [["Android", 3], ["iOS", 1]]
    sessions = f'{app} svg.sessions g.series[data-metric="Total sessions"] .pt'
    ys = numbers(page, sessions, "data-y")
    assert len(ys) == 30 and ys[-1] == 4 and sum(ys) == 4
    today = datetime.now(UTC).date().isoformat()[5:]
    assert page.eval_on_selector_all(sessions, "ns => ns.map(n => n.dataset.x)")[-1] == today
    screenshot(page, "inspector-countly")


def test_taplytics_users_and_each_push_audience(page: Any, server: Server) -> None:
    taplytics = TaplyticsClient("dev-api-token", base_url=f"{server.url}/taplytics")
    for i in range(7):
        plan = "pro" if i % 3 else "free"
        taplytics.users.save({"user_id": f"u{i}", "name": f"User {i}", "custom_data": {"plan": plan}})
    pro = taplytics.push.create("For pro users", filters=[where("custom_data", "plan").eq("pro")])
    everyone = taplytics.push.create("For everyone")
    open_tab(page, server, "taplytics")
    assert page.get_attribute('#panel-taplytics .num[data-key="users"] .total', "data-value") == "7"
    assert sorted(page.eval_on_selector_all("#panel-taplytics tr.user", "rs => rs.map(r => r.dataset.userId)")) == \
        [f"u{i}" for i in range(7)]
    audience = server.admin.taplytics.audience(pro.id)
    assert page.get_attribute(f'tr.push[data-id="{pro.id}"] .matched', "data-value") == str(len(audience["matched"]))
    assert len(audience["matched"]) == sum(1 for i in range(7) if i % 3)
    assert page.get_attribute(f'tr.push[data-id="{everyone.id}"] .matched', "data-value") == "7"
    screenshot(page, "inspector-taplytics")


def test_reports_aggregations_as_charts(page: Any, server: Server) -> None:
    open_tab(page, server, "reports")
    card = 'section.channel[data-channel-id="1"]'
    start, end = page.text_content(f"{card} h3").split(" – ")
    reports = ReportsClient("dev-api-token", base_url=f"{server.url}/reports")
    per_day = reports.reports_per_week_day(1, start, end)
    week = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    got = dict(zip(page.eval_on_selector_all(f"{card} svg.per-week-day .pt", "ns => ns.map(n => n.dataset.x)"),
                   numbers(page, f"{card} svg.per-week-day .pt", "data-y"), strict=True))
    assert got == {week[d.dow]: d.report_count for d in per_day}
    hours = numbers(page, f"{card} svg.per-day-hour .pt", "data-y")
    assert hours == [h.report_count for h in reports.reports_per_day_hour(1, start, end)]
    states = dict(zip(page.eval_on_selector_all(f"{card} svg.per-state .pt", "ns => ns.map(n => n.dataset.x)"),
                      numbers(page, f"{card} svg.per-state .pt", "data-y"), strict=True))
    assert states == {s.name: s.report_count for s in reports.reports_per_state(1, start, end)}
    over = numbers(page, f"{card} svg.over-time .pt", "data-y")
    assert sum(over) == sum(b.report_count for b in reports.reports_over_time(1, start, end)) == sum(hours)
    screenshot(page, "inspector-reports")


# -- every store, several workers ---------------------------------------------------------------------
def _workers(server: Server, want: int) -> int:
    """How many worker processes the server runs (the children gunicorn's arbiter forks), once ``want`` are up
    (the first may answer before the second is forked) or the server has had its chance."""
    children: list[str] = []
    for _ in range(200):
        children = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children").read_text().split()
        if len(children) >= want:
            break
        httpx.get(f"{server.url}/_admin/health", headers={"Connection": "close"})
    return len(children)


def click_tab(page: Any, tab: str) -> None:
    page.click(f'#tabs button[data-tab="{tab}"]')
    page.wait_for_selector(f"#panel-{tab}[data-loaded]", state="attached")


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_the_page_on_each_store_with_two_workers(browser: Any, store: str, tmp_path: Path) -> None:
    """``mock-server --store sqlite:///... --workers 2`` and ``--store postgresql://...``: whichever worker
    answers a request or a poll, the page shows every request and each service's state from the one store."""
    url = f"sqlite:///{tmp_path / 'store.db'}" if store == "sqlite" else postgres_url()
    try:
        with server_process("--store", url, "--workers", "2", command=[MOCK_SERVER]) as server:
            assert _workers(server, 2) == 2
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{server.url}/_admin/ui")
            page.wait_for_selector("body[data-ticks]")
            page.evaluate("window.__sameDocument = true")
            # Each on a connection of its own, so both workers take some; the page shows every one, live.
            ids = [httpx.post(f"{server.url}/stathat/ez", data={"ezkey": "dev-ezkey", "stat": "hits",
                                                                "count": "1", "t": str(1_700_000_000 + i)},
                              headers={"Connection": "close"}).headers["X-Request-Id"] for i in range(12)]
            for request_id in ids:
                page.wait_for_selector(f'#journal tbody tr[data-id="{request_id}"]')
            page.click(f'#journal tbody tr[data-id="{ids[-1]}"]')
            page.wait_for_function(f"document.getElementById('entry-id').textContent === '{ids[-1]}'")
            assert "dev-ezkey" not in page.text_content("#entry-body")

            with CountlyClient(base_url=f"{server.url}/countly", app_key="dev-app-key", device_id="w1") as countly:
                countly.begin_session({"_os": "iOS"})
            TaplyticsClient("dev-api-token", base_url=f"{server.url}/taplytics").users.save({"user_id": "w-u1"})
            CyfeClient(widget_key="dev-widget", base_url=f"{server.url}/cyfe").push([{"Date": "20260101",
                                                                                      "Users": 5}])
            click_tab(page, "stathat")
            hits = 'section.stat[data-name="hits"]'
            assert float(page.get_attribute(f"{hits} .summary", "data-value")) == 12
            page.goto(f"{server.url}/_admin/ui#countly")  # a hash followed: the same document, another tab
            page.wait_for_selector("#panel-countly[data-loaded]", state="attached")
            app = 'section.app[data-app-id="0123456789abcdef01234567"]'
            assert page.get_attribute(f'{app} .num[data-key="total_sessions"] .total', "data-value") == "1"
            click_tab(page, "taplytics")
            assert page.eval_on_selector_all("#panel-taplytics tr.user", "rs => rs.map(r => r.dataset.userId)") \
                == ["w-u1"]
            click_tab(page, "cyfe")
            point = 'section.widget[data-name="Development widget"] g.series[data-metric="Users"] .pt'
            assert numbers(page, point, "data-y") == [5]
            click_tab(page, "reports")  # the fresh server's reports: the default channel, no reports yet
            assert page.evaluate("window.__sameDocument") is True
            screenshot(page, f"inspector-{store}-2-workers")
            context.close()
            assert not errors, errors
    finally:
        if store == "postgresql":
            drop_schema(url)


def test_artefacts_folder_is_ignored_by_git() -> None:
    ignore = (Path(__file__).resolve().parents[1] / ".gitignore").read_text().split()
    assert "test-artefacts/" in ignore
