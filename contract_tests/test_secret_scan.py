"""No secret anywhere: unique secrets for all five services, every kind of failure provoked, then every place a
secret could surface scanned (log records of every logger at DEBUG, exception chains with httpx's requests,
reprs, error bodies, the server's journal and access log): zero hits."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sdk import (
    AdminClient,
    AsyncCountlyClient,
    AsyncCyfeClient,
    AsyncReportsClient,
    AsyncStatHatClient,
    AsyncTaplyticsClient,
    BatchConfig,
    CountlyClient,
    CyfeClient,
    ReportsClient,
    RetryPolicy,
    SDKError,
    Stat,
    StatHatClient,
    TaplyticsClient,
)
from sdk.countly import Event
from sdk.testing import make_vcr

APP_ID = "5ec2e7a0b1c3d4e5f6a7b8c9"
START, END = datetime(2016, 1, 1, tzinfo=UTC), datetime(2017, 1, 1, tzinfo=UTC)
RETRY = RetryPolicy(base=0.01, jitter=0, max_attempts=2)


def _unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex}"


class Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))  # the traceback too, when a record carries one


@pytest.fixture
def logs() -> Iterator[Keep]:
    root = logging.getLogger()
    handler, old = Keep(), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(old)


def _chain(exc: BaseException) -> str:
    parts: list[str] = []
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        parts += [str(current), repr(current), repr(current.args), repr(vars(current))]
        request = getattr(current, "_request", None)
        if request is not None:
            parts += [str(request.url), repr(dict(request.headers))]
        for attempt in getattr(current, "attempts", ()):
            if attempt is not current:
                parts.append(_chain(attempt))
        current = current.__cause__ or current.__context__
    import traceback

    parts.append("".join(traceback.format_exception(exc)))
    return "\n".join(parts)


class Scan:
    """Collects every text that might hold a secret."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def expect_error(self, call: Callable[[], object]) -> None:
        try:
            call()
        except SDKError as exc:
            self.texts.append(_chain(exc))
        else:
            raise AssertionError("the call was meant to fail")

    async def aexpect_error(self, call: Callable[[], Awaitable[object]]) -> None:
        try:
            await call()
        except SDKError as exc:
            self.texts.append(_chain(exc))
        else:
            raise AssertionError("the call was meant to fail")

    def on_error(self, exc: BaseException, items: list[Any]) -> None:
        self.texts.append(_chain(exc))


@pytest.fixture
def secrets(admin: AdminClient) -> dict[str, str]:
    s = {"ezkey": _unique("ezk"), "app_key": _unique("appk"), "api_key": _unique("apik"),
         "taplytics": _unique("tap"), "widget": _unique("wdg"), "reports": _unique("rep"),
         "bad": _unique("wrong")}
    from contract_tests.test_reports_known import SEED

    admin.seed({"stathat": {"ezkeys": [s["ezkey"]]},
                "countly": {"apps": [{"app_id": APP_ID, "app_key": s["app_key"]}],
                            "members": [{"api_key": s["api_key"], "admin": True}]},
                "taplytics": {"tokens": [s["taplytics"]]},
                "cyfe": {"widgets": [{"key": s["widget"]}]},
                "reports": {**SEED, "tokens": [s["reports"]]}})
    return s


