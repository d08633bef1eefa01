"""The platform prefilter: its literal heads are sound, and the fast path equals the reference path."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.detect import detector, prefilter
from bot.detect import extract as ex
from bot.detect import lexicons as lx
from bot.detect import patterns as pt
from bot.models import ArticleText

FAST = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# Surface forms around every alias, including the senses the aliases reject and near-misses.
PLATFORM_WORDS = sorted(
    (prefilter.HEADS or frozenset())
    | {
        "Twitter's", "Twitter’s", "Meta Platforms", "Meta's", "Meta’s", "Meta-analysis", "Meta – x", "Metadata",
        "Tik Tok", "TIKTOK", "Amazon.com", "the Amazon", "Amazon Inc", "Apple Records", "Big Apple",
        "Alphabet Inc.", "Snap Inc.", "Yahoo!", "Oracle Corp", "Oracle of", "Discord server", "Signal app",
        "Epic Games", "Kick streaming", "Robinhood Hood", "Clearview AI", "Wikimedia Foundation",
        "Truth Social", "Zoom Video", "Rumble platform", "Telegram & Gazette", "Uber alles",
        "X", "X Corp", "X Corp.", "X's", "X’s", "Musk's X", "X (formerly Twitter)", "X, formerly Twitter",
        "SpaceX", "X-ray", "X–Men", "OS X", "Malcolm X", "on X", "sued X", "X and Meta", "TikTok and X",
        "platformX", "Xbox", "Xi", "Twit", "Faceboo", "eBay", "ebay", "GOOGLE", "Googled",
    }
)
LEGAL_WORDS = [
    "sued", "sues", "lawsuit", "subpoena", "summons", "court order", "fined", "v.", "vs.", "judge",
    "ruled", "appeal", "antitrust", "banned", "blocked", "injunction", "gag order", "settlement",
    "government", "FBI", "DOJ", "Supreme Court", "charged", "arrested", "bill", "lawmakers",
    "transparency report", "40 percent", "CEO", "on", "against", "the", "game", "basketball", "suit and tie",
    # case and Unicode look-alikes the folded copy of the word-head scan must still see
    "SUED", "ſued", "İndicted", "fıned", "$5 million fine", "a fine", "in custody", "on bail", "v. Barr",
]
NOISE = st.text(
    alphabet=st.sampled_from(
        [*"aeX sT.,'\"-@#/&+!?:()$\n\t", "\u00a0", "’", "‘", "“", "”", "–", "—", "ſ", "İ", "ı", "\u212a", "é"]
    ),
    max_size=6,
)
TOKEN = st.one_of(st.sampled_from(PLATFORM_WORDS), st.sampled_from(LEGAL_WORDS), NOISE)
SEP = st.sampled_from([" ", "", "\n", "\u00a0", "  ", ". ", ", ", "-", "–", "’s ", "@", "#", "/"])
TEXT = st.lists(st.tuples(TOKEN, SEP), max_size=14).map(lambda parts: "".join(t + s for t, s in parts))


@FAST
@given(title=TEXT, summary=TEXT)
def test_fast_detection_equals_reference(title: str, summary: str) -> None:
    text = ArticleText(title, summary)
    assert detector.detect(text) == detector.detect(text, fast=False)


@FAST
@given(text=st.one_of(TEXT, st.text(max_size=80)))
def test_fast_platform_scan_equals_reference(text: str) -> None:
    assert ex.find_platforms(text, fast=True) == ex.find_platforms(text, fast=False)
    assert [m.span() for m in prefilter.platform_matches(text)] == [
        m.span() for m in pt.ANY_PLATFORM.finditer(text)
    ]


@FAST
@given(title=TEXT, summary=TEXT)
def test_a_rejected_text_names_no_platform(title: str, summary: str) -> None:
    if not prefilter.may_name_platform(title, summary):
        full = f"{ex.normalize(title)}. {ex.normalize(summary)}"
        assert ex.find_platforms(full, fast=False) == []


def test_heads_cover_every_alias_of_the_lexicons() -> None:
    assert prefilter.ACTIVE and prefilter.HEADS is not None
    for name, alias in lx.PLATFORM_ALIASES.items():
        heads = prefilter.alias_heads(alias)
        assert heads, name
        assert heads <= prefilter.HEADS
    assert {"Twitter", "TWITTER", "Tik", "TikTok", "Meta", "eBay", "Yahoo"} <= prefilter.HEADS


def test_plain_news_is_settled_and_platform_news_is_not() -> None:
    assert not prefilter.may_name_platform("Storm hits the coast", "Rain and wind. Roads closed in Ohio.")
    assert prefilter.may_name_platform("Storm hits the coast", "Photos shared on Facebook")
    assert prefilter.may_name_platform("Judge fines X", "")
    assert not prefilter.may_name_platform("Xbox sales", "The XL model of Xi's plan")
    settled = detector.detect(ArticleText("Storm hits the coast", "Rain and wind."))
    assert settled == detector.detect(ArticleText("Storm hits the coast", "Rain and wind."), fast=False)
    assert settled.reasons == ("no platform or tech company named",)


def test_module_switch_selects_the_reference_path(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(prefilter, "may_name_platform", lambda t, s: calls.append(t) or True)
    detector.detect(ArticleText("a", "b"))
    monkeypatch.setattr(prefilter, "ENABLED", False)
    detector.detect(ArticleText("c", "d"))
    assert calls == ["a"]


@pytest.mark.parametrize(
    ("alias", "branches"),
    [
        (r"Twitter(?:'s)?|TWITTER", ["Twitter(?:'s)?", "TWITTER"]),
        (r"Oracle(?= (?:Corp|v\.|sued))", [r"Oracle(?= (?:Corp|v\.|sued))"]),
        (r"A[|(]b|C\|d|E[]|]f|G[^]|]h", ["A[|(]b", r"C\|d", "E[]|]f", "G[^]|]h"]),
        (r"Unbalanced(", None),
        (r"Unbalanced)", None),
        (r"Open[class", None),
    ],
)
def test_top_level_branches(alias: str, branches: list[str] | None) -> None:
    assert prefilter.top_level_branches(alias) == branches
    if branches is not None:
        assert re.compile(alias)  # the cases are real regexes


@pytest.mark.parametrize(
    ("alias", "heads"),
    [
        (r"Meta Platforms|Meta(?=['’]s\b)|Meta(?! ?[-–]\w)", {"Meta"}),
        (r"Yahoo!?", {"Yahoo"}),
        (r"Tumblrs?", {"Tumblr"}),
        (r"Ab{2}c", {"A"}),
        (r"Amazon(?:\.com)?|AMAZON", {"Amazon", "AMAZON"}),
        (r"(?:Foo|Bar)", {"Foo", "Bar"}),  # a leading group: the heads of its branches
        (r"(?:U\.S\.|US) (?:government|administration)", {"U", "US"}),
        (r"(?:Foo|Bar)?baz", None),  # an optional group promises nothing
        (r"(?:Foo|[Bb]ar)", None),
        (r"\bFoo", {"Foo"}),  # a word boundary only narrows where the literal may match
        (r"\b(?:Foo|Bar)\b", {"Foo", "Bar"}),
        (r"F?oo", None),
        (r"Foo|(?i:bar)", None),
        (r"(?i)Foo", None),
        (r"Foo(?#|)", None),
    ],
)
def test_alias_heads(alias: str, heads: set[str] | None) -> None:
    assert prefilter.alias_heads(alias) == (frozenset(heads) if heads is not None else None)


def test_heads_regex_finds_every_head_and_nothing_else() -> None:
    rx = prefilter.heads_regex({"Tik", "TikTok", "Tumblr", "eBay", "a.b"})
    assert [m.group(0) for m in rx.finditer("TikTok Tik Tumbl eBay ebay a.b axb")] == ["TikTok", "Tik", "eBay", "a.b"]
