"""Taplytics models: frozen dataclasses read from the API's JSON, and the shapes the SDK writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, Literal, TypedDict

from .._errors import ValidationError
from ._filters import Filter

__all__ = ["Device", "DynamicVariable", "Event", "Experiment", "Image", "Location", "Notification",
           "PushNotification", "Schedule", "User", "UserExperiment", "UserFields", "Variation"]

ExperimentStatus = Literal["draft", "active", "paused", "archived"]
JSON = dict[str, Any]


_new = object.__new__
_setattr = object.__setattr__


def _time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


# -- users ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Location:
    city_name: str | None = None
    continent_code: str | None = None
    country_code: str | None = None
    country_name: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    postal_code: str | None = None
    region_name: str | None = None
    timezone: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Location:
        return cls(_str(data.get("city_name")), _str(data.get("continent_code")), _str(data.get("country_code")),
                   _str(data.get("country_name")), _float(data.get("latitude")), _float(data.get("longitude")),
                   _str(data.get("postal_code")), _str(data.get("region_name")), _str(data.get("timezone")))


@dataclass(frozen=True)
class Device:
    """A user's device: what the os, version, language, model and push-token filters look at."""

    os: str | None = None
    os_version: str | None = None
    app_lang: str | None = None
    device_model: str | None = None
    push_token: str | None = None
    push_token_sandbox: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Device:
        return cls(*(_str(data.get(k)) for k in ("os", "os_version", "app_lang", "device_model", "push_token",
                                                 "push_token_sandbox")))


@dataclass(frozen=True)
class UserExperiment:
    experiment_id: str
    variation: str


