"""The pytest plugin as a user meets it (``pytester``): a test file of theirs using each fixture passes, in a
folder of their own with no conftest of ours; a wrong option or marker fails with words that say what to fix."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

USER_TESTS = '''
import pytest
from sdk import AdminClient, AsyncAdminClient, Stat


def test_sync_clients_and_admin(analytics_kit_admin, stathat_client, countly_client, taplytics_client,
                                cyfe_client, reports_client):
    assert isinstance(analytics_kit_admin, AdminClient)
    stathat_client.count("signups", 2, t=1362772440)
    counted = {s["name"]: s["points"] for s in analytics_kit_admin.stathat.stats("dev-ezkey") if s["points"]}
    assert counted == {"signups": [{"t": 1362772440, "count": 2}]}
    countly_client.sessions()
    assert list(taplytics_client.users.iter()) == []
    cyfe_client.push([{"Date": "20130301", "Users": 1}])
    assert analytics_kit_admin.cyfe.widget("dev-widget")["rows"] == [{"Date": "20130301", "Users": 1}]
    assert reports_client is not None


def test_state_is_reset_before_each_test(analytics_kit_admin):
    assert not [s for s in analytics_kit_admin.stathat.stats("dev-ezkey") if s["points"]]


async def test_async_clients(async_analytics_kit_admin, async_stathat_client, async_countly_client,
                             async_taplytics_client, async_cyfe_client, async_reports_client):
    assert isinstance(async_analytics_kit_admin, AsyncAdminClient)
    await async_stathat_client.post([Stat("a", count=1, t=1362772440)])
    assert [s["name"] for s in await async_analytics_kit_admin.stathat.stats() if s["points"]] == ["a"]
    await async_countly_client.sessions()
    await async_cyfe_client.push([{"Date": "20130301", "Users": 1}])
    assert [u async for u in async_taplytics_client.users.iter()] == []
    assert async_reports_client is not None


@pytest.mark.parametrize("analytics_kit_via", ["http", "in_process"])
def test_both_ways(analytics_kit, stathat_client, analytics_kit_admin, analytics_kit_via):
    assert analytics_kit.via == analytics_kit_via and (analytics_kit.app is None) == (analytics_kit_via == "http")
    stathat_client.count("both")
    assert analytics_kit_admin.requests.list(path="/stathat/ez")[-1]["status"] == 200


def test_url_and_app(analytics_kit_url, analytics_kit_app, analytics_kit_server):
    import httpx

    assert analytics_kit_url == analytics_kit_server.url
    assert httpx.get(f"{analytics_kit_url}/_admin/health").json()["status"] == "ok"
    assert analytics_kit_app.test_client().get("/_admin/health").get_json()["status"] == "ok"


@pytest.mark.analytics_kit(demo_data=True)
def test_a_server_with_demo_data(analytics_kit, analytics_kit_admin, analytics_kit_server):
    assert analytics_kit.url != analytics_kit_server.url  # a process of its own for this config
    assert analytics_kit_admin.state()["reports"]["reports"] > 0
'''


@pytest.fixture
def user(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n")
    return pytester


def test_a_users_test_file_using_each_fixture_passes(user: pytest.Pytester) -> None:
    user.makepyfile(test_user=USER_TESTS)
    result = user.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=7)


def test_the_same_fixtures_on_a_server_started_elsewhere(user: pytest.Pytester, analytics_kit_url: str) -> None:
    user.makepyfile(test_elsewhere='''
def test_reset_through_admin(analytics_kit_url, stathat_client, analytics_kit_admin):
    stathat_client.count("elsewhere")
    assert analytics_kit_url.startswith("http://127.0.0.1:")
    assert analytics_kit_admin.requests.list(path="/stathat/ez")[-1]["status"] == 200


def test_second(analytics_kit_admin):
    assert analytics_kit_admin.requests.list(path="/stathat/ez") == []  # reset between tests
''')
    result = user.runpytest_inprocess("-p", "no:cacheprovider", f"--analytics-kit-url={analytics_kit_url}")
    result.assert_outcomes(passed=2)


def test_a_url_that_is_not_one_is_refused(user: pytest.Pytester) -> None:
    user.makepyfile(test_x="def test_x(analytics_kit_url):\n    pass\n")
    result = user.runpytest_inprocess("-p", "no:cacheprovider", "--analytics-kit-url", "localhost:8080")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--analytics-kit-url: 'localhost:8080' is not an http(s) URL*"])


def test_an_unreachable_server_says_where(user: pytest.Pytester) -> None:
    user.makepyfile(test_x="def test_x(analytics_kit_admin):\n    pass\n")
    result = user.runpytest_inprocess("-p", "no:cacheprovider", "--analytics-kit-url", "http://127.0.0.1:9")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*cannot reset the reference server at --analytics-kit-url http://127.0.0.1:9*"])


def test_a_wrong_marker_config_is_refused(user: pytest.Pytester) -> None:
    user.makepyfile(test_x='''
import pytest

@pytest.mark.analytics_kit(demo_dat=True)
def test_x(analytics_kit_url):
    pass
''')
    result = user.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*@pytest.mark.analytics_kit:*demo_dat*"])
