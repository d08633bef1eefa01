"""Apply one relevant article to the case store: group it, recompute status, summarise.

The decisions are the pure functions of ``clustering``, ``status`` and ``summarize``; this module only
reads what they need and writes what they decide. It runs inside the caller's transaction.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from bot.cases.clustering import absorb, case_profiles, find_case, open_case, platform_keys
from bot.cases.keywords import keywords_of
from bot.cases.merge import merge_plan
from bot.cases.status import derive_status
from bot.models import Article, ArticleText, Case, CaseChange, CaseEvent, Detection
from bot.ports import Store
from bot.summarize import summarize_case

CANDIDATE_LIMIT = 200
# Shortlists warmed at start: 15 x 200 = 3,000 cases, within the decoded-case and profile caches (4,096).
WARM_PLATFORMS = 15
log = logging.getLogger(__name__)


def article_text(article: Article) -> ArticleText:
    return ArticleText(
        title=article.title, summary=article.summary, url=article.url, published=article.published
    )


def _event_identity(event: CaseEvent) -> tuple[object, ...]:
    return (event.from_status, event.to_status, event.at, event.article_id)


def _merged_event_identity(event: CaseEvent) -> tuple[object, ...]:
    """After a merge the timelines interleave and ``from`` changes: a change is known by what it did."""
    return (event.to_status, event.at, event.article_id)


async def track(store: Store, article: Article, det: Detection) -> tuple[CaseChange, tuple[int, ...]]:
    """Group ``article`` into a case and return what changed plus the ids of the new status events."""
    text = article_text(article)
    at: datetime = article.published or article.fetched_at
    keys = platform_keys(det.platforms)
    candidates = await store.cases.candidates(keys, CANDIDATE_LIMIT)
    profiles = case_profiles(candidates)
    words = keywords_of(text, det)  # once: matching, opening and absorbing all need them
    existing = find_case(text, det, candidates, profiles=profiles, keywords=words)
    if existing is None:
        seed = article.url or f"{article.feed_id}:{article.key}"
        case = open_case(text, det, seed_key=seed, at=at, keywords=words)
        is_new = True
    else:
        case = absorb(existing, text, det, at=at, keywords=words)
        is_new = False
    touched = [case.id]
    # Order robustness: with this article the case may now match a case opened by earlier reports.
    others = [c for c in candidates if c.id != case.id]
    if is_new and det.action is not None:
        # A case this article just opened has the article's own profile, so the merge pass would score
        # the same candidates find_case just scored at or below MATCH_THRESHOLD, under both merge bars:
        # nothing can merge (``tests/unit/test_merge.py`` checks the premise). With no action the
        # case's is OTHER, which can score differently, so that rare case still runs the pass.
        merged: Case = case
        absorbed: tuple[Case, ...] = ()
    else:
        merged, absorbed = merge_plan(case, others, profiles=profiles)
    if absorbed:
        # Every case involved: the article's, the survivor (maybe a candidate) and the absorbed ones.
        touched = list(dict.fromkeys([case.id, merged.id, *(c.id for c in absorbed)]))
        log.info("case %s absorbed %s", merged.id, ", ".join(i for i in touched if i != merged.id))
        case, is_new = merged, False
    # One round trip files the article: the stored events of every case involved (to tell which events
    # are new; the kept case's rows let the event rewrite skip its own read), the new case's row (a
    # stored candidate's row exists, and the final save rewrites every column of it), the merges (the
    # article's own new case may be among the absorbed: it was never stored, so nothing moves), the
    # detection, and the members (headlines and stage observations) that status and summary come from.
    stored = {c.id for c in candidates}
    attached = await store.cases.attach(
        article.id,
        det,
        case.id,
        create=None if case.id in stored else (case, platform_keys(case.platforms)),
        absorb=[cid for cid in touched if cid != case.id and cid in stored],
        events_of=touched,
    )
    headlines = attached.headlines
    status, events = derive_status(case.id, attached.observations)
    old_events = [e for rows in attached.old_events.values() for _, e in rows]
    identity = _event_identity if len(touched) == 1 else _merged_event_identity
    known = {identity(e) for e in old_events}
    case = replace(case, status=status, article_count=len(headlines))
    case = replace(case, summary=summarize_case(case, headlines, events))
    event_ids = await store.cases.save_with_events(
        case, platform_keys(case.platforms), events, attached.old_events.get(case.id, [])
    )
    new_pairs = [(e, i) for e, i in zip(events, event_ids, strict=True) if identity(e) not in known]
    # A new case's opening status is part of the new-case alert, not a separate status update.
    if is_new:
        new_pairs = []
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


async def warm(store: Store, platforms: int = WARM_PLATFORMS) -> int:
    """Read and profile the grouping shortlists of the most active platforms; returns how many cases.

    The first article of a platform after a start otherwise pays for decoding and profiling its 200
    candidates (about 10 ms at 100k cases instead of 3). Only caches are filled, each validated against
    the database on use, so warming is an optimisation that can never change a grouping decision.
    """
    total = 0
    keys = await store.cases.active_platforms(platforms)
    for key in keys:
        cases = await store.cases.candidates([key], CANDIDATE_LIMIT)
        case_profiles(cases)
        total += len(cases)
    log.info("warmed the grouping caches: %d cases of %d platforms", total, len(keys))
    return total


