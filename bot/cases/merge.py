"""Join two cases that turn out to be one dispute (pure decisions).

Articles arrive in any order (feeds are polled one after another, outlets re-surface old pages), so the
first reports of a dispute can open two cases that only later news shows to be one: an early profile
is one article's words. After every article the tracker asks whether the updated case now matches
another candidate case, using the same evidence as article grouping but a higher bar, because a wrong
merge mixes two disputes for good while a missed one only leaves a duplicate.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from bot.cases.clustering import Profile, case_profile, common_names, evidence_score, fold
from bot.models import Case

log = logging.getLogger(__name__)

# Both above MATCH_THRESHOLD (0.7): two grown case profiles share more words by chance than an article
# and a case, and a wrong merge cannot be undone by later news. Measured on the dev corpus in 30 random
# arrival orders: lower bars add more wrong merges than they fix splits.
MERGE_THRESHOLD = 2.0
SINGLE_THRESHOLD = 1.2  # when one side is a single article (its profile is that article's evidence)
_LOWEST_BAR = min(MERGE_THRESHOLD, SINGLE_THRESHOLD) - 1e-9
MAX_MERGES_PER_ARTICLE = 3  # one article rarely bridges more; the cap bounds the cost of a bad day
_NEVER = datetime.max.replace(tzinfo=UTC)


def merge_score(a: Case, b: Case) -> float:
    """How strongly two cases describe one dispute (symmetric)."""
    return evidence_score(case_profile(a), case_profile(b))


def merge_threshold(a: Case, b: Case) -> float:
    """The bar two cases must clear; lower when one is a single article, whose words are few."""
    return SINGLE_THRESHOLD if min(a.article_count, b.article_count) <= 1 else MERGE_THRESHOLD


def should_merge(a: Case, b: Case) -> bool:
    """True when ``a`` and ``b`` are one dispute and should become one case."""
    return a.id != b.id and merge_score(a, b) >= merge_threshold(a, b) - 1e-9


def survivor_order(case: Case) -> tuple[datetime, str]:
    """Sort key of the case whose id survives a merge: the earliest opened, then the smaller id."""
    return (case.opened_at or case.updated_at or _NEVER, case.id)


def pick_survivor(a: Case, b: Case) -> tuple[Case, Case]:
    """(kept, absorbed): keeping the older id keeps links, follows and cards stable."""
    return (a, b) if survivor_order(a) <= survivor_order(b) else (b, a)


def merge_cases(kept: Case, gone: Case) -> Case:
    """``kept`` with ``gone``'s evidence folded in; status and summary are recomputed by the caller.
    A docket link survives the merge: ``kept``'s, else ``gone``'s."""
    merged = fold(
        kept,
        platforms=gone.platforms,
        counterparties=gone.counterparties,
        subjects=gone.subjects,
        action=gone.action,
        court=gone.court,
        docket=gone.docket,
        keywords=gone.keywords,
        first=gone.opened_at,
        last=gone.updated_at,
        articles=gone.article_count,
        issue_counts=gone.issue_counts,
    )
    if merged.docket_link is None and gone.docket_link is not None:
        merged = replace(merged, docket_link=gone.docket_link)
    return merged


def merge_plan(
    case: Case, candidates: Sequence[Case], *, profiles: Mapping[str, Profile] | None = None
) -> tuple[Case, tuple[Case, ...]]:
    """Fold every candidate that matches ``case`` (best match first, re-checked as the case grows).

    Returns the merged case (carrying the surviving id) and the cases it absorbed, in merge order.
    Only the already-fetched candidate list is examined, so the cost is one scoring pass per merge.
    """
    merged = case
    absorbed: list[Case] = []
    known = profiles or {}
    pool = {c.id: (c, known.get(c.id) or case_profile(c)) for c in candidates if c.id != case.id}
    while pool and len(absorbed) < MAX_MERGES_PER_ARTICLE:
        profile: Profile = case_profile(merged)
        common = common_names(profile, (p for _, p in pool.values()))
        scored = {cid: evidence_score(profile, p, common) for cid, (_, p) in pool.items()}
        passing = [
            (s, cid)
            for cid, s in scored.items()
            if s >= _LOWEST_BAR and s >= merge_threshold(merged, pool[cid][0]) - 1e-9
        ]
        if not passing:
            break
        score, best_id = min(passing, key=lambda t: (-t[0], t[1]))  # best score, then smaller id
        chosen, _ = pool.pop(best_id)
        log.debug(
            "merge %s + %s (score %.2f, sizes %d/%d)",
            merged.id,
            chosen.id,
            score,
            merged.article_count,
            chosen.article_count,
        )
        kept, gone = pick_survivor(merged, chosen)
        merged = merge_cases(kept, gone)
        absorbed.append(gone)
        # Only cases that shared something with the case so far can match it now (bounded re-scoring).
        pool = {cid: v for cid, v in pool.items() if scored[cid] > 0}
    return merged, tuple(absorbed)

