"""RSS written by tests: one item or a whole feed, with stable links and optional dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def item(
    guid: str, title: str, body: str = "", when: datetime | None = START, link: str | None = None
) -> str:
    """An RSS item; ``when=None`` leaves out pubDate (undated items must still be ingested)."""
    date = f"<pubDate>{format_datetime(when)}</pubDate>" if when else ""
    href = link or f"https://news.example.org/{guid}"
    return (
        f"<item><guid isPermaLink='false'>{guid}</guid><title>{title}</title><link>{href}</link>"
        f"{date}<description>{body}</description></item>"
    )


def rss(*items: str, title: str = "Example News") -> bytes:
    return (
        f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>{title}</title>"
        f"<link>https://news.example.org/</link>{''.join(items)}</channel></rss>"
    ).encode()


# The seed story: a government summons to a platform, a suit, and the summons withdrawn a day later.
SUMMONS = item(
    "s1",
    "Twitter sues DHS over summons to unmask the anonymous @ALT_uscis account",
    "Twitter filed a lawsuit in federal court asking a judge to block a Customs and Border Protection "
    "summons that demands records identifying the person behind the @ALT_uscis account.",
)
WITHDRAWN = item(
    "s2",
    "Government withdraws @ALT_uscis summons and Twitter drops its lawsuit",
    "One day after the suit was filed, Customs and Border Protection withdrew the summons, and Twitter "
    "dropped its case against the Department of Homeland Security.",
    when=START + timedelta(days=1),
)
