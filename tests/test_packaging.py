"""Packaging for applications: the SDK without the server's dependencies, the sdist, and a user's mypy."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import textwrap
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MYPY = Path(sys.executable).with_name("mypy")
# Runs a snippet with Flask (and werkzeug) made unimportable, as in an SDK-only install.
WITHOUT_FLASK = "import sys\nsys.modules['flask'] = None\nsys.modules['werkzeug'] = None\n"


def _run(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_sdk_needs_no_server_dependency(tmp_path: Path) -> None:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not any(d.lower().startswith(("flask", "werkzeug")) for d in deps["dependencies"])
    assert any(d.lower().startswith("flask") for d in deps["optional-dependencies"]["server"])
    done = _run(WITHOUT_FLASK + textwrap.dedent("""
        import sdk, mock_server
        from sdk import StatHatClient
        print(StatHatClient("k", base_url="http://127.0.0.1:1").base_url)
    """), tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "http://127.0.0.1:1"


def test_mock_server_says_what_to_install_when_flask_is_missing(tmp_path: Path) -> None:
    done = _run(WITHOUT_FLASK + "from mock_server.launcher import main\nsys.exit(main([]))", tmp_path)
    assert done.returncode == 2
    assert "pip install 'analytics-api-kit[server]'" in done.stderr and "Traceback" not in done.stderr
    # With Flask present the launcher is the real command (its --help answers).
    help_ = _run("import sys\nfrom mock_server.launcher import main\nsys.exit(main(['--help']))", tmp_path)
    assert help_.returncode == 0 and "--store" in help_.stdout


def test_the_sdist_carries_the_licence_and_the_service_readmes(tmp_path: Path) -> None:
    built = subprocess.run([sys.executable, "-c", f"from setuptools import build_meta; "
                            f"print(build_meta.build_sdist({str(tmp_path)!r}))"],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    with tarfile.open(tmp_path / built.stdout.strip().splitlines()[-1]) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    linked = {"mock_server/services/countly/README.md", "mock_server/services/taplytics/README.md",
              "mock_server/services/cyfe/README.md", "mock_server/services/reports/README.md"}
    readme = (ROOT / "README.md").read_text()
    assert all(path in readme for path in linked)  # the ones the top README links to...
    assert {"LICENSE", "README.md", *linked} <= names  # ...ship in the sdist
    assert "MIT License" in (ROOT / "LICENSE").read_text()


def test_build_outputs_are_ignored() -> None:
    ignored = (ROOT / ".gitignore").read_text().split()
    assert "dist/" in ignored and "build/" in ignored


USER_APP = '''
from sdk import (AsyncCyfeClient, AsyncStatHatClient, AsyncTaplyticsClient, CountlyClient, RawResponse,
                 ReportsClient, StatHatClient, Stat, TaplyticsClient)
from sdk.taplytics import where


async def raw_async() -> None:
    taplytics = AsyncTaplyticsClient("t", base_url="http://127.0.0.1:8080/taplytics")
    reveal_type(await taplytics.with_raw_response.users.get(user_id="u1"))
    reveal_type(await AsyncCyfeClient(widget_key="w", base_url="http://x").with_raw_response.push([]))


def main() -> None:
    client = StatHatClient("key", base_url="http://127.0.0.1:8080/stathat")
    reveal_type(client)
    reveal_type(client.with_options(timeout=1.0))
    reveal_type(Stat("x", count=1))
    reveal_type(CountlyClient(base_url="http://127.0.0.1:8080/countly").sessions(period="7days"))
    reveal_type(where("country").eq("CA"))
    reveal_type(AsyncStatHatClient)
    reveal_type(client.with_raw_response.count("x"))
    raw: RawResponse[None] = client.with_raw_response.value("x", 1.5)
    reveal_type(raw.request_id)
    countly = CountlyClient(base_url="http://127.0.0.1:8080/countly")
    reveal_type(countly.with_raw_response.sessions(period="7days"))
    reveal_type(TaplyticsClient("t").with_raw_response.push.list(per_page=5))
    reveal_type(ReportsClient("t", base_url="http://x").with_raw_response.reports_per_state(1, "2016-01-01",
                                                                                            "2017-01-01"))
'''

#: What each ``reveal_type`` of a raw call shows, in order.
RAW_TYPES = ["sdk._client.RawResponse[sdk.taplytics._models.User]", "sdk._client.RawResponse[None]",
             "sdk._client.RawResponse[None]", "str | None",
             "sdk._client.RawResponse[sdk.countly.models.TimeData]",
             "sdk._client.RawResponse[sdk._pagination.Page[sdk.taplytics._models.PushNotification]]",
             "sdk._client.RawResponse[list[sdk.reports.StateCount]]"]


def _editable_is_followable() -> bool:
    """The default editable install is an import hook mypy cannot follow (``__editable___*_finder.py``); the
    strict one (a tree of links) and a regular install it can."""
    from importlib.metadata import distribution

    files = distribution("analytics-api-kit").files or []
    return not any(f.name.endswith("_finder.py") for f in files)


def _mypy(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "app.py").write_text(source)
    return subprocess.run([str(MYPY), "--strict", "--no-incremental", "app.py"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)


def test_a_typed_user_app_outside_the_repository_type_checks(tmp_path: Path) -> None:
    if not _editable_is_followable():
        pytest.skip("this venv's editable install is the import-hook kind mypy cannot follow: reinstall with "
                    "`pip install -e '.[dev]' --config-settings editable_mode=strict` (.ci/run does)")
    done = _mypy(tmp_path, USER_APP)
    assert done.returncode == 0, done.stdout + done.stderr
    revealed = [line for line in done.stdout.splitlines() if "Revealed type" in line]
    assert len(revealed) == 6 + len(RAW_TYPES) and not any("Any" in line for line in revealed), done.stdout
    types = [line.split('Revealed type is "', 1)[1].rstrip('"') for line in revealed]
    raw = [t for t in types if t.startswith("sdk._client.RawResponse") or t == "str | None"]
    assert raw == RAW_TYPES, done.stdout
    assert 'Revealed type is "sdk.stathat.StatHatClient"' in done.stdout
    assert 'Revealed type is "sdk.countly.models.TimeData"' in done.stdout


def test_a_user_apps_wrong_options_fail_its_type_check(tmp_path: Path) -> None:
    if not _editable_is_followable():
        pytest.skip("this venv's editable install is the import-hook kind mypy cannot follow: reinstall with "
                    "`pip install -e '.[dev]' --config-settings editable_mode=strict` (.ci/run does)")
    done = _mypy(tmp_path, textwrap.dedent('''
        from sdk import CountlyClient, StatHatClient
        from sdk.taplytics import where

        StatHatClient("key", timout=3)
        StatHatClient("key").with_options(timout=1)
        CountlyClient(base_url="http://x").sessions(period="bogus")
        where("bogus_type")
        from sdk import ReportsClient
        ReportsClient("t", base_url="http://x").reports_per_field_selection(2, 1, "2016-01-01", "2017-01-01")
        from sdk import AsyncTaplyticsClient, TaplyticsClient
        StatHatClient("key").with_raw_response.count("x", counts=1)
        CountlyClient(base_url="http://x").with_raw_response.sessions(period="bogus")
        TaplyticsClient("t").with_raw_response.users.get(usr_id="u1")
        TaplyticsClient("t").with_raw_response.users.gett("u1")
        raw: int = StatHatClient("key").with_raw_response.count("x").parsed
        async def f() -> None:
            await AsyncTaplyticsClient("t").with_raw_response.users.get(1)
        StatHatClient("key").with_raw_response.batcher()
    '''))
    assert done.returncode == 1
    for line in (5, 6, 7, 8, 10, 12, 13, 14, 15, 16, 18, 19):
        assert f"app.py:{line}: error" in done.stdout, done.stdout
