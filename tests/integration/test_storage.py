"""Storage: migrations and pragmas of the SQLite file; repositories, search and transactions on both
backends (``any_store``: SQLite and PostgreSQL, see tests/storage_backends.py)."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.models import (
    Action,
    Case,
    CaseEvent,
    DeliveryIntent,
    DeliveryKind,
    Entry,
    FollowMode,
    Stage,
    TargetKind,
)
from storage.database import Database
from storage.errors import SchemaTooNew
from storage.migrations import latest_version
from storage.store import SqliteStore
from tests.storage_backends import integrity_error

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _entry(key: str, url: str | None = None, title: str = "t", published: datetime | None = T0) -> Entry:
    return Entry(key=key, url=url, title=title, summary="s", published=published, content_hash="h" + key)


async def test_migrates_an_empty_file_and_sets_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    path.touch()
    async with await Database.open(path) as db:
        assert (await db.fetchone("PRAGMA user_version"))[0] == latest_version() >= 1
        assert (await db.fetchone("PRAGMA journal_mode"))[0] == "wal"
        assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1
        tables = {r[0] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {
            "feeds",
            "articles",
            "detections",
            "cases",
            "case_events",
            "guild_settings",
            "subscriptions",
            "deliveries",
            "articles_fts",
            "cases_fts",
        } <= tables
        assert await db.integrity_problems() == []


async def test_reopening_does_not_migrate_twice(tmp_path: Path) -> None:
    path = tmp_path / "twice.db"
    async with await SqliteStore.open(path) as store:
        await store.feeds.add("https://example.org/feed")
    async with await SqliteStore.open(path) as store:
        assert [f.url for f in await store.feeds.list()] == ["https://example.org/feed"]


async def test_refuses_a_database_from_a_newer_version(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
    with pytest.raises(SchemaTooNew, match="newer than this casewatch understands"):
        await Database.open(path)


async def test_transaction_rolls_back_on_error(any_store: SqliteStore) -> None:
    store = any_store
    feed, _ = await store.feeds.add("https://example.org/a")
    with pytest.raises(RuntimeError):
        async with store.transaction():
            await store.articles.insert(feed.id, _entry("k1"), T0)
            raise RuntimeError("boom")
    assert await store.articles.count() == 0


async def test_article_unique_per_feed_and_key(any_store: SqliteStore) -> None:
    store = any_store
    feed, _ = await store.feeds.add("https://example.org/a")
    async with store.transaction():
        await store.articles.insert(feed.id, _entry("k1", "https://example.org/1"), T0)
    with pytest.raises(integrity_error(store)):
        async with store.transaction():
            await store.articles.insert(feed.id, _entry("k1"), T0)
    assert await store.articles.known_keys(feed.id, ["k1", "k2"]) == {"k1"}
    assert await store.articles.known_urls(["https://example.org/1", "https://x.org"]) == {
        "https://example.org/1"
    }


async def test_feed_ownership_by_guilds(any_store: SqliteStore) -> None:
    store = any_store
    feed, created = await store.feeds.add("https://example.org/g", guild_id=1)
    assert created
    again, created = await store.feeds.add("https://example.org/g", guild_id=2)
    assert again.id == feed.id and not created
    assert sorted(await store.feeds.owners(feed.id)) == [1, 2]
    assert [f.url for f in await store.feeds.list(guild_id=1)] == ["https://example.org/g"]
    assert await store.feeds.list(guild_id=3) == []
    assert not await store.feeds.remove("https://example.org/g", guild_id=3)  # not its feed
    assert await store.feeds.remove("https://example.org/g", guild_id=1)
    assert await store.feeds.get_by_url("https://example.org/g") is not None  # guild 2 still wants it
    assert await store.feeds.remove("https://example.org/g", guild_id=2)
    assert await store.feeds.get_by_url("https://example.org/g") is None


async def test_due_feeds_and_failure_recording(any_store: SqliteStore) -> None:
    store = any_store
    feed, _ = await store.feeds.add("https://example.org/due")
    now = datetime.now(UTC)
    assert [f.id for f in await store.feeds.due(now)] == [feed.id]
    async with store.transaction():
        await store.feeds.record_failure(
            feed.id, now=now, error="HTTP 500", next_due_at=now + timedelta(hours=1), disable_reason=None
        )
    assert await store.feeds.due(now) == []
    failed = await store.feeds.get(feed.id)
    assert failed.consecutive_failures == 1 and failed.last_error == "HTTP 500" and failed.enabled
    async with store.transaction():
        await store.feeds.record_failure(
            feed.id, now=now, error="HTTP 500", next_due_at=now, disable_reason="too many failures"
        )
    disabled = await store.feeds.get(feed.id)
    assert not disabled.enabled and disabled.disabled_reason == "too many failures"
    assert await store.feeds.due(now + timedelta(days=1)) == []


def _case(case_id: str = "c1", **kw: object) -> Case:
    base = Case(
        id=case_id,
        title="Reddit v. Studios: subpoena for user identities",
        status=Stage.FILED,
        action=Action.SUBPOENA,
        platforms=("Reddit",),
        counterparties=("Film studios",),
        subjects=("piracy",),
        opened_at=T0,
        updated_at=T0,
        summary="Reddit fights a subpoena.",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


async def test_cases_candidates_search_and_events(any_store: SqliteStore) -> None:
    store = any_store
    async with store.transaction():
        await store.cases.save(_case("c1"), {"reddit"})
        await store.cases.save(
            _case(
                "c2",
                title="TikTok v. United States: divestiture law",
                platforms=("TikTok",),
                summary="TikTok sues.",
                counterparties=("United States",),
                subjects=(),
                updated_at=T0 + timedelta(days=1),
            ),
            {"tiktok"},
        )
    assert [c.id for c in await store.cases.candidates({"reddit"})] == ["c1"]
    assert await store.cases.candidates({"apple"}) == []
    assert [c.id for c in await store.cases.search("divest")] == ["c2"]  # prefix match on the last word
    assert [c.id for c in await store.cases.search("reddit subpoena")] == ["c1"]
    assert await store.cases.search('"); DROP TABLE cases; --') == []  # user text is never FTS syntax
    assert [c.id for c in await store.cases.recent()] == ["c2", "c1"]
    assert [c.id for c in await store.cases.autocomplete("divest")] == ["c2"]
    assert [c.id for c in await store.cases.autocomplete("su")] == ["c2", "c1"]  # "sues", "subpoena": newest first
    assert await store.cases.autocomplete('"*') == []

    ev1 = CaseEvent("c1", None, Stage.FILED, T0, None, "https://example.org/1")
    ev2 = CaseEvent("c1", Stage.FILED, Stage.DISMISSED, T0 + timedelta(days=3), None, "https://example.org/2")
    async with store.transaction():
        ids = await store.cases.replace_events("c1", [ev1])
        ids2 = await store.cases.replace_events("c1", [ev1, ev2])
    assert ids2[0] == ids[0]  # unchanged history keeps its row ids
    assert [e.to_status for e in await store.cases.events("c1")] == [Stage.FILED, Stage.DISMISSED]
    async with store.transaction():
        await store.cases.save(_case("c1", title="Renamed case"), {"reddit"})
    assert [c.id for c in await store.cases.search("renamed")] == ["c1"]
    assert await store.cases.search("Studios: subpoena for user identities piracy xyzzy") == []


async def test_outbox_is_idempotent_and_tracks_state(any_store: SqliteStore) -> None:
    store = any_store
    async with store.transaction():
        await store.cases.save(_case("c1"), {"reddit"})
    intent = DeliveryIntent(
        DeliveryKind.NEW_CASE, TargetKind.CHANNEL, 42, "new:42:c1", case_id="c1", guild_id=7
    )
    held = replace(intent, target_id=43, dedupe_key="new:43:c1", held_for_digest=True)
    async with store.transaction():
        assert await store.outbox.enqueue([intent, held]) == 2
        assert await store.outbox.enqueue([intent]) == 0  # same dedupe key: nothing new
    due = await store.outbox.due(datetime.now(UTC) + timedelta(seconds=1))
    assert [d.target_id for d in due] == [42]
    assert [d.target_id for d in await store.outbox.held(7)] == [43]
    await store.outbox.retry_later(due[0].id, "HTTP 500", datetime.now(UTC) + timedelta(minutes=5))
    assert await store.outbox.due(datetime.now(UTC)) == []
    await store.outbox.mark_sent(due[0].id, 999)
    assert (await store.outbox.counts()) == {"sent": 1, "held": 1}


async def test_settings_and_subscriptions(any_store: SqliteStore) -> None:
    store = any_store
    assert (await store.guilds.settings(1)).alert_channel_id is None
    await store.guilds.update_settings(1, alert_channel_id=10, platforms=["Reddit"], min_score=0.5)
    settings = await store.guilds.settings(1)
    assert settings.alert_channel_id == 10 and settings.platforms == ("Reddit",) and settings.min_score == 0.5
    assert [s.guild_id for s in await store.guilds.alerting()] == [1]
    with pytest.raises(ValueError, match="unknown guild settings"):
        await store.guilds.update_settings(1, token="x")

    sub = await store.guilds.follow(guild_id=1, target_kind=TargetKind.USER, target_id=5, case_id="c1")
    again = await store.guilds.follow(
        guild_id=1, target_kind=TargetKind.USER, target_id=5, case_id="c1", mode=FollowMode.STATUS
    )
    assert again.id == sub.id and again.mode is FollowMode.STATUS
    await store.guilds.follow(guild_id=1, target_kind=TargetKind.CHANNEL, target_id=9, platform_key="reddit")
    found = await store.guilds.subscriptions_for("c1", {"reddit"})
    assert {(s.target_kind, s.target_id) for s in found} == {(TargetKind.USER, 5), (TargetKind.CHANNEL, 9)}
    assert await store.guilds.unfollow(sub.id)
    assert not await store.guilds.unfollow(sub.id)


async def test_each_database_has_its_own_instance_id(tmp_path: Path) -> None:
    ids = []
    for name in ("one.db", "two.db"):
        async with await SqliteStore.open(tmp_path / name) as store:
            ids.append(await store.outbox.instance_id())
    async with await SqliteStore.open(tmp_path / "one.db") as store:
        assert await store.outbox.instance_id() == ids[0]  # stable across reopening
    assert all(len(i) == 6 for i in ids) and ids[0] != ids[1]


async def test_outbox_lookups_by_case_and_article_use_an_index(tmp_path: Path) -> None:
    """A merge re-points an absorbed case's outbox rows; without an index that scanned every row ever sent."""
    async with await Database.open(tmp_path / "plan.db") as db:
        for sql in (
            "UPDATE deliveries SET case_id = 'a' WHERE case_id = 'b'",
            "UPDATE deliveries SET article_id = NULL WHERE article_id = 7",
        ):
            plan = " ".join(str(r[-1]) for r in await db.fetchall(f"EXPLAIN QUERY PLAN {sql}"))
            assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, plan


