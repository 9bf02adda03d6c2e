"""Taplytics REST API v2: users, experiments, events and push notifications.

``TaplyticsClient`` / ``AsyncTaplyticsClient`` with ``users``, ``experiments``, ``events`` and ``push``;
typed models; ``where(...)`` builds push filters and refuses the ones the API text calls bad.
"""

from __future__ import annotations

from ._client import (
    DEFAULT_BASE_URL,
    MAX_EVENTS,
    MAX_PER_PAGE,
    AsyncEvents,
    AsyncExperiments,
    AsyncPushes,
    AsyncTaplyticsClient,
    AsyncUsers,
    Events,
    Experiments,
    Pushes,
    TaplyticsClient,
    Users,
)
from ._filters import COMPARATORS, FILTER_TYPES, Filter, FilterField, check_filter, version_key, where
from ._models import (
    Device,
    DynamicVariable,
    Event,
    Experiment,
    Image,
    Location,
    Notification,
    PushNotification,
    Schedule,
    User,
    UserExperiment,
    UserFields,
    Variation,
)

__all__ = [
    "COMPARATORS", "DEFAULT_BASE_URL", "FILTER_TYPES", "MAX_EVENTS", "MAX_PER_PAGE", "AsyncEvents",
    "AsyncExperiments", "AsyncPushes", "AsyncTaplyticsClient", "AsyncUsers", "Device", "DynamicVariable", "Event",
    "Events", "Experiment", "Experiments", "Filter", "FilterField", "Image", "Location", "Notification",
    "PushNotification", "Pushes", "Schedule", "TaplyticsClient", "User", "UserExperiment", "UserFields", "Users",
    "Variation", "check_filter", "version_key", "where",
]