def _provoke_sync(base: str, s: dict[str, str], admin: AdminClient, scan: Scan) -> None:
    stathat = StatHatClient(s["ezkey"], base_url=f"{base}/stathat", retry=RETRY)
    countly = CountlyClient(base_url=f"{base}/countly", app_key=s["app_key"], device_id="d", api_key=s["api_key"],
                            app_id=APP_ID, retry=RETRY, batch=BatchConfig(background=False), on_error=scan.on_error)
    taplytics = TaplyticsClient(s["taplytics"], base_url=f"{base}/taplytics", retry=RETRY)
    cyfe = CyfeClient(widget_key=s["widget"], base_url=f"{base}/cyfe", retry=RETRY)
    reports = ReportsClient(s["reports"], base_url=f"{base}/reports", retry=RETRY)
    clients = (stathat, countly, taplytics, cyfe, reports)
    scan.texts += [repr(c) for c in clients]
    # Successes (logged at DEBUG by the SDK and at INFO by httpx).
    stathat.count("scan", 1)
    countly.begin_session()
    countly.sessions()
    taplytics.users.list()
    cyfe.push([{"Date": "20130301", "Users": 1}])
    reports.reports_per_state(1, START, END)
    # 401: wrong credentials, which are secrets too.
    scan.expect_error(lambda: StatHatClient(s["bad"], base_url=f"{base}/stathat").count("x"))
    scan.expect_error(lambda: CountlyClient(base_url=f"{base}/countly", api_key=s["bad"], app_id=APP_ID).sessions())
    scan.expect_error(lambda: TaplyticsClient(s["bad"], base_url=f"{base}/taplytics").users.list())
    scan.expect_error(lambda: CyfeClient(widget_key=s["bad"], base_url=f"{base}/cyfe").push([{"Date": "20130301",
                                                                                               "Users": 1}]))
    scan.expect_error(lambda: ReportsClient(s["bad"], base_url=f"{base}/reports").reports_per_state(1, START, END))
    # 400: the server refuses a parameter.
    scan.expect_error(lambda: reports.reports_per_state(999, START, END))
    wrong_app = CountlyClient(base_url=f"{base}/countly", app_key=s["bad"], device_id="d")
    scan.expect_error(wrong_app.begin_session)
    scan.expect_error(lambda: taplytics.users.get("no-such-user"))  # 404
    # 500 after a retry of a 503, timeouts (held past the client's), for every service.
    for path, call in ((("/stathat/ez"), lambda: stathat.count("x")),
                       ("/countly/o", lambda: countly.sessions()),
                       ("/taplytics/v2/users", lambda: taplytics.users.list()),
                       ("/cyfe/api/push", lambda: cyfe.push([{"Date": "20130301", "Users": 1}])),
                       ("/reports/api", lambda: reports.reports_per_user(1, START, END))):
        admin.faults.add(path=path, status=503, times=1)
        admin.faults.add(path=path, status=500, times=1)
        scan.expect_error(call)
        admin.faults.add(path=path, status=None, delay=0.5, times=2)  # a read is retried once
        scan.expect_error(lambda call=call, c=clients: _with_timeout(call, c))
    # A batch that fails reaches on_error.
    admin.faults.add(path="/countly/i", status=500, times=1)
    countly.record_event(Event("scan"))
    countly.flush()
    for c in clients:
        c.close()
    _provoke_raw(base, s)


def _provoke_raw(base: str, s: dict[str, str]) -> None:
    """What no SDK sends but an app may: a path under a secret segment that no route has, secrets in a Referer
    and the other headers that carry URLs, a Countly bulk body whose requests carry the app key."""
    import httpx

    with httpx.Client(base_url=base, timeout=10) as http:
        assert http.post(f"/cyfe/api/push/{s['widget']}/extra", json={"data": []}).status_code == 404
        assert http.get(f"/cyfe/api/push/{s['widget']}").status_code == 405
        referer = f"https://app.test/page?api_token={s['reports']}&ezkey={s['ezkey']}"
        http.get("/stathat/nothing", headers={"Referer": referer, "Origin": f"{base}/cyfe/api/push/{s['widget']}"})
        bulk = [{"app_key": s["app_key"], "device_id": "raw", "begin_session": 1}]
        http.post("/countly/i/bulk", data={"requests": __import__("json").dumps(bulk)})
        http.post("/taplytics/v2/users", json={"api_token": s["taplytics"], "user_id": "raw"})


def _with_timeout(call: Callable[[], object], clients: tuple[Any, ...]) -> object:
    saved = [c.timeout for c in clients]
    try:
        for c in clients:
            c.timeout = __import__("httpx").Timeout(0.2)
        return call()
    finally:
        for c, t in zip(clients, saved, strict=True):
            c.timeout = t


