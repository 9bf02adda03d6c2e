"""Countly's state in the store: apps, members, app users, the events list, and the time-bucket documents.

Aggregates live in one namespace per app, so ``/i/apps/reset`` clears an app in O(1):

* ``countly.agg.<app_id>`` ``<collection>|<YYYY>:<M>``: a month document, ``{"<D>": {"<H>": {...}, ...}}``
  (day and hour data); ``<collection>|<YYYY>:0``: the zero document of the year,
  ``{"d": {unique fields at year level, "<M>": {...}, "w<k>": {...}}, "meta": {"<set>": [values]}}``.
  Collections: ``users``, ``device_details``, ``devices``, ``carriers``, ``langs``, ``cities``,
  ``density``, ``ev:<key>:no-segment``, ``ev:<key>:<segment key>`` and ``view:<view id>``;
  ``viewsmeta``: ``{"<view id>": {"view": name, "url": ...}}``.
* ``countly.appusers.<app_id>`` ``<sha1(app_key + device_id)>``: the app user (fs, ls, lest, hos, sd, tsd,
  cc, metric values, last_req, pending_e; for views lv, vc and ``views`` {view id: last visit}).
* ``countly.lsidx.<app_id>`` ``<YYYY>:<M>``: ``{"<D>": {"u": n, "cc": {"TR": n}}}``: how many users have
  their last session start on that day. Counting users whose ``ls`` falls in a period (the dashboard's
  ``total_users`` override) then reads one small document per month instead of every app user.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from ...store import Store

__all__ = ["APPS", "APP_KEYS", "EVENTS", "MEMBERS", "REMOTE_CONFIG", "SDK_CONFIG", "TOKENS", "Work", "add_to", "agg_ns",
           "app_user_id", "lsidx_ns", "users_ns"]

APPS = "countly.apps"  # app_id -> {"app_id", "app_key", "name", "timezone", "country", "salt", "paused"}
APP_KEYS = "countly.app_keys"  # app_key -> app_id
MEMBERS = "countly.members"  # api_key -> {"api_key", "admin", "locked", "rights": {app_id: ["read", "write"]}}
TOKENS = "countly.tokens"  # auth token -> api_key
EVENTS = "countly.events"  # app_id -> {"list": [...], "segments": {key: [...]}}
REMOTE_CONFIG = "countly.remote_config"  # app_id -> {parameter key: value} (the remote-config plugin)
SDK_CONFIG = "countly.sdk_config"  # app_id -> {"t": ms when set, "c": {...}} (the sdk plugin's config)


def app_user_id(app_key: str, device_id: str) -> str:
    """The app user's id, ``sha1(app_key + device_id)`` as Countly makes it."""
    return hashlib.sha1((app_key + device_id).encode()).hexdigest()


def agg_ns(app_id: str) -> str:
    return f"countly.agg.{app_id}"


def users_ns(app_id: str) -> str:
    return f"countly.appusers.{app_id}"


def lsidx_ns(app_id: str) -> str:
    return f"countly.lsidx.{app_id}"


def add_to(doc: dict[str, Any], path: Iterable[str], value: float) -> None:
    """``doc[a][b][c] += value``, creating the levels on the way."""
    keys = list(path)
    for key in keys[:-1]:
        doc = doc.setdefault(key, {})
    last = keys[-1]
    total = doc.get(last, 0) + value
    doc[last] = round(total, 5) if isinstance(total, float) else total


class Work:
    """A unit of work: documents read once, changed in memory, written back once at ``flush``.

    A bulk request of thousands of entries then costs one read and one write per touched document.
    The caller holds the store's transaction around the whole unit.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._docs: dict[tuple[str, str], Any] = {}
        self._dirty: set[tuple[str, str]] = set()

    def get(self, ns: str, key: str, default: Any = None) -> Any:
        slot = (ns, key)
        if slot not in self._docs:
            value = self.store.get(ns, key)
            self._docs[slot] = default if value is None else value
        elif self._docs[slot] is None and default is not None:
            self._docs[slot] = default  # deleted in this unit of work: starts afresh
        return self._docs[slot]

    def put(self, ns: str, key: str, value: Any) -> None:
        self._docs[(ns, key)] = value
        self._dirty.add((ns, key))

    def delete(self, ns: str, key: str) -> None:
        """Remove the document at ``flush`` (a later ``get`` with a default starts it afresh)."""
        self.put(ns, key, None)

    def doc(self, ns: str, key: str, default: Any) -> Any:
        """The document for changing in place (marked to be written back)."""
        value = self.get(ns, key, default)
        self._dirty.add((ns, key))
        return value

    def flush(self) -> None:
        for ns, key in self._dirty:
            value = self._docs[(ns, key)]
            if value is None:
                self.store.delete(ns, key)
            else:
                self.store.put(ns, key, value)
        self._dirty.clear()
