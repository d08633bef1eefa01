"""Feed discovery: from a web site's page to the feeds it offers.

``casewatch feeds add https://site/`` and ``/feeds add`` accept a page as well as a feed. The page is
fetched like any feed (same fetcher: SSRF guard, byte caps, timeouts); when it is HTML, its
``<link rel="alternate" type="application/rss+xml|atom+xml|feed+json">`` elements name its feeds
(:func:`feed_links`, pure, stdlib ``html.parser``, reading at most :data:`MAX_HTML_CHARS` and stopping
at ``<body>``); a page without any is probed at the usual paths (:data:`PROBE_PATHS`).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Literal, Protocol
from urllib.parse import urljoin

from bot.feeds.fetcher import FetchError, FetchResult
from bot.feeds.urls import canonical_url

MAX_HTML_CHARS = 512 * 1024  # a page's head is read from at most this much of its text
FEED_TYPES = {
    "application/rss+xml": "RSS",
    "application/atom+xml": "Atom",
    "application/rdf+xml": "RSS",
    "application/feed+json": "JSON Feed",
    "application/json+feed": "JSON Feed",
}
READABLE_KINDS = frozenset({"RSS", "Atom"})  # casewatch parses XML feeds; JSON Feed it cannot read
PROBE_PATHS = ("/feed", "/rss", "/feed.xml", "/atom.xml", "/rss.xml", "/index.xml")
MAX_CANDIDATES = 25  # a Discord select menu holds 25 options


@dataclass(frozen=True, slots=True)
class FeedLink:
    url: str  # absolute, canonical
    title: str  # the link's title attribute ("" when none)
    kind: str  # "RSS", "Atom" or "JSON Feed"


class _HeadLinks(HTMLParser):
    """Collects feed ``<link>`` elements (and ``<base href>``) until ``<body>`` or ``</head>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str, str]] = []  # (href, title, kind)
        self.base: str | None = None
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        if tag == "body":
            self.done = True
            return
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "base" and self.base is None and a.get("href"):
            self.base = a["href"].strip()
        elif tag == "link":
            rels = a.get("rel", "").lower().split()
            kind = FEED_TYPES.get(a.get("type", "").split(";")[0].strip().lower())
            href = a.get("href", "").strip()
            if "alternate" in rels and kind is not None and href:
                self.links.append((href, " ".join(a.get("title", "").split()), kind))

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self.done = True


def feed_links(html: str, base_url: str, *, limit: int = MAX_HTML_CHARS) -> list[FeedLink]:
    """The feeds a page's head links to, in page order, resolved against ``base_url`` (or the page's
    ``<base href>``), canonical and without duplicates; only http(s) URLs. Pure."""
    parser = _HeadLinks()
    text = html[:limit]
    step = 16 * 1024
    for start in range(0, len(text), step):  # stop reading once the head is over
        parser.feed(text[start : start + step])
        if parser.done:
            break
    base = base_url
    if parser.base:
        base = urljoin(base_url, parser.base)
    out: list[FeedLink] = []
    seen: set[str] = set()
    for href, title, kind in parser.links:
        url = canonical_url(urljoin(base, href))
        if url is None or url in seen:
            continue
        seen.add(url)
        out.append(FeedLink(url, title, kind))
    return out


_ROOT = re.compile(
    rb"\A(?:\s|<\?.*?\?>|<!--.*?-->|<!doctype[^>]*>)*<([A-Za-z_][\w:.-]*)", re.IGNORECASE | re.DOTALL
)
_FEED_ROOTS = frozenset({b"rss", b"feed", b"rdf:rdf", b"rdf", b"channel"})


