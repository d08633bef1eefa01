"""Where the feed list comes from: the bundled defaults or an operator's file (plain list or OPML)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

from bot.feeds.normalize import canonical_url


class SourcesError(ValueError):
    """The sources file cannot be read; the message says which line or element."""


def parse_sources(text: str, *, origin: str = "sources") -> list[str]:
    """URLs from an OPML document or a plain list (one per line, '#' comments). Order kept, no repeats."""
    stripped = text.lstrip()
    urls = _parse_opml(stripped, origin) if stripped.startswith("<") else _parse_lines(text, origin)
    seen: set[str] = set()
    return [u for u in urls if not (u in seen or seen.add(u))]  # type: ignore[func-returns-value]


def _parse_lines(text: str, origin: str) -> list[str]:
    urls = []
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.strip()
        if not content or content.startswith("#"):
            continue
        token = content.split()[0]  # anything after the URL is a comment
        url = canonical_url(token)
        if url is None:
            raise SourcesError(f"{origin}:{number}: not an http(s) URL: {token[:80]!r}")
        urls.append(url)
    return urls


def _parse_opml(text: str, origin: str) -> list[str]:
    if "<!ENTITY" in text or "<!DOCTYPE" in text:
        raise SourcesError(f"{origin}: OPML with a DOCTYPE is not accepted")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise SourcesError(f"{origin}: invalid OPML: {exc}") from None
    urls = []
    for outline in root.iter("outline"):
        raw = outline.get("xmlUrl") or outline.get("xmlurl")
        if not raw:
            continue
        url = canonical_url(raw)
        if url is None:
            raise SourcesError(f"{origin}: outline {outline.get('text', '')!r} has a non-http(s) xmlUrl")
        urls.append(url)
    return urls


def load_sources(path: Path | None) -> list[str]:
    """The operator's file when given, else the bundled defaults."""
    if path is not None:
        return parse_sources(path.read_text(encoding="utf-8"), origin=str(path))
    text = resources.files("bot").joinpath("data/default_feeds.txt").read_text(encoding="utf-8")
    return parse_sources(text, origin="default_feeds.txt")
