"""analytics-api-kit SDK: typed clients for StatHat, Countly, Taplytics, Cyfe and the reports API."""

from ._batching import AsyncBatcher, BatchConfig, Batcher, FlushResult
from ._client import DEFAULT_TIMEOUT, AsyncAPIClient, Request, SyncAPIClient
from ._errors import (
    APIError,
    BadRequest,
    BatchError,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    QueueFull,
    RateLimited,
    RequestFailed,
    SDKError,
    ServerError,
    TimeoutError,
    TransportError,
    Unauthorized,
    ValidationError,
)
from ._pagination import AsyncPaginator, Page, Paginator
from ._retry import ALWAYS_SAFE_STATUSES, RETRYABLE_STATUSES, RetryPolicy, parse_retry_after
from ._version import __version__
from .cyfe import CHART_TYPES, AsyncCyfeClient, ChartType, CyfeClient, MetricOptions, cyfe_date
from .stathat import AsyncStatHatClient, Stat, StatHatClient

__all__ = [
    "ALWAYS_SAFE_STATUSES",
    "CHART_TYPES",
    "DEFAULT_TIMEOUT",
    "RETRYABLE_STATUSES",
    "APIError",
    "AsyncAPIClient",
    "AsyncBatcher",
    "AsyncCyfeClient",
    "AsyncPaginator",
    "AsyncStatHatClient",
    "BadRequest",
    "BatchConfig",
    "BatchError",
    "Batcher",
    "ChartType",
    "CyfeClient",
    "FlushResult",
    "Forbidden",
    "MetricOptions",
    "NotFound",
    "Page",
    "Paginator",
    "PayloadTooLarge",
    "QueueFull",
    "RateLimited",
    "Request",
    "RequestFailed",
    "RetryPolicy",
    "SDKError",
    "ServerError",
    "Stat",
    "StatHatClient",
    "SyncAPIClient",
    "TimeoutError",
    "TransportError",
    "Unauthorized",
    "ValidationError",
    "__version__",
    "cyfe_date",
    "parse_retry_after",
]
