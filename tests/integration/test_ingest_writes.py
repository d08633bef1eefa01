"""The storage side of ingest: what the article search index holds (schema 0003: relevant articles only),
the upgrade of an existing 0002 database, and cross-feed dedupe under concurrent ingest."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import bot.pipeline as pipeline_module
from bot.feeds.parser import ParserPool
from bot.models import Detection, Entry, ParsedFeed
from storage.database import Database
from storage.migrations import latest_version, load_migrations
from storage.store import SqliteStore
from tests.feedxml import SUMMONS, item, rss
from tests.storage_backends import is_postgres, rows

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
# Shares the word "Twitter" with SUMMONS but is ordinary product news.
NOISE = item("n1", "Twitter launches a new emoji keyboard", "The keyboard ships to all users next week.")


@pytest.fixture
async def parser() -> AsyncIterator[ParserPool]:
    pool = ParserPool(inline=True)
    yield pool
    await pool.close()


async def _fts_rowids(db: Database) -> set[int]:
    return {int(r[0]) for r in await db.fetchall("SELECT rowid FROM articles_fts")}


async def _searchable(store: SqliteStore) -> set[int]:
    """The ids of the articles the search index answers with: SQLite's articles_fts rows; on PostgreSQL
    the articles with a search vector whose detection is relevant (the only ones search reads)."""
    if is_postgres(store):
        found = await rows(
            store,
            "SELECT a.id FROM articles a JOIN detections d ON d.article_id = a.id "
            "WHERE d.relevant AND a.search IS NOT NULL",
        )
        return {int(r[0]) for r in found}
    return await _fts_rowids(store.db)


async def _fts_healthy(store: SqliteStore) -> bool:
    """FTS5's own integrity check (raises on a corrupt index) plus SQLite's; PostgreSQL's own checks."""
    if not is_postgres(store):
        await store.db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")
    return await store.db.integrity_problems() == []


def _entry(key: str, title: str, url: str | None = None) -> Entry:
    return Entry(key=key, url=url, title=title, summary="body text", published=T0, content_hash="h" + key)


async def test_search_finds_relevant_articles_and_not_ordinary_news(any_store: SqliteStore, parser) -> None:
    store = any_store
    feed, _ = await store.feeds.add("https://news.example.org/feed")
    result = await pipeline_module.Pipeline(store, parser).ingest_body(feed, rss(SUMMONS, NOISE))
    assert (result.ok, result.new, result.relevant) == (True, 2, 1)
    hits = await store.articles.search("Twitter")
    assert [a.title for a in hits] == [
        "Twitter sues DHS over summons to unmask the anonymous @ALT_uscis account"
    ]
    assert await store.articles.search("emoji keyboard") == []  # stored, but not indexed
    assert await store.articles.count() == 2
    assert await _fts_healthy(store)


async def test_index_follows_relevance_changes_and_deletes(any_store: SqliteStore) -> None:
    store = any_store
    """A reprocess can flip a verdict either way (upsert); removing a feed cascades its articles away."""
    feed, _ = await store.feeds.add("https://news.example.org/feed")
    irrelevant = Detection(relevant=False, score=0.1)
    relevant = Detection(relevant=True, score=0.9, platforms=("Reddit",))
    async with store.transaction():
        await store.articles.insert_irrelevant(
            feed.id, [(_entry("a", "Reddit quarterly results"), irrelevant)], T0
        )
        b = await store.articles.insert(feed.id, _entry("b", "Reddit fights subpoena"), T0)
        await store.articles.save_detection(b, relevant, None)
    assert [x.id for x in await store.articles.search("Reddit")] == [b]
    assert await store.articles.search("quarterly") == []

    a_id = next(i for i in await store.articles.all_ids() if i != b)
    async with store.transaction():
        await store.articles.save_detection(a_id, relevant, None)  # irrelevant -> relevant
        await store.articles.save_detection(b, relevant, None)  # relevant -> relevant: still one row
    assert await _searchable(store) == {a_id, b}
    async with store.transaction():
        await store.articles.save_detection(b, irrelevant, None)  # relevant -> irrelevant
    assert await _searchable(store) == {a_id}
    assert [x.id for x in await store.articles.search("quarterly")] == [a_id]
    assert await _fts_healthy(store)

    assert await store.feeds.remove("https://news.example.org/feed")
    assert await _searchable(store) == set()
    assert await _fts_healthy(store)


