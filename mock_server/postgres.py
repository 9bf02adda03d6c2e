"""The PostgreSQL store: one state shared by every worker of every ``mock-server`` instance that names the database.

``postgresql://user[:password]@host[:port]/db[?schema=name]`` (psycopg 3: ``pip install
'analytics-api-kit[postgres]'``). The tables live in the schema named by ``?schema=`` (default ``public``), so
several independent servers (or test runs) can share one database. A write transaction takes a transaction-level
advisory lock of that schema first, which gives exactly the isolation of the SQLite store's ``BEGIN IMMEDIATE``
(one read-modify-write at a time, reads never blocked) without retry loops; the lock goes with the session if
an instance dies, and a write is acknowledged only after its COMMIT.
"""

from __future__ import annotations

import re
import zlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .sqlstore import SCHEMA_VERSION, SqlStore, StoreLayoutError, _Connection

__all__ = ["PostgresStore", "masked_url"]

try:
    import psycopg
except ImportError:  # pragma: no cover - the extra is not installed
    psycopg = None  # type: ignore[assignment]

_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def masked_url(url: str) -> str:
    """The URL with its password (if any) masked, for banners, health replies and error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class PostgresStore(SqlStore):
    mark = "%s"

    def __init__(self, url: str, *, migrate: bool = False) -> None:
        super().__init__()
        if psycopg is None:
            raise ValueError("a postgresql:// store needs psycopg 3: pip install 'analytics-api-kit[postgres]'")
        self.url = masked_url(url)
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        self.schema = query.pop("schema", "public")
        if not _SCHEMA_NAME.match(self.schema):
            raise ValueError(f"{self.url}: schema must be a plain SQL name (letters, digits, _), not {self.schema!r}")
        if not parts.path.strip("/"):
            raise ValueError(f"{self.url}: name the database (postgresql://user@host/db)")
        self._dsn = urlunsplit(parts._replace(scheme="postgresql", query=urlencode(query)))
        self.table = f'"{self.schema}".kv'
        # One lock per schema: servers on other schemas of the same database do not wait for each other.
        self._lock_key = zlib.crc32(f"analytics-api-kit:{self.schema}".encode())
        try:
            self._open(migrate)
        except psycopg.OperationalError as exc:
            self.close()
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise ValueError(f"{self.url}: cannot connect to PostgreSQL: {reason}") from None

    def _connect(self) -> _Connection:
        conn: _Connection = psycopg.connect(self._dsn, autocommit=True, connect_timeout=10)
        if "synchronous_commit" not in self._dsn:
            # As the SQLite store's synchronous=NORMAL: a commit survives a killed mock-server at once, and a
            # crash of the database server itself may lose the last fraction of a second. Waiting for the disk
            # on every commit cost 2 ms a write here; ``?options=-c%20synchronous_commit%3Don`` restores it.
            conn.execute("SET synchronous_commit TO off")
        return conn

    def _usable(self, conn: _Connection) -> bool:
        # A connection the server closed (a restart, an idle timeout) is replaced instead of failing forever.
        return not (conn.closed or conn.broken)  # type: ignore[attr-defined]

    def _begin(self, conn: _Connection) -> None:
        # One round trip: the simple protocol takes both statements (the key is our own integer).
        conn.execute(f"BEGIN; SELECT pg_advisory_xact_lock({int(self._lock_key)})".encode())

    def _begin_read(self, conn: _Connection) -> None:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def _open(self, migrate: bool) -> None:
        conn = self._conn()
        meta = f'"{self.schema}".store_meta'
        with self.transaction():
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
            conn.execute(f"CREATE TABLE IF NOT EXISTS {meta} (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
            row = conn.execute(f"SELECT value FROM {meta} WHERE name='layout'").fetchone()
            version = int(row[0]) if row else None
            if version is not None and version > SCHEMA_VERSION:
                raise StoreLayoutError(
                    f"{self.url}: layout version {version} in schema {self.schema} was written by a newer "
                    f"analytics-api-kit (this one reads {SCHEMA_VERSION}); upgrade it or use another schema")
            if version is not None and version < SCHEMA_VERSION and not migrate:
                raise StoreLayoutError(
                    f"{self.url}: schema {self.schema} holds layout version {version} (this server needs "
                    f"{SCHEMA_VERSION}): run mock-server --store ... --migrate to upgrade it in place")
            # Version 2 is the first layout a PostgreSQL store had: nothing older to convert.
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} (ns TEXT NOT NULL, key TEXT NOT NULL,"
                " value TEXT NOT NULL, pos BIGINT NOT NULL, PRIMARY KEY (ns, key))"
            )
            conn.execute(f"CREATE INDEX IF NOT EXISTS kv_ns_pos ON {self.table} (ns, pos)")
            conn.execute(
                f"INSERT INTO {meta} (name, value) VALUES ('layout', %s)"
                " ON CONFLICT (name) DO UPDATE SET value=excluded.value", (str(SCHEMA_VERSION),))

    def drop(self) -> None:
        """Remove this store's schema and everything in it (tests use a schema of their own per run)."""
        self._conn().execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')

    def __repr__(self) -> str:  # never the password
        return f"PostgresStore({self.url!r})"

