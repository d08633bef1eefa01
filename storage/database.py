"""The aiosqlite connection: pragmas, migrations and the write lock.

One aiosqlite connection is one worker thread, and statements from two coroutines can interleave inside a
transaction; every multi-statement write therefore goes through :meth:`Database.transaction`, which holds
an asyncio lock around ``BEGIN IMMEDIATE ... COMMIT``.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from storage.errors import DatabaseUnusable
from storage.migrations import latest_version, migrate

log = logging.getLogger(__name__)

# SQLite's primary result codes (``sqlite3.Error.sqlite_errorcode & 0xFF``) that say what is wrong with a file.
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26
_PERM = 3


def describe_error(exc: BaseException, path: str | Path) -> str:
    """One line for a user about an SQLite or OS error on the database at ``path`` (no traceback)."""
    path = str(path)
    if isinstance(exc, DatabaseUnusable):
        return str(exc)
    if isinstance(exc, OSError):
        return f"cannot use the database {path}: {exc.strerror or exc}"
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    detail = str(exc) or type(exc).__name__
    if code == _NOTADB or detail == "file is not a database":
        return (
            f"{path} is not a casewatch database (not an SQLite file, or its header is damaged); "
            "point --db or CASEWATCH_DB at another file"
        )
    if code == _CORRUPT or "malformed" in detail:
        return (
            f"the database {path} is damaged ({detail}); restore it from a backup, "
            "or start a new one with another --db"
        )
    if code in (_BUSY, _LOCKED):
        return f"the database {path} is locked by another process ({detail}); try again when it has finished"
    if code == _FULL:
        return f"cannot write the database {path}: the disk is full"
    if code in (_READONLY, _PERM):
        return f"cannot write the database {path}: it is read-only ({_where(path)})"
    if code in (_CANTOPEN, _IOERR):
        return f"cannot open or create the database {path}: {_why_cannot_open(path)}"
    return f"database error on {path}: {detail}"


def _where(path: str) -> str:
    parent = Path(path).parent
    if not os.access(parent, os.W_OK):
        return f"directory {parent} is not writable"
    return "file or file system is read-only"


def _why_cannot_open(path: str) -> str:
    target, parent = Path(path), Path(path).parent
    if target.is_dir():
        return "it is a directory; give a file name"
    if parent.exists() and not parent.is_dir():
        return f"{parent} is not a directory"
    if not parent.exists():
        return f"directory {parent} does not exist"
    if target.exists():
        if not os.access(target, os.R_OK):
            return "permission denied"
        return f"it or its directory {parent} is not writable (SQLite needs to create its -wal and -shm files)"
    try:  # ask the OS why: an exclusive create, removed again at once (only on this error path)
        fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except OSError as exc:
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return f"directory {parent} is not writable ({exc.strerror})"
        return f"the system refused to create it ({exc.strerror})"
    os.close(fd)
    target.unlink()
    return "SQLite could not open it (unable to open database file)"


class Database:
    """Owns the connection; repositories borrow it."""

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self.conn = conn
        self.path = path
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(
        cls, path: str | Path, *, busy_timeout_ms: int = 5000, read_only: bool = False, create_dirs: bool = True
    ) -> Database:
        """Open (creating and migrating if needed) the database at ``path``.

        ``read_only``: the caller only reads. The database must exist; it is opened normally (so an old
        schema is upgraded) and, where the file or its directory is read-only, opened read-only instead.
        ``create_dirs``: create a missing parent directory (the CLI checks and refuses instead).
        Anything SQLite or the OS refuses is raised as :class:`DatabaseUnusable` with a one-line reason.
        """
        path = str(path)
        if path != ":memory:":
            _prepare_location(path, read_only=read_only, create_dirs=create_dirs)
        try:
            return cls(await _connect(path, busy_timeout_ms), path)
        except sqlite3.Error as exc:
            code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
            if not (read_only and code in (_CANTOPEN, _READONLY, _PERM)):
                raise DatabaseUnusable(describe_error(exc, path)) from exc
        try:  # a read-only file or file system: read it as it is
            return cls(await _connect_read_only(path, busy_timeout_ms), path)
        except sqlite3.Error as exc:
            raise DatabaseUnusable(describe_error(exc, path)) from exc

    async def close(self) -> None:
        await self.conn.close()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Serialise writers and make the block atomic (rolled back on any exception)."""
        async with self._write_lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            else:
                await self.conn.execute("COMMIT")

    async def fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[aiosqlite.Row]:
        async with self.conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def fetchone(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> aiosqlite.Row | None:
        async with self.conn.execute(sql, params) as cur:
            return await cur.fetchone()

    async def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> None:
        """A single-statement write (atomic on its own), serialised with the transactions."""
        async with self._write_lock:
            await self.conn.execute(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)

    async def integrity_problems(self) -> list[str]:
        """``PRAGMA integrity_check`` and ``foreign_key_check`` findings; empty when healthy."""
        rows = await self.fetchall("PRAGMA integrity_check")
        problems = [str(r[0]) for r in rows if str(r[0]) != "ok"]
        problems += [str(tuple(r)) for r in await self.fetchall("PRAGMA foreign_key_check")]
        return problems


def sqlite_schema_version(path: str | Path) -> int:
    """The schema version of the SQLite file at ``path`` without changing it: 0 for a missing or empty
    file, or one SQLite cannot read (opening it for real then says why)."""
    target = Path(path)
    if not target.is_file() or target.stat().st_size == 0:
        return 0
    try:
        conn = sqlite3.connect(f"{_file_uri(str(target))}?mode=ro", uri=True)
        try:
            row = conn.execute("PRAGMA user_version").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return 0
    return int(row[0]) if row else 0


def _file_uri(path: str) -> str:
    return Path(os.path.abspath(path)).as_uri()


def _prepare_location(path: str, *, read_only: bool, create_dirs: bool) -> None:
    target = Path(path)
    if read_only and not target.exists():
        raise DatabaseUnusable(f"no database at {path}")
    if target.is_dir():
        raise DatabaseUnusable(f"cannot use the database {path}: it is a directory; give a file name")
    try:
        if create_dirs:
            target.parent.mkdir(parents=True, exist_ok=True)
        elif not target.parent.is_dir():
            raise DatabaseUnusable(f"cannot open or create the database {path}: {_why_cannot_open(path)}")
    except OSError as exc:
        raise DatabaseUnusable(f"cannot open or create the database {path}: {_why_cannot_open(path)}") from exc


async def _aconnect(target: str, *, uri: bool = False) -> aiosqlite.Connection:
    """``aiosqlite.connect`` that, when the connect fails, waits for the connection's worker thread:
    aiosqlite stops it without waiting, and the thread then reports to an event loop that
    ``asyncio.run`` may have closed meanwhile ("Exception in thread ... Event loop is closed")."""
    pending = aiosqlite.connect(target, uri=uri, isolation_level=None)
    try:
        return await pending
    except BaseException:
        worker = getattr(pending, "_thread", None)
        if worker is not None and worker.is_alive():
            await asyncio.to_thread(worker.join, 5)
        raise


async def _connect(path: str, busy_timeout_ms: int) -> aiosqlite.Connection:
    conn = await _aconnect(path)
    conn.row_factory = aiosqlite.Row
    try:
        await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        await migrate(conn)
    except BaseException:
        await conn.close()
        raise
    return conn


async def _connect_read_only(path: str, busy_timeout_ms: int) -> aiosqlite.Connection:
    """``mode=ro``; where SQLite cannot even create the WAL index (a read-only directory or mount),
    ``immutable=1``: nobody can write there, so there is nothing to lock against."""
    uri = _file_uri(path)
    last: sqlite3.Error | None = None
    for query in ("mode=ro", "immutable=1"):
        try:
            conn = await _aconnect(f"{uri}?{query}", uri=True)
        except sqlite3.Error as exc:
            last = exc
            continue
        conn.row_factory = aiosqlite.Row
        try:
            await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            async with conn.execute("PRAGMA user_version") as cur:
                row = await cur.fetchone()
        except sqlite3.Error as exc:
            await conn.close()
            last = exc
            continue
        version, latest = (int(row[0]) if row else 0), latest_version()
        if version != latest:
            await conn.close()
            raise DatabaseUnusable(
                f"the database {path} is read-only and has schema version {version}, this casewatch needs "
                f"{latest}; open it once where it is writable to upgrade it"
            )
        return conn
    assert last is not None
    raise last
