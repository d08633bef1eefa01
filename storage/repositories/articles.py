"""Articles and their detections."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bot.clock import to_iso
from bot.models import Article, Detection, Entry
from storage.codec import ARTICLE_DUMP_COLUMNS, article_dump, article_from_row, dumps
from storage.database import Database


def _placeholders(n: int) -> str:
    return ",".join("?" * n)


def detection_upsert(article_id: int, det: Detection, case_id: str | None) -> tuple[str, tuple[Any, ...]]:
    """The statement that stores an article's detection (and its case); grouping pipelines it."""
    return (
        "INSERT INTO detections (article_id, relevant, score, platforms, counterparties, action, stage, "
        "court, docket, subjects, reasons, case_id, issues) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (article_id) DO UPDATE SET relevant = excluded.relevant, score = excluded.score, "
        "platforms = excluded.platforms, counterparties = excluded.counterparties, action = excluded.action, "
        "stage = excluded.stage, court = excluded.court, docket = excluded.docket, "
        "subjects = excluded.subjects, reasons = excluded.reasons, case_id = excluded.case_id, "
        "issues = excluded.issues",
        (
            article_id,
            int(det.relevant),
            round(det.score, 4),
            dumps(det.platforms),
            dumps(det.counterparties),
            det.action.value if det.action else None,
            det.stage.value if det.stage else None,
            det.court,
            det.docket,
            dumps(det.subjects),
            dumps(det.reasons),
            case_id,
            dumps(det.issues),
        ),
    )


class ArticleRepository:
    """Writes here run inside ``Database.transaction()`` (the pipeline's unit of work)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def _present(
        self, column: str, values: Iterable[str], where: str = "", params: tuple = ()
    ) -> set[str]:
        """Which of ``values`` already stand in ``articles.column`` (chunked: SQLite caps parameters)."""
        wanted = [v for v in values if v]
        found: set[str] = set()
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            rows = await self.db.fetchall(
                f"SELECT {column} FROM articles WHERE {column} IN ({_placeholders(len(chunk))}){where}",
                (*chunk, *params),
            )
            found.update(r[0] for r in rows)
        return found

    async def known_keys(self, feed_id: int, keys: Iterable[str]) -> set[str]:
        return await self._present("key", keys, " AND feed_id = ?", (feed_id,))

    async def known_urls(self, urls: Iterable[str], *, other_than_feed: int | None = None) -> set[str]:
        """URLs already stored (optionally only by other feeds: one feed may list many items per URL,
        e.g. the entries of one court docket)."""
        return await self._present("url", urls, " AND feed_id IS NOT ?", (other_than_feed,))

    async def known_hashes(self, feed_id: int, hashes: Iterable[str]) -> set[str]:
        return await self._present("content_hash", hashes, " AND feed_id = ?", (feed_id,))

    async def insert(self, feed_id: int, entry: Entry, fetched_at: datetime) -> int:
        # execute_insert: the row id in the same round trip (a cursor would need a second one to close)
        row = await self.db.conn.execute_insert(
            "INSERT INTO articles (feed_id, key, url, title, summary, published, fetched_at, content_hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                feed_id,
                entry.key,
                entry.url,
                entry.title,
                entry.summary,
                to_iso(entry.published),
                to_iso(fetched_at),
                entry.content_hash,
            ),
        )
        if row is None:
            raise RuntimeError("SQLite returned no row id for an article insert")
        return int(row[0])

    async def insert_irrelevant(
        self, feed_id: int, items: list[tuple[Entry, Detection]], fetched_at: datetime
    ) -> None:
        """Bulk-insert articles that joined no case, with their detections (one round trip each).

        Most of every feed is ordinary news; writing it row by row cost more than parsing it."""
        if not items:
            return
        fetched = to_iso(fetched_at)
        conn = self.db.conn
        await conn.executemany(
            "INSERT INTO articles (feed_id, key, url, title, summary, published, fetched_at, content_hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (feed_id, e.key, e.url, e.title, e.summary, to_iso(e.published), fetched, e.content_hash)
                for e, _ in items
            ],
        )
        await conn.executemany(
            "INSERT INTO detections (article_id, relevant, score, reasons) "
            "SELECT id, ?, ?, ? FROM articles WHERE feed_id = ? AND key = ?",
            [(int(d.relevant), round(d.score, 4), dumps(d.reasons), feed_id, e.key) for e, d in items],
        )

    async def save_detection(self, article_id: int, det: Detection, case_id: str | None) -> None:
        await self.db.conn.execute(*detection_upsert(article_id, det, case_id))

    async def get(self, article_id: int) -> Article | None:
        row = await self.db.fetchone("SELECT * FROM articles WHERE id = ?", (article_id,))
        return article_from_row(row) if row else None

    async def for_case(self, case_id: str) -> list[Article]:
        rows = await self.db.fetchall(
            "SELECT a.* FROM articles a JOIN detections d ON d.article_id = a.id WHERE d.case_id = ? "
            "ORDER BY COALESCE(a.published, a.fetched_at), a.id",
            (case_id,),
        )
        return [article_from_row(r) for r in rows]

    async def all_ids(self) -> list[int]:
        """Every article id in the order it should be (re)processed: oldest news first."""
        rows = await self.db.fetchall("SELECT id FROM articles ORDER BY COALESCE(published, fetched_at), id")
        return [r[0] for r in rows]

    async def dump(self) -> list[dict[str, Any]]:
        """Articles joined with their detections, in the shape of `casewatch articles --json`."""
        rows = await self.db.fetchall(
            f"SELECT a.*, {ARTICLE_DUMP_COLUMNS} FROM articles a "
            "JOIN feeds f ON f.id = a.feed_id LEFT JOIN detections d ON d.article_id = a.id ORDER BY a.id"
        )
        return [article_dump(r) for r in rows]

    async def search(self, query: str, limit: int = 20) -> list[Article]:
        """Full-text search over the articles detection marked relevant (the only ones indexed, 0003)."""
        rows = await self.db.fetchall(
            "SELECT a.* FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid "
            "WHERE articles_fts MATCH ? ORDER BY bm25(articles_fts) LIMIT ?",
            (fts_query(query), limit),
        )
        return [article_from_row(r) for r in rows]

    async def count(self) -> int:
        row = await self.db.fetchone("SELECT COUNT(*) FROM articles")
        return int(row[0]) if row else 0


def fts_query(text: str, *, prefix_last: bool = False) -> str:
    """Turn user text into a safe FTS5 query: every word quoted (no operators from users)."""
    words = [w for w in "".join(c if c.isalnum() or c in "@_-." else " " for c in text).split() if w]
    if not words:
        return '""'
    quoted = ['"' + w.replace('"', "") + '"' for w in words[:12]]
    if prefix_last:
        quoted[-1] += "*"
    return " ".join(quoted)
