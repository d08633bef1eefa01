"""What every cog shares: the typed bot, ephemeral-by-default replies, and the in-code admin check."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import discord
from discord import app_commands

from bot.delivery.publisher import mentions_for, to_embeds, to_files, to_view
from bot.delivery.render import MessageSpec
from bot.guards import can_manage

if TYPE_CHECKING:
    from bot.app import CasewatchBot

T = TypeVar("T")
SLOW_AFTER_S = 1.0  # Discord drops an interaction that is not answered within 3 s


def app(interaction: discord.Interaction[Any]) -> CasewatchBot:
    return cast("CasewatchBot", interaction.client)


def is_admin(interaction: discord.Interaction[Any]) -> bool:
    return interaction.guild_id is not None and can_manage(interaction.permissions.value)


def require_admin(interaction: discord.Interaction[Any]) -> bool:
    """The code-side twin of ``default_permissions(manage_guild=True)``: server admins can re-grant a
    command to anyone in Integrations settings, so the permission is checked again here."""
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    if not can_manage(interaction.permissions.value):
        raise app_commands.MissingPermissions(["manage_guild"])
    return True


async def reply(
    interaction: discord.Interaction[Any],
    content: str | None = None,
    *,
    spec: MessageSpec | None = None,
    ephemeral: bool = True,
    view: discord.ui.View | None = None,
) -> None:
    """Answer once (or follow up after a defer); mentions never ping from a command reply."""
    kwargs: dict[str, Any] = {"ephemeral": ephemeral, "allowed_mentions": discord.AllowedMentions.none()}
    if spec is not None:
        content = spec.content if content is None else content
        kwargs["allowed_mentions"] = mentions_for(spec)
        if spec.embeds:
            kwargs["embeds"] = to_embeds(spec)
        if spec.files:
            kwargs["files"] = to_files(spec)
        view = view or to_view(spec)
    if view is not None:
        kwargs["view"] = view
    if interaction.response.is_done():
        await interaction.followup.send(content or discord.utils.MISSING, **kwargs)
    else:
        await interaction.response.send_message(content, **kwargs)


def bot_can_post(channel: Any) -> list[str]:
    """Permissions the bot lacks to post cards in ``channel`` (empty when it can)."""
    if not isinstance(channel, discord.abc.GuildChannel):
        return []
    perms = channel.permissions_for(channel.guild.me)
    wanted = {
        "View Channel": perms.view_channel,
        "Send Messages": perms.send_messages,
        "Embed Links": perms.embed_links,
    }
    if isinstance(channel, discord.ForumChannel):  # posts are made with Send Messages, filled with this
        wanted["Send Messages in Threads"] = perms.send_messages_in_threads
    return [name for name, ok in wanted.items() if not ok]


async def defer_if_slow(
    interaction: discord.Interaction[Any], work: Awaitable[T], *, after_s: float = SLOW_AFTER_S
) -> T:
    """Await ``work``; if it is still running after ``after_s``, defer (ephemeral, "thinking") meanwhile.

    DNS lookups, feed fetches and rate-limited sends can take longer than the 3 s Discord gives an
    interaction; fast work still answers directly, so a quick error stays a plain ephemeral reply."""
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=after_s)
        if not done and not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)
        return await task
    finally:
        task.cancel()  # no-op once finished; stops the work if deferring failed or we were cancelled
