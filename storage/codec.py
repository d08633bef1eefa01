"""Row <-> dataclass conversion shared by the repositories."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from typing import Any

from bot.clock import from_iso, to_iso
from bot.models import Action, Article, Case, CaseEvent, DocketLink, Feed, Stage


def dumps(values: Iterable[str]) -> str:
    return json.dumps(list(values), ensure_ascii=False)


_scan_json = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # the C scanner loads() runs


def loads(value: str | None) -> tuple[str, ...]:
    """A stored JSON array as a tuple. Grouping decodes ~200 candidate rows of four arrays per article,
    so the C scanner is called directly (``json.loads``' per-call overhead was a third of the cost);
    anything it does not consume exactly (padding, trailing junk) goes through ``json.loads``."""
    if not value:
        return ()
    try:
        parsed, end = _scan_json(value, 0)
    except StopIteration:
        return tuple(json.loads(value))
    return tuple(parsed) if end == len(value) else tuple(json.loads(value))


def issue_counts_json(counts: Iterable[tuple[str, int]]) -> str:
    """A case's issue tally as a JSON object (display order kept)."""
    return json.dumps(dict(counts), ensure_ascii=False)


def issue_counts_from(value: str | None) -> tuple[tuple[str, int], ...]:
    if not value or value == "{}":
        return ()
    return tuple((str(k), int(n)) for k, n in json.loads(value).items())


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def docket_link_json(link: DocketLink | None) -> str | None:
    if link is None:
        return None
    return json.dumps(
        {
            "url": link.url,
            "court": link.court,
            "number": link.number,
            "filed": link.filed.isoformat() if link.filed else None,
            "case_name": link.case_name,
            "reason": link.reason,
            "source": link.source,
            "last_filing": link.last_filing.isoformat() if link.last_filing else None,
            "docket_id": link.docket_id,
        },
        ensure_ascii=False,
    )


def docket_link_from(value: str | None) -> DocketLink | None:
    if not value:
        return None
    raw = json.loads(value)
    return DocketLink(
        url=raw["url"],
        court=raw.get("court"),
        number=raw.get("number"),
        filed=_day(raw.get("filed")),
        case_name=raw.get("case_name"),
        reason=raw.get("reason") or "",
        source=raw.get("source") or "courtlistener",
        last_filing=_day(raw.get("last_filing")),
        docket_id=int(raw["docket_id"]) if raw.get("docket_id") is not None else None,
    )


def feed_from_row(row: Any) -> Feed:
    return Feed(
        id=row["id"],
        url=row["url"],
        title=row["title"],
        enabled=bool(row["enabled"]),
        etag=row["etag"],
        last_modified=row["last_modified"],
        body_hash=row["body_hash"],
        last_fetch_at=from_iso(row["last_fetch_at"]),
        last_success_at=from_iso(row["last_success_at"]),
        last_error=row["last_error"],
        consecutive_failures=row["consecutive_failures"],
        next_due_at=from_iso(row["next_due_at"]),
        interval_s=row["interval_s"],
        disabled_reason=row["disabled_reason"],
        item_count=row["item_count"],
    )


def article_from_row(row: Any) -> Article:
    return Article(
        id=row["id"],
        feed_id=row["feed_id"],
        key=row["key"],
        url=row["url"],
        title=row["title"],
        summary=row["summary"],
        published=from_iso(row["published"]),
        fetched_at=from_iso(row["fetched_at"]),  # type: ignore[arg-type]
        content_hash=row["content_hash"],
    )


def case_from_row(row: Any) -> Case:
    return Case(
        id=row["id"],
        title=row["title"],
        status=Stage(row["status"]),
        action=Action(row["action"]),
        platforms=loads(row["platforms"]),
        counterparties=loads(row["counterparties"]),
        court=row["court"],
        docket=row["docket"],
        subjects=loads(row["subjects"]),
        keywords=loads(row["keywords"]),
        opened_at=from_iso(row["opened_at"]),
        updated_at=from_iso(row["updated_at"]),
        summary=row["summary"],
        article_count=row["article_count"],
        issue_counts=issue_counts_from(row["issues"]),
        docket_link=docket_link_from(row["docket_link"]),
    )


def event_from_row(row: Any) -> CaseEvent:
    return CaseEvent(
        case_id=row["case_id"],
        from_status=Stage(row["from_status"]) if row["from_status"] else None,
        to_status=Stage(row["to_status"]),
        at=from_iso(row["at"]),  # type: ignore[arg-type]
        article_id=row["article_id"],
        url=row["url"],
    )


def cases_dump(cases: Iterable[Case], url_rows: Iterable[Any], event_rows: Iterable[Any]) -> list[dict[str, Any]]:
    """`casewatch cases --json`: each case with its report URLs (rows of case id, url, in report order)
    and status events (case_events rows in order), the same from either backend."""
    urls: dict[str, list[str]] = {}
    for r in url_rows:
        if r[1]:
            urls.setdefault(r[0], []).append(r[1])
    events: dict[str, list[dict[str, Any]]] = {}
    for r in event_rows:
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
            "issues": list(c.issues),
            "docket_url": c.docket_link.url if c.docket_link else None,
            "opened_at": to_iso(c.opened_at),
            "updated_at": to_iso(c.updated_at),
            "article_urls": urls.get(c.id, []),
            "events": events.get(c.id, []),
            "summary": c.summary,
        }
        for c in cases
    ]


# The columns `casewatch articles --json` reads, after the article's own (both backends).
ARTICLE_DUMP_COLUMNS = (
    "f.url AS feed_url, d.relevant, d.score, d.platforms, d.counterparties, d.action, d.stage, d.court, "
    "d.docket, d.subjects, d.reasons, d.issues, d.case_id"
)


def article_dump(r: Any) -> dict[str, Any]:
    """One row of `casewatch articles --json` (an article joined with its detection)."""
    relevant = bool(r["relevant"])
    return {
        "id": r["id"],
        "url": r["url"],
        "title": r["title"],
        "published": r["published"],
        "fetched_at": r["fetched_at"],
        "feed": r["feed_url"],
        "relevant": relevant,
        "score": r["score"] if r["score"] is not None else 0.0,
        "platforms": json.loads(r["platforms"]) if relevant else [],
        "counterparties": json.loads(r["counterparties"]) if relevant else [],
        "action": r["action"] if relevant else None,
        "stage": r["stage"] if relevant else None,
        "court": r["court"] if relevant else None,
        "docket": r["docket"] if relevant else None,
        "issues": json.loads(r["issues"]) if relevant and r["issues"] else [],
        "case_id": r["case_id"] if relevant else None,
        "reasons": json.loads(r["reasons"]) if r["reasons"] else [],
    }
