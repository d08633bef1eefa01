"""Hostile feed bodies: each must give a bounded, safe result in bounded time and memory.

The hazards are the ones measured on feedparser 6 in ../shared/feeds/README.md (entity blow-up,
local file reads, raw HTML and javascript: links) plus the classic XML attacks.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable

import pytest

from bot.feeds.parser import FeedParseError, ParserPool, parse_bytes
from bot.models import ParsedFeed


def rss(items: bytes, prolog: bytes = b"", title: bytes = b"Hostile") -> bytes:
    return (
        b'<?xml version="1.0" encoding="utf-8"?>\n'
        + prolog
        + b'<rss version="2.0"><channel><title>'
        + title
        + b"</title>"
        + items
        + b"</channel></rss>"
    )


def item(title: bytes, link: bytes = b"https://e.com/a", description: bytes = b"") -> bytes:
    return (
        b"<item><title>"
        + title
        + b"</title><link>"
        + link
        + b"</link><description>"
        + description
        + b"</description></item>"
    )


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bounded(fn: Callable[[], ParsedFeed], seconds: float, mib: float = 200) -> ParsedFeed:
    """Run ``fn`` and assert it stayed within ``seconds`` and grew peak RSS by less than ``mib``."""
    before = max_rss_mib()
    started = time.monotonic()
    result = fn()
    assert time.monotonic() - started < seconds
    assert max_rss_mib() - before < mib
    return result


# The README's hazard: one large internal entity referenced many times. feedparser alone spent
# 100 s and 10 GB on a 159 KB file like this.
ENTITY_BLOWUP = rss(
    b"".join(item(b"&big;&big;&big;&big;&big;", description=b"&big;" * 40) for _ in range(600)),
    prolog=b'<!DOCTYPE rss [\n<!ENTITY big "' + b"A" * 5000 + b'">\n]>\n',
)
BILLION_LAUGHS = rss(
    item(b"&lol9;"),
    prolog=b'<!DOCTYPE rss [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>",
)
XXE = rss(
    item(b"leak: &xxe;", description=b"&xxe;"),
    prolog=b'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
)
XXE_PARAMETER = rss(
    item(b"leak"),
    prolog=b'<!DOCTYPE rss [<!ENTITY % ext SYSTEM "file:///etc/passwd"> %ext;]>',
)
XXE_EXTERNAL_DTD = rss(item(b"dtd &passwd;"), prolog=b'<!DOCTYPE rss SYSTEM "file:///etc/passwd">')


def test_entity_blowup_is_defused() -> None:
    assert len(ENTITY_BLOWUP) < 200_000
    feed = bounded(lambda: parse_bytes(ENTITY_BLOWUP), seconds=3, mib=100)
    assert len(feed.entries) >= 1  # the items survive, the entity is simply not expanded
    assert all("A" * 100 not in e.title + e.summary for e in feed.entries)


def test_billion_laughs_is_defused() -> None:
    feed = bounded(lambda: parse_bytes(BILLION_LAUGHS), seconds=2, mib=50)
    assert all("lollollol" not in e.title for e in feed.entries)


@pytest.mark.parametrize("body", [XXE, XXE_PARAMETER, XXE_EXTERNAL_DTD], ids=["general", "parameter", "dtd"])
def test_xxe_does_not_read_local_files(body: bytes) -> None:
    try:
        feed = bounded(lambda: parse_bytes(body), seconds=2, mib=50)
    except FeedParseError as exc:
        assert "root:" not in exc.reason
        return
    text = feed.title + " ".join(e.title + e.summary for e in feed.entries)
    assert "root:" not in text and "/bin/" not in text


def test_entity_declarations_in_utf16_are_defused_too() -> None:
    body = ENTITY_BLOWUP.decode().replace('encoding="utf-8"', 'encoding="utf-16"').encode("utf-16")
    feed = bounded(lambda: parse_bytes(body), seconds=3, mib=100)
    assert all("A" * 100 not in e.title + e.summary for e in feed.entries)


def test_entity_declared_outside_the_doctype_is_dropped() -> None:
    body = rss(item(b"&big;" * 50), prolog=b'<!DOCTYPE rss><!ENTITY big "' + b"B" * 5000 + b'">')
    feed = bounded(lambda: parse_bytes(body), seconds=2, mib=50)
    assert all("B" * 100 not in e.title for e in feed.entries)


def test_ten_thousand_items_are_bounded() -> None:
    body = rss(b"".join(item(b"Item %d" % i, b"https://e.com/%d" % i) for i in range(10_000)))
    feed = bounded(lambda: parse_bytes(body), seconds=5)
    assert len(feed.entries) == 2000
    assert feed.entries[0].title == "Item 0" and feed.entries[-1].title == "Item 1999"


def test_megabyte_titles_are_capped() -> None:
    huge = b"<b>Lawsuit</b> " * 70_000  # ~1 MB of markup per title
    body = rss(item(huge, description=huge) + item(b"x" * 1_000_000, b"https://e.com/b"))
    feed = bounded(lambda: parse_bytes(body), seconds=5)
    first, second = feed.entries
    assert len(first.title) <= 300 and first.title.startswith("Lawsuit Lawsuit") and first.title.endswith("…")
    assert len(first.summary) <= 2000 and "<b>" not in first.summary
    assert len(second.title) == 300


def test_control_characters_and_invalid_utf8() -> None:
    body = rss(
        item(b"Bad\x00 bytes \xff\xfe here\x07 and \xe2\x80\x8bzero\xe2\x80\xaewidth", b"https://e.com/c")
        + item(b"Second &#0; &#x1b;[31m ok &#x202e;", b"https://e.com/d")
    )
    feed = bounded(lambda: parse_bytes(body), seconds=2, mib=50)
    assert feed.entries
    for entry in feed.entries:
        assert entry.title.isprintable() and "\u202e" not in entry.title and "\u200b" not in entry.title
        entry.title.encode("utf-8")  # no lone surrogates


def test_script_links_are_dropped() -> None:
    body = rss(
        item(b"js", b"javascript:alert(document.cookie)")
        + item(b"data", b"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==")
        + item(b"vb", b"  JaVaScRiPt:alert(1)")
        + item(b"file", b"file:///etc/passwd")
        + item(b"ok", b"https://e.com/ok")
    )
    feed = parse_bytes(body, "https://e.com/feed")
    urls = {e.title: e.url for e in feed.entries}
    assert urls == {"js": None, "data": None, "vb": None, "file": None, "ok": "https://e.com/ok"}


def test_html_and_js_in_titles_become_plain_text() -> None:
    body = rss(
        item(b'<![CDATA[<img src=x onerror="alert(1)"><script>steal()</script><b>Apple</b> sued]]>')
        + item(b"&lt;script&gt;alert(1)&lt;/script&gt;Google &amp;amp; DOJ", b"https://e.com/2")
        + item(
            b"<![CDATA[<form action='https://evil.example/'><input name=p></form>TikTok ban]]>",
            b"https://e.com/3",
        ),
        title=b"<![CDATA[<style>body{}</style>Feed <i>title</i>]]>",
    )
    feed = parse_bytes(body)
    assert feed.title == "Feed title"
    assert [e.title for e in feed.entries] == ["Apple sued", "Google & DOJ", "TikTok ban"]


# --- the same bodies through the worker pool --------------------------------------------------------


async def test_pool_survives_hostile_bodies_and_caps_worker_memory() -> None:
    before = max_rss_mib()
    pool = ParserPool(workers=2, timeout_s=10, memory_limit_bytes=256 * 1024 * 1024)
    try:
        started = time.monotonic()
        feed = await pool.parse(ENTITY_BLOWUP)
        assert all("A" * 100 not in e.title for e in feed.entries)
        await pool.parse(BILLION_LAUGHS)
        assert time.monotonic() - started < 5

        # A body far bigger than the cap allows for: the worker hits its limit, not the host.
        small = ParserPool(workers=1, timeout_s=10, memory_limit_bytes=64 * 1024 * 1024)
        try:
            big = rss(b"".join(item(b"T%d" % i, description=b"w " * 1000) for i in range(8000)))
            with pytest.raises(FeedParseError, match=r"memory|died"):
                await small.parse(big)
            assert len((await small.parse(rss(item(b"after")))).entries) == 1  # and it recovers
        finally:
            await small.close()
        assert len((await pool.parse(big)).entries) == 2000  # fine under a normal cap
    finally:
        await pool.close()
    assert max_rss_mib() - before < 150  # the parent never parsed any of it
