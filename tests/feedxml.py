"""Feeds written by tests: RSS items or whole feeds with stable links and optional dates, an RDF feed,
and a readable first difference between two parsed feeds (for the parser differential tests)."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from bot.models import ParsedFeed

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


RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://rdf.example.net/"><title>RDF news</title><link>https://rdf.example.net/</link></channel>
  <item rdf:about="https://rdf.example.net/1"><title>Google fined</title><link>https://rdf.example.net/1</link>
    <dc:date>2024-02-01T08:00:00+00:00</dc:date></item>
</rdf:RDF>"""


def feed_difference(a: ParsedFeed, b: ParsedFeed) -> str:
    """The first field in which two parsed feeds differ, for a readable failure; "equal" if none."""
    for name in ("title", "link", "bozo"):
        if getattr(a, name) != getattr(b, name):
            return f"feed {name}: {getattr(a, name)!r} != {getattr(b, name)!r}"
    if len(a.entries) != len(b.entries):
        return f"{len(a.entries)} entries != {len(b.entries)}"
    for i, (x, y) in enumerate(zip(a.entries, b.entries, strict=True)):
        for f in fields(x):
            if getattr(x, f.name) != getattr(y, f.name):
                return f"entry {i} {f.name}: {getattr(x, f.name)!r} != {getattr(y, f.name)!r}"
    return "equal"