def body_kind(body: bytes, content_type: str | None = None) -> Literal["feed", "page", "other"]:
    """What a fetched body is: a feed (RSS/Atom/RDF root element), an HTML page, or something else.
    The bytes decide before the Content-Type (servers label feeds text/html and pages text/xml). Pure."""
    head = body[:8192].lstrip(b"\xef\xbb\xbf \t\r\n")
    match = _ROOT.match(head)
    if match is not None:
        root = match.group(1).lower()
        if root in _FEED_ROOTS:
            return "feed"
        if root == b"html":
            return "page"
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype in ("text/html", "application/xhtml+xml"):
        return "page"
    if b"<html" in head[:2048].lower():
        return "page"
    return "other"


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Page text: the charset of the Content-Type or a ``<meta charset>``, else UTF-8 (lenient)."""
    charset = None
    m = re.search(r"charset=[\"']?([\w.:-]+)", content_type or "", re.IGNORECASE)
    if m is None:
        m2 = re.search(rb"<meta[^>]+charset=[\"']?([\w.:-]+)", body[:4096], re.IGNORECASE)
        charset = m2.group(1).decode("ascii", "replace") if m2 else None
    else:
        charset = m.group(1)
    try:
        return body.decode(charset or "utf-8", "replace")
    except LookupError:
        return body.decode("utf-8", "replace")


class PageFetcher(Protocol):
    async def fetch(
        self, url: str, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult: ...


@dataclass(frozen=True, slots=True)
class Discovery:
    """What a URL turned out to be.

    ``feed``: the URL is a feed itself. ``page``: an HTML page; ``feeds`` are the readable feeds it
    offers (maybe none; ``unreadable`` counts JSON feeds casewatch cannot parse). ``unchecked``: the
    URL could not be fetched now (``reason``); callers add it as given, as before discovery existed.
    ``other``: fetched, neither a feed nor a page (added as given: the poll reports what is wrong).
    """

    url: str
    kind: Literal["feed", "page", "unchecked", "other"]
    feeds: tuple[FeedLink, ...] = ()
    probed: bool = False  # the feeds came from probing PROBE_PATHS, not from the page's links
    unreadable: int = 0
    reason: str | None = None


async def discover(fetcher: PageFetcher, url: str) -> Discovery:
    """Fetch ``url``; when it is a page, find its feeds (links first, then the usual paths)."""
    try:
        fetched = await fetcher.fetch(url)
    except FetchError as exc:
        return Discovery(url, "unchecked", reason=exc.reason)
    body = fetched.body or b""
    kind = body_kind(body, fetched.content_type)
    if kind != "page":
        return Discovery(url, kind)
    links = feed_links(decode_html(body, fetched.content_type), fetched.final_url)
    readable = [link for link in links if link.kind in READABLE_KINDS]
    unreadable = len(links) - len(readable)
    if readable:
        return Discovery(url, "page", tuple(readable[:MAX_CANDIDATES]), unreadable=unreadable)
    found = await probe(fetcher, fetched.final_url)
    return Discovery(url, "page", tuple(found[:MAX_CANDIDATES]), probed=True, unreadable=unreadable)


async def probe(fetcher: PageFetcher, page_url: str) -> list[FeedLink]:
    """The usual feed paths of the page's site that answer with a feed (same feed body once)."""
    urls = list(dict.fromkeys(u for p in PROBE_PATHS if (u := canonical_url(urljoin(page_url, p)))))

    async def one(candidate: str) -> tuple[str, FetchResult] | None:
        try:
            result = await fetcher.fetch(candidate)
        except FetchError:
            return None
        if body_kind(result.body or b"", result.content_type) != "feed":
            return None
        return candidate, result

    found: list[FeedLink] = []
    seen: set[str] = set()
    for hit in await asyncio.gather(*(one(u) for u in urls)):
        if hit is None:
            continue
        candidate, result = hit
        same = {result.final_url, hashlib.sha256(result.body or b"").hexdigest()}
        if same & seen:
            continue  # /feed redirecting to /feed.xml, or /rss serving the same document
        seen |= same
        found.append(FeedLink(candidate, "", "Atom" if b"<feed" in (result.body or b"")[:2048] else "RSS"))
    return found


def describe(link: FeedLink) -> str:
    """One line for a list of found feeds: ``URL (Atom: "Title")``."""
    title = f': "{link.title}"' if link.title else ""
    return f"{link.url} ({link.kind}{title})"
