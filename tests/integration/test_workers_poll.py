"""``casewatch worker poll`` on a real PostgreSQL server with the real local feed server.

Several workers in one test are separate stores (separate connection pools), as separate processes would
be; the crash trials in ``tests/e2e/test_workers_crash.py`` run them as real processes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.cli import main
from bot.clock import utcnow
from bot.config import Settings
from bot.workers.poll import PollWorker, host_key, open_poll_worker
from storage.postgres.leases import Leases
from storage.postgres.store import PostgresStore
from tests.e2e.botworld import START, item, rss
from tests.feedserver import FeedServer

SUMMONS = item(
    "s1",
    "Twitter sues DHS over summons to unmask the anonymous @ALT_uscis account",
    "Twitter filed a lawsuit in federal court asking a judge to block a Customs and Border Protection "
    "summons that demands records identifying the person behind the @ALT_uscis account.",
    START,
)


def worker_settings(url: str, **changes: object) -> Settings:
    base = Settings(
        database_url=url,
        parser_workers=0,
        allow_private_feeds=True,
        alert_on_first_poll=True,
        fetch_timeout_s=10.0,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
async def pg_store(pg_schema_url: str) -> AsyncIterator[PostgresStore]:
    async with await PostgresStore.open(pg_schema_url) as store:
        yield store


@asynccontextmanager
async def workers(url: str, n: int, **changes: object) -> AsyncIterator[list[PollWorker]]:
    async with AsyncExitStack() as stack:
        yield [
            await stack.enter_async_context(open_poll_worker(worker_settings(url, **changes), owner=f"w{i}"))
            for i in range(n)
        ]


# --- the command line ----------------------------------------------------------------------------------


def test_worker_poll_on_sqlite_is_one_line(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CASEWATCH_DATABASE_URL", raising=False)
    monkeypatch.chdir(str(tmp_path))
    for role in ("poll", "deliver"):
        assert main(["worker", role]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert err == [
            f"casewatch: casewatch worker {role} needs a shared PostgreSQL database: set CASEWATCH_DATABASE_URL "
            "(with SQLite, `casewatch run` does all the work in one process)"
        ]
    assert not list(__import__("pathlib").Path(str(tmp_path)).iterdir())  # no database file was created


def test_worker_poll_with_an_unreachable_server_is_one_line(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.chdir(str(tmp_path))
    monkeypatch.setenv("CASEWATCH_DATABASE_URL", f"postgresql://casewatch@127.0.0.1:{port}/nowhere")
    assert main(["worker", "poll", "--once"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot reach the PostgreSQL server" in err[0] and "connection refused" in err[0], err


# --- leases ----------------------------------------------------------------------------------------------


async def test_two_claimers_never_get_the_same_feed(pg_store: PostgresStore, pg_schema_url: str) -> None:
    for i in range(40):
        await pg_store.feeds.add(f"http://feeds{i % 3}.example.org/{i}.xml")
    async with await PostgresStore.open(pg_schema_url) as other:
        a, b = Leases(pg_store.db), Leases(other.db)
        now = utcnow()
        claims = await asyncio.gather(*(lease.claim_feeds(f"o{i}", 7, 30, now) for i, lease in enumerate([a, b] * 3)))
    ids = [f.id for claim in claims for f in claim]
    assert len(ids) == 40 and len(set(ids)) == 40  # 6 claims of 7 cover the 40 feeds, none twice
    assert await Leases(pg_store.db).claim_feeds("late", 10, 30, utcnow()) == []


async def test_claims_follow_due_times_and_leases(pg_store: PostgresStore) -> None:
    leases = Leases(pg_store.db)
    due, _ = await pg_store.feeds.add("http://a.example.org/due.xml")
    later, _ = await pg_store.feeds.add("http://a.example.org/later.xml")
    await pg_store.feeds.add("file:///tmp/local.xml")  # files are ingested, never polled
    await pg_store.db.execute(
        "UPDATE feeds SET next_due_at = $1 WHERE id = $2", (utcnow() + timedelta(hours=1)).isoformat(), later.id
    )
    first = await leases.claim_feeds("a", 10, 30, utcnow())
    assert [f.id for f in first] == [due.id]
    assert await leases.claim_feeds("b", 10, 30, utcnow()) == []  # held by a
    # a dies: its lease runs out (moved into the past here rather than waited for)
    await pg_store.db.execute("UPDATE feeds SET lease_until = now() - interval '1 second' WHERE id = $1", due.id)
    again = await leases.claim_feeds("b", 10, 30, utcnow())
    assert [f.id for f in again] == [due.id]
    assert await leases.release_feeds("a", [due.id]) == 0  # a's late release does not free b's lease
    assert await leases.extend_feeds("a", [due.id], 30) == 0
    assert await leases.extend_feeds("b", [due.id], 30) == 1
    assert await leases.release_feeds("b", [due.id]) == 1
    assert [f.id for f in await leases.claim_feeds("c", 10, 30, utcnow())] == [due.id]


async def test_host_slots_cap_a_host_across_claimers(pg_store: PostgresStore, pg_schema_url: str) -> None:
    async with await PostgresStore.open(pg_schema_url) as other:
        a, b = Leases(pg_store.db), Leases(other.db)
        await a.ensure_host_slots("news.example.org", 2)
        await b.ensure_host_slots("news.example.org", 2)  # idempotent
        got = await asyncio.gather(*(x.claim_host_slot("news.example.org", 2, f"o{i}", 60) for i, x in enumerate([a, b, a, b])))
        assert sorted(s for s in got if s is not None) == [0, 1] and got.count(None) == 2
        holder = f"o{got.index(0)}"
        await b.release_host_slot("news.example.org", 0, "someone-else")  # not the holder: no effect
        assert await a.claim_host_slot("news.example.org", 2, "x", 60) is None
        await b.release_host_slot("news.example.org", 0, holder)
        assert await a.claim_host_slot("news.example.org", 2, "x", 60) == 0
        assert await a.claim_host_slot("news.example.org", 1, "y", 60) is None  # a lower limit counts at once
        await pg_store.db.execute("UPDATE host_slots SET until = now() - interval '1 second' WHERE slot = 1")
        assert await b.claim_host_slot("news.example.org", 2, "z", 60) == 1  # an expired slot is free


async def test_run_once_per_period(pg_store: PostgresStore) -> None:
    leases = Leases(pg_store.db)
    assert await leases.run_once("digests", "2026-12-02T12:05", "a") is True
    assert await leases.run_once("digests", "2026-12-02T12:05", "b") is False
    assert await leases.run_once("digests", "2026-12-02T12:10", "b") is True


def test_host_key_matches_the_fetcher() -> None:
    assert host_key("http://127.0.0.1:8080/x.xml") == "127.0.0.1:8080"
    assert host_key("https://News.Example.org/feed") == "news.example.org"
    assert host_key("http:///nohost") is None


# --- workers against the feed server ---------------------------------------------------------------------


async def test_two_workers_poll_every_feed_once_and_share_the_host_limit(
    pg_store: PostgresStore, pg_schema_url: str
) -> None:
    """Each worker would allow 2 requests to the host by itself (the fetcher's semaphore); together they
    must still hold 2, because the slots are in the database."""
    async with FeedServer() as server:
        for i in range(12):
            server.route(f"/f{i}.xml", body=rss(SUMMONS) if i == 0 else rss(), delay_s=0.15)
            await pg_store.feeds.add(server.url(f"/f{i}.xml"))
        await pg_store.guilds.update_settings(1, alert_channel_id=2)
        async with workers(pg_schema_url, 2, per_host_limit=2) as (w1, w2):
            w1.concurrency = w2.concurrency = 6  # each claims half: both fetch at once
            results = await asyncio.gather(w1.run_once(), w2.run_once())
            again = await asyncio.gather(w1.run_once(), w2.run_once())
        polled = [r.feed_id for rs in results for r in rs]
        assert sorted(polled) == sorted(f.id for f in await pg_store.feeds.list())
        assert all(r.ok for rs in results for r in rs), results
        assert results[0] and results[1], "one worker took every feed: the claims did not share the work"
        assert again == [[], []]  # every feed is due again only after its interval
        assert all(server.hits(f"/f{i}.xml") == 1 for i in range(12))
        assert server.max_concurrent() == 2, server.max_concurrent()
        assert w1.slots is not None and w2.slots is not None and w1.slots.waits + w2.slots.waits > 0
    leased = await pg_store.db.fetchval("SELECT COUNT(*) FROM feeds WHERE lease_owner IS NOT NULL")
    assert leased == 0
    assert await pg_store.db.fetchval("SELECT COUNT(*) FROM host_slots WHERE owner IS NOT NULL") == 0
    assert await pg_store.outbox.counts() == {"pending": 1}  # the one relevant item, alerted once


async def test_a_long_poll_keeps_its_lease(pg_store: PostgresStore, pg_schema_url: str) -> None:
    """The heartbeat renews the lease while the fetch runs, so another worker never polls it too."""
    async with FeedServer() as server:
        server.route("/slow.xml", body=rss(), delay_s=2.5)
        await pg_store.feeds.add(server.url("/slow.xml"))
        async with workers(pg_schema_url, 2) as (w1, w2):
            w1.lease_s = w2.lease_s = 0.9  # renewed every 0.3 s
            first = asyncio.create_task(w1.run_once())
            seen: list[int] = []
            for _ in range(8):  # well past the 0.9 s lease
                await asyncio.sleep(0.25)
                seen += [r.feed_id for r in await w2.run_once()]
            results = await first
        assert [r.ok for r in results] == [True] and seen == []
        assert server.hits("/slow.xml") == 1


async def test_worker_run_loop_stops_cleanly(pg_store: PostgresStore, pg_schema_url: str) -> None:
    async with FeedServer() as server:
        for i in range(5):
            server.route(f"/f{i}.xml", body=rss())
            await pg_store.feeds.add(server.url(f"/f{i}.xml"))
        async with workers(pg_schema_url, 1) as (w,):
            stop = asyncio.Event()
            loop = asyncio.create_task(w.run(stop))
            while w.polled < 5:
                await asyncio.sleep(0.02)
            stop.set()
            await asyncio.wait_for(loop, 10)
        assert all(server.hits(f"/f{i}.xml") == 1 for i in range(5))
    assert await pg_store.db.fetchval("SELECT COUNT(*) FROM feeds WHERE lease_owner IS NOT NULL") == 0


# --- periodic jobs -----------------------------------------------------------------------------------------


def test_period_keys_are_aligned() -> None:
    from datetime import UTC, datetime

    from bot.workers.periodic import period_key

    at = datetime(2026, 12, 2, 12, 3, 10, tzinfo=UTC)
    assert period_key(at, 300) == "2026-12-02T12:00:00+00:00"
    assert period_key(at + timedelta(seconds=109), 300) == "2026-12-02T12:00:00+00:00"
    assert period_key(at + timedelta(seconds=110), 300) == "2026-12-02T12:05:00+00:00"


async def test_maintenance_runs_once_per_period_across_processes(
    pg_store: PostgresStore, pg_schema_url: str, store: object
) -> None:
    from datetime import UTC, datetime

    from bot.models import DigestMode
    from bot.workers.periodic import maintenance

    # A guild in daily digest mode with a held alert from two days ago: its digest is due.
    await pg_store.guilds.update_settings(7, alert_channel_id=8, digest=DigestMode.DAILY.value)
    feed, _ = await pg_store.feeds.add("https://news.example.org/feed.xml")
    from bot.feeds.parser import ParserPool
    from bot.pipeline import Pipeline, PipelineOptions

    pipeline = Pipeline(pg_store, ParserPool(inline=True), None, PipelineOptions(alert_on_first_poll=True))
    await pipeline.ingest_body(feed, rss(SUMMONS))
    assert await pg_store.outbox.counts() == {"held": 1}
    later = datetime.now(UTC) + timedelta(days=2)
    at = datetime.fromtimestamp(later.timestamp() // 300 * 300 + 10, UTC)  # well inside one period
    async with await PostgresStore.open(pg_schema_url) as other:
        ran = await asyncio.gather(
            *(maintenance(s, f"p{i}", 300, at) for i, s in enumerate([pg_store, other] * 3))
        )
        assert sorted(ran) == [False] * 5 + [True]
        assert await pg_store.outbox.counts() == {"digested": 1, "pending": 1}  # one digest message
        assert await maintenance(other, "p9", 300, at + timedelta(seconds=250)) is False  # same period
        assert await maintenance(other, "p9", 300, at + timedelta(seconds=300)) is True  # the next one
    # On SQLite one process owns the file: it always runs.
    assert await maintenance(store, "solo", 300, at) is True  # type: ignore[arg-type]
    assert await maintenance(store, "solo", 300, at) is True  # type: ignore[arg-type]


async def test_docket_jobs_run_once_per_period_across_bot_processes(pg_store: PostgresStore, pg_schema_url: str) -> None:
    """Two bot processes (shards with --jobs, say) over one database: the docket sweep of a period runs
    in one of them, and again in the next period."""
    from bot.app import CasewatchBot
    from bot.docket.settings import ClientSettings

    ran: list[str] = []

    class Counting:
        def __init__(self, name: str) -> None:
            self.name = name

        async def sweep(self) -> int:
            ran.append(self.name)
            return 0

    settings = worker_settings(pg_schema_url, courtlistener=ClientSettings(token="t"))
    bots = [CasewatchBot(settings, run_jobs=False, open_services=False) for _ in range(2)]
    for n, bot in enumerate(bots):
        bot.store = pg_store
        bot.docket = Counting(f"bot{n}")  # type: ignore[assignment]
    assert bots[0].job_owner != bots[1].job_owner
    for bot in bots:
        await bot._docket_sweep()
    assert len(ran) == 1  # this period: one of the two
    await pg_store.db.execute("DELETE FROM job_runs WHERE job = 'docket-sweep'")  # as if the period ended
    await bots[1]._docket_sweep()
    assert len(ran) == 2
