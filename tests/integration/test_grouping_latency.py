"""The grouping fast path against a real SQLite file: cached candidates are never stale, pipelined writes
keep their order and roll back together, and tracking with a warm cache stores exactly what a cold one does.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.cases.clustering import platform_keys
from bot.cases.tracker import track
from bot.detect.detector import detect
from bot.models import Action, Article, ArticleText, Case, CaseEvent, Entry, Stage
from storage.pipeline import Read, Written, pipeline
from storage.store import SqliteStore
from tests.storage_backends import (
    execute,
    fresh_store,
    is_postgres,
    nulls_last,
    open_again,
    rows,
    write_order,
)

NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)


def _case(case_id: str, days: int, **changes: object) -> Case:
    case = Case(
        id=case_id,
        title=f"Reddit subpoena {case_id}",
        status=Stage.DEMAND,
        action=Action.SUBPOENA,
        platforms=("Reddit",),
        counterparties=("Oregon Consumer Protection Board",),
        keywords=("^oregon", "critic", case_id),
        opened_at=NOW - timedelta(days=days),
        updated_at=NOW - timedelta(days=days),
        article_count=1,
    )
    return replace(case, **changes)  # type: ignore[arg-type]


async def _save(store: SqliteStore, *cases: Case) -> None:
    async with store.transaction():
        for case in cases:
            await store.cases.save(case, platform_keys(case.platforms))


async def test_a_write_by_another_connection_is_seen(any_store: SqliteStore) -> None:
    store = any_store
    await _save(store, _case("a", 2), _case("b", 1))
    first = await store.cases.candidates(["reddit"])
    assert [c.id for c in first] == ["b", "a"]
    assert [c.id for c in await store.cases.candidates(["reddit"])] == ["b", "a"]
    assert store.cases.decoded.hits == 2  # the second read reused both decoded cases

    # Another process (here: another connection to the same file) updates "a" and deletes "b".
    async with await open_again(store) as other:
        await _save(other, _case("a", 0, summary="ruled", status=Stage.RULING, keywords=("^oregon", "judge")))
        async with other.transaction():
            await other.cases.merge_many("a", ["b"])
    fresh = await store.cases.candidates(["reddit"])
    assert fresh == [await store.cases.get("a")]
    assert fresh[0].status is Stage.RULING and fresh[0].keywords == ("^oregon", "judge")
    assert fresh[0].summary == "ruled"


async def test_a_rolled_back_change_is_not_served(any_store: SqliteStore) -> None:
    store = any_store
    await _save(store, _case("a", 1))

    class Undo(Exception):
        pass

    with pytest.raises(Undo):
        async with store.transaction():
            await store.cases.save(_case("a", 0, title="changed"), ["reddit"])
            inside = await store.cases.candidates(["reddit"])
            assert inside[0].title == "changed"  # the transaction sees its own write
            raise Undo
    after = await store.cases.candidates(["reddit"])
    assert after[0].title == "Reddit subpoena a" and after == [await store.cases.get("a")]


async def test_pipelined_statements_run_in_order_and_roll_back_together(store: SqliteStore) -> None:
    conn = store.db.conn
    await conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    async with store.transaction():
        cursors = await pipeline(
            conn,
            [
                ("INSERT INTO t (k, v) VALUES (1, 'first')", ()),
                ("UPDATE t SET v = v || ', second' WHERE k = 1", ()),
                ("INSERT INTO t (k, v) VALUES (2, 'x')", ()),
            ],
        )
    assert [c.lastrowid for c in (cursors[0], cursors[2])] == [1, 2]
    assert [tuple(r) for r in await store.db.fetchall("SELECT k, v FROM t ORDER BY k")] == [
        (1, "first, second"),
        (2, "x"),
    ]

    with pytest.raises(Exception, match="NOT NULL"):
        async with store.transaction():
            await pipeline(
                conn,
                [
                    ("UPDATE t SET v = 'lost' WHERE k = 1", ()),
                    ("INSERT INTO t (k, v) VALUES (3, NULL)", ()),
                    ("DELETE FROM t WHERE k = 2", ()),
                ],
            )
    assert [tuple(r) for r in await store.db.fetchall("SELECT k, v FROM t ORDER BY k")] == [
        (1, "first, second"),
        (2, "x"),
    ]


async def test_a_pipelined_read_sees_the_writes_queued_before_it_only(store: SqliteStore) -> None:
    conn = store.db.conn
    await conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    async with store.transaction():
        results = await pipeline(
            conn,
            [
                Read("SELECT count(*) FROM t"),
                ("INSERT INTO t (k, v) VALUES (1, 'a')", ()),
                Read("SELECT k, v FROM t WHERE k >= ?", (1,)),
                ("INSERT INTO t (k, v) VALUES (2, 'b')", ()),
            ],
        )
    assert [tuple(r) for r in results[0]] == [(0,)]
    assert [tuple(r) for r in results[2]] == [(1, "a")]
    assert results[1].lastrowid == 1 and results[3].lastrowid == 2


def _event(case_id: str, days: int, to: Stage, frm: Stage | None = None) -> CaseEvent:
    return CaseEvent(case_id, frm, to, NOW - timedelta(days=days), None, f"https://e.example/{case_id}/{days}")


async def _grouping_state(store: SqliteStore) -> list[object]:
    """Everything grouping writes, without the random versions and merge times."""
    out: list[object] = []
    for sql in (
        "SELECT id, title, status, platforms, keywords, summary, article_count FROM cases ORDER BY id",
        "SELECT case_id, platform_key, updated_at FROM case_platforms ORDER BY case_id, platform_key",
        "SELECT article_id, relevant, stage, case_id FROM detections ORDER BY article_id",
        "SELECT id, case_id, from_status, to_status, at, article_id FROM case_events ORDER BY id",
        "SELECT gone_id, kept_id FROM case_merges ORDER BY gone_id",
    ):
        out.append(await rows(store, sql))
    return out


async def test_attach_and_save_with_events_equal_the_calls_they_batch(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Filing an article in one round trip stores and reads exactly what the separate calls did: events
    read before the merge deleted the absorbed case's rows, members after the detection points at the case.
    On both backends."""
    from bot.models import Detection

    results = []
    for batched in (False, True):
        async with fresh_store(backend, request, tmp_path, str(batched)) as store:
            feed, _ = await store.feeds.add("https://outlet.example.org/rss")
            await _save(store, _case("a", 5), _case("b", 4))
            async with store.transaction():
                await store.cases.replace_events("a", [_event("a", 5, Stage.DEMAND)])
                await store.cases.replace_events("b", [_event("b", 4, Stage.FILED)])
                article_ids = []
                for i in range(2):
                    entry = Entry(f"k{i}", f"https://news.example.org/{i}", f"Reddit {i}", "s", NOW, f"h{i}")
                    article_ids.append(await store.articles.insert(feed.id, entry, NOW))
            det = Detection(relevant=True, score=0.9, platforms=("Reddit",), stage=Stage.RULING)
            new_case = _case("n", 0)
            reads = []
            async with store.transaction():
                # an article opening a new case, then one that merges "b" into "a"
                for article_id, case_id, create, absorb, events_of in (
                    (article_ids[0], "n", new_case, [], ["n"]),
                    (article_ids[1], "a", None, ["b"], ["a", "b"]),
                ):
                    if batched:
                        got = await store.cases.attach(
                            article_id, det, case_id,
                            create=(create, ["reddit"]) if create else None, absorb=absorb, events_of=events_of,
                        )  # fmt: skip
                        old, members, observations = got.old_events, got.headlines, got.observations
                    else:
                        old = await store.cases.event_rows_of(events_of)
                        if create:
                            await store.cases.save(create, ["reddit"])
                        await store.cases.merge_many(case_id, absorb)
                        await store.articles.save_detection(article_id, det, case_id)
                        articles, observations = await store.cases.members(case_id)
                        # the batched read returns each member's headline: its text without the summary
                        members = [ArticleText(a.title, "", a.url, a.published) for a in articles]
                    reads.append((old, members, observations))
                    events = [_event(case_id, 5, Stage.DEMAND), _event(case_id, 0, Stage.RULING, Stage.DEMAND)]
                    final = _case(case_id, 0, summary=f"now {len(members)}", article_count=len(members))
                    if batched:
                        ids = await store.cases.save_with_events(final, ["reddit"], events, old.get(case_id, []))
                    else:
                        ids = await store.cases.replace_events(case_id, events, old.get(case_id, []))
                        await store.cases.save(final, ["reddit"])
                    reads.append(ids)
            results.append((reads, await _grouping_state(store)))
    assert results[0] == results[1]
    reads, state = results[1]
    old_of_merge = reads[2][0]
    assert [e.to_status for _, e in old_of_merge["b"]] == [Stage.FILED]  # read before the merge removed it
    assert [a.url for a in reads[2][1]] == ["https://news.example.org/1"] and reads[2][2][0].stage is Stage.RULING
    assert state[4] == [("b", "a")] and [r[0] for r in state[0]] == ["a", "n"]


