"""The reference server's ``/_admin`` API as ``export`` and ``tail`` need it (GET and POST, clear errors)."""

from __future__ import annotations

from typing import Any

import httpx

from .._errors import APIError, TransportError, error_class

__all__ = ["AdminHTTP"]


class AdminHTTP:
    def __init__(self, server: str, http: httpx.Client) -> None:
        self.server = server.rstrip("/")
        self.http = http

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self._call("GET", path, params=params or {})

    def post(self, path: str, body: Any) -> Any:
        return self._call("POST", path, json=body)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.http.request(method, self.server + path, **kwargs)
        except httpx.TransportError as exc:
            raise TransportError(f"cannot reach {self.server}: {exc}") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code == 404 and path.startswith("/_admin") and not isinstance(body, dict):
            raise APIError(f"{self.server} has no /_admin: not an analytics-api-kit reference server",
                           status=404, body=body)
        if response.status_code >= 400:
            message = body.get("error") or body.get("message") if isinstance(body, dict) else None
            raise error_class(response.status_code)(f"{method} {path}: HTTP {response.status_code}: "
                                                    f"{message or response.text[:200]}",
                                                    status=response.status_code, body=body)
        return body
