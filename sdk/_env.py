"""Configuration from the environment: one base URL and the credentials of each service.

The one list of variable names (the README documents it; the ``analytics-kit`` CLI reads the same), so
an application is pointed at the reference server, or given its keys, without a code change. An argument
passed to a client always wins over the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ._errors import ValidationError

__all__ = ["ENV", "Service", "ServiceEnv", "env_base_url", "env_value"]

Service = Literal["stathat", "countly", "taplytics", "cyfe", "reports"]


@dataclass(frozen=True)
class ServiceEnv:
    """The variables of one service: its base URL and each credential (client argument -> variable)."""

    base_url: str
    credentials: Mapping[str, str]


ENV: Mapping[Service, ServiceEnv] = {
    "stathat": ServiceEnv("ANALYTICS_API_KIT_STATHAT_BASE_URL", {"ezkey": "STATHAT_EZKEY"}),
    "countly": ServiceEnv("ANALYTICS_API_KIT_COUNTLY_BASE_URL", {
        "app_key": "COUNTLY_APP_KEY", "device_id": "COUNTLY_DEVICE_ID", "api_key": "COUNTLY_API_KEY",
        "app_id": "COUNTLY_APP_ID", "salt": "COUNTLY_SALT"}),
    "taplytics": ServiceEnv("ANALYTICS_API_KIT_TAPLYTICS_BASE_URL", {"api_token": "TAPLYTICS_API_TOKEN"}),
    "cyfe": ServiceEnv("ANALYTICS_API_KIT_CYFE_BASE_URL", {"widget_key": "CYFE_WIDGET_KEY"}),
    "reports": ServiceEnv("ANALYTICS_API_KIT_REPORTS_BASE_URL", {"token": "REPORTS_API_TOKEN"}),
}


def env_value(service: Service, name: str, given: str | None = None) -> str | None:
    """``given`` if not None, else the service's variable for credential ``name`` (an empty one is unset)."""
    if given is not None:
        return given
    return os.environ.get(ENV[service].credentials[name]) or None


def env_base_url(service: Service, given: str | None, default: str | None) -> str:
    """``given``, else the service's base URL variable, else ``default``; a service without a default
    (Countly and the reports API are self-hosted) refuses to guess."""
    url = given or os.environ.get(ENV[service].base_url) or default
    if not url:
        raise ValidationError(f"base_url: required (or set {ENV[service].base_url})", field="base_url")
    return url
