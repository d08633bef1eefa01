"""Cheap proof that a text names no platform, so detection can skip its expensive regexes.

Most feed items name no platform, yet ``patterns.ANY_PLATFORM`` starts with a lookbehind, which stops
the regex engine from skipping ahead to likely starts: it tries every alias at every character. Every
alias branch, however, begins with a literal word ("Twitter", "Tik" of "Tik Tok", "Meta"): no such
word in the text means no alias can match, and one small case-sensitive regex of those words, which the
engine *can* skip through, finds that out in a couple of microseconds. The words are derived here at
import from the aliases ``patterns`` compiled out of ``lexicons``, so the lexicons stay the single source
of truth; an alias whose leading literal cannot be read safely turns the prefilter off (always "maybe").

The second half of the module applies the same idea to the case-insensitive vocabulary regexes once a
platform is named: :class:`HeadIndex` finds, in one scan, where each regex's leading words start, and
:class:`TextScan` tries each regex only there.

``ENABLED`` (or ``detect(..., fast=False)``) keeps the slow reference path callable, so tests can prove
both paths give the same :class:`~bot.models.Detection` for every input.
"""

from __future__ import annotations

import logging
import re
import re._constants as _c
import re._parser as _sre_parser
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from bot.detect import context
from bot.detect import patterns as pt

logger = logging.getLogger(__name__)

ENABLED = True  # module switch: False runs the slow reference path (differential tests, debugging)

_HEAD = re.compile(r"[A-Za-z0-9]+")  # never changed by normalisation, never spans the title/summary join
_QUANTIFIERS = frozenset("?*+{")
# "(?i:...)" could make a literal case-insensitive; "(?#...)" may hide a "|" or ")" from the splitter
_INLINE_FLAGS = re.compile(r"\(\?[aiLmsux#-]")
# A bare "X" only becomes a mention through ``patterns.X_BARE``, which needs a non-word character (or
# the end) after the X; normalisation never turns a word character into a non-word one or back.
_X_HEAD = r"X(?!\w)"


