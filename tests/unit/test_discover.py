"""Feed discovery (bot/feeds/discover.py): the pure link extraction and body sniffing on hand-written
HTML, the discovery walk over a fake fetcher, and the /feeds add decision (cogs/feeds.decide)."""

from __future__ import annotations

import pytest

from bot.feeds.discover import (
    MAX_HTML_CHARS,
    PROBE_PATHS,
    Discovery,
    FeedLink,
    body_kind,
    decode_html,
    discover,
    feed_links,
)
from bot.feeds.fetcher import FetchError, FetchResult
from cogs.feeds import decide

PAGE = "https://www.example.org/blog/post.html"
RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
ATOM = b'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><title>a</title></feed>'


def urls(links: list[FeedLink]) -> list[str]:
    return [link.url for link in links]


def test_relative_urls_are_resolved_against_the_page() -> None:
    html = """<!doctype html><html><head><title>Blog</title>
    <link rel="alternate" type="application/rss+xml" title="All  posts" href="../feed.xml">
    <link rel="alternate" type="application/atom+xml" href="/atom">
    <link rel="alternate" type="application/rss+xml" href="//cdn.example.net/rss">
    </head><body>hi</body></html>"""
    links = feed_links(html, PAGE)
    assert urls(links) == [
        "https://www.example.org/feed.xml",
        "https://www.example.org/atom",
        "https://cdn.example.net/rss",
    ]
    assert [(link.kind, link.title) for link in links] == [("RSS", "All posts"), ("Atom", ""), ("RSS", "")]


def test_base_href_wins_over_the_page_url() -> None:
    html = '<head><base href="https://other.example.com/news/"><link rel=alternate type=application/rss+xml href=rss.xml></head>'
    assert urls(feed_links(html, PAGE)) == ["https://other.example.com/news/rss.xml"]


def test_several_links_in_order_without_duplicates() -> None:
    html = (
        "<html><head>"
        + "".join(
            f'<link rel="alternate" type="application/rss+xml" title="Feed {i}" href="/f{i}.xml">' for i in range(5)
        )
        + '<link rel="alternate" type="application/rss+xml" href="https://WWW.example.org/f0.xml#top">'
        + "</head></html>"
    )
    assert urls(feed_links(html, PAGE)) == [f"https://www.example.org/f{i}.xml" for i in range(5)]


def test_wrong_types_rels_and_schemes_are_ignored() -> None:
    html = """<head>
    <link rel="stylesheet" type="text/css" href="/style.css">
    <link rel="alternate" type="text/html" hreflang="fr" href="/fr/">
    <link rel="alternate" type="application/json+oembed" href="/oembed?url=x">
    <link rel="icon" type="application/rss+xml" href="/not-a-feed-rel.xml">
    <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
    <link rel="alternate" type="application/rss+xml" href="">
    <link rel="alternate" type="application/rss+xml">
    <link REL="Alternate Feed" TYPE="Application/RSS+XML; charset=utf-8" HREF="/ok.xml"/>
    <link rel="alternate" type="application/feed+json" href="/feed.json">
    </head>"""
    links = feed_links(html, PAGE)
    assert urls(links) == ["https://www.example.org/ok.xml", "https://www.example.org/feed.json"]
    assert links[1].kind == "JSON Feed"


def test_a_page_without_head_tags_and_links_in_the_body() -> None:
    bare = '<link rel="alternate" type="application/atom+xml" href="/a.xml"><p>text</p>'
    assert urls(feed_links(bare, PAGE)) == ["https://www.example.org/a.xml"]
    in_body = '<html><body><link rel="alternate" type="application/rss+xml" href="/late.xml"></body></html>'
    assert feed_links(in_body, PAGE) == []  # after <body> starts the head is over
    assert feed_links("", PAGE) == [] and feed_links("just text, no markup", PAGE) == []
    assert feed_links("<head><link rel='alternate' type='application/rss+xml' href='/x", PAGE) == []  # cut off


