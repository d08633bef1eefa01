"""A poll on PostgreSQL runs beside other writers until it groups (``Store.transaction(exclusive=False)``,
``Store.serialize``). Its wait for the writers' lock is a lock PostgreSQL sees, so a cycle with a row
lock (an admin removing the very feed being polled, in a transaction that holds the writers' lock) is
broken by the server's deadlock detector: one side fails with an error, the other completes, nothing is
half-written and nothing hangs.

Needs a PostgreSQL server (tests/storage_backends.py); skipped without one, failing under
CASEWATCH_PG_TESTS=required.
"""

from __future__ import annotations

import asyncio

from bot.feeds.parser import ParserPool
from bot.models import FeedPollResult
from bot.pipeline import Pipeline
from storage.errors import WriteConflict
from storage.postgres.store import PostgresStore
from tests.feedxml import SUMMONS, rss

FEED = "https://a.example.org/feed"


async def _waiting_advisory_locks(store: PostgresStore) -> int:
    return int(await store.db.fetchval("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"))


async def test_a_feed_removed_while_its_poll_waits_to_group_never_hangs(pg_schema_url: str) -> None:
    async with await PostgresStore.open(pg_schema_url) as store, await PostgresStore.open(pg_schema_url) as admin:
        feed, _ = await store.feeds.add(FEED)
        pool = ParserPool(inline=True)
        pipeline = Pipeline(store, pool)
        holding, go = asyncio.Event(), asyncio.Event()

        async def remove_under_the_writers_lock() -> bool:
            async with admin.transaction():  # exclusive: the writers' lock from its first statement
                holding.set()
                await go.wait()
                return await admin.feeds.remove(FEED)  # waits for the row lock the poll's articles took

        remover = asyncio.create_task(remove_under_the_writers_lock())
        await holding.wait()
        poll = asyncio.create_task(pipeline.ingest_body(feed, rss(SUMMONS)))
        async with asyncio.timeout(10):  # the poll stored its article and now waits at serialize()
            while await _waiting_advisory_locks(admin) < 1:
                await asyncio.sleep(0.01)
        go.set()
        async with asyncio.timeout(20):
            polled, removed = await asyncio.gather(poll, remover, return_exceptions=True)
        await pool.close()

        assert isinstance(polled, FeedPollResult)
        if isinstance(removed, BaseException):  # the server chose the removal as the victim
            assert isinstance(removed, WriteConflict), removed
            assert polled.ok and polled.relevant == 1
            assert await store.articles.count() == 1 and await store.cases.count() == 1
        else:  # the poll was the victim: recorded as a failed poll, the feed is gone with nothing of it
            assert removed is True
            assert not polled.ok
            assert (polled.error or "").startswith("not stored, will retry: the database broke a lock cycle")
            assert await store.feeds.get_by_url(FEED) is None
            assert await store.articles.count() == 0 and await store.cases.count() == 0
        assert await store.db.integrity_problems() == []
