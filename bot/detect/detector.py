"""Decide whether an article reports a legal fight in which an online platform is a party.

Evidence is additive and every piece is written into ``Detection.reasons`` so a reader can see why:
a named platform (required), legal vocabulary (weighted), the platform and the legal words close
together, the platform in a party position ("sued Google", "Twitter's lawsuit", "fined X"), an
authority acting. Counter-evidence subtracts: lawmaking with no action, aggregate transparency
statistics, a person (not the platform) charged over posts, the platform only named as the venue.
"""

from __future__ import annotations

import functools
import logging

from bot.detect import extract as ex
from bot.detect import patterns as pt
from bot.detect import prefilter
from bot.models import Action, ArticleText, Detection, Stage

logger = logging.getLogger(__name__)

THRESHOLD = 0.6
_NEAR = 160  # characters between a platform mention and a legal word that count as "together"

# When several kinds of action are named, the most specific instrument wins.
_ACTION_PRIORITY: tuple[str, ...] = (
    "nsl", "gag_order", "summons", "subpoena", "warrant", "blocking_order", "court_order", "antitrust",
    "criminal_charge", "ban", "regulatory", "lawsuit", "other",
)
_ACTION_BY_VALUE = {a.value: a for a in Action}
_NO_PLATFORM = Detection(relevant=False, score=0.0, reasons=("no platform or tech company named",))


def _legal_hits(text: str, scan: prefilter.TextScan | None = None) -> list[tuple[int, int, str, int, str]]:
    finditer = scan.finditer if scan is not None else lambda rx: rx.finditer(text)
    search = scan.search if scan is not None else lambda rx: rx.search(text)
    hits: list[tuple[int, int, str, int, str]] = []
    # whole-text contexts: searched at most once per text, not once per "court"/"suit" hit
    sport: bool | None = None
    clothing: bool | None = None
    for term in pt.LEGAL_TERMS:
        for m in finditer(term.regex):
            word = m.group(0)
            low = word.lower()
            if low.startswith("summon") and pt.GAME_CONTEXT.search(text, max(0, m.start() - 120), m.end() + 120):
                continue
            if low.startswith("court"):
                if sport is None:
                    sport = search(pt.SPORT_CONTEXT) is not None
                if sport:
                    continue
            if low.startswith("suit"):
                if clothing is None:
                    clothing = search(pt.CLOTHING_CONTEXT) is not None
                if clothing:
                    continue
            hits.append((m.start(), m.end(), term.label, term.weight, word))
    for m in finditer(pt.DATA_DEMAND):
        hits.append((m.start(), m.end(), "other", 2, m.group(0)))
    return hits


@functools.cache
def _head_index() -> prefilter.HeadIndex:
    """The word heads of every case-insensitive regex ``detect`` runs (built on first use: ~0.1 s)."""
    regexes = [t.regex for t in pt.LEGAL_TERMS] + [t.regex for t in pt.STAGE_TERMS]
    regexes += [pt.DATA_DEMAND, pt.SPORT_CONTEXT, pt.CLOTHING_CONTEXT, pt.AUTHORITY, pt.LEGISLATIVE]
    regexes += [pt.HARD_ACTION, pt.TRANSPARENCY, pt.STATISTIC, pt.PERSON_ACCUSED]
    for tpl in pt.TEMPLATES.values():
        regexes += [*tpl.party, *tpl.executive, *tpl.venue]
    return prefilter.HeadIndex(regexes)


def prepare() -> None:
    """Build the fast path's word-head index now (~0.1 s) rather than on the first relevant article."""
    if prefilter.ENABLED:
        _head_index()


def _pick_action(labels: dict[str, int], platform_executive: bool) -> Action | None:
    if not labels:
        return None
    strong = [a for a in _ACTION_PRIORITY if labels.get(a, 0) >= 2 and a != "other"]
    if "criminal_charge" in strong and not platform_executive and len(strong) > 1:
        strong.remove("criminal_charge")
    if "ban" in labels and "blocking_order" in strong:
        return Action.BLOCKING_ORDER
    if strong:
        return _ACTION_BY_VALUE[strong[0]]
    if "ban" in labels:
        return Action.BAN
    if "lawsuit" in labels:
        return Action.LAWSUIT
    return Action.OTHER


