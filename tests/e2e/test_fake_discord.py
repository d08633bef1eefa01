"""Real discord.py 2.7.1 against the protocol-level fake Discord (tests/fakediscord), all on 127.0.0.1."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from tests.fakediscord import BucketRule, FakeDiscord, InvalidInvocation, RateLimitConfig
from tests.fakediscord.client import discord_pointed_at, running_bot
from tests.fakediscord.limits import validate_message
from tests.fakediscord.state import FakeChannel, FakeGuild, FakeMember

CASES = [f"case-{n:03d}" for n in range(40)]
MANAGE_GUILD = 1 << 5


class ClickView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=30)
        self.clicked_by: list[int] = []

    @discord.ui.button(label="Follow", custom_id="follow")
    async def follow(self, interaction: discord.Interaction, button: discord.ui.Button[ClickView]) -> None:
        self.clicked_by.append(interaction.user.id)
        await interaction.response.edit_message(content="followed", view=None)


class CaseCog(commands.GroupCog, group_name="case", group_description="Cases"):
    def __init__(self) -> None:
        self.views: list[ClickView] = []

    @app_commands.command(name="show", description="Show one case")
    async def show(self, interaction: discord.Interaction, case_id: str) -> None:
        if case_id not in CASES:
            await interaction.response.send_message(f"No case {case_id}", ephemeral=True)
            return
        await interaction.response.send_message(f"Case {case_id}: open")

    @show.autocomplete("case_id")
    async def show_case_id(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=c, value=c) for c in CASES if current in c][:25]

    @app_commands.command(name="greedy", description="Autocomplete that ignores the 25-choice limit")
    async def greedy(self, interaction: discord.Interaction, query: str) -> None:
        await interaction.response.send_message(query)

    @greedy.autocomplete("query")
    async def greedy_query(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=c, value=c) for c in CASES[:30]]

    @app_commands.command(name="report", description="Slow command that defers")
    async def report(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await asyncio.sleep(0.05)
        await interaction.followup.send("report ready")
        await interaction.followup.send("second part")

    @app_commands.command(name="follow", description="Offer a follow button")
    async def follow(self, interaction: discord.Interaction) -> None:
        view = ClickView()
        self.views.append(view)
        await interaction.response.send_message("Follow this case?", view=view)


@app_commands.command(name="setup", description="Choose the alert channel")
@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
async def setup_command(interaction: discord.Interaction, channel: discord.TextChannel) -> None:
    await interaction.response.send_message(f"alerts -> {channel.name}", ephemeral=True)


def make_bot(**options: object) -> commands.Bot:
    return commands.Bot(
        command_prefix="!",
        intents=discord.Intents.default(),
        guild_ready_timeout=0.05,
        **options,  # type: ignore[arg-type]
    )


@dataclass
class World:
    fake: FakeDiscord
    guild: FakeGuild
    channel: FakeChannel
    member: FakeMember
    bot: commands.Bot
    cog: CaseCog


@pytest.fixture
async def world(fake_discord: FakeDiscord) -> AsyncIterator[World]:
    fake = fake_discord
    guild = fake.add_guild("Newsroom")
    channel = fake.add_text_channel(guild, "alerts")
    member = fake.add_member(guild, "reader")
    bot = make_bot()
    cog = CaseCog()
    await bot.add_cog(cog)
    bot.tree.add_command(setup_command)
    async with running_bot(bot, fake):
        await bot.tree.sync()
        yield World(fake, guild, channel, member, bot, cog)


# --- pinned patch points ------------------------------------------------------------------------


def test_discord_patch_points_still_exist() -> None:
    assert discord.__version__ == "2.7.1"
    assert Route.BASE == "https://discord.com/api/v10"
    assert str(DiscordWebSocket.DEFAULT_GATEWAY) == "wss://gateway.discord.gg/"


async def test_pointing_is_restored_after_use() -> None:
    async with FakeDiscord() as fake:
        with discord_pointed_at(fake):
            assert fake.api_base == Route.BASE
            assert str(DiscordWebSocket.DEFAULT_GATEWAY) == fake.gateway_url
    assert Route.BASE == "https://discord.com/api/v10"


async def test_json_content_type_is_exact(fake_discord: FakeDiscord) -> None:
    headers = {"Authorization": f"Bot {fake_discord.token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{fake_discord.api_base}/users/@me", headers=headers) as r,
    ):
        assert r.status == 200
        assert r.headers["Content-Type"] == "application/json"


# --- login, ready, sync -------------------------------------------------------------------------


async def test_login_ready_and_sync(world: World) -> None:
    fake, bot = world.fake, world.bot
    assert [g.name for g in bot.guilds] == ["Newsroom"]
    assert bot.get_channel(world.channel.id) is not None
    assert bot.application_id == fake.application_id
    assert fake.gateway.identify_count == 1
    synced = {c["name"]: c for c in fake.global_commands}
    assert set(synced) == {"case", "setup"}
    assert {o["name"] for o in synced["case"]["options"]} == {"show", "greedy", "report", "follow"}
    assert synced["setup"]["default_member_permissions"] == str(MANAGE_GUILD)
    assert fake.unknown_routes == []


async def test_wrong_token_fails_fast_instead_of_hanging(fake_discord: FakeDiscord) -> None:
    bot = make_bot()
    started = time.monotonic()
    with pytest.raises(discord.LoginFailure):
        async with running_bot(bot, fake_discord, token="wrong-token"):
            pass
    assert time.monotonic() - started < 2


async def test_auto_sharded_bot_uses_gateway_bot(fake_discord: FakeDiscord) -> None:
    fake_discord.add_guild("Sharded")
    bot = commands.AutoShardedBot(
        command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05
    )
    async with running_bot(bot, fake_discord):
        assert [g.name for g in bot.guilds] == ["Sharded"]
    assert fake_discord.requests_to("GET", r"^/gateway/bot$", status=200)


# --- slash commands -----------------------------------------------------------------------------


async def test_slash_command_is_answered_publicly(world: World) -> None:
    handle = await world.fake.invoke_slash(
        world.guild, world.channel, world.member, "case show", {"case_id": "case-007"}
    )
    response = await handle.response()
    assert response.type == 4
    assert response.content == "Case case-007: open"
    assert not response.ephemeral
    assert [m.content for m in world.fake.messages(world.channel)] == ["Case case-007: open"]


async def test_bad_argument_gets_ephemeral_answer(world: World) -> None:
    handle = await world.fake.invoke_slash(
        world.guild, world.channel, world.member, "case show", {"case_id": "nope"}
    )
    response = await handle.response()
    assert response.ephemeral
    assert response.content == "No case nope"
    assert world.fake.messages(world.channel) == []  # ephemeral replies are not channel messages


async def test_defer_then_followups(world: World) -> None:
    handle = await world.fake.invoke_slash(world.guild, world.channel, world.member, "case report")
    assert (await handle.response()).type == 5
    first, second = await handle.followups(2)
    assert first.id == handle.original_message_id  # first follow-up replaces the "thinking" message
    assert (first.content, second.content) == ("report ready", "second part")
    assert [m.content for m in world.fake.messages(world.channel)] == ["report ready", "second part"]


async def test_options_are_checked_against_the_synced_tree(world: World) -> None:
    fake = world.fake
    with pytest.raises(InvalidInvocation):
        await fake.invoke_slash(world.guild, world.channel, world.member, "case show", {"wrong": "x"})
    with pytest.raises(InvalidInvocation):
        await fake.invoke_slash(world.guild, world.channel, world.member, "case show")
    with pytest.raises(InvalidInvocation):
        await fake.invoke_slash(world.guild, world.channel, world.member, "case delete")
    with pytest.raises(InvalidInvocation):
        await fake.invoke_slash(world.guild, world.channel, world.member, "nosuch")


async def test_default_permissions_and_channel_option(world: World) -> None:
    fake = world.fake
    with pytest.raises(InvalidInvocation, match="default_member_permissions"):
        await fake.invoke_slash(world.guild, world.channel, world.member, "setup", {"channel": world.channel})
    admin = fake.add_member(world.guild, "mod", permissions=["manage_guild"])
    handle = await fake.invoke_slash(world.guild, world.channel, admin, "setup", {"channel": world.channel})
    response = await handle.response()
    assert response.content == "alerts -> alerts"
    assert response.ephemeral


async def test_autocomplete_returns_at_most_25_choices(world: World) -> None:
    fake = world.fake
    handle = await fake.autocomplete(
        world.guild, world.channel, world.member, "case show", {"case_id": "case-00"}, focused="case_id"
    )
    response = await handle.response()
    assert response.type == 8
    assert [c["value"] for c in response.choices] == CASES[:10]
    broad = await fake.autocomplete(
        world.guild, world.channel, world.member, "case show", {"case_id": ""}, "case_id"
    )
    assert len((await broad.response()).choices) == 25

    greedy = await fake.autocomplete(
        world.guild, world.channel, world.member, "case greedy", {"query": ""}, "query"
    )
    rejected = await fake.wait_for_request("POST", rf"^/interactions/{greedy.id}/")
    assert rejected[0].status == 400 and len(rejected[0].json["data"]["choices"]) == 30
    assert greedy.callback is None


async def test_button_click_reaches_the_view(world: World) -> None:
    fake = world.fake
    handle = await fake.invoke_slash(world.guild, world.channel, world.member, "case follow")
    response = await handle.response()
    assert response.message is not None and response.message.components
    click = await fake.click(response.message, world.member, "follow")
    assert (await click.response()).type == 7
    assert world.cog.views[0].clicked_by == [world.member.id]
    updated = fake.messages(world.channel)[0]
    assert (updated.content, updated.components, updated.edit_count) == ("followed", [], 1)


# --- channel messages -----------------------------------------------------------------------


async def test_nonce_sends_once(world: World) -> None:
    channel = world.bot.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    first = await channel.send("alert A", nonce="outbox-1")
    again = await channel.send("alert A", nonce="outbox-1")
    assert first.id == again.id
    assert [m.content for m in world.fake.messages(world.channel)] == ["alert A"]
    assert world.fake.requests_to("POST", r"/messages$")[-1].json["enforce_nonce"] is True


async def test_case_card_edit_is_recorded(world: World) -> None:
    channel = world.bot.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    card = await channel.send(embed=discord.Embed(title="Case", description="status: filed"))
    await card.edit(embed=discord.Embed(title="Case", description="status: ruled"))
    stored = world.fake.messages(world.channel)[0]
    assert stored.embeds[0]["description"] == "status: ruled"
    assert stored.history[0]["embeds"][0]["description"] == "status: filed"
    assert stored.edited_timestamp is not None


@pytest.mark.parametrize(
    ("kwargs", "error_path"),
    [
        ({"content": "x" * 2001}, "content"),
        ({"embed": discord.Embed(title="t" * 257)}, "title"),
        ({"embed": discord.Embed(description="d" * 4097)}, "description"),
        (
            {"embeds": [discord.Embed(description="d" * 4000), discord.Embed(description="d" * 2001)]},
            "embeds",
        ),
    ],
)
async def test_over_limit_payloads_get_400(world: World, kwargs: dict[str, object], error_path: str) -> None:
    channel = world.bot.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send(**kwargs)  # type: ignore[arg-type]
    assert caught.value.status == 400 and caught.value.code == 50035
    assert error_path in str(caught.value)
    assert world.fake.messages(world.channel) == []


def test_embed_field_limits_pure() -> None:
    fields = [{"name": f"n{i}", "value": "v"} for i in range(26)]
    assert validate_message({"embeds": [{"fields": fields}]})["errors"]["embeds"]["0"]["fields"]  # type: ignore[index]
    assert validate_message({"embeds": [{}] * 11})["code"] == 50035  # type: ignore[index]
    assert validate_message({"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]}) is not None
    assert validate_message({"embeds": [{"footer": {"text": "f" * 2049}}]}) is not None
    assert validate_message({"embeds": [{"author": {"name": "a" * 257}}]}) is not None
    assert validate_message({"content": ""})["code"] == 50006  # type: ignore[index]
    assert (
        validate_message({"content": "ok", "embeds": [{"title": "t" * 256, "fields": fields[:25]}]}) is None
    )


async def test_missing_permissions_raise_forbidden(world: World) -> None:
    fake = world.fake
    muted = fake.add_text_channel(world.guild, "read-only", bot_can_send=False)
    hidden = fake.add_text_channel(world.guild, "hidden", bot_can_view=False)
    await asyncio.sleep(0.05)  # CHANNEL_CREATE reaches the bot's cache
    for channel, code in ((muted, 50013), (hidden, 50001)):
        target = world.bot.get_channel(channel.id)
        assert isinstance(target, discord.TextChannel)
        with pytest.raises(discord.Forbidden) as caught:
            await target.send("alert")
        assert caught.value.code == code
    assert fake.messages(muted) == [] and fake.messages(hidden) == []


async def test_deleted_channel_raises_not_found(world: World) -> None:
    channel = world.bot.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    world.fake.delete_channel(world.channel, notify=False)
    with pytest.raises(discord.NotFound) as caught:
        await channel.send("alert")
    assert caught.value.code == 10003


async def test_file_upload_uses_multipart(world: World) -> None:
    channel = world.bot.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    await channel.send(
        "digest", file=discord.File(io.BytesIO(b"case,status\n1,open\n"), filename="digest.csv")
    )
    stored = world.fake.messages(world.channel)[0]
    assert (stored.content, [a["filename"] for a in stored.attachments]) == ("digest", ["digest.csv"])


async def test_nonce_dedup_survives_a_bot_restart(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    channel = fake.add_text_channel(fake.add_guild(), "alerts")
    for _ in range(2):  # same outbox row delivered by two bot processes, one after the other
        async with running_bot(make_bot(), fake) as bot:
            target = bot.get_channel(channel.id)
            assert isinstance(target, discord.TextChannel)
            await target.send("alert 1", nonce="outbox-row-1")
    assert [m.content for m in fake.messages(channel)] == ["alert 1"]
    assert fake.gateway.identify_count == 2


async def test_late_interaction_response_is_unknown(world: World) -> None:
    fake = world.fake
    fake.interaction_timeout = 0.0  # every answer arrives "after 3 s"
    handle = await fake.invoke_slash(
        world.guild, world.channel, world.member, "case show", {"case_id": "case-001"}
    )
    late = await fake.wait_for_request("POST", rf"^/interactions/{handle.id}/")
    assert late[0].status == 404 and handle.callback is None
    assert fake.messages(world.channel) == []


async def test_dm_to_follower_and_closed_dms(world: World) -> None:
    fake = world.fake
    follower = fake.add_user("follower")
    closed = fake.add_user("private", dms_open=False)
    user = await world.bot.fetch_user(follower.id)
    await user.send("case updated")
    assert [m.content for m in fake.dm_messages(follower)] == ["case updated"]
    with pytest.raises(discord.Forbidden) as caught:
        await (await world.bot.fetch_user(closed.id)).send("case updated")
    assert caught.value.code == 50007


# --- rate limits and faults -------------------------------------------------------------------


@pytest.mark.parametrize("is_global", [False, True])
async def test_429_is_retried_and_lands_once(world: World, is_global: bool) -> None:
    fake = world.fake
    fake.fail_next("POST", r"^/channels/\d+/messages$", 429, retry_after=0.05, is_global=is_global)
    channel = world.bot.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    await channel.send("after 429")
    assert [m.content for m in fake.messages(world.channel)] == ["after 429"]
    assert [r.status for r in fake.requests_to("POST", r"/messages$")] == [429, 200]
    assert fake.rate_limited_count == 1


async def test_5xx_is_retried(world: World) -> None:
    fake = world.fake
    fake.fail_next("POST", r"/messages$", 502)
    channel = world.bot.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    await channel.send("after 502")
    assert [r.status for r in fake.requests_to("POST", r"/messages$")] == [502, 200]
    assert len(fake.messages(world.channel)) == 1


async def test_bucket_headers_and_429_shape(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    fake.rate_limits.rules["POST /channels/{channel_id}/messages"] = BucketRule(2, 10.0)
    channel = fake.add_text_channel(fake.add_guild())
    url = f"{fake.api_base}/channels/{channel.id}/messages"
    headers = {"Authorization": f"Bot {fake.token}"}
    async with aiohttp.ClientSession() as session:
        statuses = []
        for n in range(3):
            async with session.post(url, json={"content": str(n)}, headers=headers) as r:
                statuses.append(r.status)
                last_headers, last_body = r.headers, await r.json()
    assert statuses == [200, 200, 429]
    assert last_headers["Via"] == "1.1 google" and last_headers["X-RateLimit-Scope"] == "user"
    assert last_headers["X-RateLimit-Remaining"] == "0" and last_headers["X-RateLimit-Bucket"]
    assert last_body["global"] is False and 0 < last_body["retry_after"] <= 10
    assert len(fake.messages(channel)) == 2


async def test_rate_envelope_20_messages_in_order(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    fake.rate_limits.rules["POST /channels/{channel_id}/messages"] = BucketRule(5, 0.5)
    guild = fake.add_guild()
    channel = fake.add_text_channel(guild, "alerts")
    async with running_bot(make_bot(), fake) as bot:
        target = bot.get_channel(channel.id)
        assert isinstance(target, discord.TextChannel)
        started = time.monotonic()
        for n in range(20):
            await target.send(f"alert {n}")
        elapsed = time.monotonic() - started
    assert [m.content for m in fake.messages(channel)] == [f"alert {n}" for n in range(20)]
    assert elapsed >= 1.5  # 20 messages at 5 per 0.5 s need at least three full windows
    assert fake.rate_limited_count <= 2  # discord.py paces itself from the X-RateLimit headers


async def test_limits_can_be_switched_off() -> None:
    async with FakeDiscord(rate_limits=RateLimitConfig(enabled=False)) as fake:
        channel = fake.add_text_channel(fake.add_guild())
        headers = {"Authorization": f"Bot {fake.token}"}
        async with aiohttp.ClientSession() as session:
            for n in range(8):
                async with session.post(
                    f"{fake.api_base}/channels/{channel.id}/messages",
                    json={"content": str(n)},
                    headers=headers,
                ) as r:
                    assert r.status == 200
        assert len(fake.messages(channel)) == 8


async def test_unknown_routes_are_logged(world: World) -> None:
    with pytest.raises(discord.NotFound):
        await world.bot.http.request(Route("GET", "/nope/{x}", x=1))
    assert world.fake.unknown_routes == ["GET /nope/1"]


# --- gateway --------------------------------------------------------------------------------


async def test_gateway_disconnect_resumes_and_replays(world: World) -> None:
    fake, bot = world.fake, world.bot
    resumed = asyncio.Event()

    async def on_resumed() -> None:
        resumed.set()

    bot.add_listener(on_resumed)
    await fake.disconnect_gateway()
    late = fake.add_text_channel(world.guild, "created-while-offline")
    await asyncio.wait_for(resumed.wait(), 3)
    assert fake.gateway.resume_count == 1 and fake.gateway.identify_count == 1
    assert fake.gateway.connect_paths == ["/gateway/", "/gateway-resume/"]
    assert bot.get_channel(late.id) is not None  # missed CHANNEL_CREATE was replayed on RESUME
    handle = await fake.invoke_slash(
        world.guild, world.channel, world.member, "case show", {"case_id": "case-001"}
    )
    assert (await handle.response()).content == "Case case-001: open"
