"""Both storage backends for the conformance suite: ``any_store`` runs a test on SQLite and on PostgreSQL.

PostgreSQL comes from ``CASEWATCH_TEST_PG_URL`` (a role that may create schemas in that database, e.g.
what ``.ci/postgres.sh start DIR`` prints; set but unusable, the tests fail). Unset, a throwaway local
server is started with ``.ci/postgres.sh`` when PostgreSQL 15 is installed, and stopped at the end of the
session; when that cannot work either, the PostgreSQL half skips, naming why, unless
``CASEWATCH_PG_TESTS=required`` (CI), where it fails.

Every PostgreSQL test gets a fresh schema (dropped afterwards): the store's URL carries
``?search_path=<schema>``, so migrations and every query land there.

Raw SQL in a shared test goes through :func:`rows` / :func:`execute`, which take SQLite's ``?``
placeholders and run on whichever backend the store is.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from storage.store import SqliteStore

REPO = Path(__file__).resolve().parents[1]
PG_HELPER = REPO / ".ci" / "postgres.sh"
INITDB = Path("/usr/lib/postgresql/15/bin/initdb")
BACKENDS = ("sqlite", "postgres")


def pg_required() -> bool:
    return os.environ.get("CASEWATCH_PG_TESTS", "").strip().lower() == "required"


def _unavailable(reason: str) -> None:
    if pg_required():
        pytest.fail(f"CASEWATCH_PG_TESTS=required but PostgreSQL is unavailable: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str | None]:
    """The PostgreSQL URL the tests use (None: unavailable; the reason is given by :func:`pg_url`)."""
    url = os.environ.get("CASEWATCH_TEST_PG_URL", "").strip()
    if url:
        yield url
        return
    if not INITDB.exists() or not PG_HELPER.exists():
        yield None
        return
    workdir = tempfile.mkdtemp(prefix="casewatch-pg-")
    started = subprocess.run(
        ["bash", str(PG_HELPER), "start", workdir], capture_output=True, text=True, timeout=120, check=False
    )
    env_file = Path(workdir) / "env"
    if started.returncode != 0 or not env_file.exists():
        _STARTUP_ERROR.append((started.stderr or started.stdout).strip().splitlines()[-1:] or ["no output"])
        subprocess.run(["bash", str(PG_HELPER), "stop", workdir], capture_output=True, check=False)
        yield None
        return
    match = re.search(r"CASEWATCH_TEST_PG_URL=(\S+)", env_file.read_text())
    try:
        yield match.group(1) if match else None
    finally:
        subprocess.run(["bash", str(PG_HELPER), "stop", workdir], capture_output=True, timeout=60, check=False)


_STARTUP_ERROR: list[list[str]] = []


@pytest.fixture
def pg_url(pg_server: str | None) -> str:
    """The server URL, or skip (fail when required) with the reason it is missing."""
    if pg_server is None:
        if _STARTUP_ERROR:
            _unavailable(f"a local server could not be started ({' '.join(_STARTUP_ERROR[0])})")
        _unavailable(
            "CASEWATCH_TEST_PG_URL is unset and no local PostgreSQL 15 is installed "
            f"({INITDB} missing); see .ci/postgres.sh"
        )
    return str(pg_server)


def with_search_path(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}search_path={schema}"


@asynccontextmanager
async def fresh_schema(pg_url: str) -> AsyncIterator[str]:
    """A URL whose every session works in a fresh, empty schema (dropped afterwards)."""
    import asyncpg

    schema = f"cw_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = await asyncpg.connect(pg_url, timeout=10)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        if os.environ.get("CASEWATCH_TEST_PG_URL", "").strip():  # asked for explicitly: a broken setup
            pytest.fail(f"CASEWATCH_TEST_PG_URL={pg_url} cannot be used: {exc}", pytrace=False)
        _unavailable(f"cannot connect to {pg_url}: {exc}")
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
    finally:
        await admin.close()
    try:
        yield with_search_path(pg_url, schema)
    finally:
        admin = await asyncpg.connect(pg_url, timeout=10)
        try:
            await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        finally:
            await admin.close()


@pytest.fixture
async def pg_schema_url(pg_url: str) -> AsyncIterator[str]:
    async with fresh_schema(pg_url) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def any_store(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """A fresh, migrated store of each backend (the test runs once per backend)."""
    if backend == "sqlite":
        async with await SqliteStore.open(tmp_path / "casewatch.db") as opened:
            yield opened
        return
    from storage.postgres.store import PostgresStore

    async with fresh_schema(request.getfixturevalue("pg_url")) as url, await PostgresStore.open(url) as opened:
        yield opened


def is_postgres(store: Any) -> bool:
    return type(store).__name__ == "PostgresStore"


def integrity_error(store: Any) -> type[BaseException]:
    """What a backend raises on a broken uniqueness constraint."""
    if is_postgres(store):
        import asyncpg

        return asyncpg.UniqueViolationError  # type: ignore[no-any-return]
    import sqlite3

    return sqlite3.IntegrityError


def _numbered(sql: str) -> str:
    """SQLite's ``?`` placeholders as PostgreSQL's ``$1, $2, ...`` (outside string literals)."""
    out: list[str] = []
    n = 0
    quoted = False
    for ch in sql:
        if ch == "'":
            quoted = not quoted
        if ch == "?" and not quoted:
            n += 1
            out.append(f"${n}")
        else:
            out.append(ch)
    return "".join(out)


async def rows(store: Any, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """The rows of a query (as tuples) on either backend."""
    if is_postgres(store):
        return [tuple(r) for r in await store.db.fetch(_numbered(sql), *params)]
    return [tuple(r) for r in await store.db.fetchall(sql, params)]


async def execute(store: Any, sql: str, *params: Any) -> None:
    """One statement on either backend (inside ``store.transaction()`` it is part of it)."""
    if is_postgres(store):
        await store.db.execute(_numbered(sql), *params)
    else:
        await store.db.conn.execute(sql, params)


async def open_again(store: Any) -> Any:
    """A second store on the same database (another process would see it so): same file or same URL."""
    if is_postgres(store):
        from storage.postgres.store import PostgresStore

        return await PostgresStore.open(store.db.url)
    return await SqliteStore.open(store.db.path)


def write_order(store: Any) -> str:
    """The column that orders equal ``updated_at`` platform rows (later written first): SQLite's rowid,
    PostgreSQL's identity column ``seq``."""
    return "seq" if is_postgres(store) else "rowid"


def nulls_last(store: Any) -> str:
    """SQLite sorts NULL lowest (last in DESC order); PostgreSQL needs to be told."""
    return " NULLS LAST" if is_postgres(store) else ""


@asynccontextmanager
async def fresh_store(backend: str, request: pytest.FixtureRequest, tmp_path: Path, name: str) -> AsyncIterator[Any]:
    """Another fresh, empty store of ``backend`` within one test (a new file, or a new schema)."""
    if backend == "sqlite":
        async with await SqliteStore.open(tmp_path / f"{name}.db") as opened:
            yield opened
        return
    from storage.postgres.store import PostgresStore

    async with fresh_schema(request.getfixturevalue("pg_url")) as url, await PostgresStore.open(url) as opened:
        yield opened