def detect(text: ArticleText, *, fast: bool | None = None) -> Detection:
    """The detection of one article.

    ``fast`` (default ``prefilter.ENABLED``) first asks the prefilter whether any platform can be named
    at all, which settles most feed items in microseconds; ``fast=False`` is the reference path, which
    must give the same result for every input.
    """
    use_fast = prefilter.ENABLED if fast is None else fast
    if use_fast and not prefilter.may_name_platform(text.title, text.summary):
        return _NO_PLATFORM
    title = ex.normalize(text.title)
    summary = ex.normalize(text.summary)
    full = f"{title}. {summary}" if title else summary
    reasons: list[str] = []

    mentions = ex.find_platforms(full, fast=use_fast)
    platforms = ex.ordered_unique([m.platform for m in mentions])
    if not platforms:
        # Relevance needs a platform party; skipping the other extractors makes the ordinary news that
        # is most of every feed cheap (about 7x faster on the real-feed snapshots).
        return _NO_PLATFORM
    for name in platforms:
        surface = next(m.surface for m in mentions if m.platform == name)
        reasons.append(f"platform: {name} ('{surface}')")

    # the reference path scans the whole text with every regex; the fast one only where its words start
    scan = prefilter.TextScan(full, _head_index() if use_fast else None)
    search = scan.search
    hits = _legal_hits(full, scan)
    labels: dict[str, int] = {}
    for _, _, label, weight, _ in hits:
        labels[label] = max(labels.get(label, 0), weight)
    seen_words: set[str] = set()
    for _, _, label, weight, word in sorted(hits, key=lambda h: -h[3]):
        key = word.lower()
        if weight >= 1 and key not in seen_words and len(seen_words) < 6:
            seen_words.add(key)
            reasons.append(f"action: {label} ('{word}')")

    counterparties = ex.find_counterparties(full, fast=use_fast)
    for c in counterparties[:4]:
        reasons.append(f"party: {c}")
    docket = ex.find_docket(full)
    court = ex.find_court(full)
    subjects = ex.find_subjects(full, docket)

    score = 0.0
    party = executive = False
    if platforms and hits:
        strongest = max(h[3] for h in hits)
        score += {3: 0.45, 2: 0.3, 1: 0.1}.get(strongest, 0.0)
        if sum(1 for w in labels.values() if w >= 2) >= 2:
            score += 0.1
        strong_spans = [(s, e) for s, e, _, w, _ in hits if w >= 2]
        near = any(
            abs(m.start - s) <= _NEAR or abs(m.end - e) <= _NEAR for m in mentions for s, e in strong_spans
        )
        if near:
            score += 0.2
            reasons.append("platform and legal action mentioned together")
        for name in platforms:
            tpl = pt.TEMPLATES[name]
            m = next((m for rx in tpl.party for m in [search(rx)] if m), None)
            if m and not party:
                party = True
                reasons.append(f"party position: '{m.group(0)}'")
            if any(search(rx) for rx in tpl.executive):
                executive = True
        if party:
            score += 0.3
        if executive and labels.get("criminal_charge", 0) >= 2:
            score += 0.3
            reasons.append("platform executive charged")
        if search(pt.AUTHORITY):
            score += 0.1

        venue_only = not party and not executive and all(
            any(search(rx) for rx in pt.TEMPLATES[name].venue) for name in platforms
        )
        # the search last: a party or executive settles it, and it is a full scan (no word heads)
        if not executive and not party and search(pt.PERSON_ACCUSED):
            score -= 0.5
            reasons.append("against: a person is accused, the platform is the venue")
        elif venue_only:
            score -= 0.3
            reasons.append("against: platform named only as where speech happened")
        if search(pt.LEGISLATIVE) and not search(pt.HARD_ACTION):
            score -= 0.5
            reasons.append("against: lawmaking or hearing, no legal action")
        if search(pt.TRANSPARENCY) and search(pt.STATISTIC) and labels.get("lawsuit", 0) < 3:
            score -= 0.6
            reasons.append("against: aggregate transparency statistics")

    score = round(max(0.0, min(1.0, score)), 3)
    relevant = bool(platforms) and score >= THRESHOLD
    action = _pick_action(labels, executive) if relevant else None
    # only a relevant article carries a stage, and the stage cues are a dozen full-text scans
    stage = ex.find_stage(title, summary, scan if use_fast else None) if relevant else None
    return Detection(
        relevant=relevant,
        score=score,
        platforms=platforms,
        counterparties=counterparties,
        action=action,
        stage=(stage or Stage.OTHER) if relevant else None,  # a relevant article always has a stage
        court=court,
        docket=docket,
        subjects=subjects,
        reasons=tuple(reasons),
    )
