"""Feeds: subscriptions, poll state and owners (``storage.repositories.feeds``)."""

from __future__ import annotations

import builtins
from datetime import datetime

from bot.clock import to_iso, utcnow
from bot.models import (
    Feed,
)
from storage.codec import (
    feed_from_row,
)
from storage.errors import NotFound, StorageError
from storage.postgres.database import PgDatabase, rowcount
from storage.postgres.repositories.common import (
    _t,
)


class FeedRepository:
    def __init__(self, db: PgDatabase, *, default_interval_s: int | None = None) -> None:
        self.db = db
        self.default_interval_s = default_interval_s

    async def add(
        self, url: str, *, title: str | None = None, guild_id: int | None = None, added_by: int | None = None
    ) -> tuple[Feed, bool]:
        """Add a feed (or attach a guild to an existing one); return it and whether it is new."""
        now = to_iso(utcnow())
        async with self.db.transaction() as conn:
            row = await conn.fetchrow("SELECT id FROM feeds WHERE url = $1", url)
            created = row is None
            if row is None:
                feed_id = await conn.fetchval(
                    "INSERT INTO feeds (url, title, operator, next_due_at, created_at, interval_s) "
                    "VALUES ($1, $2, $3, $4, $5, COALESCE($6::integer, 900)) RETURNING id",
                    url,
                    _t(title),
                    guild_id is None,
                    now,
                    now,
                    self.default_interval_s,
                )
                if feed_id is None:
                    raise StorageError(f"adding the feed {url} did not create a row")
            else:
                feed_id = row["id"]
                if guild_id is None:
                    await conn.execute("UPDATE feeds SET operator = TRUE WHERE id = $1", feed_id)
            if guild_id is not None:
                await conn.execute(
                    "INSERT INTO feed_owners (feed_id, guild_id, added_by, created_at) VALUES ($1, $2, $3, $4) "
                    "ON CONFLICT DO NOTHING",
                    feed_id,
                    guild_id,
                    added_by,
                    now,
                )
        return await self.get(int(feed_id)), created

    async def get(self, feed_id: int) -> Feed:
        row = await self.db.fetchrow("SELECT * FROM feeds WHERE id = $1", feed_id)
        if row is None:
            raise NotFound(f"no feed with id {feed_id}")
        return feed_from_row(row)

    async def get_by_url(self, url: str) -> Feed | None:
        row = await self.db.fetchrow("SELECT * FROM feeds WHERE url = $1", url)
        return feed_from_row(row) if row else None

    # From here on ``list`` in this class body is the method: annotations say ``builtins.list``.
    async def list(self, *, guild_id: int | None = None) -> builtins.list[Feed]:
        if guild_id is None:
            rows = await self.db.fetch("SELECT * FROM feeds ORDER BY id")
        else:
            rows = await self.db.fetch(
                "SELECT f.* FROM feeds f JOIN feed_owners o ON o.feed_id = f.id WHERE o.guild_id = $1 ORDER BY f.id",
                guild_id,
            )
        return [feed_from_row(r) for r in rows]

    async def operator_feeds(self) -> builtins.list[Feed]:
        rows = await self.db.fetch("SELECT * FROM feeds WHERE operator ORDER BY id")
        return [feed_from_row(r) for r in rows]

    async def owners(self, feed_id: int) -> builtins.list[int]:
        rows = await self.db.fetch(
            "SELECT guild_id FROM feed_owners WHERE feed_id = $1 ORDER BY guild_id", feed_id
        )
        return [r["guild_id"] for r in rows]

    async def remove(self, url: str, *, guild_id: int | None = None) -> bool:
        async with self.db.transaction() as conn:
            row = await conn.fetchrow("SELECT id, operator FROM feeds WHERE url = $1", url)
            if row is None:
                return False
            feed_id = row["id"]
            if guild_id is not None:
                status = await conn.execute(
                    "DELETE FROM feed_owners WHERE feed_id = $1 AND guild_id = $2", feed_id, guild_id
                )
                if rowcount(status) == 0:
                    return False
                owners = int(
                    await conn.fetchval("SELECT COUNT(*) FROM feed_owners WHERE feed_id = $1", feed_id)
                )
                if owners or row["operator"]:
                    return True
            await conn.execute("DELETE FROM feeds WHERE id = $1", feed_id)
        return True

    async def due(self, now: datetime, limit: int = 100) -> builtins.list[Feed]:
        # SQLite's LIKE ignores ASCII case and sorts NULL first: ILIKE, NULLS FIRST.
        rows = await self.db.fetch(
            "SELECT * FROM feeds WHERE enabled AND url ILIKE 'http%' AND (next_due_at IS NULL OR next_due_at <= $1) "
            "ORDER BY next_due_at NULLS FIRST, id LIMIT $2",
            to_iso(now),
            limit,
        )
        return [feed_from_row(r) for r in rows]

    async def first_poll_done(self, feed_id: int) -> bool:
        return bool(await self.db.fetchval("SELECT first_poll_done FROM feeds WHERE id = $1", feed_id))

    async def set_enabled(self, feed_id: int, enabled: bool, reason: str | None = None) -> None:
        await self.db.execute(
            "UPDATE feeds SET enabled = $1, disabled_reason = $2, consecutive_failures = "
            "CASE WHEN $1 THEN 0 ELSE consecutive_failures END, next_due_at = $3 WHERE id = $4",
            enabled,
            None if enabled else reason,
            to_iso(utcnow()),
            feed_id,
        )

    async def record_success(
        self,
        feed_id: int,
        *,
        now: datetime,
        interval_s: int,
        next_due_at: datetime,
        new_items: int = 0,
        etag: str | None = None,
        last_modified: str | None = None,
        body_hash: str | None = None,
        title: str | None = None,
    ) -> None:
        await self.db.execute(
            "UPDATE feeds SET last_fetch_at = $1, last_success_at = $1, last_error = NULL, "
            "consecutive_failures = 0, next_due_at = $2, interval_s = $3, first_poll_done = TRUE, "
            "item_count = item_count + $4, etag = COALESCE($5, etag), last_modified = COALESCE($6, last_modified), "
            "body_hash = COALESCE($7, body_hash), title = COALESCE($8, title) WHERE id = $9",
            to_iso(now),
            to_iso(next_due_at),
            interval_s,
            new_items,
            _t(etag),
            _t(last_modified),
            body_hash,
            _t(title),
            feed_id,
        )

    async def record_failure(
        self, feed_id: int, *, now: datetime, error: str, next_due_at: datetime, disable_reason: str | None
    ) -> None:
        await self.db.execute(
            "UPDATE feeds SET last_fetch_at = $1, last_error = $2, consecutive_failures = consecutive_failures + 1, "
            "next_due_at = $3, enabled = CASE WHEN $4::text IS NULL THEN enabled ELSE FALSE END, "
            "disabled_reason = COALESCE($4, disabled_reason) WHERE id = $5",
            to_iso(now),
            _t(error[:500]),
            to_iso(next_due_at),
            _t(disable_reason),
            feed_id,
        )

    async def is_guild_only(self, url: str) -> bool:
        row = await self.db.fetchrow("SELECT operator FROM feeds WHERE url = $1", url)
        return row is not None and not row[0]

    async def owned_by(self, url: str, guild_id: int) -> Feed | None:
        row = await self.db.fetchrow(
            "SELECT f.* FROM feeds f JOIN feed_owners o ON o.feed_id = f.id WHERE f.url = $1 AND o.guild_id = $2",
            url,
            guild_id,
        )
        return feed_from_row(row) if row else None

    async def disabled_owned(self) -> builtins.list[tuple[Feed, builtins.list[int]]]:
        rows = await self.db.fetch(
            "SELECT f.*, array_agg(o.guild_id ORDER BY o.guild_id) AS owner_ids FROM feeds f "
            "JOIN feed_owners o ON o.feed_id = f.id WHERE NOT f.enabled GROUP BY f.id ORDER BY f.id"
        )
        return [(feed_from_row(r), [int(g) for g in r["owner_ids"]]) for r in rows]

    async def record_unchanged_many(
        self, rows: builtins.list[tuple[int, datetime, int, datetime, str | None, str | None]]
    ) -> None:
        async with self.db.conn() as conn:
            await conn.executemany(
                "UPDATE feeds SET last_fetch_at = $1, last_success_at = $1, last_error = NULL, "
                "consecutive_failures = 0, interval_s = $2, next_due_at = $3, first_poll_done = TRUE, "
                "etag = COALESCE($4, etag), last_modified = COALESCE($5, last_modified) WHERE id = $6",
                [
                    (to_iso(now), interval, to_iso(due), _t(etag), _t(lm), feed_id)
                    for feed_id, now, interval, due, etag, lm in rows
                ],
            )