async def test_a_nul_character_from_outside_is_stored_and_deduplicated(any_store: SqliteStore) -> None:
    """Feed text is cleaned before storage, but keys, validators and errors come from outside; PostgreSQL
    text cannot hold NUL, so that store keeps U+FFFD instead: both store the article once and find it again."""
    store = any_store
    feed, _ = await store.feeds.add("https://example.org/nul")
    odd = Entry(key="k\x00", url="https://example.org/n\x00", title="t\x00", summary="s", published=T0, content_hash="h\x00")
    async with store.transaction():
        await store.articles.insert(feed.id, odd, T0)
        await store.feeds.record_failure(
            feed.id, now=T0, error="bad \x00 byte", next_due_at=T0 + timedelta(hours=1), disable_reason=None
        )
    assert await store.articles.known_keys(feed.id, ["k\x00", "other"]) == {"k\x00"}
    assert await store.articles.known_hashes(feed.id, ["h\x00"]) == {"h\x00"}
    assert await store.articles.known_urls(["https://example.org/n\x00"]) == {"https://example.org/n\x00"}
    failed = await store.feeds.get(feed.id)
    assert failed.consecutive_failures == 1 and (failed.last_error or "").startswith("bad ")


async def test_legal_issues_and_the_docket_link_round_trip_and_survive_a_regroup(any_store: SqliteStore) -> None:
    from datetime import date

    from bot.models import DocketLink

    store = any_store
    tallied = replace(
        _case("c1", court="N.D. Cal.", docket="3:24-cv-01234"),
        issue_counts=(("free_speech", 3), ("section_230", 1)),
    )
    async with store.transaction():
        await store.cases.save(tallied, {"reddit"})
        await store.cases.save(_case("c2", court=None, docket=None), {"reddit"})
    got = await store.cases.get("c1")
    assert got is not None and got.issue_counts == (("free_speech", 3), ("section_230", 1))
    assert got.issues == ("free_speech", "section_230") and got.docket_link is None
    assert sorted(c.id for c in await store.cases.needing_docket_lookup(10)) == ["c1", "c2"]  # never asked
    async with store.transaction():
        await store.cases.mark_docket_checked("c2", T0 + timedelta(hours=1))
    assert [c.id for c in await store.cases.needing_docket_lookup(10)] == ["c1"]  # c2: no report since
    async with store.transaction():
        await store.cases.save(replace(_case("c2"), updated_at=T0 + timedelta(hours=2)), {"reddit"})
    assert sorted(c.id for c in await store.cases.needing_docket_lookup(10)) == ["c1", "c2"]  # a new report
    assert await store.cases.linked_dockets() == []
    # The issue filter of the web view and /case search, alone and with the other filters, on both backends.
    assert [c.id for c in await store.cases.browse(issue="section_230")] == ["c1"]
    assert [c.id for c in await store.cases.browse(issue="section_230", platform="reddit")] == ["c1"]
    assert [c.id for c in await store.cases.browse(issue="free_speech", query="subpoena")] == ["c1"]
    assert [c.id for c in await store.cases.browse(issue="free_speech", action="subpoena", status="filed")] == ["c1"]
    assert await store.cases.browse(issue="copyright") == []
    assert await store.cases.browse(issue="section_230", status="dismissed") == []
    assert len(await store.cases.browse()) == 2

    link = DocketLink(
        url="https://www.courtlistener.com/docket/123/x-corp-v-doe/",
        court="N.D. Cal.",
        number="3:24-cv-01234",
        filed=date(2024, 4, 30),
        case_name="X Corp. v. Doe",
        reason="court and docket number agree",
        last_filing=date(2024, 5, 2),
        docket_id=68519283,
    )
    warmed = await store.cases.candidates({"reddit"})  # decodes c1 into the repository's cache
    assert next(c for c in warmed if c.id == "c1").docket_link is None
    async with store.transaction():
        assert await store.cases.set_docket("c1", link) is True
        assert await store.cases.set_docket("no-such-case", link) is False
    got = await store.cases.get("c1")
    assert got is not None and got.docket_link == link
    # The candidate walk decodes the new row, not a cached copy of the old one.
    assert next(c for c in await store.cases.candidates({"reddit"}) if c.id == "c1").docket_link == link
    assert [c.id for c in await store.cases.needing_docket_lookup(10)] == ["c2"]
    assert [c.id for c in await store.cases.linked_dockets()] == ["c1"]
    # Grouping saves the case it read: the link and the tally are kept.
    async with store.transaction():
        await store.cases.save(replace(got, title="Renamed"), {"reddit"})
    again = await store.cases.get("c1")
    assert again is not None and again.docket_link == link and again.issue_counts == tallied.issue_counts
    async with store.transaction():
        assert await store.cases.set_docket("c1", None) is True
    cleared = await store.cases.get("c1")
    assert cleared is not None and cleared.docket_link is None


