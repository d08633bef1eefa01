"""The SQL the case repository pipelines, and the decoders of what it reads back.

Kept as plain functions so one round trip can queue statements of several steps (see
``CaseRepository.attach``) while the single-step methods run the same statements.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import aiosqlite

from bot.clock import from_iso, to_iso, utcnow
from bot.models import Article, ArticleText, Case, CaseEvent, Observation, Stage
from storage.codec import article_from_row, docket_link_json, dumps, event_from_row, issue_counts_json
from storage.pipeline import Read, Statement


def _stored_identity(event: CaseEvent) -> tuple[Any, ...]:
    """What a stored event row must equal for the recomputed history to keep it (and its id)."""
    return (
        event.from_status.value if event.from_status else None,
        event.to_status.value,
        to_iso(event.at),
        event.article_id,
    )


_CASE_COLUMNS = (
    "id", "title", "status", "action", "platforms", "counterparties", "court", "docket", "subjects", "keywords",
    "opened_at", "updated_at", "summary", "article_count", "issues", "docket_link",
)  # fmt: skip
_UPSERT_CASE = (
    f"INSERT INTO cases ({', '.join(_CASE_COLUMNS)}) VALUES ({', '.join(f':{k}' for k in _CASE_COLUMNS)}) "
    f"ON CONFLICT (id) DO UPDATE SET {', '.join(f'{k} = excluded.{k}' for k in _CASE_COLUMNS if k != 'id')}"
)


def save_statements(case: Case, platform_keys: Iterable[str]) -> list[Statement]:
    """Upsert the case row and rewrite its platform rows.

    The platform rows go first so the row's new version has none to update (schema 0007's trigger), then
    come back carrying that version and their write order (``seq``, schema 0008: the rowid a plain insert
    would have taken)."""
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
        "issues": issue_counts_json(case.issue_counts),
        "docket_link": docket_link_json(case.docket_link),
    }
    updated_at = values["updated_at"]
    return [
        ("DELETE FROM case_platforms WHERE case_id = ?", (case.id,)),
        (_UPSERT_CASE, values),
        *(
            (
                "INSERT INTO case_platforms (rowid, seq, case_id, platform_key, updated_at, version) "
                "SELECT n.next, n.next, c.id, ?, ?, c.version FROM cases c, "
                "(SELECT IFNULL(MAX(rowid), 0) + 1 AS next FROM case_platforms) n WHERE c.id = ?",
                (key, updated_at, case.id),
            )
            for key in sorted(set(platform_keys))
        ),
    ]


def merge_statements(kept_id: str, gone_ids: Sequence[str]) -> list[Statement]:
    now = to_iso(utcnow())
    return [
        ("INSERT INTO case_merges (gone_id, kept_id, merged_at) VALUES (?, ?, ?)", (gone_id, kept_id, now))
        for gone_id in dict.fromkeys(gone_ids)
        if gone_id != kept_id
    ]


def members_read(case_id: str) -> Read:
    return Read(
        "SELECT a.*, d.stage AS stage FROM detections d JOIN articles a ON a.id = d.article_id "
        "WHERE d.case_id = ? ORDER BY COALESCE(a.published, a.fetched_at), a.id",
        (case_id,),
    )


def members_from(rows: Sequence[aiosqlite.Row]) -> tuple[list[Article], list[Observation]]:
    articles = [article_from_row(r) for r in rows]
    observations = [
        Observation(
            article_id=a.id, stage=Stage(r["stage"]), published=a.published, fetched_at=a.fetched_at, url=a.url
        )
        for a, r in sorted(zip(articles, rows, strict=True), key=lambda ar: ar[0].id)
        if r["stage"] is not None
    ]
    return articles, observations


_STAGES = {stage.value: stage for stage in Stage}


def headlines_read(case_id: str) -> Read:
    return Read(
        "SELECT a.id, a.url, a.title, a.published, a.fetched_at, d.stage FROM detections d "
        "JOIN articles a ON a.id = d.article_id "
        "WHERE d.case_id = ? ORDER BY COALESCE(a.published, a.fetched_at), a.id",
        (case_id,),
    )


def headlines_from(rows: Sequence[aiosqlite.Row]) -> tuple[list[ArticleText], list[Observation]]:
    """What :func:`_members_from` gives, with each article reduced to its headline."""
    headlines: list[ArticleText] = []
    observations: list[Observation] = []
    stages = _STAGES  # Stage(value) costs ~1 us through the enum machinery; a big case has thousands
    for article_id, url, title, published_at, fetched_at, stage in rows:
        published = from_iso(published_at)
        headlines.append(ArticleText(title=title, summary="", url=url, published=published))
        if stage is not None:
            observations.append(Observation(article_id, stages[stage], published, from_iso(fetched_at), url))  # type: ignore[arg-type]
    observations.sort(key=lambda o: o.article_id)
    return headlines, observations


def events_read(case_ids: Sequence[str]) -> Read:
    return Read(
        f"SELECT * FROM case_events WHERE case_id IN ({','.join('?' * len(case_ids))}) ORDER BY at, id",
        list(case_ids),
    )


def event_rows_from(
    case_ids: Sequence[str], rows: Sequence[aiosqlite.Row]
) -> dict[str, list[tuple[int, CaseEvent]]]:
    out: dict[str, list[tuple[int, CaseEvent]]] = {cid: [] for cid in case_ids}
    for r in rows:
        out[r["case_id"]].append((r["id"], event_from_row(r)))
    return out


def event_statements(
    case_id: str, events: Sequence[CaseEvent], existing: Sequence[tuple[int, CaseEvent]]
) -> tuple[list[int | None], list[Statement]]:
    """The stored row id of each event that is already stored (None for new ones), and the statements that
    insert the new events and delete the stale rows, in that order."""
    by_identity = {_stored_identity(e): row_id for row_id, e in existing}
    now = to_iso(utcnow())
    ids: list[int | None] = []
    statements: list[Statement] = []
    for event in events:
        row_id = by_identity.pop(_stored_identity(event), None)
        ids.append(row_id)
        if row_id is None:
            statements.append(
                (
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
                )
            )
    keep = {row_id for row_id in ids if row_id is not None}
    stale = [row_id for row_id, _ in existing if row_id not in keep]
    if stale:
        statements.append((f"DELETE FROM case_events WHERE id IN ({','.join('?' * len(stale))})", stale))
    return ids, statements


def event_ids(ids: Sequence[int | None], results: Sequence[Any]) -> list[int]:
    """Fill the new events' ids from the leading insert cursors of a pipeline's ``results``."""
    cursors = iter(results)
    return [row_id if row_id is not None else int(next(cursors).lastrowid) for row_id in ids]
