"""Pure normalisation: URLs, text, keys, hashes, dates and feedparser-shaped dicts (no I/O)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.feeds.normalize import (
    MAX_ENTRIES,
    canonical_url,
    clean_text,
    content_hash,
    entry_key,
    normalize,
)

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


# --- canonical_url -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://Example.COM:80/News/A?b=2&a=1#frag", "http://example.com/News/A?b=2&a=1"),
        ("https://example.com:443", "https://example.com/"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        (
            "https://example.com/a?utm_source=rss&utm_medium=x&id=7&fbclid=z&gclid=q",
            "https://example.com/a?id=7",
        ),
        ("https://example.com/a?mc_cid=1&mc_eid=2&ref_src=twsrc", "https://example.com/a"),
        ("https://user:secret@example.com/a", "https://example.com/a"),
        ("  https://example.com/a b\n", "https://example.com/a%20b"),
        ("https://example.com./a", "https://example.com/a"),
        ("http://[2001:DB8::1]:80/", "http://[2001:db8::1]/"),
        ("https://example.com/caf%C3%A9", "https://example.com/caf%C3%A9"),
        ("https://example.com/café", "https://example.com/caf%C3%A9"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "   ",
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "data:text/html,<script>x</script>",
        "file:///etc/passwd",
        "mailto:a@example.com",
        "ftp://example.com/f",
        "//example.com/a",
        "/relative",
        "http://",
        "http://exa mple.com/",
        "http://example.com:99999/",
        "http://[::1",
        "https://" + "a" * 9000,
    ],
)
def test_unusable_urls_give_none(url: str | None) -> None:
    assert canonical_url(url) is None


def test_relative_urls_resolve_against_base() -> None:
    base = "https://news.example.com/world/feed.xml"
    assert canonical_url("/a/b?utm_campaign=x", base) == "https://news.example.com/a/b"
    assert canonical_url("story.html", base) == "https://news.example.com/world/story.html"
    assert canonical_url("//cdn.example.com/x", base) == "https://cdn.example.com/x"
    assert canonical_url("javascript:alert(1)", base) is None
    assert canonical_url("/a", "javascript:alert(1)") is None  # a bad base is ignored


# --- clean_text --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<p>Hello <b>world</b></p>", "Hello world"),
        ("One<br>two<br/>three</p><p>four", "One two three four"),
        ("AT&amp;T &lt;3 &eacute;t&eacute; &#8217;s &#x2014;", "AT&T <3 été ’s —"),
        ("Tom &amp;amp; Jerry", "Tom & Jerry"),  # double-escaped, common in bad feeds
        ("&lt;b&gt;Escaped&lt;/b&gt; markup", "Escaped markup"),
        ("a<script>alert('x')</script>b<style>p{}</style>c", "a b c"),
        ("before<script>never closed", "before"),
        ("keep <!-- comment --> this", "keep this"),
        ("x < y and y > z", "x < y and y > z"),
        ("zero\u200bwidth\u200d joiner \u202eoverride\ufeff", "zerowidth joiner override"),
        ("ctrl\x00\x07\x1b chars\x7f\x85", "ctrl chars"),
        ("  lots \n\t of   space\u00a0here  ", "lots of space here"),
        (None, ""),
    ],
)
def test_clean_text(raw: str | None, expected: str) -> None:
    assert clean_text(raw, 200) == expected


def test_clean_text_cuts_on_a_word_boundary() -> None:
    text = "Court orders platform to hand over user data in landmark privacy case"
    out = clean_text(text, 30)
    assert out == "Court orders platform to hand…" and len(out) <= 30
    assert clean_text("x" * 100, 10) == "x" * 9 + "…"
    assert clean_text("anything", 0) == ""


def test_clean_text_is_fast_on_megabyte_soup() -> None:
    soup = "<b" * 200_000 + "<script>" * 50_000 + "&amp;" * 100_000
    started = time.monotonic()
    assert len(clean_text(soup, 300)) <= 300
    assert time.monotonic() - started < 0.5


# --- keys and hashes ---------------------------------------------------------------------------------


def test_entry_key_prefers_guid_then_link_then_hash() -> None:
    when = datetime(2024, 1, 2, tzinfo=UTC)
    assert entry_key(" abc-1 ", "https://e.com/a", "T", when) == "guid:abc-1"
    assert entry_key(None, "https://e.com/a", "T", when) == "url:https://e.com/a"
    assert entry_key("  ", "https://e.com/a", "T", when) == "url:https://e.com/a"
    hashed = entry_key(None, None, "T", when)
    assert hashed.startswith("hash:") and hashed == entry_key(None, None, "T", when)
    assert hashed != entry_key(None, None, "T", None) != entry_key(None, None, "U", when)
    long_guid = entry_key("g" * 5000, None, "T", None)
    assert long_guid.startswith("guid#") and len(long_guid) < 64


def test_content_hash_ignores_case_and_spacing_only() -> None:
    base = content_hash("Meta sued", "The FTC filed suit.", "https://e.com/a")
    assert base == content_hash("META  sued", "the ftc  filed suit.", "https://e.com/a")
    assert base != content_hash("Meta sued again", "The FTC filed suit.", "https://e.com/a")
    assert base != content_hash("Meta sued", "The FTC filed suit.", "https://e.com/b")
    assert base != content_hash("Meta sued", "", "https://e.com/a")


# --- normalize ---------------------------------------------------------------------------------------


def test_normalize_plain_dicts() -> None:
    parsed = {
        "bozo": True,
        "bozo_exception": ValueError("bad\nthing"),
        "feed": {"title": "<b>Feed</b>", "link": "https://e.com/?utm_source=x"},
        "entries": [
            {
                "id": "1",
                "title": "First",
                "link": "https://e.com/1",
                "summary": "<p>S</p>",
                "published_parsed": time.struct_time((2024, 5, 1, 10, 0, 0, 2, 122, 0)),
            },
            {"title": "Relative", "link": "/2", "updated_parsed": (2024, 5, 2, 0, 0, 0, 0, 0, 0)},
            {
                "title": "Via links",
                "links": [
                    {"rel": "enclosure", "href": "https://e.com/x.mp3"},
                    {"rel": "alternate", "href": "https://e.com/3"},
                ],
            },
            {"content": [{"value": "<p>Only content</p>"}]},
            {"title": "", "summary": "", "link": "javascript:void(0)"},  # nothing usable: skipped
            {"id": "1", "title": "First", "link": "https://e.com/1", "summary": "<p>S</p>"},  # exact repeat
        ],
    }
    feed = normalize(parsed, "https://e.com/feed", now=NOW)
    assert feed.title == "Feed" and feed.link == "https://e.com/" and feed.bozo == "ValueError: bad thing"
    assert [e.url for e in feed.entries] == ["https://e.com/1", "https://e.com/2", "https://e.com/3", None]
    assert feed.entries[0].published == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert feed.entries[1].published == datetime(2024, 5, 2, tzinfo=UTC)
    assert feed.entries[3].summary == "Only content" and feed.entries[3].key.startswith("hash:")


def test_shared_guid_with_different_content_keeps_every_item() -> None:
    # PACER docket feeds give every entry of one docket the same guid.
    entries = [{"id": "docket-1", "title": f"Entry {i}", "link": "https://ecf.example/d1"} for i in range(3)]
    entries.append({"id": "docket-2", "title": "Alone", "link": "https://ecf.example/d2"})
    feed = normalize({"entries": entries}, None, now=NOW)
    keys = [e.key for e in feed.entries]
    assert len(set(keys)) == 4 and keys[3] == "guid:docket-2"
    assert all(k.startswith("guid:docket-1#") for k in keys[:3])
    assert keys == [e.key for e in normalize({"entries": entries}, None, now=NOW).entries]  # stable


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ((1970, 1, 1, 0, 0, 0, 0, 0, 0), None),
        ((1989, 12, 31, 23, 0, 0, 0, 0, 0), None),
        ((2024, 6, 2, 11, 0, 0, 0, 0, 0), datetime(2024, 6, 2, 11, tzinfo=UTC)),  # < 1 day ahead
        ((2024, 6, 3, 0, 0, 0, 0, 0, 0), None),  # > 1 day in the future
        ((2099, 1, 1, 0, 0, 0, 0, 0, 0), None),
        ((2024, 2, 31, 0, 0, 0, 0, 0, 0), None),  # impossible date
        ("yesterday", None),
    ],
)
def test_absurd_dates_become_none(when: object, expected: datetime | None) -> None:
    feed = normalize({"entries": [{"title": "t", "published_parsed": when}]}, None, now=NOW)
    assert feed.entries[0].published == expected


def test_entries_are_capped() -> None:
    entries = [{"title": f"T{i}", "link": f"https://e.com/{i}"} for i in range(MAX_ENTRIES + 500)]
    feed = normalize({"entries": entries}, None, now=NOW)
    assert len(feed.entries) == MAX_ENTRIES and feed.entries[-1].title == f"T{MAX_ENTRIES - 1}"
    assert len(normalize({"entries": entries}, None, max_entries=10, now=NOW).entries) == 10


def test_titles_and_summaries_are_capped() -> None:
    feed = normalize({"entries": [{"title": "word " * 100_000, "summary": "para " * 100_000}]}, None, now=NOW)
    assert len(feed.entries[0].title) <= 300 and len(feed.entries[0].summary) <= 2000


# --- properties --------------------------------------------------------------------------------------

URL_PIECES = st.sampled_from(
    [
        "http://",
        "https://",
        "HTTP://",
        "javascript:",
        "data:",
        "//",
        "/",
        "?",
        "#",
        "&",
        "=",
        "%",
        "%2",
        "%41",
        "utm_source=x",
        "a",
        "Example.COM",
        ":80",
        ":443",
        ":0",
        "@",
        "[",
        "]",
        "::1",
        " ",
        "\t",
        "\n",
        "..",
        "é",
        "\u200b",
        "\x00",
        "\\",
        "<",
        ">",
        '"',
        "'",
        "+",
    ]
)
urls = st.one_of(st.text(max_size=80), st.lists(URL_PIECES | st.text(max_size=5), max_size=12).map("".join))
HTML_PIECES = st.sampled_from(
    [
        "<",
        ">",
        "&",
        ";",
        "&amp;",
        "&lt;",
        "&gt;",
        "&#",
        "&#x",
        "<b>",
        "</b>",
        "<script>",
        "</script>",
        "<!--",
        "-->",
        "<br>",
        "amp",
        "lt;",
        "gt;",
        "#60;",
        "\u200b",
        "\x00",
        " ",
        "\n",
        "\u00a0",
        "word",
        "é",
        "…",
        "&amp;amp;lt;",
        "&nbsp;",
        "&copy",
        "<p",
        "/",
        "<!",
        "?>",
    ]
)
texts = st.one_of(
    st.text(max_size=200), st.lists(HTML_PIECES | st.text(max_size=4), max_size=40).map("".join)
)


@settings(max_examples=400, deadline=None, database=None)
@given(urls, st.one_of(st.none(), st.just("https://base.example/dir/page"), urls))
def test_canonical_url_properties(url: str, base: str | None) -> None:
    out = canonical_url(url, base)
    if out is not None:
        assert out.startswith(("http://", "https://")) and "#" not in out
        assert canonical_url(out) == out
        assert canonical_url(out, base) == out
        assert not any(c.isspace() for c in out)


@settings(max_examples=400, deadline=None, database=None)
@given(texts, st.integers(min_value=0, max_value=120))
def test_clean_text_properties(value: str, max_len: int) -> None:
    out = clean_text(value, max_len)
    assert len(out) <= max_len
    assert clean_text(out, max_len) == out
    assert out == out.strip() and "  " not in out
    out.encode("utf-8")