def test_huge_pages_are_read_only_up_to_the_cap() -> None:
    filler = "<meta name=x content='" + "y" * 1000 + "'>"
    early = '<link rel="alternate" type="application/rss+xml" href="/early.xml">'
    late = '<link rel="alternate" type="application/rss+xml" href="/late.xml">'
    html = "<html><head>" + early + filler * (MAX_HTML_CHARS // len(filler) + 10) + late + "</head></html>"
    assert len(html) > MAX_HTML_CHARS
    assert urls(feed_links(html, PAGE)) == ["https://www.example.org/early.xml"]
    assert urls(feed_links(html, PAGE, limit=len(html))) == [
        "https://www.example.org/early.xml",
        "https://www.example.org/late.xml",
    ]


def test_body_kind_sniffs_bytes_before_the_content_type() -> None:
    assert body_kind(RSS) == "feed" and body_kind(ATOM, "text/html") == "feed"
    assert body_kind(b"\xef\xbb\xbf  <!-- hi --><rdf:RDF xmlns:rdf='x'></rdf:RDF>") == "feed"
    assert body_kind(b"<!DOCTYPE html><html lang=en><head></head></html>", "text/xml") == "page"
    xhtml = b'<?xml version="1.0"?><!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "x"><html xmlns="x">'
    assert body_kind(xhtml) == "page"
    assert body_kind(b"<div>fragment</div>", "text/html; charset=utf-8") == "page"
    assert body_kind(b'{"version": "https://jsonfeed.org/version/1"}', "application/json") == "other"
    assert body_kind(b"") == "other"


def test_decode_html_honours_the_charset() -> None:
    assert decode_html("café".encode("latin-1"), "text/html; charset=ISO-8859-1") == "café"
    assert decode_html(b'<meta charset="windows-1252"><p>\x93q\x94') .endswith("\u201cq\u201d")
    assert decode_html(b"\xff ok", "text/html; charset=no-such-codec").endswith(" ok")


# --- the walk, over a fake fetcher -------------------------------------------------------------------


class FakeFetcher:
    def __init__(self, pages: dict[str, tuple[bytes, str] | str]) -> None:
        self.pages, self.asked = pages, []  # a str value: redirect target

    async def fetch(self, url: str, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        self.asked.append(url)
        final = url
        while isinstance(self.pages.get(final), str):
            final = self.pages[final]  # type: ignore[assignment]
        if final not in self.pages:
            raise FetchError("HTTP 404 Not Found", status=404)
        body, ctype = self.pages[final]  # type: ignore[misc]
        return FetchResult(200, body, None, None, final, False, 0.0, content_type=ctype)


async def test_a_feed_url_is_a_feed_and_a_fetch_failure_is_unchecked() -> None:
    fetcher = FakeFetcher({"https://a.example/feed": (RSS, "text/xml")})
    assert await discover(fetcher, "https://a.example/feed") == Discovery("https://a.example/feed", "feed")
    gone = await discover(fetcher, "https://a.example/gone")
    assert gone.kind == "unchecked" and gone.reason == "HTTP 404 Not Found"
    assert fetcher.asked == ["https://a.example/feed", "https://a.example/gone"]  # no probing


async def test_page_links_are_used_without_probing_and_json_feeds_are_left_out() -> None:
    html = b"""<html><head><link rel=alternate type=application/feed+json href=/feed.json>
    <link rel=alternate type=application/atom+xml href=/atom.xml title=Atom></head></html>"""
    fetcher = FakeFetcher({"https://a.example/": (html, "text/html")})
    found = await discover(fetcher, "https://a.example/")
    assert found.kind == "page" and not found.probed and found.unreadable == 1
    assert urls(list(found.feeds)) == ["https://a.example/atom.xml"]
    assert fetcher.asked == ["https://a.example/"]


async def test_a_page_without_links_is_probed_at_the_usual_paths() -> None:
    fetcher = FakeFetcher(
        {
            "https://a.example/blog/": (b"<html><head></head><body>no links</body></html>", "text/html"),
            "https://a.example/feed": "https://a.example/feed.xml",  # the same feed twice
            "https://a.example/feed.xml": (RSS, "application/rss+xml"),
            "https://a.example/rss": (RSS, "text/xml"),  # same body again
            "https://a.example/atom.xml": (ATOM, "application/atom+xml"),
            "https://a.example/index.xml": (b"<html><body>soft 404</body></html>", "text/html"),
        }
    )
    found = await discover(fetcher, "https://a.example/blog/")
    assert found.kind == "page" and found.probed
    assert [(f.url, f.kind) for f in found.feeds] == [
        ("https://a.example/feed", "RSS"),
        ("https://a.example/atom.xml", "Atom"),
    ]
    assert sorted(fetcher.asked[1:]) == sorted(f"https://a.example{p}" for p in PROBE_PATHS)
    empty = await discover(FakeFetcher({"https://b.example/": (b"<html></html>", "text/html")}), "https://b.example/")
    assert empty.kind == "page" and empty.feeds == ()


# --- what /feeds add does with a discovery -----------------------------------------------------------


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        (Discovery("https://a.example/feed", "feed"), ("add", "https://a.example/feed", None)),
        (Discovery("https://a.example/x", "other"), ("add", "https://a.example/x", None)),
        (
            Discovery("https://a.example/", "page", (FeedLink("https://a.example/f.xml", "", "RSS"),)),
            ("add", "https://a.example/f.xml", "https://a.example/"),
        ),
        (Discovery("https://a.example/", "page"), ("message", None, None)),
        (
            Discovery(
                "https://a.example/",
                "page",
                (FeedLink("https://a.example/1", "", "RSS"), FeedLink("https://a.example/2", "", "Atom")),
            ),
            ("pick", None, None),
        ),
    ],
)
def test_decide(found: Discovery, expected: tuple[str, str | None, str | None]) -> None:
    choice = decide(found)
    what = "message" if choice.message else "add" if choice.add else "pick"
    assert (what, choice.add, choice.discovered_from) == expected
    if what == "message":
        assert "no RSS or Atom feed" in (choice.message or "") and "/feed" in (choice.message or "")


def test_decide_adds_an_unfetchable_url_as_given_and_says_why() -> None:
    choice = decide(Discovery("https://a.example/f", "unchecked", reason="connection failed: refused"))
    assert choice.add == "https://a.example/f" and "connection failed" in (choice.note or "")
