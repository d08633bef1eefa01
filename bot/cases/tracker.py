"""Apply one relevant article to the case store: group it, recompute status, summarise.

The decisions are the pure functions of ``clustering``, ``status`` and ``summarize``; this module only
reads what they need and writes what they decide. It runs inside the caller's transaction.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.cases.clustering import absorb, find_case, open_case, platform_keys
from bot.cases.status import derive_status
from bot.models import Article, ArticleText, CaseChange, CaseEvent, Detection
from bot.ports import Store
from bot.summarize import summarize_case

CANDIDATE_LIMIT = 200


def article_text(article: Article) -> ArticleText:
    return ArticleText(
        title=article.title, summary=article.summary, url=article.url, published=article.published
    )


def _event_identity(event: CaseEvent) -> tuple[object, ...]:
    return (event.from_status, event.to_status, event.at, event.article_id)


async def track(store: Store, article: Article, det: Detection) -> tuple[CaseChange, tuple[int, ...]]:
    """Group ``article`` into a case and return what changed plus the ids of the new status events."""
    text = article_text(article)
    at: datetime = article.published or article.fetched_at
    keys = platform_keys(det.platforms)
    candidates = await store.cases.candidates(keys, CANDIDATE_LIMIT)
    existing = find_case(text, det, candidates)
    if existing is None:
        case = open_case(text, det, seed_key=article.url or f"{article.feed_id}:{article.key}", at=at)
        is_new = True
    else:
        case = absorb(existing, text, det, at=at)
        is_new = False
    # The detection must point at the case before observations are read, and the case row must exist first.
    await store.cases.save(case, platform_keys(case.platforms))
    await store.articles.save_detection(article.id, det, case.id)

    old_events = await store.cases.events(case.id)
    status, events = derive_status(case.id, await store.cases.observations(case.id))
    event_ids = await store.cases.replace_events(case.id, events)
    known = {_event_identity(e) for e in old_events}
    new_pairs = [(e, i) for e, i in zip(events, event_ids, strict=True) if _event_identity(e) not in known]
    # A new case's opening status is part of the new-case alert, not a separate status update.
    if is_new:
        new_pairs = []

    members = await store.articles.for_case(case.id)
    case = replace(case, status=status, article_count=len(members))
    case = replace(case, summary=summarize_case(case, [article_text(a) for a in members], events))
    await store.cases.save(case, platform_keys(case.platforms))
    change = CaseChange(
        case=case,
        article_id=article.id,
        article_title=article.title,
        article_url=article.url,
        score=det.score,
        is_new_case=is_new,
        events=tuple(e for e, _ in new_pairs),
    )
    return change, tuple(i for _, i in new_pairs)
