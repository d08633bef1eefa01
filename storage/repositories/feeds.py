"""Feeds: what to poll, when, and how it went last time."""

from __future__ import annotations

import builtins
from datetime import datetime

from bot.clock import to_iso, utcnow
from bot.models import Feed
from storage.codec import feed_from_row
from storage.database import Database
from storage.errors import NotFound, StorageError


class FeedRepository:
    def __init__(self, db: Database, *, default_interval_s: int | None = None) -> None:
        """``default_interval_s``: a new feed's starting poll interval (``CASEWATCH_POLL_INTERVAL``);
        None keeps the schema's default (900 s)."""
        self.db = db
        self.default_interval_s = default_interval_s

    async def add(
        self, url: str, *, title: str | None = None, guild_id: int | None = None, added_by: int | None = None
    ) -> tuple[Feed, bool]:
        """Add a feed (or attach a guild to an existing one); return it and whether it is new."""
        now = to_iso(utcnow())
        async with self.db.transaction() as conn:
            async with conn.execute("SELECT id FROM feeds WHERE url = ?", (url,)) as cur:
                row = await cur.fetchone()
            created = row is None
            if row is None:
                async with conn.execute(
                    "INSERT INTO feeds (url, title, operator, next_due_at, created_at, interval_s) "
                    "VALUES (?, ?, ?, ?, ?, COALESCE(?, 900))",
                    (url, title, int(guild_id is None), now, now, self.default_interval_s),
                ) as cur:
                    inserted = cur.lastrowid
                if inserted is None:  # sqlite3 sets it after every successful INSERT
                    raise StorageError(f"adding the feed {url} did not create a row")
                feed_id = int(inserted)
            else:
                feed_id = int(row["id"])
                if guild_id is None:
                    await conn.execute("UPDATE feeds SET operator = 1 WHERE id = ?", (feed_id,))
            if guild_id is not None:
                await conn.execute(
                    "INSERT OR IGNORE INTO feed_owners (feed_id, guild_id, added_by, created_at) VALUES (?, ?, ?, ?)",
                    (feed_id, guild_id, added_by, now),
                )
        return await self.get(feed_id), created

    async def get(self, feed_id: int) -> Feed:
        row = await self.db.fetchone("SELECT * FROM feeds WHERE id = ?", (feed_id,))
        if row is None:
            raise NotFound(f"no feed with id {feed_id}")
        return feed_from_row(row)

    async def get_by_url(self, url: str) -> Feed | None:
        row = await self.db.fetchone("SELECT * FROM feeds WHERE url = ?", (url,))
        return feed_from_row(row) if row else None

    # From here on ``list`` in this class body is the method: annotations say ``builtins.list``.
    async def list(self, *, guild_id: int | None = None) -> builtins.list[Feed]:
        """All feeds, or only those a guild added."""
        if guild_id is None:
            rows = await self.db.fetchall("SELECT * FROM feeds ORDER BY id")
        else:
            rows = await self.db.fetchall(
                "SELECT f.* FROM feeds f JOIN feed_owners o ON o.feed_id = f.id WHERE o.guild_id = ? ORDER BY f.id",
                (guild_id,),
            )
        return [feed_from_row(r) for r in rows]

    async def operator_feeds(self) -> builtins.list[Feed]:
        """The feeds the operator configured (CLI, feed file, defaults), never a guild-only feed: what
        the web view's feed-health page may show."""
        rows = await self.db.fetchall("SELECT * FROM feeds WHERE operator = 1 ORDER BY id")
        return [feed_from_row(r) for r in rows]

    async def owners(self, feed_id: int) -> builtins.list[int]:
        rows = await self.db.fetchall("SELECT guild_id FROM feed_owners WHERE feed_id = ?", (feed_id,))
        return [r["guild_id"] for r in rows]

    async def remove(self, url: str, *, guild_id: int | None = None) -> bool:
        """Remove a feed (operator) or a guild's claim on it; the feed goes when nobody wants it."""
        async with self.db.transaction() as conn:
            async with conn.execute("SELECT id, operator FROM feeds WHERE url = ?", (url,)) as cur:
                row = await cur.fetchone()
            if row is None:
                return False
            feed_id = row["id"]
            if guild_id is not None:
                async with conn.execute(
                    "DELETE FROM feed_owners WHERE feed_id = ? AND guild_id = ?", (feed_id, guild_id)
                ) as cur:
                    if cur.rowcount == 0:
                        return False
                async with conn.execute(
                    "SELECT COUNT(*) FROM feed_owners WHERE feed_id = ?", (feed_id,)
                ) as cur:
                    counted = await cur.fetchone()
                owners = int(counted[0]) if counted is not None else 0
                if owners or row["operator"]:
                    return True
            await conn.execute("DELETE FROM feeds WHERE id = ?", (feed_id,))
        return True

    async def due(self, now: datetime, limit: int = 100) -> builtins.list[Feed]:
        rows = await self.db.fetchall(
            "SELECT * FROM feeds WHERE enabled = 1 AND url LIKE 'http%' AND (next_due_at IS NULL OR next_due_at <= ?) "
            "ORDER BY next_due_at LIMIT ?",
            (to_iso(now), limit),
        )
        return [feed_from_row(r) for r in rows]

    async def first_poll_done(self, feed_id: int) -> bool:
        row = await self.db.fetchone("SELECT first_poll_done FROM feeds WHERE id = ?", (feed_id,))
        return bool(row and row[0])

    async def set_enabled(self, feed_id: int, enabled: bool, reason: str | None = None) -> None:
        await self.db.execute(
            "UPDATE feeds SET enabled = ?, disabled_reason = ?, consecutive_failures = "
            "CASE WHEN ? THEN 0 ELSE consecutive_failures END, next_due_at = ? WHERE id = ?",
            (int(enabled), None if enabled else reason, int(enabled), to_iso(utcnow()), feed_id),
        )

    # The two writes below run inside the pipeline's transaction (Database.transaction()).

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
        """A poll that worked (including 304 / unchanged): reset failures, keep validators."""
        await self.db.conn.execute(
            "UPDATE feeds SET last_fetch_at = :now, last_success_at = :now, last_error = NULL, "
            "consecutive_failures = 0, next_due_at = :due, interval_s = :interval, first_poll_done = 1, "
            "item_count = item_count + :new, etag = COALESCE(:etag, etag), "
            "last_modified = COALESCE(:lm, last_modified), body_hash = COALESCE(:hash, body_hash), "
            "title = COALESCE(:title, title) WHERE id = :id",
            {
                "now": to_iso(now),
                "due": to_iso(next_due_at),
                "interval": interval_s,
                "new": new_items,
                "etag": etag,
                "lm": last_modified,
                "hash": body_hash,
                "title": title,
                "id": feed_id,
            },
        )

    async def record_failure(
        self, feed_id: int, *, now: datetime, error: str, next_due_at: datetime, disable_reason: str | None
    ) -> None:
        await self.db.conn.execute(
            "UPDATE feeds SET last_fetch_at = ?, last_error = ?, consecutive_failures = consecutive_failures + 1, "
            "next_due_at = ?, enabled = CASE WHEN ? IS NULL THEN enabled ELSE 0 END, "
            "disabled_reason = COALESCE(?, disabled_reason) WHERE id = ?",
            (to_iso(now), error[:500], to_iso(next_due_at), disable_reason, disable_reason, feed_id),
        )

    # --- added for the Discord layer ----------------------------------------------------------------

    async def is_guild_only(self, url: str) -> bool:
        """True when only guilds (no operator) want this feed: it is fetched behind the SSRF guard."""
        row = await self.db.fetchone("SELECT operator FROM feeds WHERE url = ?", (url,))
        return row is not None and not row[0]

    async def owned_by(self, url: str, guild_id: int) -> Feed | None:
        """The feed at ``url`` if ``guild_id`` added it (another guild's feed is "not found")."""
        row = await self.db.fetchone(
            "SELECT f.* FROM feeds f JOIN feed_owners o ON o.feed_id = f.id WHERE f.url = ? AND o.guild_id = ?",
            (url, guild_id),
        )
        return feed_from_row(row) if row else None

    async def disabled_owned(self) -> builtins.list[tuple[Feed, builtins.list[int]]]:
        """Disabled feeds that guilds added, with the owning guild ids (their admins get told why)."""
        rows = await self.db.fetchall(
            "SELECT f.*, group_concat(o.guild_id) AS owners FROM feeds f JOIN feed_owners o ON o.feed_id = f.id "
            "WHERE f.enabled = 0 GROUP BY f.id ORDER BY f.id"
        )
        return [(feed_from_row(r), [int(g) for g in str(r["owners"]).split(",")]) for r in rows]

    async def record_unchanged_many(
        self, rows: builtins.list[tuple[int, datetime, int, datetime, str | None, str | None]]
    ) -> None:
        """Many 304 / unchanged polls in one statement batch: (feed_id, now, interval_s, next_due_at, etag,
        last_modified). Runs inside the caller's transaction."""
        await self.db.conn.executemany(
            "UPDATE feeds SET last_fetch_at = ?1, last_success_at = ?1, last_error = NULL, consecutive_failures = 0, "
            "interval_s = ?2, next_due_at = ?3, first_poll_done = 1, etag = COALESCE(?4, etag), "
            "last_modified = COALESCE(?5, last_modified) WHERE id = ?6",
            [
                (to_iso(now), interval, to_iso(due), etag, lm, feed_id)
                for feed_id, now, interval, due, etag, lm in rows
            ],
        )
