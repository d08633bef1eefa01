"""The asyncpg pool, the unit of work, migrations and one-line errors for the PostgreSQL store.

``asyncpg`` is imported only when a PostgreSQL store is opened, so SQLite users never need it.

A transaction holds one pooled connection for its whole block; repository calls made inside it (by the
same task, or by tasks it starts, which inherit the context) run on that connection, one statement at
a time. Outside a transaction every call borrows a connection from the pool and sees committed rows
only. Like the SQLite store (``BEGIN IMMEDIATE`` behind an asyncio lock), writers are serialised: an
asyncio lock in the process and a transaction-scoped advisory lock across processes, so a poll's reads
and writes see exactly what the SQLite store would.

A poll's transaction is the exception (``transaction(exclusive=False)``): most of what it writes (the
feed's own articles, the irrelevant ones, the feed row) belongs to the one feed its worker leased, so it
runs alongside other polls and takes the writers' lock only when it reaches grouping
(:meth:`PgDatabase.serialize`), holding it until commit. Its wait for that lock is visible to
PostgreSQL, so a cycle with a row lock (an admin deleting the very feed being polled) is broken by the
server's deadlock detector (that poll fails and is retried), never a silent hang.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from storage.errors import DatabaseUnusable, SchemaTooNew, StorageError, WriteConflict
from storage.migrations import Migration, load_schema_files

if TYPE_CHECKING:
    import asyncpg

log = logging.getLogger("storage.migrations")

# pg_advisory_xact_lock keys: one for writers (the SQLite write lock), one for migrations.
WRITE_LOCK_KEY = 0x63617365  # "case"
MIGRATE_LOCK_KEY = 0x6D696772  # "migr"
CONNECT_TIMEOUT_S = 10.0


def redact(url: str) -> str:
    """``url`` without its password (for messages and logs)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def _where(url: str) -> str:
    """``host:port/db`` of a URL, for messages."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return redact(url)
    host = parts.hostname or "localhost"
    return f"{host}:{port or 5432}{parts.path or '/'}"


def _asyncpg() -> Any:
    try:
        import asyncpg
    except ImportError:
        raise DatabaseUnusable(
            "CASEWATCH_DATABASE_URL names a PostgreSQL database, but asyncpg is not installed: "
            'pip install "casewatch[postgres]" (or pip install asyncpg)'
        ) from None
    return asyncpg


def describe_pg_error(exc: BaseException, url: str) -> str:
    """One line for a user about a failure to reach or use the PostgreSQL database at ``url``."""
    if isinstance(exc, DatabaseUnusable):
        return str(exc)
    where = _where(url)
    asyncpg = _asyncpg()
    if isinstance(exc, socket.gaierror):
        host = urlsplit(url).hostname or "localhost"
        return f"cannot reach the PostgreSQL server {where}: cannot resolve host {host}"
    if isinstance(exc, ConnectionRefusedError):
        return f"cannot reach the PostgreSQL server {where}: connection refused (is it running and listening there?)"
    if isinstance(exc, TimeoutError):
        return f"cannot reach the PostgreSQL server {where}: timed out"
    if isinstance(exc, OSError):
        return f"cannot reach the PostgreSQL server {where}: {exc.strerror or exc}"
    if isinstance(exc, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError):
        return f"the PostgreSQL server {where} refused the login: {_first_line(exc)}"
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return f"the PostgreSQL server {where} has no such database ({_first_line(exc)}); create it first (createdb)"
    if isinstance(exc, asyncpg.InsufficientPrivilegeError):
        return f"the PostgreSQL database {where} refused an operation: {_first_line(exc)}"
    if isinstance(exc, asyncpg.ReadOnlySQLTransactionError):
        return f"cannot write the PostgreSQL database {where}: it is read-only here ({_first_line(exc)})"
    if isinstance(exc, asyncpg.TooManyConnectionsError):
        return f"the PostgreSQL server {where} has no free connections ({_first_line(exc)}); try again later"
    if isinstance(exc, asyncpg.CannotConnectNowError):
        return f"the PostgreSQL server {where} is not accepting connections yet ({_first_line(exc)})"
    if isinstance(exc, asyncpg.InterfaceError | asyncpg.PostgresError | ConnectionError):
        return f"PostgreSQL error on {where}: {_first_line(exc)}"
    return f"PostgreSQL error on {where}: {type(exc).__name__}: {_first_line(exc)}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def is_pg_error(exc: BaseException) -> bool:
    """True for an asyncpg error (checked without importing asyncpg for SQLite users)."""
    import sys

    asyncpg = sys.modules.get("asyncpg")
    if asyncpg is None:
        return False
    return isinstance(exc, asyncpg.PostgresError | asyncpg.InterfaceError)


# --- migrations ---------------------------------------------------------------------------------------


def load_migrations() -> list[Migration]:
    return load_schema_files("storage.postgres")


def latest_version() -> int:
    migrations = load_migrations()
    return migrations[-1].version if migrations else 0


_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, name TEXT NOT NULL, "
    "applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (version))"
)


async def schema_version(conn: asyncpg.Connection) -> int:
    """The version the database is at: 0 when casewatch never migrated it."""
    exists = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
    if not exists:
        return 0
    return int(await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version"))


def _too_new(current: int, target: int) -> SchemaTooNew:
    return SchemaTooNew(
        f"database schema version {current} is newer than this casewatch understands ({target}); "
        "upgrade casewatch or point it at another database"
    )


async def migrate(conn: asyncpg.Connection) -> int:
    """Bring the database up to the newest schema; return the version it ends at.

    Each migration runs in its own transaction with its ``schema_version`` row. A session advisory lock,
    taken before any of those transactions starts, makes processes that start together migrate one after
    the other: the later ones then read the version the first one recorded and find nothing to do. (Taken
    inside a transaction instead, the waiting one could still hold a catalog snapshot from before the
    first one's tables existed.)"""
    migrations = load_migrations()
    target = migrations[-1].version if migrations else 0
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATE_LOCK_KEY)
    try:
        current = started = await schema_version(conn)
        if current > target:
            raise _too_new(current, target)
        for migration in migrations:
            if migration.version <= current:
                continue
            log.debug("applying migration %s", migration.name)
            async with conn.transaction():
                await conn.execute(_VERSION_TABLE)
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_version (version, name) VALUES ($1, $2)", migration.version, migration.name
                )
            current = migration.version
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATE_LOCK_KEY)
    if current != started:
        log.info(
            "database schema %s",
            f"created (version {current})" if started == 0 else f"upgraded from version {started} to {current}",
        )
    return current