async def test_replace_events_returns_the_stored_ids_in_order(any_store: SqliteStore) -> None:
    store = any_store
    from bot.models import CaseEvent

    await _save(store, _case("a", 3))
    events = [
        CaseEvent("a", None, Stage.DEMAND, NOW - timedelta(days=3), None, "u1"),
        CaseEvent("a", Stage.DEMAND, Stage.FILED, NOW - timedelta(days=2), None, "u2"),
    ]
    async with store.transaction():
        first_ids = await store.cases.replace_events("a", events)
    later = [events[0], CaseEvent("a", Stage.DEMAND, Stage.RULING, NOW - timedelta(days=1), None, "u3")]
    async with store.transaction():
        ids = await store.cases.replace_events("a", later)
    assert ids[0] == first_ids[0]  # unchanged rows keep their ids
    stored = await rows(store, "SELECT id, to_status FROM case_events WHERE case_id = 'a' ORDER BY at")
    assert [(r[0], r[1]) for r in stored] == [(ids[0], "demand"), (ids[1], "ruling")]


_REPORTS = [
    ("Oregon consumer board subpoenas Reddit over anonymous critic",
     "The Oregon Consumer Protection Board served Reddit with a subpoena demanding records of an anonymous "
     "user who criticised the board.", 0),
    ("Reddit sued by Texas parents over child safety failures",
     "Families in Texas filed a lawsuit accusing Reddit of failing to protect minors from predators.", 5),
    ("Judge rules Reddit need not obey Oregon board subpoena for @nightowl_pdx",
     "A Portland judge quashed the Oregon Consumer Protection Board subpoena that demanded Reddit reveal "
     "the identity of @nightowl_pdx.", 60),
    ("Reddit drops appeal as subpoena is withdrawn over @nightowl_pdx",
     "The subpoena was withdrawn, so Reddit will not have to name the person behind @nightowl_pdx.", 160),
    ("Texas judge hears Reddit child safety lawsuit",
     "A Texas judge held a hearing in the lawsuit by families accusing Reddit of failing to protect minors.", 90),
    ("FTC fines Reddit over advertising data",
     "The Federal Trade Commission fined Reddit for sharing user data with advertisers without consent.", 30),
]  # fmt: skip


