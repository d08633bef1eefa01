"""The stdlib fast path on small hand-written feeds: same ParsedFeed as feedparser, or a clean decline.

Each accepted case is checked twice: against values written out here (so a shared mistake cannot
hide) and against parse_bytes with the fast path switched off (feedparser's answer). A generated
test shuffles item elements, because feedparser's precedence rules depend on element order.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.feeds import fastparse, parser
from bot.feeds.parser import FeedParseError, parse_bytes
from bot.models import ParsedFeed
from tests.feedxml import RDF

BASE = "https://site.example.com/feed.xml"
NS = (
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:media="http://search.yahoo.com/mrss/" xmlns:atom="http://www.w3.org/2005/Atom"'
)


def rss(items: str, channel: str = "<title>Feed</title><link>https://site.example.com/</link>") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" {NS}><channel>{channel}'
        f"{items}</channel></rss>"
    ).encode()


def atom(entries: str, head: str = "<title>Atom</title>", attrs: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" {attrs}>'
        f"{head}{entries}</feed>"
    ).encode()


def fast(body: bytes, url: str | None = BASE) -> ParsedFeed | None:
    return fastparse.parse_fast(body, url)


def slow(body: bytes, url: str | None = BASE) -> ParsedFeed:
    saved = parser.parse_fast
    parser.parse_fast = lambda data, url=None: None  # type: ignore[assignment]
    try:
        return parse_bytes(body, url)
    finally:
        parser.parse_fast = saved


def accepted_and_equal(body: bytes, url: str | None = BASE) -> ParsedFeed:
    result = fast(body, url)
    assert result is not None, "the fast path declined"
    assert result == slow(body, url)
    return result


# --- accepted: the same result as feedparser ------------------------------------------------------


def test_rss_item_fields() -> None:
    feed = accepted_and_equal(
        rss(
            "<item><title>Meta sued</title><link>https://site.example.com/a?utm_source=x&amp;id=7</link>"
            '<guid isPermaLink="false">item-1</guid><description>Short</description>'
            "<pubDate>Tue, 05 Mar 2024 14:30:00 +0100</pubDate></item>"
        )
    )
    assert (feed.title, feed.link) == ("Feed", "https://site.example.com/")
    (entry,) = feed.entries
    assert entry.url == "https://site.example.com/a?id=7"
    assert (entry.key, entry.guid, entry.title, entry.summary) == (
        "guid:item-1",
        "item-1",
        "Meta sued",
        "Short",
    )
    assert entry.published == datetime(2024, 3, 5, 13, 30, tzinfo=UTC)


def test_entities_and_cdata_in_titles() -> None:
    feed = accepted_and_equal(
        rss(
            "<item><title>AT&amp;T &lt;b&gt;wins&lt;/b&gt; &#8217;case&#8217;</title><link>https://a.example/1</link></item>"
            "<item><title><![CDATA[Foo & <i>Bar</i> &amp; baz]]></title><link>https://a.example/2</link></item>"
            "<item><title>  spaced\n   out\t title  </title><link>https://a.example/3</link></item>"
        )
    )
    assert [e.title for e in feed.entries] == [
        "AT&T wins \u2019case\u2019",
        "Foo & Bar & baz",
        "spaced out title",
    ]


def test_atom_html_and_text_types() -> None:
    feed = accepted_and_equal(
        atom(
            '<entry><title type="html">A &lt;em&gt;court&lt;/em&gt; order</title>'
            '<link rel="alternate" type="text/html" href="https://atom.example/p/1"/>'
            "<id>tag:atom.example,2024:1</id><updated>2024-03-01T10:00:00Z</updated>"
            '<content type="html">&lt;p&gt;Ordered &amp;amp; done&lt;/p&gt;</content></entry>'
            '<entry><title type="text">1 &lt; 2</title><id>https://atom.example/p/2</id>'
            "<summary>Plain</summary><published>2024-03-02T00:00:00+02:00</published></entry>"
        )
    )
    first, second = feed.entries
    assert (first.title, first.summary, first.url) == (
        "A court order",
        "Ordered & done",
        "https://atom.example/p/1",
    )
    assert first.published == datetime(2024, 3, 1, 10, tzinfo=UTC)
    assert second.url == "https://atom.example/p/2"  # an Atom id acts as a permalink when no link came first
    assert second.published == datetime(2024, 3, 1, 22, tzinfo=UTC)


def test_rdf_with_dc_date_and_rdf_about() -> None:
    body = RDF
    feed = accepted_and_equal(body)
    (entry,) = feed.entries
    assert (feed.title, entry.guid, entry.published) == (
        "RDF news",
        "https://rdf.example.net/1",
        datetime(2024, 2, 1, 8, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("children", "summary"),
    [
        ("<description>desc</description><content:encoded>full</content:encoded>", "desc"),
        ("<content:encoded>full</content:encoded><description>desc</description>", "desc"),
        ("<content:encoded>full</content:encoded>", "full"),
        ("<description></description><content:encoded>full</content:encoded>", "full"),
        ("<description>one</description><description>two</description>", "one"),
        ("<description>one</description><description>two</description><description>three</description>", "three"),
        ("<media:description>media</media:description><description>desc</description>", "media"),
        ("<media:content url='https://a.example/i.jpg'><media:description>m</media:description></media:content>"
         "<description>desc</description>", "m"),
    ],
)  # fmt: skip
def test_summary_precedence(children: str, summary: str) -> None:
    feed = accepted_and_equal(rss(f"<item><title>t</title>{children}</item>"))
    assert feed.entries[0].summary == summary


@pytest.mark.parametrize(
    ("children", "url"),
    [
        ('<guid isPermaLink="true">https://a.example/g</guid>', "https://a.example/g"),
        ("<guid>https://a.example/g</guid>", "https://a.example/g"),
        ('<guid isPermaLink="false">https://a.example/g</guid>', None),
        ("<guid>https://a.example/g</guid><link>https://a.example/l</link>", "https://a.example/l"),
        ("<link>https://a.example/l</link><guid>https://a.example/g</guid>", "https://a.example/l"),
        ("<link></link><guid>https://a.example/g</guid>", None),
        ("<link>/relative/path</link>", "https://site.example.com/relative/path"),
        ("<link>https://a.example/?a=1&amp;b=2&amp;c;=3</link>", "https://a.example/?a=1&b=2&c=3"),
        ('<atom:link rel="alternate" href="https://a.example/x"/>', "https://a.example/x"),
    ],
)
def test_links_and_guids(children: str, url: str | None) -> None:
    feed = accepted_and_equal(rss(f"<item><title>t</title>{children}</item>"))
    assert feed.entries[0].url == url


def test_atom_multiple_links() -> None:
    feed = accepted_and_equal(
        atom(
            '<entry><title>t</title><id>urn:uuid:1</id><link rel="self" href="https://a.example/self"/>'
            '<link rel="enclosure" href="https://a.example/e.mp3"/>'
            '<link rel="alternate" type="application/pdf" href="https://a.example/doc.pdf"/>'
            '<link href="https://a.example/first"/><link rel="alternate" href="https://a.example/last"/></entry>'
            '<entry><title>u</title><link rel="alternate" type="application/pdf" href="https://a.example/only.pdf"/>'
            "</entry>"
        )
    )
    assert [e.url for e in feed.entries] == ["https://a.example/last", "https://a.example/only.pdf"]


@pytest.mark.parametrize(
    ("children", "published"),
    [
        ("<pubDate>Mon, 01 Jan 2024 00:00:00 GMT</pubDate><dc:date>2024-02-01T00:00:00Z</dc:date>", (2024, 1, 1)),
        ("<dc:date>2024-02-01T00:00:00Z</dc:date>", (2024, 2, 1)),
        ("<dc:date>2024-02-01T00:00:00Z</dc:date><pubDate>not a date</pubDate>", (2024, 2, 1)),
        ("<pubDate>Mon, 01 Jan 2024 00:00:00 GMT</pubDate><pubDate>Tue, 02 Jan 2024 00:00:00 GMT</pubDate>",
         (2024, 1, 2)),
        ("<pubDate>Thu, 01 Jan 1970 00:00:00 GMT</pubDate>", None),
        ("", None),
    ],
)  # fmt: skip
def test_dates(children: str, published: tuple[int, int, int] | None) -> None:
    feed = accepted_and_equal(rss(f"<item><title>t</title>{children}</item>"))
    expected = datetime(*published, tzinfo=UTC) if published else None
    assert feed.entries[0].published == expected


@pytest.mark.parametrize(
    ("children", "title"),
    [
        ("<media:title>media</media:title><title>real</title>", "real"),
        ("<title>real</title><dc:title>dc</dc:title>", "real"),
        ("<title></title><dc:title>dc</dc:title>", "dc"),
        ("<media:group><media:title>media</media:title></media:group>", "media"),
        ("<title>real</title><media:group><media:title>media</media:title></media:group>", "real"),
        (
            "<title>real</title><source url='https://s.example/'>Src</source><dc:title>after</dc:title>",
            "after",
        ),
    ],
)
def test_title_precedence(children: str, title: str) -> None:
    feed = accepted_and_equal(rss(f"<item>{children}<link>https://a.example/1</link></item>"))
    assert feed.entries[0].title == title


def test_feed_title_survives_channel_image() -> None:
    channel = (
        "<image><title>Logo</title><url>https://a.example/l.png</url><link>https://a.example/img</link></image>"
        "<title>Channel</title><link>https://a.example/</link>"
    )
    feed = accepted_and_equal(rss("<item><title>t</title></item>", channel))
    assert (feed.title, feed.link) == ("Channel", "https://a.example/")


def test_mojibake_and_c1_controls_are_repaired_like_feedparser() -> None:
    body = rss(
        "<item><title>CafÃ©</title><link>https://a.example/1</link></item>"
        "<item><title>\u0093quoted\u0094</title><link>https://a.example/2</link></item>"
        "<item><title>CafÃ© \u0093both\u0094</title><link>https://a.example/3</link></item>"
    )
    feed = accepted_and_equal(body)
    assert [e.title for e in feed.entries] == ["Café", "\u201cquoted\u201d", "CafÃ© \u201cboth\u201d"]


def test_xml_base_resolves_relative_links() -> None:
    body = atom(
        '<entry xml:base="https://atom.example/blog/"><title>t</title><link href="posts/1"/>'
        "<id>tag:a,1</id></entry>"
        '<entry><title>u</title><link href="/top"/><id>tag:a,2</id></entry>',
        attrs='xml:base="https://atom.example/root/"',
    )
    feed = accepted_and_equal(body)
    assert [e.url for e in feed.entries] == ["https://atom.example/blog/posts/1", "https://atom.example/top"]


def test_html_hostile_text_is_still_cleaned_and_capped() -> None:
    long_title = "word " * 1000
    feed = accepted_and_equal(
        rss(
            f"<item><title>{long_title}</title><link>javascript:alert(1)</link>"
            "<description>&lt;script&gt;alert(1)&lt;/script&gt;safe</description></item>"
        )
    )
    (entry,) = feed.entries
    assert len(entry.title) <= 300 and entry.url is None and entry.summary == "safe"


def test_accepts_and_counts() -> None:
    before = fastparse.STATS["accepted"]
    assert fast(rss("<item><title>t</title></item>")) is not None
    assert fastparse.STATS["accepted"] == before + 1


# --- declined: feedparser decides -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (atom('<entry><title type="xhtml"><div>x</div></title></entry>'), "content type application/xhtml+xml"),
        (atom('<entry><title>t</title><content type="xhtml"><div>x</div></content></entry>'),
         "content type application/xhtml+xml"),
        (atom('<entry><title>t</title><content type="image/png">iVBORw0KGgo=</content></entry>'),
         "content type image/png"),
        (rss("<item><title>t</title><description>a <b>raw</b> tag</description></item>"),
         "markup inside <description>"),
        (b'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "x.dtd"><rss version="2.0"><channel><item>'
         b"<title>t</title></item></channel></rss>", "DOCTYPE or declaration in the prolog"),
        (rss("<item><title>t &nbsp; x</title></item>"), "not well-formed XML"),
        (rss("<item><title>t</title>"), "not well-formed XML"),
        (rss(""), "no items"),
        (b'<feed xmlns="http://purl.org/atom/ns#" version="0.3"><entry><title>t</title></entry></feed>',
         "root element {http://purl.org/atom/ns#}feed"),
        (b"<html><body>nope</body></html>", "root element html"),
        (rss('<item xmlns:georss="http://www.georss.org/georss"><title>t</title>'
             "<georss:point>45 -71</georss:point></item>"), "element <georss_point>"),
        (atom("<entry><title>t</title><source><title>s</title></source></entry>"), "structured source"),
        (rss('<item><title>t</title><x:a xmlns:x="urn:one"/><x:b xmlns:x="urn:two"/></item>'),
         "namespace prefix re-bound"),
    ],
)  # fmt: skip
def test_declines(body: bytes, reason: str) -> None:
    before = fastparse.STATS[f"declined: {reason}"]
    assert fast(body) is None
    assert fastparse.STATS[f"declined: {reason}"] == before + 1


def test_parse_bytes_falls_back_to_feedparser_when_declined() -> None:
    body = atom(
        '<entry><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">An <b>XHTML</b> title</div>'
        "</title><id>urn:x</id></entry>"
    )
    assert fast(body) is None
    assert parse_bytes(body, BASE).entries[0].title == "An XHTML title"


def test_parse_bytes_answers_as_before_for_declined_bodies() -> None:
    assert parse_bytes(rss(""), BASE).entries == ()  # a valid feed without items: feedparser's answer
    with pytest.raises(FeedParseError, match="HTML page"):
        parse_bytes(b"<html><body><p>not a feed</p></body></html>", BASE)


# --- generated: shuffled item elements -----------------------------------------------------------

_ITEM_PARTS = [
    "<title>Title A</title>",
    "<title></title>",
    "<dc:title>DC title</dc:title>",
    "<media:title>Media title</media:title>",
    "<media:group><media:title>Grouped</media:title><media:description>gd</media:description></media:group>",
    "<link>https://a.example/link</link>",
    "<link>/rel</link>",
    '<atom:link rel="alternate" href="https://a.example/atom"/>',
    '<atom:link rel="self" href="https://a.example/self"/>',
    "<guid>https://a.example/guid</guid>",
    '<guid isPermaLink="false">opaque-1</guid>',
    "<description>Desc &lt;b&gt;x&lt;/b&gt;</description>",
    "<description></description>",
    "<content:encoded><![CDATA[<p>Full</p>]]></content:encoded>",
    "<media:description>MD</media:description>",
    "<summary>Sum</summary>",
    "<pubDate>Mon, 01 Jan 2024 10:00:00 GMT</pubDate>",
    "<dc:date>2024-02-01T00:00:00Z</dc:date>",
    "<lastBuildDate>Tue, 02 Jan 2024 10:00:00 GMT</lastBuildDate>",
    "<source url='https://s.example/'>Src</source>",
    "<image>https://a.example/i.png</image>",
    "<author>a@example.com (A)</author>",
    "<category>c</category>",
    "<enclosure url='https://a.example/e.mp3' type='audio/mpeg' length='1'/>",
    "<comments>https://a.example/c</comments>",
]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(_ITEM_PARTS), max_size=7), min_size=1, max_size=3))
def test_shuffled_items_match_feedparser(items: list[list[str]]) -> None:
    body = rss("".join(f"<item>{''.join(parts)}</item>" for parts in items))
    result = fast(body)
    assert result is not None
    assert result == slow(body)


_CHANNEL_PARTS = [
    "<title>Channel</title>",
    "<title></title>",
    "<link>https://a.example/</link>",
    '<atom:link rel="self" href="https://a.example/feed"/>',
    "<description>About</description>",
    "<image><title>Logo</title><url>https://a.example/l.png</url><link>https://a.example/img</link></image>",
    "<textInput><title>Search</title><name>q</name><link>https://a.example/s</link></textInput>",
    "<pubDate>Mon, 01 Jan 2024 10:00:00 GMT</pubDate>",
    "<item><description>one</description><description>two</description></item>",
    "<item><title>Item</title><link>https://a.example/i</link></item>",
]

_ATOM_PARTS = [
    '<title type="html">A &amp;amp; B</title>',
    "<title></title>",
    '<link href="https://a.example/1"/>',
    '<link rel="alternate" type="text/plain" href="https://a.example/plain"/>',
    '<link rel="related" href="https://a.example/rel"/>',
    "<id>tag:a.example,2024:1</id>",
    "<id>https://a.example/id</id>",
    '<summary type="html">&lt;p&gt;S&lt;/p&gt;</summary>',
    '<content type="html">&lt;p&gt;C&lt;/p&gt;</content>',
    '<content type="text">T</content>',
    "<published>2024-03-01T10:00:00Z</published>",
    "<updated>2024-03-02T10:00:00+01:00</updated>",
    "<author><name>N</name><uri>https://a.example/n</uri></author>",
    '<category term="c"/>',
]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_CHANNEL_PARTS), min_size=1, max_size=7))
def test_shuffled_channels_match_feedparser(parts: list[str]) -> None:
    body = rss("", "".join(parts))
    result = fast(body)
    if "<item>" not in "".join(parts):
        assert result is None  # no items: feedparser decides
        return
    assert result is not None
    assert result == slow(body)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(_ATOM_PARTS), max_size=7), min_size=1, max_size=3))
def test_shuffled_atom_entries_match_feedparser(entries: list[list[str]]) -> None:
    body = atom("".join(f"<entry>{''.join(parts)}</entry>" for parts in entries))
    result = fast(body)
    assert result is not None
    assert result == slow(body)
