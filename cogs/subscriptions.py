"""Follows: a user (by DM) or a channel follows a case or a whole platform; the Follow button on cards."""

from __future__ import annotations

import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.cases.clustering import platform_key
from bot.delivery import render, render_lists
from bot.detect.lexicons import PLATFORM_ALIASES
from bot.guards import MAX_FOLLOWS_PER_TARGET, may_manage_subscription, parse_id
from bot.models import FollowMode, Subscription, TargetKind
from cogs.common import app, bot_can_post, is_admin, reply

MODES = [
    app_commands.Choice(name="every development", value=FollowMode.ALL.value),
    app_commands.Choice(name="status changes only", value=FollowMode.STATUS.value),
]
PLATFORMS = sorted(set(PLATFORM_ALIASES) | {"X"})


async def follow(
    interaction: discord.Interaction[Any],
    *,
    case_id: str | None = None,
    platform: str | None = None,
    channel: discord.TextChannel | None = None,
    mode: FollowMode = FollowMode.ALL,
) -> str:
    """Follow for the invoking user (DM) or, for server admins, for a channel; returns the answer text."""
    store = app(interaction).store
    if channel is not None:
        if not is_admin(interaction):
            return "Only members with **Manage Server** can make a channel follow something. Leave out `channel` to follow by DM."
        if channel.guild.id != interaction.guild_id:
            return "That channel is not in this server."
        missing = bot_can_post(channel)
        if missing:
            return f"I cannot post in {channel.mention}: missing {', '.join(missing)}."
        target_kind, target_id, where = TargetKind.CHANNEL, channel.id, channel.mention
    else:
        target_kind, target_id, where = TargetKind.USER, interaction.user.id, "your DMs"
    if len(await store.guilds.subscriptions_of(target_kind, target_id)) >= MAX_FOLLOWS_PER_TARGET:
        return f"{where} already follows {MAX_FOLLOWS_PER_TARGET} things; unfollow some first (/following)."
    await store.guilds.follow(
        guild_id=interaction.guild_id,
        target_kind=target_kind,
        target_id=target_id,
        case_id=case_id,
        platform_key=platform_key(platform) if platform else None,
        mode=mode,
        created_by=interaction.user.id,
    )
    what = f"case `{case_id}`" if case_id else f"platform **{render.safe(platform, 60)}**"
    how = "every development" if mode is FollowMode.ALL else "status changes only"
    return f"Following {what} in {where} ({how}). Stop with /case unfollow."


def describe_subscription(sub: Subscription, titles: dict[str, str]) -> str:
    what = (
        f"case {render.plain(titles.get(sub.case_id, sub.case_id), 60)}"
        if sub.case_id
        else f"platform {sub.platform_key}"
    )
    where = "DM" if sub.target_kind is TargetKind.USER else f"channel {sub.target_id}"
    return f"{what} → {where} ({sub.mode.value})"


async def visible_subscriptions(interaction: discord.Interaction[Any]) -> list[Subscription]:
    """The user's own follows, plus this server's channel follows for server admins."""
    store = app(interaction).store
    subs = await store.guilds.subscriptions_of(TargetKind.USER, interaction.user.id)
    if interaction.guild_id is not None and is_admin(interaction):
        subs += [
            s
            for s in await store.guilds.subscriptions_in_guild(interaction.guild_id)
            if s.target_kind is TargetKind.CHANNEL
        ]
    return subs


async def titles_for(interaction: discord.Interaction[Any], subs: list[Subscription]) -> dict[str, str]:
    store = app(interaction).store
    out: dict[str, str] = {}
    for sub in subs:
        if sub.case_id and sub.case_id not in out:
            case = await store.cases.get(sub.case_id)
            out[sub.case_id] = case.title if case else sub.case_id
    return out


async def unfollow_choices(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    subs = await visible_subscriptions(interaction)
    titles = await titles_for(interaction, subs)
    labels = [(describe_subscription(s, titles), str(s.id)) for s in subs]
    current = current.lower().strip()
    return [
        app_commands.Choice(name=render.plain(label, 100), value=value)
        for label, value in labels
        if not current or current in label.lower()
    ][:25]


async def unfollow(interaction: discord.Interaction[Any], follow_id: str) -> str:
    store = app(interaction).store
    sub_id = parse_id(follow_id)
    sub = await store.guilds.get_subscription(sub_id) if sub_id is not None else None
    if sub is None or not may_manage_subscription(
        sub, user_id=interaction.user.id, guild_id=interaction.guild_id, manages_guild=is_admin(interaction)
    ):
        return "No such follow. Pick one from the list Discord suggests, or see /following."
    await store.guilds.unfollow(sub.id)
    return f"Stopped: {render.safe(describe_subscription(sub, await titles_for(interaction, [sub])), 200)}."


class FollowButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.escape(render.FOLLOW_PREFIX) + r"(?P<case_id>[\w.-]{1,80})",
):
    """The Follow button on every case card: the clicking user follows the case by DM."""

    def __init__(self, case_id: str) -> None:
        super().__init__(discord.ui.Button(label="Follow", custom_id=render.follow_button(case_id).custom_id))
        self.case_id = case_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> FollowButton:
        return cls(match["case_id"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        case = await app(interaction).store.cases.resolve(self.case_id)
        if case is None:
            await reply(
                interaction,
                "This case no longer exists (cases are rebuilt from time to time); try /case search.",
            )
            return
        await reply(interaction, await follow(interaction, case_id=case.id))


class PlatformCog(
    commands.GroupCog, group_name="platform", group_description="Follow every case of a platform"
):
    @app_commands.command(name="follow", description="Follow every new case and status change of a platform")
    @app_commands.describe(
        name="Platform, e.g. Twitter", channel="Post in this channel instead of your DMs (admins)"
    )
    async def follow_platform(
        self,
        interaction: discord.Interaction[Any],
        name: app_commands.Range[str, 1, 60],
        channel: discord.TextChannel | None = None,
    ) -> None:
        await reply(interaction, await follow(interaction, platform=name.strip(), channel=channel))

    @follow_platform.autocomplete("name")
    async def platform_names(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        low = current.lower().strip()
        return [app_commands.Choice(name=p, value=p) for p in PLATFORMS if low in p.lower()][:25]


class FollowingCog(commands.Cog):
    @app_commands.command(name="following", description="What you (and this server's channels) follow")
    async def following(self, interaction: discord.Interaction[Any]) -> None:
        subs = await visible_subscriptions(interaction)
        titles = await titles_for(interaction, subs)
        lines = render_lists.Lines(tuple(render.safe(describe_subscription(s, titles), 200) for s in subs))
        text = lines.text(
            empty="Nothing followed yet. Use /case follow or /platform follow, or the Follow button."
        )
        await reply(interaction, spec=render.message(embeds=[render.embed("Following", text)]))


async def setup(bot: commands.Bot) -> None:
    bot.add_dynamic_items(FollowButton)
    await bot.add_cog(PlatformCog())
    await bot.add_cog(FollowingCog())
