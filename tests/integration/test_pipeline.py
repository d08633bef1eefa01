"""The whole pipeline against a real local HTTP server and a real store: every test runs on SQLite and on
PostgreSQL (``any_store``, tests/storage_backends.py).

Feed XML here is written for these tests. Each test polls through fetch -> parse -> dedupe -> detect ->
group -> status -> persist + outbox and checks what landed in the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.feeds.fetcher import Fetcher, FetchLimits
from bot.feeds.parser import ParserPool
from bot.models import Feed, Stage
from bot.pipeline import Pipeline, PipelineOptions
from bot.polling import PollPolicy
from storage.store import SqliteStore
from tests.feedserver import FeedServer
from tests.feedxml import START, SUMMONS, WITHDRAWN, item, rss

NOISE = item("n1", "Local bakery wins award for sourdough", "The bakery on Main Street was honoured.")


class Clock:
    """A controllable clock so due times and backoff can be stepped through without sleeping."""

    def __init__(self) -> None:
        # A second ahead: feeds.add stores the real time (to the second) as next_due_at, and a feed added
        # just after a second boundary was otherwise "not due yet" at this clock's now (a rare flake).
        self.now = datetime.now(UTC) + timedelta(seconds=1)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def store(any_store: SqliteStore) -> SqliteStore:
    """Both backends: this module only talks to the Store protocol."""
    return any_store


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as running:
        yield running


@pytest.fixture
async def parts(store: SqliteStore) -> AsyncIterator[tuple[SqliteStore, Fetcher, ParserPool]]:
    parser = ParserPool(inline=True)
    fetcher = Fetcher(FetchLimits(total_timeout_s=5, connect_timeout_s=2, read_timeout_s=2))
    yield store, fetcher, parser
    await fetcher.close()
    await parser.close()


def make_pipeline(
    parts: tuple[SqliteStore, Fetcher, ParserPool], clock: Clock, **options: object
) -> Pipeline:
    store, fetcher, parser = parts
    opts = PipelineOptions(policy=PollPolicy(max_failures=3, jitter=0.0), **options)  # type: ignore[arg-type]
    return Pipeline(store, parser, fetcher, opts, clock=clock)


async def poll(pipeline: Pipeline, url: str):  # type: ignore[no-untyped-def]
    feed = await pipeline.store.feeds.get_by_url(url)
    assert feed is not None
    return await pipeline.poll(feed)


async def add(pipeline: Pipeline, url: str) -> Feed:
    feed, _ = await pipeline.store.feeds.add(url)
    return feed


async def test_conditional_get_and_body_hash_skip(server: FeedServer, parts, store: SqliteStore) -> None:
    clock = Clock()
    pipeline = make_pipeline(parts, clock)
    server.route("/etag.xml", body=rss(NOISE), etag='"v1"')
    server.route("/plain.xml", body=rss(item("p1", "Weather: sunny week ahead", "Warm.")))  # no validators
    await add(pipeline, server.url("/etag.xml"))
    await add(pipeline, server.url("/plain.xml"))

    first = await poll(pipeline, server.url("/etag.xml"))
    assert (first.status, first.new) == ("new", 1)
    second = await poll(pipeline, server.url("/etag.xml"))
    assert second.status == "not_modified"
    assert server.requests_to("/etag.xml")[-1].headers.get("If-None-Match") == '"v1"'

    assert (await poll(pipeline, server.url("/plain.xml"))).new == 1
    again = await poll(pipeline, server.url("/plain.xml"))
    assert again.status == "unchanged" and again.ok
    feed = await store.feeds.get_by_url(server.url("/plain.xml"))
    assert feed is not None and feed.consecutive_failures == 0 and feed.item_count == 1


async def test_guid_or_date_change_with_same_content_is_not_new(server: FeedServer, parts, store) -> None:
    pipeline = make_pipeline(parts, Clock())
    server.route("/g.xml", body=rss(NOISE))
    await add(pipeline, server.url("/g.xml"))
    assert (await poll(pipeline, server.url("/g.xml"))).new == 1
    changed = item(
        "n1-renamed",
        "Local bakery wins award for sourdough",
        "The bakery on Main Street was honoured.",
        when=START + timedelta(hours=5),
        link="https://news.example.org/n1",
    )
    server.route("/g.xml", body=rss(changed))
    result = await poll(pipeline, server.url("/g.xml"))
    assert (result.new, result.duplicate) == (0, 1)
    assert await store.articles.count() == 1


async def test_cross_feed_duplicate_by_canonical_url(server: FeedServer, parts, store) -> None:
    pipeline = make_pipeline(parts, Clock())
    server.route(
        "/a.xml", body=rss(item("x", "Story", "Body", link="https://news.example.org/story?utm_source=a"))
    )
    server.route(
        "/b.xml",
        body=rss(item("y", "Story (syndicated)", "Other body", link="https://NEWS.example.org/story#top")),
    )
    for path in ("/a.xml", "/b.xml"):
        await add(pipeline, server.url(path))
    assert (await poll(pipeline, server.url("/a.xml"))).new == 1
    b = await poll(pipeline, server.url("/b.xml"))
    assert (b.new, b.duplicate) == (0, 1)


async def test_failures_back_off_then_disable_and_do_not_stop_other_feeds(
    server: FeedServer, parts, store
) -> None:
    clock = Clock()
    pipeline = make_pipeline(parts, clock)
    server.route("/broken.xml", status=500, body=b"oops")
    server.route("/bad.xml", body=b"<rss><channel><item><title>unclosed")
    server.route("/good.xml", body=rss(NOISE))
    for path in ("/broken.xml", "/bad.xml", "/good.xml"):
        await add(pipeline, server.url(path))

    results = {r.url: r for r in await pipeline.poll_due()}
    assert results[server.url("/good.xml")].ok and results[server.url("/good.xml")].new == 1
    broken = results[server.url("/broken.xml")]
    assert not broken.ok and "500" in (broken.error or "")
    feed = await store.feeds.get_by_url(server.url("/broken.xml"))
    assert feed.consecutive_failures == 1 and "500" in feed.last_error
    first_delay = feed.next_due_at - clock.now
    assert first_delay >= timedelta(seconds=800)  # backed off, not hammered

    # Not due yet: nothing is polled again until the backoff has passed.
    assert server.url("/broken.xml") not in {r.url for r in await pipeline.poll_due()}
    for _ in range(2):
        clock.advance(days=2)
        await pipeline.poll(await store.feeds.get_by_url(server.url("/broken.xml")))
    feed = await store.feeds.get_by_url(server.url("/broken.xml"))
    assert not feed.enabled and "3 consecutive failures" in feed.disabled_reason
    clock.advance(days=30)
    assert server.url("/broken.xml") not in {r.url for r in await pipeline.poll_due()}
    bad = await store.feeds.get_by_url(server.url("/bad.xml"))
    assert bad.last_error  # the invalid XML is reported on its feed, with a reason


async def test_first_poll_records_without_alerting_then_alerts(server: FeedServer, parts, store) -> None:
    pipeline = make_pipeline(parts, Clock())
    await store.guilds.update_settings(1, alert_channel_id=100)
    server.route("/news.xml", body=rss(SUMMONS))
    await add(pipeline, server.url("/news.xml"))
    first = await poll(pipeline, server.url("/news.xml"))
    assert first.relevant == 1 and len(first.new_case_ids) == 1
    assert await store.outbox.counts() == {}  # backlog of a new feed: recorded, not announced

    server.route("/news.xml", body=rss(SUMMONS, WITHDRAWN))
    second = await poll(pipeline, server.url("/news.xml"))
    assert second.new == 1 and second.relevant == 1
    due = await store.outbox.due(datetime.now(UTC) + timedelta(seconds=5))
    assert [(d.kind.value, d.target_id) for d in due] == [("status_update", 100)]
    assert due[0].event_id is not None


async def test_alert_on_first_poll_option_and_no_double_enqueue(server: FeedServer, parts, store) -> None:
    pipeline = make_pipeline(parts, Clock(), alert_on_first_poll=True)
    await store.guilds.update_settings(1, alert_channel_id=100)
    server.route("/news.xml", body=rss(SUMMONS, NOISE))
    await add(pipeline, server.url("/news.xml"))
    await poll(pipeline, server.url("/news.xml"))
    await poll(pipeline, server.url("/news.xml"))  # same body: nothing new, nothing re-enqueued
    assert await store.outbox.counts() == {"pending": 1}


async def test_seed_story_becomes_one_closed_case(server: FeedServer, parts, store) -> None:
    pipeline = make_pipeline(parts, Clock())
    undated = item(
        "s3",
        "Explainer: why Twitter went to court over the @ALT_uscis summons",
        "Twitter sued the Department of Homeland Security after Customs and Border Protection issued "
        "a summons for the identity behind @ALT_uscis; the summons was later withdrawn.",
        when=None,
    )
    server.route("/news.xml", body=rss(SUMMONS, WITHDRAWN, undated, NOISE))
    await add(pipeline, server.url("/news.xml"))
    result = await poll(pipeline, server.url("/news.xml"))
    assert (result.new, result.relevant) == (4, 3)
    cases = await store.cases.dump()
    assert len(cases) == 1
    case = cases[0]
    assert "Twitter" in case["platforms"]
    assert {"DHS", "CBP"} & set(case["counterparties"])
    assert case["action"] == "summons"
    assert case["status"] in (Stage.WITHDRAWN.value, Stage.DROPPED.value)
    assert len(case["article_urls"]) == 3
    assert [e["to"] for e in case["events"]][-1] == case["status"]
    articles = {a["title"]: a for a in await store.articles.dump()}
    assert articles["Local bakery wins award for sourdough"]["relevant"] is False
    assert articles["Local bakery wins award for sourdough"]["case_id"] is None
    assert articles[undated.split("<title>")[1].split("</title>")[0]]["published"] is None


async def test_real_process_pool_parses(server: FeedServer, store: SqliteStore) -> None:
    parser = ParserPool(workers=1)
    try:
        async with Fetcher() as fetcher:
            pipeline = Pipeline(store, parser, fetcher)
            server.route("/p.xml", body=rss(NOISE, SUMMONS))
            feed, _ = await store.feeds.add(server.url("/p.xml"))
            result = await pipeline.poll(feed)
    finally:
        await parser.close()
    assert result.ok and result.new == 2