def top_level_branches(alias: str) -> list[str] | None:
    """The alternatives of ``alias`` outside any group; None when its syntax is not understood."""
    branches: list[str] = []
    depth = 0
    start = i = 0
    while i < len(alias):
        c = alias[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            # a class may start with "]" or "^]", which is a literal bracket, not its end
            j = i + 1
            if alias[j : j + 1] == "^":
                j += 1
            if alias[j : j + 1] == "]":
                j += 1
            while j < len(alias) and alias[j] != "]":
                j += 2 if alias[j] == "\\" else 1
            if j >= len(alias):
                return None
            i = j + 1
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth < 0:
                return None
        elif c == "|" and depth == 0:
            branches.append(alias[start:i])
            start = i + 1
        i += 1
    if depth != 0:
        return None
    branches.append(alias[start:])
    return branches


def literal_head(branch: str) -> str | None:
    """The word every match of ``branch`` starts with, or None when there is none to rely on."""
    m = _HEAD.match(branch)
    if m is None:
        return None
    head = m.group(0)
    if branch[m.end() : m.end() + 1] in _QUANTIFIERS:
        head = head[:-1]  # "ab?" only promises "a"
    return head or None


def _group_end(branch: str) -> int | None:
    """Index just past the group that opens ``branch`` (which starts with "(?:"), None if unbalanced."""
    depth = 0
    i = 0
    while i < len(branch):
        c = branch[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            return None  # classes inside a leading group: not worth parsing
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def _branch_heads(branch: str) -> frozenset[str] | None:
    if branch.startswith("\\b"):
        branch = branch[2:]  # a word boundary only narrows where the literal may match
    if branch.startswith("(?:"):
        end = _group_end(branch)
        if end is None or branch[end : end + 1] in _QUANTIFIERS:
            return None
        return alias_heads(branch[3 : end - 1])
    head = literal_head(branch)
    return frozenset({head}) if head is not None else None


def alias_heads(alias: str) -> frozenset[str] | None:
    """The leading literals of every branch of a case-sensitive alias; None if any is unknown."""
    if _INLINE_FLAGS.search(alias):
        return None
    branches = top_level_branches(alias)
    if branches is None:
        return None
    heads: set[str] = set()
    for branch in branches:
        found = _branch_heads(branch)
        if found is None:
            return None
        heads |= found
    return frozenset(heads)


def heads_regex(heads: Iterable[str], extra: str = "") -> re.Pattern[str]:
    """One case-sensitive regex of the literals, grouped by first letter so the engine skips quickly."""
    by_first: dict[str, list[str]] = defaultdict(list)
    for head in heads:
        by_first[head[0]].append(re.escape(head[1:]))
    parts = [
        re.escape(first) + "(?:" + "|".join(sorted(rests, key=lambda r: (-len(r), r))) + ")"
        for first, rests in sorted(by_first.items())
    ]
    if extra:
        parts.append(extra)
    return re.compile("|".join(parts))


def _derive_heads() -> frozenset[str] | None:
    if pt.ANY_PLATFORM.flags & re.IGNORECASE:
        return None
    heads: set[str] = set()
    for p in pt.PLATFORMS:
        found = alias_heads(p.alias)
        if found is None:
            logger.warning("platform prefilter off: no literal head in the alias of %s: %r", p.name, p.alias)
            return None
        heads |= found
    return frozenset(heads)


HEADS: frozenset[str] | None = _derive_heads()
ACTIVE = HEADS is not None
# Any match means "maybe a platform" (an alias head, or a bare X that might be X the platform).
_MAYBE = heads_regex(HEADS, _X_HEAD) if HEADS is not None else None
# Where an alias can start: ``ANY_PLATFORM`` is then tried only there.
_CANDIDATE = heads_regex(HEADS) if HEADS is not None else None


def may_name_platform(title: str, summary: str) -> bool:
    """False only when neither text can yield a platform mention, raw or normalised; else True.

    A mention is a listed alias (its head), a bare X, or a name recognised from context, which needs
    one of the words of ``context.GATE`` and a legal word (``context.LEGAL_GATE``)."""
    if _MAYBE is None:
        return True
    return (
        _MAYBE.search(title) is not None
        or _MAYBE.search(summary) is not None
        or context.gate(title, summary)
    )


def platform_matches(text: str) -> Iterator[re.Match[str]]:
    """Exactly the matches of ``patterns.ANY_PLATFORM.finditer(text)``, found by trying it only where
    an alias head starts (its lookbehind still sees the text before that position)."""
    if _CANDIDATE is None:
        yield from pt.ANY_PLATFORM.finditer(text)
        return
    search = _CANDIDATE.search
    match = pt.ANY_PLATFORM.match
    pos = 0
    while (c := search(text, pos)) is not None:
        m = match(text, c.start())
        if m is None:
            pos = c.start() + 1  # another head may start inside this one
        else:
            yield m
            pos = m.end()


# --- word heads: where a case-insensitive regex can match --------------------------------------------
# Most vocabulary regexes are "\b" + a word ("\bsubpoena(?:s|ed)?\b|\bgag orders?\b"). With IGNORECASE
# and a leading "\b" the engine cannot skip ahead: it tries every branch at every character, ~4 us per
# regex on a 350-character article, whether the word is there or not. One scan of a case-folded copy
# finds where each regex's leading words start; each regex is then only tried there.
#
# The folded copy must keep positions and map every character a case-insensitive ASCII literal matches
# to that literal's lower case. ``str.lower`` does, except: "İ" (U+0130) lowers to two characters,
# and "ı" (U+0131) and "ſ" (U+017F) match "i"/"s" under IGNORECASE yet lower to themselves.
# tests/unit/test_detect_fastpath.py checks these claims over every code point.
_FOLD_FIRST = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_ALNUM_LITERALS = frozenset(map(ord, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))
# One-character heads that need no word boundary: never a letter, digit or space, so a head found by the
# scan can neither hide nor be hidden by another head.
_SYMBOL_LITERALS = frozenset(map(ord, "$#@%&*+=~^|<>"))
_MIN_HEAD = 3  # a head is extended into following groups until it has this many characters


def fold(text: str) -> str:
    """``text`` lower-cased so that position i still holds (the fold of) character i of ``text``."""
    if text.isascii():
        return text.lower()
    folded = text.translate(_FOLD_FIRST).lower()
    if len(folded) != len(text):  # cannot happen for today's Unicode tables; never trust it blindly
        raise ValueError("case folding changed the length of the text")
    return folded


def _lead(items: list[tuple[Any, Any]], boundary: bool, prefix: str) -> frozenset[str] | None:
    """The literals every match of ``items`` starts with, after ``prefix``; None when unknown.

    A literal only counts when a word boundary precedes it, so that it starts a word of the text.
    """
    i = 0
    while i < len(items):
        op, av = items[i]
        if op is _c.AT:
            if av is _c.AT_BOUNDARY:
                boundary = True
            elif not prefix:
                return None  # "^", "$", "\B" before the first literal: positions not worth reasoning about
            i += 1
        elif op is _c.ASSERT or op is _c.ASSERT_NOT:
            i += 1  # a lookaround consumes nothing
        elif op is _c.LITERAL and av in _ALNUM_LITERALS:
            if not (boundary or prefix):
                return None
            prefix += chr(av).lower()
            i += 1
        elif op is _c.LITERAL and not prefix and av in _SYMBOL_LITERALS:
            return frozenset({chr(av)})  # "\$[\d.,]+ fine": any "$" of the text, word start or not
        elif prefix and len(prefix) >= _MIN_HEAD:
            return frozenset({prefix})
        elif op is _c.SUBPATTERN:
            _group, add_flags, _del_flags, sub = av
            if add_flags & (re.ASCII | re.LOCALE):
                return None
            return _lead([*sub.data, *items[i + 1 :]], boundary, prefix)
        elif op is _c.BRANCH:
            return _union([_lead([*alt.data, *items[i + 1 :]], boundary, prefix) for alt in av[1]])
        elif op in _REPEATS:
            low, _high, body = av
            once = _lead(list(body.data), boundary, prefix)  # the first repetition, whatever follows it
            return _union([once, _lead(items[i + 1 :], boundary, prefix)]) if low == 0 else once
        else:
            break
    return frozenset({prefix}) if prefix else None


def _union(parts: list[frozenset[str] | None]) -> frozenset[str] | None:
    if any(p is None for p in parts):
        return None
    return frozenset().union(*parts)  # type: ignore[arg-type]


_REPEATS = (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT)


def word_heads(rx: re.Pattern[str]) -> frozenset[str] | None:
    """Lower-case ASCII words one of which every match of ``rx`` starts with, at the start of a word
    of the text (a "\\b" before it); None when ``rx`` gives no such guarantee."""
    if rx.flags & (re.ASCII | re.LOCALE):
        return None
    try:
        parsed = _sre_parser.parse(rx.pattern, rx.flags)
    except Exception:  # the private parser changed: do without heads rather than fail at import
        logger.warning("cannot parse %r for word heads", rx.pattern, exc_info=True)
        return None
    return _lead(list(parsed.data), False, "")


class HeadIndex:
    """The word heads of many regexes, found in a text by one scan (see :meth:`scan`)."""

    def __init__(self, regexes: Iterable[re.Pattern[str]]) -> None:
        # Regexes with the same heads (one template for every platform) share one list of positions.
        self._group_of: dict[int, int] = {}  # id(regex) -> its group; regexes without heads: none
        self._keep: list[re.Pattern[str]] = []  # holds the regexes, so their ids stay theirs
        groups: dict[frozenset[str], int] = {}
        for rx in regexes:
            if id(rx) in self._group_of:
                continue
            heads = word_heads(rx)
            if heads is None:
                continue
            self._group_of[id(rx)] = groups.setdefault(heads, len(groups))
            self._keep.append(rx)
        owners: dict[str, set[int]] = defaultdict(set)
        for heads, group in groups.items():
            for head in heads:
                owners[head].add(group)
        # The scan reports the longest head at a position; every shorter head there is a prefix of it.
        self._owners: dict[str, tuple[int, ...]] = {
            head: tuple(sorted({g for h, gs in owners.items() if head.startswith(h) for g in gs}))
            for head in owners
        }
        words = [h for h in owners if h[0] in _ALNUM]
        symbols = [re.escape(h) for h in owners if h[0] not in _ALNUM]
        # Only word starts: the lookbehind costs less than the matches inside words it saves.
        parts = ["(?<![a-z0-9])(?:" + heads_regex(words).pattern + ")"] if words else []
        self._heads = re.compile("|".join(parts + symbols)) if owners else None

    def group(self, rx: re.Pattern[str]) -> int | None:
        """Which list of :meth:`scan` holds the positions of ``rx``; None if it has no word heads."""
        return self._group_of.get(id(rx))

    def scan(self, text: str) -> dict[int, list[int]]:
        """For every group with a head in ``text``, the positions (ascending) where one of its heads
        starts a word of ``text`` (a "$"-like head: any position). A regex of the group can only
        match at one of them; a group that is absent has none.

        Heads are runs of letters and digits (or one symbol), so no word start lies inside a head
        found before it: a plain ``finditer`` misses none.
        """
        found: dict[int, list[int]] = {}
        if self._heads is None:
            return found
        owners = self._owners
        for m in self._heads.finditer(fold(text)):
            at = m.start()
            for group in owners[m.group()]:
                if (positions := found.get(group)) is None:
                    found[group] = [at]
                else:
                    positions.append(at)
        return found


_NOWHERE: list[int] = []
_MAX_TRIES = 16  # more candidate positions than this: one plain scan of the text is cheaper


class TextScan:
    """The searches of one text: ``rx.search``/``rx.finditer`` results, each regex tried only at the
    positions ``index`` found for it; without an index (the reference path) plain whole-text scans."""

    __slots__ = ("_found", "_index", "text")

    def __init__(self, text: str, index: HeadIndex | None = None) -> None:
        self.text = text
        self._index = index
        self._found = index.scan(text) if index is not None else None

    def _positions(self, rx: re.Pattern[str]) -> list[int] | None:
        if self._found is None:
            return None
        group = self._index.group(rx)  # type: ignore[union-attr]
        if group is None:
            return None
        found = self._found.get(group, _NOWHERE)
        return found if len(found) <= _MAX_TRIES else None

    def search(self, rx: re.Pattern[str]) -> re.Match[str] | None:
        """``rx.search(text)``: the regex can only match at its positions, so the first is the leftmost."""
        found = self._positions(rx)
        if found is None:
            return rx.search(self.text)
        match, text = rx.match, self.text
        for at in found:
            if (m := match(text, at)) is not None:
                return m
        return None

    def finditer(self, rx: re.Pattern[str]) -> Iterator[re.Match[str]]:
        """``rx.finditer(text)``; every match is non-empty (it holds a head), so the next one is looked
        for from the end of the last, exactly as ``finditer`` does."""
        found = self._positions(rx)
        if found is None:
            return rx.finditer(self.text)
        return self._iter(rx, found)

    def _iter(self, rx: re.Pattern[str], found: list[int]) -> Iterator[re.Match[str]]:
        match, text = rx.match, self.text
        end = 0
        for at in found:
            if at >= end and (m := match(text, at)) is not None:
                end = m.end()
                yield m

    def search_part(self, rx: re.Pattern[str], part: str, offset: int) -> re.Match[str] | None:
        """``rx.search(part)`` where ``part == text[offset : offset + len(part)]`` and the character
        before ``offset`` (if any) is no letter or digit, so a word start of ``part`` is one of ``text``."""
        found = self._positions(rx)
        if found is None:
            return rx.search(part)
        match = rx.match
        stop = offset + len(part)
        for at in found:
            if offset <= at < stop and (m := match(part, at - offset)) is not None:
                return m
        return None
