"""The PostgreSQL repositories: the same methods, arguments and answers as ``storage/repositories``.

Each class mirrors its SQLite namesake method by method (same names, same order of results, same
``None`` / empty answers); where SQL differs the comment says how the answer is kept the same. Times are
ISO text in both stores, so the row decoders of ``storage.codec`` serve both.
"""

from __future__ import annotations

import builtins
import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from bot.clock import to_iso, utcnow
from bot.delivery.forum import ForumPost
from bot.models import (
    Article,
    Attachment,
    Case,
    CaseEvent,
    Delivery,
    DeliveryIntent,
    DeliveryKind,
    Detection,
    DigestMode,
    DocketLink,
    Entry,
    Feed,
    FollowMode,
    GuildSettings,
    Observation,
    Subscription,
    TargetKind,
)
from storage.case_cache import DecodedCaseCache
from storage.codec import (
    ARTICLE_DUMP_COLUMNS,
    article_dump,
    article_from_row,
    case_from_row,
    cases_dump,
    docket_link_json,
    dumps,
    feed_from_row,
    issue_counts_json,
)
from storage.errors import NotFound, StorageError
from storage.postgres.database import Conn, PgDatabase, rowcount
from storage.postgres.search import article_document, case_document, tsquery_literal
from storage.repositories import cases as sqlite_cases  # RANKED_MATCHES: one bound for both backends
from storage.repositories.case_rows import _stored_identity, event_rows_from, headlines_from, members_from
from storage.repositories.forum_posts import _post_from_row
from storage.repositories.guilds import (
    _JSON_FIELDS,
    _SETTINGS_FIELDS,
    _settings_from_row,
    _subscription_from_row,
)
from storage.repositories.outbox import HELD, PENDING, _delivery_from_row

# PostgreSQL text cannot hold NUL characters (SQLite's can). Feed text is cleaned long before it gets here,
# but keys, validators and error messages come from outside: a NUL becomes U+FFFD instead of failing the
# write (which would, for a failure record, leave the feed without its backoff).
_NUL = str.maketrans({"\x00": "\ufffd"})


def _t(value: str | None) -> str | None:
    return value.translate(_NUL) if value and "\x00" in value else value


# The first key of the two-key advisory locks a transaction takes on canonical URLs (see known_urls).
URL_LOCK_SPACE = 0x75726C73  # "urls"


def url_lock_keys(urls: Iterable[str]) -> builtins.list[int]:
    """Distinct 32-bit lock keys of ``urls``, sorted, so every transaction takes them in one order (no
    deadlock between two of them). Two URLs that share a key only wait for each other."""
    keys = {int.from_bytes(hashlib.blake2b(u.encode("utf-8"), digest_size=4).digest(), "big", signed=True) for u in urls}
    return sorted(keys)


# Explicit column lists: the search vectors are never read back, and a decoded-case cache entry compares
# the whole row (storage.case_cache), so a case row must have the same columns as SQLite's.
_ARTICLE = "id, feed_id, key, url, title, summary, published, fetched_at, content_hash"
_A_ARTICLE = ", ".join(f"a.{c}" for c in _ARTICLE.split(", "))
_CASE = (
    "pk, id, title, status, action, platforms, counterparties, court, docket, subjects, keywords, opened_at, "
    "updated_at, summary, article_count, version, issues, docket_link"
)
_C_CASE = ", ".join(f"c.{c}" for c in _CASE.split(", "))
# ts_rank weights {D, C, B, A}: summary, subjects, parties, title as bm25(cases_fts, 4.0, 2.0, 1.0, 0.5).
_CASE_RANK = "ts_rank('{0.125,0.25,0.5,1.0}', c.search, $1::tsquery, 1)"


