"""Cheap proof that a text names no platform, so detection can skip its expensive regexes.

Most feed items name no platform, yet ``patterns.ANY_PLATFORM`` starts with a lookbehind, which stops
the regex engine from skipping ahead to likely starts: it tries every alias at every character. Every
alias branch, however, begins with a literal word ("Twitter", "Tik" of "Tik Tok", "Meta"): no such
word in the text means no alias can match, and one small case-sensitive regex of those words, which the
engine *can* skip through, finds that out in a couple of microseconds. The words are derived here at
import from the aliases ``patterns`` compiled out of ``lexicons``, so the lexicons stay the single source
of truth; an alias whose leading literal cannot be read safely turns the prefilter off (always "maybe").

``ENABLED`` (or ``detect(..., fast=False)``) keeps the slow reference path callable, so tests can prove
both paths give the same :class:`~bot.models.Detection` for every input.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator

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
    """False only when neither text can yield a platform mention, raw or normalised; else True."""
    if _MAYBE is None:
        return True
    return _MAYBE.search(title) is not None or _MAYBE.search(summary) is not None


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
