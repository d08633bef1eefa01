"""Case merging through the real pipeline, on SQLite and PostgreSQL (``any_store``): reports arriving newest first end in one case.

Three outlets report one made-up dispute (a state board subpoenas Reddit for an anonymous critic) in
reverse order: the newest report opens a case, the oldest opens a second one (they share too little),
and a middle report that names both the board and the account joins them. The older case's id must
survive, and follows, case cards and outbox rows of the absorbed case must follow it there. An unrelated
case of the same platform must keep its id and its article.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.feeds.normalize import content_hash
from bot.models import Entry, Feed, ParsedFeed, Stage, TargetKind, is_closed
from bot.pipeline import Pipeline
from storage.store import SqliteStore
from tests.storage_backends import execute, rows


@pytest.fixture
def store(any_store: SqliteStore) -> SqliteStore:
    return any_store


NOW = datetime(2024, 1, 1, 12, tzinfo=UTC)


def _entry(slug: str, title: str, summary: str, day: str) -> Entry:
    url = f"https://news.example.org/{slug}"
    return Entry(
        key=slug,
        url=url,
        title=title,
        summary=summary,
        published=datetime.fromisoformat(day).replace(tzinfo=UTC),
        content_hash=content_hash(title, summary, url),
    )


WITHDRAWN = _entry(
    "withdrawn",
    "Reddit drops appeal as subpoena is withdrawn over @nightowl_pdx",
    "The subpoena was withdrawn, so Reddit will not have to name the person behind @nightowl_pdx.",
    "2023-06-20",
)
DEMAND = _entry(
    "demand",
    "Oregon consumer board subpoenas Reddit over anonymous critic",
    "The Oregon Consumer Protection Board served Reddit with a subpoena demanding records of an anonymous "
    "user who criticised the board.",
    "2023-01-09",
)
RULING = _entry(
    "ruling",
    "Judge rules Reddit need not obey Oregon board subpoena for @nightowl_pdx",
    "A Portland judge quashed the Oregon Consumer Protection Board subpoena that demanded Reddit reveal "
    "the identity of @nightowl_pdx.",
    "2023-03-14",
)
UNRELATED = _entry(
    "texas",
    "Reddit sued by Texas parents over child safety failures",
    "Families in Texas filed a lawsuit accusing Reddit of failing to protect minors from predators on its forums.",
    "2023-02-01",
)


class _NoParser:
    async def parse(self, body: bytes, url: str | None = None) -> ParsedFeed:
        raise AssertionError("entries are handed to ingest_parsed directly")


async def _ingest(pipeline: Pipeline, feed: Feed, *entries: Entry) -> tuple[str, ...]:
    result = await pipeline.ingest_parsed(feed, ParsedFeed(title=feed.url, link=None, entries=entries))
    assert result.ok and result.new == len(entries) and result.relevant == len(entries)
    return result.new_case_ids


async def _case_of(store: SqliteStore, url: str) -> str:
    found = await rows(
        store, "SELECT d.case_id FROM detections d JOIN articles a ON a.id = d.article_id WHERE a.url = ?", url
    )
    assert len(found) == 1 and found[0][0] is not None
    return str(found[0][0])


async def test_newest_first_reports_end_in_one_case_and_follows_move(store: SqliteStore) -> None:
    pipeline = Pipeline(store, _NoParser(), clock=lambda: NOW)
    feeds = [(await store.feeds.add(f"https://outlet{i}.example.org/rss"))[0] for i in range(3)]

    # Outlet 0: the newest report of the dispute, and an unrelated dispute of the same platform.
    await _ingest(pipeline, feeds[0], WITHDRAWN, UNRELATED)
    newest_case = await _case_of(store, WITHDRAWN.url or "")
    unrelated_case = await _case_of(store, UNRELATED.url or "")
    assert newest_case != unrelated_case

    # Outlet 1: the oldest report: too little in common with the newest one, so a second case opens.
    opened = await _ingest(pipeline, feeds[1], DEMAND)
    oldest_case = await _case_of(store, DEMAND.url or "")
    assert opened == (oldest_case,) and oldest_case not in (newest_case, unrelated_case)

    # Followers, a card and a queued delivery on the case that is about to be absorbed.
    await store.guilds.follow(guild_id=1, target_kind=TargetKind.USER, target_id=7, case_id=newest_case)
    await store.guilds.follow(guild_id=1, target_kind=TargetKind.USER, target_id=42, case_id=newest_case)
    await store.guilds.follow(guild_id=1, target_kind=TargetKind.USER, target_id=42, case_id=oldest_case)
    async with store.transaction():
        await execute(
            store,
            "INSERT INTO case_cards (case_id, channel_id, guild_id, message_id, updated_at) VALUES (?, 5, 1, 99, ?)",
            newest_case,
            NOW.isoformat(),
        )
        await execute(
            store,
            "INSERT INTO deliveries (kind, dedupe_key, case_id, target_kind, target_id, next_attempt_at, created_at) "
            "VALUES ('development', 'k1', ?, 'user', 7, ?, ?)",
            newest_case,
            NOW.isoformat(),
            NOW.isoformat(),
        )

    # Outlet 2: the middle report names both the board and the account: the two cases become one.
    opened = await _ingest(pipeline, feeds[2], RULING)
    assert opened == ()
    kept = await _case_of(store, RULING.url or "")
    assert kept == oldest_case  # the earlier-opened case keeps its id
    assert {await _case_of(store, e.url or "") for e in (WITHDRAWN, DEMAND, RULING)} == {kept}
    assert await store.cases.get(newest_case) is None
    # The absorbed id still names the dispute: an old card's Follow button or a pasted id lands here.
    resolved = await store.cases.resolve(newest_case)
    assert resolved is not None and resolved.id == kept

    case = await store.cases.get(kept)
    assert case is not None and case.article_count == 3
    assert case.opened_at == DEMAND.published and case.updated_at == WITHDRAWN.published
    assert case.status is Stage.WITHDRAWN and is_closed(case.status)
    # The status history is rebuilt from the members' reports in date order, ending at the status.
    members = {a.id for a in await store.articles.for_case(kept)}
    events = await store.cases.events(kept)
    assert events and all(e.article_id in members for e in events)
    assert [e.at for e in events] == sorted(e.at for e in events)
    assert events[-1].to_status == case.status and events[-1].at == WITHDRAWN.published
    assert await store.cases.events(newest_case) == []

    # Follows moved (one follow per target), the card and the queued delivery point at the kept case.
    assert [s.case_id for s in await store.guilds.subscriptions_of(TargetKind.USER, 7)] == [kept]
    assert [s.case_id for s in await store.guilds.subscriptions_of(TargetKind.USER, 42)] == [kept]
    cards = await rows(store, "SELECT case_id, message_id FROM case_cards")
    assert [(r[0], r[1]) for r in cards] == [(kept, 99)]
    deliveries = await rows(store, "SELECT case_id FROM deliveries")
    assert [r[0] for r in deliveries] == [kept]

    # The unrelated case is untouched: same id, same single article.
    assert await _case_of(store, UNRELATED.url or "") == unrelated_case
    other = await store.cases.get(unrelated_case)
    assert other is not None and other.article_count == 1
    assert await store.cases.count() == 2
    # The case can still be found by the platform index the grouping uses (no stale index rows).
    cands = await store.cases.candidates(["reddit"])
    assert sorted(c.id for c in cands) == sorted([kept, unrelated_case])


async def test_merge_announces_only_what_the_new_article_changed(store: SqliteStore) -> None:
    """Oldest then newest report open two cases; the bridge merges them. Each side's known history (the
    demand, the withdrawal) must not come back as new status updates: only the bridge's own event may."""
    from bot.cases.tracker import track
    from bot.detect.detector import detect
    from bot.models import Article, ArticleText

    # This bridge leans to the newer case (the account), so the survivor is the other, older candidate.
    bridge_entry = _entry(
        "ruling-2",
        "Judge rules Reddit need not name the person behind @nightowl_pdx",
        "A judge quashed the Oregon Consumer Protection Board subpoena, so Reddit will not have to name the "
        "person behind @nightowl_pdx.",
        "2023-03-14",
    )
    feed, _ = await store.feeds.add("https://outlet.example.org/rss")
    changes = []
    async with store.transaction():
        for entry in (DEMAND, WITHDRAWN, bridge_entry):
            article_id = await store.articles.insert(feed.id, entry, NOW)
            article = Article(
                article_id, feed.id, entry.key, entry.url, entry.title, entry.summary, entry.published, NOW,
                entry.content_hash,
            )
            det = detect(ArticleText(entry.title, entry.summary, entry.url, entry.published))
            change, event_ids = await track(store, article, det)
            changes.append((change, event_ids))
    (first, _), (second, _), (bridge, bridge_event_ids) = changes
    assert first.is_new_case and second.is_new_case and first.case.id != second.case.id
    assert not bridge.is_new_case
    assert bridge.case.id == first.case.id  # the earlier-opened case survives whichever case the bridge joined
    assert await store.cases.count() == 1
    assert all(e.article_id == bridge.article_id for e in bridge.events)
    assert len(bridge_event_ids) == len(bridge.events) <= 1
    assert bridge.case.status is Stage.WITHDRAWN and bridge.case.article_count == 3


