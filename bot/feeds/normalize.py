"""Turn feedparser's loosely typed output into safe, bounded :class:`bot.models.Entry` objects.

Everything here is pure and cheap: feeds are hostile input (raw HTML in titles, ``javascript:``
links, megabyte titles, absurd dates, 10,000 items), and normalisation runs for every item of every
poll, so it must cost a small fraction of feedparser's own parse time.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from bot.models import Entry, ParsedFeed

log = logging.getLogger(__name__)

MAX_ENTRIES = 2000
MAX_TITLE_CHARS = 300
MAX_SUMMARY_CHARS = 2000
MAX_FEED_TITLE_CHARS = 300
MAX_URL_CHARS = 4096
MAX_GUID_CHARS = 512
MIN_YEAR = 1990
FUTURE_SLACK = timedelta(days=1)
ELLIPSIS = "…"

# --- URLs ---------------------------------------------------------------------------------------------

_ALLOWED_SCHEMES = frozenset({"http", "https"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ref_src",
        "ref_url",
        "_hsenc",
        "_hsmi",
        "__hssc",
        "__hstc",
        "__hsfp",
        "hsctatracking",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "rb_clickid",
        "s_cid",
        "vero_conv",
        "vero_id",
        "wickedid",
        "spm",
        "cmpid",
        "smid",
        "sr_share",
        "ncid",
        "at_medium",
        "at_campaign",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")
# WHATWG URL parsing drops these anywhere in a URL; feeds put them in by wrapping long lines.
_URL_STRIP_INNER = re.compile(r"[\t\n\r]")
# A host we are willing to emit: no whitespace, controls, quotes, brackets or percent signs.
_BAD_HOST = re.compile(r"[\x00-\x20\x7f-\x9f\"#%'/<>?@\[\\\]^`{|}]")
# Characters left alone when percent-encoding path and query; "%" is safe so quoting is idempotent.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = "/:@!$&'()*+,;=-._~%?"
# An absolute URL already in canonical spelling but for its fragment and tracking parameters (the
# usual feed link): lower-case http(s) scheme and LDH host without trailing dot, port or credentials;
# path and query only of characters that ``quote`` keeps with the safe sets above.
_SIMPLE_URL = re.compile(
    r"(https?://[a-z0-9-]+(?:\.[a-z0-9-]+)*)"
    r"(/[A-Za-z0-9/:@!$&'()*+,;=\-._~%]*)?"
    r"(?:\?([A-Za-z0-9/:@!$&'()*+,;=\-._~%?]*))?"
    r"(?:#.*)?",
    re.S,
)


def _is_tracking_param(piece: str) -> bool:
    name = piece.split("=", 1)[0].lower()
    return name in _TRACKING_PARAMS or name.startswith(_TRACKING_PREFIXES)


def _drop_tracking(query: str) -> str:
    return "&".join([p for p in query.split("&") if p and not _is_tracking_param(p)])


def _canonical_simple(url: str) -> str | None:
    """Fast path for the common absolute URL whose canonical form needs no parsing library.

    Only URLs matching :data:`_SIMPLE_URL` come here: lower-case scheme and host, no port or
    credentials, path and query made only of characters ``quote`` leaves alone. For those,
    ``urlsplit`` / ``quote`` / ``urlunsplit`` amount to: drop the fragment and the tracking
    parameters, default the path to "/". Returns None when the URL does not qualify.
    """
    m = _SIMPLE_URL.fullmatch(url)
    if m is None:
        return None
    scheme_host, path, query = m.groups()
    if query:
        query = _drop_tracking(query)
    return f"{scheme_host}{path or '/'}?{query}" if query else f"{scheme_host}{path or '/'}"


def canonical_url(url: str | None, base: str | None = None) -> str | None:
    """The one spelling of an http(s) URL used for dedupe and display, or None when unusable.

    Only http/https survive (``javascript:``, ``data:``, ``file:`` ... give None); scheme and host are
    lower-cased, default ports, credentials, fragments and tracking parameters dropped, other query
    parameters kept in order; a relative URL is resolved against ``base``. Idempotent.
    """
    if not url or not isinstance(url, str):
        return None
    url = url.strip(" \t\n\r\x00\x0b\x0c")
    if "\t" in url or "\n" in url or "\r" in url:
        url = _URL_STRIP_INNER.sub("", url)
    if not url or len(url) > MAX_URL_CHARS * 2:
        return None
    simple = _canonical_simple(url)
    if simple is not None:
        return simple if len(simple) <= MAX_URL_CHARS else None
    try:
        if base and isinstance(base, str) and not url.startswith(("http://", "https://")):
            base = _URL_STRIP_INNER.sub("", base.strip())
            if urlsplit(base).scheme.lower() in _ALLOWED_SCHEMES:
                url = urljoin(base, url)
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in _ALLOWED_SCHEMES:
            return None
        host = parts.hostname  # lower-cased, brackets and credentials removed
        port = parts.port  # raises ValueError when not a number in range
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".")
    if not host or _BAD_HOST.search(host) or not host.isprintable():
        return None
    if ":" in host:  # IPv6 literal
        if not re.fullmatch(r"[0-9a-f:.]+", host):
            return None
        host = f"[{host}]"
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    path = quote(parts.path, safe=_PATH_SAFE, errors="replace") or "/"
    if not path.startswith("/"):
        path = "/" + path
    query = quote(_drop_tracking(parts.query), safe=_QUERY_SAFE, errors="replace") if parts.query else ""
    result = urlunsplit((scheme, netloc, path, query, ""))
    return result if len(result) <= MAX_URL_CHARS else None


# --- text ---------------------------------------------------------------------------------------------

# Elements whose content is never text a reader should see; dropped with their content.
_DROP_NAMES = ("script", "style", "noscript", "template", "iframe", "object", "svg", "math", "title", "head")
# One group per name: the group number picks the end tag. Looking the matched text up by name
# instead would fail on case-folding matches such as "<ſcript" (long s) that re.I accepts.
_DROP_BLOCK = re.compile("<(?:" + "|".join(f"({name})" for name in _DROP_NAMES) + r")\b|<!--", re.I)
_DROP_BLOCK_END = tuple(re.compile(rf"</{name}\s*>", re.I) for name in _DROP_NAMES)
_COMMENT_END = re.compile(r"-->")
# Tags that separate words when rendered; replaced by a space, other tags by nothing.
_BREAK_TAG = re.compile(
    r"</?(?:br|p|div|li|ul|ol|tr|td|th|table|h[1-6]|blockquote|section|article|header|footer|hr|dd|dt|"
    r"figure|figcaption|pre|img)\b[^<>]*>",
    re.I,
)
# A tag: "<" then a letter, "/", "!" or "?", up to ">" but never across another "<" (linear time).
_TAG = re.compile(r"<[a-zA-Z/!?][^<>]*>")
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufff9-\ufffb\ufffe\uffff\ud800-\udfff]"
)
_WHITESPACE = re.compile(r"\s+")
# What a second pass would still change: a tag-like "<x" or an entity-like "&x" / "&#".
_UNSTABLE_LT = re.compile(r"<(?=[a-zA-Z/!?])")
_UNSTABLE_AMP = re.compile(r"&(?=[a-zA-Z#])")
_MAX_ROUNDS = 3
# clean_text() cleans long values piece by piece (pieces of max_len + _HEAD_EXTRA raw characters)
# until it has enough text, when the value is over _HEAD_MIN_FACTOR * max_len + _HEAD_EXTRA.
_HEAD_MIN_FACTOR = 3
_HEAD_EXTRA = 256
# What a later round or the adversarial fallback could still change: a "<" where a tag or drop
# element may start ("/", "!", "?", a letter: re.I also matches non-ASCII letters such as "ſ" to
# ASCII ones; or the end, whose next character is unknown), or an "&" before a letter (every
# HTML5 entity name starts with an ASCII one), "#" or the end.
_HEAD_UNSTABLE = re.compile(r"<(?:[/!?]|[^\W\d_]|\Z)|&(?:[a-zA-Z#]|\Z)")
# html.unescape()'s own pattern (CPython's html._charref; a test checks they agree).
_CHARREF = re.compile(r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")


def _drop_blocks_closed(s: str) -> tuple[str, bool]:
    """Remove script/style/... elements and comments with their content, in linear time.

    Also says whether every such element was closed (an unclosed one swallows the rest of ``s``).
    """
    out: list[str] = []
    pos = 0
    while (m := _DROP_BLOCK.search(s, pos)) is not None:
        out.append(s[pos : m.start()])
        group = m.lastindex
        end_re = _COMMENT_END if group is None else _DROP_BLOCK_END[group - 1]
        end = end_re.search(s, m.end())
        if end is None:  # unclosed: everything after it is inside the element
            return "".join(out), False
        pos = end.end()
        out.append(" ")
    out.append(s[pos:])
    return "".join(out), True


def _drop_blocks(s: str) -> str:
    return _drop_blocks_closed(s)[0]


def _clean_once(s: str) -> str:
    if "<" in s:
        s = _drop_blocks(s)
        s = _BREAK_TAG.sub(" ", s)
        s = _TAG.sub("", s)
    if "&" in s:
        s = html.unescape(s)
    # isprintable() is a fast C scan; every character _INVISIBLE matches is non-printable.
    return s if s.isprintable() else _INVISIBLE.sub("", s)


def _truncate(s: str, max_len: int) -> str:
    if len(s) <= max_len:
        return s
    cut = s[: max_len - 1]
    if s[max_len - 1] != " ":  # the cut splits a word: back up to its start
        space = cut.rfind(" ")
        if space > max_len // 2:
            cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


def _entity_crosses_end(s: str) -> bool:
    """Could ``html.unescape`` match differently at the last "&" if more text followed ``s``?

    Only the last "&" can reach the end (no reference contains "&").
    """
    amp = s.rfind("&")
    if amp == -1:
        return False
    m = _CHARREF.match(s, amp)
    if m is None:  # no reference here, decided by at most the three characters after the "&"
        return amp > len(s) - 4
    return m.end() >= len(s)  # a match that stops early stops there whatever follows


def _clean_piece(piece: str) -> str | None:
    """One cleaning round of ``piece``, a slice of a text ending at ">", or None when not separable.

    Accepted only when the round would do the same to ``piece`` inside the whole text and no later
    round could touch it: no drop element left open, no entity match crossing the end, and the
    result holds no "<" or "&" that could start markup or an entity (:data:`_HEAD_UNSTABLE`). The
    last check also rules out tag matches crossing the end: such a match starts at a "<" followed
    by a letter, "/", "!" or "?" (or nothing) with no ">" after it, which no pass removes. Matches
    never look behind their start, so the start of ``piece`` is covered by the previous piece.
    """
    s, closed = _drop_blocks_closed(piece)  # its matches cannot cross the end: they contain no ">"
    if not closed:
        return None
    s = _TAG.sub("", _BREAK_TAG.sub(" ", s))
    if "&" in s:
        if _entity_crosses_end(s):
            return None
        s = html.unescape(s)
    if not s.isprintable():
        s = _INVISIBLE.sub("", s)
    return None if _HEAD_UNSTABLE.search(s) else s


def _clean_head(value: str, max_len: int) -> str | None:
    """The collapsed text of a head of ``value``, longer than ``max_len``, or None.

    Long HTML bodies yield far more text than ``max_len`` needs; cleaning pieces of the head until
    there is enough text saves the regex passes over the rest. Each piece ends at a ">" and is
    accepted only when cleaning is separable there (:func:`_clean_piece`); then the cleaned head is
    a prefix of the whole text's cleaned form, its words a prefix of its words, and
    :func:`_truncate` gives the same result. None means "clean everything".
    """
    pieces: list[str] = []
    chars = 0
    start = 0
    while True:
        cut = value.find(">", start + max_len + _HEAD_EXTRA)
        if cut == -1 or cut + 1 >= len(value):
            return None
        piece = _clean_piece(value[start : cut + 1])
        if piece is None:
            return None
        pieces.append(piece)
        chars += len(piece)
        start = cut + 1
        if chars > max_len:
            words = " ".join("".join(pieces).split())
            if len(words) > max_len:
                return words


def clean_text(value: str | None, max_len: int) -> str:
    """Plain, single-line, bounded text from feed HTML or text. Idempotent.

    Tags go (script/style with their content), entities are decoded (also double-escaped ones such
    as ``&amp;lt;b&amp;gt;``), control, zero-width and bidi-override characters are removed, runs of
    whitespace become one space, and the result is cut on a word boundary to ``max_len`` characters
    with a trailing "…".
    """
    if not value or max_len <= 0:
        return ""
    if not isinstance(value, str):
        value = str(value)
    # Enough raw input for max_len characters of text in all but tag-soup; bounds the work on 1 MB titles.
    budget = max_len * 16 + 4096
    if len(value) > budget:
        value = value[:budget]
        lt = value.rfind("<")
        if lt != -1 and value.find(">", lt) == -1:
            value = value[:lt]
    if len(value) > _HEAD_MIN_FACTOR * max_len + _HEAD_EXTRA:
        head = _clean_head(value, max_len)
        if head is not None:
            return _truncate(head, max_len)
    s = value
    for _ in range(_MAX_ROUNDS):
        cleaned = _clean_once(s)
        if cleaned == s or ("<" not in cleaned and "&" not in cleaned):
            s = cleaned
            break
        s = cleaned
    else:
        if _clean_once(s) != s:
            # Still decoding after several rounds: adversarial nesting. Break the remaining markup
            # so that a second call is a no-op.
            s = _UNSTABLE_AMP.sub("& ", _UNSTABLE_LT.sub("< ", s))
    s = " ".join(s.split())  # str.split() folds all Unicode whitespace, faster than a regex
    return _truncate(s, max_len)


# --- keys and hashes ----------------------------------------------------------------------------------


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _clean_guid(guid: str) -> str:
    # isprintable() is a fast C scan; every character _INVISIBLE matches is non-printable.
    return (guid if guid.isprintable() else _INVISIBLE.sub("", guid)).strip()


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
