"""Per-guild settings and subscriptions (follows)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.clock import to_iso, utcnow
from bot.models import DigestMode, FollowMode, GuildSettings, Subscription, TargetKind
from storage.codec import dumps, loads
from storage.database import Database

_SETTINGS_FIELDS = (
    "alert_channel_id",
    "ping_role_id",
    "min_score",
    "platforms",
    "actions",
    "include_keywords",
    "exclude_keywords",
    "digest",
    "admin_channel_id",
    "issues",
    "alert_forum",
)
_JSON_FIELDS = {"platforms", "actions", "include_keywords", "exclude_keywords", "issues"}


def _settings_from_row(row: Any) -> GuildSettings:
    return GuildSettings(
        guild_id=row["guild_id"],
        alert_channel_id=row["alert_channel_id"],
        ping_role_id=row["ping_role_id"],
        min_score=row["min_score"],
        platforms=loads(row["platforms"]),
        actions=loads(row["actions"]),
        include_keywords=loads(row["include_keywords"]),
        exclude_keywords=loads(row["exclude_keywords"]),
        digest=DigestMode(row["digest"]),
        admin_channel_id=row["admin_channel_id"],
        issues=loads(row["issues"]),
        alert_forum=bool(row["alert_forum"]),
    )


def _subscription_from_row(row: Any) -> Subscription:
    return Subscription(
        id=row["id"],
        guild_id=row["guild_id"],
        target_kind=TargetKind(row["target_kind"]),
        target_id=row["target_id"],
        case_id=row["case_id"],
        platform_key=row["platform_key"],
        mode=FollowMode(row["mode"]),
        created_by=row["created_by"],
    )


class GuildRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def settings(self, guild_id: int) -> GuildSettings:
        row = await self.db.fetchone("SELECT * FROM guild_settings WHERE guild_id = ?", (guild_id,))
        return _settings_from_row(row) if row else GuildSettings(guild_id=guild_id)

    async def update_settings(self, guild_id: int, **changes: Any) -> GuildSettings:
        unknown = set(changes) - set(_SETTINGS_FIELDS)
        if unknown:
            raise ValueError(f"unknown guild settings: {sorted(unknown)}")
        values = {
            k: (dumps(v) if k in _JSON_FIELDS else (v.value if isinstance(v, DigestMode) else v))
            for k, v in changes.items()
        }
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT OR IGNORE INTO guild_settings (guild_id, updated_at) VALUES (?, ?)",
                (guild_id, to_iso(utcnow())),
            )
            if values:
                sets = ", ".join(f"{k} = ?" for k in values)
                await conn.execute(
                    f"UPDATE guild_settings SET {sets}, updated_at = ? WHERE guild_id = ?",
                    (*values.values(), to_iso(utcnow()), guild_id),
                )
        return await self.settings(guild_id)

    async def alerting(self) -> list[GuildSettings]:
        """Guilds with an alert channel: the router's audience for new cases and status changes."""
        rows = await self.db.fetchall("SELECT * FROM guild_settings WHERE alert_channel_id IS NOT NULL")
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
        # NULLs are distinct in SQL UNIQUE constraints, so look the follow up by hand (IS matches NULL).
        async with self.db.transaction() as conn:
            async with conn.execute(
                "SELECT id FROM subscriptions WHERE target_kind = ? AND target_id = ? AND case_id IS ? "
                "AND platform_key IS ?",
                (target_kind.value, target_id, case_id, platform_key),
            ) as cur:
                row = await cur.fetchone()
            if row is None:
                async with conn.execute(
                    "INSERT INTO subscriptions (guild_id, target_kind, target_id, case_id, platform_key, mode, "
                    "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        guild_id,
                        target_kind.value,
                        target_id,
                        case_id,
                        platform_key,
                        mode.value,
                        created_by,
                        to_iso(utcnow()),
                    ),
                ) as cur:
                    sub_id = int(cur.lastrowid)  # type: ignore[arg-type]
            else:
                sub_id = row[0]
                await conn.execute("UPDATE subscriptions SET mode = ? WHERE id = ?", (mode.value, sub_id))
        sub = await self.get_subscription(sub_id)
        assert sub is not None
        return sub

    async def unfollow(self, subscription_id: int) -> bool:
        async with (
            self.db.transaction() as conn,
            conn.execute("DELETE FROM subscriptions WHERE id = ?", (subscription_id,)) as cur,
        ):
            return cur.rowcount > 0

    async def get_subscription(self, subscription_id: int) -> Subscription | None:
        row = await self.db.fetchone("SELECT * FROM subscriptions WHERE id = ?", (subscription_id,))
        return _subscription_from_row(row) if row else None

    async def subscriptions_for(self, case_id: str, platform_keys: Iterable[str]) -> list[Subscription]:
        keys = sorted(set(platform_keys))
        sql = "SELECT * FROM subscriptions WHERE case_id = ?"
        if keys:
            sql += f" OR platform_key IN ({','.join('?' * len(keys))})"
        rows = await self.db.fetchall(sql + " ORDER BY id", (case_id, *keys))
        return [_subscription_from_row(r) for r in rows]

    async def subscriptions_of(self, target_kind: TargetKind, target_id: int) -> list[Subscription]:
        rows = await self.db.fetchall(
            "SELECT * FROM subscriptions WHERE target_kind = ? AND target_id = ? ORDER BY id",
            (target_kind.value, target_id),
        )
        return [_subscription_from_row(r) for r in rows]

    async def subscriptions_in_guild(self, guild_id: int) -> list[Subscription]:
        rows = await self.db.fetchall(
            "SELECT * FROM subscriptions WHERE guild_id = ? ORDER BY id", (guild_id,)
        )
        return [_subscription_from_row(r) for r in rows]
