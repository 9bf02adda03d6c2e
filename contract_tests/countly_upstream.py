"""Countly's own API tests (``Countly/countly-server``, ``test/``), re-expressed in Python.

Each upstream file is a stateful sequence of mocha ``it`` cases against one freshly reset app; here it is a
list of :class:`Case` run in order by :func:`run` on one frozen server clock, which advances by what the
upstream test sleeps after each write (so cooldowns and "previous session" hours fall as they do there).
The checks are the ones of upstream's ``test/testUtils.js`` validators, in our words: see each function.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from contract_tests.test_countly_support import API_KEY, APP_ID, APP_KEY, NOW, freeze
from sdk import AdminClient

#: upstream ``testUtils``: ``testScalingFactor`` and ``testWaitTimeForDrillEvents`` (ms).
SCALE = 1.5
DRILL_WAIT = 5300
DEVICE_ID = "1234567890"
#: upstream ``testUtils``' ``RE``: a key that is a number (year, month, day, hour), not ``w<k>`` or a value.
NUMERIC = re.compile(r"^-?\d*\.?\d+$")
LIMITS = {"event_limit": 500, "event_segmentation_limit": 100, "event_segmentation_value_limit": 1000}


@dataclass
class Ctx:
    http: httpx.Client
    admin: AdminClient
    now: float = NOW
    #: upstream ``5.write.app.events.js``' ``totalEventCounts``: event key → {c, s, dur} sent so far.
    totals: dict[str, dict[str, float]] = field(default_factory=dict)

    def wait(self, ms: float) -> None:
        """What upstream sleeps after a write, on the frozen clock."""
        self.now += ms / 1000
        freeze(self.admin, self.now)


@dataclass(frozen=True)
class Case:
    name: str
    run: Callable[[Ctx], None]


def run(cases: list[Case], http: httpx.Client, admin: AdminClient) -> dict[str, BaseException | None]:
    """Every case of one upstream file in order on a reset server; what each raised (None: it passed)."""
    admin.reset()
    ctx = Ctx(http, admin)
    freeze(admin, ctx.now)
    outcome: dict[str, BaseException | None] = {}
    for case in cases:
        try:
            case.run(ctx)
            outcome[case.name] = None
        except Exception as error:  # a failed case is recorded and the file goes on, as in mocha
            outcome[case.name] = error
    return outcome


def numbered(cases: list[Case]) -> list[Case]:
    """Upstream repeats ``it`` titles ("should success"); a step number keeps the ids apart and in order."""
    return [Case(f"{i:03d} {case.name}", case.run) for i, case in enumerate(cases, 1)]


# -- requests ----------------------------------------------------------------------------------------
def _query(params: dict[str, Any]) -> dict[str, Any]:
    """``JSON.stringify`` for the JSON-valued parameters, as upstream builds its query strings."""
    return {k: json.dumps(v, separators=(",", ":")) if isinstance(v, (dict, list)) else v
            for k, v in params.items()}


def get(ctx: Ctx, path: str, **params: Any) -> httpx.Response:
    return ctx.http.get(f"/countly{path}", params=_query(params))


def body(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.text)
    return json.loads(response.text)


def result_is(response: httpx.Response, status: int, result: str) -> None:
    """``.expect(status)`` and ``ob.should.have.property('result', result)``."""
    assert body(response, status).get("result") == result, response.text


def o(ctx: Ctx, method: str, **params: Any) -> httpx.Response:
    return get(ctx, "/o", api_key=API_KEY, app_id=APP_ID, method=method, **params)


def write(name: str, wait: float, path: str = "/i", **params: Any) -> Case:
    """A write that must answer 200 Success, then upstream's sleep."""
    def step(ctx: Ctx) -> None:
        query = {"app_key": APP_KEY, **params} if path == "/i" else params
        result_is(get(ctx, path, **query), 200, "Success")
        ctx.wait(wait)
    return Case(name, step)


