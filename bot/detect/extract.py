"""Pull the facts out of an article's text: platforms, counterparties, court, docket, subjects, stage.

Pure functions over strings; the vocabulary lives in ``lexicons`` and is compiled in ``patterns``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.detect import context, prefilter
from bot.detect import lexicons as lx
from bot.detect import patterns as pt

_SPACE = re.compile(r"\s+")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def normalize(text: str) -> str:
    """One space between words and ASCII quotes/dashes, so patterns need not list every variant."""
    return _SPACE.sub(" ", text.translate(_QUOTES)).strip()


@dataclass(frozen=True, slots=True)
class Mention:
    platform: str
    start: int
    end: int
    surface: str
    form: str | None = None  # set when recognised from context (which form), None for a listed name


def _accept(p: pt.PlatformPattern, text: str, m: re.Match[str]) -> bool:
    if p.bad_after is not None and p.bad_after.match(text, m.end()):
        return False
    if p.bad_before is not None and p.bad_before.search(text[max(0, m.start() - 24) : m.start()]):
        return bool(p.name == "Amazon" and pt.AMAZON_COMPANY_AFTER.match(text, m.end()))
    return True


def x_is_platform(text: str) -> bool:
    """Whether a bare "X" in the text means the platform (X Corp, formerly Twitter), not the letter."""
    if "X" not in text:
        return False
    for rx in pt.X_CONTEXT:
        for m in rx.finditer(text):
            # find the X inside the match and check it is not OS X, Malcolm X, X-ray...
            x_at = m.group(0).rfind("X")
            pos = m.start() + x_at
            if pt.X_BAD_BEFORE.search(text[max(0, pos - 16) : pos]) or pt.X_BAD_AFTER.match(text, pos + 1):
                continue
            return True
    return False


def find_platforms(text: str, *, fast: bool | None = None) -> list[Mention]:
    """Every accepted platform mention, in text order.

    ``fast`` (default ``prefilter.ENABLED``) tries the alias regex only where an alias can start;
    ``fast=False`` is the plain scan the fast one must always agree with.
    """
    use_fast = prefilter.ENABLED if fast is None else fast
    found: list[Mention] = []
    for m in prefilter.platform_matches(text) if use_fast else pt.ANY_PLATFORM.finditer(text):
        p = pt.PLATFORMS[int(m.lastgroup[1:])]  # type: ignore[index]
        if _accept(p, text, m):
            found.append(Mention(p.name, m.start(), m.end(), m.group(0)))
    if x_is_platform(text):
        for m in pt.X_BARE.finditer(text):
            pos = m.start()
            if pt.X_BAD_BEFORE.search(text[max(0, pos - 16) : pos]) or pt.X_BAD_AFTER.match(text, pos + 1):
                continue
            found.append(Mention("X", m.start(), m.end(), "X"))
    listed = {mm.platform for mm in found}
    taken = [(mm.start, mm.end) for mm in found]
    for c in context.find(text):
        # a listed name found again by its context adds nothing; a context name inside a listed one
        # ("Google" in "Google Cloud") is the listed one
        if c.platform in listed or any(s <= c.start < e for s, e in taken):
            continue
        found.append(Mention(c.platform, c.start, c.end, c.surface, c.form))
    found.sort(key=lambda mm: mm.start)
    return found


def ordered_unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _left_edge_ok(text: str, start: int) -> bool:
    before = text[start - 1] if start else " "
    return not (before.isalnum() or before in "_-")


def _country_is_party(text: str, m: re.Match[str], *, adjective: bool) -> bool:
    """Whether a country mention names a government in the dispute (see ``lexicons.COUNTRIES``)."""
    if pt.COUNTRY_DESCRIPTOR_AFTER.match(text, m.end()):
        return False
    if pt.PLACE_BEFORE_COUNTRY.search(text, max(0, m.start() - 12), m.start()):
        return False  # "New Mexico" is a US state, "Papua New Guinea"'s neighbour is not Indonesia
    if adjective:
        return bool(pt.COUNTRY_ORGAN_AFTER.match(text, m.end()))
    if pt.DATA_LOCATION_BEFORE.search(text, max(0, m.start() - 40), m.start()):
        return False
    return not (m.start() == 0 and pt.JURISDICTION_TAG_AFTER.match(text, m.end()))


def _with_heads(
    patterns: tuple[tuple[str, re.Pattern[str]], ...], aliases: dict[str, str]
) -> tuple[tuple[str, re.Pattern[str], frozenset[str] | None], ...]:
    """Each pattern with the literal words its matches must start with (None: no such guarantee)."""
    return tuple((name, rx, prefilter.alias_heads(aliases[name])) for name, rx in patterns)


# A pattern can only match where one of its literal heads occurs: ``head in text`` (C substring search)
# skips most of the ~140 party patterns for a text that names two or three parties.
_PARTY_SCANS = _with_heads(pt.COUNTERPARTIES, lx.COUNTERPARTY_ALIASES)
_COUNTRY_SCANS = (
    (_with_heads(pt.COUNTRY_NOUNS, {n: noun for n, (noun, _) in lx.COUNTRIES.items()}), False),
    (_with_heads(pt.COUNTRY_ADJECTIVES, {n: adj or "" for n, (_, adj) in lx.COUNTRIES.items()}), True),
)


def _may_match(heads: frozenset[str] | None, text: str) -> bool:
    return heads is None or any(h in text for h in heads)


def _scan_order() -> tuple[dict[str, tuple[int, ...]], tuple[int, ...], re.Pattern[str] | None]:
    """For the fast path: which scans each head (or a longer head it starts) lets run, and one regex
    that finds the heads; scans without heads always run."""
    scans = [heads for _, _, heads in _PARTY_SCANS] + [h for s, _ in _COUNTRY_SCANS for _, _, h in s]
    always = tuple(i for i, heads in enumerate(scans) if heads is None)
    owners: dict[str, set[int]] = {}
    for i, heads in enumerate(scans):
        for head in heads or ():
            owners.setdefault(head, set()).add(i)
    closure = {
        head: tuple(sorted({i for h, ids in owners.items() if head.startswith(h) for i in ids}))
        for head in owners
    }
    return closure, always, prefilter.heads_regex(owners) if owners else None


_HEAD_SCANS, _ALWAYS_SCANS, _PARTY_HEADS = _scan_order()


def _runnable(text: str) -> list[int]:
    """Indexes (into party scans then country scans) of the scans ``_may_match`` lets run, ascending.

    Every position where a head starts is visited (the search resumes one character after the last
    start), and the longest head there implies the shorter ones: the heads found are exactly those
    ``h in text`` finds, from one regex scan instead of ~300 substring searches.
    """
    if _PARTY_HEADS is None:
        return list(range(len(_PARTY_SCANS) + sum(len(s) for s, _ in _COUNTRY_SCANS)))
    run = set(_ALWAYS_SCANS)
    search = _PARTY_HEADS.search
    pos = 0
    while (m := search(text, pos)) is not None:
        run.update(_HEAD_SCANS[m.group()])
        pos = m.start() + 1
    return sorted(run)


def find_counterparties(text: str, *, fast: bool | None = None) -> tuple[str, ...]:
    """Agencies, courts, companies and governments on the other side, in order of first mention.

    ``fast`` (default ``prefilter.ENABLED``) finds the patterns' heads in one scan; ``fast=False``
    tests each pattern's heads with ``in``. Both run the same patterns in the same order.
    """
    use_fast = prefilter.ENABLED if fast is None else fast
    hits: dict[str, int] = {}
    if use_fast:
        n_party = len(_PARTY_SCANS)
        n_nouns = len(_COUNTRY_SCANS[0][0])
        for i in _runnable(text):
            if i < n_party:
                name, rx, _ = _PARTY_SCANS[i]
                _party_hit(text, name, rx, hits)
            elif i < n_party + n_nouns:
                name, rx, _ = _COUNTRY_SCANS[0][0][i - n_party]
                _country_hit(text, name, rx, hits, adjective=_COUNTRY_SCANS[0][1])
            else:
                name, rx, _ = _COUNTRY_SCANS[1][0][i - n_party - n_nouns]
                _country_hit(text, name, rx, hits, adjective=_COUNTRY_SCANS[1][1])
        return ordered_unique([n for n, _ in sorted(hits.items(), key=lambda kv: kv[1])])
    for name, rx, heads in _PARTY_SCANS:
        if not _may_match(heads, text):
            continue
        _party_hit(text, name, rx, hits)
    for scans, adjective in _COUNTRY_SCANS:
        for name, rx, heads in scans:
            if not _may_match(heads, text):
                continue
            _country_hit(text, name, rx, hits, adjective=adjective)
    return ordered_unique([n for n, _ in sorted(hits.items(), key=lambda kv: kv[1])])


def _party_hit(text: str, name: str, rx: re.Pattern[str], hits: dict[str, int]) -> None:
    for m in rx.finditer(text):
        if _left_edge_ok(text, m.start()):
            hits.setdefault(name, m.start())
            break


def _country_hit(text: str, name: str, rx: re.Pattern[str], hits: dict[str, int], *, adjective: bool) -> None:
    for m in rx.finditer(text):
        if _left_edge_ok(text, m.start()) and _country_is_party(text, m, adjective=adjective):
            hits[name] = min(hits.get(name, m.start()), m.start())
            break


def find_court(text: str) -> str | None:
    m = pt.COURT.search(text)
    return m.group(0).strip() if m else None


def find_docket(text: str) -> str | None:
    m = pt.DOCKET.search(text)
    return m.group(0) if m else None


def _party_key(name: str, *, last: bool) -> str:
    """One word per side of a case name, so "Twitter, Inc. v. Barr" and "Twitter v. Barr" agree."""
    name = name.replace(", Inc.", "").replace(" Inc.", "").strip()
    if name in {"United States", "U.S."} or name.endswith((" United States", " U.S.")):
        return "us"
    words = name.split()
    key = (words[-1] if last else words[0]).lower()
    return lx.OFFICEHOLDERS.get(key, key)


def find_subjects(text: str, docket: str | None) -> tuple[str, ...]:
    """Distinctive things the dispute is about, lowercase so that grouping compares them exactly."""
    out: list[str] = []
    for m in pt.HANDLE.finditer(text):
        handle = (m.group(1) or m.group(2)).lower()
        if m.group(1) and handle in _MENTION_WORDS:
            continue  # "@everyone" / "@here" are Discord mention syntax in feed text, never a subject
        out.append("@" + handle)
    for m in pt.NAMED_LAW.finditer(text):
        words = m.group(0).replace("-", " ").split()
        if words[-1] == "Act":
            # Title-case headlines glue verbs onto a law's name ("Moot After CLOUD Act"): keep the short
            # tail that outlets share, and the acronym form when there is one.
            tail = [w for w in words[:-1] if w.isupper() and len(w) > 1][-1:] or words[-3:-1]
            out.append(" ".join([*tail, "act"]).lower())
        else:
            out.append(m.group(0).lower())
    for m in pt.CASE_NAME.finditer(text):
        out.append(f"{_party_key(m.group(1), last=True)} v. {_party_key(m.group(2), last=False)}")
    for m in pt.DEVICE.finditer(text):
        out.append(m.group(0).lower())
    if docket:
        out.append(docket.lower())
    return ordered_unique(out)[:12]


_MENTION_WORDS = frozenset({"everyone", "here"})
