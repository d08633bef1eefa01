"""Every slash command against FakeDiscord: happy path, bad argument, missing permission, other guilds."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.cases.clustering import platform_keys
from bot.feeds.netguard import UrlGuard
from bot.models import Action, Case, Stage, TargetKind
from tests.e2e.botworld import REDDIT, SUMMONS, WITHDRAWN, World, rss, world_fixture  # noqa: F401
from tests.fakediscord import InvalidInvocation
from tests.feedserver import FeedServer

MANAGE_GUILD = 1 << 5
ADMIN_COMMANDS = [
    *(f"alerts {s}" for s in ("set", "clear", "show", "filters", "ping", "digest", "admin-channel", "test")),
    *(f"feeds {s}" for s in ("add", "remove", "enable", "list", "status", "test")),
    "owner sync",
]
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)


def leaves(command: dict) -> list[str]:
    subs = [o for o in command.get("options") or [] if o["type"] in (1, 2)]
    if not subs:
        return [command["name"]]
    return [f"{command['name']} {leaf}" for sub in subs for leaf in leaves(sub)]


async def seed_cases(world: World, n: int) -> list[Case]:
    cases = []
    async with world.store.transaction():
        for i in range(n):
            case = Case(
                id=f"seed{i:03d}",
                title=f"Acme{i} sues Twitter over subpoena number {i}",
                status=Stage.FILED,
                action=Action.SUBPOENA,
                platforms=("Twitter",),
                counterparties=(f"Acme{i}",),
                updated_at=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=i),
            )
            await world.store.cases.save(case, platform_keys(case.platforms))
            cases.append(case)
    return cases


# --- login, sync, permissions over the whole tree ----------------------------------------------------


async def test_login_sync_and_no_privileged_intents(world: World) -> None:
    synced = {c["name"]: c for c in world.fake.global_commands}
    assert set(synced) == {"alerts", "case", "platform", "following", "feeds", "owner"}
    assert {leaf for c in synced.values() for leaf in leaves(c) if c["default_member_permissions"]} == set(
        ADMIN_COMMANDS
    )
    assert synced["alerts"]["default_member_permissions"] == str(MANAGE_GUILD)
    assert synced["case"]["default_member_permissions"] is None
    [session] = world.fake.gateway.sessions.values()
    assert session.intents & PRIVILEGED_INTENTS == 0
    assert world.fake.sync_count == 1 and world.fake.unknown_routes == []


@pytest.mark.parametrize("command", ADMIN_COMMANDS)
async def test_members_without_manage_server_cannot_run_admin_commands(world: World, command: str) -> None:
    with pytest.raises(InvalidInvocation, match="default_member_permissions"):
        await world.fake.invoke_slash(world.guild, world.general, world.member, command, {})
    # Server admins can re-grant a command to everyone in Integrations settings: the code checks again.
    top = next(c for c in world.fake.global_commands if c["name"] == command.split()[0])
    top["default_member_permissions"] = None
    options = {"channel": world.alerts} if command in ("alerts set", "alerts admin-channel") else {}
    options |= {"mode": "daily"} if command == "alerts digest" else {}
    options |= (
        {"url": "https://example.org/feed.xml"}
        if command in ("feeds add", "feeds remove", "feeds enable", "feeds test")
        else {}
    )
    handle = await world.fake.invoke_slash(world.guild, world.general, world.member, command, options)
    response = await handle.response()
    assert response.ephemeral and ("Manage Server" in response.content or "cannot use" in response.content)
    assert (await world.store.guilds.settings(world.guild.id)).alert_channel_id is None
    assert await world.store.feeds.list() == []


# --- /alerts ------------------------------------------------------------------------------------------


async def test_alerts_set_show_filters_clear(world: World) -> None:
    answer = await world.slash("alerts set", {"channel": world.alerts})
    assert answer.ephemeral and f"<#{world.alerts.id}>" in answer.content
    bad = await world.slash("alerts filters", {"actions": "lawsuit, teleport"})
    assert "Unknown action" in bad.content and "teleport" in bad.content
    good = await world.slash(
        "alerts filters", {"platforms": "Twitter, Meta", "actions": "lawsuit", "min_score": 0.5}
    )
    settings = await world.store.guilds.settings(world.guild.id)
    assert (
        settings.platforms == ("Twitter", "Meta")
        and settings.actions == ("lawsuit",)
        and settings.min_score == 0.5
    )
    assert "Twitter, Meta" in good.embeds[0]["description"]
    await world.slash("alerts filters", {"platforms": "none"})
    assert (await world.store.guilds.settings(world.guild.id)).platforms == ()
    with pytest.raises(InvalidInvocation):  # Discord's client enforces the declared range
        await world.fake.invoke_slash(
            world.guild, world.general, world.admin, "alerts filters", {"min_score": 2}
        )
    await world.slash("alerts clear")
    assert (await world.store.guilds.settings(world.guild.id)).alert_channel_id is None


async def test_alerts_set_refuses_a_channel_the_bot_cannot_post_in(world: World) -> None:
    muted = world.fake.add_text_channel(world.guild, "muted", bot_can_send=False)
    import asyncio

    await asyncio.sleep(0.05)
    answer = await world.slash("alerts set", {"channel": muted})
    assert answer.ephemeral and "Send Messages" in answer.content
    assert (await world.store.guilds.settings(world.guild.id)).alert_channel_id is None


async def test_alerts_test_posts_a_sample_without_pinging(world: World) -> None:
    assert "No alert channel" in (await world.slash("alerts test")).content
    role = world.fake.add_role(world.guild, "watchers")
    await world.slash("alerts set", {"channel": world.alerts})
    await world.slash("alerts ping", {"role": role})
    answer = await world.slash("alerts test")
    assert "Posted a sample" in answer.content
    [sample] = world.fake.messages(world.alerts)
    assert "Sample" in sample.content and sample.embeds and sample.allowed_mentions == {"parse": []}
    await world.slash("alerts ping")
    assert (await world.store.guilds.settings(world.guild.id)).ping_role_id is None


# --- /case lookups ------------------------------------------------------------------------------------


async def test_case_show_search_timeline(world: World) -> None:
    await world.ingest(rss(SUMMONS, WITHDRAWN, REDDIT))
    [twitter] = await world.store.cases.search("ALT_uscis")
    shown = await world.slash("case show", {"case": twitter.id}, by=world.member)
    assert not shown.ephemeral and shown.embeds[0]["title"].startswith("Twitter")
    fields = {f["name"]: f["value"] for f in shown.embeds[0]["fields"]}
    assert "news.example.org/s1" in fields["Sources (2)"] and "Twitter" in fields["Parties"]
    typed = await world.slash("case show", {"case": "reddit piracy"}, by=world.member)
    assert "Reddit" in typed.embeds[0]["title"]
    missing = await world.slash("case show", {"case": "no-such-case-zzz"}, by=world.member)
    assert missing.ephemeral and "No case matches" in missing.content


async def test_case_show_links_to_the_web_page_when_a_public_url_is_set(world: World) -> None:
    await world.ingest(rss(SUMMONS, WITHDRAWN, REDDIT))
    [twitter] = await world.store.cases.search("ALT_uscis")
    world.bot.settings = replace(world.bot.settings, public_url="https://cases.example.org")
    shown = await world.slash("case show", {"case": twitter.id}, by=world.member)
    assert shown.embeds[0]["url"] == f"https://cases.example.org/cases/{twitter.id}"
    fields = {f["name"]: f["value"] for f in shown.embeds[0]["fields"]}
    assert f"https://cases.example.org/cases/{twitter.id}" in fields["Whole story"]
    found = await world.slash("case search", {"query": "subpoena"}, by=world.member)
    assert found.ephemeral and "Reddit" in found.embeds[0]["description"]
    timeline = await world.slash("case timeline", {"case": twitter.id}, by=world.member)
    assert (
        "**dropped**" in timeline.embeds[0]["description"]
        and "**filed**" in timeline.embeds[0]["description"]
    )
    assert (
        "No cases found" in (await world.slash("case search", {"query": "zzzqqq"}, by=world.member)).content
    )


async def test_case_search_by_legal_issue_and_the_card_shows_the_issues(world: World) -> None:
    await world.ingest(rss(SUMMONS, WITHDRAWN, REDDIT))
    about = await world.slash("case search", {"issue": "copyright"}, by=world.member)
    assert about.ephemeral and about.embeds[0]["title"].startswith("Cases about Copyright")
    assert "Reddit" in about.embeds[0]["description"] and "Twitter" not in about.embeds[0]["description"]
    both = await world.slash("case search", {"query": "summons", "issue": "anonymous_speech"}, by=world.member)
    assert "Twitter" in both.embeds[0]["description"] and "Reddit" not in both.embeds[0]["description"]
    none = await world.slash("case search", {"query": "summons", "issue": "copyright"}, by=world.member)
    assert "No cases found" in none.content
    empty = await world.slash("case search", {}, by=world.member)
    assert empty.ephemeral and empty.content == "Give some words to look for, a legal issue, or both."
    with pytest.raises(InvalidInvocation):  # Discord's client offers only the declared choices
        await world.fake.invoke_slash(world.guild, world.general, world.member, "case search", {"issue": "tax"})
    [reddit] = await world.store.cases.search("piracy")
    shown = await world.slash("case show", {"case": reddit.id}, by=world.member)
    assert {f["name"]: f["value"] for f in shown.embeds[0]["fields"]}["Legal issues"] == "Copyright"


async def test_case_recent_pages_with_buttons(world: World) -> None:
    await seed_cases(world, 20)
    handle = await world.fake.invoke_slash(world.guild, world.general, world.member, "case recent")
    first = await handle.response()
    assert "page 1 of 3" in first.embeds[0]["footer"]["text"] and "Acme19" in first.embeds[0]["description"]
    stranger = await world.fake.click(first.message, world.admin, "cw:page:next")
    assert (await stranger.response()).ephemeral  # only the person who asked can turn pages
    click = await world.fake.click(first.message, world.member, "cw:page:next")
    assert (await click.response()).type == 7
    assert "page 2 of 3" in first.message.embeds[0]["footer"]["text"]
    assert "Acme11" in first.message.embeds[0]["description"]


async def test_autocomplete_is_fast_and_capped(world: World) -> None:
    await seed_cases(world, 40)
    started = time.perf_counter()
    handle = await world.fake.autocomplete(
        world.guild, world.general, world.member, "case show", {"case": "acm"}, "case"
    )
    choices = (await handle.response()).choices
    elapsed_ms = (time.perf_counter() - started) * 1000
    assert len(choices) == 25 and all(1 <= len(c["name"]) <= 100 for c in choices)
    assert elapsed_ms < 500, elapsed_ms
    handle = await world.fake.autocomplete(
        world.guild, world.general, world.member, "case show", {"case": "Acme7 "}, "case"
    )
    assert (await handle.response()).choices[0]["value"] == "seed007"
    empty = await world.fake.autocomplete(
        world.guild, world.general, world.member, "case show", {"case": ""}, "case"
    )
    assert (await empty.response()).choices[0]["value"] == "seed039"  # most recent first


# --- follows ------------------------------------------------------------------------------------------


async def test_follow_unfollow_and_guild_isolation(world: World) -> None:
    [case] = await seed_cases(world, 1)
    dm = await world.slash("case follow", {"case": case.id}, by=world.member)
    assert "your DMs" in dm.content
    refused = await world.slash("case follow", {"case": case.id, "channel": world.alerts}, by=world.member)
    assert "Manage Server" in refused.content
    ok = await world.slash("case follow", {"case": case.id, "channel": world.alerts, "mode": "status"})
    assert f"<#{world.alerts.id}>" in ok.content
    platform = await world.slash("platform follow", {"name": "Twitter"}, by=world.member)
    assert "Twitter" in platform.content
    subs = await world.store.guilds.subscriptions_of(TargetKind.USER, world.member.id)
    assert {(s.case_id, s.platform_key) for s in subs} == {(case.id, None), (None, "twitter")}

    listing = await world.slash("following", by=world.member)
    assert "platform twitter" in listing.embeds[0]["description"]
    handle = await world.fake.autocomplete(
        world.guild, world.general, world.member, "case unfollow", {"follow": ""}, "follow"
    )
    values = {c["value"] for c in (await handle.response()).choices}
    assert values == {str(s.id) for s in subs}  # the channel follow is the admins' business

    other = world.fake.add_guild("Elsewhere")
    other_channel = world.fake.add_text_channel(other, "news")
    stranger = world.fake.add_member(other, "stranger", permissions=["manage_guild"])
    handle = await world.fake.invoke_slash(
        other, other_channel, stranger, "case unfollow", {"follow": str(subs[0].id)}
    )
    assert "No such follow" in (await handle.response()).content
    assert (
        "No such follow" in (await world.slash("case unfollow", {"follow": "abc"}, by=world.member)).content
    )
    gone = await world.slash("case unfollow", {"follow": str(subs[0].id)}, by=world.member)
    assert "Stopped" in gone.content
    assert len(await world.store.guilds.subscriptions_of(TargetKind.USER, world.member.id)) == 1


# --- /feeds -------------------------------------------------------------------------------------------


async def test_feeds_add_list_test_status_remove(world: World) -> None:
    async with FeedServer() as server:
        server.route("/feed.xml", body=rss(SUMMONS, REDDIT))
        url = server.url("/feed.xml")
        added = await world.slash("feeds add", {"url": url})
        assert "Added" in added.content
        assert [f.url for f in await world.store.feeds.list(guild_id=world.guild.id)] == [url]
        handle = await world.fake.invoke_slash(
            world.guild, world.general, world.admin, "feeds test", {"url": url}
        )
        assert (await handle.response()).type == 5
        [preview] = await handle.followups(1)
        assert "2 items, **2** would be alerted" in preview.embeds[0]["description"]
        assert preview.ephemeral
    listing = await world.slash("feeds list")
    assert "waiting for its first poll" in listing.embeds[0]["description"]
    assert "healthy" in (await world.slash("feeds status")).embeds[0]["description"]
    feed = await world.store.feeds.get_by_url(url)
    async with world.store.transaction():
        await world.store.feeds.record_failure(
            feed.id,
            now=datetime.now(UTC),
            error="HTTP 500",
            next_due_at=datetime.now(UTC),
            disable_reason="gone",
        )
    assert "disabled: gone" in (await world.slash("feeds status")).embeds[0]["description"]

    other = world.fake.add_guild("Elsewhere")
    other_channel = world.fake.add_text_channel(other, "news")
    stranger = world.fake.add_member(other, "stranger", permissions=["manage_guild"])
    handle = await world.fake.invoke_slash(other, other_channel, stranger, "feeds remove", {"url": url})
    assert "no such feed" in (await handle.response()).content
    handle = await world.fake.invoke_slash(other, other_channel, stranger, "feeds enable", {"url": url})
    assert "no such feed" in (await handle.response()).content
    assert not (await world.store.feeds.get_by_url(url)).enabled  # another guild cannot turn it on

    enabled = await world.slash("feeds enable", {"url": url})
    assert enabled.ephemeral and "Enabled" in enabled.content
    feed = await world.store.feeds.get_by_url(url)
    assert feed.enabled and feed.consecutive_failures == 0 and feed.disabled_reason is None
    assert "healthy" in (await world.slash("feeds status")).embeds[0]["description"]
    assert "already on" in (await world.slash("feeds enable", {"url": url})).content
    handle = await world.fake.invoke_slash(other, other_channel, stranger, "feeds list", {})
    assert "No feeds yet" in (await handle.response()).embeds[0]["description"]
    assert await world.store.feeds.get_by_url(url) is not None
    assert "Removed" in (await world.slash("feeds remove", {"url": url})).content
    assert await world.store.feeds.get_by_url(url) is None


async def test_feeds_add_refuses_bad_and_private_urls(world: World) -> None:
    assert "not an http(s) URL" in (await world.slash("feeds add", {"url": "javascript:alert(1)"})).content
    world.bot.guard = UrlGuard(allow_private=False)
    blocked = await world.slash("feeds add", {"url": "http://127.0.0.1:9/feed.xml"})
    assert "will not fetch" in blocked.content
    metadata = await world.slash("feeds test", {"url": "http://169.254.169.254/latest/meta-data"})
    assert "will not fetch" in metadata.content
    assert await world.store.feeds.list() == []


async def test_owner_sync_is_owner_only(world: World) -> None:
    handle = await world.fake.invoke_slash(
        world.guild, world.general, world.guild.members[world.guild.owner_id], "owner sync", {}
    )
    assert "cannot use" in (await handle.response()).content
    assert world.fake.sync_count == 1


async def test_cli_sync_to_a_dev_guild_only(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.app import sync_commands

    dev = world.fake.add_guild("Dev")
    assert await sync_commands(world.settings, dev.id) == 0
    names = {c["name"] for c in world.fake.guild_commands[dev.id]}
    assert names == {"alerts", "case", "platform", "following", "feeds", "owner"}
    assert world.fake.sync_count == 2 and "synced 6 commands to guild" in capsys.readouterr().out
