"""Cases for the web view's tests, made by the real pipeline (detect, group, status, merge) over entries
handed to ``Pipeline.ingest_parsed``, and feeds made through the feed repository."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.feeds.normalize import content_hash
from bot.models import Entry, Feed, ParsedFeed
from bot.pipeline import Pipeline
from storage.store import SqliteStore

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
XSS_SCRIPT = "<script>window.__xss = 1; alert(1)</script>"
XSS_IMG = "<img src=x onerror=\"window.__xss = 2; alert(2)\">"


def entry(slug: str, title: str, summary: str, day: str, url: str | None = None) -> Entry:
    link = url if url is not None else f"https://news.example.org/{slug}"
    return Entry(
        key=slug,
        url=link,
        title=title,
        summary=summary,
        published=datetime.fromisoformat(day).replace(tzinfo=UTC),
        content_hash=content_hash(title, summary, link),
    )


# Three reports of one made-up dispute, arriving newest first: the newest and the oldest open two cases,
# the middle one joins them (a merge), so the newest report's case id becomes a redirect.
WITHDRAWN = entry(
    "withdrawn",
    "Reddit drops appeal as subpoena is withdrawn over @nightowl_pdx",
    "The subpoena was withdrawn, so Reddit will not have to name the person behind @nightowl_pdx.",
    "2023-06-20",
)
DEMAND = entry(
    "demand",
    "Oregon consumer board subpoenas Reddit over anonymous critic",
    "The Oregon Consumer Protection Board served Reddit with a subpoena demanding records of an anonymous "
    "user who criticised the board.",
    "2023-01-09",
)
RULING = entry(
    "ruling",
    "Judge rules Reddit need not obey Oregon board subpoena for @nightowl_pdx",
    "A Portland judge quashed the Oregon Consumer Protection Board subpoena that demanded Reddit reveal "
    "the identity of @nightowl_pdx.",
    "2023-03-14",
)
UNRELATED = entry(
    "texas",
    "Reddit sued by Texas parents over child safety failures",
    "Families in Texas filed a lawsuit accusing Reddit of failing to protect minors from predators on its forums.",
    "2023-02-01",
)
# A hostile feed: markup in the title and summary is text to casewatch, and must stay text on the page.
HOSTILE = entry(
    "hostile",
    f"Twitter sues DHS over summons to unmask the @ALT_uscis account {XSS_SCRIPT} {XSS_IMG}",
    f"Twitter filed a lawsuit in federal court asking a judge to block a Customs and Border Protection "
    f"summons that demands records identifying the person behind the @ALT_uscis account. {XSS_SCRIPT}",
    "2024-03-01",
    url="https://hostile.example.net/story?a=1&b=<x>",
)
# Same dispute, a report whose link is not http(s): shown as text, never as a link.
JS_LINK = entry(
    "jslink",
    "Government withdraws @ALT_uscis summons and Twitter drops its lawsuit",
    "One day after the suit was filed, Customs and Border Protection withdrew the summons, and Twitter "
    "dropped its case against the Department of Homeland Security.",
    "2024-03-02",
    url="javascript:alert(3)",
)


class _NoParser:
    async def parse(self, body: bytes, url: str | None = None) -> ParsedFeed:
        raise AssertionError("entries are handed to ingest_parsed directly")


@dataclass
class Filled:
    merged_id: str  # absorbed by a merge: redirects to kept_id
    kept_id: str
    unrelated_id: str
    hostile_id: str
    operator_feeds: list[Feed]
    guild_feed: Feed


async def case_of(store: SqliteStore, url: str) -> str:
    for case in await store.cases.recent(limit=100):
        if url in {a.url for a in await store.articles.for_case(case.id)}:
            return case.id
    raise AssertionError(f"no case holds {url}")


async def fill(store: SqliteStore) -> Filled:
    pipeline = Pipeline(store, _NoParser(), clock=lambda: NOW)
    feeds = [(await store.feeds.add(f"https://outlet{i}.example.org/rss"))[0] for i in range(3)]
    guild_feed, _ = await store.feeds.add("https://private-guild-feed.example.com/secret.xml", guild_id=4242)

    async def ingest(feed: Feed, *entries: Entry) -> None:
        result = await pipeline.ingest_parsed(feed, ParsedFeed(title=feed.url, link=None, entries=entries))
        assert result.ok and result.relevant == len(entries), result

    await ingest(feeds[0], WITHDRAWN, UNRELATED)
    newest = await case_of(store, WITHDRAWN.url or "")
    await ingest(feeds[1], DEMAND)
    await ingest(feeds[2], RULING)
    kept = await case_of(store, RULING.url or "")
    assert newest != kept and await store.cases.get(newest) is None  # merged away
    await ingest(feeds[1], HOSTILE, JS_LINK)
    hostile = await case_of(store, HOSTILE.url or "")
    unrelated = await case_of(store, UNRELATED.url or "")

    # Feed health: one operator feed failing with markup in its error, one disabled; the guild's own
    # feed fails too and must never be shown.
    async with store.transaction():
        await store.feeds.record_failure(
            feeds[1].id, now=NOW, error=f"HTTP 500 {XSS_SCRIPT}", next_due_at=NOW + timedelta(hours=1),
            disable_reason=None,
        )
        await store.feeds.record_failure(
            feeds[2].id, now=NOW, error="DNS lookup failed", next_due_at=NOW + timedelta(hours=2),
            disable_reason="failed 8 times in a row",
        )
        await store.feeds.record_failure(
            guild_feed.id, now=NOW, error="guild-secret-error", next_due_at=NOW, disable_reason=None
        )
    return Filled(
        merged_id=newest,
        kept_id=kept,
        unrelated_id=unrelated,
        hostile_id=hostile,
        operator_feeds=[await store.feeds.get(f.id) for f in feeds],
        guild_feed=guild_feed,
    )
