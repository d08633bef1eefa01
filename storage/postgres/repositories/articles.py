"""Articles and their detections (``storage.repositories.articles``)."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bot.clock import to_iso
from bot.models import (
    Article,
    Detection,
    Entry,
)
from storage.codec import (
    ARTICLE_DUMP_COLUMNS,
    article_dump,
    article_from_row,
    dumps,
)
from storage.postgres.database import PgDatabase
from storage.postgres.repositories.common import (
    _A_ARTICLE,
    _ARTICLE,
    URL_LOCK_SPACE,
    _t,
    url_lock_keys,
)
from storage.postgres.search import article_document, tsquery_literal


def _detection_args(article_id: int, det: Detection, case_id: str | None) -> tuple[Any, ...]:
    return (
        article_id,
        bool(det.relevant),
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
    )


_DETECTION_UPSERT = (
    "INSERT INTO detections (article_id, relevant, score, platforms, counterparties, action, stage, "
    "court, docket, subjects, reasons, case_id, issues) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
    "ON CONFLICT (article_id) DO UPDATE SET relevant = excluded.relevant, score = excluded.score, "
    "platforms = excluded.platforms, counterparties = excluded.counterparties, action = excluded.action, "
    "stage = excluded.stage, court = excluded.court, docket = excluded.docket, "
    "subjects = excluded.subjects, reasons = excluded.reasons, case_id = excluded.case_id, "
    "issues = excluded.issues"
)
_ARTICLE_INSERT = (
    "INSERT INTO articles (feed_id, key, url, title, summary, published, fetched_at, content_hash, search) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::tsvector)"
)


def _article_args(feed_id: int, e: Entry, fetched: str) -> tuple[Any, ...]:
    return (
        feed_id,
        _t(e.key),
        _t(e.url),
        _t(e.title),
        _t(e.summary),
        to_iso(e.published),
        fetched,
        _t(e.content_hash),
        article_document(e.title, e.summary),
    )


class ArticleRepository:
    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def _present(self, column: str, values: Iterable[str], where: str = "", *params: Any) -> set[str]:
        stored = {_t(v): v for v in values if v}  # as stored -> as asked
        if not stored:
            return set()
        rows = await self.db.fetch(
            f"SELECT DISTINCT {column} FROM articles WHERE {column} = ANY($1::text[]){where}",
            list(stored),
            *params,
        )
        return {stored[r[0]] for r in rows if r[0] in stored}

    async def known_keys(self, feed_id: int, keys: Iterable[str]) -> set[str]:
        return await self._present("key", keys, " AND feed_id = $2", feed_id)

    async def known_urls(self, urls: Iterable[str], *, other_than_feed: int | None = None) -> set[str]:
        """The ``urls`` another feed already stored. Inside a transaction the URLs are also locked until it
        ends, so two polls that run side by side (``transaction(exclusive=False)``) cannot both find a
        story missing and both store it: the second waits for the first to commit, then sees it."""
        urls = [u for u in urls if u]
        if urls and self.db.in_transaction():
            await self.db.execute(
                "SELECT pg_advisory_xact_lock($1, k) FROM unnest($2::integer[]) WITH ORDINALITY AS t(k, i) "
                "ORDER BY i",
                URL_LOCK_SPACE,
                url_lock_keys(_t(u) or "" for u in urls),
            )
        return await self._present("url", urls, " AND feed_id IS DISTINCT FROM $2::bigint", other_than_feed)

    async def known_hashes(self, feed_id: int, hashes: Iterable[str]) -> set[str]:
        return await self._present("content_hash", hashes, " AND feed_id = $2", feed_id)

    async def insert(self, feed_id: int, entry: Entry, fetched_at: datetime) -> int:
        row_id = await self.db.fetchval(
            _ARTICLE_INSERT + " RETURNING id", *_article_args(feed_id, entry, to_iso(fetched_at) or "")
        )
        if row_id is None:
            raise RuntimeError("PostgreSQL returned no row id for an article insert")
        return int(row_id)

    async def insert_irrelevant(
        self, feed_id: int, items: builtins.list[tuple[Entry, Detection]], fetched_at: datetime
    ) -> None:
        if not items:
            return
        """Most of a first poll: two statements over arrays, not two per item. These articles get no search
        vector (only relevant ones are searched); :meth:`save_detection` adds it if one turns relevant."""
        fetched = to_iso(fetched_at) or ""
        keys = [_t(e.key) for e, _ in items]
        async with self.db.conn() as conn:
            rows = await conn.fetch(
                "INSERT INTO articles (feed_id, key, url, title, summary, published, fetched_at, content_hash) "
                "SELECT $1, k, u, t, s, p, $2, h FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], "
                "$7::text[], $8::text[]) AS x(k, u, t, s, p, h) RETURNING id, key",
                feed_id,
                fetched,
                keys,
                [_t(e.url) for e, _ in items],
                [_t(e.title) for e, _ in items],
                [_t(e.summary) for e, _ in items],
                [to_iso(e.published) for e, _ in items],
                [_t(e.content_hash) for e, _ in items],
            )
            ids = {r["key"]: r["id"] for r in rows}
            await conn.execute(
                "INSERT INTO detections (article_id, relevant, score, reasons) "
                "SELECT * FROM unnest($1::bigint[], $2::boolean[], $3::double precision[], $4::text[])",
                [ids[k] for k in keys],
                [bool(d.relevant) for _, d in items],
                [round(d.score, 4) for _, d in items],
                [dumps(d.reasons) for _, d in items],
            )

    async def save_detection(self, article_id: int, det: Detection, case_id: str | None) -> None:
        async with self.db.transaction():
            await self.db.execute(_DETECTION_UPSERT, *_detection_args(article_id, det, case_id))
            if det.relevant:  # stored as irrelevant, without a search vector: give it one now
                row = await self.db.fetchrow(
                    "SELECT title, summary FROM articles WHERE id = $1 AND search IS NULL", article_id
                )
                if row is not None:
                    await self.db.execute(
                        "UPDATE articles SET search = $2::tsvector WHERE id = $1",
                        article_id,
                        article_document(row["title"], row["summary"]),
                    )

    async def get(self, article_id: int) -> Article | None:
        row = await self.db.fetchrow(f"SELECT {_ARTICLE} FROM articles WHERE id = $1", article_id)
        return article_from_row(row) if row else None

    async def for_case(self, case_id: str) -> builtins.list[Article]:
        rows = await self.db.fetch(
            f"SELECT {_A_ARTICLE} FROM articles a JOIN detections d ON d.article_id = a.id WHERE d.case_id = $1 "
            "ORDER BY COALESCE(a.published, a.fetched_at), a.id",
            case_id,
        )
        return [article_from_row(r) for r in rows]

    async def all_ids(self) -> builtins.list[int]:
        rows = await self.db.fetch("SELECT id FROM articles ORDER BY COALESCE(published, fetched_at), id")
        return [r[0] for r in rows]

    async def dump(self) -> builtins.list[dict[str, Any]]:
        rows = await self.db.fetch(
            f"SELECT {_A_ARTICLE}, {ARTICLE_DUMP_COLUMNS} FROM articles a "
            "JOIN feeds f ON f.id = a.feed_id LEFT JOIN detections d ON d.article_id = a.id ORDER BY a.id"
        )
        return [article_dump(r) for r in rows]

    async def search(self, query: str, limit: int = 20) -> builtins.list[Article]:
        """Full-text search over the articles detection marked relevant (as SQLite's articles_fts)."""
        q = tsquery_literal(query)
        if q is None:
            return []
        rows = await self.db.fetch(
            f"SELECT {_A_ARTICLE} FROM articles a JOIN detections d ON d.article_id = a.id AND d.relevant "
            "WHERE a.search @@ $1::tsquery ORDER BY ts_rank(a.search, $1::tsquery, 1) DESC, a.id LIMIT $2",
            q,
            limit,
        )
        return [article_from_row(r) for r in rows]

    async def count(self) -> int:
        return int(await self.db.fetchval("SELECT COUNT(*) FROM articles"))