def reset_app(name: str, wait: float = 1000 * SCALE, **extra: Any) -> Case:
    def step(ctx: Ctx) -> None:
        args = {"app_id": APP_ID, **extra}
        result_is(get(ctx, "/i/apps/reset", api_key=API_KEY, args=args), 200, "Success")
        ctx.wait(wait)
    return Case(name, step)


def refused(name: str, path: str, status: int, result: str, **params: Any) -> Case:
    return Case(name, lambda ctx: result_is(get(ctx, path, **params), status, result))


def text_is(name: str, method: str, expected: str, **params: Any) -> Case:
    """``res.text.should.eql(expected)``: the exact body."""
    def step(ctx: Ctx) -> None:
        response = o(ctx, method, **params)
        assert (response.status_code, response.text) == (200, expected)
    return Case(name, step)


def every_key_empty(name: str, method: str) -> Case:
    """``for (key in ob) ob[key].should.eql({})`` (an empty ``{}`` passes)."""
    def step(ctx: Ctx) -> None:
        ob = body(o(ctx, method))
        assert all(value == {} for value in ob.values()), ob
    return Case(name, step)


def total_users(name: str, users: int) -> Case:
    def step(ctx: Ctx) -> None:
        ob = body(o(ctx, "total_users", metric="users"))
        assert len(ob) == 1 and ob[0]["_id"] == "users" and ob[0]["u"] == users, ob
    return Case(name, step)


# -- upstream testUtils' validators ------------------------------------------------------------------
def _numeric(key: str) -> bool:
    return bool(NUMERIC.match(key))


def _session_level(level: dict[str, Any], correct: dict[str, Any]) -> None:
    for c, want in correct.items():
        if c == "Unknown":
            assert level.get("Unknown") == {"u": correct["u"], "t": correct["t"], "n": correct["n"]}, (c, level)
        elif c != "meta":
            assert level.get(c) == want, (c, level.get(c), want)


def session_data(name: str, method: str, correct: dict[str, Any]) -> Case:
    """``validateSessionData``: the exact ``meta``; every given field at year, month and day level; the
    ``w<k>`` week object exactly ``{u, f, l, ds, p, Unknown: {u}}`` of what was given."""
    def step(ctx: Ctx) -> None:
        ob = body(o(ctx, method))
        assert ob, "empty"
        assert ob.get("meta") == correct["meta"], ob.get("meta")
        for i, year in ob.items():
            if i == "meta":
                continue
            assert year != {}, i
            if not _numeric(i):
                continue
            _session_level(year, correct)
            for j, month in year.items():
                if _numeric(j):
                    _session_level(month, correct)
                    for k, day in month.items():
                        if _numeric(k):
                            _session_level(day, correct)
                elif j.startswith("w"):
                    week = {key: correct[key] for key in ("u", "f", "l", "ds", "p") if correct.get(key)}
                    if correct.get("Unknown"):
                        week["Unknown"] = {"u": correct["u"]}
                    assert month == week, (j, month, week)
    return Case(name, step)


def dashboard(name: str, total_sessions: int, total_users: int, new_users: int, total_time: str,
              avg_time: str, avg_requests: str | None, platforms: list[Any], resolutions: list[Any],
              carriers: list[Any]) -> Case:
    """``validateDashboard``: each of 30days, 7days and today, totals with change NA / trend u,
    ``is_estimate`` true only for a multi-day period without users, and the top bars in order.
    (``avg_requests`` None: upstream commented it out of that case, so it is not compared.)"""
    def step(ctx: Ctx) -> None:
        ob = body(get(ctx, "/o/analytics/dashboard", api_key=API_KEY, app_id=APP_ID))
        for period in ("30days", "7days", "today"):
            board = ob[period]["dashboard"]
            want = {"total_sessions": total_sessions, "total_users": total_users, "new_users": new_users,
                    "total_time": total_time, "avg_time": avg_time, "avg_requests": avg_requests}
            for key, value in want.items():
                if value is None:
                    continue
                more = {"is_estimate": period != "today" and total_users == 0} if key == "total_users" else {}
                assert board[key] == {"total": value, "change": "NA", "trend": "u", **more}, (period, key, board[key])
            top = ob[period]["top"]
            assert (top["platforms"], top["resolutions"], top["carriers"]) == (platforms, resolutions, carriers), \
                (period, top)
            assert "users" in top and "period" in ob[period]
    return Case(name, step)


