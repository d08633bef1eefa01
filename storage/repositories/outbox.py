"""The outbox: deliveries written with the change that caused them, sent later by a job."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.clock import to_iso, utcnow
from bot.models import Delivery, DeliveryIntent, DeliveryKind, TargetKind
from storage.database import Database

PENDING, SENT, FAILED, HELD = "pending", "sent", "failed", "held"


def _delivery_from_row(row: Any) -> Delivery:
    return Delivery(
        id=row["id"],
        kind=DeliveryKind(row["kind"]),
        target_kind=TargetKind(row["target_kind"]),
        target_id=row["target_id"],
        case_id=row["case_id"],
        article_id=row["article_id"],
        event_id=row["event_id"],
        guild_id=row["guild_id"],
        ping_role_id=row["ping_role_id"],
        payload=row["payload"],
        attempts=row["attempts"],
        state=row["state"],
        message_id=row["message_id"],
    )


class OutboxRepository:
    def __init__(self, db: Database) -> None:
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
        for intent in intents:
            event_id = event_ids[intent.event_index] if intent.event_index is not None and event_ids else None
            async with self.db.conn.execute(
                "INSERT OR IGNORE INTO deliveries (kind, dedupe_key, case_id, event_id, article_id, guild_id, "
                "target_kind, target_id, ping_role_id, payload, state, next_attempt_at, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
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
                ),
            ) as cur:
                added += cur.rowcount
        return added

    async def due(
        self, now: datetime, limit: int = 50, *, target_kinds: Sequence[TargetKind] = ()
    ) -> list[Delivery]:
        """Committed pending rows only. The publisher shares the connection with the poll, so a plain
        read here would see a poll's rows before it commits; sending one that then rolls back posts a
        phantom alert, and the row id (and nonce) the next poll reuses makes Discord swallow a real one.
        Must not be called inside a transaction (it takes the write lock to wait for open ones)."""
        sql = "SELECT * FROM deliveries WHERE state = 'pending' AND next_attempt_at <= ?"
        params: list[Any] = [to_iso(now)]
        if target_kinds:
            sql += f" AND target_kind IN ({','.join('?' * len(target_kinds))})"
            params += [k.value for k in target_kinds]
        sql += " ORDER BY id LIMIT ?"
        params.append(limit)
        async with self.db.transaction() as conn, conn.execute(sql, params) as cur:
            rows = await cur.fetchall()
        return [_delivery_from_row(r) for r in rows]

    async def instance_id(self) -> str:
        """This database's random id (see schema 0002): part of every nonce."""
        row = await self.db.fetchone("SELECT value FROM meta WHERE key = 'instance_id'")
        return str(row[0]) if row else ""

    async def held(self, guild_id: int) -> list[Delivery]:
        rows = await self.db.fetchall(
            "SELECT * FROM deliveries WHERE state = 'held' AND guild_id = ? ORDER BY id", (guild_id,)
        )
        return [_delivery_from_row(r) for r in rows]

    async def mark_sent(self, delivery_id: int, message_id: int | None = None) -> None:
        await self.db.execute(
            "UPDATE deliveries SET state = 'sent', message_id = ?, sent_at = ?, attempts = attempts + 1 "
            "WHERE id = ?",
            (message_id, to_iso(utcnow()), delivery_id),
        )

    async def mark_many(self, delivery_ids: Sequence[int], state: str) -> None:
        if delivery_ids:
            await self.db.execute(
                f"UPDATE deliveries SET state = ?, sent_at = ? WHERE id IN ({','.join('?' * len(delivery_ids))})",
                (state, to_iso(utcnow()), *delivery_ids),
            )

    async def retry_later(self, delivery_id: int, error: str, at: datetime) -> None:
        await self.db.execute(
            "UPDATE deliveries SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?",
            (error[:500], to_iso(at), delivery_id),
        )

    async def fail(self, delivery_id: int, error: str) -> None:
        """A permanent failure: never retried (Discord bans IPs that hammer 403/404)."""
        await self.db.execute(
            "UPDATE deliveries SET state = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?",
            (error[:500], delivery_id),
        )

    async def counts(self) -> dict[str, int]:
        rows = await self.db.fetchall("SELECT state, COUNT(*) FROM deliveries GROUP BY state")
        return {r[0]: r[1] for r in rows}

    # --- added for the Discord publisher and the digest job -------------------------------------------

    async def get(self, delivery_id: int) -> Delivery | None:
        row = await self.db.fetchone("SELECT * FROM deliveries WHERE id = ?", (delivery_id,))
        return _delivery_from_row(row) if row else None

    async def held_guilds(self) -> list[tuple[int, str]]:
        """Guilds with held (digest-mode) deliveries and the creation time of the oldest one."""
        rows = await self.db.fetchall(
            "SELECT guild_id, MIN(created_at) FROM deliveries WHERE state = 'held' AND guild_id IS NOT NULL "
            "GROUP BY guild_id ORDER BY guild_id"
        )
        return [(int(r[0]), str(r[1])) for r in rows]

    async def last_created(self, guild_id: int, kind: DeliveryKind) -> str | None:
        """When the newest delivery of ``kind`` for a guild was created (ISO text), e.g. the last digest."""
        row = await self.db.fetchone(
            "SELECT MAX(created_at) FROM deliveries WHERE guild_id = ? AND kind = ?", (guild_id, kind.value)
        )
        return row[0] if row and row[0] else None

    async def settle(self, delivery_ids: Sequence[int], state: str) -> None:
        """Like :meth:`mark_many` but inside the caller's transaction (held rows folded into a digest)."""
        for i in range(0, len(delivery_ids), 500):
            chunk = list(delivery_ids[i : i + 500])
            await self.db.conn.execute(
                f"UPDATE deliveries SET state = ?, sent_at = ? WHERE id IN ({','.join('?' * len(chunk))})",
                (state, to_iso(utcnow()), *chunk),
            )

    async def fail_pending_to(self, target_kind: TargetKind, target_id: int, error: str) -> int:
        """Fail every pending delivery to one target at once (its channel is gone: do not ask Discord again)."""
        async with (
            self.db.transaction() as conn,
            conn.execute(
                "UPDATE deliveries SET state = 'failed', last_error = ? WHERE state = 'pending' "
                "AND target_kind = ? AND target_id = ?",
                (error[:500], target_kind.value, target_id),
            ) as cur,
        ):
            return cur.rowcount
