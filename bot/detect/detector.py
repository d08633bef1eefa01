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
from dataclasses import dataclass

from bot.detect import extract as ex
from bot.detect import issues, model, prefilter, stages
from bot.detect import patterns as pt
from bot.models import Action, ArticleText, Detection, Stage

logger = logging.getLogger(__name__)

LEDE_CHARS = 600  # how much of a body is evidence: the corpus items a model is fitted on carry <= 564 chars
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
    regexes += [pt.HARD_ACTION, pt.TRANSPARENCY, pt.STATISTIC, pt.PERSON_ACCUSED, pt.SPEECH_OFFENCE]
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


def _lede(summary: str) -> str:
    """The opening of a body: the news is stated there, and a whole article (some feeds carry one)
    names every platform and legal word of its background, which no headline-and-lede report does."""
    if len(summary) <= LEDE_CHARS:
        return summary
    cut = summary.rfind(" ", 0, LEDE_CHARS)
    return summary[: cut if cut > 0 else LEDE_CHARS]


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the text says, before any weight is applied: the features the fitted model scores, the
    reasons a reader sees, and the facts (parties, court, docket, subjects) the rest of the core uses."""

    features: dict[str, float]
    reasons: tuple[str, ...]
    platforms: tuple[str, ...]
    counterparties: tuple[str, ...]
    labels: dict[str, int]
    executive: bool
    court: str | None
    docket: str | None
    subjects: tuple[str, ...]
    title: str
    summary: str
    scan: prefilter.TextScan | None


def evidence(text: ArticleText, *, fast: bool | None = None) -> Evidence | None:
    """The evidence of one article; None when it names no platform (then it cannot be relevant).

    ``fast`` (default ``prefilter.ENABLED``) first asks the prefilter whether any platform can be named
    at all, which settles most feed items in microseconds; ``fast=False`` is the reference path, which
    must give the same result for every input.
    """
    use_fast = prefilter.ENABLED if fast is None else fast
    if use_fast and not prefilter.may_name_platform(text.title, text.summary):
        return None
    title = ex.normalize(text.title)
    summary = _lede(ex.normalize(text.summary))
    full = f"{title}. {summary}" if title else summary
    reasons: list[str] = []

    mentions = ex.find_platforms(full, fast=use_fast)
    if any(m.form != "platforms as a class" for m in mentions):
        # "social media companies" beside a named platform says nothing more about who the party is,
        # and as a grouping key it would put every such report in one shortlist
        mentions = [m for m in mentions if m.form != "platforms as a class"]
    platforms = ex.ordered_unique([m.platform for m in mentions])
    if not platforms:
        # Relevance needs a platform party; skipping the other extractors makes the ordinary news that
        # is most of every feed cheap (about 7x faster on the real-feed snapshots).
        return None
    surfaces: dict[str, str] = {}
    for m in mentions:
        surfaces.setdefault(m.platform, m.surface)
    for name in platforms:
        how = next((m.form for m in mentions if m.platform == name and m.form), None)
        reasons.append(f"platform: {name} ('{surfaces[name]}'" + (f", from context: {how})" if how else ")"))

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

    f: dict[str, float] = {}
    party = executive = False
    title_end = len(title)
    if platforms and hits:
        strongest = max(h[3] for h in hits)
        if strongest >= 1:
            f[f"legal:{min(strongest, 3)}"] = 1.0
        if sum(1 for w in labels.values() if w >= 2) >= 2:
            f["legal:two_kinds"] = 1.0
        if title and any(s < title_end and w >= 2 for s, _, _, w, _ in hits):
            f["legal:in_title"] = 1.0
        strong_spans = [(s, e) for s, e, _, w, _ in hits if w >= 2]
        near = any(
            abs(m.start - s) <= _NEAR or abs(m.end - e) <= _NEAR for m in mentions for s, e in strong_spans
        )
        if near:
            f["near"] = 1.0
            reasons.append("platform and legal action mentioned together")
        for name in platforms:
            tpl = pt.templates_for(name, surfaces[name])
            pm = next((hit for rx in tpl.party for hit in [search(rx)] if hit), None)
            if pm and not party:
                party = True
                reasons.append(f"party position: '{pm.group(0)}'")
            if any(search(rx) for rx in tpl.executive):
                executive = True
        if party:
            f["party"] = 1.0
        elif not executive:
            f["no_party"] = 1.0  # the platform is named but never as a side of the legal action
        if executive and labels.get("criminal_charge", 0) >= 2:
            f["executive_charged"] = 1.0
            reasons.append("platform executive charged")
        if search(pt.AUTHORITY):
            f["authority"] = 1.0

        venue_only = not party and not executive and all(
            any(search(rx) for rx in pt.templates_for(name, surfaces[name]).venue) for name in platforms
        )
        # the search last: a party or executive settles it, and it is a full scan (no word heads)
        if not executive and not party and search(pt.PERSON_ACCUSED):
            f["against:person_accused"] = 1.0
            reasons.append("against: a person is accused, the platform is the venue")
        elif venue_only:
            f["against:venue_only"] = 1.0
            reasons.append("against: platform named only as where speech happened")
        if search(pt.LEGISLATIVE):
            f["lawmaking"] = 1.0
            if not search(pt.HARD_ACTION):
                f["against:lawmaking"] = 1.0
                reasons.append("against: lawmaking or hearing, no legal action")
        if search(pt.SPEECH_OFFENCE):
            f["against:speech_offence"] = 1.0
            reasons.append("against: someone prosecuted over what they posted")
        if search(pt.TRANSPARENCY) and search(pt.STATISTIC) and labels.get("lawsuit", 0) < 3:
            f["against:statistics"] = 1.0
            reasons.append("against: aggregate transparency statistics")
    if title and any(m.start < title_end for m in mentions):
        f["platform:in_title"] = 1.0
    if counterparties:
        f["counterparty"] = 1.0
    # "Doe v. Lyft, Inc.", "Twitter v. Holder": the platform is a named party of a case caption
    for cm in pt.CASE_NAME.finditer(full):
        if any(cm.start() <= m.start < cm.end() for m in mentions):
            f["caption_party"] = 1.0
            reasons.append(f"case caption: '{cm.group(0)}'")
            break
    listed = {m.platform for m in mentions if m.form is None}
    if not listed:
        forms = {m.form for m in mentions}
        if forms == {"platforms as a class"}:
            f["platform:generic_only"] = 1.0
        elif forms == {"case caption"}:
            f["platform:caption_only"] = 1.0
        else:
            f["platform:context_only"] = 1.0
    if docket:
        f["docket"] = 1.0
    if court:
        f["court"] = 1.0
    return Evidence(
        features=f,
        reasons=tuple(reasons),
        platforms=platforms,
        counterparties=counterparties,
        labels=labels,
        executive=executive,
        court=court,
        docket=docket,
        subjects=subjects,
        title=title,
        summary=summary,
        scan=scan if use_fast else None,
    )


def detect(text: ArticleText, *, fast: bool | None = None) -> Detection:
    """The detection of one article: its evidence scored by the fitted model (``bot.detect.model``)."""
    ev = evidence(text, fast=fast)
    if ev is None:
        return _NO_PLATFORM
    models = model.current()
    score = round(models.relevance.probability(ev.features), 3)
    # a legal dispute needs legal evidence: some legal word, or a docket number; the weights alone
    # (a platform and an agency named together) never make an article relevant
    relevant = score >= models.relevance.threshold and (bool(ev.labels) or ev.docket is not None)
    # A docket entry whose case caption names the platform as a party is, by definition, a legal dispute
    # with the platform as a party: a rule from the definition, since news corpora hold too few docket
    # entries to fit their weight ("1:17-cv-09116 Doe v. Lyft, Inc. [Memo Endorsement]").
    docket_entry = (
        "docket" in ev.features
        and "caption_party" in ev.features
        and not relevant
        # a listed platform: a caption company recognised only from context may be anything
        and not ({"platform:caption_only", "platform:context_only", "platform:generic_only"} & ev.features.keys())
    )
    if docket_entry:
        relevant = True
    action = (_pick_action(ev.labels, ev.executive) or Action.LAWSUIT) if relevant else None
    # only a relevant article carries a stage, and the stage cues are a dozen full-text scans
    stage = stages.predict(ev.title, ev.summary, ev.scan, models.stage) if relevant else None
    tags = issues.issues_of(ev.title, ev.summary) if relevant else ()
    top = ", ".join(f"{name} {w:+.1f}" for name, w in models.relevance.contributions(ev.features)[:4])
    verdict = f"score {score:.2f} ({'at or above' if relevant else 'below'} {models.relevance.threshold:.2f}): {top}"
    if docket_entry:
        verdict = f"docket entry naming the platform as a party (score {score:.2f}, below the cut)"
    return Detection(
        relevant=relevant,
        score=score,
        platforms=ev.platforms,
        counterparties=ev.counterparties,
        action=action,
        stage=(stage or Stage.OTHER) if relevant else None,  # a relevant article always has a stage
        court=ev.court,
        docket=ev.docket,
        subjects=ev.subjects,
        reasons=(*ev.reasons, *(t.reason() for t in tags), verdict),
        issues=tuple(t.key for t in tags),
    )
