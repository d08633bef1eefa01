"""In-memory Discord objects for the fake and their wire (JSON) payloads."""

from __future__ import annotations

import datetime as dt
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000

TEXT_CHANNEL = 0
DM_CHANNEL = 1
CATEGORY_CHANNEL = 4
PUBLIC_THREAD = 11
FORUM_CHANNEL = 15

EPHEMERAL_FLAG = 1 << 6
LOADING_FLAG = 1 << 7


class Snowflakes:
    """Time-based, strictly increasing ids, so discord.py's `created_at` and id ordering stay meaningful."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def next(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (next(self._counter) & 0x3FFFFF)


def iso_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


@dataclass
class FakeUser:
    id: int
    username: str
    bot: bool = False
    dms_open: bool = True

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.username,
            "global_name": None,
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "system": False,
            "public_flags": 0,
            "flags": 0,
        }


@dataclass
class FakeRole:
    id: int
    guild_id: int
    name: str
    permissions: int
    position: int = 0
    managed: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": False,
            "flags": 0,
        }


@dataclass
class Overwrite:
    id: int
    type: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0

    def payload(self) -> dict[str, Any]:
        return {"id": str(self.id), "type": self.type, "allow": str(self.allow), "deny": str(self.deny)}


@dataclass
class FakeMember:
    user: FakeUser
    guild_id: int
    role_ids: list[int] = field(default_factory=list)
    joined_at: str = field(default_factory=iso_now)
    nick: str | None = None

    @property
    def id(self) -> int:
        return self.user.id

    def payload(self, *, with_user: bool = True, permissions: int | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roles": [str(r) for r in self.role_ids],
            "joined_at": self.joined_at,
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user.payload()
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data


@dataclass
class FakeChannel:
    id: int
    type: int
    name: str | None
    guild_id: int | None = None
    position: int = 0
    overwrites: list[Overwrite] = field(default_factory=list)
    recipients: list[FakeUser] = field(default_factory=list)
    topic: str | None = None
    parent_id: int | None = None
    deleted: bool = False
    #: A forum's tags as Discord returns them: ``{"id", "name", "moderated", "emoji_id", "emoji_name"}``.
    available_tags: list[dict[str, Any]] = field(default_factory=list)
    #: A forum post's (thread's) applied tag ids, its state and its creator.
    applied_tags: list[int] = field(default_factory=list)
    archived: bool = False
    locked: bool = False
    owner_id: int | None = None
    message_count: int = 0
    created_at: str = field(default_factory=iso_now)
    archive_timestamp: str = field(default_factory=iso_now)

    @property
    def is_thread(self) -> bool:
        return self.type == PUBLIC_THREAD

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": str(self.id), "type": self.type, "flags": 0, "last_message_id": None}
        if self.type == DM_CHANNEL:
            data["recipients"] = [u.payload() for u in self.recipients]
            return data
        if self.type == PUBLIC_THREAD:  # Discord's thread channel object (a forum post)
            data.update(
                {
                    "guild_id": str(self.guild_id),
                    "parent_id": str(self.parent_id),
                    "owner_id": str(self.owner_id),
                    "name": self.name,
                    "rate_limit_per_user": 0,
                    "message_count": self.message_count,
                    "member_count": 1,
                    "total_message_sent": self.message_count,
                    "applied_tags": [str(t) for t in self.applied_tags],
                    "thread_metadata": {
                        "archived": self.archived,
                        "auto_archive_duration": 10080,
                        "archive_timestamp": self.archive_timestamp,
                        "locked": self.locked,
                        "create_timestamp": self.created_at,
                    },
                }
            )
            return data
        data.update(
            {
                "name": self.name,
                "position": self.position,
                "permission_overwrites": [ow.payload() for ow in self.overwrites],
                "parent_id": str(self.parent_id) if self.parent_id else None,
                "nsfw": False,
                "rate_limit_per_user": 0,
            }
        )
        if self.type == TEXT_CHANNEL:
            data["topic"] = self.topic
        if self.type == FORUM_CHANNEL:
            data.update(
                {
                    "topic": self.topic,
                    "available_tags": [dict(t) for t in self.available_tags],
                    "default_auto_archive_duration": 10080,
                    "default_thread_rate_limit_per_user": 0,
                    "default_reaction_emoji": None,
                    "default_sort_order": None,
                    "default_forum_layout": 0,
                }
            )
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        return data


@dataclass
class FakeMessage:
    id: int
    channel_id: int
    author: FakeUser
    content: str = ""
    guild_id: int | None = None
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    #: The bytes of each attachment as uploaded, by file name.
    uploads: dict[str, bytes] = field(default_factory=dict)
    allowed_mentions: dict[str, Any] | None = None
    nonce: str | int | None = None
    flags: int = 0
    type: int = 0
    timestamp: str = field(default_factory=iso_now)
    edited_timestamp: str | None = None
    webhook_id: int | None = None
    interaction_id: int | None = None
    reactions: dict[str, set[int]] = field(default_factory=dict)
    #: Every state the message had before each edit, oldest first.
    history: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL_FLAG)

    @property
    def edit_count(self) -> int:
        return len(self.history)

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": self.author.payload(),
            "content": self.content,
            "timestamp": self.timestamp,
            "edited_timestamp": self.edited_timestamp,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": self.attachments,
            "embeds": self.embeds,
            "components": self.components,
            "reactions": [
                {"count": len(users), "me": True, "emoji": {"id": None, "name": emoji}}
                for emoji, users in self.reactions.items()
                if users
            ],
            "pinned": False,
            "type": self.type,
            "flags": self.flags,
        }
        if self.nonce is not None:
            data["nonce"] = self.nonce
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
        return data


@dataclass
class FakeGuild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, FakeRole] = field(default_factory=dict)
    channels: dict[int, FakeChannel] = field(default_factory=dict)
    members: dict[int, FakeMember] = field(default_factory=dict)

    @property
    def everyone(self) -> FakeRole:
        return self.roles[self.id]

    def active_threads(self) -> list[FakeChannel]:
        return [c for c in self.channels.values() if c.is_thread and not c.deleted and not c.archived]

    def text_channels(self) -> list[FakeChannel]:
        return [c for c in self.channels.values() if c.type == TEXT_CHANNEL and not c.deleted]

    def payload(self) -> dict[str, Any]:
        """The complete GUILD_CREATE body (member_count == len(members), so discord.py sees it chunked)."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [r.payload() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "joined_at": iso_now(),
            "large": False,
            "unavailable": False,
            "member_count": len(self.members),
            "members": [m.payload() for m in self.members.values()],
            "channels": [
                {k: v for k, v in c.payload().items() if k != "guild_id"}
                for c in self.channels.values()
                if not c.deleted and not c.is_thread
            ],
            "threads": [c.payload() for c in self.active_threads()],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }
