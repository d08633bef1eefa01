"""``casewatch worker deliver``: REST-only deliverers sharing one PostgreSQL outbox, against FakeDiscord.

Two deliverers in one test are two stores (two connection pools) and two discord.py clients, as two
processes would have; ``tests/e2e/test_workers_crash.py`` runs them as real processes and kills them.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import replace
from typing import Any

import pytest

from bot.config import Settings
from bot.feeds.parser import ParserPool
from bot.models import DeliveryIntent, DeliveryKind, TargetKind
from bot.pipeline import Pipeline, PipelineOptions
from bot.workers.deliver import RestPublisher, deliver_loop, open_deliverer
from storage.postgres.store import PostgresStore
from tests.fakediscord import FakeDiscord
from tests.fakediscord.limits import Verdict
from tests.fakediscord.state import FakeChannel, FakeGuild
from tests.feedxml import SUMMONS, WITHDRAWN, rss


@pytest.fixture
async def pg_store(pg_schema_url: str) -> AsyncIterator[PostgresStore]:
    async with await PostgresStore.open(pg_schema_url) as store:
        yield store


def settings_for(url: str, fake: FakeDiscord) -> Settings:
    return replace(Settings(), database_url=url, discord_token=fake.token)


def count_global_429s(fake: FakeDiscord) -> list[int]:
    """Wrap the fake's limiter: the returned list grows by one per global 429 it answers."""
    hits: list[int] = []
    original = fake.limiter.check

    def check(template: str, major: str, *, exempt_global: bool = False) -> Verdict:
        verdict = original(template, major, exempt_global=exempt_global)
        if verdict.limited_body is not None and verdict.limited_body.get("global"):
            hits.append(1)
        return verdict

    fake.limiter.check = check  # type: ignore[method-assign]
    return hits


async def digest_rows(store: PostgresStore, guild: FakeGuild, channels: list[FakeChannel], per_channel: int) -> int:
    """``per_channel`` digest messages to every channel, interleaved, each naming its row."""
    added = 0
    async with store.transaction():
        for n in range(per_channel):
            for channel in channels:
                intent = DeliveryIntent(
                    kind=DeliveryKind.DIGEST,
                    target_kind=TargetKind.CHANNEL,
                    target_id=channel.id,
                    dedupe_key=f"t:{channel.id}:{n}",
                    guild_id=guild.id,
                )
                added += await store.outbox.enqueue([intent], payload={"message": {"content": f"m{channel.id}:{n}"}})
    return added


async def drain_with(publishers: list[RestPublisher], store: PostgresStore, timeout: float = 60.0) -> None:
    stop = asyncio.Event()
    loops = [asyncio.create_task(deliver_loop(p, stop, idle_s=0.05)) for p in publishers]
    try:
        async with asyncio.timeout(timeout):
            while (await store.outbox.counts()).get("pending", 0):
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.gather(*loops)


async def test_two_deliverers_share_the_outbox_and_the_global_budget(
    fake_discord: FakeDiscord, pg_store: PostgresStore, pg_schema_url: str
) -> None:
    """60 channels x 4 messages: more than 50/s would be possible (each channel allows 5 per 5 s), so only
    the shared bucket keeps two deliverers under the global limit."""
    fake = fake_discord
    global_429s = count_global_429s(fake)
    guild = fake.add_guild("Newsroom")
    channels = [fake.add_text_channel(guild, f"c{i}") for i in range(60)]
    fake.slow_down("POST", r"^/channels/\d+/messages$", 0.02)  # posts in flight long enough to overlap
    assert await digest_rows(pg_store, guild, channels, 4) == 240
    settings = settings_for(pg_schema_url, fake)
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(open_deliverer(settings, owner="a"))
        b = await stack.enter_async_context(open_deliverer(settings, owner="b"))
        a.batch = b.batch = 20  # smaller claims, so both have targets to work on at once
        await drain_with([a, b], pg_store)
        assert a.shared_budget is not None and b.shared_budget is not None
        reserved = (a.shared_budget.taken, b.shared_budget.taken)
    assert await pg_store.outbox.counts() == {"sent": 240}
    assert global_429s == []
    for channel in channels:
        contents = [m.content for m in fake.messages(channel)]
        assert contents == [f"m{channel.id}:{n}" for n in range(4)]  # each once, in order
    posts = fake.requests_to("POST", r"^/channels/\d+/messages$", status=200)
    assert len(posts) == 240
    assert all(r > 20 for r in reserved), reserved  # both did a real share of the work
    # A channel is one deliverer's at a time (whole targets are claimed), and it sends there in turn.
    assert max(fake.max_in_flight[f"POST /channels/{c.id}/messages"] for c in channels) == 1
    leased = await pg_store.db.fetchval("SELECT COUNT(*) FROM deliveries WHERE lease_owner IS NOT NULL")
    assert leased == 0


