"""Pure checks and parsing the cogs share: permissions, list options, ownership of follows.

Kept out of the cogs so the rules (who may do what, what a list option means) are tested without Discord.
"""

from __future__ import annotations

import re

from bot.models import Action, Subscription, TargetKind

ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
MANAGE_CHANNELS = 1 << 4
MAX_FEEDS_PER_GUILD = 50
MAX_FOLLOWS_PER_TARGET = 100
CLEAR_WORDS = frozenset({"-", "none", "clear", "off", "*"})


def can_manage(permissions: int) -> bool:
    """Manage Server (or Administrator): what every admin command requires, checked again in code."""
    return bool(permissions & (MANAGE_GUILD | ADMINISTRATOR))


def split_list(raw: str | None, *, limit: int = 25, item_max: int = 60) -> tuple[str, ...] | None:
    """A comma-separated option: None when not given, () when cleared ("none", "-"), else trimmed items."""
    if raw is None:
        return None
    if raw.strip().lower() in CLEAR_WORDS:
        return ()
    items = [re.sub(r"\s+", " ", p).strip()[:item_max] for p in re.split(r"[,;\n]", raw)]
    seen: dict[str, None] = {}
    for item in items:
        if item and item.lower() not in (k.lower() for k in seen):
            seen[item] = None
    return tuple(seen)[:limit]


def unknown_actions(values: tuple[str, ...]) -> list[str]:
    known = {a.value for a in Action}
    return [v for v in values if v.strip().lower().replace(" ", "_") not in known]


def normalise_actions(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(v.strip().lower().replace(" ", "_") for v in values)


def parse_id(value: str | None) -> int | None:
    """A numeric id from an autocomplete value or typed text; None for anything else."""
    if value is None:
        return None
    value = value.strip()
    return int(value) if value.isdigit() and len(value) <= 20 else None


def may_manage_subscription(
    sub: Subscription, *, user_id: int, guild_id: int | None, manages_guild: bool
) -> bool:
    """A user's own DM follows, or (for guild admins) channel follows of the same guild. Anything else
    is answered as "not found", so ids of other guilds' follows reveal nothing."""
    if sub.target_kind is TargetKind.USER:
        return sub.target_id == user_id
    return guild_id is not None and sub.guild_id == guild_id and manages_guild