async def migrate_url(url: str) -> tuple[int, int]:
    """``casewatch migrate`` on PostgreSQL: (schema version before, after)."""
    asyncpg = _asyncpg()
    try:
        conn = await asyncpg.connect(url, timeout=CONNECT_TIMEOUT_S, server_settings={"application_name": "casewatch"})
        try:
            before = await schema_version(conn)
            after = await migrate(conn)
        finally:
            await conn.close()
    except (SchemaTooNew, DatabaseUnusable, StorageError):
        raise
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
        raise DatabaseUnusable(describe_pg_error(exc, url)) from None
    return before, after


# --- the connection pool and the unit of work ---------------------------------------------------------


class Conn:
    """One pooled connection, used by one statement at a time (asyncpg refuses concurrent use, and
    tasks started inside a transaction share its connection)."""

    def __init__(self, raw: asyncpg.Connection) -> None:
        self.raw = raw
        self._lock = asyncio.Lock()
        self.serialized = False  # holds the writers' advisory lock (inside a transaction)

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        async with self._lock:
            return list(await self.raw.fetch(sql, *args))

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        async with self._lock:
            return await self.raw.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        async with self._lock:
            return await self.raw.fetchval(sql, *args)

    async def execute(self, sql: str, *args: Any) -> str:
        async with self._lock:
            return str(await self.raw.execute(sql, *args))

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        async with self._lock:
            await self.raw.executemany(sql, rows)


def _is_lock_cycle(exc: BaseException) -> bool:
    """A deadlock PostgreSQL broke by failing this transaction (SQLSTATE 40P01)."""
    return getattr(exc, "sqlstate", None) == "40P01"


def rowcount(status: str) -> int:
    """The row count of a command tag ("UPDATE 3", "INSERT 0 1", "DELETE 0")."""
    try:
        return int(status.rsplit(" ", 1)[-1])
    except ValueError:
        return 0


