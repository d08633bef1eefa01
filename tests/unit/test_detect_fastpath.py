"""The word-head fast path of detection: its claims about case folding, the heads it derives, and that
every search through a :class:`~bot.detect.prefilter.TextScan` equals the plain search."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.detect import detector, prefilter, stages
from bot.detect import extract as ex
from bot.detect import patterns as pt

FAST = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
EVERY_CHARACTER = "".join(map(chr, range(0x110000)))
INDEX = detector._head_index()
SCANNED = [  # every regex detect() runs through a TextScan
    *(t.regex for t in pt.LEGAL_TERMS), *(t.regex for t in pt.STAGE_TERMS), pt.DATA_DEMAND, pt.SPORT_CONTEXT,
    pt.CLOTHING_CONTEXT, pt.AUTHORITY, pt.LEGISLATIVE, pt.HARD_ACTION, pt.TRANSPARENCY, pt.STATISTIC,
    pt.PERSON_ACCUSED,
    *(rx for name in ("Twitter", "Meta", "TikTok", "Apple", "X") for tpl in [pt.TEMPLATES[name]]
      for rx in (*tpl.party, *tpl.executive, *tpl.venue)),
]


def test_fold_maps_whatever_an_ascii_literal_matches_to_that_literal() -> None:
    # the heads are lower-case ASCII; a case-insensitive literal must leave its own fold in the copy
    for code in range(128):
        literal = chr(code)
        for m in re.finditer(re.escape(literal), EVERY_CHARACTER, re.IGNORECASE):
            assert prefilter.fold(m.group(0)) == literal.lower(), (hex(ord(m.group(0))), literal)


def test_fold_keeps_positions_and_word_starts() -> None:
    folded = prefilter.fold(EVERY_CHARACTER)
    assert len(folded) == len(EVERY_CHARACTER)
    # a character that is no word character must not fold to a letter or digit, or a "\b" of the text
    # would not be a word start of the folded copy
    not_word = re.compile(r"\W")
    alnum = set("abcdefghijklmnopqrstuvwxyz0123456789")
    assert not [c for c, f in zip(EVERY_CHARACTER, folded, strict=True) if f in alnum and not_word.match(c)]
    assert prefilter.fold("İSTANBUL ıs ſued K") == "istanbul is sued k"


@pytest.mark.parametrize(
    ("pattern", "flags", "heads"),
    [
        (r"\bsubpoena(?:s|ed|ing)?\b", re.I, {"subpoena"}),
        (r"\bfoo|\bfar", re.I, {"foo", "far"}),  # the parser factors out "\bf"
        (r"\b(?:administrative |IRS )?summons", re.I, {"administrative", "irs", "summons"}),
        (r"\bsu(?:es|ed|ing)\b|\bsue\b", re.I, {"sues", "sued", "suing", "sue"}),
        (r"\b(?:a|\$[\d.,]+) fines?\b", re.I, {"a", "$"}),
        (r"\b(?-i:Twitter)(?:'s)? (?:CEO|chief)", re.I, {"twitter"}),
        (r"\bMeta(?=['’]s\b)", 0, {"meta"}),
        (r"\bv\.\s+(?-i:[A-Z])", re.I, {"v"}),
        (r"foo", re.I, None),  # no word boundary: "foo" may sit inside a word
        (r"\B(?:foo)", re.I, None),
        (r"\b[a-z]+ Act\b", 0, None),
        (r"\b\d{2}-year-old\b", re.I, None),
        (r"\b(?:foo)?", re.I, None),  # may match the empty string
        (r"\b(?:foo|[Bb]ar)", re.I, None),
        (r"\bfoo", re.I | re.ASCII, None),
    ],
)
def test_word_heads(pattern: str, flags: int, heads: set[str] | None) -> None:
    assert prefilter.word_heads(re.compile(pattern, flags)) == (frozenset(heads) if heads is not None else None)


def test_the_detector_regexes_that_cost_most_have_heads() -> None:
    missing = [rx.pattern[:40] for rx in [t.regex for t in pt.LEGAL_TERMS] if INDEX.group(rx) is None]
    assert missing == []
    assert all(INDEX.group(rx) is not None for rx in pt.TEMPLATES["Twitter"].party)


# Words of the scanned regexes, their case and Unicode look-alikes, and noise that glues them together.
WORDS = [
    "sued", "SUED", "ſued", "Sues", "suing", "lawsuit", "subpoena", "Subpoenaed", "İndicted", "indicted",
    "fıned", "fined", "a fine", "$5 million fine", "$", "in custody", "on bail", "court", "courtside",
    "court order", "Court's order", "suit and tie", "v. Barr", "vs. Meta", "v. apple", "on Twitter",
    "Twitter's lawsuit", "TikTok sues", "Meta CEO", "X", "sued X", "banned", "ban on TikTok", "settle",
    "settlement", "appeal", "to appeal", "ruled", "ruling", "government", "transparency report",
    "40 percent", "man arrested", "judge", "Apple", "dismissed the case", "game", "summons", "summoner",
]
NOISE = st.text(alphabet=st.sampled_from([*"aeKsT.,'-@$ \n", "K", "ı", "İ", "ſ", "é", "Σ"]), max_size=5)
TEXT = st.lists(st.one_of(st.sampled_from(WORDS), NOISE), max_size=16).map(" ".join) | st.text(max_size=60)


def _spans(matches: object) -> list[tuple[int, int]]:
    return [m.span() for m in matches]  # type: ignore[attr-defined]


@FAST
@given(text=TEXT)
def test_scan_search_and_finditer_equal_the_plain_ones(text: str) -> None:
    scan = prefilter.TextScan(text, INDEX)
    for rx in SCANNED:
        found, plain = scan.search(rx), rx.search(text)
        assert (found and found.span()) == (plain and plain.span()), rx.pattern
        assert _spans(scan.finditer(rx)) == _spans(rx.finditer(text)), rx.pattern


@FAST
@given(title=TEXT, summary=TEXT)
def test_scan_of_a_part_equals_searching_the_part(title: str, summary: str) -> None:
    title, summary = ex.normalize(title), ex.normalize(summary)
    full = f"{title}. {summary}" if title else summary
    scan = prefilter.TextScan(full, INDEX)
    for part, offset in ((title, 0), (summary, len(title) + 2 if title else 0)):
        for rx in SCANNED:
            found, plain = scan.search_part(rx, part, offset), rx.search(part)
            assert (found and found.span()) == (plain and plain.span()), rx.pattern
    assert stages.rule(title, summary, scan) == stages.rule(title, summary)


@FAST
@given(text=TEXT | st.lists(st.sampled_from([*"USECFBIDOJaeu .'’-", "Brazil", "EU", "Holder"])).map("".join))
def test_fast_counterparties_equal_the_reference(text: str) -> None:
    assert ex.find_counterparties(text, fast=True) == ex.find_counterparties(text, fast=False)


def test_scan_tries_a_regex_only_where_its_heads_start_words() -> None:
    text = "Issue: the lawsuit was filed; lawsuits follow."
    scan = prefilter.TextScan(text, INDEX)
    lawsuit = pt.LEGAL_TERMS[8].regex
    assert scan._positions(lawsuit) == [11, 23, 30]  # "sue" inside "Issue" is no word start; "filed" is
    assert [m.group(0) for m in scan.finditer(lawsuit)] == ["lawsuit", "lawsuits"]
    assert prefilter.TextScan(text).search(lawsuit).group(0) == "lawsuit"  # no index: plain search
