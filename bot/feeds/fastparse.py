"""A fast path for plain RSS / RDF / Atom feeds: the stdlib's C parser instead of feedparser.

feedparser spends most of its time in per-element Python callbacks. Most real feeds are well-formed
XML that uses a handful of elements, so :func:`parse_fast` builds an ElementTree (expat, in C) and
replays *feedparser's own rules* for the few fields :func:`bot.feeds.normalize.normalize` reads
(title, link(s), id/guid, summary/content, dates), then hands the same feedparser-shaped dict to
``normalize``. Those rules are quirky (the first title wins only at the same depth, a second
description becomes "content", a permalink guid becomes the link only when no link came first, ...)
and are mirrored here deliberately, handler by handler.

Whenever the document is anything this module is not sure about, it *declines* (returns None) and
the caller falls back to feedparser: not well-formed, a DOCTYPE, namespace prefix re-binding, XHTML
or base64 content, markup nested in text elements, element handlers of feedparser that are not
mirrored here (georss, structured <source>, ...), a root other than RSS / RDF / Atom 1.0, zero items,
or any exception. xml:base is mirrored (quirks included). Declines are counted in :data:`STATS` and
logged at debug level. ``tests/integration/test_fastparse_differential.py`` checks over
../shared/feeds that every accepted document gives the same ParsedFeed as feedparser.

Security: it is only called on bodies that went through ``defuse_prolog`` and it declines any
DOCTYPE, so expat never sees an entity declaration; nothing external is ever resolved.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import xml.etree.ElementTree as ET
from collections import Counter
from typing import Any

from feedparser.datetimes import _parse_date
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import _urljoin, make_safe_absolute_uri

from bot.feeds.normalize import normalize
from bot.models import ParsedFeed

log = logging.getLogger(__name__)

# How often the fast path accepted or declined, by reason; read by tests and when debugging.
STATS: Counter[str] = Counter()

_ATOM_NS = "http://www.w3.org/2005/Atom"
_RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_ROOTS = frozenset({"rss", f"{{{_ATOM_NS}}}feed", f"{{{_RDF_NS}}}RDF"})
_MAX_DEPTH = 48

# feedparser's namespace table (URI, lower-cased -> its standard prefix, "" for the core formats).
_MATCH: dict[str, str] = {k.lower(): v for k, v in _FeedParserMixin.namespaces.items()}
# Every element handler feedparser has, as "<prefix>_<name>" / "<name>".
_FP_HANDLERS: frozenset[str] = frozenset(
    name.split("_", 2)[2] for name in dir(_FeedParserMixin) if name.startswith(("_start_", "_end_"))
)
_CAN_BE_RELATIVE = _FeedParserMixin.can_be_relative_uri
_HTML_TYPES = _FeedParserMixin.html_types
_TEXT_TYPES = frozenset({"text/plain", "text/html"})

# Handlers of feedparser that are not mirrored because they cannot change a field normalize() reads
# nor the parser state the mirrored ones depend on (authors, categories, enclosures, media, ...).
_HARMLESS = frozenset(
    {
        "author", "managingeditor", "contributor", "name", "width", "height", "url", "homepage", "uri",
        "email", "language", "webmaster", "created", "expirationdate", "category", "keywords", "cloud",
        "generator", "enclosure", "tags", "dc_author", "dc_creator", "dc_language", "dc_publisher",
        "dc_subject", "dc_contributor", "dcterms_created", "dcterms_valid", "media_category",
        "media_keywords", "media_group", "media_rating", "media_credit", "media_restriction",
        "media_license", "media_content", "media_thumbnail", "media_player", "itunes_author",
        "itunes_category", "itunes_name", "itunes_email", "itunes_owner", "itunes_keywords",
        "itunes_block", "itunes_explicit", "itunes_image", "itunes_link",
    }
)  # fmt: skip
# Harmless text elements that feedparser parses as "content": markup inside them would be swallowed
# as XHTML rather than handled, so they must have no child elements.
_HARMLESS_TEXT = frozenset(
    {"subtitle", "tagline", "rights", "copyright", "info", "feedburner_browserfriendly", "dc_rights",
     "itunes_subtitle"}
)  # fmt: skip
# Element names without a feedparser handler that would overwrite a key feedparser itself manages.
_RESERVED = frozenset(
    {"links", "guidislink", "authors", "contributors", "content", "media_content", "media_thumbnail",
     "media_credit", "image", "textinput", "source", "enclosures", "tags"}
)  # fmt: skip

_AMP_REF = re.compile(r"&([A-Za-z0-9_]+);")
_C1 = re.compile("[\x80-\x9f]")
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_:]")
_PROLOG_DECL = re.compile(rb"<!(?!--)")


class _Decline(Exception):
    """The document is outside what the fast path mirrors exactly; use feedparser."""


def _map_content_type(content_type: str) -> str:
    content_type = content_type.lower()
    if content_type in ("text", "plain"):
        return "text/plain"
    if content_type == "html":
        return "text/html"
    if content_type == "xhtml":
        return "application/xhtml+xml"
    return content_type


def _fix_text(output: str) -> str:
    """feedparser's last text steps: undo UTF-8-read-as-Latin-1, map C1 controls as cp1252."""
    if output.isascii():
        return output
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        output = output.encode("iso-8859-1").decode("utf-8")
    # str.translate with a dict is slow on long text; most text has no C1 control to map.
    return output.translate(_cp1252) if _C1.search(output) else output


