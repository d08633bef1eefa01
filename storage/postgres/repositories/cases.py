"""Cases, their platforms, events and search (``storage.repositories.cases``)."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from bot.clock import to_iso, utcnow
from bot.models import (
    Article,
    Attachment,
    Case,
    CaseEvent,
    Detection,
    DocketLink,
    Observation,
)
from storage.case_cache import DecodedCaseCache
from storage.codec import (
    case_from_row,
    cases_dump,
    docket_link_json,
    dumps,
    issue_counts_json,
)
from storage.postgres.database import Conn, PgDatabase, rowcount
from storage.postgres.repositories.articles import _DETECTION_UPSERT, _detection_args
from storage.postgres.repositories.common import (
    _A_ARTICLE,
    _C_CASE,
    _CASE,
    _CASE_RANK,
)
from storage.postgres.search import case_document, tsquery_literal
from storage.repositories import cases as sqlite_cases  # RANKED_MATCHES: one bound for both backends
from storage.repositories.case_rows import _stored_identity, event_rows_from, headlines_from, members_from

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
    platforms, counterparties, subjects = (
        dumps(case.platforms),
        dumps(case.counterparties),
        dumps(case.subjects),
    )
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
                    "INSERT INTO case_merges (gone_id, kept_id, merged_at) VALUES ($1, $2, $3)",
                    gone_id,
                    kept_id,
                    now,
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
        self,
        case_id: str,
        events: Sequence[CaseEvent],
        existing: Sequence[tuple[int, CaseEvent]] | None = None,
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
                    f"SELECT {_CASE} FROM cases WHERE search @@ $1::tsquery ORDER BY pk + 0 DESC LIMIT $2",
                    q,
                    limit,
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
                where.append(
                    f"c.id IN (SELECT case_id FROM case_platforms WHERE platform_key = {param(platform)})"
                )
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
