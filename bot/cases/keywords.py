"""The distinctive words of an article, the evidence grouping compares most (pure functions).

Names (capitalised words, countries and their adjectives) carry a ``^`` mark and count more; legal and
procedural vocabulary is dropped, because every dispute has hearings, rulings and appeals.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.detect import patterns as pt
from bot.detect.extract import normalize
from bot.detect.lexicons import COUNTRIES, STOPWORDS
from bot.models import ArticleText, Detection

MAX_KEYWORDS = 80
PROPER_PREFIX = "^"  # keywords from capitalised words carry this mark: names are stronger evidence
_LEGAL_WORDS = re.compile(
    r"^(?:su\w*|court\w*|judge\w*|rul\w*|order\w*|law\w*|legal\w*|appeal\w*|fil\w*|subpoena\w*|summons\w*|"
    r"warrant\w*|drop\w*|withdr\w*|dismiss\w*|settle\w*|fine\w*|charge\w*|request\w*|demand\w*|decision\w*|"
    r"govt|gov't|feds?|\w+'s|"
    # procedure: every dispute has hearings, motions and injunctions; they say nothing about which one
    r"hear\w*|schedul\w*|injunct\w*|trial\w*|motion\w*|evidentiar\w*|complaint\w*|plaintiff\w*|"
    r"defendant\w*|lawyer\w*|counsel\w*|petition\w*|verdict\w*|jur(?:y|ies|or\w*)|testi\w*|judg\w*|"
    r"argu\w*|brief\w*|proceed\w*|litigat\w*|contempt\w*|stay\w*|review\w*|final\w*)$"
)
# A country or its adjective ("nigeria", "nigerian", "french"): a weak name, shared by all its disputes.
_COUNTRY_WORD = re.compile(
    "|".join(f"(?:{rx})" for forms in COUNTRIES.values() for rx in forms if rx), re.IGNORECASE
)
_COUNTRY_FORMS = tuple(
    (re.compile(f"(?:{rx})", re.IGNORECASE), name.lower())
    for name, forms in COUNTRIES.items()
    for rx in forms
    if rx
)


@lru_cache(maxsize=8192)
def country_key(word: str) -> str | None:
    """The country a word names or describes ("irish" -> "ireland"), else None."""
    if not _COUNTRY_WORD.fullmatch(word):
        return None
    return next((key for rx, key in _COUNTRY_FORMS if rx.fullmatch(word)), None)


_SUFFIX = re.compile(r"(?:'s|ies|es|s|ed|ing|ly)$")


def _stem(word: str) -> str:
    """Crude plural/tense folding so "customers" meets "customer" and "emails" meets "email"."""
    stem = _SUFFIX.sub("", word) if len(word) > 5 else word.removesuffix("s")
    return stem or word


@lru_cache(maxsize=65536)
def _name_key(part: str) -> str:
    """The keyword of a lowercase part of a capitalised name: its country or its stem, marked as a name."""
    return PROPER_PREFIX + (country_key(part) or _stem(part))


@lru_cache(maxsize=65536)
def _word_key(word: str) -> str | None:
    """The keyword of a lowercase word: None for stopwords and legal vocabulary (every dispute has them),
    a marked name for a country or its adjective ("Irish" in a headline and "Ireland" in a summary are
    one name), else its stem. Cached: news reuses its vocabulary, and this ran per word per article."""
    if word in STOPWORDS or _LEGAL_WORDS.match(word):
        return None
    place = country_key(word)
    return PROPER_PREFIX + place if place else _stem(word)


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
                names.append(_name_key(part))
    words: list[str] = []
    word_key = _word_key
    for w in pt.WORD.findall(full.lower()):
        if w in skip:
            continue
        key = word_key(w)
        if key is None:
            continue
        if key[:1] == PROPER_PREFIX:
            names.append(key)
        else:
            words.append(key)
    out = list(dict.fromkeys(names))
    name_set = {n[1:] for n in out}
    out += [w for w in dict.fromkeys(words) if w not in name_set]
    return tuple(out[:MAX_KEYWORDS])
