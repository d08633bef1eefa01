"""Discord permission bits and the channel-permission computation Discord performs server-side.

Kept free of discord.py so the fake judges permissions independently of the library under test.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .state import FakeChannel, FakeGuild, FakeMember

PERMISSION_BITS: dict[str, int] = {
    "create_instant_invite": 1 << 0,
    "kick_members": 1 << 1,
    "ban_members": 1 << 2,
    "administrator": 1 << 3,
    "manage_channels": 1 << 4,
    "manage_guild": 1 << 5,
    "add_reactions": 1 << 6,
    "view_audit_log": 1 << 7,
    "view_channel": 1 << 10,
    "read_messages": 1 << 10,
    "send_messages": 1 << 11,
    "manage_messages": 1 << 13,
    "embed_links": 1 << 14,
    "attach_files": 1 << 15,
    "read_message_history": 1 << 16,
    "mention_everyone": 1 << 17,
    "use_external_emojis": 1 << 18,
    "connect": 1 << 20,
    "speak": 1 << 21,
    "change_nickname": 1 << 26,
    "manage_roles": 1 << 28,
    "manage_webhooks": 1 << 29,
    "use_application_commands": 1 << 31,
    "manage_threads": 1 << 34,
    "create_public_threads": 1 << 35,
    "send_messages_in_threads": 1 << 38,
    "moderate_members": 1 << 40,
}
ALL_PERMISSIONS = (1 << 53) - 1
ADMINISTRATOR = PERMISSION_BITS["administrator"]
VIEW_CHANNEL = PERMISSION_BITS["view_channel"]
SEND_MESSAGES = PERMISSION_BITS["send_messages"]
READ_MESSAGE_HISTORY = PERMISSION_BITS["read_message_history"]
ADD_REACTIONS = PERMISSION_BITS["add_reactions"]
MANAGE_CHANNELS = PERMISSION_BITS["manage_channels"]
MANAGE_THREADS = PERMISSION_BITS["manage_threads"]
SEND_MESSAGES_IN_THREADS = PERMISSION_BITS["send_messages_in_threads"]
ATTACH_FILES = PERMISSION_BITS["attach_files"]

#: What a fresh guild's @everyone role gets (close to Discord's default).
DEFAULT_EVERYONE = sum(
    PERMISSION_BITS[name]
    for name in (
        "create_instant_invite",
        "add_reactions",
        "view_channel",
        "send_messages",
        "embed_links",
        "attach_files",
        "read_message_history",
        "use_external_emojis",
        "connect",
        "speak",
        "change_nickname",
        "use_application_commands",
        "send_messages_in_threads",
    )
)


def parse_permissions(value: int | str | Iterable[str] | None) -> int:
    """Accept an int, one permission name, or several names (as tests like to write them)."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    names = [value] if isinstance(value, str) else list(value)
    bits = 0
    for name in names:
        try:
            bits |= PERMISSION_BITS[name]
        except KeyError:
            raise ValueError(f"unknown permission name {name!r}") from None
    return bits


def base_permissions(guild: FakeGuild, member: FakeMember) -> int:
    """Guild-level permissions: owner and administrators get everything."""
    if member.user.id == guild.owner_id:
        return ALL_PERMISSIONS
    bits = guild.roles[guild.id].permissions
    for role_id in member.role_ids:
        role = guild.roles.get(role_id)
        if role is not None:
            bits |= role.permissions
    return ALL_PERMISSIONS if bits & ADMINISTRATOR else bits


def channel_permissions(guild: FakeGuild, channel: FakeChannel, member: FakeMember) -> int:
    """Apply overwrites in Discord's order: @everyone, then roles (deny before allow), then the member.
    A thread has no overwrites of its own: it has its parent channel's permissions."""
    if channel.is_thread and channel.parent_id in guild.channels:
        channel = guild.channels[channel.parent_id]  # type: ignore[index]
    bits = base_permissions(guild, member)
    if bits & ADMINISTRATOR or bits == ALL_PERMISSIONS:
        return ALL_PERMISSIONS
    by_id = {ow.id: ow for ow in channel.overwrites}
    everyone = by_id.get(guild.id)
    if everyone is not None:
        bits = (bits & ~everyone.deny) | everyone.allow
    allow = deny = 0
    for role_id in member.role_ids:
        ow = by_id.get(role_id)
        if ow is not None and ow.type == 0:
            allow |= ow.allow
            deny |= ow.deny
    bits = (bits & ~deny) | allow
    own = by_id.get(member.user.id)
    if own is not None and own.type == 1:
        bits = (bits & ~own.deny) | own.allow
    if not bits & VIEW_CHANNEL:
        return 0
    return bits
