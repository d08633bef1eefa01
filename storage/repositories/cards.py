"""Case cards: the one message that shows a case in a channel, edited when the case changes."""

from __future__ import annotations

from bot.clock import to_iso, utcnow
from storage.database import Database


class CardRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, case_id: str, channel_id: int) -> int | None:
        """The card's message id in ``channel_id``, or None when the case has no card there."""
        row = await self.db.fetchone(
            "SELECT message_id FROM case_cards WHERE case_id = ? AND channel_id = ?", (case_id, channel_id)
        )
        return int(row[0]) if row else None

    async def put(self, case_id: str, channel_id: int, message_id: int, *, guild_id: int | None) -> None:
        await self.db.execute(
            "INSERT INTO case_cards (case_id, channel_id, guild_id, message_id, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (case_id, channel_id) DO UPDATE SET message_id = excluded.message_id, "
            "updated_at = excluded.updated_at",
            (case_id, channel_id, guild_id, message_id, to_iso(utcnow())),
        )

    async def touch(self, case_id: str, channel_id: int) -> None:
        await self.db.execute(
            "UPDATE case_cards SET updated_at = ? WHERE case_id = ? AND channel_id = ?",
            (to_iso(utcnow()), case_id, channel_id),
        )

    async def forget(self, case_id: str, channel_id: int) -> None:
        """The card message is gone (deleted by a moderator): the next change posts a new one."""
        await self.db.execute(
            "DELETE FROM case_cards WHERE case_id = ? AND channel_id = ?", (case_id, channel_id)
        )

    async def channels_of(self, case_id: str) -> list[tuple[int, int | None]]:
        """(channel id, guild id) of every channel that shows a card of ``case_id``."""
        rows = await self.db.fetchall(
            "SELECT channel_id, guild_id FROM case_cards WHERE case_id = ? ORDER BY channel_id", (case_id,)
        )
        return [(int(r[0]), int(r[1]) if r[1] is not None else None) for r in rows]

    async def in_channel(self, channel_id: int) -> list[tuple[str, int]]:
        rows = await self.db.fetchall(
            "SELECT case_id, message_id FROM case_cards WHERE channel_id = ? ORDER BY updated_at",
            (channel_id,),
        )
        return [(r[0], int(r[1])) for r in rows]
