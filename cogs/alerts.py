"""/alerts: where new-case alerts and status updates go, which ones, who gets pinged, digests."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.delivery import render
from bot.delivery.publisher import send_spec, start_post
from bot.detect.issues import LABELS, parse_issues
from bot.guards import normalise_actions, split_list, unknown_actions
from bot.models import Action, Case, DigestMode, GuildSettings, Stage
from cogs.common import app, bot_can_post, defer_if_slow, reply, require_admin

SAMPLE = Case(
    id="sample",
    title="Example: Platform sues regulator over data demand (sample)",
    status=Stage.FILED,
    action=Action.LAWSUIT,
    platforms=("ExamplePlatform",),
    counterparties=("Example Regulator",),
    court="Example District Court",
    summary="This is what a casewatch case card looks like. Real cards show the parties, status, "
    "latest development and the articles that reported the case.",
    article_count=1,
)


def describe(settings: GuildSettings) -> str:
    def listed(values: tuple[str, ...]) -> str:
        return render.safe(", ".join(values), 300) if values else "any"

    return "\n".join(
        [
            f"**Alert channel:** {f'<#{settings.alert_channel_id}>' if settings.alert_channel_id else 'not set'}",
            f"**Ping role:** {f'<@&{settings.ping_role_id}>' if settings.ping_role_id else 'off'}",
            f"**Digest:** {settings.digest.value}",
            f"**Platforms:** {listed(settings.platforms)} · **Actions:** {listed(settings.actions)}",
            f"**Legal issues:** {listed(tuple(LABELS.get(k, k) for k in settings.issues))}",
            f"**Minimum score:** {settings.min_score:g}",
            f"**Include keywords:** {listed(settings.include_keywords)} · "
            f"**Exclude keywords:** {listed(settings.exclude_keywords)}",
            f"**Admin notices:** {f'<#{settings.admin_channel_id}>' if settings.admin_channel_id else 'system channel'}",
        ]
    )


def forum_setup_text(forum: discord.ForumChannel) -> str:
    """What /alerts set answers for a forum: how it works, and the one permission it may still lack."""
    text = (
        f"Each case will be a post in {forum.mention}: the case card first, then every development and "
        "status change in the post; tags say open / closed, the action and the platforms; closed cases' "
        "posts are archived and reopened when the case reopens."
    )
    if not forum.permissions_for(forum.guild.me).manage_channels:
        text += (
            " I cannot create the forum's tags (no Manage Channels there): posts get the tags that exist; "
            "give me Manage Channels or create tags named open, closed, the actions and platforms."
        )
    return text


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class AlertsCog(
    commands.GroupCog, group_name="alerts", group_description="Set up case alerts for this server"
):
    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        return require_admin(interaction)

    @app_commands.command(name="set", description="Post new-case alerts and status updates in a channel")
    @app_commands.describe(channel="The text channel that gets case cards, or a forum: one post per case")
    async def set_channel(
        self, interaction: discord.Interaction[Any], channel: discord.TextChannel | discord.ForumChannel
    ) -> None:
        forum = isinstance(channel, discord.ForumChannel)
        missing = bot_can_post(channel)
        if missing:
            await reply(
                interaction,
                f"I cannot post in {channel.mention}: missing {', '.join(missing)}. "
                "Grant those to my role in that channel, then run /alerts set again.",
            )
            return
        await app(interaction).store.guilds.update_settings(interaction.guild_id, alert_channel_id=channel.id, alert_forum=forum)  # type: ignore[arg-type]
        if isinstance(channel, discord.ForumChannel):
            await reply(interaction, forum_setup_text(channel))
            return
        await reply(
            interaction,
            f"New cases and status updates will be posted in {channel.mention}. "
            "Try /alerts test to see a sample.",
        )

    @app_commands.command(name="clear", description="Stop posting alerts in this server")
    async def clear(self, interaction: discord.Interaction[Any]) -> None:
        await app(interaction).store.guilds.update_settings(interaction.guild_id, alert_channel_id=None, alert_forum=False)  # type: ignore[arg-type]
        await reply(interaction, "Alerts are off. Follows of cases and platforms keep working.")

    @app_commands.command(name="show", description="Show this server's alert settings")
    async def show(self, interaction: discord.Interaction[Any]) -> None:
        settings = await app(interaction).store.guilds.settings(interaction.guild_id)  # type: ignore[arg-type]
        await reply(
            interaction, spec=render.message(embeds=[render.embed("Alert settings", describe(settings))])
        )

    @app_commands.command(
        name="filters", description="Only alert on some platforms, actions, legal issues or keywords"
    )
    @app_commands.describe(
        platforms="Comma-separated platforms (e.g. Twitter, Meta); 'none' for all",
        actions="Comma-separated actions (lawsuit, subpoena, warrant, ...); 'none' for all",
        min_score="Minimum detection confidence, 0 to 1",
        include="Only alert when one of these comma-separated words appears; 'none' to clear",
        exclude="Never alert when one of these comma-separated words appears; 'none' to clear",
        issues="Comma-separated legal issues (Section 230, antitrust, GDPR, encryption ...); 'none' for all",
    )
    async def filters(
        self,
        interaction: discord.Interaction[Any],
        platforms: str | None = None,
        actions: str | None = None,
        min_score: app_commands.Range[float, 0.0, 1.0] | None = None,
        include: str | None = None,
        exclude: str | None = None,
        issues: str | None = None,
    ) -> None:
        changes: dict[str, Any] = {}
        for name, raw in (
            ("platforms", platforms),
            ("include_keywords", include),
            ("exclude_keywords", exclude),
        ):
            parsed = split_list(raw)
            if parsed is not None:
                changes[name] = parsed
        parsed_actions = split_list(actions)
        if parsed_actions is not None:
            bad = unknown_actions(parsed_actions)
            if bad:
                known = ", ".join(a.value for a in Action)
                await reply(
                    interaction,
                    f"Unknown action(s): {render.safe(', '.join(bad), 200)}. Use some of: {known}.",
                )
                return
            changes["actions"] = normalise_actions(parsed_actions)
        parsed_issues = split_list(issues)
        if parsed_issues is not None:
            keys, unknown = parse_issues(parsed_issues)
            if unknown:
                await reply(
                    interaction,
                    f"Unknown legal issue(s): {render.safe(', '.join(unknown), 200)}. "
                    f"Use some of: {', '.join(LABELS.values())}.",
                )
                return
            changes["issues"] = keys
        if min_score is not None:
            changes["min_score"] = float(min_score)
        store = app(interaction).store
        settings = await store.guilds.update_settings(interaction.guild_id, **changes)  # type: ignore[arg-type]
        verb = "Filters updated." if changes else "Nothing changed (give at least one option)."
        await reply(
            interaction, spec=render.message(verb, [render.embed("Alert settings", describe(settings))])
        )

    @app_commands.command(name="ping", description="Ping a role on new cases (leave empty to turn pings off)")
    async def ping(self, interaction: discord.Interaction[Any], role: discord.Role | None = None) -> None:
        store = app(interaction).store
        await store.guilds.update_settings(interaction.guild_id, ping_role_id=role.id if role else None)  # type: ignore[arg-type]
        if role is None:
            await reply(interaction, "New-case alerts will not ping anyone.")
            return
        warning = ""
        me = interaction.guild.me if interaction.guild else None
        if not role.mentionable and not (me and me.guild_permissions.mention_everyone):
            warning = " Note: the role is not mentionable; make it mentionable or I cannot ping it."
        await reply(
            interaction, f"New-case alerts will ping {role.mention} (status updates never ping).{warning}"
        )

    @app_commands.command(
        name="digest", description="One daily or weekly summary instead of one message each"
    )
    @app_commands.choices(mode=[app_commands.Choice(name=m.value, value=m.value) for m in DigestMode])
    async def digest(self, interaction: discord.Interaction[Any], mode: app_commands.Choice[str]) -> None:
        chosen = DigestMode(mode.value)
        await app(interaction).store.guilds.update_settings(interaction.guild_id, digest=chosen)  # type: ignore[arg-type]
        if chosen is DigestMode.OFF:
            await reply(interaction, "Digest off: every new case and status change is posted as it happens.")
        else:
            await reply(
                interaction,
                f"Digest {chosen.value}: alerts are collected and posted as one {chosen.value} summary.",
            )

    @app_commands.command(name="admin-channel", description="Where casewatch tells admins about problems")
    async def admin_channel(
        self, interaction: discord.Interaction[Any], channel: discord.TextChannel
    ) -> None:
        missing = bot_can_post(channel)
        if missing:
            await reply(interaction, f"I cannot post in {channel.mention}: missing {', '.join(missing)}.")
            return
        await app(interaction).store.guilds.update_settings(interaction.guild_id, admin_channel_id=channel.id)  # type: ignore[arg-type]
        await reply(interaction, f"Notices (disabled feeds, unusable channels) go to {channel.mention}.")

    @app_commands.command(name="test", description="Post a sample case card in the alert channel")
    async def test(self, interaction: discord.Interaction[Any]) -> None:
        settings = await app(interaction).store.guilds.settings(interaction.guild_id)  # type: ignore[arg-type]
        channel = (
            interaction.guild.get_channel(settings.alert_channel_id)
            if interaction.guild and settings.alert_channel_id
            else None
        )
        if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
            await reply(interaction, "No alert channel yet. Choose one with /alerts set first.")
            return
        missing = bot_can_post(channel)
        if missing:
            await reply(interaction, f"I cannot post in {channel.mention}: missing {', '.join(missing)}.")
            return
        spec = render.message("**Sample alert** (this is a test)", [render.case_card(SAMPLE)])
        if isinstance(channel, discord.ForumChannel):  # a forum: the sample is a post of its own
            await defer_if_slow(interaction, start_post(channel, "Sample case (casewatch test)", spec))
        else:
            await defer_if_slow(interaction, send_spec(channel, spec))  # a busy channel's bucket can wait
        pinged = f" New cases will also ping <@&{settings.ping_role_id}>." if settings.ping_role_id else ""
        await reply(interaction, f"Posted a sample in {channel.mention}.{pinged}")


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(AlertsCog())
