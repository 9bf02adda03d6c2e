"""Which fields are secrets, in every service: the SDK's redaction and the server's journal both mask them."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

__all__ = ["MASK", "SECRET_HEADERS", "SECRET_PARAMS", "SECRET_PATH_ARGS", "redact_query"]

MASK = "***"
#: Query, form and JSON field names whose values are secrets, in every service.
SECRET_PARAMS = frozenset(
    {"ezkey", "email", "key", "ukey", "app_key", "api_key", "auth_token", "api_token", "token", "checksum"}
)
#: URL path variables (Flask ``view_args``) whose values are secrets, e.g. Cyfe's ``/api/push/<widget_key>``.
SECRET_PATH_ARGS = frozenset({"widget_key"})
#: Header names whose values are secrets.
SECRET_HEADERS = frozenset({"authorization", "x-access-token", "countly-token", "cookie", "x-api-key"})


def redact_query(query: str) -> str:
    """A query string with the values of secret parameters masked."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, MASK if k.lower() in SECRET_PARAMS else v) for k, v in pairs], safe="*")