def _make_0002_database(path: Path) -> None:
    """A database exactly as schema 0002 left it, with every article in the old full index."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for migration in load_migrations():
            if migration.version <= 2:
                conn.executescript(
                    f"BEGIN;\n{migration.sql}\nPRAGMA user_version = {migration.version};\nCOMMIT;"
                )
        conn.execute("INSERT INTO feeds (id, url, created_at) VALUES (1, 'https://example.org/f', 'x')")
        rows = [
            (1, "Meta sued by regulator over data transfers", 1),  # relevant
            (2, "Meta opens a new office downtown", 0),  # irrelevant
            (3, "Meta stock rises", None),  # no detection (never happens, but must not break the upgrade)
        ]
        for article_id, title, relevant in rows:
            conn.execute(
                "INSERT INTO articles (id, feed_id, key, title, summary, fetched_at, content_hash) "
                "VALUES (?, 1, ?, ?, 'Meta', '2024-05-01T12:00:00+00:00', ?)",
                (article_id, f"k{article_id}", title, f"h{article_id}"),
            )
            if relevant is not None:
                conn.execute(
                    "INSERT INTO detections (article_id, relevant, score) VALUES (?, ?, 0.5)",
                    (article_id, relevant),
                )
        assert conn.execute(
            "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'Meta'"
        ).fetchone() == (3,)
    finally:
        conn.close()


async def test_upgrade_from_0002_keeps_only_relevant_articles_searchable(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _make_0002_database(path)
    async with SqliteStore(await Database.open(path)) as store:
        assert (await store.db.fetchone("PRAGMA user_version"))[0] == latest_version() >= 3
        assert await _searchable(store) == {1}
        assert [a.id for a in await store.articles.search("Meta")] == [1]
        assert await _fts_healthy(store)
        # The new triggers work on the upgraded file: a new relevant article is indexed, a removed one is not.
        async with store.transaction():
            new_id = await store.articles.insert(1, _entry("k4", "Meta fined by regulator"), T0)
            await store.articles.save_detection(new_id, Detection(relevant=True, score=0.8), None)
            await store.articles.save_detection(1, Detection(relevant=False, score=0.1), None)
        assert [a.id for a in await store.articles.search("fined")] == [new_id]
        assert await _searchable(store) == {new_id}
        assert await _fts_healthy(store)
        old_triggers = {"articles_ai", "articles_ad", "articles_au"}
        names = {
            r[0] for r in await store.db.fetchall("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        }
        assert not old_triggers & names
    async with await SqliteStore.open(path) as again:  # reopening does not migrate twice
        assert await _fts_rowids(again.db) == {new_id}


async def test_concurrent_feeds_with_one_url_store_it_once(any_store: SqliteStore) -> None:
    store = any_store
    """Cross-feed dedupe holds when two feeds carrying one story are ingested at the same time."""
    a, _ = await store.feeds.add("https://a.example.org/feed")
    b, _ = await store.feeds.add("https://b.example.org/feed")
    pipeline = pipeline_module.Pipeline(store, None)  # type: ignore[arg-type]
    story = "https://news.example.org/story"

    def parsed(key: str) -> ParsedFeed:
        return ParsedFeed("x", None, (_entry(key, "Story " + key, story),))

    ra, rb = await asyncio.gather(
        pipeline.ingest_parsed(a, parsed("x")), pipeline.ingest_parsed(b, parsed("y"))
    )
    assert sorted((r.new, r.duplicate) for r in (ra, rb)) == [(0, 1), (1, 0)]
    assert await store.articles.count() == 1
    assert await store.db.integrity_problems() == []


async def test_concurrent_reports_of_one_dispute_make_one_case(any_store: SqliteStore, parser) -> None:
    """Two feeds report one dispute at the same moment. A poll's transaction runs beside others until it
    groups (``Store.serialize``), so grouping still sees the other poll's case and joins it."""
    store = any_store
    a, _ = await store.feeds.add("https://a.example.org/feed")
    b, _ = await store.feeds.add("https://b.example.org/feed")
    pipeline = pipeline_module.Pipeline(store, parser)
    other = item(
        "s9",
        "Twitter asks a court to quash the DHS summons over the anonymous @ALT_uscis account",
        "Twitter says the Customs and Border Protection summons for records identifying the person behind "
        "@ALT_uscis violates the First Amendment, in its lawsuit against the Department of Homeland Security.",
        link="https://other.example.org/story",
    )
    ra, rb = await asyncio.gather(
        pipeline.ingest_body(a, rss(SUMMONS, NOISE)), pipeline.ingest_body(b, rss(other))
    )
    assert (ra.relevant, rb.relevant) == (1, 1)
    assert len(ra.new_case_ids) + len(rb.new_case_ids) == 1
    assert await store.cases.count() == 1
    (case,) = await store.cases.recent()
    assert case.article_count == 2
    assert await store.db.integrity_problems() == []