async def test_merge_redirects_stay_flat_and_never_shadow_a_live_case(store: SqliteStore) -> None:
    """a absorbed into b, then b into c: a resolves to c. Re-creating a (reprocessing derives ids from the
    first report) makes a live again, and forgetting every case forgets the redirects too."""
    from bot.models import Action, Case

    def case(case_id: str) -> Case:
        return Case(id=case_id, title=f"Reddit subpoena {case_id}", status=Stage.DEMAND, action=Action.SUBPOENA,
                    platforms=("Reddit",), opened_at=NOW, updated_at=NOW, article_count=1)

    async with store.transaction():
        for cid in "abc":
            await store.cases.save(case(cid), ["reddit"])
        await store.cases.merge_many("b", ["a"])
        await store.cases.merge_many("c", ["b", "c"])  # the survivor in the list is ignored
    assert await store.cases.get("a") is None and await store.cases.get("b") is None
    for old in "abc":
        resolved = await store.cases.resolve(old)
        assert resolved is not None and resolved.id == "c"
    merges = await rows(store, "SELECT gone_id, kept_id FROM case_merges ORDER BY gone_id")
    assert [(r[0], r[1]) for r in merges] == [("a", "c"), ("b", "c")]
    assert await store.cases.resolve("nope") is None

    async with store.transaction():
        await store.cases.save(case("a"), ["reddit"])
    again = await store.cases.resolve("a")
    assert again is not None and again.id == "a" and again.title == "Reddit subpoena a"
    async with store.transaction():
        await store.cases.delete_all()
    assert await store.cases.resolve("b") is None
    assert await rows(store, "SELECT * FROM case_merges") == []