class FeedRepository:
    def __init__(self, db: PgDatabase, *, default_interval_s: int | None = None) -> None:
        self.db = db
        self.default_interval_s = default_interval_s

    async def add(
        self, url: str, *, title: str | None = None, guild_id: int | None = None, added_by: int | None = None
    ) -> tuple[Feed, bool]:
        """Add a feed (or attach a guild to an existing one); return it and whether it is new."""
        now = to_iso(utcnow())
        async with self.db.transaction() as conn:
            row = await conn.fetchrow("SELECT id FROM feeds WHERE url = $1", url)
            created = row is None
            if row is None:
                feed_id = await conn.fetchval(
                    "INSERT INTO feeds (url, title, operator, next_due_at, created_at, interval_s) "
                    "VALUES ($1, $2, $3, $4, $5, COALESCE($6::integer, 900)) RETURNING id",
                    url,
                    _t(title),
                    guild_id is None,
                    now,
                    now,
                    self.default_interval_s,
                )
                if feed_id is None:
                    raise StorageError(f"adding the feed {url} did not create a row")
            else:
                feed_id = row["id"]
                if guild_id is None:
                    await conn.execute("UPDATE feeds SET operator = TRUE WHERE id = $1", feed_id)
            if guild_id is not None:
                await conn.execute(
                    "INSERT INTO feed_owners (feed_id, guild_id, added_by, created_at) VALUES ($1, $2, $3, $4) "
                    "ON CONFLICT DO NOTHING",
                    feed_id,
                    guild_id,
                    added_by,
                    now,
                )
        return await self.get(int(feed_id)), created

    async def get(self, feed_id: int) -> Feed:
        row = await self.db.fetchrow("SELECT * FROM feeds WHERE id = $1", feed_id)
        if row is None:
            raise NotFound(f"no feed with id {feed_id}")
        return feed_from_row(row)

    async def get_by_url(self, url: str) -> Feed | None:
        row = await self.db.fetchrow("SELECT * FROM feeds WHERE url = $1", url)
        return feed_from_row(row) if row else None

    # From here on ``list`` in this class body is the method: annotations say ``builtins.list``.
    async def list(self, *, guild_id: int | None = None) -> builtins.list[Feed]:
        if guild_id is None:
            rows = await self.db.fetch("SELECT * FROM feeds ORDER BY id")
        else:
            rows = await self.db.fetch(
                "SELECT f.* FROM feeds f JOIN feed_owners o ON o.feed_id = f.id WHERE o.guild_id = $1 ORDER BY f.id",
                guild_id,
            )
        return [feed_from_row(r) for r in rows]

    async def operator_feeds(self) -> builtins.list[Feed]:
        rows = await self.db.fetch("SELECT * FROM feeds WHERE operator ORDER BY id")
        return [feed_from_row(r) for r in rows]

    async def owners(self, feed_id: int) -> builtins.list[int]:
        rows = await self.db.fetch("SELECT guild_id FROM feed_owners WHERE feed_id = $1 ORDER BY guild_id", feed_id)
        return [r["guild_id"] for r in rows]

    async def remove(self, url: str, *, guild_id: int | None = None) -> bool:
        async with self.db.transaction() as conn:
            row = await conn.fetchrow("SELECT id, operator FROM feeds WHERE url = $1", url)
            if row is None:
                return False
            feed_id = row["id"]
            if guild_id is not None:
                status = await conn.execute(
                    "DELETE FROM feed_owners WHERE feed_id = $1 AND guild_id = $2", feed_id, guild_id
                )
                if rowcount(status) == 0:
                    return False
                owners = int(await conn.fetchval("SELECT COUNT(*) FROM feed_owners WHERE feed_id = $1", feed_id))
                if owners or row["operator"]:
                    return True
            await conn.execute("DELETE FROM feeds WHERE id = $1", feed_id)
        return True

    async def due(self, now: datetime, limit: int = 100) -> builtins.list[Feed]:
        # SQLite's LIKE ignores ASCII case and sorts NULL first: ILIKE, NULLS FIRST.
        rows = await self.db.fetch(
            "SELECT * FROM feeds WHERE enabled AND url ILIKE 'http%' AND (next_due_at IS NULL OR next_due_at <= $1) "
            "ORDER BY next_due_at NULLS FIRST, id LIMIT $2",
            to_iso(now),
            limit,
        )
        return [feed_from_row(r) for r in rows]

    async def first_poll_done(self, feed_id: int) -> bool:
        return bool(await self.db.fetchval("SELECT first_poll_done FROM feeds WHERE id = $1", feed_id))

    async def set_enabled(self, feed_id: int, enabled: bool, reason: str | None = None) -> None:
        await self.db.execute(
            "UPDATE feeds SET enabled = $1, disabled_reason = $2, consecutive_failures = "
            "CASE WHEN $1 THEN 0 ELSE consecutive_failures END, next_due_at = $3 WHERE id = $4",
            enabled,
            None if enabled else reason,
            to_iso(utcnow()),
            feed_id,
        )

    async def record_success(
        self,
        feed_id: int,
        *,
        now: datetime,
        interval_s: int,
        next_due_at: datetime,
        new_items: int = 0,
        etag: str | None = None,
        last_modified: str | None = None,
        body_hash: str | None = None,
        title: str | None = None,
    ) -> None:
        await self.db.execute(
            "UPDATE feeds SET last_fetch_at = $1, last_success_at = $1, last_error = NULL, "
            "consecutive_failures = 0, next_due_at = $2, interval_s = $3, first_poll_done = TRUE, "
            "item_count = item_count + $4, etag = COALESCE($5, etag), last_modified = COALESCE($6, last_modified), "
            "body_hash = COALESCE($7, body_hash), title = COALESCE($8, title) WHERE id = $9",
            to_iso(now),
            to_iso(next_due_at),
            interval_s,
            new_items,
            _t(etag),
            _t(last_modified),
            body_hash,
            _t(title),
            feed_id,
        )

    async def record_failure(
        self, feed_id: int, *, now: datetime, error: str, next_due_at: datetime, disable_reason: str | None
    ) -> None:
        await self.db.execute(
            "UPDATE feeds SET last_fetch_at = $1, last_error = $2, consecutive_failures = consecutive_failures + 1, "
            "next_due_at = $3, enabled = CASE WHEN $4::text IS NULL THEN enabled ELSE FALSE END, "
            "disabled_reason = COALESCE($4, disabled_reason) WHERE id = $5",
            to_iso(now),
            _t(error[:500]),
            to_iso(next_due_at),
            _t(disable_reason),
            feed_id,
        )

    async def is_guild_only(self, url: str) -> bool:
        row = await self.db.fetchrow("SELECT operator FROM feeds WHERE url = $1", url)
        return row is not None and not row[0]

    async def owned_by(self, url: str, guild_id: int) -> Feed | None:
        row = await self.db.fetchrow(
            "SELECT f.* FROM feeds f JOIN feed_owners o ON o.feed_id = f.id WHERE f.url = $1 AND o.guild_id = $2",
            url,
            guild_id,
        )
        return feed_from_row(row) if row else None

    async def disabled_owned(self) -> builtins.list[tuple[Feed, builtins.list[int]]]:
        rows = await self.db.fetch(
            "SELECT f.*, array_agg(o.guild_id ORDER BY o.guild_id) AS owner_ids FROM feeds f "
            "JOIN feed_owners o ON o.feed_id = f.id WHERE NOT f.enabled GROUP BY f.id ORDER BY f.id"
        )
        return [(feed_from_row(r), [int(g) for g in r["owner_ids"]]) for r in rows]

    async def record_unchanged_many(
        self, rows: builtins.list[tuple[int, datetime, int, datetime, str | None, str | None]]
    ) -> None:
        async with self.db.conn() as conn:
            await conn.executemany(
                "UPDATE feeds SET last_fetch_at = $1, last_success_at = $1, last_error = NULL, "
                "consecutive_failures = 0, interval_s = $2, next_due_at = $3, first_poll_done = TRUE, "
                "etag = COALESCE($4, etag), last_modified = COALESCE($5, last_modified) WHERE id = $6",
                [
                    (to_iso(now), interval, to_iso(due), _t(etag), _t(lm), feed_id)
                    for feed_id, now, interval, due, etag, lm in rows
                ],
            )


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
            f"SELECT DISTINCT {column} FROM articles WHERE {column} = ANY($1::text[]){where}", list(stored), *params
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


