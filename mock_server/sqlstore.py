"""The SQL stores: what SQLite and PostgreSQL share (the queries, connections per process and thread, the
versioned layout), and the SQLite store itself. ``mock_server.postgres`` holds the PostgreSQL one.

Order: each row has a ``pos``, dense within its namespace (first insertion order, from MIN(pos) to MAX(pos)
with no gap), so ``items(offset, limit)`` seeks ``pos >= MIN(pos) + offset`` through the ``(ns, pos)`` index
instead of walking ``offset`` rows (page 1000 of 100k users cost 23x page 1 with ``OFFSET``). Deleting the first
or last row keeps the positions dense as they are; deleting one in the middle shifts the later ones down
(rare: a user or experiment deleted).

Isolation: a write transaction holds the store's one write lock from its first statement (SQLite ``BEGIN
IMMEDIATE``, a PostgreSQL advisory lock), so two read-modify-writes never interleave, in threads, worker
processes or (PostgreSQL) instances on other machines. Reads outside a transaction take no lock. Every write
goes through a transaction, so a new key's position is computed and taken under the lock.

Connections: one per thread of each process. A forked worker never touches its parent's connection (the
process id is part of the key); it opens its own on first use.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from schemas import wire

__all__ = ["SCHEMA_VERSION", "SqlStore", "SqliteStore", "StoreLayoutError"]

#: The layout this code reads and writes. 1: ``kv`` without positions (before 0.1); 2: dense positions.
SCHEMA_VERSION = 2


class StoreLayoutError(ValueError):
    """The store was written with another layout; the message says what to do."""


def _dump(value: Any) -> str:
    """Every store's one way to write a value. Nothing non-finite is ever stored: it could not be served back as
    strict JSON."""
    return wire.dumps(value)


def _load(text: str) -> Any:
    """Every store's one way to read a value back (orjson's speed, ``json.loads``'s value: ``wire.standard_loads``)."""
    return wire.standard_loads(text)


def _load_rows(rows: list[tuple[str, str]]) -> list[tuple[str, Any]]:
    """``[(key, _load(text)) ...]`` with one guard and one parse for them all, as one JSON array: a page of 100
    documents costs one call instead of 100 (the same values: each text is a whole JSON value)."""
    if not rows:
        return []
    values = wire.standard_loads(f"[{','.join(text for _, text in rows)}]")
    return [(key, value) for (key, _), value in zip(rows, values, strict=True)]


#: A namespace's first and last positions, each through the ``(ns, pos)`` index: SQLite answers a lone MIN or MAX
#: from one end of the index, but ``SELECT MIN(pos), MAX(pos)`` walks every row of the namespace.
_FIRST_LAST = "SELECT (SELECT MIN(pos) FROM kv WHERE ns=?), (SELECT MAX(pos) FROM kv WHERE ns=?)"


class _Cursor(Protocol):
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class _Connection(Protocol):
    def execute(self, sql: Any, params: Any = ...) -> Any: ...
    def close(self) -> None: ...


