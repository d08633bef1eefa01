"""Properties the fast paths of bot/feeds (normalize, text, urls) rely on, and fast path == slow path.

The old-vs-new comparison lives in tests/integration/test_normalize_differential.py; here each
shortcut is checked against the general code of the same module, plus the facts about Python's
Unicode tables and html module that make the shortcuts exact.
"""

from __future__ import annotations

import html
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bot.feeds.normalize as nm
import bot.feeds.text as tx
import bot.feeds.urls as ur

_PIECES = [
    "lorem ipsum ",
    "dolor sit amet. ",
    "x",
    " ",
    "\n",
    "<",
    ">",
    "&",
    "#",
    ";",
    "<p>",
    "</p>",
    "<br>",
    "<b>",
    "</b>",
    "<script>",
    "</script>",
    "<!--",
    "-->",
    "<x",
    "<3",
    "&amp;",
    "&amp;lt;",
    "&lt;b&gt;",
    "&copy",
    "sr;",
    "&#6",
    "5;",
    "&#x4",
    "1;",
    "\u200b",
    "\x00",
    "é",
    "ſ",
    "ı",
    "<ſcript>",
    "<ımg>",
]
_texts = st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=6)), max_size=300).map("".join)


def test_casefold_never_creates_or_removes_whitespace() -> None:
    """Why normalize() may hash clean_text output without re-splitting it (_content_hash_of_clean)."""
    assert " ".casefold() == " "
    bad = [
        cp
        for cp in range(sys.maxunicode + 1)
        if not chr(cp).isspace() and any(c.isspace() for c in chr(cp).casefold())
    ]
    assert bad == []


def test_invisible_characters_are_all_non_printable() -> None:
    """Why ``s.isprintable()`` may skip the INVISIBLE substitution."""
    matched = [cp for cp in range(sys.maxunicode + 1) if tx.INVISIBLE.match(chr(cp))]
    assert len(matched) > 2000  # the surrogates alone
    assert not any(chr(cp).isprintable() for cp in matched)


def test_charref_pattern_is_the_one_html_unescape_uses() -> None:
    pattern = getattr(html, "_charref", None)
    if pattern is None:
        pytest.skip("this Python's html module has no _charref")
    assert tx._CHARREF.pattern == pattern.pattern


@pytest.mark.parametrize("value", ["<ſcript>alert(1)</script>Meta sued", "<SCRİPT>x</script >Meta sued"])
def test_case_folded_script_start_is_dropped_not_a_crash(value: str) -> None:
    # re.I lets "ſ" (long s) and "İ" match "s" / "i"; the old name lookup raised KeyError here.
    assert nm.clean_text(value, 300) == "Meta sued"
    parsed = {"feed": {}, "entries": [{"title": value, "link": "https://example.com/a"}]}
    assert nm.normalize(parsed, None).entries[0].title == "Meta sued"


def _clean_without_head(value: str, max_len: int) -> str:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tx, "_clean_head", lambda value, max_len: None)
        return nm.clean_text(value, max_len)


@settings(max_examples=600, deadline=None)
@given(value=_texts, max_len=st.sampled_from([1, 3, 8, 40]))
def test_piecewise_head_equals_cleaning_everything(value: str, max_len: int) -> None:
    """Tiny pieces (a cut at nearly every ">") stress the separability checks of _clean_piece."""
    expected = _clean_without_head(value, max_len)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tx, "_HEAD_EXTRA", 0)
        mp.setattr(tx, "_HEAD_MIN_FACTOR", 1)
        assert nm.clean_text(value, max_len) == expected


def test_head_path_is_taken_for_long_html() -> None:
    value = "<p>Meta was <b>sued</b> by the FTC &amp; others.</p>\n" * 2000
    head = tx._clean_head(value, 300)
    assert head is not None and len(head) > 300
    assert nm.clean_text(value, 300) == _clean_without_head(value, 300)


_url_parts = st.sampled_from(
    [
        "http://",
        "https://",
        "HTTPS://",
        "example.com",
        "Example.com",
        "a-b.example.org",
        "/",
        "/path",
        "?",
        "&",
        "=",
        "q=1",
        "utm_source=x",
        "fbclid=y",
        "#",
        "#frag",
        "%20",
        "%zz",
        " ",
        "é",
        ":8080",
        "@",
        ".",
        "..",
        "[",
        "]",
        "\\",
        "\t",
        "~",
        "'",
        "(",
        "*",
    ]
)


@settings(max_examples=1500, deadline=None)
@given(url=st.lists(_url_parts, min_size=1, max_size=14).map("".join))
def test_simple_url_path_equals_general_path(url: str) -> None:
    fast = nm.canonical_url(url)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ur, "_canonical_simple", lambda url: None)
        assert fast == nm.canonical_url(url)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com", "https://example.com/"),
        ("https://example.com/a?utm_source=rss&id=7#x", "https://example.com/a?id=7"),
        ("https://example.com/a?utm_source=rss", "https://example.com/a"),
        ("https://example.com/?", "https://example.com/"),
        ("https://example.com/a?b?c", "https://example.com/a?b?c"),
    ],
)
def test_simple_url_examples(url: str, expected: str) -> None:
    assert ur._canonical_simple(url) == expected
    assert nm.canonical_url(url) == expected
