"""Promise 7, Discord failures are handled the way Discord asks, against the protocol-level fake.

Covered here (``test_bot_delivery.py`` already covers a bucket 429, a 403 on send, a channel the cache
knows is gone or unwritable, a timeout with backoff and a restart mid-delivery): a global 429, an
exhausted bucket waited out from the headers, a 404 for a channel deleted behind the cache's back, a
card deleted by a moderator, closed DMs, 5xx retried by discord.py and by our backoff, a gateway
disconnect that is resumed (missed events replayed) while the scheduler keeps delivering, and slow
commands deferred well within Discord's 3 s.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.app import CasewatchBot
from bot.clock import from_iso, utcnow
from bot.feeds.netguard import UrlGuard
from bot.models import FollowMode, TargetKind
from tests.e2e.botworld import FOLLOWUP, REDDIT, SUMMONS, WITHDRAWN, World, rss, world_fixture  # noqa: F401
from tests.e2e.test_crash import AMAZON, TELEGRAM
from tests.fakediscord import BucketRule, InteractionHandle
from tests.fakediscord.client import running_bot
from tests.feedserver import FeedServer

POST_MESSAGES = "POST /channels/{channel_id}/messages"


def posts(world: World, channel_id: int) -> list[Any]:
    return world.fake.requests_to("POST", rf"^/channels/{channel_id}/messages$")


async def until(predicate: Any, timeout: float = 5.0, what: str = "condition") -> None:
    try:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"{what} not reached within {timeout}s") from None


async def only_case_id(world: World) -> str:
    [row] = await world.store.db.fetchall("SELECT id FROM cases")
    return str(row[0])


async def delivery_row(world: World, delivery_id: int) -> Any:
    return await world.store.db.fetchone("SELECT * FROM deliveries WHERE id = ?", (delivery_id,))


# --- rate limits ---------------------------------------------------------------------------------------


async def test_global_429_pauses_every_request_for_retry_after(world: World) -> None:
    await world.slash("alerts set", {"channel": world.alerts})
    world.fake.fail_next(
        "POST", rf"^/channels/{world.alerts.id}/messages$", 429, retry_after=0.4, is_global=True
    )
    await world.ingest(rss(SUMMONS, REDDIT))
    assert await world.bot.publisher.drain() == {"sent": 2}
    limited, *rest = posts(world, world.alerts.id)
    assert limited.status == 429 and [r.status for r in rest] == [200, 200]
    during = [r for r in world.fake.requests if limited.at < r.at < limited.at + 0.38]
    assert during == [], "a request went out while the global rate limit was in force"
    assert len(world.fake.messages(world.alerts)) == 2


async def test_exhausted_bucket_is_waited_out_from_the_headers(world: World) -> None:
    world.fake.rate_limits.rules[POST_MESSAGES] = BucketRule(2, 1.0)
    await world.slash("alerts set", {"channel": world.alerts})
    await world.ingest(rss(SUMMONS, REDDIT, TELEGRAM, AMAZON))
    assert await world.bot.publisher.drain() == {"sent": 4}
    sent = posts(world, world.alerts.id)
    assert [r.status for r in sent] == [200] * 4, "discord.py should wait for the reset, not collect 429s"
    assert sent[2].at - sent[0].at >= 0.9  # the third waited for the bucket to reset
    assert len(world.fake.messages(world.alerts)) == 4


# --- permanent failures: stop, tell admins, never retry ------------------------------------------------


async def test_404_for_a_channel_deleted_behind_the_cache_stops_and_tells_admins(world: World) -> None:
    notices = world.fake.add_text_channel(world.guild, "mod-log")
    await world.slash("alerts set", {"channel": world.alerts})
    await world.slash("alerts admin-channel", {"channel": notices})
    world.fake.delete_channel(world.alerts, notify=False)  # the bot never saw CHANNEL_DELETE
    await world.ingest(rss(SUMMONS, REDDIT))
    assert await world.bot.publisher.drain() == {"failed": 1, "sent": 1}  # the alert, then the notice
    assert [r.status for r in posts(world, world.alerts.id)] == [404]  # the second alert never asked
    assert await world.store.outbox.counts() == {"failed": 2, "sent": 1}
    [notice] = world.fake.messages(notices)
    assert "could not post" in notice.embeds[0]["description"] and "404" in notice.embeds[0]["description"]
    world.bot.publisher.clock = lambda: utcnow() + timedelta(days=2)
    before = len(world.fake.requests)
    assert await world.bot.publisher.drain() == {}
    assert len(world.fake.requests) == before  # nothing retried, not even much later


async def test_card_deleted_by_a_moderator_is_reposted_once(world: World) -> None:
    await world.slash("alerts set", {"channel": world.alerts})
    await world.ingest(rss(SUMMONS))
    await world.bot.publisher.drain()
    [card] = world.fake.messages(world.alerts)
    world.fake.delete_message(card)
    await world.ingest(rss(SUMMONS, WITHDRAWN))
    assert await world.bot.publisher.drain() == {"sent": 1}
    [fresh] = world.fake.messages(world.alerts)
    assert fresh.id != card.id and fresh.content.startswith("**Status update:**") and fresh.embeds
    assert [r.status for r in world.fake.requests_to("PATCH", rf"/messages/{card.id}$")] == [404]
    case_id = fresh.components[0]["components"][0]["custom_id"].removeprefix("cw:follow:")
    assert await world.bot.publisher.cards.get(case_id, world.alerts.id) == fresh.id
    assert await world.bot.publisher.drain() == {}


async def test_closed_dms_fail_once_and_are_not_retried(world: World) -> None:
    await world.ingest(rss(SUMMONS))
    case_id = await only_case_id(world)
    private = world.fake.add_user("private-person", dms_open=False)
    world.fake.add_member(world.guild, private)
    await world.store.guilds.follow(
        guild_id=world.guild.id, target_kind=TargetKind.USER, target_id=private.id, case_id=case_id
    )
    await world.ingest(rss(SUMMONS, FOLLOWUP, WITHDRAWN))  # a development and a status change
    assert await world.bot.publisher.drain() == {"failed": 1}  # the second was failed without a request
    dm = world.fake.dm_channel(private)
    assert [r.status for r in posts(world, dm.id)] == [403]
    assert await world.store.outbox.counts() == {"failed": 2}  # and no notice: a user's DMs are theirs
    world.bot.publisher.clock = lambda: utcnow() + timedelta(days=1)
    assert await world.bot.publisher.drain() == {}
    assert len(posts(world, dm.id)) == 1


# --- server errors: retried with backoff ---------------------------------------------------------------


async def test_a_500_is_retried_by_discord_py_and_lands_once(world: World) -> None:
    await world.slash("alerts set", {"channel": world.alerts})
    world.fake.fail_next("POST", rf"^/channels/{world.alerts.id}/messages$", 500)
    await world.ingest(rss(SUMMONS))
    assert await world.bot.publisher.drain() == {"sent": 1}
    first, second = posts(world, world.alerts.id)
    assert (first.status, second.status) == (500, 200) and second.at - first.at >= 0.9
    assert len(world.fake.messages(world.alerts)) == 1


async def test_a_503_backs_off_exponentially_then_sends(world: World) -> None:
    await world.slash("alerts set", {"channel": world.alerts})
    world.fake.fail_next("POST", rf"^/channels/{world.alerts.id}/messages$", 503, times=2)
    await world.ingest(rss(SUMMONS))
    [pending] = await world.store.outbox.due(utcnow() + timedelta(seconds=1))
    now = utcnow()
    world.bot.publisher.clock = lambda: now
    waits = []
    for _ in range(2):
        assert await world.bot.publisher.drain() == {"retry": 1}
        row = await delivery_row(world, pending.id)
        assert "503" in row["last_error"]
        due_at: datetime = from_iso(row["next_attempt_at"])
        waits.append((due_at - now).total_seconds())
        before = len(world.fake.requests)
        assert await world.bot.publisher.drain() == {}  # not before it is due
        assert len(world.fake.requests) == before
        now = due_at
    assert waits[0] >= 10 and waits[1] >= 1.8 * waits[0], waits
    assert await world.bot.publisher.drain() == {"sent": 1}
    assert [r.status for r in posts(world, world.alerts.id)] == [503, 503, 200]
    assert len(world.fake.messages(world.alerts)) == 1


# --- gateway disconnect and resume ---------------------------------------------------------------------


async def test_gateway_disconnect_is_resumed_and_delivery_goes_on(world: World) -> None:
    notices = world.fake.add_text_channel(world.guild, "mod-log")
    await world.slash("alerts set", {"channel": world.alerts})
    await world.slash("alerts admin-channel", {"channel": notices})
    await world.bot.close()
    fake = world.fake
    bot = CasewatchBot(replace(world.settings, delivery_interval_s=0.2), guild_ready_timeout=0.05)
    async with running_bot(bot, fake):
        identified = fake.gateway.identify_count
        await bot.pipeline.ingest_body(await feed(bot), rss(SUMMONS))
        await until(lambda: len(fake.messages(world.alerts)) == 1, what="first alert")

        await fake.disconnect_gateway()
        # Missed while disconnected: the bot loses Send Messages in the alert channel.
        fake.set_overwrite(world.alerts, fake.bot_member(world.guild), deny=["send_messages"])
        await until(lambda: fake.gateway.resume_count == 1 and fake.gateway.is_connected(), what="resume")
        assert fake.gateway.identify_count == identified  # resumed, not a new session
        await bot.pipeline.ingest_body(await feed(bot), rss(SUMMONS, REDDIT))
        await until(lambda: len(fake.messages(notices)) == 1, what="notice about the lost permission")
        assert len(posts(world, world.alerts.id)) == 1  # the replayed CHANNEL_UPDATE spared a 403
        assert fake.client_error_count == 0

        fake.set_overwrite(world.alerts, fake.bot_member(world.guild), allow=["send_messages"])
        await asyncio.sleep(0.1)
        await bot.pipeline.ingest_body(await feed(bot), rss(SUMMONS, REDDIT, TELEGRAM))
        await until(lambda: len(fake.messages(world.alerts)) == 2, what="alert after resume")
        answer = await (
            await fake.invoke_slash(world.guild, world.general, world.admin, "alerts show", {})
        ).response()
        assert f"<#{world.alerts.id}>" in str(answer.embeds) + (answer.content or "")


async def feed(bot: CasewatchBot) -> Any:
    url = "https://news.example.org/feed.xml"
    found = await bot.store.feeds.get_by_url(url)
    if found is None:
        found, _ = await bot.store.feeds.add(url)
    return found


# --- slow commands are deferred within Discord's 3 s ---------------------------------------------------


async def first_answer(
    world: World, command: str, options: dict[str, Any]
) -> tuple[InteractionHandle, float]:
    began = time.monotonic()
    handle = await world.fake.invoke_slash(world.guild, world.general, world.admin, command, options)
    await handle.response(timeout=5.0)
    [callback] = world.fake.requests_to("POST", rf"^/interactions/{handle.id}/")
    return handle, callback.at - began


async def test_feeds_test_of_a_slow_feed_defers_first(world: World) -> None:
    async with FeedServer() as server:
        server.route("/slow.xml", body=rss(SUMMONS, REDDIT), delay_s=1.5)
        handle, after = await first_answer(world, "feeds test", {"url": server.url("/slow.xml")})
        assert handle.callback is not None and handle.callback.type == 5 and after < 0.5, after
        [preview] = await handle.followups(1, timeout=5.0)
    assert "2 items, **2** would be alerted" in preview.embeds[0]["description"] and preview.ephemeral


async def test_feeds_add_with_slow_dns_defers_before_discord_gives_up(world: World) -> None:
    async def slow_dns(host: str) -> list[str]:
        await asyncio.sleep(3.2)  # longer than Discord waits for a first response
        return ["93.184.215.14"]

    world.bot.guard = UrlGuard(resolver=slow_dns)
    handle, after = await first_answer(world, "feeds add", {"url": "https://slow-dns.example.net/feed.xml"})
    assert handle.callback is not None and handle.callback.type == 5 and after < 1.5, after
    [answer] = await handle.followups(1, timeout=5.0)
    assert "Added" in answer.content and answer.ephemeral
    assert world.fake.status_counts[404] == 0  # no answer arrived after the interaction expired


async def test_alerts_test_waiting_on_a_rate_limit_defers(world: World) -> None:
    world.fake.interaction_timeout = 1.6  # Discord's 3 s, scaled down to keep the test quick
    world.fake.rate_limits.rules[POST_MESSAGES] = BucketRule(2, 2.0)
    await world.slash("alerts set", {"channel": world.alerts})
    assert "Posted a sample" in (await world.slash("alerts test")).content  # fast: answered directly
    # This send empties the channel's bucket, and discord.py then sleeps until it resets before returning.
    handle, after = await first_answer(world, "alerts test", {})
    assert handle.callback is not None and handle.callback.type == 5 and after < 1.5, after
    [answer] = await handle.followups(1, timeout=5.0)
    assert "Posted a sample" in answer.content
    assert len(world.fake.messages(world.alerts)) == 2


@pytest.mark.parametrize("status", [403, 404])
async def test_permanent_failure_asks_once_even_across_a_restart(world: World, status: int) -> None:
    """No admin channel: the notice must not go to the channel that just failed, and the failed state is
    durable, so a restarted bot does not spend Discord's invalid-request budget on it again."""
    await world.slash("alerts set", {"channel": world.alerts})
    world.fake.fail_next("POST", rf"^/channels/{world.alerts.id}/messages$", status, times=5)
    await world.ingest(rss(SUMMONS))
    assert await world.bot.publisher.drain() == {"failed": 2}  # the alert, and the notice with nowhere to go
    await world.bot.close()
    second = CasewatchBot(world.settings, run_jobs=False, guild_ready_timeout=0.05)
    async with running_bot(second, world.fake):
        second.publisher.clock = lambda: utcnow() + timedelta(days=1)
        assert await second.publisher.drain() == {}
    assert [r.status for r in world.fake.requests_to("POST", r"/messages$")] == [status]


async def test_open_dms_get_both_messages(world: World) -> None:
    """The control for the closed-DM test: the same history reaches a follower whose DMs are open."""
    await world.ingest(rss(SUMMONS))
    case_id = await only_case_id(world)
    reader = world.member
    await world.store.guilds.follow(
        guild_id=world.guild.id,
        target_kind=TargetKind.USER,
        target_id=reader.id,
        case_id=case_id,
        mode=FollowMode.ALL,
    )
    await world.ingest(rss(SUMMONS, FOLLOWUP, WITHDRAWN))
    assert await world.bot.publisher.drain() == {"sent": 2}
    assert len(world.fake.dm_messages(reader.user)) == 2
