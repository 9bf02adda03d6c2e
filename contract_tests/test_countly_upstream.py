"""Countly's own API test suite, run against our server (issue 9: "Run against Countly's own API test suite").

The nine files of ``Countly/countly-server``'s ``test/`` folder issue 9 names (their cases need nothing but
the HTTP API), three more that need only the API (``11.fail.read.app.data.v2.js``,
``12.fail.sdk.appkey.type.js``, ``13.read.empty.app.data.v2.js``) and ``7.user.merge.js`` (its app-user
checks read our ``/_admin`` instead of MongoDB),
re-expressed in Python (no upstream code is copied; requests and expected values are upstream's). Each
case id is ``<upstream file> :: <step> <describe> / <it>``; the file and version read are named above its
list. Left out, as they need more than the API: ``4.write.app.metrics.js``' "Validate calculated from
granural data" cases (master's ``/o/aggregate`` over drill data).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from contract_tests.countly_upstream import (
    APP_ID,
    DEVICE_ID,
    DRILL_WAIT,
    LIMITS,
    SCALE,
    Case,
    Ctx,
    body,
    countries,
    dashboard,
    events,
    every_key_empty,
    get,
    metrics,
    no_countries,
    numbered,
    o,
    refused,
    reset_app,
    result_is,
    run,
    session_data,
    text_is,
    total_users,
    write,
)
from contract_tests.test_countly_support import API_KEY, APP_KEY, READONLY_KEY
from sdk import AdminClient, NotFound

# -- test/2.api/01.empty.api.js (a7da76e) ------------------------------------------------------------
EMPTY_API = [
    refused("Writing /i / should bad request", "/i", 400, 'Missing parameter "app_key" or "device_id"'),
    refused("Reading /o / should bad request", "/o", 400, 'Missing parameter "app_id"'),
]

# -- test/2.api/10.fail.read.app.data.js (2c93474) ---------------------------------------------------
FAIL_READ = [
    refused("without api key / should bad request", "/o", 400, 'Missing parameter "api_key" or "auth_token"',
            method="locations", app_id=APP_ID),
    refused("without app id / should bad request", "/o", 400, 'Missing parameter "app_id"', api_key=API_KEY),
    refused("without method / should bad request", "/o", 400, "Invalid method", api_key=API_KEY, app_id=APP_ID),
    refused("incorrect api key / should not authorize", "/o", 401, "User does not exist",
            api_key="1234567890", app_id="123456789012345678901234", method="locations"),
    refused("incorrect app id / should not authorize", "/o", 401, "App does not exist",
            api_key=API_KEY, app_id="123456789012345678901234", method="locations"),
    refused("no permission for app / should not authorize", "/o", 401, "User does not have right",
            api_key=READONLY_KEY, app_id=APP_ID, method="locations"),
]


def _get_events_is(name: str, expected: dict[str, object]) -> Case:
    return Case(name, lambda ctx: _assert_eq(body(o(ctx, "get_events")), expected))


def _events_empty(name: str) -> Case:
    return Case(name, lambda ctx: _assert_eq(body(o(ctx, "events")), {}))


def _assert_eq(got: object, want: object) -> None:
    assert got == want, got


EMPTY_READS = ["sessions", "users", "devices", "device_details", "carriers", "app_versions", "cities"]

# -- test/2.api/12.read.empty.app.data.js (b7e1101) --------------------------------------------------
READ_EMPTY = [
    every_key_empty("Empty locations / should display locations", "locations"),
    *[every_key_empty(f"Empty {m} / should display {m}", m) for m in EMPTY_READS],
    _events_empty("Empty events / should display events"),
    _get_events_is("Empty get_events / should display get_events", {"limits": LIMITS}),
]

# -- test/3.api.write/1.fail.write.app.js (2789468) --------------------------------------------------
MISSING = 'Missing parameter "app_key" or "device_id"'
FAIL_WRITE = [
    refused("without params / should bad request", "/i", 400, MISSING),
    refused("without app_key / should bad request", "/i", 400, MISSING, device_id=DEVICE_ID),
    refused("without device_id / should bad request", "/i", 400, MISSING, app_key=APP_KEY),
]

# -- test/3.api.write/2.write.app.sessions.js (1d6504b) ----------------------------------------------
DRILL = DRILL_WAIT * SCALE


def _session_checks(title: str, correct: dict[str, object] | None, users: int | None,
                    board: dict[str, object], country: dict[str, int] | None) -> list[Case]:
    """The six reads upstream makes after each write of this file."""
    if correct is None:
        reads = [text_is(f"{title} / Verify sessions / should be empty", "sessions", "{}"),
                 text_is(f"{title} / verify users / should be empty", "users", "{}"),
                 text_is(f"{title} / verify locations / should be empty", "locations", "{}"),
                 text_is(f"{title} / verify total_users / should be empty", "total_users", "[]", metric="users")]
    else:
        reads = [session_data(f"{title} / Verify sessions", "sessions", correct),
                 session_data(f"{title} / verify users", "users", correct),
                 session_data(f"{title} / verify locations", "locations", correct),
                 total_users(f"{title} / verify total_users", users or 0)]
    reads.append(dashboard(f"{title} / verify dashboard", **board, platforms=[], resolutions=[],  # type: ignore[arg-type]
                           carriers=[]))
    reads.append(no_countries(f"{title} / verify countries") if country is None else
                 countries(f"{title} / verify countries", "Unknown", "unknown", **country))
    return reads


def _board(t: int, u: int, n: int, total: str, avg: str, requests: str) -> dict[str, object]:
    return {"total_sessions": t, "total_users": u, "new_users": n, "total_time": total, "avg_time": avg,
            "avg_requests": requests}


def _sessions(f: dict[str, int], ds: dict[str, int] | None, d_ranges: list[str] | None, u: int, n: int, t: int,
              e: int, d: int | None = None) -> dict[str, object]:
    meta: dict[str, object] = {"countries": ["Unknown"], "f-ranges": sorted(f)}
    correct: dict[str, object] = {"f": f, "u": u, "n": n, "t": t, "e": e, "Unknown": True}
    if ds is not None:
        meta["d-ranges"] = d_ranges
        correct["ds"] = ds
    if d is not None:
        correct["d"] = d
    correct["meta"] = meta
    return correct


F1 = {"0": 1, "1": 1}
F2 = {"0": 2, "1": 1}
DS1 = {"0": 1}
DS2 = {"0": 1, "1": 1}
SESSIONS = [
    # A plain request before any session: nothing visible until the device's first session.
    write("without session start / GET request / should success", DRILL, device_id=DEVICE_ID),
    *_session_checks("without session start", None, None, _board(0, 0, 0, "0.0 min", "0.0 min", "0.0"), None),
    write("start session / GET request / should success", DRILL, device_id=DEVICE_ID, begin_session=1),
    *_session_checks("start session", _sessions({"0": 1}, None, None, 1, 1, 1, 2), 1,
                     _board(1, 1, 1, "0.0 min", "0.0 min", "2.0"), {"t": 1, "u": 1, "n": 1}),
    # A second begin without an end: the first session gets its duration range, f gets bucket 1 everywhere.
    write("new session without closing previous / GET request / should success", DRILL,
          device_id=DEVICE_ID, begin_session=1),
    *_session_checks("new session without closing previous", _sessions(F1, DS1, ["0"], 1, 1, 2, 3), 1,
                     _board(2, 1, 1, "0.0 min", "0.0 min", "3.0"), {"t": 2, "u": 1, "n": 1}),
    write("new user / GET request / should success", DRILL, device_id=DEVICE_ID + DEVICE_ID, begin_session=1),
    *_session_checks("new user", _sessions(F2, DS1, ["0"], 2, 2, 3, 4), 2,
                     _board(3, 2, 2, "0.0 min", "0.0 min", "2.0"), {"t": 3, "u": 2, "n": 2}),
    write("session duration / GET request / should success", DRILL, device_id=DEVICE_ID, session_duration=30),
    *_session_checks("session duration", _sessions(F2, DS1, ["0"], 2, 2, 3, 5, 30), 2,
                     _board(3, 2, 2, "0.5 min", "0.2 min", "2.5"), {"t": 3, "u": 2, "n": 2}),
    write("session end / GET request / should success", 2 * DRILL, device_id=DEVICE_ID, end_session=1),
    *_session_checks("session end", _sessions(F2, DS2, ["0", "1"], 2, 2, 3, 6, 30), 2,
                     _board(3, 2, 2, "0.5 min", "0.2 min", "3.0"), {"t": 3, "u": 2, "n": 2}),
    write("session duration without start / GET request / should success", 2 * DRILL,
          device_id=DEVICE_ID, session_duration=30),
    *_session_checks("session duration without start", _sessions(F2, DS2, ["0", "1"], 2, 2, 3, 7, 60), 2,
                     _board(3, 2, 2, "1.0 min", "0.3 min", "3.5"), {"t": 3, "u": 2, "n": 2}),
    # An end from a device that never began: nothing changes.
    write("ending session without start / GET request / should success", 2 * DRILL,
          device_id=DEVICE_ID + "A", end_session=1),
    *_session_checks("ending session without start", _sessions(F2, DS2, ["0", "1"], 2, 2, 3, 7, 60), 2,
                     _board(3, 2, 2, "1.0 min", "0.3 min", "3.5"), {"t": 3, "u": 2, "n": 2}),
]

# -- test/3.api.write/3.reset.app.js (3b7c65f) -------------------------------------------------------
RESET = [
    refused("Reseting app / without args / should bad request", "/i/apps/reset", 400,
            "Error: Missing 'args' parameter", api_key=API_KEY),
    refused("Reseting app / without permission / should not authorized", "/i/apps/reset", 401,
            "User does not have right", api_key=READONLY_KEY, args={"app_id": APP_ID, "period": "reset"}),
    reset_app("Reseting app / reseting app / should reset data", period="reset"),
    *[every_key_empty(f"Checking if app data reset / Empty {m} / should display {m}", m)
      for m in ["locations", *EMPTY_READS]],
    _events_empty("Checking if app data reset / Empty events / should display events"),
    _get_events_is("Checking if app data reset / Empty get_events / should display get_events", {"limits": LIMITS}),
]

# -- test/3.api.write/4.write.app.metrics.js (04c2a35, the version where a missing carrier is Unknown) --
M_WAIT = 1000 * SCALE


def _m(n: int) -> dict[str, int]:
    return {"n": n, "t": n, "u": n}


def _bar(name: str, value: int, percent: float) -> dict[str, object]:
    return {"name": name, "value": value, "percent": percent}


def _mboard(name: str, users: int, platforms: list[object], resolutions: list[object],
            carriers: list[object]) -> Case:
    return dashboard(name, users, users, users, "0.0 min", "0.0 min", None, platforms, resolutions, carriers)


DETAILS_1 = {"meta": {"os": ["Android"], "os_versions": ["a4:4"]}, "Android": _m(2), "a4:4": _m(1)}
DETAILS_ALL_META = {"os": ["Android", "IOS"], "os_versions": ["a4:4", "i7:1"],
                    "resolutions": ["1200x800", "2048x1536"], "app_versions": ["1:0", "1:2"]}
METRICS = [
    every_key_empty("Checking if metrics empty / Empty devices / should have no devices", "devices"),
    every_key_empty("Checking if metrics empty / Empty device_details / should have no device_details",
                    "device_details"),
    every_key_empty("Checking if metrics empty / Empty carriers / should have no carriers", "carriers"),
    every_key_empty("Checking if metrics empty / Empty app_versions / should have no app_versions", "app_versions"),
    write("testing OS metric / GET request / should success", M_WAIT + 2000, device_id=DEVICE_ID + "1",
          begin_session=1, metrics={"_os": "Android"}),
    metrics("testing OS metric / Verify device_details / should have Android OS", "device_details",
            {"meta": {"os": ["Android"]}, "Android": _m(1)}),
    _mboard("testing OS metric / verify dashboard / should sessions, users, os", 1, [_bar("Android", 1, 100)], [],
            [_bar("Unknown", 1, 100)]),
    write("testing OS version metric / GET request / should success", M_WAIT, device_id=DEVICE_ID + "2",
          begin_session=1, metrics={"_os": "Android", "_os_version": "4.4"}),
    metrics("testing OS version metric / Verify device_details / should have os and version", "device_details",
            DETAILS_1),
    write("testing resolution metric / GET request / should success", M_WAIT, device_id=DEVICE_ID + "4",
          begin_session=1, metrics={"_resolution": "1200x800"}),
    metrics("testing resolution metric / Verify device_details / should have os, version, density and resolution",
            "device_details", {"meta": {**DETAILS_1["meta"], "resolutions": ["1200x800"]},  # type: ignore[dict-item]
                               "Android": _m(2), "a4:4": _m(1), "1200x800": _m(1)}),
    _mboard("testing resolution metric / verify dashboard / should have sessions, users, or and resolutions", 3,
            [_bar("Android", 2, 100)], [_bar("1200x800", 1, 100)], [_bar("Unknown", 3, 100)]),
    write("testing device metric / GET request / should success", M_WAIT, device_id=DEVICE_ID + "6",
          begin_session=1, metrics={"_device": "Nexus 5"}),
    metrics("testing device metric / Verify devices / should have Nexus 5", "devices",
            {"meta": {"devices": ["Nexus 5"]}, "Nexus 5": _m(1)}),
    # A begin without metrics at all: its carrier is Unknown too.
    write("testing carrier metric / GET request / sending another session", M_WAIT, device_id=DEVICE_ID + "test",
          begin_session=1),
    write("testing carrier metric / GET request / should success", M_WAIT, device_id=DEVICE_ID,
          begin_session=1, metrics={"_carrier": "Vodafone"}),
    metrics("testing carrier metric / Verify carriers / should have Vodafone", "carriers",
            {"meta": {"carriers": ["Unknown", "Vodafone"]}, "Vodafone": _m(1), "Unknown": _m(5)}),
    _mboard("testing carrier metric / verify dashboard / should have sessions, users, os, resolutions and carriers",
            6, [_bar("Android", 2, 100)], [_bar("1200x800", 1, 100)],
            [_bar("Unknown", 5, 83.3), _bar("Vodafone", 1, 16.7)]),
    write("testing app_version metric / GET request / should success", M_WAIT, device_id=DEVICE_ID + "8",
          begin_session=1, metrics={"_app_version": "1.0"}),
    metrics("testing app_version metric / Verify app_versions / should have app version 1.0", "app_versions",
            {"meta": {"os": ["Android"], "os_versions": ["a4:4"], "resolutions": ["1200x800"],
                      "app_versions": ["1:0"]},
             "Android": _m(2), "a4:4": _m(1), "1200x800": _m(1), "1:0": _m(1)}),
    write("testing with all metrics / GET request / should success", M_WAIT, device_id=DEVICE_ID + "9",
          begin_session=1, metrics={"_os": "IOS", "_os_version": "7.1", "_resolution": "2048x1536",
                                    "_device": "iPod", "_carrier": "Telecom", "_app_version": "1.2"}),
    metrics("testing with all metrics / Verify device_details / should should have new metrics", "device_details",
            {"meta": DETAILS_ALL_META, "Android": _m(2), "a4:4": _m(1), "1200x800": _m(1), "1:0": _m(1),
             "IOS": _m(1), "i7:1": _m(1), "2048x1536": _m(1), "1:2": _m(1)}),
    metrics("testing with all metrics / Verify devices / should have iPod", "devices",
            {"meta": {"devices": ["Nexus 5", "iPod"]}, "Nexus 5": _m(1), "iPod": _m(1)}),
    metrics("testing with all metrics / Verify carriers / should have Telecom", "carriers",
            {"meta": {"carriers": ["Vodafone", "Unknown", "Telecom"]}, "Vodafone": _m(1), "Telecom": _m(1),
             "Unknown": _m(6)}),
    metrics("testing with all metrics / Verify app_versions / should have app version 1.2", "app_versions",
            {"meta": DETAILS_ALL_META, "Android": _m(2), "a4:4": _m(1), "1200x800": _m(1), "1:0": _m(1),
             "IOS": _m(1), "i7:1": _m(1), "2048x1536": _m(1), "1:2": _m(1)}),
    # Telecom and Vodafone tie at 1: by name.
    _mboard("testing with all metrics / verify dashboard / should have percentage split between os, resolutions "
            "and carriers", 8, [_bar("Android", 2, 66.7), _bar("IOS", 1, 33.3)],
            [_bar("1200x800", 1, 50), _bar("2048x1536", 1, 50)],
            [_bar("Unknown", 6, 75), _bar("Telecom", 1, 12.5), _bar("Vodafone", 1, 12.5)]),
    write("same metrics new user / GET request / should success", M_WAIT, device_id=DEVICE_ID + "10",
          begin_session=1, metrics={"_os": "IOS", "_os_version": "7.1", "_resolution": "2048x1536",
                                    "_device": "iPod", "_carrier": "Telecom", "_app_version": "1.2"}),
    metrics("same metrics new user / Verify device_details / should have additional user for new metrics",
            "device_details", {"meta": DETAILS_ALL_META, "Android": _m(2), "a4:4": _m(1), "1200x800": _m(1),
                               "1:0": _m(1), "IOS": _m(2), "i7:1": _m(2), "2048x1536": _m(2), "1:2": _m(2)}),
    metrics("same metrics new user / Verify devices / should have additional user for iPod", "devices",
            {"meta": {"devices": ["Nexus 5", "iPod"]}, "Nexus 5": _m(1), "iPod": _m(2)}),
    metrics("same metrics new user / Verify carriers / should have new user for Telecom", "carriers",
            {"meta": {"carriers": ["Vodafone", "Unknown", "Telecom"]}, "Telecom": _m(2), "Unknown": _m(6),
             "Vodafone": _m(1)}),
    metrics("same metrics new user / Verify app_versions / should should have new user for app version 1.2",
            "app_versions", {"meta": DETAILS_ALL_META, "Android": _m(2), "a4:4": _m(1), "1200x800": _m(1),
                             "1:0": _m(1), "IOS": _m(2), "i7:1": _m(2), "2048x1536": _m(2), "1:2": _m(2)}),
    _mboard("same metrics new user / verify dashboard / should have percentage split for platforms, resolutions "
            "and carriers", 9, [_bar("Android", 2, 50), _bar("IOS", 2, 50)],
            [_bar("2048x1536", 2, 66.7), _bar("1200x800", 1, 33.3)],
            [_bar("Unknown", 6, 66.7), _bar("Telecom", 2, 22.2), _bar("Vodafone", 1, 11.1)]),
    reset_app("reset app / reseting data / should reset data", period="reset"),
]

# -- test/3.api.write/5.write.app.events.js (15f4aa7) ------------------------------------------------
E_WAIT = 1000 * SCALE


def _event_write(name: str, device: str, params: list[dict[str, object]],
                 counted: tuple[str, int, float, float] | None = None) -> Case:
    """A write of ``events``; ``counted``: what upstream adds to ``totalEventCounts`` (key, count, sum, dur)."""
    plain = write(name, E_WAIT, device_id=device, events=params)

    def step(ctx: Ctx) -> None:
        plain.run(ctx)
        if counted:
            key, *values = counted
            total = ctx.totals.setdefault(key, {"c": 0, "s": 0, "dur": 0})
            for field, value in zip(("c", "s", "dur"), values, strict=True):
                total[field] += value
    return Case(name, step)


def _check_total_counts(name: str) -> Case:
    """Upstream's ``checkTotalCounts``: ``/o/analytics/events`` lists every counted event's c, s and dur."""
    def step(ctx: Ctx) -> None:
        ob = body(get(ctx, "/o/analytics/events", api_key=API_KEY, app_id=APP_ID))
        mapped = {row["_id"]: row for row in ob["all"]}
        for key, total in ctx.totals.items():
            assert key in mapped and all(mapped[key][f] == total[f] for f in ("c", "s", "dur")), (mapped, total)
    return Case(name, step)


def _get_events_list(name: str, events_list: list[str], segments: dict[str, list[str]] | None,
                     limits: bool = False) -> Case:
    def step(ctx: Ctx) -> None:
        ob = body(o(ctx, "get_events"))
        assert ob != {}
        assert sorted(ob.get("list", [])) == events_list, ob
        if segments is None:
            assert "segments" not in ob, ob
        else:
            assert {k: sorted(v) for k, v in ob.get("segments", {}).items()} == segments, ob
        if limits:
            assert ob.get("limits") == LIMITS, ob
    return Case(name, step)


def _event_reads(title: str, event: str, meta: dict[str, list[str]] | None, total: dict[str, float],
                 segments: dict[str, dict[str, dict[str, float]]]) -> list[Case]:
    """The reads upstream makes of one event: plain, each segmentation, then the same with refresh."""
    with_meta = {**({"meta": meta} if meta else {})}
    cases = [events(f"{title} / verify specific event", {**with_meta, **total}, event=event)]
    cases += [events(f"{title} / verify specific event with segment {seg}", {**with_meta, **values},
                     event=event, segmentation=seg) for seg, values in segments.items()]
    cases.append(events(f"{title} / verify daily refresh event", {**with_meta, **total}, True, event=event))
    cases += [events(f"{title} / verify daily refresh event with segment {seg}", {**with_meta, **values}, True,
                     event=event, segmentation=seg) for seg, values in segments.items()]
    return cases


ALL_EVENTS = ["test", "test1", "test2"]
SEG_1 = {"version": ["1:0"], "country": ["Turkey"], "segments": ["country", "version"]}
SEG_2 = {"version": ["1:0"], "country": ["Turkey"], "market": ["amazon"], "segments": ["country", "market", "version"]}
SEG_3 = {"version": ["1:0", "1:2"], "country": ["Latvia", "Turkey"], "market": ["amazon", "googleplay"],
         "segments": ["country", "market", "version"]}
SEG_T2 = {"country": ["Latvia"], "market": ["googleplay"], "segments": ["country", "market"]}
TEST1_SEGMENTS = {"test1": ["country", "market", "version"]}
BOTH_SEGMENTS = {**TEST1_SEGMENTS, "test2": ["country", "market"]}
TEST1_FINAL = {"country": {"Turkey": {"c": 3}, "Latvia": {"c": 2, "s": 1.5}},
               "version": {"1:0": {"c": 3}, "1:2": {"c": 2, "s": 1.5}},
               "market": {"amazon": {"c": 2}, "googleplay": {"c": 2, "s": 1.5}}}


def _merged(name: str, keys: list[str], correct: dict[str, float]) -> Case:
    return events(name, correct, events=keys)


EVENTS = [
    _event_write("Empty events / no events / should success", DEVICE_ID, []),
    _event_write("Empty events / event without key / should success", DEVICE_ID, [{"count": 1}]),
    _event_write("Empty events / event without count / should success", DEVICE_ID, [{"key": "test"}],
                 counted=("test", 1, 0, 0)),
    events("Empty events / Empty events / should have 1 event", {"c": 1}),
    _get_events_list("Empty events / Empty get_events / should have event data", ["test"], None, limits=True),
    _check_total_counts("Empty events / Check event count / Should have correctly counted event count"),
    _event_write("Event with key and 1 count / creating event / should success", DEVICE_ID,
                 [{"key": "test", "count": 1}], counted=("test", 1, 0, 0)),
    events("Event with key and 1 count / verify events without params / should have 2 event", {"c": 2}),
    events("Event with key and 1 count / verify specific event / should have 2 event", {"c": 2}, event="test"),
    events("Event with key and 1 count / verify daily refresh event / should have 2 event", {"c": 2}, True,
           event="test"),
    _merged("Event with key and 1 count / verify merged event / should have 2 event", ["test"], {"c": 2}),
    _get_events_list("Event with key and 1 count / verify get_events / should have test event", ["test"], None),
    _check_total_counts("Event with key and 1 count / Check event count / Should have correctly counted event count"),
    _event_write("Same event with key and 2 count / creating event / should success", DEVICE_ID,
                 [{"key": "test", "count": 2}], counted=("test", 2, 0, 0)),
    events("Same event with key and 2 count / verify events without params / should have 4 test events", {"c": 4}),
    events("Same event with key and 2 count / verify specific event / should have 4 test events", {"c": 4},
           event="test"),
    events("Same event with key and 2 count / verify daily refresh event / should have 4 test events", {"c": 4},
           True, event="test"),
    _merged("Same event with key and 2 count / verify merged event / should have 4 test events", ["test"], {"c": 4}),
    _get_events_list("Same event with key and 2 count / verify get_events / should have test event", ["test"], None),
    _check_total_counts("Same event with key and 2 count / Check event count / "
                        "Should have correctly counted event count"),
    _event_write("Another event with key and 1 count / creating event / should success", DEVICE_ID,
                 [{"key": "test1", "count": 1}]),
    events("Another event with key and 1 count / verify events without params / should 1 test1 and 4 test events",
           {"c": 4}),
    events("Another event with key and 1 count / verify specific event / should 1 test event", {"c": 1},
           event="test1"),
    events("Another event with key and 1 count / verify daily refresh event / should 1 test event", {"c": 1}, True,
           event="test1"),
    _merged("Another event with key and 1 count / verify merged event / should 4 total events", ["test", "test1"],
            {"c": 5}),
    _get_events_list("Another event with key and 1 count / verify get_events / should test and test1",
                     ["test", "test1"], None),
    _event_write("Passing two events / creating event / should success", DEVICE_ID,
                 [{"key": "test1", "count": 3}, {"key": "test2", "count": 2}]),
    events("Passing two events / verify first event / should have 4 events", {"c": 4}, event="test1"),
    events("Passing two events / verify first daily refresh event / should have 4 events", {"c": 4}, True,
           event="test1"),
    events("Passing two events / verify second event / should have 2 events", {"c": 2}, event="test2"),
    events("Passing two events / verify second daily refresh event / should have 2 events", {"c": 2}, True,
           event="test2"),
    _merged("Passing two events / verify merged two events / should have 6 events", ["test1", "test2"], {"c": 6}),
    _merged("Passing two events / verify merged all events / should have 10 events", ALL_EVENTS, {"c": 10}),
    _get_events_list("Passing two events / verify get_events / should test, test1 and test2", ALL_EVENTS, None),
    _event_write("Event with sum / creating event / should success", DEVICE_ID,
                 [{"key": "test1", "count": 1, "sum": 2.97}]),
    events("Event with sum / verify specific event / should have 5 events and 2.97 sum", {"c": 5, "s": 2.97},
           event="test1"),
    events("Event with sum / verify daily refresh event / should have 5 events and 2.97 sum", {"c": 5, "s": 2.97},
           True, event="test1"),
    _merged("Event with sum / verify merged event / should have 11 events and 2.97 sum", ALL_EVENTS,
            {"c": 11, "s": 2.97}),
    _get_events_list("Event with sum / verify get_events / should test, test1 and test2", ALL_EVENTS, None),
    _event_write("Event with more sum / creating event / should success", DEVICE_ID,
                 [{"key": "test1", "count": 1, "sum": 1.03}]),
    events("Event with more sum / verify specific event / should have 6 events and 4 sum", {"c": 6, "s": 4},
           event="test1"),
    events("Event with more sum / verify daily refresh event / should have 6 events and 4 sum", {"c": 6, "s": 4},
           True, event="test1"),
    _merged("Event with more sum / verify merged event / should have 12 events and 4 sum", ALL_EVENTS,
            {"c": 12, "s": 4}),
    _get_events_list("Event with more sum / verify get_events / should test, test1, test2", ALL_EVENTS, None),
    _event_write("Event with segmentation / creating event / should success", DEVICE_ID,
                 [{"key": "test1", "count": 1, "segmentation": {"version": "1.0", "country": "Turkey"}}]),
    *_event_reads("Event with segmentation", "test1", SEG_1, {"c": 7, "s": 4},
                  {"country": {"Turkey": {"c": 1}}, "version": {"1:0": {"c": 1}}}),
    _merged("Event with segmentation / verify merged event / should 13 events and 4 sum", ALL_EVENTS,
            {"c": 13, "s": 4}),
    _get_events_list("Event with segmentation / verify get_events / should have test, test1, test2 and test1 have "
                     "version, country segments", ALL_EVENTS, {"test1": ["country", "version"]}),
    _event_write("Adding segmentation count and new segment / creating event / should success", DEVICE_ID,
                 [{"key": "test1", "count": 2,
                   "segmentation": {"version": "1.0", "country": "Turkey", "market": "amazon"}}]),
    *_event_reads("Adding segmentation count and new segment", "test1", SEG_2, {"c": 9, "s": 4},
                  {"country": {"Turkey": {"c": 3}}, "version": {"1:0": {"c": 3}}, "market": {"amazon": {"c": 2}}}),
    _merged("Adding segmentation count and new segment / verify merged event / should have 15 events and 4 sum",
            ALL_EVENTS, {"c": 15, "s": 4}),
    _get_events_list("Adding segmentation count and new segment / verify get_events / should test, test1, test2 "
                     "and version, country, market segments for test1", ALL_EVENTS, TEST1_SEGMENTS),
    _event_write("Adding new segmentation values and sum / creating event / should success", DEVICE_ID,
                 [{"key": "test1", "count": 2, "sum": 1.50,
                   "segmentation": {"version": "1.2", "country": "Latvia", "market": "googleplay"}}]),
    *_event_reads("Adding new segmentation values and sum", "test1", SEG_3, {"c": 11, "s": 5.5}, TEST1_FINAL),
    _merged("Adding new segmentation values and sum / verify merged event / should 17 events and 5.5 sum",
            ALL_EVENTS, {"c": 17, "s": 5.5}),
    _get_events_list("Adding new segmentation values and sum / verify get_events / should test, test1, test2 and "
                     "version, country, market segments for test1", ALL_EVENTS, TEST1_SEGMENTS),
    _event_write("Adding segmentation for other event / creating event / should success", DEVICE_ID,
                 [{"key": "test2", "count": 2, "sum": 1.50,
                   "segmentation": {"country": "Latvia", "market": "googleplay"}}]),
    *_event_reads("Adding segmentation for other event", "test2", SEG_T2, {"c": 4, "s": 1.5},
                  {"country": {"Latvia": {"c": 2, "s": 1.5}}, "market": {"googleplay": {"c": 2, "s": 1.5}}}),
    _merged("Adding segmentation for other event / verify merged event / should 19 events and 5.5 sum",
            ALL_EVENTS, {"c": 19, "s": 7}),
    _get_events_list("Adding segmentation for other event / verify get_events / should test, test1, test2 and "
                     "version, country, market segments for test1", ALL_EVENTS, BOTH_SEGMENTS),
    _event_write("Adding event for other user / creating event / should success", DEVICE_ID + "A",
                 [{"key": "test2", "count": 2, "sum": 1.50,
                   "segmentation": {"country": "Latvia", "market": "googleplay"}}]),
    *_event_reads("Adding event for other user", "test2", SEG_T2, {"c": 6, "s": 3},
                  {"country": {"Latvia": {"c": 4, "s": 3}}, "market": {"googleplay": {"c": 4, "s": 3}}}),
    _merged("Adding event for other user / verify merged event / should have add count and sum", ALL_EVENTS,
            {"c": 21, "s": 8.5}),
    _get_events_list("Adding event for other user / verify get_events / should test, test1, test2 and version, "
                     "country, market segments for test1", ALL_EVENTS, BOTH_SEGMENTS),
    *_event_reads("Verifying other event is unchanged", "test1", SEG_3, {"c": 11, "s": 5.5}, TEST1_FINAL),
    _event_write("Verifying array values are skipped / creating event / should success", DEVICE_ID + "A",
                 [{"key": "testArray", "count": 1, "sum": 5,
                   "segmentation": {"arrayValues": ["Ping", "Pong"], "test": "bat"}}]),
    events("Verifying array values are skipped / verify specific event / should have add count and sum",
           {"meta": {"test": ["bat"], "segments": ["test"]}, "c": 1, "s": 5}, event="testArray"),
    _event_write("Verifying dealing with unicode values / creating event / should success", DEVICE_ID + "A",
                 [{"key": "testUnicodeSegment", "count": 1, "sum": 5,
                   "segmentation": {"unicodeSegment": "\u00e7\u0000\u0067A"}}]),
    events("Verifying dealing with unicode values / verify specific event / should have add count and sum",
           {"meta": {"unicodeSegment": ["\u00e7&amp;#9647\u0067A"], "segments": ["unicodeSegment"]}, "c": 1, "s": 5},
           event="testUnicodeSegment"),
    reset_app("reset app / reseting data / should reset data", 100 * SCALE, period="reset"),
]

# -- test/3.api.write/6.bulk.write.js (b5d496f) ------------------------------------------------------
B_WAIT = 500 * SCALE


def _bulk_sessions(ctx: Ctx) -> None:
    at = int(ctx.now)
    requests = [
        {"device_id": DEVICE_ID, "app_key": APP_KEY, "timestamp": at - 60 * 6},
        {"device_id": DEVICE_ID, "app_key": APP_KEY, "begin_session": 1, "timestamp": at - 60 * 5},
        {"device_id": DEVICE_ID, "app_key": APP_KEY, "begin_session": 1, "timestamp": at - 60 * 4},
        {"device_id": DEVICE_ID, "app_key": APP_KEY, "session_duration": 60, "timestamp": at - 3600 * 3},
        {"device_id": DEVICE_ID, "app_key": APP_KEY, "end_session": 1, "timestamp": at - 3600 * 2},
        {"device_id": DEVICE_ID + "new", "app_key": APP_KEY, "begin_session": 1, "timestamp": at - 3600},
    ]
    result_is(get(ctx, "/i/bulk", requests=requests), 200, "Success")
    ctx.wait(DRILL_WAIT * 3 * SCALE)


def _bulk(name: str, requests: list[dict[str, object]]) -> Case:
    return write(name, B_WAIT, "/i/bulk", requests=[{"app_key": APP_KEY, **r} for r in requests])


ALL_METRICS = {"_os": "IOS", "_os_version": "7.1", "_resolution": "2048x1536", "_device": "iPod",
               "_carrier": "Telecom", "_app_version": "1.2"}
BULK_DETAILS = {"meta": {"os": ["Android", "IOS"], "os_versions": ["4:4", "a4:4", "i7:1"],
                         "resolutions": ["1200x800", "2048x1536"], "app_versions": ["1:0", "1:2"]},
                "Android": _m(2), "a4:4": _m(1), "4:4": _m(1), "1200x800": _m(1), "1:0": _m(1), "IOS": _m(2),
                "i7:1": _m(2), "2048x1536": _m(2), "1:2": _m(2)}
BULK_SESSIONS = _sessions(F2, {"0": 1, "2": 1}, ["0", "2"], 2, 2, 3, 6, 60)
BULK = [
    refused("without args / should bad request", "/i/bulk", 400, 'Missing parameter "requests"'),
    Case("using session tests / should success", _bulk_sessions),
    session_data("Verify bulk session write / Verify sessions / should match sessions tests end result", "sessions",
                 BULK_SESSIONS),
    session_data("Verify bulk session write / verify users / should match sessions tests end result", "users",
                 BULK_SESSIONS),
    session_data("Verify bulk session write / verify locations / should match sessions tests end result",
                 "locations", BULK_SESSIONS),
    dashboard("Verify bulk session write / verify dashboard / should match sessions tests end result",
              **_board(3, 2, 2, "1.0 min", "0.3 min", "3.0"), platforms=[], resolutions=[],  # type: ignore[arg-type]
              carriers=[]),
    countries("Verify bulk session write / verify countries / should match sessions tests end result",
              "Unknown", "unknown", t=3, u=2, n=2),
    reset_app("Verify bulk session write / reseting data / should reset data", period="reset"),
    _bulk("using metric tests / should success", [
        {"device_id": DEVICE_ID + "1", "begin_session": 1, "metrics": {"_os": "Android"}},
        {"device_id": DEVICE_ID + "2", "begin_session": 1, "metrics": {"_os_version": "4.4"}},
        {"device_id": DEVICE_ID + "4", "begin_session": 1, "metrics": {"_resolution": "1200x800"}},
        {"device_id": DEVICE_ID + "5", "begin_session": 1, "metrics": {"_os": "Android", "_os_version": "4.4"}},
        {"device_id": DEVICE_ID + "6", "begin_session": 1, "metrics": {"_device": "Nexus 5"}},
        {"device_id": DEVICE_ID + "7", "begin_session": 1, "metrics": {"_carrier": "Vodafone"}},
        {"device_id": DEVICE_ID + "8", "begin_session": 1, "metrics": {"_app_version": "1.0"}},
        {"device_id": DEVICE_ID + "9", "begin_session": 1, "metrics": ALL_METRICS},
        {"device_id": DEVICE_ID + "10", "begin_session": 1, "metrics": ALL_METRICS},
    ]),
    metrics("verify bulk metrics write / Verify device_details / should match metrics tests end result",
            "device_details", BULK_DETAILS),
    metrics("verify bulk metrics write / Verify devices / should match metrics tests end result", "devices",
            {"meta": {"devices": ["Nexus 5", "iPod"]}, "Nexus 5": _m(1), "iPod": _m(2)}),
    metrics("verify bulk metrics write / Verify carriers / should match metrics tests end result", "carriers",
            {"meta": {"carriers": ["Vodafone", "Telecom"]}, "Vodafone": _m(1), "Telecom": _m(2)}),
    metrics("verify bulk metrics write / Verify app_versions / should match metrics tests end result",
            "app_versions", BULK_DETAILS),
    dashboard("verify bulk metrics write / verify dashboard / should match metrics tests end result", 9, 9, 9,
              "0.0 min", "0.0 min", "1.0", [_bar("Android", 2, 50), _bar("IOS", 2, 50)],
              [_bar("2048x1536", 2, 66.7), _bar("1200x800", 1, 33.3)],
              [_bar("Telecom", 2, 66.7), _bar("Vodafone", 1, 33.3)]),
    reset_app("verify bulk metrics write / reseting data / should reset data", period="reset"),
    _bulk("using event tests / should success", [
        {"device_id": DEVICE_ID, "events": [{"key": "test", "count": 1}]},
        {"device_id": DEVICE_ID, "events": [{"key": "test", "count": 2}]},
        {"device_id": DEVICE_ID, "events": [{"key": "test1", "count": 1}]},
        {"device_id": DEVICE_ID, "events": [{"key": "test1", "count": 3}, {"key": "test2", "count": 2}]},
        {"device_id": DEVICE_ID, "events": [{"key": "test1", "count": 1, "sum": 2.97}]},
        {"device_id": DEVICE_ID, "events": [{"key": "test1", "count": 1, "sum": 1.03}]},
        {"device_id": DEVICE_ID, "events": [{"key": "test1", "count": 1,
                                             "segmentation": {"version": "1.0", "country": "Turkey"}}]},
        {"device_id": DEVICE_ID, "events": [{"key": "test1", "count": 2, "segmentation": {
            "version": "1.0", "country": "Turkey", "market": "amazon"}}]},
        {"device_id": DEVICE_ID, "events": [{"key": "test1", "count": 2, "sum": 1.50, "segmentation": {
            "version": "1.2", "country": "Latvia", "market": "googleplay"}}]},
        {"device_id": DEVICE_ID, "events": [{"key": "test2", "count": 2, "sum": 1.50, "segmentation": {
            "country": "Latvia", "market": "googleplay"}}]},
        {"device_id": DEVICE_ID + "A", "events": [{"key": "test2", "count": 2, "sum": 1.50, "segmentation": {
            "country": "Latvia", "market": "googleplay"}}]},
    ]),
    events("verify bulk events write / verify events without param / should display first event data", {"c": 3}),
    events("verify bulk events write / verify test event / should match event tests test result", {"c": 3},
           event="test"),
    events("verify bulk events write / verify daily refresh test event / should match event tests test daily "
           "result", {"c": 3}, True, event="test"),
    *_event_reads("verify bulk events write / test1", "test1", SEG_3, {"c": 11, "s": 5.5}, TEST1_FINAL),
    *_event_reads("verify bulk events write / test2", "test2", SEG_T2, {"c": 6, "s": 3},
                  {"country": {"Latvia": {"c": 4, "s": 3}}, "market": {"googleplay": {"c": 4, "s": 3}}}),
    _merged("verify bulk events write / verify merged event / should have add count and sum", ALL_EVENTS,
            {"c": 20, "s": 8.5}),
    _get_events_list("verify bulk events write / verify get_events / should test, test1, test2 and version, "
                     "country, market segments for test1", ALL_EVENTS, BOTH_SEGMENTS),
    reset_app("verify bulk events write / reseting data / should reset data", period="reset"),
]

# -- test/3.api.write/7.user.merge.js (b5d496f) -----------------------------------------------------
# Upstream reads the app user from MongoDB; here through /_admin/countly/app_user. Its ``uid`` (Countly's
# internal sequence id) is not reproduced, so that one property of each check is left out.
def _app_user(name: str, device: str, props: dict[str, str] | None) -> Case:
    def step(ctx: Ctx) -> None:
        if props is None:
            with pytest.raises(NotFound):
                ctx.admin.countly.app_user(APP_ID, APP_KEY, device)
            return
        user = ctx.admin.countly.app_user(APP_ID, APP_KEY, device)
        assert {k: user.get(k) for k in ("did", *props)} == {"did": device, **props}, user
    return Case(name, step)


def _merge_scenario(title: str, old: str, new: str, props: dict[str, str], metrics: dict[str, str]) -> list[Case]:
    """A begin of ``old``, then ``new`` logs in with ``old_device_id``: ``old`` is gone, ``new`` has ``props``."""
    return [
        write(f"{title} / Anonymous user session / should success", M_WAIT, device_id=old, begin_session=1,
              metrics=metrics),
        _app_user(f"{title} / Verify user / should have user data", old, props),
        write(f"{title} / User Logs in / should success", M_WAIT, device_id=new, old_device_id=old),
        _app_user(f"{title} / Verify anonymous user / should not exist", old, None),
        _app_user(f"{title} / Verify logged in user / should have user data", new, props),
    ]


def _props(d: str, pv: str, p: str) -> dict[str, str]:
    return {"d": d, "pv": pv, "p": p}


S7 = _props("Samsung S7", "a4:1", "Android")
IPAD = _props("iPad", "i9:1", "iOS")
MERGE = [
    *_merge_scenario("Single user (anonymous and then logged in with merge) single device", DEVICE_ID + "1",
                     DEVICE_ID + "2", S7, {"_os": "Android", "_os_version": "4.1", "_device": "Samsung S7"}),
    # The old user was seen last: its properties win over those the logged-in user already had.
    *_merge_scenario("Single user (anonymous and then logged in with merge) multi device", DEVICE_ID + "3",
                     DEVICE_ID + "2", IPAD, {"_os": "iOS", "_os_version": "9.1", "_device": "iPad"}),
]
# "multi account merge": the first account (old) began before the second (new), which it is merged into.
MERGE += [
    write("Single user (multi account merge) / First account / should success", M_WAIT, device_id=DEVICE_ID + "4",
          begin_session=1, metrics={"_os": "Android", "_os_version": "5.1", "_device": "Sony Xperia"}),
    _app_user("Single user (multi account merge) / Verify user / should have user data", DEVICE_ID + "4",
              _props("Sony Xperia", "a5:1", "Android")),
    write("Single user (multi account merge) / Second account / should success", M_WAIT, device_id=DEVICE_ID + "5",
          begin_session=1, metrics={"_os": "iOS", "_os_version": "8.1", "_device": "iPhone"}),
    _app_user("Single user (multi account merge) / Verify user / should have user data", DEVICE_ID + "5",
              _props("iPhone", "i8:1", "iOS")),
    write("Single user (multi account merge) / Merge accounts / should success", M_WAIT, device_id=DEVICE_ID + "5",
          old_device_id=DEVICE_ID + "4"),
    _app_user("Single user (multi account merge) / Verify anonymous user / should not exist", DEVICE_ID + "4", None),
    _app_user("Single user (multi account merge) / Verify logged in user / should have user data", DEVICE_ID + "5",
              _props("iPhone", "i8:1", "iOS")),
    reset_app("reset app / reseting data / should reset data", 0, period="reset"),
]

# -- test/2.api/11.fail.read.app.data.v2.js (2c93474) ------------------------------------------------
FAIL_ANALYTICS = [
    refused("without api key / should bad request", "/o/analytics/dashboard", 400,
            'Missing parameter "api_key" or "auth_token"', app_id=APP_ID),
    refused("without app id / should bad request", "/o/analytics", 400, 'Missing parameter "app_id"',
            api_key=API_KEY),
    # This version has the switch's older text; the current one (api/routes/analytics.js) lists every path.
    refused("without method / should bad request", "/o/analytics", 400,
            "Invalid path, must be one of /dashboard or /countries", api_key=API_KEY, app_id=APP_ID),
    refused("incorrect api key / should not authorize", "/o/analytics/dashboard", 401, "User does not exist",
            api_key="1234567890", app_id="123456789012345678901234"),
    refused("incorrect app id / should not authorize", "/o/analytics/dashboard", 401, "App does not exist",
            api_key=API_KEY, app_id="123456789012345678901234"),
    refused("no permission for app / should not authorize", "/o/analytics/dashboard", 401,
            "User does not have right", api_key=READONLY_KEY, app_id=APP_ID),
]

# -- test/2.api/12.fail.sdk.appkey.type.js (4e8e37d) -------------------------------------------------
APPKEY_TYPE = [
    # app_key[$regex]=^d: an object, not a string; it must not match the app whose key starts with d.
    Case("non-string app_key on /o/sdk fetch / should not match an app by prefix", lambda ctx: result_is(
        ctx.http.get("/countly/o/sdk", params={"method": "fetch_remote_config", "device_id": "type_probe",
                                                "app_key[$regex]": "^" + APP_KEY[0]}), 400, "App does not exist")),
]


# -- test/2.api/13.read.empty.app.data.v2.js (9306d14) -----------------------------------------------
def _empty_dashboard(ctx: Ctx) -> None:
    ob = body(get(ctx, "/o/analytics/dashboard", api_key=API_KEY, app_id=APP_ID))
    zero = {"change": "NA", "trend": "u"}
    for period in ("30days", "7days", "today"):
        board, top = ob[period]["dashboard"], ob[period]["top"]
        assert board == {"total_sessions": {"total": 0, **zero},
                         "total_users": {"total": 0, **zero, "is_estimate": False},
                         "new_users": {"total": 0, **zero}, "total_time": {"total": "0.0 min", **zero},
                         "avg_time": {"total": "0.0 min", **zero}, "avg_requests": {"total": "0.0", **zero}}, \
            (period, board)
        assert top == {"platforms": [], "resolutions": [], "carriers": [], "users": []} and "period" in ob[period]


READ_EMPTY_ANALYTICS = [
    Case("Empty dashboard / should display dashboard", _empty_dashboard),
    no_countries("Empty countries / should display countries"),
]

FILES: dict[str, list[Case]] = {
    "test/2.api/01.empty.api.js": EMPTY_API,
    "test/2.api/10.fail.read.app.data.js": FAIL_READ,
    "test/2.api/11.fail.read.app.data.v2.js": FAIL_ANALYTICS,
    "test/2.api/12.fail.sdk.appkey.type.js": APPKEY_TYPE,
    "test/2.api/12.read.empty.app.data.js": READ_EMPTY,
    "test/2.api/13.read.empty.app.data.v2.js": READ_EMPTY_ANALYTICS,
    "test/3.api.write/1.fail.write.app.js": FAIL_WRITE,
    "test/3.api.write/2.write.app.sessions.js": SESSIONS,
    "test/3.api.write/3.reset.app.js": RESET,
    "test/3.api.write/4.write.app.metrics.js": METRICS,
    "test/3.api.write/5.write.app.events.js": EVENTS,
    "test/3.api.write/6.bulk.write.js": BULK,
    "test/3.api.write/7.user.merge.js": MERGE,
}
NUMBERED = {path: numbered(cases) for path, cases in FILES.items()}


#: Upstream disagrees with itself on a begin_session without ``_carrier``. The metrics test (04c2a35) counts
#: carrier Unknown for such a begin even without ``metrics`` (its "sending another session"); the sessions test
#: (1d6504b) expects no carrier bar after begins without ``metrics``, and this bulk test none after begins whose
#: ``metrics`` have no ``_carrier``. The server follows the metrics test (issue 9), so these cases cannot pass
#: with it; strict, so they fail the day they pass. (The real server's code, 25.03 usage.js and master's
#: ingestor, calls ``processCarrier`` only when ``metrics`` is sent: the sessions test's reading.)
CARRIER_CONFLICT = {
    "test/3.api.write/2.write.app.sessions.js": ("verify dashboard",),
    "test/3.api.write/6.bulk.write.js": ("session write / verify dashboard", "bulk metrics write / Verify carriers",
                                         "bulk metrics write / verify dashboard"),
}


#: Older upstream files whose expectation a newer one changed; the server follows the newer (strict xfail).
OLDER_TEXT = {
    ("test/2.api/11.fail.read.app.data.v2.js", "without method"):
        "older error text: api/routes/analytics.js now lists every /o/analytics path",
    ("test/2.api/13.read.empty.app.data.v2.js", "Empty dashboard"):
        "older is_estimate: testUtils' validateDashboard (and the sessions test) expect true for 30days and 7days "
        "without users",
}


def _param(path: str, case: Case) -> object:
    conflicts = CARRIER_CONFLICT.get(path, ())
    marks = []
    if any(part in case.name for part in conflicts) and "without session start" not in case.name:
        marks.append(pytest.mark.xfail(strict=True, reason="upstream's tests disagree on carrier Unknown "
                                                           "(CARRIER_CONFLICT)"))
    older = [why for (file, part), why in OLDER_TEXT.items() if file == path and part in case.name]
    if older:
        marks.append(pytest.mark.xfail(strict=True, reason=older[0]))
    return pytest.param(path, case.name, id=f"{path.rsplit('/', 1)[1]}::{case.name}", marks=marks)


@pytest.fixture(scope="module")
def outcomes(base_url: str, ours: bool) -> Iterator[dict[str, dict[str, BaseException | None]]]:
    """Each upstream file run once, in order, the first time one of its cases is asked for."""
    if not ours:
        pytest.skip("needs the reference server's /_admin API (frozen clock, reset)")
    admin = AdminClient(base_url)
    results: dict[str, dict[str, BaseException | None]] = {}
    with httpx.Client(base_url=base_url, timeout=10) as http:
        class Lazy(dict[str, dict[str, BaseException | None]]):
            def __missing__(self, path: str) -> dict[str, BaseException | None]:
                self[path] = run(NUMBERED[path], http, admin)
                return self[path]
        lazy = Lazy()
        yield lazy
        results.update(lazy)
    admin.reset()
    admin.close()


@pytest.mark.parametrize(("path", "name"), [_param(path, case) for path, cases in NUMBERED.items()
                                            for case in cases])
def test_upstream_case(outcomes: dict[str, dict[str, BaseException | None]], path: str, name: str) -> None:
    error = outcomes[path][name]
    if error is not None:
        raise error