_WALK = (
    "SELECT case_id, version, updated_at FROM case_platforms WHERE platform_key = $1 "
    "ORDER BY updated_at DESC NULLS LAST, seq DESC LIMIT $2"
)
_CASE_COLUMNS = (
    "id", "title", "status", "action", "platforms", "counterparties", "court", "docket", "subjects", "keywords",
    "opened_at", "updated_at", "summary", "article_count", "issues", "docket_link",
)  # fmt: skip
_UPSERT_CASE = (
    f"INSERT INTO cases ({', '.join(_CASE_COLUMNS)}, search) "
    f"VALUES ({', '.join(f'${i}' for i in range(1, len(_CASE_COLUMNS) + 1))}, ${len(_CASE_COLUMNS) + 1}::tsvector) "
    f"ON CONFLICT (id) DO UPDATE SET {', '.join(f'{k} = excluded.{k}' for k in (*_CASE_COLUMNS[1:], 'search'))}"
)


def _case_args(case: Case) -> tuple[Any, ...]:
    platforms, counterparties, subjects = dumps(case.platforms), dumps(case.counterparties), dumps(case.subjects)
    return (
        case.id,
        case.title,
        case.status.value,
        case.action.value,
        platforms,
        counterparties,
        case.court,
        case.docket,
        subjects,
        dumps(case.keywords),
        to_iso(case.opened_at),
        to_iso(case.updated_at),
        case.summary,
        case.article_count,
        issue_counts_json(case.issue_counts),
        docket_link_json(case.docket_link),
        case_document(case.title, platforms, counterparties, subjects, case.summary),
    )


AUTOCOMPLETE_WINDOW = 2000  # the newest cases autocomplete tests before it asks the GIN index