async def _track_all(store: SqliteStore, *, cold: bool) -> list[tuple[str, bool, tuple[Stage, ...]]]:
    feed, _ = await store.feeds.add("https://outlet.example.org/rss")
    out = []
    for i, (title, summary, day) in enumerate(_REPORTS):
        published = datetime(2023, 1, 1, tzinfo=UTC) + timedelta(days=day)
        entry = Entry(f"k{i}", f"https://news.example.org/{i}", title, summary, published, f"h{i}")
        det = detect(ArticleText(title, summary, entry.url, published))
        assert det.relevant
        if cold:
            store.cases.decoded.forget()
        async with store.transaction():
            article_id = await store.articles.insert(feed.id, entry, NOW)
            article = Article(
                article_id, feed.id, entry.key, entry.url, title, summary, published, NOW, f"h{i}"
            )
            change, _ = await track(store, article, det)
        out.append((change.case.id, change.is_new_case, tuple(e.to_status for e in change.events)))
    return out


async def test_warm_and_cold_caches_store_the_same(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    results = []
    for cold in (True, False):
        async with fresh_store(backend, request, tmp_path, str(cold)) as store:
            changes = await _track_all(store, cold=cold)
            events = await rows(
                store, "SELECT case_id, from_status, to_status, at, article_id, url FROM case_events ORDER BY id"
            )
            results.append((changes, await store.cases.dump(), events))
            if not cold:
                assert store.cases.decoded.hits > 0
    assert results[0] == results[1]
    changes, dump, _ = results[1]
    assert any(new for _, new, _ in changes) and not all(new for _, new, _ in changes)
    assert sum(len(c["article_urls"]) for c in dump) == len(_REPORTS)


async def test_one_platform_shortlist_keeps_the_walk_order(any_store: SqliteStore) -> None:
    """The single-platform statement returns what the per-key walk did: newest first, ties in index order
    (later rows first), undated cases last, and at most ``limit``."""
    store = any_store
    same_day = [_case(f"t{i}", 3) for i in range(5)]
    await _save(store, _case("old", 9), *same_day, _case("new", 1), _case("undated", 0, updated_at=None))
    await _save(store, _case("t1", 3, title="re-saved: its platform row is now the latest of the tie"))
    walk = await rows(
        store,
        "SELECT case_id FROM case_platforms WHERE platform_key = 'reddit' "
        f"ORDER BY updated_at DESC{nulls_last(store)}, {write_order(store)} DESC LIMIT 5",
    )
    got = [c.id for c in await store.cases.candidates(["reddit"], limit=5)]
    assert got == [r[0] for r in walk]
    assert got[0] == "new" and got[1] == "t1"
    everything = [c.id for c in await store.cases.candidates(["reddit"])]
    assert everything[-2:] == ["old", "undated"] and len(everything) == 8


async def test_every_write_of_a_case_row_gets_a_new_version(any_store: SqliteStore) -> None:
    """The decoded-case cache trusts (id, version): any writer, even raw SQL, must change the version,
    and a write that is rolled back and redone must not get the version it had inside the transaction."""
    store = any_store

    async def version() -> int:
        [row] = await rows(store, "SELECT version FROM cases WHERE id = 'a'")
        return int(row[0])

    await _save(store, _case("a", 1))
    seen = {await version()}
    await _save(store, _case("a", 0, title="again"))
    seen.add(await version())
    async with store.transaction():
        await execute(store, "UPDATE cases SET summary = 'raw' WHERE id = 'a'")
    seen.add(await version())

    class Undo(Exception):
        pass

    with pytest.raises(Undo):
        async with store.transaction():
            await store.cases.save(_case("a", 0, title="undone"), ["reddit"])
            seen.add(await version())
            raise Undo
    await _save(store, _case("a", 0, title="redone"))
    seen.add(await version())
    assert len(seen) == 5 and 0 not in seen


async def test_cached_candidates_are_checked_by_version_not_reread(any_store: SqliteStore) -> None:
    store = any_store
    await _save(store, *(_case(f"c{i}", i) for i in range(5)))
    first = await store.cases.candidates(["reddit"])
    misses = store.cases.decoded.misses
    again = await store.cases.candidates(["reddit"])
    assert again == first and all(a is b for a, b in zip(again, first, strict=True))
    assert store.cases.decoded.misses == misses  # no full row decoded on the second read
    await _save(store, _case("c3", 3, title="changed"))
    third = await store.cases.candidates(["reddit"])
    assert store.cases.decoded.misses == misses + 1
    assert [c.title for c in third if c.id == "c3"] == ["changed"]


async def test_start_up_warm_up_fills_the_caches_of_the_most_active_platforms(any_store: SqliteStore) -> None:
    store = any_store
    from bot.cases.clustering import case_profile
    from bot.cases.tracker import warm

    stale = _case("old", 400, platforms=("Tumblr",))
    await _save(store, _case("a", 3), _case("b", 2), _case("t", 1, platforms=("Telegram",)), stale)
    assert await store.cases.active_platforms(2) == ["telegram", "reddit"]  # most recently updated first
    assert await warm(store, platforms=2) == 3
    assert store.cases.decoded.misses == 3 and len(store.cases.decoded) == 3
    # The first article's read after start is served from the caches: no row decoded, profiles reused.
    profiles = {c.id: case_profile(c) for c in await store.cases.candidates(["reddit"])}
    assert store.cases.decoded.misses == 3 and store.cases.decoded.hits == 2
    again = {c.id: case_profile(c) for c in await store.cases.candidates(["reddit"])}
    assert all(again[cid] is profiles[cid] for cid in profiles)
    # The platform beyond the budget was not read.
    await store.cases.candidates(["tumblr"])
    assert store.cases.decoded.misses == 4
    assert await warm(store, platforms=0) == 0


async def _platform_versions(store: SqliteStore) -> list[tuple[str, int, int]]:
    found = await rows(
        store, "SELECT p.case_id, p.version, c.version FROM case_platforms p JOIN cases c ON c.id = p.case_id"
    )
    return [tuple(r) for r in found]  # type: ignore[misc]


async def test_platform_rows_always_carry_their_case_version(any_store: SqliteStore) -> None:
    """The shortlist trusts the version in the platform index (schema 0007) and its write order (0008):
    every kind of write keeps them right, including raw SQL and a rolled-back transaction."""
    store = any_store

    async def assert_in_step(expected_rows: int) -> None:
        found = await _platform_versions(store)
        assert len(found) == expected_rows
        assert all(mine == theirs and mine is not None for _, mine, theirs in found), found
        # and the write order the walk sorts ties by (schema 0008) is the row's rowid (on PostgreSQL a
        # unique identity value, so every row has one and no two tie)
        if is_postgres(store):
            orders = await rows(store, "SELECT seq, seq FROM case_platforms")
            assert len({r[0] for r in orders}) == len(orders)
        else:
            orders = await rows(store, "SELECT rowid, seq FROM case_platforms")
        assert all(r[0] == r[1] and r[0] is not None for r in orders) and len(orders) == expected_rows

    await _save(store, _case("a", 2, platforms=("Reddit", "Twitter")), _case("b", 1))
    await assert_in_step(3)
    before = {cid: v for cid, v, _ in await _platform_versions(store)}
    async with store.transaction():
        await execute(store, "UPDATE cases SET summary = 'raw' WHERE id = 'a'")
    await assert_in_step(3)
    assert {cid: v for cid, v, _ in await _platform_versions(store)}["a"] != before["a"]

    class Undo(Exception):
        pass

    with pytest.raises(Undo):
        async with store.transaction():
            await store.cases.save(_case("b", 0, title="undone"), ["reddit"])
            raise Undo
    await assert_in_step(3)
    async with store.transaction():  # another writer inserting platform rows without a version
        await execute(
            store, "INSERT INTO case_platforms (case_id, platform_key, updated_at) VALUES ('b', 'tumblr', '2024')"
        )
    await assert_in_step(4)
    async with store.transaction():
        await store.cases.merge_many("a", ["b"])
        await store.cases.save(_case("a", 0, platforms=("Reddit", "Twitter")), ["reddit", "twitter"])
    await assert_in_step(2)
    assert [c.id for c in await store.cases.candidates(["reddit", "tumblr"])] == ["a"]


async def test_several_platforms_shortlist_is_the_newest_of_their_union(any_store: SqliteStore) -> None:
    """Articles naming two or three platforms get the newest ``limit`` cases of any of them, each once;
    equal dates keep the first platform's (sorted keys) walk order, later-written rows first."""
    store = any_store
    plans = {"reddit": ("Reddit",), "twitter": ("Twitter",), "both": ("Reddit", "X"), "meta": ("Meta",)}
    cases = [
        _case(f"{name}{i}", days, platforms=platforms)
        for i, days in enumerate([9, 5, 5, 5, 3, 1, 5, 0])
        for name, platforms in plans.items()
    ]
    await _save(store, *cases)
    await _save(store, _case("twitter2", 5, title="re-saved"), _case("reddit3", 5, title="re-saved"))
    platform_rows = await rows(
        store, f"SELECT case_id, platform_key, updated_at, {write_order(store)} FROM case_platforms"
    )
    keys = ["reddit", "twitter"]
    first: dict[str, tuple[str, int, int]] = {}
    for case_id, key, updated, rowid in platform_rows:
        if key in keys:
            mark = (updated, -keys.index(key), rowid)
            first[case_id] = max(first.get(case_id, mark), mark)  # the first key's row among a case's
    expected = sorted(first, key=lambda cid: first[cid], reverse=True)
    assert len(expected) == 24
    for limit in (200, 24, 10, 3):
        got = [c.id for c in await store.cases.candidates(["twitter", "x", "reddit"], limit=limit)]
        assert got == expected[:limit], limit
    assert {c.id for c in await store.cases.candidates(["facebook"])} == {f"meta{i}" for i in range(8)}


async def test_upgrading_a_0006_database_keeps_the_shortlist(tmp_path: Path) -> None:
    """Schemas 0007-0008 copy each case's version and the row order into the platform index of an existing
    database: the shortlist after the upgrade is the one the old walk gave, ties included."""
    import sqlite3

    from storage.migrations import latest_version, load_migrations

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for migration in load_migrations():
        if migration.version <= 6:
            conn.executescript(f"BEGIN;\n{migration.sql}\nPRAGMA user_version = {migration.version};\nCOMMIT;")
    dates = ["2024-05-01T00:00:00+00:00", "2024-05-02T00:00:00+00:00", "2024-05-01T00:00:00+00:00"]
    for i in range(12):  # written in an order that makes rowid (not case id) decide the ties
        case_id = f"c{(i * 7) % 12:02d}"
        conn.execute(
            "INSERT INTO cases (id, title, status, action, platforms, counterparties, subjects, keywords, "
            "updated_at, article_count) VALUES (?, ?, 'demand', 'subpoena', '[\"Reddit\"]', '[]', '[]', '[]', ?, 1)",
            (case_id, f"Reddit {case_id}", dates[i % 3]),
        )
        conn.execute(
            "INSERT INTO case_platforms (case_id, platform_key, updated_at) VALUES (?, 'reddit', ?)",
            (case_id, dates[i % 3]),
        )
    old_walk = [r[0] for r in conn.execute(
        "SELECT case_id FROM case_platforms WHERE platform_key = 'reddit' ORDER BY updated_at DESC, rowid DESC"
    )]  # fmt: skip
    conn.close()
    async with await SqliteStore.open(path) as store:
        assert (await store.db.fetchone("PRAGMA user_version"))[0] == latest_version() >= 8
        rows = await _platform_versions(store)
        assert len(rows) == 12 and all(mine == theirs for _, mine, theirs in rows)
        orders = await store.db.fetchall("SELECT rowid, seq FROM case_platforms")
        assert all(r[0] == r[1] for r in orders)
        assert [c.id for c in await store.cases.candidates(["reddit"])] == old_walk
        assert [c.id for c in await store.cases.candidates(["reddit"], limit=5)] == old_walk[:5]


class _QueuedOnly:
    """An aiosqlite connection seen without its private ``_execute``: the pipeline's fallback path."""

    def __init__(self, conn: Any) -> None:
        self._real = conn

    async def execute(self, sql: str, params: Any = ()) -> Any:
        return await self._real.execute(sql, params)

    async def execute_fetchall(self, sql: str, params: Any = ()) -> Any:
        return await self._real.execute_fetchall(sql, params)


async def test_the_queued_fallback_gives_the_same_results(store: SqliteStore) -> None:
    conn = store.db.conn
    await conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    statements = [
        Read("SELECT count(*) FROM t"),
        ("INSERT INTO t (k, v) VALUES (1, 'a')", ()),
        ("UPDATE t SET v = 'b' WHERE k >= ?", (0,)),
        Read("SELECT k, v FROM t"),
    ]
    async with store.transaction():
        fast = await pipeline(conn, statements)
        await conn.execute("DELETE FROM t")
        queued = await pipeline(_QueuedOnly(conn), statements)  # type: ignore[arg-type]
    for a, b in zip(fast, queued, strict=True):
        if isinstance(a, Written):
            assert (a.lastrowid, a.rowcount) == (b.lastrowid, b.rowcount)
        else:
            assert [tuple(r) for r in a] == [tuple(r) for r in b]
    assert [tuple(r) for r in fast[3]] == [(1, "b")] and fast[2].rowcount == 1
