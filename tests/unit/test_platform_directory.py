"""Integrity checks for bot/data/platforms.tsv, the reviewable directory of online services.

The file is data only: these tests check its shape, not what any detector does with it.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

from bot.detect.lexicons import PLATFORM_ALIASES

PATH = Path(__file__).resolve().parents[2] / "bot" / "data" / "platforms.tsv"
HEADER = ["name", "kind", "category", "parent", "aliases", "context"]
KINDS = {"platform", "company"}
ALIAS_RE = re.compile(r"^[\w .&'!+-]+$")
# The platform prefilter (bot/detect/prefilter.py) indexes every matchable alias by its leading ASCII
# word and tries it as a prefix: a one-character head ("X" of "X.AI") or a very common word ("The",
# "Just" of "Justice", "App" of "Appeal") would send almost every text down the slow path.
HEAD_RE = re.compile(r"[A-Za-z0-9]+")
COMMON_HEADS = frozenset(
    {
        "The",
        "A",
        "An",
        "In",
        "On",
        "Go",
        "OK",
        "Le",
        "Nu",
        "Just",
        "App",
        "Prime",
        "Play",
        "Game",
        "Chat",
        "Mail",
        "Web",
        "Free",
        "Open",
        "New",
        "Sea",
        "Ant",
        "Trump",
        "Private",
        "Network",
        "Care",
        "Think",
        "Breach",
        "Stable",
        "Library",
        "Flo",
        "Seeking",
    }
)
CATEGORY_RE = re.compile(r"^[a-z][a-z_]*$")
# Owners that may be named as a parent without a row of their own: their names begin with a common word
# ("Sea", "Trump", "Nord", "Recruit"), which as a matchable alias would cost more than it finds.
EXTERNAL_PARENTS = frozenset(
    {"Sea Limited", "Trump Media & Technology Group", "Nord Security", "Recruit Holdings"}
)
# Rows whose canonical name is deliberately not an alias: the bare letter X needs the X_* contexts.
NAME_NOT_ALIAS = frozenset({"X"})


def _load() -> tuple[list[str], list[list[str]]]:
    with PATH.open(encoding="utf-8", newline="") as fh:
        lines = [line for line in fh if line.strip() and not line.startswith("#")]
    records = list(csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))
    return records[0], records[1:]


HEADER_ROW, ROWS = _load()
GOOD_ROWS = [r for r in ROWS if len(r) == 6]
NAMES = {r[0] for r in GOOD_ROWS}


def _aliases(row: list[str]) -> list[str]:
    return row[4].split("|")


def test_header() -> None:
    assert HEADER_ROW == HEADER


def test_every_row_has_six_columns() -> None:
    bad = [r for r in ROWS if len(r) != 6]
    assert not bad, bad[:5]


def test_no_stray_whitespace() -> None:
    bad = [r for r in GOOD_ROWS if any(cell != cell.strip() for cell in r)]
    assert not bad, bad[:5]


def test_kind_is_platform_or_company() -> None:
    bad = [(r[0], r[1]) for r in GOOD_ROWS if r[1] not in KINDS]
    assert not bad, bad


def test_category_is_a_slug() -> None:
    bad = [(r[0], r[2]) for r in GOOD_ROWS if not CATEGORY_RE.match(r[2])]
    assert not bad, bad


def test_context_is_zero_or_one() -> None:
    bad = [(r[0], r[5]) for r in GOOD_ROWS if r[5] not in {"0", "1"}]
    assert not bad, bad


def test_no_duplicate_names() -> None:
    dupes = [name for name, n in Counter(r[0] for r in GOOD_ROWS).items() if n > 1]
    assert not dupes, dupes


def test_no_alias_under_two_names() -> None:
    owners: dict[str, set[str]] = {}
    for r in GOOD_ROWS:
        for alias in _aliases(r):
            owners.setdefault(alias, set()).add(r[0])
    shared = {alias: sorted(names) for alias, names in owners.items() if len(names) > 1}
    assert not shared, shared


def test_no_alias_under_two_names_ignoring_case() -> None:
    # Directory.lookup falls back to the lowercased form, so "Mega" and "MEGA" must be one service.
    owners: dict[str, set[str]] = {}
    for r in GOOD_ROWS:
        for alias in _aliases(r):
            owners.setdefault(alias.lower(), set()).add(r[0])
    shared = {alias: sorted(names) for alias, names in owners.items() if len(names) > 1}
    assert not shared, shared


def test_no_alias_repeated_within_a_row() -> None:
    bad = [r[0] for r in GOOD_ROWS if len(_aliases(r)) != len(set(_aliases(r)))]
    assert not bad, bad


def test_aliases_are_non_empty_and_well_formed() -> None:
    bad = [(r[0], a) for r in GOOD_ROWS for a in _aliases(r) if not a or not ALIAS_RE.match(a)]
    assert not bad, bad


def test_canonical_name_is_an_alias() -> None:
    bad = [r[0] for r in GOOD_ROWS if r[0] not in NAME_NOT_ALIAS and r[0] not in _aliases(r)]
    assert not bad, bad


def test_bare_x_is_never_an_alias() -> None:
    assert not [r[0] for r in GOOD_ROWS if "X" in _aliases(r)]


def test_single_letter_names_need_context() -> None:
    # The loader adds the name to the surface forms: a one-letter name ("X") must never be an alias
    # on its own, so its row is marked context=1 and the X_* contexts of lexicons.py recognise it.
    bad = [r[0] for r in GOOD_ROWS if len(r[0]) == 1 and r[5] != "1"]
    assert not bad, bad


def test_matchable_aliases_have_a_usable_prefilter_head() -> None:
    # Only context-free platform rows become exact-match aliases; the others need a context word anyway.
    bad = []
    for r in GOOD_ROWS:
        if r[1] != "platform" or r[5] != "0":
            continue
        for alias in _aliases(r):
            m = HEAD_RE.match(alias)
            head = m.group(0) if m else ""
            if len(head) < 2 or head in COMMON_HEADS:
                bad.append((r[0], alias))
    assert not bad, bad


def test_parents_are_known() -> None:
    bad = [(r[0], r[3]) for r in GOOD_ROWS if r[3] and r[3] not in NAMES | EXTERNAL_PARENTS]
    assert not bad, bad


def test_no_row_is_its_own_parent_and_no_cycles() -> None:
    parent = {r[0]: r[3] for r in GOOD_ROWS if r[3]}
    for name in parent:
        seen = {name}
        node = parent[name]
        while node:
            assert node not in seen, f"parent cycle through {name!r}"
            seen.add(node)
            node = parent.get(node, "")


def test_counts_by_kind() -> None:
    kinds = Counter(r[1] for r in GOOD_ROWS)
    assert kinds["platform"] >= 400, kinds
    assert 60 <= kinds["company"] <= 120, kinds


@pytest.mark.parametrize("name", sorted(k for k in PLATFORM_ALIASES))
def test_existing_lexicon_names_are_listed(name: str) -> None:
    assert name in NAMES
