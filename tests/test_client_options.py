"""Options a type checker can hold, the deprecated ``TimeoutError`` name, the loopback rule, the environment."""

from __future__ import annotations

import builtins
import warnings

import httpx
import pytest
import respx

import sdk
from sdk import (
    APITimeoutError,
    AsyncStatHatClient,
    CountlyClient,
    CyfeClient,
    ReportsClient,
    RetryPolicy,
    StatHatClient,
    TaplyticsClient,
    ValidationError,
)
from sdk._env import ENV

BASE = "https://stathat.test"


def test_unknown_options_are_refused_at_run_time_too() -> None:
    with pytest.raises(TypeError):
        StatHatClient("k", base_url=BASE, timout=3)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        StatHatClient("k", base_url=BASE).with_options(timout=1)  # type: ignore[call-arg]


def test_with_options_changes_only_what_is_given_and_shares_the_pool() -> None:
    client = StatHatClient("k", base_url=BASE)
    fast = client.with_options(timeout=1.5, headers={"X-A": "1"})
    assert fast.timeout == httpx.Timeout(1.5) and fast.headers["X-A"] == "1" and fast._http is client._http
    assert client.timeout != fast.timeout and "X-A" not in client.headers
    retried = fast.with_options(retry=RetryPolicy(max_attempts=1))
    assert retried.retry.max_attempts == 1 and retried.timeout == fast.timeout


def test_with_options_rebinds_resources() -> None:
    client = TaplyticsClient("tok", base_url="https://tap.test")
    copy = client.with_options(timeout=2)
    assert copy.users._c is copy and client.users._c is client


def test_api_timeout_error_is_a_builtin_timeout_error_and_the_old_name_warns() -> None:
    assert issubclass(APITimeoutError, builtins.TimeoutError) and issubclass(APITimeoutError, sdk.TransportError)
    with pytest.warns(DeprecationWarning, match="APITimeoutError"):
        old = sdk.TimeoutError
    assert old is APITimeoutError
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sdk.APITimeoutError is APITimeoutError  # the new name does not warn
    with pytest.raises(AttributeError):
        sdk.NoSuchName  # type: ignore[attr-defined]  # noqa: B018


@respx.mock
def test_a_read_timeout_is_caught_as_the_builtin_timeout_error() -> None:
    respx.get("https://tap.test/v2/users").mock(side_effect=httpx.ReadTimeout("timed out"))
    client = TaplyticsClient("tok", base_url="https://tap.test", retry=RetryPolicy(max_attempts=1))
    with pytest.raises(builtins.TimeoutError):
        client.users.list()


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://127.0.0.2:1", "http://[::1]:80", "http://localhost",
                                 "http://api.localhost", "http://[::ffff:127.0.0.1]:9"])
def test_loopback_is_recognised_by_address(url: str) -> None:
    assert TaplyticsClient("tok", base_url=url).base_url == url


@pytest.mark.parametrize("url", ["http://10.0.0.1", "http://example.com", "http://128.0.0.1", "http://localhost.evil.com",
                                 "http://[::2]"])
def test_plain_http_elsewhere_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="plain http"):
        TaplyticsClient("tok", base_url=url)
    assert TaplyticsClient("tok", base_url=url, allow_http=True).base_url == url


def test_an_in_process_transport_is_accepted_whatever_its_host() -> None:
    from mock_server import create_app

    transport = httpx.WSGITransport(app=create_app())
    client = TaplyticsClient("dev-api-token", base_url="http://testserver/taplytics", transport=transport)
    assert client.users.list().items == []
    # A real network transport is no excuse: the host is dialled.
    with pytest.raises(ValidationError, match="plain http"):
        TaplyticsClient("tok", base_url="http://testserver", transport=httpx.HTTPTransport())


def test_every_service_reads_its_base_url_and_credentials_from_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATHAT_EZKEY", "env-ezkey")
    monkeypatch.setenv("ANALYTICS_API_KIT_STATHAT_BASE_URL", "http://127.0.0.1:1/stathat")
    monkeypatch.setenv("COUNTLY_APP_KEY", "env-app-key")
    monkeypatch.setenv("COUNTLY_API_KEY", "env-api-key")
    monkeypatch.setenv("ANALYTICS_API_KIT_COUNTLY_BASE_URL", "http://127.0.0.1:1/countly")
    monkeypatch.setenv("TAPLYTICS_API_TOKEN", "env-token")
    monkeypatch.setenv("ANALYTICS_API_KIT_TAPLYTICS_BASE_URL", "http://127.0.0.1:1/taplytics")
    monkeypatch.setenv("CYFE_WIDGET_KEY", "env-widget")
    monkeypatch.setenv("ANALYTICS_API_KIT_CYFE_BASE_URL", "http://127.0.0.1:1/cyfe")
    monkeypatch.setenv("REPORTS_API_TOKEN", "env-reports")
    monkeypatch.setenv("ANALYTICS_API_KIT_REPORTS_BASE_URL", "http://127.0.0.1:1/reports")
    stathat = StatHatClient()
    assert (stathat.ezkey, stathat.base_url) == ("env-ezkey", "http://127.0.0.1:1/stathat")
    countly = CountlyClient()
    assert (countly.app_key, countly.api_key, countly.base_url) == ("env-app-key", "env-api-key",
                                                                    "http://127.0.0.1:1/countly")
    taplytics = TaplyticsClient()
    assert taplytics.headers["x-access-token"] == "env-token" and taplytics.base_url.endswith("/taplytics")
    cyfe = CyfeClient()
    assert cyfe.widget_key == "env-widget" and cyfe.base_url.endswith("/cyfe")
    reports = ReportsClient()
    assert reports.headers["Authorization"] == "Bearer env-reports" and reports.base_url.endswith("/reports")
    # An argument wins over the environment.
    assert StatHatClient("arg-key", base_url="http://127.0.0.1:2").ezkey == "arg-key"
    assert AsyncStatHatClient(base_url="http://127.0.0.1:2").base_url == "http://127.0.0.1:2"
    # The secrets from the environment are masked like any other.
    assert "env-ezkey" not in repr(stathat) and stathat.redactor.known("x env-ezkey") == "x ***"


def test_without_environment_the_self_hosted_services_say_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    for service in ENV.values():
        monkeypatch.delenv(service.base_url, raising=False)
        for name in service.credentials.values():
            monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValidationError, match="ANALYTICS_API_KIT_COUNTLY_BASE_URL"):
        CountlyClient()
    with pytest.raises(ValidationError, match="REPORTS_API_TOKEN"):
        ReportsClient(base_url="http://127.0.0.1:1")
    with pytest.raises(ValidationError, match="TAPLYTICS_API_TOKEN"):
        TaplyticsClient()
    assert StatHatClient().base_url == "https://api.stathat.com"  # a hosted service has its default


def test_the_environment_names_are_documented_in_the_readme() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for service in ENV.values():
        assert service.base_url in readme
        for name in service.credentials.values():
            assert name in readme, name
