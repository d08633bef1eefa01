"""The PostgreSQL store: the same repositories and unit of work as :class:`storage.store.SqliteStore`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from storage.postgres.database import PgDatabase, redact
from storage.postgres.repositories import (
    ArticleRepository,
    CardRepository,
    CaseRepository,
    FeedRepository,
    ForumPostRepository,
    GuildRepository,
    OutboxRepository,
)


class PostgresStore:
    def __init__(self, db: PgDatabase, *, poll_interval_s: int | None = None) -> None:
        """``poll_interval_s``: the starting poll interval of feeds added through this store."""
        self.db = db
        self.feeds = FeedRepository(db, default_interval_s=poll_interval_s)
        self.articles = ArticleRepository(db)
        self.cases = CaseRepository(db)
        self.outbox = OutboxRepository(db)
        self.guilds = GuildRepository(db)
        self.cards = CardRepository(db)
        self.forum_posts = ForumPostRepository(db)

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        read_only: bool = False,
        poll_interval_s: int | None = None,
        migrate: bool = True,
        max_connections: int = 10,
    ) -> PostgresStore:
        """See :meth:`PgDatabase.open`; errors are ``DatabaseUnusable`` / ``SchemaTooNew`` in one line."""
        db = await PgDatabase.open(url, read_only=read_only, migrate_schema=migrate, max_size=max_connections)
        return cls(db, poll_interval_s=poll_interval_s)

    @property
    def location(self) -> str:
        """Where the data lives, for messages (the URL without its password)."""
        return redact(self.db.url)

    @asynccontextmanager
    async def transaction(self, *, exclusive: bool = True) -> AsyncIterator[None]:
        """A unit of work: repository writes inside it commit together or not at all (see
        :meth:`PgDatabase.transaction` for ``exclusive``)."""
        async with self.db.transaction(exclusive=exclusive):
            yield

    async def serialize(self) -> None:
        await self.db.serialize()

    async def close(self) -> None:
        await self.db.close()

    async def __aenter__(self) -> PostgresStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
