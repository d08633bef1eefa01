"""Feed lists: plain text or OPML, validated, deduplicated; the bundled defaults parse."""

from __future__ import annotations

import pytest

from bot.sources import SourcesError, load_sources, parse_sources


def test_plain_list_with_comments_and_duplicates() -> None:
    text = "# news\nhttps://Example.org/feed  # the main one\n\nhttps://example.org/feed\nhttp://b.org/rss?utm_source=x\n"
    assert parse_sources(text) == ["https://example.org/feed", "http://b.org/rss"]


def test_opml() -> None:
    opml = """<?xml version="1.0"?><opml version="2.0"><body>
      <outline text="Law"><outline text="A" xmlUrl="https://a.org/feed"/></outline>
      <outline text="B" xmlUrl="https://b.org/atom"/><outline text="folder only"/>
    </body></opml>"""
    assert parse_sources(opml) == ["https://a.org/feed", "https://b.org/atom"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ftp://x.org/feed\n", "not an http"),
        ("javascript:alert(1)\n", "not an http"),
        ("<opml><body><outline xmlUrl='file:///etc/passwd'/></body></opml>", "non-http"),
        ("<opml><body>", "invalid OPML"),
        ('<!DOCTYPE x [<!ENTITY a "b">]><opml/>', "DOCTYPE"),
    ],
)
def test_bad_sources_are_rejected_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(SourcesError, match=message):
        parse_sources(text)


def test_bundled_defaults_are_valid_and_curated() -> None:
    urls = load_sources(None)
    assert len(urls) >= 10
    assert all(u.startswith("https://") for u in urls)
    assert any("news.google.com/rss/search" in u for u in urls)
