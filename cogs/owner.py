"""/owner sync: the deliberate, owner-only way to publish the command tree from Discord itself."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import sync_tree
from bot.guards import parse_id
from cogs.common import app, reply


@app_commands.default_permissions(administrator=True)
class OwnerCog(commands.GroupCog, group_name="owner", group_description="Bot owner tools"):
    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if not await app(interaction).is_owner(interaction.user):
            raise app_commands.CheckFailure("owner only")
        return True

    @app_commands.command(name="sync", description="Publish slash commands globally or to one server")
    @app_commands.describe(guild_id="A server id for an instant, server-only sync (empty: global)")
    async def sync(self, interaction: discord.Interaction[Any], guild_id: str | None = None) -> None:
        target = parse_id(guild_id) if guild_id else None
        if guild_id and target is None:
            await reply(interaction, "guild_id must be a numeric server id.")
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        synced = await sync_tree(app(interaction), target)
        await reply(
            interaction,
            f"Synced {len(synced)} commands to {f'server {target}' if target else 'all servers'}.",
        )


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(OwnerCog())
