"""The SQLite implementation of the core's storage port: one database, one repository per domain."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from storage.database import Database
from storage.repositories.articles import ArticleRepository
from storage.repositories.cards import CardRepository
from storage.repositories.cases import CaseRepository
from storage.repositories.feeds import FeedRepository
from storage.repositories.forum_posts import ForumPostRepository
from storage.repositories.guilds import GuildRepository
from storage.repositories.outbox import OutboxRepository


class SqliteStore:
    def __init__(self, db: Database, *, poll_interval_s: int | None = None) -> None:
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
        path: str | Path,
        *,
        read_only: bool = False,
        create_dirs: bool = True,
        poll_interval_s: int | None = None,
    ) -> SqliteStore:
        """See :meth:`Database.open`; errors are ``DatabaseUnusable`` with a one-line reason."""
        db = await Database.open(path, read_only=read_only, create_dirs=create_dirs)
        return cls(db, poll_interval_s=poll_interval_s)

    @asynccontextmanager
    async def transaction(self, *, exclusive: bool = True) -> AsyncIterator[None]:
        """A unit of work: repository writes inside it commit together or not at all. SQLite has one
        writer at a time (``BEGIN IMMEDIATE``), so every transaction is exclusive."""
        async with self.db.transaction():
            yield

    async def serialize(self) -> None:
        """Nothing to do: the transaction already runs alone (see :meth:`transaction`)."""

    @property
    def location(self) -> str:
        """Where the data lives, for messages (the database file)."""
        return self.db.path

    async def close(self) -> None:
        await self.db.close()

    async def __aenter__(self) -> SqliteStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
