"""Alerts end to end: local feed server -> ingest -> detection -> outbox -> the publisher -> FakeDiscord."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import timedelta

import pytest

import bot.delivery.publisher as publisher_module
from bot.app import CasewatchBot
from bot.clock import utcnow
from bot.delivery.jobs import compile_digests
from bot.models import DigestMode, FollowMode, TargetKind
from tests.e2e.botworld import FOLLOWUP, NOISE, REDDIT, SUMMONS, WITHDRAWN, World, rss, world_fixture  # noqa: F401
from tests.fakediscord.client import running_bot
from tests.feedserver import FeedServer


def posts(world: World, channel_id: int) -> list:
    return world.fake.requests_to("POST", rf"^/channels/{channel_id}/messages$")


async def states(world: World) -> dict[str, int]:
    return await world.store.outbox.counts()


async def test_alert_flows_from_feed_server_to_channel(world: World) -> None:
    await world.slash("alerts set", {"channel": world.alerts})
    async with FeedServer() as server:
        server.route("/feed.xml", body=rss(SUMMONS, NOISE))
        await world.store.feeds.add(server.url("/feed.xml"))
        results = await world.bot.pipeline.poll_due()
    assert [r.relevant for r in results] == [1]
    assert (await world.bot.publisher.drain())["sent"] == 1
    [card] = world.fake.messages(world.alerts)
    embed = card.embeds[0]
    assert "Twitter" in embed["title"] and embed["url"] == "https://news.example.org/s1"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Status"] == "filed" and "Twitter" in fields["Parties"]
    assert card.components[0]["components"][0]["custom_id"].startswith("cw:follow:")
    [request] = posts(world, world.alerts.id)
    assert request.json["allowed_mentions"] == {"parse": []}
    assert request.json["enforce_nonce"] is True and re.fullmatch(r"cw[0-9a-f]{6}x\d+", request.json["nonce"])
    assert await states(world) == {"sent": 1}
    assert await world.bot.publisher.drain() == {}  # nothing is sent twice


async def test_an_issue_filter_lets_only_cases_about_that_issue_through_and_cards_name_the_issues(
    world: World,
) -> None:
    await world.slash("alerts set", {"channel": world.alerts})
    bad = await world.slash("alerts filters", {"issues": "copyright, tax law"})
    assert bad.ephemeral and "Unknown legal issue" in bad.content and "tax law" in bad.content
    assert (await world.store.guilds.settings(world.guild.id)).issues == ()  # nothing half-applied
    good = await world.slash("alerts filters", {"issues": "piracy"})  # an alias people type
    assert "**Legal issues:** Copyright" in good.embeds[0]["description"]
    assert (await world.store.guilds.settings(world.guild.id)).issues == ("copyright",)
    await world.ingest(rss(SUMMONS, REDDIT))  # unmasking an anonymous account; a piracy subpoena
    await world.bot.publisher.drain()
    [card] = world.fake.messages(world.alerts)
    fields = {f["name"]: f["value"] for f in card.embeds[0]["fields"]}
    assert "Reddit" in card.embeds[0]["title"] and fields["Legal issues"] == "Copyright"
    await world.slash("alerts filters", {"issues": "none"})
    assert (await world.store.guilds.settings(world.guild.id)).issues == ()


async def test_only_the_configured_role_is_pinged_and_feed_text_is_inert(world: World) -> None:
    role = world.fake.add_role(world.guild, "case-watchers")
    await world.slash("alerts set", {"channel": world.alerts})
    await world.slash("alerts ping", {"role": role})
    await world.ingest(rss(REDDIT))
    await world.bot.publisher.drain()
    [request] = posts(world, world.alerts.id)
    mentions = request.json["allowed_mentions"]
    assert mentions["parse"] == [] and [int(r) for r in mentions["roles"]] == [role.id]
    assert set(mentions) == {"parse", "roles"}  # no users, no everyone
    assert request.json["content"].startswith(f"<@&{role.id}>")
    text = str(request.json["embeds"])
    assert "@everyone" not in text and "@here" not in text and "<@&123>" not in text
    assert "](javascript:" not in text


async def test_status_change_edits_card_posts_update_and_notifies_followers(world: World) -> None:
    await world.slash("alerts set", {"channel": world.alerts})
    await world.ingest(rss(SUMMONS))
    await world.bot.publisher.drain()
    [card] = world.fake.messages(world.alerts)
    case_id = card.components[0]["components"][0]["custom_id"].removeprefix("cw:follow:")
    click = await world.fake.click(card, world.member, f"cw:follow:{case_id}")
    assert "Following" in ((await click.response()).content or "")
    status_only = world.fake.add_member(world.guild, "status-only")
    await world.store.guilds.follow(
        guild_id=world.guild.id,
        target_kind=TargetKind.USER,
        target_id=status_only.id,
        case_id=case_id,
        mode=FollowMode.STATUS,
    )

    await world.ingest(rss(SUMMONS, FOLLOWUP))  # a development: followers in "all" mode only
    await world.bot.publisher.drain()
    assert len(world.fake.dm_messages(world.member.user)) == 1
    assert world.fake.dm_messages(status_only.user) == []
    assert len(world.fake.messages(world.alerts)) == 1  # alert channels do not get developments

    await world.ingest(rss(SUMMONS, FOLLOWUP, WITHDRAWN))
    await world.bot.publisher.drain()
    card_now, update = world.fake.messages(world.alerts)
    assert card_now.id == card.id and card_now.edit_count == 1
    status = {f["name"]: f["value"] for f in card_now.embeds[0]["fields"]}["Status"]
    assert status != "filed" and "closed" in status
    assert "Status update" in update.content and str(card.id) in update.content
    assert len(world.fake.dm_messages(world.member.user)) == 2
    assert len(world.fake.dm_messages(status_only.user)) == 1
    assert world.fake.requests_to("PATCH", rf"/channels/{world.alerts.id}/messages/{card.id}$", status=200)


async def test_429_is_absorbed_and_the_alert_lands_once(world: World) -> None:
    await world.slash("alerts set", {"channel": world.alerts})
    world.fake.fail_next("POST", rf"^/channels/{world.alerts.id}/messages$", 429, retry_after=0.05)
    await world.ingest(rss(SUMMONS))
    stats = await world.bot.publisher.drain()
    assert stats == {"sent": 1}
    assert len(world.fake.messages(world.alerts)) == 1
    assert [r.status for r in posts(world, world.alerts.id)] == [429, 200]


async def test_403_fails_without_retry_and_tells_the_admins(world: World) -> None:
    notices = world.fake.add_text_channel(world.guild, "mod-log")
    await world.slash("alerts set", {"channel": world.alerts})
    await world.slash("alerts admin-channel", {"channel": notices})
    world.fake.fail_next("POST", rf"^/channels/{world.alerts.id}/messages$", 403, times=10)
    await world.ingest(rss(SUMMONS, REDDIT))  # two alerts to the same broken channel
    stats = await world.bot.publisher.drain()
    assert stats["failed"] == 1 and stats["sent"] == 1  # the second alert was failed without a request
    assert len(posts(world, world.alerts.id)) == 1
    assert (await states(world)) == {"failed": 2, "sent": 1}
    [notice] = world.fake.messages(notices)
    assert "could not post" in notice.embeds[0]["description"]
    assert world.fake.client_error_count == 1
    assert await world.bot.publisher.drain() == {}  # and nothing is retried later


async def test_channel_without_permission_is_never_asked(world: World) -> None:
    notices = world.fake.add_text_channel(world.guild, "mod-log")
    await world.slash("alerts set", {"channel": world.alerts})
    await world.slash("alerts admin-channel", {"channel": notices})
    world.fake.set_overwrite(world.alerts, world.fake.bot_member(world.guild), deny=["send_messages"])
    await asyncio.sleep(0.05)  # CHANNEL_UPDATE reaches the bot's cache
    await world.ingest(rss(SUMMONS))
    assert (await world.bot.publisher.drain()) == {"failed": 1, "sent": 1}
    assert posts(world, world.alerts.id) == [] and world.fake.client_error_count == 0
    [notice] = world.fake.messages(notices)
    assert "Send Messages" in notice.embeds[0]["description"]


async def test_notice_without_any_usable_admin_channel_fails_quietly(world: World) -> None:
    await world.slash("alerts set", {"channel": world.alerts})
    world.fake.delete_channel(world.alerts)
    await asyncio.sleep(0.05)
    await world.ingest(rss(SUMMONS))
    assert (await world.bot.publisher.drain()) == {"failed": 2}  # the alert, then the notice about it
    assert world.fake.requests_to("POST", r"/messages$") == []


async def test_transient_error_backs_off_then_sends(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    await world.slash("alerts set", {"channel": world.alerts})
    await world.ingest(rss(SUMMONS))
    real = publisher_module.send_spec
    calls = 0

    async def flaky(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise TimeoutError("discord did not answer")
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(publisher_module, "send_spec", flaky)
    assert await world.bot.publisher.drain() == {"retry": 1}
    assert world.fake.messages(world.alerts) == []
    world.bot.publisher.clock = lambda: utcnow() + timedelta(minutes=5)
    assert await world.bot.publisher.drain() == {"sent": 1}
    assert len(world.fake.messages(world.alerts)) == 1


@pytest.mark.parametrize("crash_at", ["card", "mark_sent"])
async def test_restart_mid_delivery_loses_and_doubles_nothing(world: World, crash_at: str) -> None:
    await world.slash("alerts set", {"channel": world.alerts})
    await world.ingest(rss(SUMMONS))
    first = world.bot

    async def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("power cut")

    if crash_at == "card":
        first.publisher.cards.put = crash  # type: ignore[method-assign]
    else:
        first.publisher.store.outbox.mark_sent = crash  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        await first.publisher.drain()
    assert len(world.fake.messages(world.alerts)) == 1
    await first.close()

    second = CasewatchBot(world.settings, run_jobs=False, guild_ready_timeout=0.05)
    async with running_bot(second, world.fake):
        assert await second.publisher.drain() == {"sent": 1}
        assert await second.store.outbox.counts() == {"sent": 1}
    assert len(world.fake.messages(world.alerts)) == 1
    nonces = {r.json["nonce"] for r in posts(world, world.alerts.id)}
    assert len(posts(world, world.alerts.id)) == (2 if crash_at == "card" else 1) and len(nonces) == 1


async def test_digest_mode_holds_then_posts_one_summary(world: World) -> None:
    await world.slash("alerts set", {"channel": world.alerts})
    await world.slash("alerts digest", {"mode": DigestMode.DAILY.value})
    await world.ingest(rss(SUMMONS, REDDIT))
    assert await world.bot.publisher.drain() == {}
    assert await compile_digests(world.store, utcnow()) == 0  # the day is not over yet
    assert await compile_digests(world.store, utcnow() + timedelta(days=1, minutes=1)) == 1
    assert await world.bot.publisher.drain() == {"sent": 1}
    [digest] = world.fake.messages(world.alerts)
    assert "Daily casewatch digest" in digest.content
    body = digest.embeds[0]["description"]
    assert "Twitter" in body and "Reddit" in body and "@everyone" not in body
    assert (await states(world)) == {"digested": 2, "sent": 1}


async def test_disabled_guild_feed_is_reported_to_its_admins(world: World) -> None:
    notices = world.fake.add_text_channel(world.guild, "mod-log")
    await world.slash("alerts admin-channel", {"channel": notices})
    feed, _ = await world.store.feeds.add("https://feeds.example.org/x.xml", guild_id=world.guild.id)
    async with world.store.transaction():
        await world.store.feeds.record_failure(
            feed.id,
            now=utcnow(),
            error="HTTP 404",
            next_due_at=utcnow(),
            disable_reason="HTTP 404 eight times",
        )
    await world.bot.maintenance()
    await world.bot.maintenance()  # once per disable, however often the job runs
    await world.bot.publisher.drain()
    [notice] = world.fake.messages(notices)
    assert "HTTP 404 eight times" in notice.embeds[0]["description"]
    assert notice.allowed_mentions == {"parse": []}


async def test_scheduler_polls_and_delivers_on_its_own(world: World) -> None:
    await world.slash("alerts set", {"channel": world.alerts})
    async with FeedServer() as server:
        server.route("/feed.xml", body=rss(SUMMONS))
        await world.store.feeds.add(server.url("/feed.xml"))
        await world.bot.close()
        bot = CasewatchBot(replace(world.settings, delivery_interval_s=0.5), guild_ready_timeout=0.05)
        async with running_bot(bot, world.fake):
            assert bot.scheduler is not None and bot.scheduler.running
            async with asyncio.timeout(5):
                while not world.fake.messages(world.alerts):
                    await asyncio.sleep(0.05)
        assert not bot.scheduler.running
    assert len(world.fake.messages(world.alerts)) == 1
    assert server.hits("/feed.xml") == 1


async def test_follow_button_of_a_card_posted_before_a_merge_follows_the_surviving_case(world: World) -> None:
    from bot.models import Action, Case, Stage

    await world.slash("alerts set", {"channel": world.alerts})
    await world.ingest(rss(SUMMONS))
    await world.bot.publisher.drain()
    [card] = world.fake.messages(world.alerts)
    absorbed = card.components[0]["components"][0]["custom_id"].removeprefix("cw:follow:")
    older = Case(id="c-older", title="Twitter summons (older reports)", status=Stage.FILED, action=Action.SUMMONS,
                 platforms=("Twitter",), article_count=1)
    async with world.store.transaction():
        await world.store.cases.save(older, ["twitter"])
        await world.store.cases.merge_many(older.id, [absorbed])
    assert await world.store.cases.get(absorbed) is None

    click = await world.fake.click(card, world.member, f"cw:follow:{absorbed}")
    assert "Following" in ((await click.response()).content or "")
    subs = await world.store.guilds.subscriptions_of(TargetKind.USER, world.member.user.id)
    assert [s.case_id for s in subs] == [older.id]
