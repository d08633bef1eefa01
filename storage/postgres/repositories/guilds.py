"""Guild settings and subscriptions (``storage.repositories.guilds``)."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import Any

from bot.clock import to_iso, utcnow
from bot.models import (
    DigestMode,
    FollowMode,
    GuildSettings,
    Subscription,
    TargetKind,
)
from storage.codec import (
    dumps,
)
from storage.postgres.database import PgDatabase, rowcount
from storage.repositories.guilds import (
    _JSON_FIELDS,
    _SETTINGS_FIELDS,
    _settings_from_row,
    _subscription_from_row,
)


class GuildRepository:
    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def settings(self, guild_id: int) -> GuildSettings:
        row = await self.db.fetchrow("SELECT * FROM guild_settings WHERE guild_id = $1", guild_id)
        return _settings_from_row(row) if row else GuildSettings(guild_id=guild_id)

    async def update_settings(self, guild_id: int, **changes: Any) -> GuildSettings:
        unknown = set(changes) - set(_SETTINGS_FIELDS)
        if unknown:
            raise ValueError(f"unknown guild settings: {sorted(unknown)}")
        values = {
            k: (dumps(v) if k in _JSON_FIELDS else (v.value if isinstance(v, DigestMode) else v))
            for k, v in changes.items()
        }
        if "min_score" in values and values["min_score"] is not None:
            values["min_score"] = float(values["min_score"])
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO guild_settings (guild_id, updated_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                guild_id,
                to_iso(utcnow()),
            )
            if values:
                sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(values, start=3))
                await conn.execute(
                    f"UPDATE guild_settings SET {sets}, updated_at = $2 WHERE guild_id = $1",
                    guild_id,
                    to_iso(utcnow()),
                    *values.values(),
                )
        return await self.settings(guild_id)

    async def alerting(self) -> builtins.list[GuildSettings]:
        rows = await self.db.fetch(
            "SELECT * FROM guild_settings WHERE alert_channel_id IS NOT NULL ORDER BY guild_id"
        )
        return [_settings_from_row(r) for r in rows]

    async def follow(
        self,
        *,
        guild_id: int | None,
        target_kind: TargetKind,
        target_id: int,
        case_id: str | None = None,
        platform_key: str | None = None,
        mode: FollowMode = FollowMode.ALL,
        created_by: int | None = None,
    ) -> Subscription:
        async with self.db.transaction() as conn:
            sub_id = await conn.fetchval(
                "SELECT id FROM subscriptions WHERE target_kind = $1 AND target_id = $2 "
                "AND case_id IS NOT DISTINCT FROM $3::text AND platform_key IS NOT DISTINCT FROM $4::text",
                target_kind.value,
                target_id,
                case_id,
                platform_key,
            )
            if sub_id is None:
                sub_id = await conn.fetchval(
                    "INSERT INTO subscriptions (guild_id, target_kind, target_id, case_id, platform_key, mode, "
                    "created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                    guild_id,
                    target_kind.value,
                    target_id,
                    case_id,
                    platform_key,
                    mode.value,
                    created_by,
                    to_iso(utcnow()),
                )
            else:
                await conn.execute("UPDATE subscriptions SET mode = $1 WHERE id = $2", mode.value, sub_id)
        sub = await self.get_subscription(int(sub_id))
        assert sub is not None
        return sub

    async def unfollow(self, subscription_id: int) -> bool:
        status = await self.db.execute("DELETE FROM subscriptions WHERE id = $1", subscription_id)
        return rowcount(status) > 0

    async def get_subscription(self, subscription_id: int) -> Subscription | None:
        row = await self.db.fetchrow("SELECT * FROM subscriptions WHERE id = $1", subscription_id)
        return _subscription_from_row(row) if row else None

    async def subscriptions_for(
        self, case_id: str, platform_keys: Iterable[str]
    ) -> builtins.list[Subscription]:
        keys = sorted(set(platform_keys))
        rows = await self.db.fetch(
            "SELECT * FROM subscriptions WHERE case_id = $1 OR platform_key = ANY($2::text[]) ORDER BY id",
            case_id,
            keys,
        )
        return [_subscription_from_row(r) for r in rows]

    async def subscriptions_of(self, target_kind: TargetKind, target_id: int) -> builtins.list[Subscription]:
        rows = await self.db.fetch(
            "SELECT * FROM subscriptions WHERE target_kind = $1 AND target_id = $2 ORDER BY id",
            target_kind.value,
            target_id,
        )
        return [_subscription_from_row(r) for r in rows]

    async def subscriptions_in_guild(self, guild_id: int) -> builtins.list[Subscription]:
        rows = await self.db.fetch("SELECT * FROM subscriptions WHERE guild_id = $1 ORDER BY id", guild_id)
        return [_subscription_from_row(r) for r in rows]
