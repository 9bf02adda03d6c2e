"""Countly's server rules driven directly: the front-end maths, periods, timestamps, normalisation, escaping."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mock_server.services.countly import escape
from mock_server.services.countly.clock import moment, parse_period, request_time
from mock_server.services.countly.dashboard import (
    _bars,
    _time_bars,
    percent_change,
    short_number,
    time_string,
    to_fixed,
)
from mock_server.services.countly.writes import Limits, WriteRules, _frequency, clean_value, fix_event_key, js_int

UTC = ZoneInfo("UTC")
NOW = 1710498600  # 2024-03-15 10:30 UTC


@pytest.mark.parametrize(("previous", "current", "expected"), [
    (0, 5, ("NA", "u")), (4, 0, ("\u221e", "d")), (1, 3, ("200%", "u")), (2, 1, ("-50%", "d")),
    (3, 3, ("0%", "u")), (21, 62, ("195.2%", "u")), (1, 101, ("10K%", "u")), (1, 123.5, ("12.3K%", "u")),
    (1, 20001, ("2.0M%", "u")), (3, 4, ("33.3%", "u")),
])
def test_percent_change(previous: float, current: float, expected: tuple[str, str]) -> None:
    assert percent_change(previous, current) == expected


def test_to_fixed_rounds_half_away_from_zero_like_javascript() -> None:
    assert to_fixed(1.75, 1) == "1.8" and to_fixed(0.25, 1) == "0.3" and to_fixed(-0.25, 1) == "-0.3"
    assert to_fixed(1.005, 2) == "1.00"  # the binary value is below the half, as in JavaScript
    assert to_fixed(-0.04, 1) == "0.0"
    assert short_number("100.0") == "100" and short_number("10.5") == "10.5"


@pytest.mark.parametrize(("minutes", "text"), [(0, "0.0 min"), (59.94, "59.9 min"), (90, "1.5 hours"),
                                               (2880, "2.0 days"), (600000, "1.1 years")])
def test_time_string(minutes: float, text: str) -> None:
    assert time_string(minutes) == text


def test_bar_percents_fix_the_rounding_residue() -> None:
    assert _bars({"a": 2, "b": 1}) == [{"name": "a", "value": 2, "percent": 66.7},
                                       {"name": "b", "value": 1, "percent": 33.3}]
    # 3 x 33.3 = 99.9: the residue goes to the first item; percents are over all values, top 3 kept
    assert [b["percent"] for b in _bars({"a": 1, "b": 1, "c": 1})] == [33.4, 33.3, 33.3]
    assert [b["name"] for b in _bars({"a": 1, "b": 5, "c": 3, "d": 2, "e": 0})] == ["b", "c", "d"]
    assert _bars({"a": 0}) == []


def test_time_bars_floor_and_remainder_to_the_last() -> None:
    bars = _time_bars([("1 Mar", 1), ("2 Mar", 1), ("3 Mar", 1), ("4 Mar", 0)])
    assert [b["percent"] for b in bars] == [33, 33, 34]


def test_request_time() -> None:
    assert request_time("1710000000", NOW) == 1710000000
    assert request_time("1710000000123", NOW) == pytest.approx(1710000000.123)
    assert request_time("1710000000.5", NOW) == 1710000000.5
    assert request_time(str(NOW + 999), NOW) == NOW  # future → now
    assert request_time("123", NOW) is None and request_time("abc", NOW) is None and request_time(None, NOW) is None


def test_moment_weeks_and_timezone() -> None:
    m = moment(NOW, UTC)
    assert (m.year, m.month, m.day, m.hour, m.week) == (2024, 3, 15, 10, 11)
    assert moment(NOW, ZoneInfo("America/New_York")).hour == 6
    assert moment(datetime(2024, 1, 7, tzinfo=UTC).timestamp(), UTC).week == 1  # ceil(7/7), not ISO
    assert moment(datetime(2024, 1, 8, tzinfo=UTC).timestamp(), UTC).week == 2


@pytest.mark.parametrize(("raw", "first", "last", "count"), [
    (None, date(2024, 2, 15), date(2024, 3, 15), 30),
    ("7days", date(2024, 3, 9), date(2024, 3, 15), 7),
    ("2weeks", date(2024, 3, 2), date(2024, 3, 15), 14),
    ("hour", date(2024, 3, 15), date(2024, 3, 15), 1),
    ("yesterday", date(2024, 3, 14), date(2024, 3, 14), 1),
    ("day", date(2024, 3, 1), date(2024, 3, 15), 15),
    ("month", date(2024, 1, 1), date(2024, 3, 15), 75),
    ("prevMonth", date(2024, 2, 1), date(2024, 2, 29), 29),
    ("[1709251200, 1709596800]", date(2024, 3, 1), date(2024, 3, 5), 5),
    ('["01-03-2024", "05-03-2024"]', date(2024, 3, 1), date(2024, 3, 5), 5),
    ('{"since": 1710288000000}', date(2024, 3, 13), date(2024, 3, 15), 3),
    ("nonsense", date(2024, 2, 15), date(2024, 3, 15), 30),
])
def test_periods(raw: str | None, first: date, last: date, count: int) -> None:
    period = parse_period(raw, NOW, UTC)
    assert (period.start, period.end, len(period.days)) == (first, last, count)
    assert len(period.previous) == len(period.days) or raw in ("day", "month")


def test_previous_periods() -> None:
    assert parse_period("hour", NOW, UTC).previous == (date(2024, 3, 14),)
    assert parse_period("day", NOW, UTC).previous[0] == date(2024, 2, 1)
    assert parse_period("month", NOW, UTC).previous[0] == date(2023, 1, 1)
    assert parse_period("7days", NOW, UTC).label(datetime(2024, 3, 15, 10, 30)) == "9 Mar - 15 Mar"


def test_metric_normalisation() -> None:
    rules = WriteRules(Limits())
    out = rules._metric_values({"_os": "Android", "_os_version": "4.4", "_app_version": "1", "_carrier": "--",
                                "_locale": "en_US", "_resolution": "$720x1280", "_bogus": "x", "_device": ""})
    # the dropped carrier is absent here; the counted begin_session adds Unknown (test_countly_fidelity)
    assert out == {"_os": "Android", "_os_version": "a4:4", "_app_version": "1:0",
                   "_locale": "en", "_resolution": "720x1280"}
    assert rules._metric_values({"_os_version": "4.4"})["_os_version"] == "4:4"
    assert rules._metric_values({"_os": "Windows Phone", "_os_version": "8"})["_os_version"] == "w8"
    assert "_carrier" not in rules._metric_values({"_carrier": "a1b2c3d4e5f6g7h8"})  # a hash is dropped
    assert "_carrier" not in rules._metric_values({"_carrier": "28601"})  # an MCC/MNC without a table
    assert rules._metric_values({"_os": "Windows 10", "_os_version": "22H2"})["_os_version"] == "mw22H2"
    assert rules._metric_values({"_os": "Plan9", "_os_version": "4"})["_os_version"] == "p4"


@pytest.mark.parametrize(("os", "device", "inferred"), [
    ("iOS", "iPhone15,2", {"_manufacturer": "Apple", "_device_type": "mobile"}),
    ("iOS", "iPad7,1", {"_manufacturer": "Apple", "_device_type": "tablet"}),
    ("watchOS", "Watch6,1", {"_manufacturer": "Apple", "_device_type": "wearable"}),
    ("tvOS", "AppleTV11,1", {"_manufacturer": "Apple", "_device_type": "smarttv"}),
    ("macOS", "iMac21,1", {"_manufacturer": "Apple", "_device_type": "desktop"}),
    ("IOS", "iPhone15,2", {}),  # usage.js compares the OS names exactly
    ("Android", "iPhone-ish", {}),
])
def test_apple_inference(os: str, device: str, inferred: dict[str, str]) -> None:
    out = WriteRules(Limits())._metric_values({"_os": os, "_device": device})
    assert {k: v for k, v in out.items() if k in ("_manufacturer", "_device_type")} == inferred


def test_event_keys_and_values() -> None:
    assert fix_event_key("system.a..b$c") == "abc"
    assert fix_event_key("x" * 128) is None and fix_event_key("") is None
    assert fix_event_key(5) == "5"
    assert clean_value("$1.2") == "1:2" and clean_value(True) == "true" and clean_value(3) == "3"
    assert js_int("12abc") == 12 and js_int("abc") is None and js_int(2.7) == 2 and js_int("-3") == -3


def test_frequency_buckets() -> None:
    assert [_frequency(h) for h in (1, 23.9, 24, 47, 100, 191, 200, 359, 360, 743, 10000)] == \
        ["1", "1", "2", "2", "5", "8", "9", "9", "10", "10", "10"]


def test_escape_from_the_first_dangerous_character() -> None:
    assert escape("plain") == "plain"
    assert escape('a"b') == "a&quot;b"
    assert escape("&amp; then <b>") == "&amp; then &lt;b&gt;"
    assert escape("x&y") == "x&amp;y"


def test_sqlite_store_round_trip(tmp_path: object) -> None:
    from pathlib import Path

    from mock_server import create_app

    db = Path(str(tmp_path)) / "countly.db"
    app = create_app({"store": f"sqlite:///{db}"})
    client = app.test_client()
    assert client.get("/countly/i?app_key=dev-app-key&device_id=d&begin_session=1").status_code == 200
    # a second app on the same file (another worker) sees the aggregate at once
    other = create_app({"store": f"sqlite:///{db}"}).test_client()
    body = other.get("/countly/o?api_key=dev-api-key&app_id=0123456789abcdef01234567&method=total_users").json
    assert body == [{"_id": "users", "u": 1}]
    assert client.get("/countly/i/apps/reset?api_key=dev-api-key&args="
                      '{"app_id":"0123456789abcdef01234567"}').json == {"result": "Success"}
    assert other.get("/countly/o?api_key=dev-api-key&app_id=0123456789abcdef01234567&method=users").json == {}


def test_body_over_the_limit_is_413_in_countly_style() -> None:
    from mock_server import create_app

    client = create_app({"max_body": 200}).test_client()
    response = client.post("/countly/i?callback=cb", data={"app_key": "dev-app-key", "device_id": "d",
                                                           "events": "x" * 500})
    assert response.status_code == 413
    assert response.get_data(as_text=True) == 'cb({"result":"Request body too large"})'


def test_strict_mode_answers_match_the_schemas() -> None:
    import json as _json

    from mock_server import create_app

    client = create_app({"strict": True}).test_client()
    events = [{"key": "k", "count": 2, "sum": 1.5, "segmentation": {"s": "v"}}]
    assert client.get("/countly/i", query_string={
        "app_key": "dev-app-key", "device_id": "d", "begin_session": 1, "session_duration": 5, "end_session": 1,
        "metrics": _json.dumps({"_os": "Android"}), "events": _json.dumps(events)}).status_code == 200
    base = {"api_key": "dev-api-key", "app_id": "0123456789abcdef01234567"}
    for method, extra in (("users", {}), ("device_details", {}), ("carriers", {}), ("events", {"event": "k"}),
                          ("events", {"event": "k", "segmentation": "s"}), ("get_events", {}),
                          ("total_users", {}), ("users", {"action": "refresh"})):
        response = client.get("/countly/o", query_string={**base, "method": method, **extra})
        assert response.status_code == 200, (method, response.get_data(as_text=True))
    for path in ("dashboard", "countries"):
        assert client.get(f"/countly/o/analytics/{path}", query_string=base).status_code == 200


def test_unique_estimate_covers_with_months_weeks_and_days() -> None:
    from mock_server.services.countly.dashboard import UniqueEstimate

    # March 2024 in full (month u 5), then 1-7 April: days 92-98 = w14 in full (u 3), 8 April a day (u 1)
    zeros = {2024: {"d": {"3": {"u": 5}, "4": {"u": 6}, "w14": {"u": 3}, "w15": {"u": 2}, "w10": {"u": 9}}}}
    days = {date(2024, 4, 8): {"u": 1}}
    period = tuple(date(2024, 3, 1) + timedelta(days=i) for i in range(39))
    # exact: 5 + 3 + 1 = 9; coarse: month 5 + w14 3 + w15 2 = 10; the smaller one wins
    assert UniqueEstimate(zeros, days).estimate(period, "u") == 9


@pytest.mark.parametrize(("value", "text"), [
    (1.0, "1"), (1.5, "1.5"), (-2.5, "-2.5"), (0.1 + 0.2, "0.30000000000000004"), (1e20, "100000000000000000000"),
    (1e21, "1e+21"), (1.5e-7, "1.5e-7"), (0.000001, "0.000001"), (2**60, "1152921504606847000"), (float("nan"), "NaN"),
    (["en_US", "UTF-8"], "en_US,UTF-8"), ([1, [2, None], None], "1,2,,"), (True, "true"), (None, "null"),
    ({"a": 1}, "[object Object]"), ("$x.y", "$x.y"),
])
def test_js_string(value: object, text: str) -> None:
    from mock_server.services.countly.jsstring import js_string

    assert js_string(value) == text


@pytest.mark.parametrize(("agent", "expected"), [
    ("Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko", ("Windows", "7")),
    ("Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) Edge/15.14977", ("Windows Phone", "10.0")),
    ("Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15", ("iOS", "16.6")),
    ("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36", ("Chrome OS", "14541.0.0")),
    ("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0", ("Ubuntu", None)),
    ("python-httpx/0.28.1", (None, None)),
    ("", (None, None)),
])
def test_os_from_agent(agent: str, expected: tuple[str | None, str | None]) -> None:
    from mock_server.services.countly.useragent import os_from_agent

    assert os_from_agent(agent) == expected