def countries(name: str, country: str, code: str, t: int, u: int, n: int) -> Case:
    """``validateCountries``: every row of each period is this country; ``u`` compared for today only."""
    def step(ctx: Ctx) -> None:
        ob = body(get(ctx, "/o/analytics/countries", api_key=API_KEY, app_id=APP_ID))
        for period in ("30days", "7days", "today"):
            assert ob[period], period
            for row in ob[period]:
                assert (row["country"], row["code"], row["t"], row["n"]) == (country, code, t, n), (period, row)
                if period == "today":
                    assert row["u"] == u, (period, row)
    return Case(name, step)


def no_countries(name: str) -> Case:
    def step(ctx: Ctx) -> None:
        ob = body(get(ctx, "/o/analytics/countries", api_key=API_KEY, app_id=APP_ID))
        assert (ob["30days"], ob["7days"], ob["today"]) == ([], [], []), ob
    return Case(name, step)


def _sorted_meta(meta: dict[str, Any]) -> dict[str, Any]:
    return {key: sorted(values) for key, values in meta.items()}


def metrics(name: str, method: str, correct: dict[str, Any]) -> Case:
    """``validateMetrics``: ``meta`` equal once each list is sorted; every value's {n, t, u} at year, month and
    day; the ``w<k>`` week exactly ``{value: {u}}`` for every given value."""
    def step(ctx: Ctx) -> None:
        ob = body(o(ctx, method))
        assert ob, "empty"
        assert _sorted_meta(ob.get("meta", {})) == _sorted_meta(correct["meta"]), ob.get("meta")
        values = {k: v for k, v in correct.items() if k != "meta"}
        for i, year in ob.items():
            assert year != {}, i
            if not _numeric(i):
                continue
            levels = [year]
            for j, month in year.items():
                if _numeric(j):
                    levels.append(month)
                    levels.extend(day for k, day in month.items() if _numeric(k))
                elif j.startswith("w"):
                    assert month == {k: {"u": v["u"]} for k, v in values.items()}, (j, month)
            for level in levels:
                for key, want in values.items():
                    assert level.get(key) == want, (key, level.get(key), want)
    return Case(name, step)


def _event_level(level: dict[str, Any], correct: dict[str, Any]) -> None:
    for c, want in correct.items():
        if c == "meta":
            continue
        if c == "s":
            assert abs(level.get(c, float("nan")) - want) < 0.0001, (c, level)
        else:
            assert level.get(c) == want, (c, level.get(c), want)


def events(name: str, correct: dict[str, Any], refresh: bool = False, **params: Any) -> Case:
    """``validateEvents`` on ``method=events``: ``meta`` (lists sorted) when given; the fields at year and
    month (not for ``action=refresh``) and day; the day's hours summed to the same totals."""
    def step(ctx: Ctx) -> None:
        query = {**params, **({"action": "refresh"} if refresh else {})}
        ob = body(o(ctx, "events", **query))
        assert ob, "empty"
        if "meta" in correct:
            assert _sorted_meta(ob.get("meta", {})) == correct["meta"], ob.get("meta")
        for i, year in ob.items():
            if i == "meta":
                continue
            assert year != {}, i
            if not _numeric(i):
                continue
            if not refresh:
                _event_level(year, correct)
            for j, month in year.items():
                if not _numeric(j):
                    continue
                if not refresh:
                    _event_level(month, correct)
                for k, day in month.items():
                    if not _numeric(k):
                        continue
                    _event_level(day, correct)
                    hours = [hour for h, hour in day.items() if _numeric(h)]
                    totals: dict[str, float] = {}
                    for hour in hours:
                        for m, value in hour.items():
                            totals[m] = totals.get(m, 0) + value
                    if totals:
                        _event_level(totals, correct)
    return Case(name, step)
