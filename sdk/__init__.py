"""analytics-api-kit SDK: typed clients for StatHat, Countly, Taplytics, Cyfe and the reports API."""

import warnings
from typing import TYPE_CHECKING, Any

from ._batching import AsyncBatcher, BatchConfig, Batcher, FlushResult
from ._client import DEFAULT_TIMEOUT, AsyncAPIClient, RawResponse, RawResponses, Request, SyncAPIClient
from ._errors import (
    APIError,
    APITimeoutError,
    BadRequest,
    BatchError,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    QueueFull,
    RateLimited,
    Reason,
    RequestFailed,
    SDKError,
    ServerError,
    TransportError,
    Unauthorized,
    ValidationError,
    WaitTimeout,
)
from ._pagination import AsyncPaginator, Page, Paginator
from ._retry import ALWAYS_SAFE_STATUSES, RETRYABLE_STATUSES, RetryPolicy, parse_retry_after
from ._transports import AsyncWSGITransport
from ._version import __version__
from .admin import AdminClient, AsyncAdminClient, Fault, JournalEntry, Seed
from .countly import (
    AsyncCountlyClient,
    AsyncCountlySession,
    CountlyClient,
    CountlySession,
    CountryRow,
    Dashboard,
    EventCatalogue,
    TimeData,
)
from .cyfe import CHART_TYPES, AsyncCyfeClient, ChartType, CyfeClient, MetricOptions, cyfe_date
from .reports import (
    AWARENESS_FIELDS,
    READ_FIELDS,
    AsyncReportsClient,
    AwarenessField,
    DateLike,
    DayHourCount,
    FieldSelectionCount,
    OverTimeBucket,
    ReadField,
    ReadStats,
    ReportImage,
    ReportsClient,
    StateCount,
    UserAwareness,
    UserCount,
    WeekDayCount,
)
from .stathat import AsyncStatHatClient, Stat, StatHatClient
from .taplytics import AsyncTaplyticsClient, TaplyticsClient

__all__ = [
    "ALWAYS_SAFE_STATUSES",
    "AWARENESS_FIELDS",
    "CHART_TYPES",
    "DEFAULT_TIMEOUT",
    "READ_FIELDS",
    "RETRYABLE_STATUSES",
    "APIError",
    "APITimeoutError",
    "AdminClient",
    "AsyncAPIClient",
    "AsyncAdminClient",
    "AsyncBatcher",
    "AsyncCountlyClient",
    "AsyncCountlySession",
    "AsyncCyfeClient",
    "AsyncPaginator",
    "AsyncReportsClient",
    "AsyncStatHatClient",
    "AsyncTaplyticsClient",
    "AsyncWSGITransport",
    "AwarenessField",
    "BadRequest",
    "BatchConfig",
    "BatchError",
    "Batcher",
    "ChartType",
    "CountlyClient",
    "CountlySession",
    "CountryRow",
    "CyfeClient",
    "Dashboard",
    "DateLike",
    "DayHourCount",
    "EventCatalogue",
    "Fault",
    "FieldSelectionCount",
    "FlushResult",
    "Forbidden",
    "JournalEntry",
    "MetricOptions",
    "NotFound",
    "OverTimeBucket",
    "Page",
    "Paginator",
    "PayloadTooLarge",
    "QueueFull",
    "RateLimited",
    "RawResponse",
    "RawResponses",
    "ReadField",
    "ReadStats",
    "Reason",
    "ReportImage",
    "ReportsClient",
    "Request",
    "RequestFailed",
    "RetryPolicy",
    "SDKError",
    "Seed",
    "ServerError",
    "Stat",
    "StatHatClient",
    "StateCount",
    "SyncAPIClient",
    "TaplyticsClient",
    "TimeData",
    "TransportError",
    "Unauthorized",
    "UserAwareness",
    "UserCount",
    "ValidationError",
    "WaitTimeout",
    "WeekDayCount",
    "__version__",
    "cyfe_date",
    "parse_retry_after",
]

if TYPE_CHECKING:
    #: Deprecated alias of ``APITimeoutError`` (the old name shadowed the builtin); removed in 0.3.
    TimeoutError = APITimeoutError
else:
    def __getattr__(name: str) -> Any:
        if name == "TimeoutError":
            warnings.warn("sdk.TimeoutError is deprecated (it shadowed the builtin TimeoutError): "
                          "use sdk.APITimeoutError", DeprecationWarning, stacklevel=2)
            return APITimeoutError
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