class CaseRepository:
    """Writes here run inside ``PostgresStore.transaction()``. Candidate rows are decoded through a
    :class:`DecodedCaseCache` validated by the (id, version) pairs of the platform walk, as on SQLite."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db
        self.decoded = DecodedCaseCache()

    async def get(self, case_id: str) -> Case | None:
        row = await self.db.fetchrow(f"SELECT {_CASE} FROM cases WHERE id = $1", case_id)
        return case_from_row(row) if row else None

    async def set_docket(self, case_id: str, link: DocketLink | None) -> bool:
        """As on SQLite: None clears; False when there is no such case; the version trigger renews."""
        status = await self.db.execute(
            "UPDATE cases SET docket_link = $1 WHERE id = $2", docket_link_json(link), case_id
        )
        return rowcount(status) > 0

    async def needing_docket_lookup(self, limit: int) -> builtins.list[Case]:
        rows = await self.db.fetch(
            f"SELECT {_CASE} FROM cases WHERE docket_link IS NULL "
            "AND (docket_checked_at IS NULL OR docket_checked_at < updated_at) "
            "ORDER BY updated_at DESC NULLS LAST, pk DESC LIMIT $1",
            limit,
        )
        return [case_from_row(r) for r in rows]

    async def mark_docket_checked(self, case_id: str, at: datetime) -> None:
        await self.db.execute("UPDATE cases SET docket_checked_at = $1 WHERE id = $2", to_iso(at), case_id)

    async def linked_dockets(self, limit: int = 500) -> builtins.list[Case]:
        rows = await self.db.fetch(
            f"SELECT {_CASE} FROM cases WHERE docket_link IS NOT NULL "
            "ORDER BY docket_checked_at NULLS FIRST, pk LIMIT $1",
            limit,
        )
        return [case_from_row(r) for r in rows]

    async def candidates(self, platform_keys: Iterable[str], limit: int = 200) -> builtins.list[Case]:
        """Cases sharing a platform, most recently updated first (see the SQLite repository)."""
        keys = sorted(set(platform_keys))
        if not keys:
            return []
        async with self.db.conn() as conn:
            walks = [await conn.fetch(_WALK, key, limit) for key in keys]
            if len(walks) == 1:
                return await self._cases_at_versions(conn, [(r[0], r[1]) for r in walks[0]])
            recent: dict[str, str] = {}
            version: dict[str, int] = {}
            for rows in walks:
                for case_id, case_version, updated in rows:
                    version[case_id] = case_version
                    if updated and (case_id not in recent or updated > recent[case_id]):
                        recent[case_id] = updated
                    recent.setdefault(case_id, updated or "")
            chosen = sorted(recent, key=recent.__getitem__, reverse=True)[:limit]
            return await self._cases_at_versions(conn, [(cid, version[cid]) for cid in chosen])

    async def active_platforms(self, limit: int) -> builtins.list[str]:
        rows = await self.db.fetch(
            "SELECT platform_key FROM case_platforms GROUP BY platform_key "
            "ORDER BY MAX(updated_at) DESC NULLS LAST, platform_key LIMIT $1",
            limit,
        )
        return [r[0] for r in rows]

    async def _cases_at_versions(self, conn: Conn, pairs: Sequence[tuple[str, int]]) -> builtins.list[Case]:
        cache = self.decoded
        found: dict[str, Case] = {}
        missing: builtins.list[str] = []
        for case_id, version in pairs:
            case = cache.known(case_id, version)
            if case is None:
                missing.append(case_id)
            else:
                found[case_id] = case
        if missing:
            for row in await conn.fetch(f"SELECT {_CASE} FROM cases WHERE id = ANY($1::text[])", missing):
                found[row["id"]] = cache.case(row)
        return [found[cid] for cid, _ in pairs if cid in found]

    async def _save(self, conn: Conn, case: Case, platform_keys: Iterable[str]) -> None:
        """Upsert the case row and rewrite its platform rows (their version and write order come from
        the schema's triggers and identity column, as ``save_statements`` does on SQLite)."""
        keys = sorted(set(platform_keys))
        await conn.execute("DELETE FROM case_platforms WHERE case_id = $1", case.id)
        await conn.execute(_UPSERT_CASE, *_case_args(case))
        if keys:
            await conn.execute(
                "INSERT INTO case_platforms (case_id, platform_key, updated_at) "
                "SELECT $1, k, $2 FROM unnest($3::text[]) WITH ORDINALITY AS t (k, n) ORDER BY n",
                case.id,
                to_iso(case.updated_at),
                keys,
            )

    async def save(self, case: Case, platform_keys: Iterable[str]) -> None:
        async with self.db.conn() as conn:
            await self._save(conn, case, platform_keys)

    async def _merge(self, conn: Conn, kept_id: str, gone_ids: Sequence[str]) -> None:
        now = to_iso(utcnow())
        for gone_id in dict.fromkeys(gone_ids):
            if gone_id != kept_id:
                await conn.execute(
                    "INSERT INTO case_merges (gone_id, kept_id, merged_at) VALUES ($1, $2, $3)", gone_id, kept_id, now
                )

    async def attach(
        self,
        article_id: int,
        det: Detection,
        case_id: str,
        *,
        create: tuple[Case, Iterable[str]] | None = None,
        absorb: Sequence[str] = (),
        events_of: Sequence[str] = (),
    ) -> Attachment:
        """File an article under ``case_id`` (see the SQLite repository for the order of the steps)."""
        events_of = list(dict.fromkeys(events_of))
        async with self.db.conn() as conn:
            old_events = await self._event_rows_of(conn, events_of) if events_of else {}
            if create is not None:
                await self._save(conn, *create)
            await self._merge(conn, case_id, absorb)
            await conn.execute(_DETECTION_UPSERT, *_detection_args(article_id, det, case_id))
            rows = await conn.fetch(
                "SELECT a.id, a.url, a.title, a.published, a.fetched_at, d.stage FROM detections d "
                "JOIN articles a ON a.id = d.article_id "
                "WHERE d.case_id = $1 ORDER BY COALESCE(a.published, a.fetched_at), a.id",
                case_id,
            )
        headlines, observations = headlines_from(rows)
        return Attachment(old_events=old_events, headlines=headlines, observations=observations)

    async def _replace_events(
        self, conn: Conn, case_id: str, events: Sequence[CaseEvent], existing: Sequence[tuple[int, CaseEvent]]
    ) -> builtins.list[int]:
        """Insert the new events, delete the stale rows; rows that did not change keep their ids."""
        by_identity = {_stored_identity(e): row_id for row_id, e in existing}
        now = to_iso(utcnow())
        ids: builtins.list[int] = []
        for event in events:
            row_id = by_identity.pop(_stored_identity(event), None)
            if row_id is None:
                row_id = await conn.fetchval(
                    "INSERT INTO case_events (case_id, from_status, to_status, at, article_id, url, created_at) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    case_id,
                    event.from_status.value if event.from_status else None,
                    event.to_status.value,
                    to_iso(event.at),
                    event.article_id,
                    event.url,
                    now,
                )
            ids.append(int(row_id))
        keep = set(ids)
        stale = [row_id for row_id, _ in existing if row_id not in keep]
        if stale:
            await conn.execute("DELETE FROM case_events WHERE id = ANY($1::bigint[])", stale)
        return ids

    async def save_with_events(
        self,
        case: Case,
        platform_keys: Iterable[str],
        events: Sequence[CaseEvent],
        existing: Sequence[tuple[int, CaseEvent]],
    ) -> builtins.list[int]:
        async with self.db.conn() as conn:
            ids = await self._replace_events(conn, case.id, events, existing)
            await self._save(conn, case, platform_keys)
        return ids

    async def members(self, case_id: str) -> tuple[builtins.list[Article], builtins.list[Observation]]:
        rows = await self.db.fetch(
            f"SELECT {_A_ARTICLE}, d.stage AS stage FROM detections d JOIN articles a ON a.id = d.article_id "
            "WHERE d.case_id = $1 ORDER BY COALESCE(a.published, a.fetched_at), a.id",
            case_id,
        )
        return members_from(rows)

    async def _event_rows_of(
        self, conn: Conn, case_ids: Sequence[str]
    ) -> dict[str, builtins.list[tuple[int, CaseEvent]]]:
        rows = await conn.fetch(
            "SELECT * FROM case_events WHERE case_id = ANY($1::text[]) ORDER BY at, id", list(case_ids)
        )
        return event_rows_from(case_ids, rows)

    async def event_rows_of(self, case_ids: Sequence[str]) -> dict[str, builtins.list[tuple[int, CaseEvent]]]:
        case_ids = list(dict.fromkeys(case_ids))
        if not case_ids:
            return {}
        async with self.db.conn() as conn:
            return await self._event_rows_of(conn, case_ids)

    async def events(self, case_id: str) -> builtins.list[CaseEvent]:
        return [event for _, event in await self.event_rows(case_id)]

    async def event_rows(self, case_id: str) -> builtins.list[tuple[int, CaseEvent]]:
        return (await self.event_rows_of([case_id]))[case_id]

    async def replace_events(
        self, case_id: str, events: Sequence[CaseEvent], existing: Sequence[tuple[int, CaseEvent]] | None = None
    ) -> builtins.list[int]:
        async with self.db.conn() as conn:
            if existing is None:
                existing = (await self._event_rows_of(conn, [case_id]))[case_id]
            return await self._replace_events(conn, case_id, events, existing)

    async def merge_many(self, kept_id: str, gone_ids: Sequence[str]) -> None:
        """Fold ``gone_ids`` into ``kept_id``: one recorded merge each (the schema's trigger moves the rest)."""
        async with self.db.conn() as conn:
            await self._merge(conn, kept_id, gone_ids)

    async def resolve(self, case_id: str) -> Case | None:
        row = await self.db.fetchrow(
            f"(SELECT {_CASE} FROM cases WHERE id = $1) UNION ALL (SELECT {_C_CASE} FROM case_merges m "
            "JOIN cases c ON c.id = m.kept_id WHERE m.gone_id = $1) LIMIT 1",
            case_id,
        )
        return case_from_row(row) if row else None

    async def delete_all(self) -> None:
        async with self.db.conn() as conn:
            await conn.execute("UPDATE detections SET case_id = NULL WHERE case_id IS NOT NULL")
            await conn.execute("DELETE FROM case_merges")
            await conn.execute("DELETE FROM cases")
        self.decoded.forget()

    async def search(self, query: str, limit: int = 25, *, prefix: bool = True) -> builtins.list[Case]:
        """Full-text search, best match first then newest (``/case search``); the last word may be a prefix.
        Only the newest ``RANKED_MATCHES`` matches are ranked, as on SQLite."""
        q = tsquery_literal(query, prefix_last=prefix)
        if q is None:
            return []
        rows = await self.db.fetch(
            f"SELECT {_C_CASE} FROM (SELECT {_C_CASE}, c.search FROM cases c WHERE c.search @@ $1::tsquery "
            f"ORDER BY c.pk DESC LIMIT $3) c "
            f"ORDER BY {_CASE_RANK} DESC, c.updated_at DESC NULLS LAST, c.pk DESC LIMIT $2",
            q,
            limit,
            sqlite_cases.RANKED_MATCHES,
        )
        return [case_from_row(r) for r in rows]

    async def autocomplete(self, query: str, limit: int = 25) -> builtins.list[Case]:
        """Newest matching cases (by creation) for as-you-type suggestions.

        PostgreSQL guesses 0.5% of rows for a prefix query, so it walks the primary key backwards and
        tests every row: right for a common prefix, 34-64 ms at 100k cases for one that matches nothing
        (the p99). So: the newest ``AUTOCOMPLETE_WINDOW`` cases first (under 1 ms); only when fewer than
        ``limit`` of them match is the term rare, and the GIN index answers (``pk + 0`` keeps the planner
        off the backward walk), which is quick for rare terms."""
        q = tsquery_literal(query, prefix_last=True)
        if q is None:
            return []
        async with self.db.conn() as conn:
            rows = await conn.fetch(
                f"SELECT {_C_CASE} FROM (SELECT {_CASE}, search FROM cases ORDER BY pk DESC LIMIT $3) c "
                "WHERE c.search @@ $1::tsquery ORDER BY c.pk DESC LIMIT $2",
                q,
                limit,
                AUTOCOMPLETE_WINDOW,
            )
            if len(rows) < limit:
                rows = await conn.fetch(
                    f"SELECT {_CASE} FROM cases WHERE search @@ $1::tsquery ORDER BY pk + 0 DESC LIMIT $2", q, limit
                )
        return [case_from_row(r) for r in rows]

    async def recent(self, limit: int = 10, offset: int = 0) -> builtins.list[Case]:
        rows = await self.db.fetch(
            f"SELECT {_CASE} FROM cases ORDER BY updated_at DESC NULLS LAST, pk DESC LIMIT $1 OFFSET $2",
            limit,
            offset,
        )
        return [case_from_row(r) for r in rows]

    async def browse(
        self,
        *,
        query: str = "",
        platform: str | None = None,
        action: str | None = None,
        status: str | None = None,
        issue: str | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> builtins.list[Case]:
        """One page of cases for the web view (see the SQLite repository)."""
        params: builtins.list[Any] = []

        def param(value: Any) -> str:
            params.append(value)
            return f"${len(params)}"

        if query.strip():
            q = tsquery_literal(query, prefix_last=True)
            if q is None:
                return []
            param(q)  # $1, as _CASE_RANK expects
            where = ["c.search @@ $1::tsquery"]
            if platform:
                where.append(f"c.id IN (SELECT case_id FROM case_platforms WHERE platform_key = {param(platform)})")
            if action:
                where.append(f"c.action = {param(action)}")
            if status:
                where.append(f"c.status = {param(status)}")
            if issue:
                where.append(
                    f"EXISTS (SELECT 1 FROM case_issues ci WHERE ci.case_pk = c.pk AND ci.issue = {param(issue)})"
                )
            # as on SQLite: the newest RANKED_MATCHES matches that pass the filters, ranked
            sql = (
                f"SELECT {_C_CASE} FROM (SELECT {_C_CASE}, c.search FROM cases c WHERE {' AND '.join(where)} "
                f"ORDER BY c.pk DESC LIMIT {param(sqlite_cases.RANKED_MATCHES)}) c "
                f"ORDER BY {_CASE_RANK} DESC, c.updated_at DESC NULLS LAST, c.pk DESC"
            )
        elif platform:
            where = [f"p.platform_key = {param(platform)}"]
            if action:
                where.append(f"c.action = {param(action)}")
            if status:
                where.append(f"c.status = {param(status)}")
            if issue:
                where.append(
                    f"EXISTS (SELECT 1 FROM case_issues ci WHERE ci.case_pk = c.pk AND ci.issue = {param(issue)})"
                )
            sql = (
                f"SELECT {_C_CASE} FROM case_platforms p JOIN cases c ON c.id = p.case_id WHERE {' AND '.join(where)} "
                "ORDER BY p.updated_at DESC NULLS LAST, p.seq DESC"
            )
        elif issue:
            # newest first along the issue's own index (schema 0002), as the platform walk above
            where = [f"i.issue = {param(issue)}"]
            if action:
                where.append(f"c.action = {param(action)}")
            if status:
                where.append(f"c.status = {param(status)}")
            sql = (
                f"SELECT {_C_CASE} FROM case_issues i JOIN cases c ON c.pk = i.case_pk WHERE {' AND '.join(where)} "
                "ORDER BY i.updated_at DESC NULLS LAST, i.case_pk DESC"
            )
        else:
            where = []
            if action:
                where.append(f"c.action = {param(action)}")
            if status:
                where.append(f"c.status = {param(status)}")
            sql = (
                f"SELECT {_C_CASE} FROM cases c"
                + (" WHERE " + " AND ".join(where) if where else "")
                + " ORDER BY c.updated_at DESC NULLS LAST, c.pk DESC"
            )
        sql += f" LIMIT {param(limit)} OFFSET {param(offset)}"
        rows = await self.db.fetch(sql, *params)
        return [case_from_row(r) for r in rows]

    async def platform_counts(self, limit: int = 100) -> builtins.list[tuple[str, int]]:
        rows = await self.db.fetch(
            "SELECT platform_key, COUNT(*) AS n FROM case_platforms GROUP BY platform_key "
            "ORDER BY n DESC, platform_key LIMIT $1",
            limit,
        )
        return [(r[0], int(r[1])) for r in rows]

    async def ping(self) -> bool:
        return await self.db.fetchval("SELECT 1") == 1

    async def count(self) -> int:
        return int(await self.db.fetchval("SELECT COUNT(*) FROM cases"))

    async def dump(self) -> builtins.list[dict[str, Any]]:
        """Cases with their articles and events, in the shape of `casewatch cases --json`."""
        async with self.db.conn() as conn:
            cases = [case_from_row(r) for r in await conn.fetch(f"SELECT {_CASE} FROM cases ORDER BY pk")]
            url_rows = await conn.fetch(
                "SELECT d.case_id, a.url FROM detections d JOIN articles a ON a.id = d.article_id "
                "WHERE d.case_id IS NOT NULL ORDER BY COALESCE(a.published, a.fetched_at), a.id"
            )
            event_rows = await conn.fetch("SELECT * FROM case_events ORDER BY at, id")
        return cases_dump(cases, url_rows, event_rows)


class OutboxRepository:
    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def enqueue(
        self,
        intents: Sequence[DeliveryIntent],
        event_ids: Sequence[int] = (),
        payload: dict[str, Any] | None = None,
    ) -> int:
        """Insert deliveries inside the caller's transaction; a repeated dedupe key is ignored."""
        now = to_iso(utcnow())
        added = 0
        async with self.db.conn() as conn:
            for intent in intents:
                event_id = event_ids[intent.event_index] if intent.event_index is not None and event_ids else None
                status = await conn.execute(
                    "INSERT INTO deliveries (kind, dedupe_key, case_id, event_id, article_id, guild_id, "
                    "target_kind, target_id, ping_role_id, payload, state, next_attempt_at, created_at) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
                    "ON CONFLICT (dedupe_key) DO NOTHING",
                    intent.kind.value,
                    intent.dedupe_key,
                    intent.case_id,
                    event_id,
                    intent.article_id,
                    intent.guild_id,
                    intent.target_kind.value,
                    intent.target_id,
                    intent.ping_role_id,
                    json.dumps(payload or {}),
                    HELD if intent.held_for_digest else PENDING,
                    now,
                    now,
                )
                added += rowcount(status)
        return added

    async def due(
        self, now: datetime, limit: int = 50, *, target_kinds: Sequence[TargetKind] = ()
    ) -> builtins.list[Delivery]:
        """Committed pending rows only (outside a transaction a pooled connection sees nothing else)."""
        sql = "SELECT * FROM deliveries WHERE state = 'pending' AND next_attempt_at <= $1"
        params: builtins.list[Any] = [to_iso(now)]
        if target_kinds:
            sql += " AND target_kind = ANY($2::text[])"
            params.append([k.value for k in target_kinds])
        sql += f" ORDER BY id LIMIT ${len(params) + 1}"
        params.append(limit)
        rows = await self.db.fetch(sql, *params)
        return [_delivery_from_row(r) for r in rows]

    async def instance_id(self) -> str:
        value = await self.db.fetchval("SELECT value FROM meta WHERE key = 'instance_id'")
        return str(value) if value is not None else ""

    async def held(self, guild_id: int) -> builtins.list[Delivery]:
        rows = await self.db.fetch(
            "SELECT * FROM deliveries WHERE state = 'held' AND guild_id = $1 ORDER BY id", guild_id
        )
        return [_delivery_from_row(r) for r in rows]

    async def mark_sent(self, delivery_id: int, message_id: int | None = None) -> None:
        await self.db.execute(
            "UPDATE deliveries SET state = 'sent', message_id = $1, sent_at = $2, attempts = attempts + 1 "
            "WHERE id = $3",
            message_id,
            to_iso(utcnow()),
            delivery_id,
        )

    async def mark_many(self, delivery_ids: Sequence[int], state: str) -> None:
        if delivery_ids:
            await self.db.execute(
                "UPDATE deliveries SET state = $1, sent_at = $2 WHERE id = ANY($3::bigint[])",
                state,
                to_iso(utcnow()),
                list(delivery_ids),
            )

    async def retry_later(self, delivery_id: int, error: str, at: datetime) -> None:
        await self.db.execute(
            "UPDATE deliveries SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 WHERE id = $3",
            _t(error[:500]),
            to_iso(at),
            delivery_id,
        )

    async def fail(self, delivery_id: int, error: str) -> None:
        await self.db.execute(
            "UPDATE deliveries SET state = 'failed', attempts = attempts + 1, last_error = $1 WHERE id = $2",
            _t(error[:500]),
            delivery_id,
        )

    async def counts(self) -> dict[str, int]:
        rows = await self.db.fetch("SELECT state, COUNT(*) FROM deliveries GROUP BY state")
        return {r[0]: int(r[1]) for r in rows}

    async def get(self, delivery_id: int) -> Delivery | None:
        row = await self.db.fetchrow("SELECT * FROM deliveries WHERE id = $1", delivery_id)
        return _delivery_from_row(row) if row else None

    async def held_guilds(self) -> builtins.list[tuple[int, str]]:
        rows = await self.db.fetch(
            "SELECT guild_id, MIN(created_at) FROM deliveries WHERE state = 'held' AND guild_id IS NOT NULL "
            "GROUP BY guild_id ORDER BY guild_id"
        )
        return [(int(r[0]), str(r[1])) for r in rows]

    async def last_created(self, guild_id: int, kind: DeliveryKind) -> str | None:
        value = await self.db.fetchval(
            "SELECT MAX(created_at) FROM deliveries WHERE guild_id = $1 AND kind = $2", guild_id, kind.value
        )
        return value if value else None

    async def settle(self, delivery_ids: Sequence[int], state: str) -> None:
        """Like :meth:`mark_many` but inside the caller's transaction."""
        if delivery_ids:
            await self.db.execute(
                "UPDATE deliveries SET state = $1, sent_at = $2 WHERE id = ANY($3::bigint[])",
                state,
                to_iso(utcnow()),
                list(delivery_ids),
            )

    async def fail_pending_to(self, target_kind: TargetKind, target_id: int, error: str) -> int:
        async with self.db.transaction() as conn:
            status = await conn.execute(
                "UPDATE deliveries SET state = 'failed', last_error = $1 WHERE state = 'pending' "
                "AND target_kind = $2 AND target_id = $3",
                _t(error[:500]),
                target_kind.value,
                target_id,
            )
        return rowcount(status)


class GuildRepository:
    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def settings(self, guild_id: int) -> GuildSettings:
        row = await self.db.fetchrow("SELECT * FROM guild_settings WHERE guild_id = $1", guild_id)
        return _settings_from_row(row) if row else GuildSettings(guild_id=guild_id)

    async def update_settings(self, guild_id: int, **changes: Any) -> GuildSettings:
        unknown = set(changes) - set(_SETTINGS_FIELDS)
        if unknown:
            raise ValueError(f"unknown guild settings: {sorted(unknown)}")
        values = {
            k: (dumps(v) if k in _JSON_FIELDS else (v.value if isinstance(v, DigestMode) else v))
            for k, v in changes.items()
        }
        if "min_score" in values and values["min_score"] is not None:
            values["min_score"] = float(values["min_score"])
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO guild_settings (guild_id, updated_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                guild_id,
                to_iso(utcnow()),
            )
            if values:
                sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(values, start=3))
                await conn.execute(
                    f"UPDATE guild_settings SET {sets}, updated_at = $2 WHERE guild_id = $1",
                    guild_id,
                    to_iso(utcnow()),
                    *values.values(),
                )
        return await self.settings(guild_id)

    async def alerting(self) -> builtins.list[GuildSettings]:
        rows = await self.db.fetch(
            "SELECT * FROM guild_settings WHERE alert_channel_id IS NOT NULL ORDER BY guild_id"
        )
        return [_settings_from_row(r) for r in rows]

    async def follow(
        self,
        *,
        guild_id: int | None,
        target_kind: TargetKind,
        target_id: int,
        case_id: str | None = None,
        platform_key: str | None = None,
        mode: FollowMode = FollowMode.ALL,
        created_by: int | None = None,
    ) -> Subscription:
        async with self.db.transaction() as conn:
            sub_id = await conn.fetchval(
                "SELECT id FROM subscriptions WHERE target_kind = $1 AND target_id = $2 "
                "AND case_id IS NOT DISTINCT FROM $3::text AND platform_key IS NOT DISTINCT FROM $4::text",
                target_kind.value,
                target_id,
                case_id,
                platform_key,
            )
            if sub_id is None:
                sub_id = await conn.fetchval(
                    "INSERT INTO subscriptions (guild_id, target_kind, target_id, case_id, platform_key, mode, "
                    "created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                    guild_id,
                    target_kind.value,
                    target_id,
                    case_id,
                    platform_key,
                    mode.value,
                    created_by,
                    to_iso(utcnow()),
                )
            else:
                await conn.execute("UPDATE subscriptions SET mode = $1 WHERE id = $2", mode.value, sub_id)
        sub = await self.get_subscription(int(sub_id))
        assert sub is not None
        return sub

    async def unfollow(self, subscription_id: int) -> bool:
        status = await self.db.execute("DELETE FROM subscriptions WHERE id = $1", subscription_id)
        return rowcount(status) > 0

    async def get_subscription(self, subscription_id: int) -> Subscription | None:
        row = await self.db.fetchrow("SELECT * FROM subscriptions WHERE id = $1", subscription_id)
        return _subscription_from_row(row) if row else None

    async def subscriptions_for(self, case_id: str, platform_keys: Iterable[str]) -> builtins.list[Subscription]:
        keys = sorted(set(platform_keys))
        rows = await self.db.fetch(
            "SELECT * FROM subscriptions WHERE case_id = $1 OR platform_key = ANY($2::text[]) ORDER BY id",
            case_id,
            keys,
        )
        return [_subscription_from_row(r) for r in rows]

    async def subscriptions_of(self, target_kind: TargetKind, target_id: int) -> builtins.list[Subscription]:
        rows = await self.db.fetch(
            "SELECT * FROM subscriptions WHERE target_kind = $1 AND target_id = $2 ORDER BY id",
            target_kind.value,
            target_id,
        )
        return [_subscription_from_row(r) for r in rows]

    async def subscriptions_in_guild(self, guild_id: int) -> builtins.list[Subscription]:
        rows = await self.db.fetch("SELECT * FROM subscriptions WHERE guild_id = $1 ORDER BY id", guild_id)
        return [_subscription_from_row(r) for r in rows]


class CardRepository:
    """Case cards: the one message that shows a case in a channel."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def get(self, case_id: str, channel_id: int) -> int | None:
        value = await self.db.fetchval(
            "SELECT message_id FROM case_cards WHERE case_id = $1 AND channel_id = $2", case_id, channel_id
        )
        return int(value) if value is not None else None

    async def put(self, case_id: str, channel_id: int, message_id: int, *, guild_id: int | None) -> None:
        await self.db.execute(
            "INSERT INTO case_cards (case_id, channel_id, guild_id, message_id, updated_at) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (case_id, channel_id) DO UPDATE SET "
            "message_id = excluded.message_id, updated_at = excluded.updated_at",
            case_id,
            channel_id,
            guild_id,
            message_id,
            to_iso(utcnow()),
        )

    async def touch(self, case_id: str, channel_id: int) -> None:
        await self.db.execute(
            "UPDATE case_cards SET updated_at = $1 WHERE case_id = $2 AND channel_id = $3",
            to_iso(utcnow()),
            case_id,
            channel_id,
        )

    async def forget(self, case_id: str, channel_id: int) -> None:
        await self.db.execute("DELETE FROM case_cards WHERE case_id = $1 AND channel_id = $2", case_id, channel_id)

    async def channels_of(self, case_id: str) -> builtins.list[tuple[int, int | None]]:
        rows = await self.db.fetch(
            "SELECT channel_id, guild_id FROM case_cards WHERE case_id = $1 ORDER BY channel_id", case_id
        )
        return [(int(r[0]), int(r[1]) if r[1] is not None else None) for r in rows]

    async def in_channel(self, channel_id: int) -> builtins.list[tuple[str, int]]:
        rows = await self.db.fetch(
            "SELECT case_id, message_id FROM case_cards WHERE channel_id = $1 ORDER BY updated_at", channel_id
        )
        return [(r[0], int(r[1])) for r in rows]


class ForumPostRepository:
    """Forum posts: the thread and starter message of a case in a forum alert channel."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def get(self, case_id: str, forum_id: int) -> ForumPost | None:
        row = await self.db.fetchrow(
            "SELECT * FROM forum_posts WHERE case_id = $1 AND forum_id = $2", case_id, forum_id
        )
        return _post_from_row(row) if row else None

    async def begin(self, case_id: str, forum_id: int, *, guild_id: int | None, at: datetime) -> None:
        await self.db.execute(
            "INSERT INTO forum_posts (case_id, forum_id, guild_id, thread_id, message_id, archived, "
            "creating_since, updated_at) VALUES ($1, $2, $3, NULL, NULL, FALSE, $4, $5) "
            "ON CONFLICT (case_id, forum_id) DO UPDATE SET thread_id = NULL, message_id = NULL, "
            "archived = FALSE, creating_since = excluded.creating_since, updated_at = excluded.updated_at",
            case_id,
            forum_id,
            guild_id,
            to_iso(at),
            to_iso(utcnow()),
        )

    async def put(
        self,
        case_id: str,
        forum_id: int,
        thread_id: int,
        message_id: int,
        *,
        guild_id: int | None,
        archived: bool = False,
    ) -> None:
        await self.db.execute(
            "INSERT INTO forum_posts (case_id, forum_id, guild_id, thread_id, message_id, archived, "
            "creating_since, updated_at) VALUES ($1, $2, $3, $4, $5, $6, NULL, $7) "
            "ON CONFLICT (case_id, forum_id) DO UPDATE SET thread_id = excluded.thread_id, "
            "message_id = excluded.message_id, archived = excluded.archived, creating_since = NULL, "
            "updated_at = excluded.updated_at",
            case_id,
            forum_id,
            guild_id,
            thread_id,
            message_id,
            bool(archived),
            to_iso(utcnow()),
        )

    async def set_archived(self, case_id: str, forum_id: int, archived: bool) -> None:
        await self.db.execute(
            "UPDATE forum_posts SET archived = $1, updated_at = $2 WHERE case_id = $3 AND forum_id = $4",
            bool(archived),
            to_iso(utcnow()),
            case_id,
            forum_id,
        )

    async def set_message(self, case_id: str, forum_id: int, message_id: int) -> None:
        await self.db.execute(
            "UPDATE forum_posts SET message_id = $1, updated_at = $2 WHERE case_id = $3 AND forum_id = $4",
            message_id,
            to_iso(utcnow()),
            case_id,
            forum_id,
        )

    async def forget(self, case_id: str, forum_id: int) -> None:
        await self.db.execute("DELETE FROM forum_posts WHERE case_id = $1 AND forum_id = $2", case_id, forum_id)

    async def posts_of(self, case_id: str) -> builtins.list[tuple[int, int | None]]:
        rows = await self.db.fetch(
            "SELECT forum_id, guild_id FROM forum_posts WHERE case_id = $1 AND thread_id IS NOT NULL "
            "ORDER BY forum_id",
            case_id,
        )
        return [(int(r[0]), int(r[1]) if r[1] is not None else None) for r in rows]

    async def in_forum(self, forum_id: int) -> builtins.list[ForumPost]:
        # updated_at is ISO text in the C collation: the same order as SQLite's.
        rows = await self.db.fetch(
            "SELECT * FROM forum_posts WHERE forum_id = $1 ORDER BY updated_at, case_id", forum_id
        )
        return [_post_from_row(r) for r in rows]