async def test_the_issue_index_follows_the_cases_and_pages_like_the_list(any_store: SqliteStore) -> None:
    store = any_store
    tagged = [
        replace(_case(f"k{n}"), updated_at=T0 + timedelta(hours=n), issue_counts=(("encryption", 1),) if n % 2 else ())
        for n in range(8)
    ]
    async with store.transaction():
        for case in tagged:
            await store.cases.save(case, {"reddit"})
    newest_first = [c.id for c in await store.cases.browse(limit=50)]
    about = [c.id for c in await store.cases.browse(issue="encryption", limit=50)]
    assert about == [i for i in newest_first if int(i[1:]) % 2]  # the list's order, only the tagged
    assert [c.id for c in await store.cases.browse(issue="encryption", limit=2, offset=1)] == about[1:3]
    # A regroup that drops the issue, and one that adds it, move the index with the row.
    async with store.transaction():
        await store.cases.save(replace(tagged[1], issue_counts=()), {"reddit"})
        await store.cases.save(
            replace(tagged[2], issue_counts=(("encryption", 2),), updated_at=T0 + timedelta(days=3)), {"reddit"}
        )
    assert [c.id for c in await store.cases.browse(issue="encryption", limit=50)] == ["k2", "k7", "k5", "k3"]
    assert [c.id for c in await store.cases.browse(issue="encryption", status="dismissed")] == []
    # A merge deletes the absorbed row: its index rows go with it.
    async with store.transaction():
        await store.cases.merge_many("k7", ["k5"])
    assert [c.id for c in await store.cases.browse(issue="encryption", limit=50)] == ["k2", "k7", "k3"]
    async with store.transaction():
        await store.cases.delete_all()
    assert await store.cases.browse(issue="encryption") == []
