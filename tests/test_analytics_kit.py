"""``analytics-kit`` through its console script, against a reference server in another process."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sdk import NotFound, ReportsClient

from .live import Server, server_process

KIT = str(Path(sys.executable).with_name("analytics-kit"))


@pytest.fixture(scope="module")
def live() -> Iterator[Server]:
    with server_process() as server:
        yield server


@pytest.fixture
def server(live: Server) -> Server:
    live.reset()
    live.admin.faults.clear()
    return live


def kit(server: Server, *args: str, stdin: str | None = None, env: dict[str, str] | None = None,
        cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("STATHAT_", "COUNTLY_", "TAPLYTICS_",
                                                                        "CYFE_", "REPORTS_", "ANALYTICS_API_KIT"))}
    environ["ANALYTICS_API_KIT_SERVER"] = server.url
    environ.update(env or {})
    return subprocess.run([KIT, *args], input=stdin, capture_output=True, text=True, env=environ, cwd=cwd,
                          timeout=600)


def stat_totals(server: Server) -> dict[str, float]:
    return {s["name"]: sum(p.get("count", p.get("value", 0)) for p in s["points"])
            for s in server.admin.stathat.stats("dev-ezkey") if s["points"]}


def points(server: Server) -> dict[str, list[dict[str, Any]]]:
    stats = server.admin.stathat.stats("dev-ezkey")
    return {s["name"]: s["points"] for s in stats if s["points"]}


def write_lines(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


# -- help -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", [[], ["send"], ["import"], ["export"], ["tail"]])
def test_help_everywhere_has_an_example(server: Server, command: list[str]) -> None:
    result = kit(server, *command, "--help")
    assert result.returncode == 0, result.stderr
    assert "examples:" in result.stdout
    assert f"analytics-kit {command[0] if command else ''}".strip() in result.stdout.split("examples:")[1]


def test_the_command_needs_no_server_dependency() -> None:
    # An SDK-only install has no Flask: the command line must not need it.
    code = ("import sys\nsys.modules['flask'] = None\nsys.modules['werkzeug'] = None\n"
            "from sdk.cli import main\nsys.exit(main(['send', '--help']))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "FIELD=VALUE" in done.stdout


# -- send -----------------------------------------------------------------------------------------
def test_send_a_stat_with_flags_and_with_the_environment(server: Server) -> None:
    assert kit(server, "send", "stathat", "stat=page view", "count=2", "t=1700000000",
               "--ezkey", "dev-ezkey").returncode == 0
    result = kit(server, "send", "stathat", "stat=load", "value=0.5", "t=1700000001",
                 env={"STATHAT_EZKEY": "dev-ezkey"})
    assert result.returncode == 0, result.stderr
    assert points(server) == {"page view": [{"t": 1700000000, "count": 2}],
                              "load": [{"t": 1700000001, "value": 0.5}]}


def test_send_a_row_a_user_an_event_and_a_seed_part(server: Server) -> None:
    assert kit(server, "send", "cyfe", "Date=20260102", "Users=12", "--widget-key", "dev-widget").returncode == 0
    assert server.admin.cyfe.widget("dev-widget")["rows"] == [{"Date": "20260102", "Users": 12}]

    result = kit(server, "send", "taplytics", "--json", '{"user_id": "u1", "custom_data": {"plan": "pro"}}',
                 env={"TAPLYTICS_API_TOKEN": "dev-api-token"})
    assert result.returncode == 0, result.stderr
    import httpx

    users = httpx.get(f"{server.url}/taplytics/v2/users", params={"user_id": "u1"},
                      headers={"x-access-token": "dev-api-token"}).json()
    assert users["custom_data"] == {"plan": "pro"}

    result = kit(server, "send", "countly", "key=purchase", "count=3", "sum=9.5", "--app-key", "dev-app-key",
                 "--device-id", "d1")
    assert result.returncode == 0, result.stderr
    events = httpx.get(f"{server.url}/countly/o", params={
        "api_key": "dev-api-key", "app_id": "0123456789abcdef01234567", "method": "get_events"}).json()
    assert "purchase" in events["list"]

    result = kit(server, "send", "reports", "--json", '{"tokens": ["a-second-token"]}')
    assert result.returncode == 0, result.stderr
    reply = httpx.get(f"{server.url}/reports/api/v4/analytics/reports_over_time",
                      params={"channel_id": 1, "start_date": "2016-01-01", "end_date": "2016-02-01"},
                      headers={"Authorization": "Bearer a-second-token"})
    assert reply.status_code != 401


def test_send_refuses_bad_input_bad_credentials_and_an_unreachable_server(server: Server) -> None:
    bad = kit(server, "send", "stathat", "stat=x", "count=lots", "--ezkey", "dev-ezkey")
    assert bad.returncode == 2 and "count: 'lots' is not a number" in bad.stderr
    missing = kit(server, "send", "stathat", "stat=x", "count=1")
    assert missing.returncode == 2 and "--ezkey" in missing.stderr and "STATHAT_EZKEY" in missing.stderr
    creds = kit(server, "send", "stathat", "stat=x", "count=1", "--ezkey", "wrong-key")
    assert creds.returncode == 1 and "bad credentials" in creds.stderr and "wrong-key" not in creds.stderr
    unknown = kit(server, "send", "cyfe", "Date=20260102", "Users=1", "--widget-key", "nope-widget")
    assert unknown.returncode == 1 and "nope-widget" not in unknown.stderr
    gone = kit(server, "send", "stathat", "stat=x", "count=1", "--ezkey", "dev-ezkey", "--server",
               "http://127.0.0.1:9")
    assert gone.returncode == 1 and "cannot reach" in gone.stderr
    assert "Traceback" not in bad.stderr + creds.stderr + gone.stderr + unknown.stderr
    assert stat_totals(server) == {}


# -- import ---------------------------------------------------------------------------------------
def test_import_100k_stathat_lines_totals_confirmed_by_the_server(server: Server, tmp_path: Path) -> None:
    lines = [{"stat": f"s{i % 7}", "count": i % 5 + 1, "t": 1_700_000_000 + i % 600} for i in range(100_000)]
    lines += [{"stat": "latency", "value": i / 4, "t": 1_700_000_000 + i} for i in range(500)]
    expected: dict[str, float] = {}
    for line in lines:
        expected[line["stat"]] = expected.get(line["stat"], 0) + line.get("count", line.get("value", 0))
    path = write_lines(tmp_path / "stats.jsonl", lines)
    result = kit(server, "import", str(path), "--service", "stathat", "--progress", env={"STATHAT_EZKEY": "dev-ezkey"})
    assert result.returncode == 0, result.stderr
    assert "100500 lines read, 100500 accepted, 0 bad" in result.stdout
    assert "items/s" in result.stderr and "ETA" in result.stderr and "100%" in result.stderr
    assert stat_totals(server) == expected
    assert len(points(server)["latency"]) == 500
    assert not (tmp_path / "stats.jsonl.failed.jsonl").exists()


def test_import_csv_from_stdin(server: Server) -> None:
    csv = "stat,count,value,t\nvisits,3,,1700000000\nvisits,4,,1700000000\nload,,0.25,1700000005\n"
    result = kit(server, "import", "-", "--service", "stathat", "--format", "csv", "--ezkey", "dev-ezkey", stdin=csv)
    assert result.returncode == 0, result.stderr
    assert points(server) == {"visits": [{"t": 1700000000, "count": 7}], "load": [{"t": 1700000005, "value": 0.25}]}


def test_the_summary_counts_retried_requests(server: Server, tmp_path: Path) -> None:
    server.admin.faults.add("/stathat/ez", status=503, times=1)
    path = write_lines(tmp_path / "r.jsonl", [{"stat": "r", "count": 1, "t": 1700000000 + i} for i in range(10)])
    result = kit(server, "import", str(path), "--service", "stathat", "--ezkey", "dev-ezkey")
    assert result.returncode == 0, result.stderr
    assert "sent 10 stats, 1 retried requests, 0 failed" in result.stdout
    assert stat_totals(server) == {"r": 10}


def test_import_countly_events_from_csv_with_nested_segmentation(server: Server, tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text('key,count,sum,segmentation\npurchase,2,9.5,"{""plan"": ""pro""}"\npurchase,1,0.5,\n'
                    "signup,1,,\n")
    result = kit(server, "import", str(path), "--service", "countly", "--app-key", "dev-app-key",
                 "--device-id", "csv-device")
    assert result.returncode == 0, result.stderr
    import httpx

    read = {"api_key": "dev-api-key", "app_id": "0123456789abcdef01234567"}
    events = httpx.get(f"{server.url}/countly/o", params={**read, "method": "get_events"}).json()
    assert sorted(events["list"]) == ["purchase", "signup"] and events["segments"]["purchase"] == ["plan"]
    data = httpx.get(f"{server.url}/countly/o", params={**read, "method": "events", "event": "purchase",
                                                       "period": "30days"}).json()
    year = next(k for k in data if k.isdigit())
    assert (data[year]["c"], data[year]["s"]) == (3, 10)


def test_a_bad_file_names_lines_then_counts_the_rest(server: Server, tmp_path: Path) -> None:
    good = [{"stat": "ok", "count": 1, "t": 1700000000}] * 5
    text = "".join(json.dumps(line) + "\n" for line in good)
    text += "not json\n[1, 2]\n" + json.dumps({"stat": "ok", "count": "x"}) + "\n"
    text += "".join(json.dumps({"stat": "ok", "count": 1, "t": -i - 1}) + "\n" for i in range(12))
    path = tmp_path / "bad.jsonl"
    path.write_text(text)
    result = kit(server, "import", str(path), "--service", "stathat", "--ezkey", "dev-ezkey", "--max-errors", "3")
    assert result.returncode == 1
    err = result.stderr.splitlines()
    assert err[0].startswith("line 6: not JSON")
    assert err[1] == "line 7: must be a JSON object, got list"
    assert err[2] == "line 8: count: 'x' is not a number"
    assert "... and 12 more bad lines (15 in all)" in result.stderr
    assert "line 9:" not in result.stderr
    assert stat_totals(server) == {"ok": 5}


def test_a_batch_refused_for_one_item_delivers_the_others(server: Server, tmp_path: Path) -> None:
    # StatHat refuses a batch whole; the import splits it so only the refused item is kept as failed.
    lines = [{"stat": "n", "count": 1, "t": 1700000000 + i} for i in range(300)]
    lines.insert(150, {"stat": "n", "value": 2, "t": 1700000000})  # a value for a counter stat
    path = write_lines(tmp_path / "mixed.jsonl", lines)
    result = kit(server, "import", str(path), "--service", "stathat", "--ezkey", "dev-ezkey")
    assert result.returncode == 1
    assert "1 failed" in result.stdout and "is a counter stat" in result.stderr
    assert stat_totals(server) == {"n": 300}
    kept = [json.loads(line) for line in (tmp_path / "mixed.jsonl.failed.jsonl").read_text().splitlines()]
    assert kept == [{"stat": "n", "value": 2, "t": 1700000000}]


def test_bad_credentials_stop_the_import_and_keep_every_line(server: Server, tmp_path: Path) -> None:
    lines = [{"stat": "c", "count": 1, "t": 1700000000 + i} for i in range(2500)]
    path = write_lines(tmp_path / "c.jsonl", lines)
    result = kit(server, "import", str(path), "--service", "stathat", "--ezkey", "wrong-key")
    assert result.returncode == 1
    assert "refused the credentials" in result.stderr and "wrong-key" not in result.stderr + result.stdout
    kept = [json.loads(line) for line in (tmp_path / "c.jsonl.failed.jsonl").read_text().splitlines()]
    assert sorted(k["t"] for k in kept) == [line["t"] for line in lines]
    again = kit(server, "import", str(tmp_path / "c.jsonl.failed.jsonl"), "--service", "stathat",
                "--ezkey", "dev-ezkey")
    assert again.returncode == 0, again.stderr
    assert stat_totals(server) == {"c": 2500}


def test_an_unreachable_server_is_said_once(server: Server, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "u.jsonl", [{"stat": "u", "count": 1}] * 10)
    result = kit(server, "import", str(path), "--service", "stathat", "--ezkey", "dev-ezkey",
                 "--server", "http://127.0.0.1:9")
    assert result.returncode == 1 and "cannot reach the server" in result.stderr
    kept = [json.loads(line) for line in (tmp_path / "u.jsonl.failed.jsonl").read_text().splitlines()]
    assert sum(k["count"] for k in kept) == 10  # the batcher summed them (one stat, one second) before sending


def test_interrupted_import_resumes_from_its_failed_file_with_nothing_sent_twice(server: Server,
                                                                                 tmp_path: Path) -> None:
    # Every (stat, second) distinct, so nothing merges: a line sent twice would show in the totals.
    lines = [{"stat": f"r{i % 10}", "count": i % 4 + 1, "t": 1_700_000_000 + i // 10} for i in range(30_000)]
    expected: dict[str, float] = {}
    for line in lines:
        expected[line["stat"]] = expected.get(line["stat"], 0) + line["count"]
    path = write_lines(tmp_path / "big.jsonl", lines)
    server.admin.faults.add("/stathat/ez", status=None, delay=0.2, times=None)
    environ = {**os.environ, "ANALYTICS_API_KIT_SERVER": server.url, "STATHAT_EZKEY": "dev-ezkey"}
    proc = subprocess.Popen([KIT, "import", str(path), "--service", "stathat"], env=environ, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        while not server.admin.requests.list(path="/stathat/ez"):  # the import is under way
            assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted:" in err and "stats were sent" in err
    sent = stat_totals(server)
    assert sum(sent.values()) < sum(expected.values())  # it did stop early
    failed = tmp_path / "big.jsonl.failed.jsonl"
    assert failed.exists()

    server.admin.faults.clear()
    result = kit(server, "import", str(failed), "--service", "stathat", env={"STATHAT_EZKEY": "dev-ezkey"})
    assert result.returncode == 0, result.stderr
    assert stat_totals(server) == expected


# -- export ---------------------------------------------------------------------------------------
def test_export_import_round_trip_stathat(server: Server, tmp_path: Path) -> None:
    write_lines(tmp_path / "in.jsonl", [{"stat": "a", "count": 2, "t": 1700000000},
                                        {"stat": "a", "count": 3, "t": 1700000000},
                                        {"stat": "a", "count": 1, "t": 1700000100},
                                        {"stat": "b", "value": 0.5, "t": 1700000000},
                                        {"stat": "b", "value": 0.5, "t": 1700000000},
                                        {"stat": "b", "value": 7, "t": 1700000002}])
    assert kit(server, "import", str(tmp_path / "in.jsonl"), "--service", "stathat",
               "--ezkey", "dev-ezkey").returncode == 0
    before = points(server)
    exported = kit(server, "export", "stathat", "--ezkey", "dev-ezkey", "-o", str(tmp_path / "out.jsonl"))
    assert exported.returncode == 0, exported.stderr
    server.reset()
    assert kit(server, "import", str(tmp_path / "out.jsonl"), "--service", "stathat",
               "--ezkey", "dev-ezkey").returncode == 0
    assert points(server) == before
    again = kit(server, "export", "stathat", "--ezkey", "dev-ezkey")
    assert again.stdout == (tmp_path / "out.jsonl").read_text()


def test_export_import_round_trip_cyfe_with_options(server: Server, tmp_path: Path) -> None:
    write_lines(tmp_path / "in.jsonl", [
        {"options": {"color": {"Users": "#ff0000"}, "type": {"Users": "area", "Signups": "column"},
                     "reverse": {"Signups": "1"}, "yaxis": {"Users": "1", "Signups": "2"}}},
        {"Date": "20260101", "Users": 3, "Signups": 1},
        {"Date": "20260102", "Users": 5, "Signups": 2},
        {"Date": "20260101", "Users": 4}])
    result = kit(server, "import", str(tmp_path / "in.jsonl"), "--service", "cyfe", "--widget-key", "dev-widget")
    assert result.returncode == 0, result.stderr
    before = server.admin.cyfe.widget("dev-widget")
    assert before["rows"][0] == {"Date": "20260101", "Users": 7, "Signups": 1}
    out = kit(server, "export", "cyfe", "--widget-key", "dev-widget")
    (tmp_path / "out.jsonl").write_text(out.stdout)
    server.reset()
    assert kit(server, "import", str(tmp_path / "out.jsonl"), "--service", "cyfe",
               "--widget-key", "dev-widget").returncode == 0
    after = server.admin.cyfe.widget("dev-widget")
    assert after["rows"] == before["rows"] and after["options"] == before["options"]
    assert after["header"] == before["header"]


def test_export_import_round_trip_taplytics_users(server: Server, tmp_path: Path) -> None:
    users = [{"user_id": f"u{i}", "email": f"u{i}@example.com", "name": f"User {i}", "age": 20 + i,
              "custom_data": {"plan": "pro" if i % 2 else "free", "n": i}} for i in range(120)]
    write_lines(tmp_path / "users.jsonl", users)
    assert kit(server, "import", str(tmp_path / "users.jsonl"), "--service", "taplytics",
               "--api-token", "dev-api-token").returncode == 0
    out = kit(server, "export", "taplytics", "--api-token", "dev-api-token")
    assert out.returncode == 0, out.stderr
    exported = [json.loads(line) for line in out.stdout.splitlines()]
    assert sorted((u["user_id"], u["custom_data"]["n"], u["age"]) for u in exported) == \
        sorted((u["user_id"], u["custom_data"]["n"], u["age"]) for u in users)
    (tmp_path / "out.jsonl").write_text(out.stdout)
    server.reset()
    assert kit(server, "import", str(tmp_path / "out.jsonl"), "--service", "taplytics",
               "--api-token", "dev-api-token").returncode == 0
    assert kit(server, "export", "taplytics", "--api-token", "dev-api-token").stdout == out.stdout


def test_export_import_round_trip_reports(tmp_path: Path) -> None:
    with server_process("--demo-data") as demo:
        out = kit(demo, "export", "reports")
        assert out.returncode == 0, out.stderr
        reports = ReportsClient("dev-api-token", base_url=f"{demo.url}/reports")
        before = [reports.reports_per_week_day(1, "2016-01-01", "2017-01-01"),
                  reports.reports_read(1, "2016-01-01", "2017-01-01"),
                  reports.user_awareness(1, "2016-01-01", "2017-01-01")]
    (tmp_path / "reports.jsonl").write_text(out.stdout)
    with server_process() as empty:
        result = kit(empty, "import", str(tmp_path / "reports.jsonl"), "--service", "reports")
        assert result.returncode == 0, result.stderr
        assert kit(empty, "export", "reports").stdout == out.stdout
        reports = ReportsClient("dev-api-token", base_url=f"{empty.url}/reports")
        assert before == [reports.reports_per_week_day(1, "2016-01-01", "2017-01-01"),
                          reports.reports_read(1, "2016-01-01", "2017-01-01"),
                          reports.user_awareness(1, "2016-01-01", "2017-01-01")]


COUNTLY_APP = "0123456789abcdef01234567"
SECOND_APP = "aaaaaaaaaaaaaaaaaaaaaaaa"


def _countly_reads(server: Server) -> list[Any]:
    from sdk import CountlyClient

    reads: list[Any] = []
    for app_id in (COUNTLY_APP, SECOND_APP):
        with CountlyClient(base_url=f"{server.url}/countly", api_key="dev-api-key", app_id=app_id) as countly:
            reads += [countly.dashboard(period="30days"), countly.sessions(period="30days"),
                      countly.users(period="month"), countly.device_details(period="30days"),
                      countly.events("purchase", segmentation="plan", period="30days"),
                      countly.get_events(), countly.views(period="30days"), countly.total_users(period="30days"),
                      countly.event_totals(period="30days")]
    for device in ("d1", "d2", "d3"):
        try:
            reads.append(server.admin.countly.app_user(COUNTLY_APP, "dev-app-key", device))
        except NotFound as missing:  # a device with no app user: its 404 is part of what must read the same
            reads.append(missing.body)
    return reads


def test_export_import_round_trip_countly(server: Server, tmp_path: Path) -> None:
    from sdk import CountlyClient
    from sdk.countly import Event

    now = 1764720000  # 2025-12-03: both servers' clocks frozen here, so "30days" reads the same buckets
    server.admin.countly.set_clock(now)
    server.admin.seed({"countly": {
        "apps": [{"app_id": SECOND_APP, "app_key": "second-key", "name": "Second", "timezone": "Europe/Berlin"}],
        "remote_config": {COUNTLY_APP: {"banner": "blue", "limit": 3}},
        "sdk_config": {COUNTLY_APP: {"tracking": False}}}})
    for app_key, device in (("dev-app-key", "d1"), ("dev-app-key", "d2"), ("second-key", "s1")):
        with CountlyClient(base_url=f"{server.url}/countly", app_key=app_key, device_id=device) as countly:
            countly.begin_session({"_os": "Android", "_os_version": "14", "_app_version": "2.1",
                                   "_device": "Pixel 8", "_carrier": "Vodafone"}, country_code="DE")
            countly.send_events([Event("purchase", 2, 9.5, 3, {"plan": "pro"}),
                                 Event("signup", 1, segmentation={"via": "mail"})])
            countly.record_view("home", start=True)
            countly.record_view_duration("home", 12)
            countly.session_duration(30)
            countly.end_session(5)
    with CountlyClient(base_url=f"{server.url}/countly", app_key="dev-app-key", device_id="d2") as countly:
        countly.change_device_id("d3")  # a merged user: the old device's user folded into the new one
    before = _countly_reads(server)
    with CountlyClient(base_url=f"{server.url}/countly", app_key="dev-app-key", device_id="d1") as countly:
        sdk_config = countly.sdk_config()
    assert sdk_config.config["tracking"] is False
    out = kit(server, "export", "countly", "-o", str(tmp_path / "countly.jsonl"))
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in (tmp_path / "countly.jsonl").read_text().splitlines()]
    kinds = {d["kind"] for line in lines for d in line.get("documents", [])}
    assert kinds == {"agg", "appusers", "lsidx", "events", "remote_config", "sdk_config"}
    assert [app["app_id"] for line in lines for app in line.get("apps", [])] == [COUNTLY_APP, SECOND_APP]

    server.reset()
    server.admin.countly.set_clock(now + 3600)  # imported later: what is stored keeps its own times
    result = kit(server, "import", str(tmp_path / "countly.jsonl"), "--service", "countly")
    assert result.returncode == 0, result.stderr
    server.admin.countly.set_clock(now)
    assert f"sent {len(lines)} seed parts" in result.stdout
    assert kit(server, "export", "countly").stdout == (tmp_path / "countly.jsonl").read_text()
    assert _countly_reads(server) == before  # nothing lost: every read answers as before
    with CountlyClient(base_url=f"{server.url}/countly", app_key="dev-app-key", device_id="d1") as countly:
        assert countly.remote_config() == {"banner": "blue", "limit": 3}
        assert countly.sdk_config() == sdk_config  # its timestamp too: the stored document, not a new seed

    # The same lines are parts of a /_admin/seed section: merged, they load back in one request.
    server.reset()
    server.admin.countly.set_clock(now)
    section: dict[str, list[Any]] = {}
    for line in lines:
        for part, objects in line.items():
            section.setdefault(part, []).extend(objects)
    server.admin.seed({"countly": section})
    assert kit(server, "export", "countly").stdout == (tmp_path / "countly.jsonl").read_text()
    assert _countly_reads(server) == before


def test_countly_import_refuses_a_mixed_file_and_bad_seed_parts(server: Server, tmp_path: Path) -> None:
    write_lines(tmp_path / "mixed.jsonl", [
        {"apps": [{"app_id": SECOND_APP, "app_key": "second-key"}]},
        {"key": "purchase", "count": 1},  # an event in an export's file
        {"documents": [{"kind": "agg", "app_id": SECOND_APP, "value": {}}]},  # agg needs its key
        {"documents": [{"kind": "nonsense", "app_id": SECOND_APP, "key": "k", "value": {}}]},
        {"members": [{"api_key": "m2", "rights": {SECOND_APP: ["read"]}}]}])
    result = kit(server, "import", str(tmp_path / "mixed.jsonl"), "--service", "countly")
    assert result.returncode == 1
    assert "line 2: " in result.stderr and "not both" in result.stderr
    assert "line 3: " in result.stderr and "line 4: " in result.stderr
    apps = [a["app_id"] for a in server.admin.countly.apps()]
    assert apps == [COUNTLY_APP, SECOND_APP]  # the good lines were seeded
    # A document of an app the server does not have is refused by the server, and kept as failed.
    write_lines(tmp_path / "orphan.jsonl", [{"documents": [{"kind": "events", "app_id": "b" * 24,
                                                           "value": {"list": ["x"]}}]}])
    result = kit(server, "import", str(tmp_path / "orphan.jsonl"), "--service", "countly")
    assert result.returncode == 1 and "no app has app_id" in result.stderr
    assert json.loads((tmp_path / "orphan.jsonl.failed.jsonl").read_text())["documents"][0]["app_id"] == "b" * 24


# -- tail -----------------------------------------------------------------------------------------
def test_tail_filters_by_service_and_status(server: Server) -> None:
    kit(server, "send", "stathat", "stat=x", "count=1", "--ezkey", "dev-ezkey")
    kit(server, "send", "cyfe", "Date=20260102", "Users=1", "--widget-key", "dev-widget")
    kit(server, "send", "cyfe", "Date=20260102", "Users=1", "--widget-key", "nope-widget")
    result = kit(server, "tail", "--no-follow", "--service", "cyfe")
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and all("/cyfe/api/push/***" in line for line in lines)
    errors = kit(server, "tail", "--no-follow", "--status", "4xx").stdout.splitlines()
    assert len(errors) == 1 and " 404 POST " in errors[0]
    assert kit(server, "tail", "--status", "abc").returncode == 2


def test_tail_follows_new_requests(server: Server) -> None:
    environ = {**os.environ, "ANALYTICS_API_KIT_SERVER": server.url}
    proc = subprocess.Popen([KIT, "tail", "--service", "stathat", "--interval", "0.1"], env=environ, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    got: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [got.put(line) for line in proc.stdout or []], daemon=True).start()
    try:
        kit(server, "send", "cyfe", "Date=20260102", "Users=1", "--widget-key", "dev-widget")
        kit(server, "send", "stathat", "stat=followed", "count=1", "--ezkey", "dev-ezkey")
        line = got.get(timeout=60)
        assert "POST   /stathat/ez" in line and "ezkey" not in line
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
    assert proc.returncode == 130