class SqlStore:
    """The store protocol over one ``kv`` table; subclasses connect, lock and know their layout version."""

    url: str
    #: The ``kv`` table's name as the queries spell it, and the driver's placeholder.
    table = "kv"
    mark = "?"

    def __init__(self) -> None:
        self._local = threading.local()
        self._all: list[tuple[int, _Connection]] = []
        self._all_lock = threading.Lock()
        self._writer, self._writer_pid = threading.Lock(), os.getpid()

    # -- what a subclass provides ---------------------------------------------------------------------------

    def _connect(self) -> _Connection:
        raise NotImplementedError

    def _begin(self, conn: _Connection) -> None:
        raise NotImplementedError

    def _begin_read(self, conn: _Connection) -> None:
        raise NotImplementedError

    def _usable(self, conn: _Connection) -> bool:
        return True

    # -- connections ----------------------------------------------------------------------------------------

    def _conn(self) -> _Connection:
        local = self._local
        conn: _Connection | None = getattr(local, "conn", None)
        if conn is None or local.pid != os.getpid() or (local.depth == 0 and not self._usable(conn)):
            # A forked child's copy of the parent's connection is left alone (closing it would close the
            # parent's session); this process opens its own.
            conn = self._connect()
            local.conn, local.pid, local.depth = conn, os.getpid(), 0
            with self._all_lock:
                self._all.append((os.getpid(), conn))
        return conn

    def _q(self, sql: str) -> str:
        """The query in this driver's spelling (table name, placeholder); written once for both."""
        if self.table == "kv" and self.mark == "?":
            return sql
        return re.sub(r"\bkv\b", self.table, sql).replace("?", self.mark)

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> _Cursor:
        cursor: _Cursor = self._conn().execute(self._q(sql), params)
        return cursor

    # -- the store protocol ---------------------------------------------------------------------------------

    def get(self, ns: str, key: str) -> Any:
        row = self._run("SELECT value FROM kv WHERE ns=? AND key=?", (ns, key)).fetchone()
        return None if row is None else _load(row[0])

    def put(self, ns: str, key: str, value: Any) -> None:
        with self.transaction():  # a new key's position is MAX(pos) + 1, taken under the write lock
            self._run(
                "INSERT INTO kv (ns, key, value, pos) VALUES (?, ?, ?,"
                " COALESCE((SELECT MAX(pos) FROM kv WHERE ns=?), -1) + 1)"
                " ON CONFLICT (ns, key) DO UPDATE SET value=excluded.value",
                (ns, key, _dump(value), ns),
            )

    def append(self, ns: str, value: Any, keep: int) -> None:
        """Add ``value`` last in ``ns`` (its key the position, 16 digits) and delete what is beyond the newest
        ``keep``: three statements through the ``(ns, pos)`` index, whatever has been appended before."""
        with self.transaction():
            first, last = self._run(_FIRST_LAST, (ns, ns)).fetchone()
            pos = 0 if last is None else int(last) + 1
            self._run("INSERT INTO kv (ns, key, value, pos) VALUES (?, ?, ?, ?)",
                      (ns, f"{pos:016d}", _dump(value), pos))
            if first is not None and pos - int(first) + 1 > keep:
                self._run("DELETE FROM kv WHERE ns=? AND pos<=?", (ns, pos - keep))

    def delete(self, ns: str, key: str) -> bool:
        with self.transaction():
            row = self._run("SELECT pos FROM kv WHERE ns=? AND key=?", (ns, key)).fetchone()
            if row is None:
                return False
            self._run("DELETE FROM kv WHERE ns=? AND key=?", (ns, key))
            # Keep positions dense: only rows after a middle one move (none after the last; the first
            # leaves MIN(pos) one higher, which is all a slice needs).
            first = self._run("SELECT MIN(pos) FROM kv WHERE ns=?", (ns,)).fetchone()[0]
            if first is not None and first < row[0]:
                self._run("UPDATE kv SET pos = pos - 1 WHERE ns=? AND pos>?", (ns, row[0]))
            return True

    def items(self, ns: str, offset: int = 0, limit: int | None = None) -> list[tuple[str, Any]]:
        # One statement, so the first position and the rows come from one snapshot.
        rows = self._run(
            "SELECT key, value FROM kv WHERE ns=? AND pos >= (SELECT MIN(pos) FROM kv WHERE ns=?) + ?"
            " ORDER BY pos" + ("" if limit is None else " LIMIT ?"),
            (ns, ns, offset) if limit is None else (ns, ns, offset, limit),
        ).fetchall()
        return _load_rows(rows)

    def index_of(self, ns: str, key: str) -> int | None:
        row = self._run(
            "SELECT pos - (SELECT MIN(pos) FROM kv WHERE ns=?) FROM kv WHERE ns=? AND key=?", (ns, ns, key)
        ).fetchone()
        return None if row is None else int(row[0])

    def count(self, ns: str) -> int:
        first, last = self._run(_FIRST_LAST, (ns, ns)).fetchone()
        return 0 if first is None else int(last) - int(first) + 1

    def clear(self, ns: str | None = None) -> None:
        with self.transaction():
            if ns is None:
                self._run("DELETE FROM kv")
            else:
                self._run("DELETE FROM kv WHERE ns=?", (ns,))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        conn = self._conn()
        if self._local.depth:  # nested: joins the outer one
            if getattr(self._local, "reading", False):
                raise RuntimeError("a write transaction inside a snapshot (take the transaction first)")
            with self._joined():
                yield
            return
        # The threads of one process queue on a lock of their own first, so only one of them at a time waits
        # for the database's write lock: SQLite's busy handler sleeps and retries, and PostgreSQL wakes its
        # waiters one backend at a time; queueing there cost 2-3x the transaction itself under 8 threads.
        with self._writer_lock():
            self._begin(conn)
            self._local.depth = 1
            try:
                yield
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            else:
                conn.execute("COMMIT")
            finally:
                self._local.depth = 0

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads that see one state of the store, without the write lock: writers in other threads, processes
        and instances go on meanwhile (SQLite's WAL snapshot, PostgreSQL's REPEATABLE READ READ ONLY). Inside a
        transaction it joins it."""
        conn = self._conn()
        if self._local.depth:
            with self._joined():
                yield
            return
        self._begin_read(conn)
        self._local.depth, self._local.reading = 1, True
        try:
            yield
        finally:
            self._local.depth, self._local.reading = 0, False
            conn.execute("ROLLBACK")  # nothing to keep: a read-only snapshot

    @contextmanager
    def _joined(self) -> Iterator[None]:
        """Inside the transaction or snapshot this thread already has open: it goes on until the outer one ends."""
        self._local.depth += 1
        try:
            yield
        finally:
            self._local.depth -= 1

    def _writer_lock(self) -> threading.Lock:
        if self._writer_pid != os.getpid():  # a lock copied by fork may be held by a thread that is not here
            self._writer, self._writer_pid = threading.Lock(), os.getpid()
        return self._writer

    def close(self) -> None:
        """Close every connection this process opened (each thread's); a parent's are left to the parent."""
        with self._all_lock:
            mine = [c for pid, c in self._all if pid == os.getpid()]
            self._all = [(pid, c) for pid, c in self._all if pid != os.getpid()]
        for conn in mine:
            with contextlib.suppress(Exception):  # a connection already broken has nothing left to close
                conn.close()
        self._local.conn = None


class SqliteStore(SqlStore):
    """A file store that survives restarts and is shared by several worker processes (WAL, busy timeout).

    The file's ``PRAGMA user_version`` is its layout version; a file of an older one is refused with what to
    do unless ``migrate=True`` (``mock-server --migrate``), which upgrades it in place.
    """

    def __init__(self, path: str, *, migrate: bool = False) -> None:
        super().__init__()
        self.path = path
        self.url = f"sqlite:///{path}"
        parent = Path(path).resolve().parent
        if not parent.is_dir():
            raise ValueError(f"{self.url}: directory {parent} does not exist (it is not created for you)")
        if Path(path).is_dir():
            raise ValueError(f"{self.url}: {path} is a directory, not a database file")
        try:
            self._open(migrate)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise ValueError(f"{self.url}: {path} is not a SQLite store ({exc})") from None

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA synchronous=NORMAL")  # WAL: a commit survives a killed process, not a power cut
        return conn

    def _begin(self, conn: _Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")

    def _begin_read(self, conn: _Connection) -> None:
        conn.execute("BEGIN")  # deferred: a read snapshot from the first SELECT, no write lock (WAL)

    def _open(self, migrate: bool) -> None:
        conn = self._conn()
        conn.execute("PRAGMA journal_mode=WAL")
        with self.transaction():
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            columns = {row[1] for row in conn.execute("PRAGMA table_info(kv)")}
            if version == 0 and columns:  # made before the layout had a number
                version = 2 if "pos" in columns else 1
            if version > SCHEMA_VERSION:
                raise StoreLayoutError(
                    f"{self.url}: layout version {version} was written by a newer analytics-api-kit (this one "
                    f"reads {SCHEMA_VERSION}); upgrade analytics-api-kit or use another file")
            if version == 1 and not migrate:
                raise StoreLayoutError(
                    f"{self.url}: a store file of an older layout (version 1, no positions; this server needs "
                    f"{SCHEMA_VERSION}): run mock-server --store {self.url} --migrate to upgrade it in place "
                    "(back the file up first), or start from a new file")
            if version == 1:
                conn.execute("ALTER TABLE kv ADD COLUMN pos INTEGER NOT NULL DEFAULT 0")
                conn.execute("UPDATE kv SET pos = (SELECT COUNT(*) FROM kv AS o WHERE o.ns = kv.ns AND o.id < kv.id)")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS kv (id INTEGER PRIMARY KEY AUTOINCREMENT, ns TEXT NOT NULL,"
                " key TEXT NOT NULL, value TEXT NOT NULL, pos INTEGER NOT NULL, UNIQUE (ns, key))"
            )
            conn.execute("CREATE INDEX IF NOT EXISTS kv_ns_pos ON kv (ns, pos)")
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
