"""Case cards (``storage.repositories.cards``)."""

from __future__ import annotations

import builtins

from bot.clock import to_iso, utcnow
from storage.postgres.database import PgDatabase


class CardRepository:
    """Case cards: the one message that shows a case in a channel."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def get(self, case_id: str, channel_id: int) -> int | None:
        value = await self.db.fetchval(
            "SELECT message_id FROM case_cards WHERE case_id = $1 AND channel_id = $2", case_id, channel_id
        )
        return int(value) if value is not None else None

    async def put(self, case_id: str, channel_id: int, message_id: int, *, guild_id: int | None) -> None:
        await self.db.execute(
            "INSERT INTO case_cards (case_id, channel_id, guild_id, message_id, updated_at) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (case_id, channel_id) DO UPDATE SET "
            "message_id = excluded.message_id, updated_at = excluded.updated_at",
            case_id,
            channel_id,
            guild_id,
            message_id,
            to_iso(utcnow()),
        )

    async def touch(self, case_id: str, channel_id: int) -> None:
        await self.db.execute(
            "UPDATE case_cards SET updated_at = $1 WHERE case_id = $2 AND channel_id = $3",
            to_iso(utcnow()),
            case_id,
            channel_id,
        )

    async def forget(self, case_id: str, channel_id: int) -> None:
        await self.db.execute(
            "DELETE FROM case_cards WHERE case_id = $1 AND channel_id = $2", case_id, channel_id
        )

    async def channels_of(self, case_id: str) -> builtins.list[tuple[int, int | None]]:
        rows = await self.db.fetch(
            "SELECT channel_id, guild_id FROM case_cards WHERE case_id = $1 ORDER BY channel_id", case_id
        )
        return [(int(r[0]), int(r[1]) if r[1] is not None else None) for r in rows]

    async def in_channel(self, channel_id: int) -> builtins.list[tuple[str, int]]:
        rows = await self.db.fetch(
            "SELECT case_id, message_id FROM case_cards WHERE channel_id = $1 ORDER BY updated_at", channel_id
        )
        return [(r[0], int(r[1])) for r in rows]
