"""Cases, the platform index used to find grouping candidates, and status events."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from bot.clock import to_iso
from bot.models import Article, Attachment, Case, CaseEvent, Detection, DocketLink, Observation
from storage.case_cache import DecodedCaseCache
from storage.codec import case_from_row, cases_dump, docket_link_json
from storage.database import Database
from storage.pipeline import Read, Statement, pipeline
from storage.repositories.articles import detection_upsert, fts_query
from storage.repositories.case_rows import (
    event_ids,
    event_rows_from,
    event_statements,
    events_read,
    headlines_from,
    headlines_read,
    members_from,
    members_read,
    merge_statements,
    save_statements,
)

# The grouping shortlist of one platform, newest first (see CaseRepository.candidates).
_WALK = (
    "SELECT case_id, version, updated_at FROM case_platforms INDEXED BY case_platforms_walk "
    "WHERE platform_key = ? ORDER BY updated_at DESC, seq DESC LIMIT ?"
)

# A search ranks the RANKED_MATCHES most recently opened matching cases, not every match: ranking all is what
# made a common word ("lawsuit", "google": 10-25k matches at 100k cases) cost 15-50 ms in SQLite and over
# 100 ms at p99 under load, while walking the index newest-first stops early (2-7 ms). A query with
# fewer matches ranks them all; a common word ranks what is current, which is what a news bot's reader
# asks for. Both searches (/case search and the web view) use it, so they answer alike.
RANKED_MATCHES = 1000
_NEWEST_MATCHES = (
    "SELECT rowid, bm25(cases_fts, 4.0, 2.0, 1.0, 0.5) AS rank FROM cases_fts WHERE cases_fts MATCH ? "
    "ORDER BY rowid DESC LIMIT ?"
)


class CaseRepository:
    """Writes here run inside ``Database.transaction()``.

    Grouping runs for every relevant article, so its reads take one round trip each
    (``execute_fetchall``) and its multi-statement writes are pipelined; candidate rows are decoded
    through a per-connection :class:`DecodedCaseCache` validated against the full row just read.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self.decoded = DecodedCaseCache()

    async def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        return list(await self.db.conn.execute_fetchall(sql, params))

    async def get(self, case_id: str) -> Case | None:
        rows = await self._rows("SELECT * FROM cases WHERE id = ?", (case_id,))
        return case_from_row(rows[0]) if rows else None

    async def set_docket(self, case_id: str, link: DocketLink | None) -> bool:
        """Link ``case_id`` to a docket (None clears it); False when there is no such case. The row's
        version changes (schema 0005), so decoded copies of the old row are never reused."""
        cur = await self.db.conn.execute(
            "UPDATE cases SET docket_link = ? WHERE id = ?", (docket_link_json(link), case_id)
        )
        return cur.rowcount > 0

    async def needing_docket_lookup(self, limit: int) -> list[Case]:
        """Cases with no docket yet that casewatch has not asked CourtListener about since their last
        report, most recently updated first (the docket sweep's work list)."""
        rows = await self._rows(
            "SELECT * FROM cases WHERE docket_link IS NULL "
            "AND (docket_checked_at IS NULL OR docket_checked_at < updated_at) "
            "ORDER BY updated_at DESC, pk DESC LIMIT ?",
            (limit,),
        )
        return [case_from_row(r) for r in rows]

    async def mark_docket_checked(self, case_id: str, at: datetime) -> None:
        await self.db.conn.execute("UPDATE cases SET docket_checked_at = ? WHERE id = ?", (to_iso(at), case_id))

    async def linked_dockets(self, limit: int = 500) -> list[Case]:
        """Cases linked to a CourtListener docket, least recently updated link first."""
        rows = await self._rows(
            "SELECT * FROM cases WHERE docket_link IS NOT NULL ORDER BY docket_checked_at, pk LIMIT ?", (limit,)
        )
        return [case_from_row(r) for r in rows]

    async def candidates(self, platform_keys: Iterable[str], limit: int = 200) -> list[Case]:
        """Cases sharing a platform, most recently updated first (the grouping shortlist).

        One LIMITed walk of the covering ``case_platforms_walk`` index per platform key (schema 0007: it
        carries each case's version, so no other page is read for cases already decoded). On equal
        ``updated_at`` the later-written row comes first. A single query over several keys would have to
        sort every case of a big platform (tens of thousands at 100k cases) on each new article."""
        keys = sorted(set(platform_keys))
        if not keys:
            return []
        walks = await asyncio.gather(*(self._rows(_WALK, (key, limit)) for key in keys))
        if len(walks) == 1:
            return await self._cases_at_versions([(r[0], r[1]) for r in walks[0]])
        # Several keys: the newest ``limit`` of the union. Python's sort is stable, so ties keep the order
        # of first appearance (the first key's walk, then the next key's new cases).
        recent: dict[str, str] = {}
        version: dict[str, int] = {}
        for rows in walks:
            for case_id, case_version, updated in rows:
                version[case_id] = case_version
                if updated and (case_id not in recent or updated > recent[case_id]):
                    recent[case_id] = updated
                recent.setdefault(case_id, updated or "")
        chosen = sorted(recent, key=recent.__getitem__, reverse=True)[:limit]
        return await self._cases_at_versions([(cid, version[cid]) for cid in chosen])

    async def active_platforms(self, limit: int) -> list[str]:
        """Platform keys whose cases were updated most recently: where the next articles will land."""
        rows = await self._rows(
            "SELECT platform_key FROM case_platforms GROUP BY platform_key ORDER BY MAX(updated_at) DESC LIMIT ?",
            (limit,),
        )
        return [r[0] for r in rows]

    async def _cases_at_versions(self, pairs: Sequence[tuple[str, int]]) -> list[Case]:
        """The cases of ``pairs`` in order: decoded copies whose version still matches (read from the
        ``cases_version`` covering index), full rows only for the others."""
        cache = self.decoded
        found: dict[str, Case] = {}
        missing: list[str] = []
        for case_id, version in pairs:
            case = cache.known(case_id, version)
            if case is None:
                missing.append(case_id)
            else:
                found[case_id] = case
        if missing:
            rows = await self._rows(
                f"SELECT * FROM cases WHERE id IN ({','.join('?' * len(missing))})", missing
            )
            for row in rows:
                found[row["id"]] = cache.case(row)
        return [found[cid] for cid, _ in pairs if cid in found]

    async def save(self, case: Case, platform_keys: Iterable[str]) -> None:
        await pipeline(self.db.conn, save_statements(case, platform_keys))

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
        """File an article under ``case_id`` and read back what status and summary need, in one round trip.

        In order: the stored events of ``events_of`` (before a merge deletes the absorbed cases' rows), the
        new case row (``create``: case and platform keys), the merges of ``absorb`` into ``case_id``
        (:meth:`merge_many`), the article's detection, then the case's members (as headlines and
        observations: :meth:`members` without the article texts)."""
        events_of = list(dict.fromkeys(events_of))
        statements: list[Statement | Read] = []
        if events_of:
            statements.append(events_read(events_of))
        if create is not None:
            statements += save_statements(*create)
        statements += merge_statements(case_id, absorb)
        statements.append(detection_upsert(article_id, det, case_id))
        statements.append(headlines_read(case_id))
        results = await pipeline(self.db.conn, statements)
        headlines, observations = headlines_from(results[-1])
        old_events = event_rows_from(events_of, results[0]) if events_of else {}
        return Attachment(old_events=old_events, headlines=headlines, observations=observations)

    async def save_with_events(
        self,
        case: Case,
        platform_keys: Iterable[str],
        events: Sequence[CaseEvent],
        existing: Sequence[tuple[int, CaseEvent]],
    ) -> list[int]:
        """:meth:`replace_events` then :meth:`save`, in one round trip; returns the ids of ``events``."""
        ids, statements = event_statements(case.id, events, existing)
        results = await pipeline(self.db.conn, [*statements, *save_statements(case, platform_keys)])
        return event_ids(ids, results)

    async def members(self, case_id: str) -> tuple[list[Article], list[Observation]]:
        """The case's articles (oldest news first) and their stage observations (by article id), from
        one read: status and summary need both, and they join the same rows."""
        read = members_read(case_id)
        return members_from(await self._rows(read.sql, read.params))

    async def event_rows_of(self, case_ids: Sequence[str]) -> dict[str, list[tuple[int, CaseEvent]]]:
        """Stored events (row id, event) of several cases in one read, by case id."""
        case_ids = list(dict.fromkeys(case_ids))
        if not case_ids:
            return {}
        read = events_read(case_ids)
        return event_rows_from(case_ids, await self._rows(read.sql, read.params))

    async def events(self, case_id: str) -> list[CaseEvent]:
        return [event for _, event in await self.event_rows(case_id)]

    async def event_rows(self, case_id: str) -> list[tuple[int, CaseEvent]]:
        return (await self.event_rows_of([case_id]))[case_id]

    async def replace_events(
        self, case_id: str, events: Sequence[CaseEvent], existing: Sequence[tuple[int, CaseEvent]] | None = None
    ) -> list[int]:
        """Store the recomputed event history; keep rows that did not change so their ids stay stable.

        ``existing`` is the case's stored rows when the caller has just read them (in this transaction).
        Returns the ids of ``events`` in order."""
        if existing is None:
            existing = await self.event_rows(case_id)
        ids, statements = event_statements(case_id, events, existing)
        return event_ids(ids, await pipeline(self.db.conn, statements) if statements else [])

    async def merge_many(self, kept_id: str, gone_ids: Sequence[str]) -> None:
        """Fold the cases ``gone_ids`` into ``kept_id``: one recorded merge each (schema 0006).

        The ``case_merges`` trigger re-points detections, follows, case cards and outbox rows (the last
        three have no foreign key; a follow or card the kept case already has for the same target is
        kept and the duplicate dropped) and deletes the absorbed case. The gone id then resolves to the
        kept case (:meth:`resolve`). The caller saves the merged case and recomputes its events.
        """
        statements = merge_statements(kept_id, gone_ids)
        if statements:
            await pipeline(self.db.conn, statements)

    async def resolve(self, case_id: str) -> Case | None:
        """The case ``case_id`` names: itself, or the case it was merged into (old cards, pasted ids)."""
        rows = await self._rows(
            "SELECT * FROM cases WHERE id = ? UNION ALL SELECT c.* FROM case_merges m "
            "JOIN cases c ON c.id = m.kept_id WHERE m.gone_id = ? LIMIT 1",
            (case_id, case_id),
        )
        return case_from_row(rows[0]) if rows else None

    async def delete_all(self) -> None:
        """Forget every case (reprocessing rebuilds them); articles and detections stay."""
        await self.db.conn.execute("UPDATE detections SET case_id = NULL")
        await self.db.conn.execute("DELETE FROM case_merges")
        await self.db.conn.execute("DELETE FROM cases")
        self.decoded.forget()

    async def search(self, query: str, limit: int = 25, *, prefix: bool = True) -> list[Case]:
        """Full-text search (``/case search``, the web view's search box): the newest ``RANKED_MATCHES``
        matching cases, ranked by bm25; the last word may be a prefix. See :data:`RANKED_MATCHES`."""
        rows = await self.db.fetchall(
            f"SELECT c.* FROM ({_NEWEST_MATCHES}) m JOIN cases c ON c.pk = m.rowid "
            "ORDER BY m.rank, c.updated_at DESC LIMIT ?",
            (fts_query(query, prefix_last=prefix), RANKED_MATCHES, limit),
        )
        return [case_from_row(r) for r in rows]

    async def autocomplete(self, query: str, limit: int = 25) -> list[Case]:
        """Newest matching cases for as-you-type suggestions.

        Ranking every match is what made autocomplete slow at 100k cases (a common word or a two-letter
        prefix matches tens of thousands): walking the index newest-first stops after ``limit`` rows."""
        rows = await self.db.fetchall(
            "SELECT c.* FROM (SELECT rowid FROM cases_fts WHERE cases_fts MATCH ? ORDER BY rowid DESC LIMIT ?) m "
            "JOIN cases c ON c.pk = m.rowid ORDER BY c.pk DESC",
            (fts_query(query, prefix_last=True), limit),
        )
        return [case_from_row(r) for r in rows]

    async def recent(self, limit: int = 10, offset: int = 0) -> list[Case]:
        rows = await self.db.fetchall(
            "SELECT * FROM cases ORDER BY updated_at DESC, pk DESC LIMIT ? OFFSET ?", (limit, offset)
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
    ) -> list[Case]:
        """One page of cases for the web view, with optional filters (read only).

        Without ``query``: newest activity first (as :meth:`recent`). With ``query``: the same full-text
        search and ranking as :meth:`search` (``/case search``). ``platform`` is a platform identity key
        (``bot.cases.clustering.platform_key``), read from the ``case_platforms`` index; ``action`` and
        ``status`` are ``Action`` / ``Stage`` values; ``issue`` a legal-issue key (``bot.detect.issues``) that
        at least one of the case's reports raises. Callers cap ``offset`` (SQLite steps over skipped rows).
        """
        where: list[str] = []
        params: list[Any] = []
        if platform:
            where.append("c.id IN (SELECT case_id FROM case_platforms WHERE platform_key = ?)")
            params.append(platform)
        if action:
            where.append("c.action = ?")
            params.append(action)
        if status:
            where.append("c.status = ?")
            params.append(status)
        if issue and (query.strip() or platform):
            where.append("EXISTS (SELECT 1 FROM case_issues ci WHERE ci.case_pk = c.pk AND ci.issue = ?)")
            params.append(issue)
        if query.strip():
            # the same search as search(): the newest RANKED_MATCHES matches that pass the filters, ranked
            sql = (
                "SELECT c.* FROM (SELECT cases_fts.rowid AS rowid, bm25(cases_fts, 4.0, 2.0, 1.0, 0.5) AS rank "
                "FROM cases_fts JOIN cases c ON c.pk = cases_fts.rowid WHERE cases_fts MATCH ?"
                + "".join(f" AND {w}" for w in where)
                + " ORDER BY cases_fts.rowid DESC LIMIT ?) m JOIN cases c ON c.pk = m.rowid"
                " ORDER BY m.rank, c.updated_at DESC LIMIT ? OFFSET ?"
            )
            params.insert(0, fts_query(query, prefix_last=True))
            params.append(RANKED_MATCHES)
        elif platform:
            # Newest first along the platform's own index walk (as grouping's shortlist), instead of
            # collecting every case id of a big platform and then sorting the cases.
            sql = (
                "SELECT c.* FROM case_platforms p INDEXED BY case_platforms_walk JOIN cases c ON c.id = p.case_id "
                "WHERE p.platform_key = ?"
                + "".join(f" AND {w}" for w in where[1:])
                + " ORDER BY p.updated_at DESC, p.seq DESC LIMIT ? OFFSET ?"
            )
        elif issue:
            # Newest first along the issue's own index (schema 0009), as the platform walk above.
            sql = (
                "SELECT c.* FROM case_issues i INDEXED BY case_issues_walk JOIN cases c ON c.pk = i.case_pk "
                "WHERE i.issue = ?"
                + "".join(f" AND {w}" for w in where)
                + " ORDER BY i.updated_at DESC, i.case_pk DESC LIMIT ? OFFSET ?"
            )
            params.insert(0, issue)
        else:
            sql = (
                "SELECT c.* FROM cases c"
                + (" WHERE " + " AND ".join(where) if where else "")
                + " ORDER BY c.updated_at DESC, c.pk DESC LIMIT ? OFFSET ?"
            )
        rows = await self.db.fetchall(sql, (*params, limit, offset))
        return [case_from_row(r) for r in rows]

    async def platform_counts(self, limit: int = 100) -> list[tuple[str, int]]:
        """Platform identity keys with how many cases each has, most cases first (the web view's filter)."""
        rows = await self._rows(
            "SELECT platform_key, COUNT(*) AS n FROM case_platforms GROUP BY platform_key "
            "ORDER BY n DESC, platform_key LIMIT ?",
            (limit,),
        )
        return [(r[0], int(r[1])) for r in rows]

    async def ping(self) -> bool:
        """True when the database answers a query (``/healthz``)."""
        row = await self.db.fetchone("SELECT 1")
        return row is not None and row[0] == 1

    async def count(self) -> int:
        row = await self.db.fetchone("SELECT COUNT(*) FROM cases")
        return int(row[0]) if row else 0

    async def dump(self) -> list[dict[str, Any]]:
        """Cases with their articles and events, in the shape of `casewatch cases --json`."""
        cases = [case_from_row(r) for r in await self.db.fetchall("SELECT * FROM cases ORDER BY pk")]
        url_rows = await self.db.fetchall(
            "SELECT d.case_id, a.url FROM detections d JOIN articles a ON a.id = d.article_id "
            "WHERE d.case_id IS NOT NULL ORDER BY COALESCE(a.published, a.fetched_at), a.id"
        )
        event_rows = await self.db.fetchall("SELECT * FROM case_events ORDER BY at, id")
        return cases_dump(cases, url_rows, event_rows)
