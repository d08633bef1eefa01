"""The outbox of deliveries (``storage.repositories.outbox``)."""

from __future__ import annotations

import builtins
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.clock import to_iso, utcnow
from bot.models import (
    Delivery,
    DeliveryIntent,
    DeliveryKind,
    TargetKind,
)
from storage.postgres.database import PgDatabase, rowcount
from storage.postgres.repositories.common import (
    _t,
)
from storage.repositories.outbox import HELD, PENDING, _delivery_from_row


class OutboxRepository:
    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def enqueue(
        self,
        intents: Sequence[DeliveryIntent],
        event_ids: Sequence[int] = (),
        payload: dict[str, Any] | None = None,
    ) -> int:
        """Insert deliveries inside the caller's transaction; a repeated dedupe key is ignored."""
        now = to_iso(utcnow())
        added = 0
        async with self.db.conn() as conn:
            for intent in intents:
                event_id = (
                    event_ids[intent.event_index] if intent.event_index is not None and event_ids else None
                )
                status = await conn.execute(
                    "INSERT INTO deliveries (kind, dedupe_key, case_id, event_id, article_id, guild_id, "
                    "target_kind, target_id, ping_role_id, payload, state, next_attempt_at, created_at) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
                    "ON CONFLICT (dedupe_key) DO NOTHING",
                    intent.kind.value,
                    intent.dedupe_key,
                    intent.case_id,
                    event_id,
                    intent.article_id,
                    intent.guild_id,
                    intent.target_kind.value,
                    intent.target_id,
                    intent.ping_role_id,
                    json.dumps(payload or {}),
                    HELD if intent.held_for_digest else PENDING,
                    now,
                    now,
                )
                added += rowcount(status)
        return added

    async def due(
        self, now: datetime, limit: int = 50, *, target_kinds: Sequence[TargetKind] = ()
    ) -> builtins.list[Delivery]:
        """Committed pending rows only (outside a transaction a pooled connection sees nothing else)."""
        sql = "SELECT * FROM deliveries WHERE state = 'pending' AND next_attempt_at <= $1"
        params: builtins.list[Any] = [to_iso(now)]
        if target_kinds:
            sql += " AND target_kind = ANY($2::text[])"
            params.append([k.value for k in target_kinds])
        sql += f" ORDER BY id LIMIT ${len(params) + 1}"
        params.append(limit)
        rows = await self.db.fetch(sql, *params)
        return [_delivery_from_row(r) for r in rows]

    async def instance_id(self) -> str:
        value = await self.db.fetchval("SELECT value FROM meta WHERE key = 'instance_id'")
        return str(value) if value is not None else ""

    async def held(self, guild_id: int) -> builtins.list[Delivery]:
        rows = await self.db.fetch(
            "SELECT * FROM deliveries WHERE state = 'held' AND guild_id = $1 ORDER BY id", guild_id
        )
        return [_delivery_from_row(r) for r in rows]

    async def mark_sent(self, delivery_id: int, message_id: int | None = None) -> None:
        await self.db.execute(
            "UPDATE deliveries SET state = 'sent', message_id = $1, sent_at = $2, attempts = attempts + 1 "
            "WHERE id = $3",
            message_id,
            to_iso(utcnow()),
            delivery_id,
        )

    async def mark_many(self, delivery_ids: Sequence[int], state: str) -> None:
        if delivery_ids:
            await self.db.execute(
                "UPDATE deliveries SET state = $1, sent_at = $2 WHERE id = ANY($3::bigint[])",
                state,
                to_iso(utcnow()),
                list(delivery_ids),
            )

    async def retry_later(self, delivery_id: int, error: str, at: datetime) -> None:
        await self.db.execute(
            "UPDATE deliveries SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 WHERE id = $3",
            _t(error[:500]),
            to_iso(at),
            delivery_id,
        )

    async def fail(self, delivery_id: int, error: str) -> None:
        await self.db.execute(
            "UPDATE deliveries SET state = 'failed', attempts = attempts + 1, last_error = $1 WHERE id = $2",
            _t(error[:500]),
            delivery_id,
        )

    async def counts(self) -> dict[str, int]:
        rows = await self.db.fetch("SELECT state, COUNT(*) FROM deliveries GROUP BY state")
        return {r[0]: int(r[1]) for r in rows}

    async def get(self, delivery_id: int) -> Delivery | None:
        row = await self.db.fetchrow("SELECT * FROM deliveries WHERE id = $1", delivery_id)
        return _delivery_from_row(row) if row else None

    async def held_guilds(self) -> builtins.list[tuple[int, str]]:
        rows = await self.db.fetch(
            "SELECT guild_id, MIN(created_at) FROM deliveries WHERE state = 'held' AND guild_id IS NOT NULL "
            "GROUP BY guild_id ORDER BY guild_id"
        )
        return [(int(r[0]), str(r[1])) for r in rows]

    async def last_created(self, guild_id: int, kind: DeliveryKind) -> str | None:
        value = await self.db.fetchval(
            "SELECT MAX(created_at) FROM deliveries WHERE guild_id = $1 AND kind = $2", guild_id, kind.value
        )
        return value if value else None

    async def settle(self, delivery_ids: Sequence[int], state: str) -> None:
        """Like :meth:`mark_many` but inside the caller's transaction."""
        if delivery_ids:
            await self.db.execute(
                "UPDATE deliveries SET state = $1, sent_at = $2 WHERE id = ANY($3::bigint[])",
                state,
                to_iso(utcnow()),
                list(delivery_ids),
            )

    async def fail_pending_to(self, target_kind: TargetKind, target_id: int, error: str) -> int:
        async with self.db.transaction() as conn:
            status = await conn.execute(
                "UPDATE deliveries SET state = 'failed', last_error = $1 WHERE state = 'pending' "
                "AND target_kind = $2 AND target_id = $3",
                _t(error[:500]),
                target_kind.value,
                target_id,
            )
        return rowcount(status)