async def _provoke_async(base: str, s: dict[str, str], admin: AdminClient, scan: Scan) -> None:
    async with AsyncStatHatClient(s["ezkey"], base_url=f"{base}/stathat", retry=RETRY) as stathat, \
            AsyncCountlyClient(base_url=f"{base}/countly", app_key=s["app_key"], device_id="d", api_key=s["api_key"],
                               app_id=APP_ID, retry=RETRY) as countly, \
            AsyncTaplyticsClient(s["taplytics"], base_url=f"{base}/taplytics", retry=RETRY) as taplytics, \
            AsyncCyfeClient(widget_key=s["widget"], base_url=f"{base}/cyfe", retry=RETRY) as cyfe, \
            AsyncReportsClient(s["reports"], base_url=f"{base}/reports", retry=RETRY) as reports:
        await stathat.post([Stat("scan", count=1)])
        await countly.sessions()
        await taplytics.experiments.list()
        await cyfe.push([{"Date": "20130302", "Users": 1}])
        await reports.reports_read(1, START, END)
        await scan.aexpect_error(lambda: AsyncStatHatClient(s["bad"], base_url=f"{base}/stathat").count("x"))
        for path, acall in (("/stathat/ez", lambda: stathat.count("x")),
                            ("/countly/o", lambda: countly.sessions()),
                            ("/taplytics/v2/experiments", lambda: taplytics.experiments.list()),
                            ("/cyfe/api/push", lambda: cyfe.push([{"Date": "20130301", "Users": 1}])),
                            ("/reports/api", lambda: reports.reports_per_user(1, START, END))):
            admin.faults.add(path=path, status=503, times=1)
            admin.faults.add(path=path, status=502, times=1)
            await scan.aexpect_error(acall)
        fast = cyfe.with_options(timeout=0.2)
        admin.faults.add(path="/cyfe/api/push", status=None, delay=0.5, times=1)
        await scan.aexpect_error(lambda: fast.push([{"Date": "20130303", "Users": 1}]))
        fast_countly = countly.with_options(timeout=0.2)
        admin.faults.add(path="/countly/o", status=None, delay=0.5, times=2)
        await scan.aexpect_error(lambda: fast_countly.sessions())
    await __import__("asyncio").to_thread(_provoke_raw, base, s)


def _assert_clean(secrets: dict[str, str], scan: Scan, logs: Keep, admin: AdminClient, cassette: Path) -> None:
    import json

    entries = admin.requests.list(limit=1000)
    journal = json.dumps(entries)
    assert sum(1 for e in entries if e.get("body")) >= 5  # bodies are journaled, so they are scanned too
    recorded = cassette.read_text()
    assert recorded.count("uri:") >= 20  # every exchange was recorded, so every one is scanned
    places = {"logs": "\n".join(logs.lines), "exceptions and reprs": "\n".join(scan.texts), "journal": journal,
              "cassette": recorded}
    assert any("mock_server.access" in line for line in logs.lines)  # the access log was captured...
    assert any(line.startswith("httpx ") for line in logs.lines)  # ...and httpx's own lines
    assert len(scan.texts) >= 8  # every provoked failure was captured
    hits = {(name, place) for name, value in secrets.items() for place, text in places.items() if value in text}
    assert hits == set(), hits


def _recorder(secrets: dict[str, str], folder: Path) -> Any:
    """Every exchange recorded (``sdk.testing.make_vcr`` given the secrets), so the cassette is scanned too."""
    return make_vcr(folder, secrets=list(secrets.values()), record_mode="all").use_cassette("everything.yaml")


def test_no_secret_anywhere_sync(base_url: str, admin: AdminClient, secrets: dict[str, str], logs: Keep,
                                 tmp_path: Path) -> None:
    scan = Scan()
    with _recorder(secrets, tmp_path):
        _provoke_sync(base_url, secrets, admin, scan)
    _assert_clean(secrets, scan, logs, admin, tmp_path / "everything.yaml")


async def test_no_secret_anywhere_async(base_url: str, admin: AdminClient, secrets: dict[str, str], logs: Keep,
                                        tmp_path: Path) -> None:
    scan = Scan()
    with _recorder(secrets, tmp_path):
        await _provoke_async(base_url, secrets, admin, scan)
    _assert_clean(secrets, scan, logs, admin, tmp_path / "everything.yaml")


#: The credentials the committed cassettes were recorded with (the reference server's development ones).
DEV_SECRETS = ("dev-ezkey", "dev-app-key", "dev-api-key", "dev-readonly-key", "dev-widget", "dev-api-token",
               "cassette-widget")


def test_no_secret_in_a_committed_cassette() -> None:
    from contract_tests.cassettes import CASSETTES

    cassettes = sorted(CASSETTES.glob("*.yaml"))
    assert len(cassettes) >= 6
    hits = {(c.name, s) for c in cassettes for s in DEV_SECRETS if s in c.read_text()}
    assert hits == set(), hits
