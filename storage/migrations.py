"""Forward-only schema migrations driven by ``PRAGMA user_version``.

Each ``schema/NNNN_reason.sql`` file moves the schema from version NNNN-1 to NNNN; files are applied in
order, each in its own transaction, with a foreign-key check after each step.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources

import aiosqlite

from storage.errors import SchemaTooNew, StorageError

log = logging.getLogger(__name__)

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    return load_schema_files("storage")


def load_schema_files(package: str) -> list[Migration]:
    """The ``schema/NNNN_*.sql`` files of ``package`` in order ("storage": SQLite, "storage.postgres":
    PostgreSQL); a gap in the numbering is an error, so a missing file is never skipped silently."""
    found: list[Migration] = []
    for item in resources.files(package).joinpath("schema").iterdir():
        match = _NAME.match(item.name)
        if match:
            found.append(Migration(int(match.group(1)), item.name, item.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise StorageError(
                f"migration numbering has a gap: expected {expected:04d}, got {migration.name}"
            )
    return found


def latest_version() -> int:
    migrations = load_migrations()
    return migrations[-1].version if migrations else 0


async def migrate(conn: aiosqlite.Connection) -> int:
    """Bring the database up to the newest schema; return the version it ends at."""
    migrations = load_migrations()
    target = migrations[-1].version if migrations else 0
    async with conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    current = int(row[0]) if row else 0
    if current > target:
        raise SchemaTooNew(
            f"database schema version {current} is newer than this casewatch understands ({target}); "
            "upgrade casewatch or point it at another database"
        )
    started = current
    for migration in migrations:
        if migration.version <= current:
            continue
        log.debug("applying migration %s", migration.name)
        # executescript commits first; the script then runs in one explicit transaction.
        await conn.executescript(
            f"BEGIN IMMEDIATE;\n{migration.sql}\nPRAGMA user_version = {migration.version};\nCOMMIT;"
        )
        async with conn.execute("PRAGMA foreign_key_check") as cur:
            problems = [tuple(r) for r in await cur.fetchall()]
        if problems:
            raise StorageError(f"foreign key check failed after {migration.name}: {problems[:3]}")
        current = migration.version
    if current != started:
        log.info(
            "database schema %s",
            f"created (version {current})" if started == 0 else f"upgraded from version {started} to {current}",
        )
    return current
