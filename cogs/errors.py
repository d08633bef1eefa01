"""One place that turns command errors into an ephemeral answer saying what to do next."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from cogs.common import reply

log = logging.getLogger(__name__)


def explain(error: app_commands.AppCommandError) -> str:
    """The user-facing sentence for an error (never a stack trace, never another guild's data)."""
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works in a server. Run it in a channel of the server you want to set up."
    if isinstance(error, app_commands.MissingPermissions):
        return (
            "You need the **Manage Server** permission for this. Ask a server admin, "
            "or ask them to grant you a role with Manage Server."
        )
    if isinstance(error, app_commands.BotMissingPermissions):
        missing = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"I am missing permissions here: {missing}. Ask an admin to grant them to my role."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.TransformerError):
        return f"I could not understand `{str(error.value)[:80]}`. Pick a value from the list Discord offers."
    if isinstance(error, app_commands.CheckFailure):
        return "You cannot use this command here."
    return (
        "Something went wrong on my side. Try again in a minute; if it keeps failing, tell the bot operator."
    )


class ErrorsCog(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self._previous = bot.tree.on_error

    async def cog_load(self) -> None:
        self.bot.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]

    async def cog_unload(self) -> None:
        self.bot.tree.on_error = self._previous  # type: ignore[method-assign]

    async def on_app_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        if not isinstance(error, app_commands.CheckFailure | app_commands.TransformerError):
            name = interaction.command.qualified_name if interaction.command else "?"
            log.error("command /%s failed", name, exc_info=error)
        try:
            await reply(interaction, explain(error))
        except discord.HTTPException:
            log.warning("could not tell the user about an error (interaction expired?)")


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(ErrorsCog(bot))
