"""Forum channel mode under ``casewatch worker deliver``: REST-only deliverers on PostgreSQL, against the
fake Discord's forums and threads.

A guild's alert channel is a forum, so each case is one post and its later developments and status changes
go into that post. Cases arrive over several polls; one deliverer sends the first rounds, then two take
turns (each alone for a round, so the forum changes under the other's cached copy of it), then two run at
once. After every round: each case has exactly one post (one thread-creating request), the post holds the
case card and then every later row of the case, each once and in outbox order (by nonce), closed cases'
posts are archived, and every post carries the tags the forum rules choose for its case (a tag list
edited from a stale copy of the forum would drop the others' tags and strip them from their posts).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import replace
from typing import Any

import pytest

from bot.config import Settings
from bot.delivery import forum as forum_rules
from bot.delivery.policy import nonce_for
from bot.feeds.parser import ParserPool
from bot.models import DeliveryKind, Feed, is_closed
from bot.pipeline import Pipeline, PipelineOptions
from bot.workers.deliver import RestPublisher, deliver_loop, open_deliverer
from storage.postgres.store import PostgresStore
from tests.e2e.botworld import FOLLOWUP
from tests.e2e.test_crash import (
    AMAZON,
    REDDIT,
    REDDIT_FOLLOWUP,
    TELEGRAM,
    TELEGRAM_APPEAL,
    TWITTER,
    TWITTER_WITHDRAWN,
)
from tests.fakediscord import FakeDiscord
from tests.fakediscord.state import FakeChannel
from tests.feedxml import rss

FEED_URL = "https://news.example.org/feed.xml"
# What each poll adds (the feed keeps everything it had): new cases, developments, status changes.
ROUNDS: list[tuple[str, ...]] = [
    (TWITTER, REDDIT),
    (FOLLOWUP, TWITTER_WITHDRAWN),  # a development of the Twitter case, then it is closed
    (TELEGRAM, AMAZON),  # new cases with new tags (their platforms), made by the first deliverer
    (TELEGRAM_APPEAL,),  # a change in one of them, sent by the second, whose copy of the forum is older
    (REDDIT_FOLLOWUP,),
]


@pytest.fixture
async def pg_store(pg_schema_url: str) -> AsyncIterator[PostgresStore]:
    async with await PostgresStore.open(pg_schema_url) as store:
        yield store


class ForumWorld:
    def __init__(self, fake: FakeDiscord, store: PostgresStore, url: str) -> None:
        self.fake, self.store, self.url = fake, store, url
        self.guild = fake.add_guild("Newsroom")
        self.forum = fake.add_forum_channel(self.guild, "cases")
        fake.set_overwrite(self.forum, fake.bot_member(self.guild), allow=["manage_channels"])
        self.pipeline = Pipeline(store, ParserPool(inline=True), None, PipelineOptions(alert_on_first_poll=True))
        self.items: list[str] = []
        self.feed: Feed | None = None
        self.tags_seen: dict[str, int] = {}  # every tag the forum had, by name: none is ever made again

    async def setup(self) -> None:
        await self.store.guilds.update_settings(self.guild.id, alert_channel_id=self.forum.id, alert_forum=True)
        self.feed, _ = await self.store.feeds.add(FEED_URL)

    def settings(self) -> Settings:
        return replace(Settings(), database_url=self.url, discord_token=self.fake.token)

    async def poll(self, new_items: tuple[str, ...]) -> None:
        assert self.feed is not None
        self.items += new_items
        await self.pipeline.ingest_body(await self.store.feeds.get(self.feed.id), rss(*self.items))

    async def pending(self) -> int:
        return int((await self.store.outbox.counts()).get("pending", 0))

    async def check(self) -> dict[str, int]:
        """Every invariant of the module doc; returns how many rows of each kind went to the forum."""
        fake, forum, store = self.fake, self.forum, self.store
        assert await store.outbox.counts() == {"sent": (await store.outbox.counts()).get("sent", 0)}
        rows = await store.db.fetch(
            "SELECT id, kind, case_id, state FROM deliveries WHERE target_id = $1 ORDER BY id", forum.id
        )
        instance = await store.outbox.instance_id()
        by_case: dict[str, list[Any]] = {}
        for row in rows:
            by_case.setdefault(str(row["case_id"]), []).append(row)
        threads = {t.id: t for t in fake.threads_of(forum)}
        creates = fake.requests_to("POST", rf"^/channels/{forum.id}/threads$", status=201)
        assert len(creates) == len(by_case) == len(threads), (len(creates), len(by_case), len(threads))
        tag_names = [str(t["name"]) for t in forum.available_tags]
        assert len(tag_names) == len({n.lower() for n in tag_names}), tag_names  # each tag made once
        tag_ids = {str(t["name"]): int(t["id"]) for t in forum.available_tags}
        assert {n: tag_ids.get(n) for n in self.tags_seen} == self.tags_seen, "a tag was dropped or made again"
        self.tags_seen.update(tag_ids)
        for case_id, case_rows in by_case.items():
            assert case_rows[0]["kind"] == DeliveryKind.NEW_CASE.value, case_rows
            post = await store.forum_posts.get(case_id, forum.id)
            assert post is not None and post.thread_id in threads, (case_id, post)
            thread: FakeChannel = threads[post.thread_id]
            messages = fake.messages(thread)
            starter, later = messages[0], messages[1:]
            assert starter.id == post.message_id == thread.id and starter.nonce is None
            assert any(f"case {case_id} ·" in str(e.get("footer", {}).get("text", "")) for e in starter.embeds)
            # Each later row of the case in its post, once, in outbox order; nothing else there.
            assert [m.nonce for m in later] == [nonce_for(int(r["id"]), instance=instance) for r in case_rows[1:]]
            case = await store.cases.get(case_id)
            assert case is not None
            assert thread.archived is is_closed(case.status), (case_id, case.status)
            wanted = forum_rules.wanted_tags(case)
            assert set(wanted) <= set(tag_ids), (case.title, wanted, sorted(tag_ids))  # the forum has room for all
            chosen = forum_rules.choose_tags(wanted, tag_ids)
            assert sorted(thread.applied_tags) == sorted(chosen), (case.title, thread.applied_tags, chosen, tag_ids)
        kinds: dict[str, int] = {}
        for row in rows:
            kinds[str(row["kind"])] = kinds.get(str(row["kind"]), 0) + 1
        return kinds


async def drain_alone(deliverer: RestPublisher, world: ForumWorld) -> None:
    async with asyncio.timeout(60):
        while await world.pending():
            await deliverer.drain()


async def drain_together(deliverers: list[RestPublisher], world: ForumWorld) -> None:
    stop = asyncio.Event()
    loops = [asyncio.create_task(deliver_loop(d, stop, idle_s=0.05, maintenance_every_s=None)) for d in deliverers]
    try:
        async with asyncio.timeout(60):
            while await world.pending():
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.gather(*loops)


async def test_forum_posts_by_one_then_two_deliverers(
    fake_discord: FakeDiscord, pg_store: PostgresStore, pg_schema_url: str
) -> None:
    world = ForumWorld(fake_discord, pg_store, pg_schema_url)
    await world.setup()
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(open_deliverer(world.settings(), owner="a"))
        for new_items in ROUNDS[:2]:  # one deliverer
            await world.poll(new_items)
            await drain_alone(a, world)
            await world.check()
        b = await stack.enter_async_context(open_deliverer(world.settings(), owner="b"))
        await b._guild(world.guild.id)  # b knows the forum as it is now; a changes it next
        for deliverer, new_items in ((a, ROUNDS[2]), (b, ROUNDS[3])):  # the two take turns
            await world.poll(new_items)
            await drain_alone(deliverer, world)
            await world.check()
        await world.poll(ROUNDS[4])  # both at once
        await drain_together([a, b], world)
    kinds = await world.check()
    # The rounds did what they are for: several posts, developments and status changes inside them, and
    # tags made by both deliverers.
    assert kinds.get("new_case", 0) >= 4 and kinds.get("development", 0) >= 1 and kinds.get("status_update", 0) >= 2, kinds
    closed = [t for t in world.fake.threads_of(world.forum) if t.archived]
    assert closed, "no case was closed, so archiving was not exercised"
    patches = world.fake.requests_to("PATCH", rf"^/channels/{world.forum.id}$", status=200)
    assert len(patches) >= 2, "the tags were not made in more than one round"