async def test_members_read_equals_the_two_reads_it_replaces(store: SqliteStore) -> None:
    """Grouping reads a case's articles and stage observations in one query: articles oldest news first
    (as for_case), observations by article id with stage-less reports skipped."""
    pipeline = Pipeline(store, _NoParser(), clock=lambda: NOW)
    feed, _ = await store.feeds.add("https://outlet.example.org/rss")
    await _ingest(pipeline, feed, WITHDRAWN, RULING, DEMAND)
    case_id = await _case_of(store, RULING.url or "")
    articles, observations = await store.cases.members(case_id)
    assert articles == await store.articles.for_case(case_id) and len(articles) >= 2
    # the stage-bearing reports by article id, as the separate observations read returned them
    staged = await rows(
        store,
        "SELECT a.id, d.stage FROM detections d JOIN articles a ON a.id = d.article_id "
        "WHERE d.case_id = ? AND d.stage IS NOT NULL ORDER BY a.id",
        case_id,
    )
    assert [(o.article_id, o.stage.value) for o in observations] == [(r[0], r[1]) for r in staged] and observations
    by_id = {a.id: a for a in articles}
    assert all((o.published, o.fetched_at, o.url) == (by_id[o.article_id].published, by_id[o.article_id].fetched_at,
               by_id[o.article_id].url) for o in observations)
    # Grouping reads the same rows reduced to headlines (no article texts): same order, same observations.
    from storage.repositories.case_rows import headlines_from, headlines_read

    read = headlines_read(case_id)
    headlines, light = headlines_from(await rows(store, read.sql, *read.params))
    assert light == observations
    assert [(h.title, h.url, h.published, h.summary) for h in headlines] == [
        (a.title, a.url, a.published, "") for a in articles
    ]
    events = await store.cases.event_rows_of([case_id, "missing"])
    assert [e for _, e in events[case_id]] == await store.cases.events(case_id) and events["missing"] == []
