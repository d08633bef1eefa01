"""Turn feedparser's loosely typed output into safe, bounded :class:`bot.models.Entry` objects.

Everything here is pure and cheap: feeds are hostile input (raw HTML in titles, ``javascript:``
links, megabyte titles, absurd dates, 10,000 items), and normalisation runs for every item of every
poll, so it must cost a small fraction of feedparser's own parse time.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.feeds.text import ELLIPSIS, INVISIBLE, clean_text
from bot.feeds.urls import canonical_url
from bot.models import Entry, ParsedFeed

# canonical_url and clean_text live in bot.feeds.urls / bot.feeds.text and are re-exported here.
__all__ = [
    "FUTURE_SLACK",
    "MAX_ENTRIES",
    "MAX_FEED_TITLE_CHARS",
    "MAX_GUID_CHARS",
    "MAX_SUMMARY_CHARS",
    "MAX_TITLE_CHARS",
    "MIN_YEAR",
    "bozo_reason",
    "canonical_url",
    "clean_text",
    "content_hash",
    "entry_key",
    "normalize",
]

log = logging.getLogger(__name__)

MAX_ENTRIES = 2000
MAX_TITLE_CHARS = 300
MAX_SUMMARY_CHARS = 2000
MAX_FEED_TITLE_CHARS = 300
MAX_GUID_CHARS = 512
MIN_YEAR = 1990
FUTURE_SLACK = timedelta(days=1)

# --- keys and hashes ----------------------------------------------------------------------------------


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _clean_guid(guid: str) -> str:
    # isprintable() is a fast C scan; every character INVISIBLE matches is non-printable.
    return (guid if guid.isprintable() else INVISIBLE.sub("", guid)).strip()


def entry_key(guid: Any, link_canonical: str | None, title: str, published: Any) -> str:
    """A stable identity for an item within a feed: its guid, else its canonical link, else a hash.

    Long guids are hashed so keys stay small; the prefix keeps the three kinds from colliding.
    """
    if guid is not None:
        g = _clean_guid(str(guid))
        if g:
            return _guid_key(g)
    return _fallback_key(link_canonical, title, published)


def _guid_key(clean_guid: str) -> str:
    return f"guid:{clean_guid}" if len(clean_guid) <= MAX_GUID_CHARS else f"guid#{_digest(clean_guid)}"


def _fallback_key(link_canonical: str | None, title: str, published: Any) -> str:
    if link_canonical:
        return (
            f"url:{link_canonical}"
            if len(link_canonical) <= MAX_GUID_CHARS
            else f"url#{_digest(link_canonical)}"
        )
    stamp = published.isoformat() if isinstance(published, datetime) else str(published or "")
    return f"hash:{_digest((title or '') + chr(31) + stamp)}"


def content_hash(title: str, summary: str, url: str | None) -> str:
    """Fingerprint of what a reader sees; equal when only case or spacing differ.

    Used to tell a re-published or edited item from an unchanged one, so trivial reformatting by a
    feed generator (markup, entities, line wrapping, capitalisation) does not count as new content.
    """
    norm_title = " ".join((title or "").casefold().split())
    norm_summary = " ".join((summary or "").casefold().split())
    return _digest(f"{norm_title}\x1f{norm_summary}\x1f{url or ''}")


def _content_hash_of_clean(title: str, summary: str, url: str | None) -> str:
    """:func:`content_hash` of :func:`clean_text` output, whose whitespace is already single spaces.

    ``casefold()`` neither creates nor removes whitespace (checked over every code point by
    tests/unit/test_normalize_props.py), so re-splitting would change nothing.
    """
    return _digest(f"{title.casefold()}\x1f{summary.casefold()}\x1f{url or ''}")


# --- dates --------------------------------------------------------------------------------------------


def _to_datetime(value: Any, latest: datetime) -> datetime | None:
    """feedparser's UTC struct_time (or a datetime) to an aware UTC datetime; None when absurd.

    ``latest`` is the last acceptable instant (now plus :data:`FUTURE_SLACK`).
    """
    if value is None:
        return None
    try:
        if isinstance(value, datetime):
            dt = value if value.tzinfo else value.replace(tzinfo=UTC)
            dt = dt.astimezone(UTC)
        elif isinstance(value, time.struct_time | tuple) and len(value) >= 6:
            year, month, day, hour, minute, second = map(int, value[:6])
            dt = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
        else:
            return None
    except (ValueError, TypeError, OverflowError):
        return None
    if dt.year < MIN_YEAR or dt > latest:
        return None
    return dt


# --- feedparser result -> ParsedFeed ------------------------------------------------------------------

_WHITESPACE = re.compile(r"\s+")


def _get(obj: Any, key: str) -> Any:
    if isinstance(obj, dict):  # FeedParserDict too; dict.get skips its slow key aliasing
        return dict.get(obj, key)
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def _first_link(entry: Any, base: str | None) -> str | None:
    url = canonical_url(_get(entry, "link"), base)
    if url:
        return url
    for link in _get(entry, "links") or ():
        rel = _get(link, "rel") or "alternate"
        if rel == "alternate":
            url = canonical_url(_get(link, "href"), base)
            if url:
                return url
    guid = _get(entry, "id")
    if _get(entry, "guidislink") and isinstance(guid, str):
        return canonical_url(guid, base)
    return None


def _summary_source(entry: Any) -> str | None:
    summary = _get(entry, "summary")
    if summary:
        return summary
    for content in _get(entry, "content") or ():
        value = _get(content, "value")
        if value:
            return value
    return None


def _one_line(value: Any, limit: int = 300) -> str:
    text = _WHITESPACE.sub(" ", str(value)).strip() or type(value).__name__
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def bozo_reason(parsed: Any) -> str | None:
    """feedparser's complaint as one readable line, or None for a clean parse."""
    if not _get(parsed, "bozo"):
        return None
    exc = _get(parsed, "bozo_exception")
    if exc is None:
        return "malformed feed"
    return _one_line(f"{type(exc).__name__}: {exc}")


