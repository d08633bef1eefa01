"""Forum posts (``storage.repositories.forum_posts``)."""

from __future__ import annotations

import builtins
from datetime import datetime

from bot.clock import to_iso, utcnow
from bot.delivery.forum import ForumPost
from storage.postgres.database import PgDatabase
from storage.repositories.forum_posts import _post_from_row


class ForumPostRepository:
    """Forum posts: the thread and starter message of a case in a forum alert channel."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def get(self, case_id: str, forum_id: int) -> ForumPost | None:
        row = await self.db.fetchrow(
            "SELECT * FROM forum_posts WHERE case_id = $1 AND forum_id = $2", case_id, forum_id
        )
        return _post_from_row(row) if row else None

    async def begin(self, case_id: str, forum_id: int, *, guild_id: int | None, at: datetime) -> None:
        await self.db.execute(
            "INSERT INTO forum_posts (case_id, forum_id, guild_id, thread_id, message_id, archived, "
            "creating_since, updated_at) VALUES ($1, $2, $3, NULL, NULL, FALSE, $4, $5) "
            "ON CONFLICT (case_id, forum_id) DO UPDATE SET thread_id = NULL, message_id = NULL, "
            "archived = FALSE, creating_since = excluded.creating_since, updated_at = excluded.updated_at",
            case_id,
            forum_id,
            guild_id,
            to_iso(at),
            to_iso(utcnow()),
        )

    async def put(
        self,
        case_id: str,
        forum_id: int,
        thread_id: int,
        message_id: int,
        *,
        guild_id: int | None,
        archived: bool = False,
    ) -> None:
        await self.db.execute(
            "INSERT INTO forum_posts (case_id, forum_id, guild_id, thread_id, message_id, archived, "
            "creating_since, updated_at) VALUES ($1, $2, $3, $4, $5, $6, NULL, $7) "
            "ON CONFLICT (case_id, forum_id) DO UPDATE SET thread_id = excluded.thread_id, "
            "message_id = excluded.message_id, archived = excluded.archived, creating_since = NULL, "
            "updated_at = excluded.updated_at",
            case_id,
            forum_id,
            guild_id,
            thread_id,
            message_id,
            bool(archived),
            to_iso(utcnow()),
        )

    async def set_archived(self, case_id: str, forum_id: int, archived: bool) -> None:
        await self.db.execute(
            "UPDATE forum_posts SET archived = $1, updated_at = $2 WHERE case_id = $3 AND forum_id = $4",
            bool(archived),
            to_iso(utcnow()),
            case_id,
            forum_id,
        )

    async def set_message(self, case_id: str, forum_id: int, message_id: int) -> None:
        await self.db.execute(
            "UPDATE forum_posts SET message_id = $1, updated_at = $2 WHERE case_id = $3 AND forum_id = $4",
            message_id,
            to_iso(utcnow()),
            case_id,
            forum_id,
        )

    async def forget(self, case_id: str, forum_id: int) -> None:
        await self.db.execute(
            "DELETE FROM forum_posts WHERE case_id = $1 AND forum_id = $2", case_id, forum_id
        )

    async def posts_of(self, case_id: str) -> builtins.list[tuple[int, int | None]]:
        rows = await self.db.fetch(
            "SELECT forum_id, guild_id FROM forum_posts WHERE case_id = $1 AND thread_id IS NOT NULL "
            "ORDER BY forum_id",
            case_id,
        )
        return [(int(r[0]), int(r[1]) if r[1] is not None else None) for r in rows]

    async def in_forum(self, forum_id: int) -> builtins.list[ForumPost]:
        # updated_at is ISO text in the C collation: the same order as SQLite's.
        rows = await self.db.fetch(
            "SELECT * FROM forum_posts WHERE forum_id = $1 ORDER BY updated_at, case_id", forum_id
        )
        return [_post_from_row(r) for r in rows]
