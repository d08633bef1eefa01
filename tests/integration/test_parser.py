"""parse_bytes and ParserPool on hand-written feeds and the shared real-feed snapshots."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.feeds.parser import MAX_BODY_BYTES, FeedParseError, ParserPool, _worker_memory_limit, parse_bytes
from bot.models import ParsedFeed
from tests.feedxml import RDF

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "feeds"
REAL = SHARED / "real"
FIXTURES = SHARED / "feedparser"

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
<title>Court &amp; Tech News</title><link>https://news.example.com/</link>
<item>
  <title>Meta sued by FTC over &lt;b&gt;privacy&lt;/b&gt;</title>
  <link>https://news.example.com/2024/ftc-meta?utm_source=rss&amp;id=7#top</link>
  <guid isPermaLink="false">item-1</guid>
  <description><![CDATA[<p>The <b>FTC</b> filed suit.</p><script>alert(1)</script>]]></description>
  <pubDate>Tue, 05 Mar 2024 14:30:00 +0100</pubDate>
</item>
<item>
  <title>Subpoena to X Corp</title>
  <link>/2024/x-subpoena</link>
  <pubDate>Wed, 06 Mar 2024 09:00:00 GMT</pubDate>
</item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://atom.example.org/blog/">
  <title type="html">Atom &lt;i&gt;feed&lt;/i&gt;</title>
  <link href="https://atom.example.org/"/>
  <entry>
    <title>Court orders Telegram to hand over data</title>
    <link rel="alternate" href="posts/telegram"/>
    <id>tag:atom.example.org,2024:1</id>
    <updated>2024-03-01T10:00:00Z</updated>
    <content type="html">&lt;p&gt;A court &lt;em&gt;ordered&lt;/em&gt; it.&lt;/p&gt;</content>
  </entry>
</feed>"""



def test_rss_is_normalised() -> None:
    feed = parse_bytes(RSS, "https://news.example.com/feed.xml")
    assert feed.title == "Court & Tech News" and feed.link == "https://news.example.com/"
    assert feed.bozo is None and len(feed.entries) == 2
    first, second = feed.entries
    assert first.title == "Meta sued by FTC over privacy"
    assert first.url == "https://news.example.com/2024/ftc-meta?id=7"
    assert first.summary == "The FTC filed suit."
    assert first.published == datetime(2024, 3, 5, 13, 30, tzinfo=UTC)
    assert first.guid == "item-1" and first.key == "guid:item-1" and len(first.content_hash) == 32
    # relative link resolved against the feed's URL; no guid so the link is the key
    assert second.url == "https://news.example.com/2024/x-subpoena"
    assert second.key == "url:https://news.example.com/2024/x-subpoena" and second.guid is None


def test_atom_with_xml_base_and_html_content() -> None:
    feed = parse_bytes(ATOM, "https://atom.example.org/feed.atom")
    assert feed.title == "Atom feed"
    (entry,) = feed.entries
    assert entry.url == "https://atom.example.org/blog/posts/telegram"
    assert entry.summary == "A court ordered it."
    assert entry.published == datetime(2024, 3, 1, 10, tzinfo=UTC)
    assert entry.key == "guid:tag:atom.example.org,2024:1"


def test_rdf() -> None:
    feed = parse_bytes(RDF)
    assert [e.title for e in feed.entries] == ["Google fined"]
    assert feed.entries[0].published == datetime(2024, 2, 1, 8, tzinfo=UTC)


def test_latin1_and_utf16_feeds_decode() -> None:
    latin = (
        '<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>Gericht</title>'
        "<item><title>Klage gegen Plattform: Geb\u00fchr f\u00fcr Nutzer</title></item></channel></rss>"
    )
    assert (
        parse_bytes(latin.encode("latin-1")).entries[0].title
        == "Klage gegen Plattform: Geb\u00fchr f\u00fcr Nutzer"
    )
    utf16 = RSS.decode().replace('encoding="utf-8"', 'encoding="utf-16"').encode("utf-16")
    assert [e.title for e in parse_bytes(utf16).entries] == [e.title for e in parse_bytes(RSS).entries]


def test_bozo_feed_with_items_is_accepted() -> None:
    body = (
        b'<rss version="2.0"><channel><title>T & Co</title><item><title>Fine & dandy</title>'
        b"<link>https://e.com/1</link></item></channel>"
    )  # bare "&" and no </rss>
    feed = parse_bytes(body)
    assert feed.bozo and [e.title for e in feed.entries] == ["Fine & dandy"]


def test_empty_but_valid_feed_is_not_an_error() -> None:
    feed = parse_bytes(b'<rss version="2.0"><channel><title>Quiet</title></channel></rss>')
    assert feed.title == "Quiet" and feed.entries == () and feed.bozo is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty"),
        (b" \n\t ", "empty"),
        (b"<!DOCTYPE html><html><head><title>Blocked</title></head><body>Nope</body></html>", "HTML"),
        (b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body>x</body></html>', "HTML"),
        (b'{"version": "https://jsonfeed.org/version/1", "items": []}', "JSON"),
        (b"[1, 2, 3]", "JSON"),
        (b"<<<>>> not xml at all &&&", "not a feed"),
        (b"Service Unavailable", "not XML"),
        (b'<?xml version="1.0"?><note><to>Tove</to></note>', "not a feed"),
    ],
)
def test_non_feeds_raise(body: bytes, reason: str) -> None:
    with pytest.raises(FeedParseError, match=reason) as info:
        parse_bytes(body)
    assert "\n" not in info.value.reason


