"""Storage behind the ``bot.ports`` protocols: SQLite (the default, one file) or PostgreSQL.

:func:`open_store` is the one place that picks the backend: ``CASEWATCH_DATABASE_URL`` set selects
:class:`storage.postgres.store.PostgresStore` (asyncpg, imported only then), unset keeps
:class:`storage.store.SqliteStore` on ``CASEWATCH_DB``. Both offer the same repositories, so the core,
the cogs and the CLI are typed against :data:`AnyStore`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.ports import ReadStore, Store
    from storage.postgres.store import PostgresStore
    from storage.store import SqliteStore

    AnyStore: TypeAlias = SqliteStore | PostgresStore

    def _both_implement_the_ports(sqlite: SqliteStore, postgres: PostgresStore) -> None:
        """Type checking only: each store is a ``bot.ports.Store`` and a ``ReadStore`` (mypy fails here
        when either drifts from the protocols)."""
        _a: Store = sqlite
        _b: Store = postgres
        _c: ReadStore = sqlite
        _d: ReadStore = postgres


async def open_store(
    settings: Settings, *, read_only: bool = False, create_dirs: bool = True, migrate: bool = True
) -> AnyStore:
    """The configured store, opened (and migrated, unless ``read_only`` finds it current or ``migrate``
    is false on PostgreSQL). ``read_only``: the caller only reads; SQLite opens an existing file (read-only
    where it must), PostgreSQL runs every session read-only. Errors are ``DatabaseUnusable`` /
    ``SchemaTooNew`` with a one-line reason."""
    if settings.database_url:
        from storage.postgres.store import PostgresStore

        return await PostgresStore.open(
            settings.database_url,
            read_only=read_only,
            poll_interval_s=settings.poll_interval_s,
            migrate=migrate,
        )
    from storage.store import SqliteStore

    return await SqliteStore.open(
        settings.db_path, read_only=read_only, create_dirs=create_dirs, poll_interval_s=settings.poll_interval_s
    )


async def migrate_database(settings: Settings) -> tuple[int, int]:
    """Create or upgrade the configured database's schema: (version before, version after)."""
    if settings.database_url:
        from storage.postgres.database import migrate_url

        return await migrate_url(settings.database_url)
    import asyncio

    from storage.database import Database, sqlite_schema_version

    before = await asyncio.to_thread(sqlite_schema_version, settings.db_path)
    async with await Database.open(settings.db_path, create_dirs=False) as db:
        row = await db.fetchone("PRAGMA user_version")
    return before, int(row[0]) if row else 0
