"""Countly's whole state read back as a ``/_admin/seed`` countly section: seeding it into a server that holds
none of its apps rebuilds the same state, document for document.

Countly keeps aggregates, not the requests that made them (as Countly does), so there are no events to give
back: the export is the stored documents themselves. Apps and members are seed parts of their own; what an
app holds (time buckets, app users, the last-session index, the events catalogue, remote and SDK config) is
one ``documents`` entry a stored document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...store import Store
from .model import APPS, EVENTS, MEMBERS, REMOTE_CONFIG, SDK_CONFIG, agg_ns, lsidx_ns, users_ns

__all__ = ["APP_DOCUMENTS", "KEYED_DOCUMENTS", "export_seed"]

#: Kinds with one document an app (stored under the app id).
APP_DOCUMENTS: dict[str, str] = {"events": EVENTS, "remote_config": REMOTE_CONFIG, "sdk_config": SDK_CONFIG}
#: Kinds with many documents an app (a namespace of the app), each under its ``key``.
KEYED_DOCUMENTS: dict[str, Callable[[str], str]] = {"agg": agg_ns, "appusers": users_ns, "lsidx": lsidx_ns}


def export_seed(store: Store) -> dict[str, list[Any]]:
    """Apps, members, then every document of every app (the apps first: a document names its app)."""
    apps = [a for _, a in store.items(APPS)]
    documents: list[dict[str, Any]] = []
    for app in apps:
        app_id = app["app_id"]
        for kind, ns in APP_DOCUMENTS.items():
            value = store.get(ns, app_id)
            if value is not None:
                documents.append({"kind": kind, "app_id": app_id, "value": value})
        for kind, make_ns in KEYED_DOCUMENTS.items():
            documents += [{"kind": kind, "app_id": app_id, "key": key, "value": value}
                          for key, value in store.items(make_ns(app_id))]
    return {"apps": apps, "members": [m for _, m in store.items(MEMBERS)], "documents": documents}
