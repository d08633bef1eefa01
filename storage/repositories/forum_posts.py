"""Forum posts: the thread (and its starter message, the case card) of a case in a forum alert channel.

Like the case cards, every write is one statement, atomic on its own (not called inside a transaction).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.clock import from_iso, to_iso, utcnow
from bot.delivery.forum import ForumPost
from storage.database import Database


def _post_from_row(row: Any) -> ForumPost:
    return ForumPost(
        case_id=row["case_id"],
        forum_id=int(row["forum_id"]),
        guild_id=row["guild_id"],
        thread_id=row["thread_id"],
        message_id=row["message_id"],
        archived=bool(row["archived"]),
        creating_since=from_iso(row["creating_since"]),
    )


class ForumPostRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, case_id: str, forum_id: int) -> ForumPost | None:
        row = await self.db.fetchone(
            "SELECT * FROM forum_posts WHERE case_id = ? AND forum_id = ?", (case_id, forum_id)
        )
        return _post_from_row(row) if row else None

    async def begin(self, case_id: str, forum_id: int, *, guild_id: int | None, at: datetime) -> None:
        """Record that the post is being created (committed before Discord is asked, so a restart knows
        to look for it first); forgets any earlier thread of the case in this forum (it was deleted)."""
        now = to_iso(utcnow())
        await self.db.execute(
            "INSERT INTO forum_posts (case_id, forum_id, guild_id, thread_id, message_id, archived, "
            "creating_since, updated_at) VALUES (?, ?, ?, NULL, NULL, 0, ?, ?) "
            "ON CONFLICT (case_id, forum_id) DO UPDATE SET thread_id = NULL, message_id = NULL, "
            "archived = 0, creating_since = excluded.creating_since, updated_at = excluded.updated_at",
            (case_id, forum_id, guild_id, to_iso(at), now),
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
        """The post exists: its thread and starter message (the case card)."""
        await self.db.execute(
            "INSERT INTO forum_posts (case_id, forum_id, guild_id, thread_id, message_id, archived, "
            "creating_since, updated_at) VALUES (?, ?, ?, ?, ?, ?, NULL, ?) "
            "ON CONFLICT (case_id, forum_id) DO UPDATE SET thread_id = excluded.thread_id, "
            "message_id = excluded.message_id, archived = excluded.archived, creating_since = NULL, "
            "updated_at = excluded.updated_at",
            (case_id, forum_id, guild_id, thread_id, message_id, int(archived), to_iso(utcnow())),
        )

    async def set_archived(self, case_id: str, forum_id: int, archived: bool) -> None:
        await self.db.execute(
            "UPDATE forum_posts SET archived = ?, updated_at = ? WHERE case_id = ? AND forum_id = ?",
            (int(archived), to_iso(utcnow()), case_id, forum_id),
        )

    async def set_message(self, case_id: str, forum_id: int, message_id: int) -> None:
        """The card was re-posted inside the post (its first message had been deleted)."""
        await self.db.execute(
            "UPDATE forum_posts SET message_id = ?, updated_at = ? WHERE case_id = ? AND forum_id = ?",
            (message_id, to_iso(utcnow()), case_id, forum_id),
        )

    async def forget(self, case_id: str, forum_id: int) -> None:
        await self.db.execute(
            "DELETE FROM forum_posts WHERE case_id = ? AND forum_id = ?", (case_id, forum_id)
        )

    async def posts_of(self, case_id: str) -> list[tuple[int, int | None]]:
        """(forum id, guild id) of every forum where ``case_id`` has a post (created, not just begun)."""
        rows = await self.db.fetchall(
            "SELECT forum_id, guild_id FROM forum_posts WHERE case_id = ? AND thread_id IS NOT NULL "
            "ORDER BY forum_id",
            (case_id,),
        )
        return [(int(r[0]), int(r[1]) if r[1] is not None else None) for r in rows]

    async def in_forum(self, forum_id: int) -> list[ForumPost]:
        rows = await self.db.fetchall(
            "SELECT * FROM forum_posts WHERE forum_id = ? ORDER BY updated_at, case_id", (forum_id,)
        )
        return [_post_from_row(r) for r in rows]
