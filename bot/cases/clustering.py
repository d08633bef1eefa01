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
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from bot.cases.titles import make_title
from bot.detect import patterns as pt
from bot.detect.extract import normalize
from bot.detect.lexicons import COUNTRIES, STOPWORDS
from bot.models import Action, ArticleText, Case, Detection, Stage

logger = logging.getLogger(__name__)

MATCH_THRESHOLD = 0.7
MAX_KEYWORDS = 80
MAX_SUBJECTS = 24
_PROPER_PREFIX = "^"  # keywords from capitalised words carry this mark: names are stronger evidence

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
}
# Counterparties too generic to say two articles are about one dispute.
_GENERIC_PARTIES = frozenset({"US government", "EU", "US Supreme Court", "Congress"})
# Distinct legal instruments: a subpoena fight and a warrant fight of one platform are two disputes.
_INSTRUMENTS = frozenset({Action.SUMMONS, Action.SUBPOENA, Action.WARRANT, Action.NSL, Action.GAG_ORDER})
_LEGAL_WORDS = re.compile(
    r"^(?:su\w*|court\w*|judge\w*|rul\w*|order\w*|law\w*|legal\w*|appeal\w*|fil\w*|subpoena\w*|summons\w*|"
    r"warrant\w*|drop\w*|withdr\w*|dismiss\w*|settle\w*|fine\w*|charge\w*|request\w*|demand\w*|decision\w*|"
    r"govt|gov't|feds?|\w+'s)$"
)
_COUNTRY_NAMES = frozenset(COUNTRIES)


def platform_key(name: str) -> str:
    low = name.strip().lower()
    return _PLATFORM_KEY_ALIASES.get(low, low)


def platform_keys(platforms: Iterable[str]) -> frozenset[str]:
    """Lowercase identity keys; Twitter and X (and X Corp) share one, as do Facebook and Meta."""
    return frozenset(platform_key(p) for p in platforms if p.strip())


_SUFFIX = re.compile(r"(?:'s|ies|es|s|ed|ing|ly)$")


def _stem(word: str) -> str:
    """Crude plural/tense folding so "customers" meets "customer" and "emails" meets "email"."""
    stem = _SUFFIX.sub("", word) if len(word) > 5 else word.removesuffix("s")
    return stem or word


def keywords_of(text: ArticleText, det: Detection) -> tuple[str, ...]:
    """Distinctive words of an article: names marked with ``^``, then other content words."""
    title, summary = normalize(text.title), normalize(text.summary)
    full = f"{title}. {summary}"
    skip = {p.lower() for p in det.platforms} | {"x"}
    names: list[str] = []
    # In a Title Case Headline every word looks like a name: only trust capitals in running text then.
    words_t = title.split()
    title_case = len(words_t) > 3 and sum(w[:1].isupper() for w in words_t) / len(words_t) > 0.6
    for m in pt.PROPER_NOUN.finditer(summary if title_case else full):
        for part in m.group(0).lower().replace("-", " ").split():
            if part not in STOPWORDS and part not in skip and len(part) > 2:
                names.append(_PROPER_PREFIX + _stem(part))
    words = [
        _stem(w) for w in pt.WORD.findall(full.lower())
        if w not in STOPWORDS and w not in skip and not _LEGAL_WORDS.match(w)
    ]
    out = list(dict.fromkeys(names))
    name_set = {n[1:] for n in out}
    out += [w for w in dict.fromkeys(words) if w not in name_set]
    return tuple(out[:MAX_KEYWORDS])


def _years_outside(at: datetime | None, case: Case) -> float:
    """Years between the article's date and the span of dates the case already covers."""
    lo = case.opened_at or case.updated_at
    hi = case.updated_at or case.opened_at
    if at is None or lo is None or hi is None:
        return 0.0
    if lo <= at <= hi:
        return 0.0
    edge = lo if at < lo else hi
    return abs((at - edge).total_seconds()) / (365.25 * 86400)


def _actions_conflict(a: Action | None, b: Action) -> bool:
    return a is not None and a != b and a in _INSTRUMENTS and b in _INSTRUMENTS


