"""Pure helpers that turn stored values into what the templates show (no I/O, no HTML: Jinja escapes)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from bot.models import Action, Stage


def http_url(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) URL with a host, else None (never a link to anything else:
    ``javascript:``, ``data:``, relative paths...)."""
    if not url or any(c.isspace() or ord(c) < 32 for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def outlet(url: str | None) -> str:
    """Who published a report: the host of its URL without ``www.`` (public; feed names can be a
    server's private choice, so they are not shown)."""
    try:
        host = urlsplit(url or "").hostname or ""
    except ValueError:
        host = ""
    return host.removeprefix("www.") or "unknown outlet"


def day(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d") if at is not None else "undated"


def when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at is not None else "-"


def iso(at: datetime | None) -> str:
    return at.isoformat() if at is not None else ""


def label(value: Stage | Action | str | None) -> str:
    """``court_order`` -> ``court order``; None -> ``new``."""
    if value is None:
        return "new"
    return str(value.value if isinstance(value, Stage | Action) else value).replace("_", " ")