def test_body_that_is_a_local_path_is_not_opened(tmp_path: Path) -> None:
    secret = tmp_path / "feed.xml"
    secret.write_bytes(RSS)  # a valid feed: if the path were opened, parsing would succeed
    with pytest.raises(FeedParseError):
        parse_bytes(str(secret).encode())
    with pytest.raises(FeedParseError) as info:
        parse_bytes(b"/etc/passwd")
    assert "root:" not in info.value.reason


def test_oversized_and_non_bytes_bodies() -> None:
    with pytest.raises(FeedParseError, match="too large"):
        parse_bytes(b" " * (MAX_BODY_BYTES + 1))
    with pytest.raises(FeedParseError, match="bytes"):
        parse_bytes("<rss/>")  # type: ignore[arg-type]


# --- the shared real-feed snapshots ------------------------------------------------------------------


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/feeds/real not available")
def test_every_real_feed_parses_or_is_reported() -> None:
    failures: dict[str, str] = {}
    items = 0
    started = time.monotonic()
    for path in sorted(REAL.glob("*.xml")):
        try:
            feed = parse_bytes(path.read_bytes(), f"https://feeds.example.com/{path.name}")
        except FeedParseError as exc:
            failures[path.name] = exc.reason
            continue
        items += len(feed.entries)
        for entry in feed.entries:
            assert len(entry.title) <= 300 and len(entry.summary) <= 2000
            assert entry.url is None or entry.url.startswith(("http://", "https://"))
            assert entry.published is None or entry.published.tzinfo is UTC
    assert set(failures) == {"reuters_mostread_INVALID.xml"}, failures
    assert "malformed" in failures["reuters_mostread_INVALID.xml"]
    assert items > 4000  # MANIFEST.tsv: 4,251 items; exact repeats within a feed are dropped
    assert time.monotonic() - started < 10


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="../shared/feeds/feedparser not available")
def test_every_feedparser_fixture_is_handled() -> None:
    paths = [p for p in sorted(FIXTURES.rglob("*")) if p.is_file() and p.suffix in (".xml", ".json")]
    assert len(paths) > 2000
    rejected: list[str] = []
    started = time.monotonic()
    for path in paths:
        try:
            parse_bytes(path.read_bytes(), "http://fixtures.example.com/feed")
        except FeedParseError:  # the only exception allowed out
            rejected.append(path.relative_to(FIXTURES).as_posix())
    # Only ill-formed/encoding/entity cases without items (feedparser flags them all as bozo) and
    # item-less CDF channels are rejected; every other well-formed fixture parses.
    assert all(not p.startswith("wellformed/") or p.startswith("wellformed/cdf/") for p in rejected), rejected
    assert len(rejected) < 300
    assert time.monotonic() - started < 10


# --- the worker pool ---------------------------------------------------------------------------------


async def test_pool_parses_like_inline_and_concurrently() -> None:
    pool = ParserPool(workers=2, timeout_s=10)
    try:
        results = await asyncio.gather(
            *(pool.parse(b, "https://news.example.com/f") for b in [RSS, ATOM] * 5)
        )
        assert results[0] == parse_bytes(RSS, "https://news.example.com/f")
        assert results[1] == parse_bytes(ATOM, "https://news.example.com/f")
        with pytest.raises(FeedParseError, match="HTML"):
            await pool.parse(b"<html><body>hi</body></html>")
        assert await pool._run(_worker_memory_limit) == 1024 * 1024 * 1024
    finally:
        await pool.close()
    with pytest.raises(FeedParseError, match="closed"):
        await pool.parse(RSS)


# About a second of feedparser work: longer than the pool timeouts used below. Left unclosed on purpose:
# the stdlib fast path declines ill-formed XML, so this stays on feedparser's (slow, lenient) path.
SLOW = b'<rss version="2.0"><channel><title>T</title>' + b"".join(
    b"<item><title>Item %d</title><link>https://e.com/%d</link><description>%s</description></item>"
    % (i, i, b"word " * 200)
    for i in range(4000)
)


async def test_pool_timeout_kills_and_recreates_the_worker() -> None:
    pool = ParserPool(workers=1, timeout_s=0.15)
    try:
        await pool.parse(RSS)  # start the worker outside the timed part
        started = time.monotonic()
        with pytest.raises(FeedParseError, match="timed out"):
            await pool.parse(SLOW)
        assert time.monotonic() - started < 1.0
        assert len((await pool.parse(RSS)).entries) == 2  # a fresh worker took over
    finally:
        await pool.close()


async def test_callers_sharing_a_killed_pool_are_retried() -> None:
    pool = ParserPool(workers=1, timeout_s=0.3)
    try:
        await pool.parse(RSS)
        slow = pool.parse(SLOW)
        queued = [pool.parse(RSS, f"https://e.com/{i}") for i in range(3)]  # wait behind the slow one
        results = await asyncio.gather(slow, *queued, return_exceptions=True)
        assert isinstance(results[0], FeedParseError) and "timed out" in results[0].reason
        assert all(isinstance(r, ParsedFeed) and len(r.entries) == 2 for r in results[1:]), results
    finally:
        await pool.close()


async def test_inline_pool() -> None:
    pool = ParserPool(inline=True)
    assert (await pool.parse(RSS)).title == "Court & Tech News"
    await pool.close()
    with pytest.raises(FeedParseError):
        await pool.parse(RSS)