def match_score(text: ArticleText, det: Detection, case: Case, kw: tuple[str, ...] | None = None) -> float:
    """How strongly the article belongs to ``case`` (higher is surer); see the module docstring."""
    if not platform_keys(det.platforms) & platform_keys(case.platforms):
        return 0.0
    score = 0.0
    hard = False
    if det.docket and case.docket and det.docket.lower() == case.docket.lower():
        score += 3.0
        hard = True
    shared_subjects = set(det.subjects) & set(case.subjects)
    if shared_subjects:
        score += min(3.0, 1.5 * len(shared_subjects))
        hard = True
    names_here = {s for s in det.subjects if " v. " in s}
    names_there = {s for s in case.subjects if " v. " in s}
    if names_here and names_there and not names_here & names_there:
        score -= 1.0  # "Epic v. Apple" and "FBI v. Apple" are two cases
    specific = {c for c in det.counterparties if c not in _GENERIC_PARTIES}
    shared_parties = specific & set(case.counterparties)
    score += min(1.5, 0.75 * len(shared_parties))
    case_specific = set(case.counterparties) - _GENERIC_PARTIES
    if specific and case_specific and not shared_parties:
        score -= 0.5  # someone else entirely on the other side
    kw = kw if kw is not None else keywords_of(text, det)
    case_kw = set(case.keywords)
    shared = [k for k in kw if k in case_kw]
    names = sum(1 for k in shared if k.startswith(_PROPER_PREFIX))
    score += min(2.5, 0.5 * names) + min(1.5, 0.2 * (len(shared) - names))
    if det.action is not None and det.action == case.action:
        score += 0.4
    elif _actions_conflict(det.action, case.action):
        score -= 0.8
    gap = _years_outside(text.published, case)
    if text.published is not None and case.updated_at is not None and gap * 365.25 <= 45:
        score += 0.4  # reported within weeks of the case's other news
    if gap > 2.5 and not hard:
        score -= 1.5
    elif gap > 1.2 and not hard:
        score -= 0.5
    return score


def find_case(text: ArticleText, det: Detection, candidates: Sequence[Case]) -> Case | None:
    """The candidate case this article reports on, or None when it is a new dispute.

    Candidates come most recently updated first; on a tie the more recent one wins.
    """
    if not candidates:
        return None
    kw = keywords_of(text, det)
    best: Case | None = None
    best_score = MATCH_THRESHOLD
    for case in candidates:
        s = match_score(text, det, case, kw)
        if s > best_score + 1e-9:
            best, best_score = case, s
    return best


def case_id_for(seed_key: str) -> str:
    return "c" + hashlib.sha1(seed_key.encode("utf-8")).hexdigest()[:10]


def open_case(text: ArticleText, det: Detection, seed_key: str, at: datetime) -> Case:
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
        keywords=keywords_of(text, det),
        opened_at=at,
        updated_at=at,
        article_count=1,
    )


def _union(a: Sequence[str], b: Sequence[str], cap: int) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*a, *b]))[:cap]


def _merge_keywords(old: Sequence[str], new: Sequence[str]) -> tuple[str, ...]:
    """Words seen again first (they describe the dispute), then the old, then the new; capped."""
    new_set = set(new)
    again = [k for k in old if k in new_set]
    rest_old = [k for k in old if k not in new_set]
    old_set = set(old)
    fresh = [k for k in new if k not in old_set]
    return tuple([*again, *rest_old, *fresh][:MAX_KEYWORDS])


def absorb(case: Case, text: ArticleText, det: Detection, at: datetime) -> Case:
    """The case updated with one more article (deterministic: same inputs, same case)."""
    counterparties = _union(case.counterparties, det.counterparties, 12)
    subjects = _union(case.subjects, det.subjects, MAX_SUBJECTS)
    action = case.action
    if action in (Action.OTHER, Action.LAWSUIT) and det.action not in (None, Action.OTHER, Action.LAWSUIT):
        action = det.action  # a specific instrument (summons, warrant...) says more than "lawsuit"
    platforms = _union(case.platforms, det.platforms, 8)
    updated = at if case.updated_at is None or at > case.updated_at else case.updated_at
    opened = at if case.opened_at is None or at < case.opened_at else case.opened_at
    return replace(
        case,
        title=make_title(platforms, counterparties, action, subjects, case.title),
        action=action,
        platforms=platforms,
        counterparties=counterparties,
        court=case.court or det.court,
        docket=case.docket or det.docket,
        subjects=subjects,
        keywords=_merge_keywords(case.keywords, keywords_of(text, det)),
        opened_at=opened,
        updated_at=updated,
        article_count=case.article_count + 1,
    )