def _resolve(uri: str) -> str:
    """feedparser's ``_urljoin("", uri)`` (no base): only its fix for "http:///x" changes anything."""
    return _urljoin("", uri) if ":///" in uri else uri


class _Replay:
    """feedparser's handler state for the mirrored elements, driven by an ElementTree walk."""

    def __init__(self, namespaces: list[tuple[str, str]]) -> None:
        self.in_use: dict[str, str] = {}  # feedparser's namespaces_in_use
        self.nsmap: dict[str | None, str] = {}  # feedparser's namespacemap
        bound: dict[str, str] = {}
        for prefix, uri in namespaces:
            if not uri or bound.setdefault(prefix, uri) != uri:
                raise _Decline("namespace prefix re-bound")
            lower = uri.lower()
            if "backend.userland.com/rss" in lower:
                uri = lower = "http://backend.userland.com/rss"
            if lower in _MATCH:
                self.nsmap[prefix or None] = _MATCH[lower]
                self.in_use[_MATCH[lower]] = uri
            else:
                self.in_use[prefix] = uri
        self.names: dict[str, tuple[str, bool]] = {}
        self.feed: dict[str, Any] = {}
        self.entries: list[dict[str, Any]] = []
        self.depth_maps: list[dict[str, int]] = []
        self.infeed = self.inentry = self.inimage = self.intextinput = False
        self.has_content = False
        self.guidislink = False
        self.title_depth = -1
        self.baseuri = ""
        self.basestack: list[str] = []
        self.joined: dict[tuple[str, str], str] = {}

    # --- names and attributes ---------------------------------------------------------------------

    def name(self, tag: str) -> tuple[str, bool]:
        """feedparser's handler name for ``tag`` and whether it has no namespace prefix."""
        cached = self.names.get(tag)
        if cached is not None:
            return cached
        if tag[0] == "{":
            uri, local = tag[1:].split("}", 1)
            lower = uri.lower()
            if "backend.userland.com/rss" in lower:
                uri = lower = "http://backend.userland.com/rss"
            prefix = _MATCH.get(lower)
            if prefix:
                qualified = prefix.lower() + ":" + local
            else:
                qualified = local
                for declared, value in self.in_use.items():
                    if declared and value == uri:
                        qualified = declared + ":" + local
                        break
        else:
            qualified = tag
        qualified = qualified.lower()
        if ":" in qualified:
            prefix, suffix = qualified.split(":", 1)
            prefix = self.nsmap.get(prefix, prefix)
        else:
            prefix, suffix = "", qualified
        result = (f"{prefix}_{suffix}" if prefix else suffix, not prefix)
        self.names[tag] = result
        return result

    @staticmethod
    def attrs(attrib: dict[str, str]) -> dict[str, str]:
        """feedparser's attribute dict: lower-cased names (namespaced ones twice), rel/type lowered."""
        if not attrib:
            return {}
        out: dict[str, str] = {}
        locals_: list[tuple[str, str]] = []
        for key, value in attrib.items():
            if key[0] == "{":
                uri, local = key[1:].split("}", 1)
                prefix = _MATCH.get(uri.lower(), "")
                full = f"{prefix}:{local}" if prefix else local
            else:
                full = local = key
            locals_.append((local.lower(), value))
            full = full.lower()
            out[full] = value.lower() if full in ("rel", "type") else value
        for local, value in locals_:
            out[local] = value.lower() if local in ("rel", "type") else value
        return out

    # --- xml:base ---------------------------------------------------------------------------------

    def enter_base(self, attrs: dict[str, str]) -> None:
        """feedparser's xml:base tracking at a start tag (a plain ``base`` attribute counts too)."""
        current = self.baseuri
        base = (attrs.get("xml:base", attrs.get("base")) if attrs else None) or current
        if current:
            key = (current, base)
            joined = self.joined.get(key)
            if joined is None:
                joined = self.joined[key] = make_safe_absolute_uri(current, base) or current
            self.baseuri = joined
        elif base:
            self.baseuri = _urljoin("", base)
        self.basestack.append(self.baseuri)

    def leave_base(self) -> None:
        """feedparser's end-tag rule, quirk included: an empty outer base does not undo an inner one."""
        self.basestack.pop()
        if self.basestack and self.basestack[-1]:
            self.baseuri = self.basestack[-1]

    def resolve(self, uri: str) -> str:
        """feedparser's ``resolve_uri``."""
        if not self.baseuri:
            return _resolve(uri)
        key = (self.baseuri, uri)
        joined = self.joined.get(key)
        if joined is None:
            joined = self.joined[key] = _urljoin(self.baseuri, uri)
        return joined

    # --- feedparser's context and pop() -----------------------------------------------------------

    def context(self) -> dict[str, Any]:
        if self.inimage and "image" in self.feed:
            return self.feed["image"]  # type: ignore[no-any-return]
        if self.intextinput:
            return self.feed["textinput"]  # type: ignore[no-any-return]
        if self.inentry:
            return self.entries[-1]
        return self.feed

    def pop(self, element: str, el: ET.Element, depth: int, expecting_text: bool = True) -> str:
        """Mirror of ``_FeedParserMixin.pop`` for a text-only element (sanitising/resolving are off)."""
        if len(el):
            raise _Decline(f"markup inside <{element}>")
        output = (el.text or "").strip()
        if not expecting_text:
            return output
        if element in _CAN_BE_RELATIVE and output and (element != "id" or self.guidislink):
            output = self.resolve(output)
        output = _fix_text(output)
        if element == "title" and -1 < self.title_depth <= depth:
            return output
        if self.inentry:
            entry = self.entries[-1]
            if element == "content":
                entry.setdefault("content", []).append({"value": output})
            elif element == "link":
                if not self.inimage:
                    if "&" in output:
                        output = _AMP_REF.sub(r"&\g<1>", output.replace("&amp;", "&"))
                    entry["link"] = output
                    if output:
                        entry["links"][-1]["href"] = output
            else:
                if element == "description":
                    element = "summary"
                depth_map = self.depth_maps[-1]
                old = depth_map.get(element)
                if old is None or depth <= old:
                    depth_map[element] = depth
                    entry[element] = output
        elif self.infeed:
            ctx = self.context()
            if element == "description":
                element = "subtitle"
            ctx[element] = output
            if element == "link":
                if "&" in output:
                    output = _AMP_REF.sub(r"&\g<1>", output)
                ctx["link"] = output
                ctx["links"][-1]["href"] = output
        return output

    @staticmethod
    def content_type(attrs: dict[str, str], default: str) -> str:
        if "mode" in attrs:
            raise _Decline("content mode attribute")
        ctype = _map_content_type(attrs.get("type", default))
        if ctype not in _TEXT_TYPES:
            raise _Decline(f"content type {ctype[:40]}")
        return ctype

    # --- the walk ---------------------------------------------------------------------------------

    def walk(self, el: ET.Element, depth: int) -> None:
        if depth > _MAX_DEPTH:
            raise _Decline("deep nesting")
        fpname, core = self.name(el.tag)
        attrs = self.attrs(el.attrib)  # type: ignore[arg-type]
        self.enter_base(attrs)
        if core:  # feedparser's "special hack" for image/textinput elements in ill-formed feeds
            if fpname not in ("title", "link", "description", "name"):
                self.intextinput = False
            if fpname not in ("title", "link", "description", "url", "href", "width", "height"):
                self.inimage = False
        handler = _HANDLERS.get(fpname)
        if handler is not None:
            handler(self, el, attrs, depth)
        elif fpname in _HARMLESS:
            if fpname in ("itunes_image", "itunes_link"):
                href = attrs.get("href") or attrs.get("url")
                if href:
                    self.context()["image"] = {"href": href}
            self.children(el, depth)
        elif fpname in _HARMLESS_TEXT:
            if len(el):
                raise _Decline(f"markup inside <{fpname}>")
        elif fpname in _FP_HANDLERS or fpname in _RESERVED or fpname.endswith(("_parsed", "_detail")):
            raise _Decline(f"element <{fpname[:40]}>")
        else:  # no handler in feedparser: stored under its own name, which normalize() never reads
            self.children(el, depth)
        self.leave_base()

    def children(self, el: ET.Element, depth: int) -> None:
        for child in el:
            self.walk(child, depth + 1)

    # --- mirrored handlers ------------------------------------------------------------------------

    def h_rss(self, el: ET.Element, attrs: dict[str, str], depth: int) -> None:
        if self.inentry:
            raise _Decline("feed element inside an item")
        self.children(el, depth)

    def h_channel(self, el: ET.Element, attrs: dict[str, str], depth: int) -> None:
        if self.inentry or "lastmod" in attrs or "href" in attrs:
            raise _Decline("unusual channel")
        self.infeed = True
        self.children(el, depth)
        self.infeed = False

    def h_item(self, el: ET.Element, attrs: dict[str, str], depth: int) -> None:
        if self.inentry or "lastmod" in attrs or "href" in attrs:
            raise _Decline("unusual item")
        entry: dict[str, Any] = {}
        self.entries.append(entry)
        self.depth_maps.append({})
        self.inentry = True
        self.guidislink = False
        self.title_depth = -1
        about = attrs.get(self.nsmap.get("rdf", "rdf") + ":about")
        if about:
            self.context()["id"] = about
        self.children(el, depth)
        self.inentry = False
        self.has_content = False

    def h_image(self, el: ET.Element, attrs: dict[str, str], depth: int) -> None:
        if self.inentry and len(el):
            raise _Decline("image with children inside an item")
        ctx = self.context()
        if not self.inentry:
            ctx.setdefault("image", {})
        self.inimage = True
        self.title_depth = -1
        self.children(el, depth)
        self.inimage = False

    def h_textinput(self, el: ET.Element, attrs: dict[str, str], depth: int) -> None:
        if self.inentry:
            raise _Decline("textinput inside an item")
        self.context().setdefault("textinput", {})
        self.intextinput = True
        self.title_depth = -1
        self.children(el, depth)
        self.intextinput = False

    def h_source(self, el: ET.Element, attrs: dict[str, str], depth: int) -> None:
        if len(el) or not self.inentry:
            raise _Decline("structured source")
        self.title_depth = -1

    def h_title(self, el: ET.Element, attrs: dict[str, str], depth: int) -> None:
        self.content_type(attrs, "text/plain")
        value = self.pop("title", el, depth, self.infeed or self.inentry)
        if value:
            self.title_depth = depth

    def h_media_title(self, el: ET.Element, attrs: dict[str, str], depth: int) -> None:
        title_depth = self.title_depth
        self.h_title(el, attrs, depth)
        self.title_depth = title_depth

    def h_link(self, el: ET.Element, attrs: dict[str, str], depth: int) -> None:
        if len(el):
            raise _Decline("markup inside <link>")
        attrs.setdefault("rel", "alternate")
        attrs.setdefault("type", "application/atom+xml" if attrs["rel"] == "self" else "text/html")
        ctx = self.context()
        href = attrs.get("url", attrs.get("uri", attrs.get("href")))
        if href:
            attrs.pop("url", None)
            attrs.pop("uri", None)
            attrs["href"] = href
        if "href" in attrs:
            attrs["href"] = self.resolve(attrs["href"])
        links = ctx.setdefault("links", [])
        if not (self.inentry and self.inimage):
            links.append(attrs)
        if "href" in attrs:
            if attrs.get("rel") == "alternate" and _map_content_type(attrs["type"]) in _HTML_TYPES:
                ctx["link"] = attrs["href"]
        else:
            self.pop("link", el, depth, self.infeed or self.inentry)

    def h_guid(self, el: ET.Element, attrs: dict[str, str], depth: int) -> None:
        self.guidislink = attrs.get("ispermalink", "true") == "true"
        value = self.pop("id", el, depth)
        ctx = self.context()
        ctx.setdefault("guidislink", self.guidislink and "link" not in ctx)
        if self.guidislink:
            ctx.setdefault("link", value)

    def h_description(self, el: ET.Element, attrs: dict[str, str], depth: int) -> None:
        if "summary" in self.context() and not self.has_content:
            self.content(el, attrs, depth, "text/plain")
        else:
            self.content_type(attrs, "text/html")
            self.pop("description", el, depth, self.infeed or self.inentry)

    def h_summary(self, el: ET.Element, attrs: dict[str, str], depth: int) -> None:
        if "summary" in self.context() and not self.has_content:
            self.content(el, attrs, depth, "text/plain")
        else:
            self.content_type(attrs, "text/plain")
            self.pop("summary", el, depth)

    def content(self, el: ET.Element, attrs: dict[str, str], depth: int, default_type: str) -> None:
        """``_start_content`` / ``_start_content_encoded`` and ``_end_content``."""
        self.has_content = True
        self.content_type(attrs, default_type)  # always a type that is copied to the summary
        value = self.pop("content", el, depth)
        self.context().setdefault("summary", value)

    def h_content(self, el: ET.Element, attrs: dict[str, str], depth: int) -> None:
        self.content(el, attrs, depth, "text/plain")

    def h_content_encoded(self, el: ET.Element, attrs: dict[str, str], depth: int) -> None:
        self.content(el, attrs, depth, "text/html")

    def h_published(self, el: ET.Element, attrs: dict[str, str], depth: int) -> None:
        value = self.pop("published", el, depth)
        self.context()["published_parsed"] = _parse_date(value)

    def h_updated(self, el: ET.Element, attrs: dict[str, str], depth: int) -> None:
        value = self.pop("updated", el, depth)
        self.context()["updated_parsed"] = _parse_date(value)


