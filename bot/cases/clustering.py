"""Group articles from many outlets into one case per legal dispute (pure functions).

Two articles belong together when they are about the same dispute: the same platform (the candidate
list already guarantees that) and the same subject (an account, a device, a law, a docket), the same
counterparty, and overlapping distinctive words. Two disputes of one platform stay apart because their
subjects, counterparties and words differ, and because disputes years apart need hard evidence (a
shared docket or subject) to be joined.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from bot.cases.keywords import MAX_KEYWORDS, PROPER_PREFIX, country_key, keywords_of
from bot.cases.titles import make_title
from bot.detect.issues import add_counts, tally
from bot.detect.lexicons import COUNTRIES, PARTY_STATES
from bot.models import Action, ArticleText, Case, Detection, Stage

logger = logging.getLogger(__name__)

MATCH_THRESHOLD = 0.7
CONTENT_FLOOR = 0.6  # what the sides must share (words, names, parties) before dates and actions count
STATE_CONFLICT = 1.5
# A name counts as a plain word when at least this many, and this share, of the shortlist carry it.
COMMON_MIN_CASES = 3
COMMON_SHARE = 0.25
MAX_SUBJECTS = 24

# Identity keys: names of one company that storage must index under one key.
_PLATFORM_KEY_ALIASES: dict[str, str] = {
    "x": "twitter",
    "x corp": "twitter",
    "x corp.": "twitter",
    "twitter": "twitter",
    "meta": "facebook",
    "meta platforms": "facebook",
    "facebook": "facebook",
    "alphabet": "google",
    "wikimedia foundation": "wikipedia",  # the foundation is Wikipedia's party in court
}
# Counterparties too generic to say two articles are about one dispute.
_VENUE = re.compile(r"\b(?:Court|Circuit|Tribunal)\b")
_GENERIC_PARTIES = frozenset({"US government", "EU", "US Supreme Court", "Congress"})
# Distinct legal instruments: a subpoena fight and a warrant fight of one platform are two disputes.
_INSTRUMENTS = frozenset({Action.SUMMONS, Action.SUBPOENA, Action.WARRANT, Action.NSL, Action.GAG_ORDER})
_STATES = frozenset(COUNTRIES)
# Subjects that are the platform's own products: every dispute over the iPhone or the App Store shares them
# (the FBI's 2016 unlocking order and the 2024 antitrust suit against Apple), so they weigh as a name and
# are not the hard evidence that joins reports years apart or across governments.
_PRODUCT = re.compile(r"iphone(?: \w+)?|fortnite|app store|play store|chrome|encryption")
PRODUCT_WEIGHT = 0.5


def platform_key(name: str) -> str:
    low = name.strip().lower()
    return _PLATFORM_KEY_ALIASES.get(low, low)


def platform_keys(platforms: Iterable[str]) -> frozenset[str]:
    """Lowercase identity keys; Twitter and X (and X Corp) share one, as do Facebook and Meta."""
    return frozenset(platform_key(p) for p in platforms if p.strip())


@dataclass(frozen=True, slots=True)
class Profile:
    """The evidence one side of a comparison brings: an article (a one-day span) or a whole case.

    The derived sets are computed once here, because one article is compared with 200 candidates.
    """

    platforms: frozenset[str]
    primary: str | None  # the platform named first: the party, where the others are often context
    subjects: frozenset[str]
    counterparties: frozenset[str]
    docket: str | None
    keywords: frozenset[str]
    action: Action | None
    first: datetime | None  # the span of dates the side covers
    last: datetime | None
    specific: frozenset[str] = frozenset()  # counterparties that say who the dispute is with
    opponents: frozenset[str] = frozenset()  # specific counterparties that are not a court (the venue)
    case_names: frozenset[str] = frozenset()  # "X v. Y" subjects
    names: frozenset[str] = frozenset()  # ^name keywords
    strong_names: frozenset[str] = frozenset()  # ^name keywords that are not a country
    states: frozenset[str] = frozenset()  # countries among the counterparties (governments acting)
    products: frozenset[str] = frozenset()  # subjects that are a product of the platform ("iphone", "app store")

    @property
    def dated(self) -> bool:
        return self.first is not None and self.last is not None


def _profile(
    platforms: Iterable[str],
    subjects: Iterable[str],
    counterparties: Iterable[str],
    docket: str | None,
    keywords: Iterable[str],
    action: Action | None,
    first: datetime | None,
    last: datetime | None,
) -> Profile:
    parties = frozenset(counterparties)
    subject_set = frozenset(subjects)
    specific = parties - _GENERIC_PARTIES
    kw = frozenset(keywords)
    names = frozenset(k for k in kw if k[:1] == PROPER_PREFIX)
    names_in_order = [platform_key(p) for p in platforms if p.strip()]
    return Profile(
        platforms=frozenset(names_in_order),
        primary=names_in_order[0] if names_in_order else None,
        subjects=frozenset(s for s in subject_set if not _PRODUCT.fullmatch(s)),
        counterparties=parties,
        docket=docket.lower() if docket else None,
        keywords=kw,
        action=action,
        first=first,
        last=last,
        specific=specific,
        opponents=frozenset(c for c in specific if not _VENUE.search(c)),
        case_names=frozenset(s for s in subject_set if " v. " in s),
        names=names,
        strong_names=frozenset(k for k in names if country_key(k[1:]) is None),
        states=(parties & _STATES) | {PARTY_STATES[p] for p in parties if p in PARTY_STATES},
        products=frozenset(s for s in subject_set if _PRODUCT.fullmatch(s)),
    )


def article_profile(text: ArticleText, det: Detection, kw: Sequence[str] | None = None) -> Profile:
    return _profile(
        det.platforms,
        det.subjects,
        det.counterparties,
        det.docket,
        kw if kw is not None else keywords_of(text, det),
        det.action,
        text.published,
        text.published,
    )


class _ProfileCache:
    """Profiles of recently seen ``Case`` objects, by identity.

    The storage layer hands back the very same ``Case`` object while its row is unchanged, so identity
    is enough and far cheaper than hashing every field of a case (an ``lru_cache`` over cases spent
    more time in ``Case.__hash__``/``__eq__`` than building profiles). Each entry keeps its case alive,
    so an ``id()`` is never reused while it is cached; any other (new or changed) case object misses.
    """

    def __init__(self, maxsize: int = 4096) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[int, tuple[Case, Profile]] = OrderedDict()

    def get(self, case: Case) -> Profile:
        key = id(case)
        hit = self._entries.get(key)
        if hit is not None and hit[0] is case:
            self._entries.move_to_end(key)
            return hit[1]
        profile = _profile(
            case.platforms,
            case.subjects,
            case.counterparties,
            case.docket,
            case.keywords,
            case.action,
            # a case's dates are those of its dated reports (opened_at is None when it has none)
            case.opened_at,
            case.updated_at if case.opened_at is not None else None,
        )
        self._entries[key] = (case, profile)
        if len(self._entries) > self.maxsize:
            self._entries.popitem(last=False)
        return profile

    def clear(self) -> None:
        self._entries.clear()


_PROFILES = _ProfileCache()


def case_profile(case: Case) -> Profile:
    """The profile of a stored case; cached, since one case meets every new article of its platform."""
    return _PROFILES.get(case)


def years_apart(a: Profile, b: Profile) -> float:
    """Years between the two date spans (0 when they overlap or either side is undated)."""
    if a.first is None or a.last is None or b.first is None or b.last is None:
        return 0.0
    if a.last < b.first:
        delta = b.first - a.last
    elif b.last < a.first:
        delta = a.first - b.last
    else:
        return 0.0
    return delta.total_seconds() / (365.25 * 86400)


def common_names(side: Profile, others: Iterable[Profile]) -> frozenset[str]:
    """The names of ``side`` that many of the other cases of its platforms carry too: an owner or an
    executive ("Musk" in X's disputes), a politician who fights every platform. Against this shortlist
    they say which platform, not which dispute, so :func:`evidence_score` counts them as plain words."""
    if not side.names:
        return frozenset()
    pool = list(others)
    bar = max(COMMON_MIN_CASES, COMMON_SHARE * len(pool))
    counts = dict.fromkeys(side.names, 0)
    for p in pool:
        for n in side.names & p.keywords:
            counts[n] += 1
    return frozenset(n for n, c in counts.items() if c >= bar)


def evidence_score(a: Profile, b: Profile, common: frozenset[str] = frozenset()) -> float:
    """How strongly two profiles describe one dispute (higher is surer); see the module docstring.

    Shared content (docket, subjects, opponents, names, words) is the evidence; same action and nearby
    dates only corroborate it, and conflicts (another opponent, another "X v. Y", another legal
    instrument, years apart without named evidence) count against it.
    """
    if a.platforms.isdisjoint(b.platforms):
        return 0.0
    if (a.primary and a.primary not in b.platforms) or (b.primary and b.primary not in a.platforms):
        return 0.0  # US v. Google and Epic v. Apple (which names Google too) share a name, not a party
    same_docket = a.docket is not None and a.docket == b.docket
    shared_subjects = len(a.subjects & b.subjects) if a.subjects and b.subjects else 0
    hard = same_docket or shared_subjects > 0
    shared = a.keywords & b.keywords
    shared_parties = len(a.specific & b.specific) if a.specific and b.specific else 0
    if not (hard or shared_parties) and len(shared) < 2:
        return 0.0  # one shared word is below CONTENT_FLOOR: the common case among 200 candidates
    names = len(a.names & shared - common) if common else len(a.names & shared)
    # min() spelled out: this line runs for every candidate that shares content (hundreds per article)
    name_part, word_part, party_part = 0.5 * names, 0.2 * (len(shared) - names), 0.75 * shared_parties
    score = (
        (name_part if name_part < 2.5 else 2.5)
        + (word_part if word_part < 1.5 else 1.5)
        + (party_part if party_part < 1.5 else 1.5)
    )
    if same_docket:
        score += 3.0
    if shared_subjects:
        score += min(3.0, 1.5 * shared_subjects)
    if a.products and b.products and not a.products.isdisjoint(b.products):
        score += PRODUCT_WEIGHT
    if score < CONTENT_FLOOR:
        # Same action, same weeks: true of many unrelated disputes of a busy platform. Corroboration only.
        return 0.0
    if a.case_names and b.case_names and a.case_names.isdisjoint(b.case_names):
        score -= 1.0  # "Epic v. Apple" and "FBI v. Apple" are two cases
    if a.states and b.states and a.states.isdisjoint(b.states):
        if not hard:
            return 0.0  # Brazil's order and Australia's order against one platform: two disputes
        score -= STATE_CONFLICT
    elif a.opponents and b.opponents and a.opponents.isdisjoint(b.opponents):
        score -= 0.5  # someone else entirely on the other side (a court is the venue, not a side)
    same_action = a.action is not None and a.action == b.action
    if same_action:
        score += 0.4
    elif a.action in _INSTRUMENTS and b.action in _INSTRUMENTS:
        score -= 0.8  # two different legal instruments (None is not one)
    gap = years_apart(a, b)
    if gap * 365.25 <= 45 and a.first is not None and b.first is not None:
        score += 0.4  # reported within weeks of the other news (both sides dated: first and last set together)
    # Dates alone cannot tell a long-running dispute from a new one (and feeds misdate re-surfaced pages),
    # so years apart only count against matches that lack named evidence: a subject or docket, two shared
    # names that are not countries, or the same specific opponent in the same kind of action.
    if gap > 1.2 and not hard and not (shared_parties and same_action) and len(a.strong_names & shared - common) < 2:
        score -= 1.5 if gap > 2.5 else 0.5
    return score


def match_score(text: ArticleText, det: Detection, case: Case, kw: tuple[str, ...] | None = None) -> float:
    """How strongly the article belongs to ``case`` (higher is surer); see the module docstring."""
    return evidence_score(article_profile(text, det, kw), case_profile(case))


def case_profiles(cases: Iterable[Case]) -> dict[str, Profile]:
    """Profiles by case id, built once per article and shared by find_case and the merge check."""
    return {c.id: case_profile(c) for c in cases}


def find_case(
    text: ArticleText,
    det: Detection,
    candidates: Sequence[Case],
    *,
    profiles: Mapping[str, Profile] | None = None,
    keywords: Sequence[str] | None = None,
) -> Case | None:
    """The candidate case this article reports on, or None when it is a new dispute.

    Candidates come most recently updated first; on a tie the more recent one wins. ``keywords`` are
    the article's (``keywords_of``) when the caller has them already.
    """
    if not candidates:
        return None
    article = article_profile(text, det, keywords)
    best: Case | None = None
    best_score = MATCH_THRESHOLD
    cached = profiles or {}
    sides = [(case, cached.get(case.id) or case_profile(case)) for case in candidates]
    common = common_names(article, (p for _, p in sides))
    for case, profile in sides:
        s = evidence_score(article, profile, common)
        if s > best_score + 1e-9:
            best, best_score = case, s
    if best is not None:
        logger.debug("%r joins %s (score %.2f)", text.title[:60], best.id, best_score)
    return best


def case_id_for(seed_key: str) -> str:
    return "c" + hashlib.sha1(seed_key.encode("utf-8")).hexdigest()[:10]


def open_case(
    text: ArticleText, det: Detection, seed_key: str, at: datetime, keywords: Sequence[str] | None = None
) -> Case:
    """A new case seeded by one article; the id is stable for a given ``seed_key``."""
    action = det.action or Action.OTHER
    stage = det.stage or Stage.OTHER
    return Case(
        id=case_id_for(seed_key),
        title=make_title(det.platforms, det.counterparties, action, det.subjects, text.title),
        status=stage,
        action=action,
        platforms=det.platforms,
        counterparties=det.counterparties,
        court=det.court,
        docket=det.docket,
        subjects=det.subjects[:MAX_SUBJECTS],
        keywords=tuple(keywords) if keywords is not None else keywords_of(text, det),
        # an undated report says when it was fetched, not when anything happened: no opening date
        opened_at=text.published,
        updated_at=at,
        article_count=1,
        issue_counts=tally(det.issues),
    )


def union(a: Sequence[str], b: Sequence[str], cap: int) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*a, *b]))[:cap]


def merge_keywords(old: Sequence[str], new: Sequence[str]) -> tuple[str, ...]:
    """Words seen again first (they describe the dispute), then the old, then the new; capped."""
    new_set = set(new)
    again = [k for k in old if k in new_set]
    rest_old = [k for k in old if k not in new_set]
    old_set = set(old)
    fresh = [k for k in new if k not in old_set]
    return tuple([*again, *rest_old, *fresh][:MAX_KEYWORDS])


_VAGUE_ACTIONS = frozenset({Action.OTHER, Action.LAWSUIT})


def fold(
    case: Case,
    *,
    platforms: Sequence[str],
    counterparties: Sequence[str],
    subjects: Sequence[str],
    action: Action | None,
    court: str | None,
    docket: str | None,
    keywords: Sequence[str],
    first: datetime | None,
    last: datetime | None,
    articles: int,
    issue_counts: Sequence[tuple[str, int]] = (),
) -> Case:
    """``case`` with more evidence of the same dispute folded in: one article's (``absorb``) or a whole
    case's (``merge.merge_cases``). Deterministic: same inputs, same case."""
    counterparties = union(case.counterparties, counterparties, 12)
    subjects = union(case.subjects, subjects, MAX_SUBJECTS)
    platforms = union(case.platforms, platforms, 8)
    kept_action = case.action
    if kept_action in _VAGUE_ACTIONS and action is not None and action not in _VAGUE_ACTIONS:
        kept_action = action  # a specific instrument (summons, warrant...) says more than "lawsuit"
    opened, updated = _dates(case, first, last)
    return replace(
        case,
        title=make_title(platforms, counterparties, kept_action, subjects, case.title),
        action=kept_action,
        platforms=platforms,
        counterparties=counterparties,
        court=case.court or court,
        docket=case.docket or docket,
        subjects=subjects,
        keywords=merge_keywords(case.keywords, keywords),
        opened_at=opened,
        updated_at=updated,
        article_count=case.article_count + articles,
        issue_counts=add_counts(case.issue_counts, issue_counts),
    )


def _dates(case: Case, first: datetime | None, last: datetime | None) -> tuple[datetime | None, datetime | None]:
    """(opened_at, updated_at) once evidence spanning ``first``..``last`` joins ``case``.

    A case's dates are the span of its dated reports, so that "years apart" means what the reports
    say; ``opened_at`` is None while it has none, and ``updated_at`` is then the latest fetch time
    (undated evidence comes with ``first`` None). Undated evidence never moves a dated case's dates.
    """
    if first is not None:
        if case.opened_at is None:
            return first, last
        return min(case.opened_at, first), max((d for d in (case.updated_at, last) if d is not None), default=None)
    if case.opened_at is not None:
        return case.opened_at, case.updated_at
    return None, max((d for d in (case.updated_at, last) if d is not None), default=None)


def absorb(
    case: Case, text: ArticleText, det: Detection, at: datetime, keywords: Sequence[str] | None = None
) -> Case:
    """The case updated with one more article (deterministic: same inputs, same case)."""
    return fold(
        case,
        platforms=det.platforms,
        counterparties=det.counterparties,
        subjects=det.subjects,
        action=det.action,
        court=det.court,
        docket=det.docket,
        keywords=keywords if keywords is not None else keywords_of(text, det),
        first=text.published,
        last=at,
        articles=1,
        issue_counts=tally(det.issues),
    )