@dataclass(frozen=True)
class User:
    """A Taplytics user; ``id`` and ``created_at`` are the server's."""

    id: str
    created_at: datetime | None
    user_id: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    gender: str | None = None
    age: float | None = None
    custom_data: JSON = field(default_factory=dict)
    last_seen_ip: str | None = None
    location: Location | None = None
    session_count: int = 0
    devices: tuple[Device, ...] = ()
    experiments: tuple[UserExperiment, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> User:
        return cls.adopt(dict(data))

    @classmethod
    def adopt(cls, attrs: dict[str, Any]) -> User:
        """A user from a freshly decoded JSON object, which it takes over (and changes): no copy.

        The hot path of every users page (10,000 users: 10,000 calls). The object becomes the instance's
        attribute dict, fields the reply leaves out fall back to the class defaults, and only the values
        that need it are converted: several times faster than the generated ``__init__``. Equality, repr
        and immutability are unchanged (they read and guard the same attributes).
        """
        if not attrs.keys() <= _USER_FIELDS:
            attrs = {k: v for k, v in attrs.items() if k in _USER_FIELDS}
        attrs["id"] = str(attrs["id"])
        attrs["created_at"] = _time(attrs.get("created_at"))
        if attrs.get("custom_data") is None:
            attrs["custom_data"] = {}
        if attrs.get("session_count") is None:
            attrs["session_count"] = 0
        if "location" in attrs or "devices" in attrs or "experiments" in attrs:
            location, devices, experiments = attrs.get("location"), attrs.get("devices"), attrs.get("experiments")
            attrs["location"] = Location.from_json(location) if isinstance(location, Mapping) else None
            attrs["devices"] = tuple(map(Device.from_json, devices)) if devices else ()
            attrs["experiments"] = tuple(UserExperiment(str(e["experiment_id"]), str(e["variation"]))
                                         for e in experiments) if experiments else ()
        self = _new(cls)
        _setattr(self, "__dict__", attrs)
        return self


_USER_FIELDS = frozenset(f.name for f in fields(User))


class UserFields(TypedDict, total=False):
    """What ``users.save`` may set; ``custom_data`` merges into the stored one (top level only)."""

    user_id: str
    email: str
    first_name: str
    last_name: str
    name: str
    gender: str
    age: float
    custom_data: Mapping[str, Any]
    last_seen_ip: str
    location: Mapping[str, Any]
    session_count: int
    devices: Sequence[Mapping[str, str]]
    experiments: Sequence[Mapping[str, str]]


# -- experiments ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class DynamicVariable:
    name: str
    value: Any = None
    default_value: Any = None
    variable_type: str | None = None
    is_active: bool | None = None
    created_from: str | None = None
    id: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DynamicVariable:
        return cls(str(data["name"]), data.get("value"), data.get("defaultValue"), _str(data.get("variableType")),
                   data.get("isActive"), _str(data.get("createdFrom")), _str(data.get("_id")))


@dataclass(frozen=True)
class Variation:
    name: str
    id: str | None = None
    distribution_percent: float | None = None
    dynamic_variables: tuple[DynamicVariable, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Variation:
        return cls(str(data["name"]), _str(data.get("_id")), _float(data.get("distributionPercent")),
                   tuple(DynamicVariable.from_json(v) for v in data.get("dynamicVariables") or ()))


@dataclass(frozen=True)
class Experiment:
    id: str
    project_id: str
    name: str
    status: ExperimentStatus
    variations: tuple[Variation, ...]
    description: str = ""
    goal_ids: tuple[str, ...] = ()
    filters: tuple[Filter, ...] = ()
    baseline: Variation | None = None
    baseline_variation: str | None = None
    winning_variation: str | None = None
    min_app_version: str | None = None
    max_app_version: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Experiment:
        baseline = data.get("baseline")
        return cls(
            id=str(data["id"]), project_id=str(data.get("project_id", "")), name=str(data.get("name", "")),
            status=data["status"], variations=tuple(Variation.from_json(v) for v in data.get("variations") or ()),
            description=str(data.get("description") or ""), goal_ids=tuple(data.get("goal_ids") or ()),
            filters=tuple(Filter.from_json(f) for f in data.get("filters") or () if isinstance(f, Mapping)),
            baseline=Variation.from_json(baseline) if isinstance(baseline, Mapping) else None,
            baseline_variation=_str(data.get("baseline_variation")),
            winning_variation=_str(data.get("winning_variation")),
            min_app_version=_str(data.get("min_app_version")), max_app_version=_str(data.get("max_app_version")),
            created_at=_time(data.get("created_at")), updated_at=_time(data.get("updated_at")),
        )


# -- events --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Event:
    """One custom event; ``name`` is required. ``date`` defaults to when the server receives it."""

    name: str
    date: datetime | None = None
    value: float | None = None
    meta_data: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValidationError("name: every event needs a name", field="name")
        if self.value is not None and (isinstance(self.value, bool) or not isinstance(self.value, (int, float))):
            raise ValidationError("value: must be a number", field="value")

    def to_json(self) -> JSON:
        body: JSON = {"name": self.name}
        if self.date is not None:
            date = self.date if self.date.tzinfo else self.date.replace(tzinfo=UTC)
            body["date"] = date.isoformat()
        if self.value is not None:
            body["value"] = self.value
        if self.meta_data is not None:
            body["metaData"] = dict(self.meta_data)
        return body


# -- push ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Schedule:
    """When a push goes out: ``time`` (an aware datetime, sent in UTC) for everyone, or ``local_time``
    (a naive datetime) in each user's zone. At least one; with both, local time wins."""

    time: datetime | None = None
    local_time: datetime | None = None

    def __post_init__(self) -> None:
        if self.time is None and self.local_time is None:
            raise ValidationError("schedule: give time or local_time (or no schedule to send now)", field="schedule")
        if self.time is not None and self.time.tzinfo is None:
            raise ValidationError("schedule.time: must be timezone-aware (it is sent as UTC)", field="time")
        if self.local_time is not None and self.local_time.tzinfo is not None:
            raise ValidationError("schedule.local_time: must be naive (it is each user's local time)",
                                  field="local_time")

    def to_json(self) -> JSON:
        body: JSON = {}
        if self.time is not None:
            body["time"] = self.time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if self.local_time is not None:
            body["local_time"] = self.local_time.strftime("%Y-%m-%dT%H:%M:%S")
        return body

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Schedule | None:
        """None for ``{"now": true}`` (an immediate push)."""
        time, local = _time(data.get("time")), _time(data.get("local_time"))
        if time is None and local is None:
            return None
        return cls(time, local.replace(tzinfo=None) if local else None)


@dataclass(frozen=True)
class Notification:
    alert: str | None = None
    time_to_live: float | None = None
    extra: JSON = field(default_factory=dict)

    def to_json(self) -> JSON:
        body: JSON = dict(self.extra)
        if self.alert is not None:
            body["alert"] = self.alert
        if self.time_to_live is not None:
            body["time_to_live"] = self.time_to_live
        return body

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Notification:
        extra = {k: v for k, v in data.items() if k not in ("alert", "time_to_live")}
        return cls(_str(data.get("alert")), _float(data.get("time_to_live")), extra)


@dataclass(frozen=True)
class Image:
    """A rich image push: ``url`` must end in .jpg, .jpeg or .png; ``tl_cdn`` re-uploads it to Taplytics' CDN."""

    url: str
    tl_cdn: bool | None = None

    def to_json(self) -> JSON:
        return {"url": self.url} if self.tl_cdn is None else {"url": self.url, "tl_cdn": self.tl_cdn}


@dataclass(frozen=True)
class PushNotification:
    id: str
    status: str
    created_at: datetime | None
    notification: Notification
    #: None: sent at once (the server's ``{"now": true}``).
    schedule: Schedule | None
    production: bool
    filter_duplicate_content: bool
    filters: tuple[Filter, ...] = ()
    name: str | None = None
    image: Image | None = None
    custom_keys: JSON | None = None
    is_silent: bool | None = None
    badge_count: float | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PushNotification:
        image = data.get("image")
        return cls(
            id=str(data["id"]), status=str(data.get("status", "")), created_at=_time(data.get("created_at")),
            notification=Notification.from_json(data.get("notification") or {}),
            schedule=Schedule.from_json(data.get("schedule") or {}),
            production=bool(data.get("production", False)),
            filter_duplicate_content=bool(data.get("filter_duplicate_content", True)),
            filters=tuple(Filter.from_json(f) for f in data.get("filters") or ()),
            name=_str(data.get("name")),
            image=Image(str(image["url"]), image.get("tl_cdn")) if isinstance(image, Mapping) else None,
            custom_keys=dict(data["custom_keys"]) if isinstance(data.get("custom_keys"), Mapping) else None,
            is_silent=data.get("is_silent"), badge_count=_float(data.get("badge_count")),
        )