_HANDLERS: dict[str, Any] = {
    "rss": _Replay.h_rss,
    "channel": _Replay.h_channel,
    "feed": _Replay.h_channel,
    "item": _Replay.h_item,
    "entry": _Replay.h_item,
    "image": _Replay.h_image,
    "textinput": _Replay.h_textinput,
    "source": _Replay.h_source,
    "title": _Replay.h_title,
    "dc_title": _Replay.h_title,
    "media_title": _Replay.h_media_title,
    "link": _Replay.h_link,
    "guid": _Replay.h_guid,
    "id": _Replay.h_guid,
    "description": _Replay.h_description,
    "dc_description": _Replay.h_description,
    "media_description": _Replay.h_description,
    "summary": _Replay.h_summary,
    "itunes_summary": _Replay.h_summary,
    "content": _Replay.h_content,
    "content_encoded": _Replay.h_content_encoded,
    "fullitem": _Replay.h_content_encoded,
    "published": _Replay.h_published,
    "issued": _Replay.h_published,
    "pubdate": _Replay.h_published,
    "dcterms_issued": _Replay.h_published,
    "updated": _Replay.h_updated,
    "modified": _Replay.h_updated,
    "lastbuilddate": _Replay.h_updated,
    "dc_date": _Replay.h_updated,
    "dcterms_modified": _Replay.h_updated,
}


