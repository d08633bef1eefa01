"""Cases, the platform index used to find grouping candidates, and status events."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bot.clock import from_iso, to_iso, utcnow
from bot.models import Case, CaseEvent, Observation, Stage
from storage.codec import case_from_row, dumps, event_from_row
from storage.database import Database
from storage.repositories.articles import fts_query


class CaseRepository:
    """Writes here run inside ``Database.transaction()``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, case_id: str) -> Case | None:
        row = await self.db.fetchone("SELECT * FROM cases WHERE id = ?", (case_id,))
        return case_from_row(row) if row else None

    async def candidates(self, platform_keys: Iterable[str], limit: int = 200) -> list[Case]:
        """Cases sharing a platform, most recently updated first (the grouping shortlist).

        One indexed, LIMITed walk per platform key: a single query over several keys had to sort every
        case of a big platform (tens of thousands at 100k cases) on each new article."""
        keys = sorted(set(platform_keys))
        if not keys:
            return []
        recent: dict[str, str] = {}
        for key in keys:
            for case_id, updated in await self.db.fetchall(
                "SELECT case_id, updated_at FROM case_platforms WHERE platform_key = ? "
                "ORDER BY updated_at DESC LIMIT ?",
                (key, limit),
            ):
                if updated and (case_id not in recent or updated > recent[case_id]):
                    recent[case_id] = updated
                recent.setdefault(case_id, updated or "")
        chosen = sorted(recent, key=lambda cid: recent[cid], reverse=True)[:limit]
        if not chosen:
            return []
        rows = await self.db.fetchall(
            f"SELECT * FROM cases WHERE id IN ({','.join('?' * len(chosen))})", chosen
        )
        by_id = {r["id"]: case_from_row(r) for r in rows}
        return [by_id[cid] for cid in chosen if cid in by_id]

    async def save(self, case: Case, platform_keys: Iterable[str]) -> None:
        values = {
            "id": case.id,
            "title": case.title,
            "status": case.status.value,
            "action": case.action.value,
            "platforms": dumps(case.platforms),
            "counterparties": dumps(case.counterparties),
            "court": case.court,
            "docket": case.docket,
            "subjects": dumps(case.subjects),
            "keywords": dumps(case.keywords),
            "opened_at": to_iso(case.opened_at),
            "updated_at": to_iso(case.updated_at),
            "summary": case.summary,
            "article_count": case.article_count,
        }
        cols = ", ".join(values)
        marks = ", ".join(f":{k}" for k in values)
        updates = ", ".join(f"{k} = excluded.{k}" for k in values if k != "id")
        conn = self.db.conn
        await conn.execute(
            f"INSERT INTO cases ({cols}) VALUES ({marks}) ON CONFLICT (id) DO UPDATE SET {updates}", values
        )
        await conn.execute("DELETE FROM case_platforms WHERE case_id = ?", (case.id,))
        await conn.executemany(
            "INSERT INTO case_platforms (case_id, platform_key, updated_at) VALUES (?, ?, ?)",
            [(case.id, key, to_iso(case.updated_at)) for key in sorted(set(platform_keys))],
        )

    async def observations(self, case_id: str) -> list[Observation]:
        rows = await self.db.fetchall(
            "SELECT a.id, d.stage, a.published, a.fetched_at, a.url FROM detections d "
            "JOIN articles a ON a.id = d.article_id WHERE d.case_id = ? AND d.stage IS NOT NULL ORDER BY a.id",
            (case_id,),
        )
        return [
            Observation(
                article_id=r[0],
                stage=Stage(r[1]),
                published=from_iso(r[2]),
                fetched_at=from_iso(r[3]),  # type: ignore[arg-type]
                url=r[4],
            )
            for r in rows
        ]

    async def events(self, case_id: str) -> list[CaseEvent]:
        return [event for _, event in await self.event_rows(case_id)]

    async def event_rows(self, case_id: str) -> list[tuple[int, CaseEvent]]:
        rows = await self.db.fetchall(
            "SELECT * FROM case_events WHERE case_id = ? ORDER BY at, id", (case_id,)
        )
        return [(r["id"], event_from_row(r)) for r in rows]

    async def replace_events(self, case_id: str, events: Sequence[CaseEvent]) -> list[int]:
        """Store the recomputed event history; keep rows that did not change so their ids stay stable.

        Returns the ids of ``events`` in order."""
        existing = await self.event_rows(case_id)
        by_identity = {_identity(e): row_id for row_id, e in existing}
        keep: set[int] = set()
        ids: list[int] = []
        conn = self.db.conn
        now = to_iso(utcnow())
        for event in events:
            row_id = by_identity.pop(_identity(event), None)
            if row_id is None:
                async with conn.execute(
                    "INSERT INTO case_events (case_id, from_status, to_status, at, article_id, url, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        case_id,
                        event.from_status.value if event.from_status else None,
                        event.to_status.value,
                        to_iso(event.at),
                        event.article_id,
                        event.url,
                        now,
                    ),
                ) as cur:
                    row_id = int(cur.lastrowid)  # type: ignore[arg-type]
            keep.add(row_id)
            ids.append(row_id)
        stale = [row_id for row_id, _ in existing if row_id not in keep]
        if stale:
            await conn.execute(f"DELETE FROM case_events WHERE id IN ({','.join('?' * len(stale))})", stale)
        return ids

    async def merge_into(self, kept_id: str, gone_id: str) -> None:
        """Move everything of case ``gone_id`` to ``kept_id`` and delete it (inside a transaction).

        Detections, follows, case cards and outbox rows are re-pointed (the last three have no foreign
        key). A follow or card the kept case already has for the same target is kept and the duplicate
        dropped. The caller saves the merged case and recomputes its events afterwards.
        """
        if kept_id == gone_id:
            return
        conn = self.db.conn
        await conn.execute("UPDATE detections SET case_id = ? WHERE case_id = ?", (kept_id, gone_id))
        # UNIQUE does not catch these duplicates (platform_key is NULL), so drop them explicitly.
        await conn.execute(
            "DELETE FROM subscriptions WHERE case_id = ? AND EXISTS (SELECT 1 FROM subscriptions k "
            "WHERE k.case_id = ? AND k.target_kind = subscriptions.target_kind "
            "AND k.target_id = subscriptions.target_id)",
            (gone_id, kept_id),
        )
        await conn.execute("UPDATE subscriptions SET case_id = ? WHERE case_id = ?", (kept_id, gone_id))
        await conn.execute(
            "UPDATE OR IGNORE case_cards SET case_id = ? WHERE case_id = ?", (kept_id, gone_id)
        )
        await conn.execute("DELETE FROM case_cards WHERE case_id = ?", (gone_id,))
        await conn.execute("UPDATE deliveries SET case_id = ? WHERE case_id = ?", (kept_id, gone_id))
        await conn.execute("DELETE FROM case_events WHERE case_id = ?", (gone_id,))
        await conn.execute("DELETE FROM case_platforms WHERE case_id = ?", (gone_id,))
        await conn.execute("DELETE FROM cases WHERE id = ?", (gone_id,))

    async def delete_all(self) -> None:
        """Forget every case (reprocessing rebuilds them); articles and detections stay."""
        await self.db.conn.execute("UPDATE detections SET case_id = NULL")
        await self.db.conn.execute("DELETE FROM cases")

    async def search(self, query: str, limit: int = 25, *, prefix: bool = True) -> list[Case]:
        """Full-text search ranked by bm25 (``/case search``); the last word may be a prefix."""
        rows = await self.db.fetchall(
            "SELECT c.* FROM cases_fts JOIN cases c ON c.pk = cases_fts.rowid WHERE cases_fts MATCH ? "
            "ORDER BY bm25(cases_fts, 4.0, 2.0, 1.0, 0.5), c.updated_at DESC LIMIT ?",
            (fts_query(query, prefix_last=prefix), limit),
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

    async def count(self) -> int:
        row = await self.db.fetchone("SELECT COUNT(*) FROM cases")
        return int(row[0]) if row else 0

    async def dump(self) -> list[dict[str, Any]]:
        """Cases with their articles and events, in the shape of `casewatch cases --json`."""
        cases = [case_from_row(r) for r in await self.db.fetchall("SELECT * FROM cases ORDER BY pk")]
        urls: dict[str, list[str]] = {}
        for r in await self.db.fetchall(
            "SELECT d.case_id, a.url FROM detections d JOIN articles a ON a.id = d.article_id "
            "WHERE d.case_id IS NOT NULL ORDER BY COALESCE(a.published, a.fetched_at), a.id"
        ):
            if r[1]:
                urls.setdefault(r[0], []).append(r[1])
        events: dict[str, list[dict[str, Any]]] = {}
        for r in await self.db.fetchall("SELECT * FROM case_events ORDER BY at, id"):
            events.setdefault(r["case_id"], []).append(
                {"from": r["from_status"], "to": r["to_status"], "at": r["at"], "url": r["url"]}
            )
        return [
            {
                "id": c.id,
                "title": c.title,
                "status": c.status.value,
                "platforms": list(c.platforms),
                "counterparties": list(c.counterparties),
                "action": c.action.value,
                "court": c.court,
                "docket": c.docket,
                "subjects": list(c.subjects),
                "opened_at": to_iso(c.opened_at),
                "updated_at": to_iso(c.updated_at),
                "article_urls": urls.get(c.id, []),
                "events": events.get(c.id, []),
                "summary": c.summary,
            }
            for c in cases
        ]


def _identity(event: CaseEvent) -> tuple[Any, ...]:
    return (
        event.from_status.value if event.from_status else None,
        event.to_status.value,
        to_iso(event.at),
        event.article_id,
    )