def normalize(
    parsed: Any,
    base_url: str | None,
    *,
    max_entries: int = MAX_ENTRIES,
    now: datetime | None = None,
) -> ParsedFeed:
    """Build a :class:`ParsedFeed` from a feedparser result (any mapping-like object works).

    Items without a title, summary and link are skipped, exact repeats are dropped and at most
    ``max_entries`` items are kept, so a 10,000-item feed costs a bounded amount downstream. Some
    feeds (PACER docket RSS) give many different items one guid; those items get the guid plus
    their content hash as key, so none of them is lost as a "duplicate".
    """
    now = now or datetime.now(UTC)
    latest = now + FUTURE_SLACK
    feed = _get(parsed, "feed") or {}
    feed_link = canonical_url(_get(feed, "link"), base_url)
    base = base_url or feed_link
    items: list[Entry] = []
    key_counts: dict[str, int] = {}
    raw_entries = _get(parsed, "entries") or ()
    for raw in raw_entries:
        if len(items) >= max_entries:
            log.debug("feed %s: keeping the first %d of %d entries", base_url, max_entries, len(raw_entries))
            break
        url = _first_link(raw, base)
        title = clean_text(_get(raw, "title"), MAX_TITLE_CHARS)
        summary = clean_text(_summary_source(raw), MAX_SUMMARY_CHARS)
        if not (title or summary or url):
            continue
        published = _to_datetime(_get(raw, "published_parsed"), latest) or _to_datetime(
            _get(raw, "updated_parsed"), latest
        )
        guid_raw = _get(raw, "id")
        guid = None
        clean_guid = _clean_guid(guid_raw) if isinstance(guid_raw, str) else ""
        if clean_guid:  # entry_key(guid_raw, ...) without cleaning the guid twice
            guid = clean_guid[:MAX_GUID_CHARS]
            key = _guid_key(clean_guid)
        else:
            key = _fallback_key(url, title, published)
        key_counts[key] = key_counts.get(key, 0) + 1
        chash = _content_hash_of_clean(title, summary, url)
        items.append(Entry(key, url, title, summary, published, chash, guid))
    entries: list[Entry] = []
    seen: set[str] = set()
    for item in items:
        key = item.key if key_counts[item.key] == 1 else f"{item.key}#{item.content_hash[:16]}"
        if key in seen:
            continue
        seen.add(key)
        entries.append(item if key == item.key else replace(item, key=key))
    return ParsedFeed(
        title=clean_text(_get(feed, "title"), MAX_FEED_TITLE_CHARS),
        link=feed_link,
        entries=tuple(entries),
        bozo=bozo_reason(parsed),
    )