async def test_requests_that_arrive_late_and_bunched_still_keep_the_global_limit(
    fake_discord: FakeDiscord, pg_store: PostgresStore, pg_schema_url: str
) -> None:
    """Each request is held up to 0.4 s at random before the fake counts it, so requests sent evenly
    arrive bunched (as on a loaded machine or an uneven network): a budget that only spaced departures
    would let more than 50 land in some second. A slot is held from before a request leaves until a
    second after its answer, so none can."""
    fake = fake_discord
    global_429s = count_global_429s(fake)
    guild = fake.add_guild("Newsroom")
    channels = [fake.add_text_channel(guild, f"c{i}") for i in range(60)]
    fake.slow_down("*", r".", 0.0, jitter=0.4, seed=13)
    assert await digest_rows(pg_store, guild, channels, 3) == 180
    settings = settings_for(pg_schema_url, fake)
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(open_deliverer(settings, owner="a"))
        b = await stack.enter_async_context(open_deliverer(settings, owner="b"))
        await drain_with([a, b], pg_store)
    assert await pg_store.outbox.counts() == {"sent": 180}
    assert global_429s == []


async def test_a_global_429_pauses_every_deliverer(
    fake_discord: FakeDiscord, pg_store: PostgresStore, pg_schema_url: str
) -> None:
    """A global 429 (someone else spent the bot's budget, e.g. a gateway process) tells one deliverer
    to wait; its retry_after goes into the shared slots, so the other waits too instead of carrying on."""
    fake = fake_discord
    guild = fake.add_guild("Newsroom")
    channels = [fake.add_text_channel(guild, f"c{i}") for i in range(8)]
    await digest_rows(pg_store, guild, channels, 3)
    retry_after = 2.0
    fake.fail_next("POST", r"^/channels/\d+/messages$", 429, retry_after=retry_after, is_global=True)
    settings = settings_for(pg_schema_url, fake)
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(open_deliverer(settings, owner="a"))
        b = await stack.enter_async_context(open_deliverer(settings, owner="b"))
        await drain_with([a, b], pg_store)
        assert a.shared_budget is not None and b.shared_budget is not None
        told = a.shared_budget.global_429s + b.shared_budget.global_429s
    assert told == 1
    assert await pg_store.outbox.counts() == {"sent": 24}
    for channel in channels:
        assert [m.content for m in fake.messages(channel)] == [f"m{channel.id}:{n}" for n in range(3)]
    [limited] = [r for r in fake.requests if r.status == 429]
    # Requests that had their slot before the block was written may still land just after the 429;
    # then nothing, from either deliverer, until retry_after has passed.
    during = [r for r in fake.requests if limited.at + 0.5 <= r.at < limited.at + retry_after - 0.05]
    assert during == [], [(r.method, r.path, round(r.at - limited.at, 3)) for r in during]
    assert [r for r in fake.requests if r.at >= limited.at + retry_after - 0.05]  # and then it went on


async def test_a_deliverer_that_died_after_posting_is_deduplicated_by_the_nonce(
    fake_discord: FakeDiscord, pg_store: PostgresStore, pg_schema_url: str
) -> None:
    fake = fake_discord
    guild = fake.add_guild("Newsroom")
    channel = fake.add_text_channel(guild, "alerts")
    await digest_rows(pg_store, guild, [channel], 3)
    settings = settings_for(pg_schema_url, fake)
    async with open_deliverer(settings, owner="dies") as dying:
        claimed = await dying._due(10)
        assert [d.id for d in claimed] == sorted(d.id for d in claimed) and len(claimed) == 3
        await dying._send(claimed[0])  # Discord has it; the deliverer dies before mark_sent
    async with open_deliverer(settings, owner="heir") as heir:
        assert await heir.drain() == {}  # the dead one's leases still run
        await pg_store.db.execute("UPDATE deliveries SET lease_until = now() - interval '1 second'")
        assert await heir.drain() == {"sent": 3}
    assert [m.content for m in fake.messages(channel)] == [f"m{channel.id}:{n}" for n in range(3)]
    posts = fake.requests_to("POST", rf"^/channels/{channel.id}/messages$", status=200)
    nonces = Counter(str(r.json["nonce"]) for r in posts)
    assert sorted(nonces.values()) == [1, 1, 2]  # the first row was posted twice, shown once