def _replay(data: bytes) -> dict[str, Any]:
    first = _FIRST_ELEMENT.search(data)
    if first is None or _PROLOG_DECL.search(data, 0, first.start()):
        raise _Decline("DOCTYPE or declaration in the prolog")
    events = ET.iterparse(io.BytesIO(data), events=("start-ns",))
    namespaces = [ns for _event, ns in events]  # type: ignore[misc]
    root = events.root  # type: ignore[attr-defined]
    if root.tag not in _ROOTS:
        raise _Decline(f"root element {root.tag[:60]}")
    replay = _Replay(namespaces)
    replay.walk(root, 1)
    if not replay.entries:
        raise _Decline("no items")
    return {"feed": replay.feed, "entries": replay.entries, "bozo": False}


def parse_fast(data: bytes, url: str | None = None) -> ParsedFeed | None:
    """The :class:`ParsedFeed` feedparser would give for ``data`` (UTF-8, defused), or None to decline."""
    try:
        parsed = _replay(data)
    except _Decline as exc:
        reason = str(exc)
    except ET.ParseError:
        reason = "not well-formed XML"
    except (RecursionError, MemoryError):
        reason = "too large or too deep"
    except Exception as exc:  # a bug or an input this module did not foresee: feedparser decides
        reason = f"unexpected {type(exc).__name__}"
    else:
        STATS["accepted"] += 1
        return normalize(parsed, url)
    STATS["declined"] += 1
    STATS[f"declined: {reason}"] += 1
    log.debug("fast parse declined for %s: %s", url, reason)
    return None
