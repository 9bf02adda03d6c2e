"""The store under every service: namespaced JSON documents, in memory, in SQLite or in PostgreSQL.

Every value goes in and out as JSON, so both stores behave alike (no aliasing of a fetched value)
and a backend written against one works against the other. ``transaction()`` makes a read-modify-write
atomic across threads (memory), worker processes (SQLite) and instances (PostgreSQL); see ``sqlstore``.
``snapshot()`` gives reads one consistent state without the write lock (a page and its total).
Keys keep their first insertion order; ``items(offset, limit)`` reads a slice of that order without
walking what comes before it in memory, and through the primary-key index in SQLite.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

from .sqlstore import SqliteStore, _dump, _load, _load_rows

__all__ = ["STORE_FORMS", "MemoryStore", "SqliteStore", "Store", "open_store"]


class Store(Protocol):
    def get(self, ns: str, key: str) -> Any: ...
    def put(self, ns: str, key: str, value: Any) -> None: ...
    def append(self, ns: str, value: Any, keep: int) -> None: ...
    def delete(self, ns: str, key: str) -> bool: ...
    def items(self, ns: str, offset: int = 0, limit: int | None = None) -> list[tuple[str, Any]]: ...
    def count(self, ns: str) -> int: ...
    def index_of(self, ns: str, key: str) -> int | None: ...
    def clear(self, ns: str | None = None) -> None: ...
    def transaction(self) -> AbstractContextManager[None]: ...
    def snapshot(self) -> AbstractContextManager[None]: ...
    def close(self) -> None: ...


class _Namespace:
    """One namespace in memory: key → JSON text, plus the keys in insertion order for O(1) slicing.

    ``order`` holds the keys in first insertion order, a deleted one leaving a hole (``None``); ``where`` says
    where each key sits in it, so a delete is O(1) (no ``order.index`` scan). ``head`` is the position of the
    first live key (the holes before it cost a slice nothing, which is how a log trimmed at its start, the
    journal, stays O(1) a write); holes in the middle are compacted by the next read of a slice, and all of
    them once they are more than half of ``order`` (amortised O(1) a delete).
    """

    __slots__ = ("data", "head", "holes", "next_seq", "order", "where")

    def __init__(self) -> None:
        self.data: dict[str, str] = {}
        self.order: list[str | None] = []
        self.where: dict[str, int] = {}
        self.holes = 0
        self.head = 0
        self.next_seq = 0

    def add_key(self, key: str) -> None:
        self.where[key] = len(self.order)
        self.order.append(key)

    def drop_key(self, key: str) -> None:
        at = self.where.pop(key)
        self.order[at] = None
        self.holes += 1
        if at == self.head:
            order, head, end = self.order, self.head, len(self.order)
            while head < end and order[head] is None:
                head += 1
            self.head = head
        if self.holes > 64 and 2 * self.holes > len(self.order):
            self.compact()

    def compact(self) -> None:
        live = [k for k in self.order if k is not None]
        self.order = list(live)
        self.where = {k: i for i, k in enumerate(live)}
        self.holes = self.head = 0

    def live_slice(self, offset: int, limit: int | None) -> list[str | None]:
        if self.holes > self.head:  # holes after the first live key: offsets need them gone
            self.compact()
        start = self.head + offset
        return self.order[start:] if limit is None else self.order[start: start + limit]


class MemoryStore:
    """In-process store: a dict per namespace, guarded by one re-entrant lock.

    A transaction keeps an undo log (each key's first value, each namespace cleared), so an error inside
    it leaves the store as it was, as SQLite's ROLLBACK does. A rolled-back delete puts its key back last.
    """

    url = "memory://"

    def __init__(self) -> None:
        self._ns: dict[str, _Namespace] = {}
        self._lock = threading.RLock()
        self._depth = 0
        self._undo: dict[tuple[str, str], str | None] = {}
        self._cleared: dict[str, _Namespace | None] = {}

    def _space(self, ns: str) -> _Namespace:
        space = self._ns.get(ns)
        if space is None:
            space = self._ns[ns] = _Namespace()
        return space

    def _remember(self, ns: str, key: str, space: _Namespace) -> None:
        if self._depth and ns not in self._cleared and (ns, key) not in self._undo:
            self._undo[(ns, key)] = space.data.get(key)

    def get(self, ns: str, key: str) -> Any:
        with self._lock:
            text = self._space(ns).data.get(key)
        return None if text is None else _load(text)

    def put(self, ns: str, key: str, value: Any) -> None:
        text = _dump(value)
        with self._lock:
            space = self._space(ns)
            self._remember(ns, key, space)
            if key not in space.data:
                space.add_key(key)
            space.data[key] = text

    def append(self, ns: str, value: Any, keep: int) -> None:
        """Add ``value`` after every other value of ``ns``, under the next sequence number, and delete the oldest
        beyond the newest ``keep``: O(1) however many were appended before (the request journal)."""
        text = _dump(value)
        with self._lock:
            space = self._space(ns)
            key = f"{space.next_seq:016d}"
            space.next_seq += 1
            self._remember(ns, key, space)
            if key not in space.data:
                space.add_key(key)
            space.data[key] = text
            while len(space.data) > keep:
                oldest = space.order[space.head]
                assert oldest is not None
                self._remember(ns, oldest, space)
                del space.data[oldest]
                space.drop_key(oldest)

    def delete(self, ns: str, key: str) -> bool:
        with self._lock:
            space = self._space(ns)
            if key not in space.data:
                return False
            self._remember(ns, key, space)
            del space.data[key]
            space.drop_key(key)
            return True

    def items(self, ns: str, offset: int = 0, limit: int | None = None) -> list[tuple[str, Any]]:
        with self._lock:
            space = self._space(ns)
            keys = space.live_slice(offset, limit)
            texts = [(k, space.data[k]) for k in keys if k is not None]
        return _load_rows(texts)

    def index_of(self, ns: str, key: str) -> int | None:
        with self._lock:
            space = self._space(ns)
            if key not in space.data:
                return None
            if space.holes > space.head:
                space.compact()
            return space.where[key] - space.head

    def count(self, ns: str) -> int:
        with self._lock:
            return len(self._space(ns).data)

    def clear(self, ns: str | None = None) -> None:
        with self._lock:
            for name in list(self._ns) if ns is None else [ns]:
                if self._depth and name not in self._cleared:
                    self._cleared[name] = self._ns.get(name)
                self._ns.pop(name, None)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            self._depth += 1
            try:
                yield
            except BaseException:
                if self._depth == 1:
                    self._rollback()
                raise
            finally:
                self._depth -= 1
                if not self._depth:
                    self._undo.clear()
                    self._cleared.clear()

    def snapshot(self) -> AbstractContextManager[None]:
        """Reads that see one state: in memory, the store's one lock (SQL stores take no write lock here)."""
        return self.transaction()

    def _rollback(self) -> None:
        for ns, old in self._cleared.items():
            if old is None:
                self._ns.pop(ns, None)
            else:
                self._ns[ns] = old
        for (ns, key), text in self._undo.items():
            space = self._space(ns)
            if text is None:
                if space.data.pop(key, None) is not None:
                    space.drop_key(key)
            else:
                if key not in space.data:
                    space.add_key(key)
                space.data[key] = text

    def close(self) -> None:
        pass


STORE_FORMS = "memory://, sqlite:///path.db (relative) or sqlite:////abs/path.db, postgresql://user@host/db"


def open_store(url: str | None, *, migrate: bool = False) -> Store:
    """``memory://`` (the default), ``sqlite:///relative.db`` / ``sqlite:////absolute.db``, or
    ``postgresql://user@host:port/db[?schema=name]``. A malformed URL, a missing directory, a file that is not
    a store, a database that cannot be reached: a ``ValueError`` that says which. ``migrate`` upgrades a store
    of an older layout in place instead of refusing it.
    """
    if not url or url == "memory://":
        return MemoryStore()
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return SqliteStore(url.removeprefix("sqlite:///"), migrate=migrate)
    if url.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresStore

        return PostgresStore(url, migrate=migrate)
    raise ValueError(f"unknown store {url!r}: use {STORE_FORMS}")