class PgDatabase:
    """Owns the pool; repositories borrow connections through :meth:`conn` and :meth:`transaction`."""

    def __init__(self, pool: asyncpg.Pool, url: str, *, read_only: bool) -> None:
        self.pool = pool
        self.url = url
        self.read_only = read_only
        self._current: ContextVar[Conn | None] = ContextVar(f"pg_tx_{id(self)}", default=None)
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(
        cls, url: str, *, read_only: bool = False, migrate_schema: bool = True, min_size: int = 1, max_size: int = 10
    ) -> PgDatabase:
        """Connect to the database at ``url``, migrating its schema first (unless ``migrate_schema`` is
        false: then it must already be the newest).

        ``read_only``: the caller only reads, and every pooled session is read-only
        (``default_transaction_read_only``). As with an SQLite file, the database must exist: one that
        casewatch never migrated is "no casewatch database" (nothing is created); an older schema is
        upgraded first. Anything that stops casewatch from using the database is raised as
        :class:`DatabaseUnusable` or :class:`SchemaTooNew`, with a one-line reason."""
        asyncpg = _asyncpg()
        settings = {"application_name": "casewatch"}
        pool = None
        try:
            first = await asyncpg.connect(url, timeout=CONNECT_TIMEOUT_S, server_settings=settings)
            try:
                version, latest = await schema_version(first), latest_version()
                if version > latest:
                    raise _too_new(version, latest)
                if read_only and version == 0:
                    raise DatabaseUnusable(
                        f"no casewatch database at {_where(url)} (its schema was never created); "
                        "run `casewatch migrate` first"
                    )
                if version < latest:
                    if not migrate_schema:
                        raise DatabaseUnusable(
                            f"the database {_where(url)} has schema version {version}, this casewatch needs "
                            f"{latest}; run `casewatch migrate`"
                        )
                    await migrate(first)
            finally:
                await first.close()
            if read_only:
                settings["default_transaction_read_only"] = "on"
            pool = await asyncpg.create_pool(
                url, min_size=min_size, max_size=max_size, timeout=CONNECT_TIMEOUT_S, server_settings=settings
            )
        except (SchemaTooNew, DatabaseUnusable):
            raise
        except Exception as exc:
            if isinstance(exc, asyncpg.PostgresError | asyncpg.InterfaceError | OSError | TimeoutError):
                raise DatabaseUnusable(describe_pg_error(exc, url)) from None
            raise
        assert pool is not None
        return cls(pool, url, read_only=read_only)

    async def close(self) -> None:
        await self.pool.close()

    @asynccontextmanager
    async def conn(self) -> AsyncIterator[Conn]:
        """The transaction's connection inside :meth:`transaction`, else one from the pool."""
        current = self._current.get()
        if current is not None:
            yield current
            return
        async with self.pool.acquire() as raw:
            yield Conn(raw)

    def in_transaction(self) -> bool:
        return self._current.get() is not None

    @asynccontextmanager
    async def transaction(self, *, exclusive: bool = True) -> AsyncIterator[Conn]:
        """A unit of work: everything inside commits together or rolls back on any exception.

        ``exclusive``: the block runs alone among writers from its start. Without it the block runs
        alongside others until it calls :meth:`serialize`. Inside another transaction of this store it
        joins that one (the outer block decides)."""
        current = self._current.get()
        if current is not None:
            yield current
            return
        async with self._write_lock if exclusive else contextlib.nullcontext(), self.pool.acquire() as raw:
            conn = Conn(raw)
            tx = raw.transaction()
            await tx.start()
            token = self._current.set(conn)
            try:
                if exclusive and not self.read_only:
                    await self._lock_writers(conn)
                yield conn
            except BaseException as exc:
                self._current.reset(token)
                await tx.rollback()
                if _is_lock_cycle(exc):
                    raise WriteConflict(
                        "the database broke a lock cycle with another writer and rolled this transaction back"
                    ) from exc
                raise
            else:
                self._current.reset(token)
                await tx.commit()

    async def serialize(self) -> None:
        """From here until the current transaction ends, no other writer runs (see the module doc).
        Idempotent; outside a transaction, or on a read-only store, it does nothing."""
        current = self._current.get()
        if current is not None and not current.serialized and not self.read_only:
            await self._lock_writers(current)

    @staticmethod
    async def _lock_writers(conn: Conn) -> None:
        await conn.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK_KEY)
        conn.serialized = True

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        async with self.conn() as conn:
            return await conn.fetch(sql, *args)

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        async with self.conn() as conn:
            return await conn.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        async with self.conn() as conn:
            return await conn.fetchval(sql, *args)

    async def execute(self, sql: str, *args: Any) -> str:
        """A single statement: atomic on its own outside a transaction, part of it inside one."""
        async with self.conn() as conn:
            return await conn.execute(sql, *args)

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)

    async def integrity_problems(self) -> list[str]:
        """Rows whose references point nowhere (PostgreSQL enforces foreign keys; this checks the columns
        without one that must still be consistent: platform rows and versions)."""
        problems = []
        stale = await self.fetch(
            "SELECT p.case_id, p.platform_key FROM case_platforms p JOIN cases c ON c.id = p.case_id "
            "WHERE p.version IS DISTINCT FROM c.version"
        )
        problems += [f"case_platforms version stale: {tuple(r)}" for r in stale]
        return problems