async def test_rest_permissions_refuse_before_posting(
    fake_discord: FakeDiscord, pg_store: PostgresStore, pg_schema_url: str
) -> None:
    """Without a gateway cache the deliverer reads roles, overwrites and its member over REST: a channel
    it may not write to is failed without a request to it, and the guild's admins hear of it."""
    fake = fake_discord
    guild = fake.add_guild("Newsroom")
    muted = fake.add_text_channel(guild, "muted", bot_can_send=False)
    admins = fake.add_text_channel(guild, "mods")
    await pg_store.guilds.update_settings(guild.id, admin_channel_id=admins.id)
    await digest_rows(pg_store, guild, [muted], 2)
    async with open_deliverer(settings_for(pg_schema_url, fake), owner="a") as deliverer:
        stats = await deliverer.drain()  # the row, the row failed with it, and the notice about them
    assert stats == {"failed": 1, "sent": 1}, stats
    assert fake.requests_to("POST", rf"^/channels/{muted.id}/messages$") == []
    assert await pg_store.outbox.counts() == {"failed": 2, "sent": 1}
    (notice,) = fake.messages(admins)
    assert "could not post to" in (notice.content or "") + json.dumps(notice.embeds)
    assert not fake.requests_to("GET", r"^/gateway")  # REST only


async def test_alerts_from_a_poll_reach_discord_through_a_deliverer(
    fake_discord: FakeDiscord, pg_store: PostgresStore, pg_schema_url: str
) -> None:
    """A real case card and its status update (a card edit plus a message), from the pipeline."""
    fake = fake_discord
    guild = fake.add_guild("Newsroom")
    alerts = fake.add_text_channel(guild, "alerts")
    await pg_store.guilds.update_settings(guild.id, alert_channel_id=alerts.id)
    pipeline = Pipeline(pg_store, ParserPool(inline=True), None, PipelineOptions(alert_on_first_poll=True))
    feed, _ = await pg_store.feeds.add("https://news.example.org/feed.xml")
    await pipeline.ingest_body(feed, rss(SUMMONS))
    async with open_deliverer(settings_for(pg_schema_url, fake), owner="a") as deliverer:
        assert await deliverer.drain() == {"sent": 1}
        await pipeline.ingest_body(await pg_store.feeds.get(feed.id), rss(SUMMONS, WITHDRAWN))
        assert await deliverer.drain() == {"sent": 1}
    card, update = fake.messages(alerts)
    assert card.embeds and "Twitter" in card.embeds[0]["title"]
    assert (update.content or "").startswith("**Status update:**")
    assert re.search(rf"/{alerts.id}/{card.id}", update.content or "")  # it links the card
    assert fake.requests_to("PATCH", rf"^/channels/{alerts.id}/messages/{card.id}$", status=200)


async def test_worker_deliver_needs_a_token(
    pg_schema_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    from bot.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.setenv("CASEWATCH_DATABASE_URL", pg_schema_url)
    assert await asyncio.to_thread(main, ["worker", "deliver", "--once"]) == 2
    assert capsys.readouterr().err.strip() == (
        "casewatch: casewatch worker deliver needs DISCORD_TOKEN in the environment or .env"
    )


async def test_a_row_without_its_guild_still_gets_the_permission_check(
    fake_discord: FakeDiscord, pg_store: PostgresStore, pg_schema_url: str
) -> None:
    fake = fake_discord
    guild = fake.add_guild("Newsroom")
    muted = fake.add_text_channel(guild, "muted", bot_can_send=False)
    open_channel = fake.add_text_channel(guild, "open")
    async with pg_store.transaction():
        for channel in (muted, open_channel):
            intent = DeliveryIntent(
                kind=DeliveryKind.DIGEST, target_kind=TargetKind.CHANNEL, target_id=channel.id, dedupe_key=f"x:{channel.id}"
            )
            await pg_store.outbox.enqueue([intent], payload={"message": {"content": f"to {channel.name}"}})
    async with open_deliverer(settings_for(pg_schema_url, fake), owner="a") as deliverer:
        assert await deliverer.drain() == {"failed": 1, "sent": 1}
    assert fake.requests_to("POST", rf"^/channels/{muted.id}/messages$") == []
    assert [m.content for m in fake.messages(open_channel)] == ["to open"]
