"""The PostgreSQL store's own parts: versioned migrations, one-line errors, read-only sessions, the
CASEWATCH_DATABASE_URL switch, and the two backends answering alike (search, a whole pipeline run).

Needs a PostgreSQL server (tests/storage_backends.py: CASEWATCH_TEST_PG_URL or a local one started for
the session); skipped with the reason without one, failing under CASEWATCH_PG_TESTS=required.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import ConfigError, Settings, load_settings
from bot.feeds.normalize import content_hash
from bot.models import (
    Action,
    Case,
    DeliveryIntent,
    DeliveryKind,
    Entry,
    ParsedFeed,
    Stage,
    TargetKind,
)
from bot.pipeline import Pipeline, PipelineOptions
from storage import migrate_database, open_store
from storage.errors import DatabaseUnusable, SchemaTooNew
from storage.migrations import latest_version as sqlite_latest
from storage.postgres.database import latest_version, migrate_url
from storage.postgres.search import tokens, tsquery_literal, tsvector_literal
from storage.postgres.store import PostgresStore
from storage.store import SqliteStore
from tests.storage_backends import fresh_schema, rows

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)


@pytest.fixture
async def pg(pg_schema_url: str) -> AsyncIterator[PostgresStore]:
    async with await PostgresStore.open(pg_schema_url) as store:
        yield store


async def _raw(url: str, sql: str, *args: Any) -> Any:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- migrations -----------------------------------------------------------------------------------------


async def test_migrates_an_empty_database_and_records_the_version(pg_schema_url: str) -> None:
    assert await _raw(pg_schema_url, "SELECT to_regclass('feeds')") == [(None,)]
    async with await PostgresStore.open(pg_schema_url) as store:
        versions = await rows(store, "SELECT version, name FROM schema_version ORDER BY version")
        assert [v for v, _ in versions] == list(range(1, latest_version() + 1))
        assert versions[0][1] == "0001_initial.sql"
        tables = {
            r[0]
            for r in await rows(store, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        }
        assert {
            "feeds", "feed_owners", "articles", "detections", "cases", "case_platforms", "case_events",
            "case_merges", "case_cards", "guild_settings", "subscriptions", "deliveries", "meta", "schema_version",
        } <= tables  # fmt: skip
        assert len(await store.outbox.instance_id()) == 6
        assert await store.db.integrity_problems() == []


async def test_running_migrate_again_changes_nothing(pg_schema_url: str) -> None:
    assert await migrate_url(pg_schema_url) == (0, latest_version())
    async with await PostgresStore.open(pg_schema_url) as store:
        await store.feeds.add("https://example.org/feed")
        instance = await store.outbox.instance_id()
    assert await migrate_url(pg_schema_url) == (latest_version(), latest_version())
    async with await PostgresStore.open(pg_schema_url) as store:  # opening does not migrate twice either
        assert [f.url for f in await store.feeds.list()] == ["https://example.org/feed"]
        assert await store.outbox.instance_id() == instance
    applied = await _raw(pg_schema_url, "SELECT COUNT(*) FROM schema_version")
    assert applied[0][0] == latest_version()


async def test_processes_starting_together_migrate_once(pg_schema_url: str) -> None:
    opened = await asyncio.gather(*(PostgresStore.open(pg_schema_url) for _ in range(4)))
    for store in opened:
        await store.close()
    applied = await _raw(pg_schema_url, "SELECT version FROM schema_version ORDER BY version")
    assert [r[0] for r in applied] == list(range(1, latest_version() + 1))


async def test_refuses_a_database_from_a_newer_version(pg_schema_url: str) -> None:
    await migrate_url(pg_schema_url)
    newer = latest_version() + 1
    await _raw(pg_schema_url, "INSERT INTO schema_version (version, name) VALUES ($1, 'future')", newer)
    message = (
        f"database schema version {newer} is newer than this casewatch understands ({latest_version()}); "
        "upgrade casewatch or point it at another database"
    )
    for read_only in (False, True):
        with pytest.raises(SchemaTooNew) as raised:
            await PostgresStore.open(pg_schema_url, read_only=read_only)
        assert str(raised.value) == message
    with pytest.raises(SchemaTooNew, match="newer than this casewatch understands"):
        await migrate_url(pg_schema_url)


def test_the_sqlite_and_postgresql_refusals_read_the_same(tmp_path: Path) -> None:
    import sqlite3

    from storage.migrations import latest_version as sqlite_latest

    path = tmp_path / "future.db"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {sqlite_latest() + 1}")
    result = _cli(["--db", str(path), "cases"], {})
    assert result.returncode == 2
    assert result.stderr.strip().endswith("upgrade casewatch or point it at another database")


async def test_migration_files_are_numbered_and_packaged() -> None:
    schema = REPO / "storage" / "postgres" / "schema"
    names = sorted(p.name for p in schema.glob("*.sql"))
    assert names and names[0] == "0001_initial.sql"
    assert (
        [int(n[:4]) for n in names] == list(range(1, len(names) + 1)) == list(range(1, latest_version() + 1))
    )
    pyproject = (REPO / "pyproject.toml").read_text()
    assert '"postgres/schema/*.sql"' in pyproject


# --- read-only sessions ------------------------------------------------------------------------------------


async def test_read_only_needs_a_casewatch_database_and_never_writes(pg_schema_url: str) -> None:
    with pytest.raises(DatabaseUnusable, match=r"no casewatch database at .*run `casewatch migrate` first"):
        await PostgresStore.open(pg_schema_url, read_only=True)
    assert await _raw(pg_schema_url, "SELECT to_regclass('feeds')") == [(None,)]  # nothing was created
    async with await PostgresStore.open(pg_schema_url) as writer:
        await writer.feeds.add("https://example.org/feed")
    import asyncpg

    async with await PostgresStore.open(pg_schema_url, read_only=True) as reader:
        assert [f.url for f in await reader.feeds.list()] == ["https://example.org/feed"]
        with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
            await reader.feeds.add("https://example.org/other")
        with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
            await reader.outbox.mark_sent(1, 2)
    async with await PostgresStore.open(pg_schema_url) as writer:
        assert len(await writer.feeds.list()) == 1


# --- one setting switches storage ---------------------------------------------------------------------------


async def test_the_database_url_selects_postgresql_and_unset_keeps_sqlite(
    pg_schema_url: str, tmp_path: Path
) -> None:
    settings = Settings(db_path=tmp_path / "file.db")
    async with await open_store(settings) as store:
        assert isinstance(store, SqliteStore)
    async with await open_store(replace(settings, database_url=pg_schema_url)) as store:
        assert isinstance(store, PostgresStore)
        await store.feeds.add("https://example.org/feed")
    async with await open_store(replace(settings, database_url=pg_schema_url), read_only=True) as store:
        assert isinstance(store, PostgresStore) and store.db.read_only
    assert await migrate_database(replace(settings, database_url=pg_schema_url)) == (
        latest_version(),
        latest_version(),
    )
    assert await migrate_database(Settings(db_path=tmp_path / "new.db")) == (0, sqlite_latest())


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("mysql://u@h/db", "got mysql://"),
        ("postgresql://h:99999/db", "Port out of range"),
        ("postgresql://db.example.org/", "it names no database"),
        ("postgresql:///casewatch", "it names no host"),
        ("postgresql://u@h /db", "must be a PostgreSQL URL"),
        ("casewatch.db", "got no scheme"),
    ],
)
def test_a_bad_url_is_one_config_line(value: str, problem: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({"CASEWATCH_DATABASE_URL": value}, env_file=None)
    message = str(raised.value)
    assert (
        "\n" not in message
        and message.startswith("invalid setting CASEWATCH_DATABASE_URL=")
        and problem in message
    )


def test_the_password_is_never_shown() -> None:
    url = "postgresql://casewatch:s3cret-pw@127.0.0.1:1/casewatch"
    settings = load_settings({"CASEWATCH_DATABASE_URL": url}, env_file=None)
    assert settings.database_url == url
    assert "s3cret-pw" not in repr(settings) and "s3cret-pw" not in settings.database
    with pytest.raises(ConfigError) as raised:
        load_settings({"CASEWATCH_DATABASE_URL": "postgresql://u:s3cret-pw@h:99999/db"}, env_file=None)
    assert "s3cret-pw" not in str(raised.value)


def _cli(args: list[str], env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("CASEWATCH_")} | env
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=full,
        cwd=cwd or REPO,
        timeout=120,
        check=False,
    )


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.mark.parametrize("command", [["migrate"], ["cases"], ["feeds", "add", "https://example.org/feed"]])
def test_a_refused_connection_is_one_line_and_exit_2(command: list[str], tmp_path: Path) -> None:
    url = f"postgresql://casewatch:s3cret-pw@127.0.0.1:{_free_port()}/casewatch"
    result = _cli(command, {"CASEWATCH_DATABASE_URL": url}, cwd=tmp_path)
    line = _one_line(result)
    assert result.returncode == 2  # what the CLI answers for an SQLite file it cannot use
    assert "connection refused" in line and "127.0.0.1" in line and "s3cret-pw" not in line, line
    assert not list(tmp_path.iterdir())  # no SQLite file was created instead


def test_an_unusable_sqlite_file_has_the_same_exit_status(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-db.db"
    bad.write_bytes(b"this is not an SQLite database, just some bytes" * 100)
    result = _cli(["--db", str(bad), "cases"], {})
    assert result.returncode == 2 and "not a casewatch database" in _one_line(result)


def test_a_refused_login_and_a_missing_database_are_one_line(pg_url: str) -> None:
    from urllib.parse import urlsplit

    parts = urlsplit(pg_url)
    host = f"{parts.hostname}:{parts.port or 5432}"
    login = _cli(["cases"], {"CASEWATCH_DATABASE_URL": f"postgresql://no_such_role_cw@{host}/casewatch_test"})
    assert login.returncode == 2
    assert "refused the login" in _one_line(login) and "no_such_role_cw" in _one_line(login)
    missing = _cli(["migrate"], {"CASEWATCH_DATABASE_URL": f"{parts.scheme}://{parts.netloc}/no_such_db_cw"})
    assert missing.returncode == 2
    assert "has no such database" in _one_line(missing)


def test_db_option_and_database_url_together_are_refused(tmp_path: Path) -> None:
    result = _cli(
        ["--db", str(tmp_path / "x.db"), "cases"], {"CASEWATCH_DATABASE_URL": "postgresql://u@h/db"}
    )
    assert result.returncode == 2 and "CASEWATCH_DATABASE_URL selects PostgreSQL" in _one_line(result)


def test_migrate_command_prints_the_version_and_is_idempotent(pg_schema_url: str, tmp_path: Path) -> None:
    env = {"CASEWATCH_DATABASE_URL": pg_schema_url, "CASEWATCH_LOG_LEVEL": "WARNING"}
    first = _cli(["migrate"], env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().endswith(f"schema version {latest_version()} (created)")
    again = _cli(["migrate"], env, cwd=tmp_path)
    assert again.returncode == 0 and again.stdout.strip().endswith("(up to date, nothing to do)")
    listed = _cli(["feeds", "list", "--json"], env, cwd=tmp_path)
    assert listed.returncode == 0 and listed.stdout.strip() == "[]"
    sqlite = _cli(["--db", str(tmp_path / "c.db"), "migrate"], {"CASEWATCH_LOG_LEVEL": "WARNING"})
    assert sqlite.returncode == 0 and sqlite.stdout.strip().endswith(
        f"schema version {sqlite_latest()} (created)"
    )
    assert not (tmp_path / "casewatch.db").exists()


# --- the two backends answer alike --------------------------------------------------------------------------


def test_tokens_follow_fts5_unicode61() -> None:
    assert tokens("Müller sues T-Mobile über x.com; naïve café ½") == [
        "muller", "sues", "t", "mobile", "uber", "x", "com", "naive", "cafe", "½",
    ]  # fmt: skip
    assert tsquery_literal('"); DROP TABLE cases; --') == "'drop' & 'table' & 'cases'"
    assert tsquery_literal('"*') is None and tsquery_literal("--") is None
    assert tsquery_literal("t-mobile divest", prefix_last=True) == "('t' <-> 'mobile') & 'divest':*"
    assert tsvector_literal(["it's", "o'neil"]) == "'it':1A 's':2A 'o':4B 'neil':5B"


def _case(case_id: str, title: str, *, days: int, platforms: tuple[str, ...], counterparties: tuple[str, ...] = (),
          subjects: tuple[str, ...] = (), summary: str = "", action: Action = Action.LAWSUIT) -> Case:  # fmt: skip
    when = NOW - timedelta(days=days)
    return Case(
        id=case_id, title=title, status=Stage.FILED, action=action, platforms=platforms,
        counterparties=counterparties, subjects=subjects, opened_at=when, updated_at=when, summary=summary,
        article_count=1,
    )  # fmt: skip


SEARCH_CASES = [
    _case("c01", "Reddit v. Studios: subpoena for user identities", days=30, platforms=("Reddit",),
          counterparties=("Film studios",), subjects=("piracy",), summary="Reddit fights a subpoena.",
          action=Action.SUBPOENA),
    _case("c02", "TikTok v. United States: divestiture law", days=20, platforms=("TikTok",),
          counterparties=("United States",), summary="TikTok sues over the divest-or-ban law."),
    _case("c03", "T-Mobile data breach class action", days=15, platforms=("T-Mobile",),
          counterparties=("Customers",), subjects=("data breach",), summary="Customers sue T-Mobile."),
    _case("c04", "Müller v. Meta: Datenschutz vor Gericht", days=12, platforms=("Meta",),
          counterparties=("Max Müller",), subjects=("privacy", "GDPR"), summary="Ein Gericht in München prüft."),
    _case("c05", "X Corp. sues Media Matters", days=10, platforms=("X",), counterparties=("Media Matters",),
          summary="X (formerly Twitter) filed suit over a report on x.com ads."),
    _case("c06", "Apple faces App Store antitrust ruling", days=8, platforms=("Apple",),
          counterparties=("Epic Games",), subjects=("antitrust",), summary="The judge ruled on anti-steering."),
    _case("c07", "Subpoena to Twitter for @ALT_uscis account withdrawn", days=6, platforms=("Twitter",),
          counterparties=("DHS",), subjects=("anonymity",), summary="Summons withdrawn after Twitter sued.",
          action=Action.SUBPOENA),
    _case("c08", "Google search monopoly remedies", days=4, platforms=("Google",),
          counterparties=("Department of Justice",), subjects=("antitrust", "search"),
          summary="Remedies trial over Google's search deals; Apple testifies."),
    _case("c09", "Telegram founder charged in France", days=3, platforms=("Telegram",),
          counterparties=("French prosecutors",), summary="Pavel Durov faces charges; Telegram responds."),
    _case("c10", "Reddit sued over child safety", days=2, platforms=("Reddit",), counterparties=("Texas parents",),
          subjects=("child safety",), summary="Families sue Reddit in Texas."),
    _case("c11", "Café owner sues Yelp over reviews", days=1, platforms=("Yelp",), counterparties=("Café Rouge",),
          summary="A café says Yelp's filter buried its reviews."),
]  # fmt: skip

SEARCH_QUERIES = [
    "reddit", "Reddit subpoena", "subpoena", "sub", "su", "s", "divest", "divestiture", "t-mobile", "mobile",
    "t mobile", "muller", "Müller", "MÜLLER", "munchen", "gdpr privacy", "x.com", "twitter", "@alt_uscis",
    "alt uscis", "ALT_uscis", "antitrust", "antitrust apple", "apple", "google search", "search", "cafe", "café",
    "yelp reviews", "sues", "sue", "studios piracy", "film", "united states", "department of justice", "durov",
    "telegram france", "xyzzy", "", "   ", '"*', "--", '"); DROP TABLE cases; --', "a b c d e f g h i j k l m n",
    "reddit ", "child safety texas", "remedies", "the", "ruled", "rul",
]  # fmt: skip


@pytest.fixture
async def both(tmp_path: Path, pg_schema_url: str) -> AsyncIterator[tuple[SqliteStore, PostgresStore]]:
    async with (
        await SqliteStore.open(tmp_path / "search.db") as sqlite,
        await PostgresStore.open(pg_schema_url) as pg,
    ):
        for store in (sqlite, pg):
            async with store.transaction():
                for case in SEARCH_CASES:
                    await store.cases.save(case, {p.lower() for p in case.platforms})
        yield sqlite, pg


# Where the two rankings part: SQLite orders matches by bm25 (with each term's rarity), PostgreSQL by
# ts_rank (term frequency, column weights and length, no rarity). Both find the same cases; with this
# corpus only the one-letter prefix, which matches a dozen different words, comes back in another order.
RANKED_DIFFERENTLY = {("s", True)}


async def test_search_and_autocomplete_answer_alike(both: tuple[SqliteStore, PostgresStore]) -> None:
    sqlite, pg = both
    for query in SEARCH_QUERIES:
        for prefix in (True, False):
            want = [c.id for c in await sqlite.cases.search(query, prefix=prefix)]
            got = [c.id for c in await pg.cases.search(query, prefix=prefix)]
            if (query, prefix) in RANKED_DIFFERENTLY:
                assert sorted(got) == sorted(want) and got != want, (query, prefix)
            else:
                assert got == want, (query, prefix)
        want = [c.id for c in await sqlite.cases.autocomplete(query)]
        assert [c.id for c in await pg.cases.autocomplete(query)] == want, query
        for limit in (1, 3):
            want = [c.id for c in await sqlite.cases.autocomplete(query, limit)]
            assert [c.id for c in await pg.cases.autocomplete(query, limit)] == want, (query, limit)
    # Sanity: the corpus exercises what it claims (prefixes, folding, phrases, nothing).
    assert {c.id for c in await pg.cases.search("su")} >= {"c01", "c02", "c03", "c05", "c07", "c10", "c11"}
    assert [c.id for c in await pg.cases.search("munchen")] == ["c04"]
    assert [c.id for c in await pg.cases.search("t-mobile")] == ["c03"]
    assert await pg.cases.search("xyzzy") == [] and await pg.cases.autocomplete('"*') == []


async def test_browse_answers_alike(both: tuple[SqliteStore, PostgresStore]) -> None:
    sqlite, pg = both
    filters: list[dict[str, Any]] = [
        {}, {"query": "reddit"}, {"query": "su"}, {"platform": "reddit"}, {"platform": "reddit", "query": "child"},
        {"action": "subpoena"}, {"status": "filed", "limit": 3, "offset": 2}, {"platform": "apple", "action": "lawsuit"},
        {"query": "antitrust", "action": "lawsuit"}, {"limit": 4, "offset": 8}, {"query": '"*'},
    ]  # fmt: skip
    for kw in filters:
        want = [c.id for c in await sqlite.cases.browse(**kw)]
        assert [c.id for c in await pg.cases.browse(**kw)] == want, kw
    assert await pg.cases.platform_counts() == await sqlite.cases.platform_counts()
    assert [c.id for c in await pg.cases.recent(5, 1)] == [c.id for c in await sqlite.cases.recent(5, 1)]


def _entry(slug: str, title: str, summary: str, day: str) -> Entry:
    url = f"https://news.example.org/{slug}"
    published = datetime.fromisoformat(day).replace(tzinfo=UTC)
    return Entry(slug, url, title, summary, published, content_hash(title, summary, url))


PIPELINE_FEEDS = [
    [
        _entry("withdrawn", "Reddit drops appeal as subpoena is withdrawn over @nightowl_pdx",
               "The subpoena was withdrawn, so Reddit will not have to name the person behind @nightowl_pdx.",
               "2023-06-20"),
        _entry("texas", "Reddit sued by Texas parents over child safety failures",
               "Families in Texas filed a lawsuit accusing Reddit of failing to protect minors on its forums.",
               "2023-02-01"),
        _entry("bakery", "Local bakery wins award for sourdough", "The bakery on Main Street was honoured.",
               "2023-02-02"),
    ],
    [
        _entry("demand", "Oregon consumer board subpoenas Reddit over anonymous critic",
               "The Oregon Consumer Protection Board served Reddit with a subpoena demanding records of an "
               "anonymous user who criticised the board.", "2023-01-09"),
        _entry("tiktok", "TikTok sues the United States over the divest-or-ban law",
               "TikTok filed a lawsuit in federal court challenging the law that forces a sale.", "2024-05-07"),
    ],
    [
        _entry("ruling", "Judge rules Reddit need not obey Oregon board subpoena for @nightowl_pdx",
               "A Portland judge quashed the Oregon Consumer Protection Board subpoena that demanded Reddit "
               "reveal the identity of @nightowl_pdx.", "2023-03-14"),
        _entry("tiktok-2", "Court hears TikTok challenge to divest-or-ban law",
               "A federal appeals court heard TikTok's lawsuit against the United States.", "2024-09-16"),
    ],
]  # fmt: skip


class _NoParser:
    async def parse(self, body: bytes, url: str | None = None) -> ParsedFeed:
        raise AssertionError("entries are handed to ingest_parsed directly")


async def _run_pipeline(store: Any) -> dict[str, Any]:
    await store.guilds.update_settings(1, alert_channel_id=10)
    await store.guilds.follow(guild_id=1, target_kind=TargetKind.CHANNEL, target_id=11, platform_key="reddit")
    pipeline = Pipeline(
        store, _NoParser(), options=PipelineOptions(alert_on_first_poll=True), clock=lambda: NOW
    )
    for i, entries in enumerate(PIPELINE_FEEDS):
        feed, _ = await store.feeds.add(f"https://outlet{i}.example.org/rss")
        result = await pipeline.ingest_parsed(
            feed, ParsedFeed(title=f"Outlet {i}", link=None, entries=tuple(entries))
        )
        assert result.ok
    deliveries = await rows(
        store,
        "SELECT id, kind, dedupe_key, case_id, event_id, article_id, guild_id, target_kind, target_id, state "
        "FROM deliveries ORDER BY id",
    )
    return {
        "cases": await store.cases.dump(),
        "articles": [{k: v for k, v in a.items() if k != "fetched_at"} for a in await store.articles.dump()],
        "events": {c["id"]: await store.cases.event_rows(c["id"]) for c in await store.cases.dump()},
        "deliveries": deliveries,
        "feeds": [
            (f.id, f.url, f.title, f.item_count, f.enabled) for f in await store.feeds.list()
        ],  # due: jittered
        "search": [c.id for c in await store.cases.search("reddit subpoena")],
    }


async def test_a_pipeline_run_stores_the_same_on_both_backends(tmp_path: Path, pg_schema_url: str) -> None:
    """Grouping, merges, events, outbox rows, feed state and search: row for row, id for id."""
    async with await SqliteStore.open(tmp_path / "run.db") as sqlite:
        want = await _run_pipeline(sqlite)
    async with await PostgresStore.open(pg_schema_url) as pg:
        got = await _run_pipeline(pg)
    assert got["cases"] == want["cases"] and len(want["cases"]) >= 2
    for key in ("articles", "events", "deliveries", "feeds", "search"):
        assert got[key] == want[key], key
    assert want["deliveries"] and any(d[1] == "status_update" for d in want["deliveries"])


# --- the outbox: claim and send --------------------------------------------------------------------------


async def test_outbox_never_hands_out_an_uncommitted_row(any_store: Any) -> None:
    """The sender only ever sees committed rows: one enqueued in a transaction that then rolls back is
    never due, before or after (on SQLite ``due`` waits for the transaction, on PostgreSQL it reads the
    committed state); once committed it is due exactly once and, sent, never again."""
    store = any_store
    intent = DeliveryIntent(
        DeliveryKind.NEW_CASE, TargetKind.CHANNEL, 42, "new:42:c1", case_id="c1", guild_id=7
    )
    inside = asyncio.Event()
    release = asyncio.Event()

    class Undo(Exception):
        pass

    async def writer() -> None:
        with pytest.raises(Undo):
            async with store.transaction():
                assert await store.outbox.enqueue([intent]) == 1
                inside.set()
                await release.wait()
                raise Undo

    task = asyncio.create_task(writer())
    await inside.wait()
    reader = asyncio.create_task(store.outbox.due(datetime.now(UTC) + timedelta(seconds=1)))
    await asyncio.sleep(0.05)
    release.set()
    await task
    assert await reader == []
    assert await store.outbox.due(datetime.now(UTC) + timedelta(seconds=1)) == []

    async with store.transaction():
        assert (
            await store.outbox.enqueue([intent, replace(intent, target_id=43, dedupe_key="new:43:c1")]) == 2
        )
    due = await store.outbox.due(datetime.now(UTC) + timedelta(seconds=1), target_kinds=(TargetKind.CHANNEL,))
    assert [d.target_id for d in due] == [42, 43]
    assert await store.outbox.due(datetime.now(UTC), target_kinds=(TargetKind.USER,)) == []
    await store.outbox.mark_sent(due[0].id, 1001)
    await store.outbox.fail(due[1].id, "HTTP 403: Missing Access")
    assert await store.outbox.due(datetime.now(UTC) + timedelta(days=1)) == []
    sent = await store.outbox.get(due[0].id)
    assert sent is not None and sent.state == "sent" and sent.message_id == 1001 and sent.attempts == 1
    assert await store.outbox.counts() == {"sent": 1, "failed": 1}
    assert await store.outbox.fail_pending_to(TargetKind.CHANNEL, 42, "gone") == 0


async def test_two_stores_on_one_database_serialise_their_writes(pg_schema_url: str) -> None:
    """Two processes (here two stores) writing one PostgreSQL database take turns, as SQLite's
    BEGIN IMMEDIATE makes them: a unit of work never interleaves with another's."""
    async with await PostgresStore.open(pg_schema_url) as a, await PostgresStore.open(pg_schema_url) as b:
        order: list[str] = []
        first_in = asyncio.Event()

        async def one(store: PostgresStore, name: str) -> None:
            async with store.transaction():
                order.append(f"{name}:start")
                first_in.set()
                await store.feeds.add(f"https://{name}.example.org/feed")
                await asyncio.sleep(0.1)
                order.append(f"{name}:end")

        ta = asyncio.create_task(one(a, "a"))
        await first_in.wait()
        await one(b, "b")
        await ta
        assert order == ["a:start", "a:end", "b:start", "b:end"]
        assert sorted(f.url for f in await b.feeds.list()) == [
            "https://a.example.org/feed",
            "https://b.example.org/feed",
        ]


async def test_fresh_schemas_are_isolated(pg_url: str) -> None:
    async with (
        fresh_schema(pg_url) as one,
        fresh_schema(pg_url) as two,
        await PostgresStore.open(one) as s1,
        await PostgresStore.open(two) as s2,
    ):
        await s1.feeds.add("https://example.org/one")
        assert await s2.feeds.list() == []
        assert await s1.outbox.instance_id() != await s2.outbox.instance_id()


def test_both_stores_offer_the_same_repository_methods() -> None:
    """Every public method of an SQLite repository exists on its PostgreSQL twin with the same parameters
    and defaults (the core, the cogs, the web view and tools may call any of them)."""
    import inspect

    import storage.postgres.repositories as pg_repos
    from storage.repositories import articles, cards, cases, feeds, forum_posts, guilds, outbox

    pairs = [
        (feeds.FeedRepository, pg_repos.FeedRepository),
        (articles.ArticleRepository, pg_repos.ArticleRepository),
        (cases.CaseRepository, pg_repos.CaseRepository),
        (outbox.OutboxRepository, pg_repos.OutboxRepository),
        (guilds.GuildRepository, pg_repos.GuildRepository),
        (cards.CardRepository, pg_repos.CardRepository),
        (forum_posts.ForumPostRepository, pg_repos.ForumPostRepository),
    ]
    for sqlite_cls, pg_cls in pairs:

        def public(cls: type) -> dict[str, inspect.Signature]:
            return {
                n: inspect.signature(f)
                for n, f in inspect.getmembers(cls, inspect.isfunction)
                if not n.startswith("_")
            }

        mine, theirs = public(pg_cls), public(sqlite_cls)
        assert set(mine) == set(theirs), sqlite_cls.__name__
        for name, signature in theirs.items():
            got = [(p.name, p.kind, p.default) for p in mine[name].parameters.values()]
            assert got == [(p.name, p.kind, p.default) for p in signature.parameters.values()], name

    def members(cls: type) -> set[str]:
        return {n for n in vars(cls) if not n.startswith("_") or n in ("__aenter__", "__aexit__")}

    assert members(PostgresStore) == members(SqliteStore) >= {"open", "transaction", "close", "location"}


_WITHOUT_ASYNCPG = "import sys; sys.modules['asyncpg'] = None; from bot.cli import main; raise SystemExit(main(sys.argv[1:]))"


def _cli_without_asyncpg(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("CASEWATCH_")} | env
    return subprocess.run(
        [sys.executable, "-c", _WITHOUT_ASYNCPG, *args],
        capture_output=True, text=True, env=full, cwd=cwd, timeout=120, check=False,
    )  # fmt: skip


def test_sqlite_users_never_need_asyncpg(tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(REPO), "CASEWATCH_LOG_LEVEL": "WARNING"}
    made = _cli_without_asyncpg(["--db", str(tmp_path / "a.db"), "migrate"], env, tmp_path)
    assert made.returncode == 0 and f"schema version {sqlite_latest()}" in made.stdout, made.stderr
    listed = _cli_without_asyncpg(["--db", str(tmp_path / "a.db"), "cases"], env, tmp_path)
    assert listed.returncode == 0, listed.stderr


def test_postgresql_without_asyncpg_says_how_to_install_it(tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(REPO), "CASEWATCH_DATABASE_URL": "postgresql://casewatch@127.0.0.1:1/casewatch"}
    result = _cli_without_asyncpg(["cases"], env, tmp_path)
    assert result.returncode == 2
    assert "asyncpg is not installed" in _one_line(result) and "casewatch[postgres]" in _one_line(result)


def test_the_cli_gives_the_same_answers_on_both_backends(pg_schema_url: str, tmp_path: Path) -> None:
    """`ingest`, `cases --json`, `articles --json`, `reprocess`, `feeds remove` through the real CLI, once on
    an SQLite file and once with CASEWATCH_DATABASE_URL: the same output."""
    import json

    samples = REPO / "bot" / "data" / "samples"
    backends = {
        "sqlite": (["--db", str(tmp_path / "cli.db")], {"CASEWATCH_LOG_LEVEL": "WARNING"}),
        "postgres": ([], {"CASEWATCH_DATABASE_URL": pg_schema_url, "CASEWATCH_LOG_LEVEL": "WARNING"}),
    }
    out: dict[str, list[Any]] = {}
    for name, (db, env) in backends.items():
        results: list[Any] = []
        # One file per command: `ingest DIR` overlaps its files, so which of two feeds sharing a story
        # stores it first is a race on either backend.
        for path in sorted(samples.glob("*.xml")):
            ingest = _cli([*db, "ingest", str(path), "--quiet", "--json"], env, cwd=tmp_path)
            assert ingest.returncode == 0, ingest.stderr
            results.append([{k: v for k, v in r.items() if k != "url"} for r in json.loads(ingest.stdout)])
        for command in (["cases", "--json"], ["articles", "--json"], ["reprocess"], ["cases", "--json"]):
            done = _cli([*db, *command], env, cwd=tmp_path)
            assert done.returncode == 0, (command, done.stderr)
            if command[-1] == "--json":
                rows_out = json.loads(done.stdout)
                results.append([{k: v for k, v in r.items() if k != "fetched_at"} for r in rows_out])
            else:
                results.append(done.stdout)
        feed_url = (samples / "courtdesk.xml").resolve().as_uri()
        removed = _cli([*db, "feeds", "remove", feed_url], env, cwd=tmp_path)
        assert removed.returncode == 0, removed.stderr
        listed = _cli([*db, "feeds", "list", "--json"], env, cwd=tmp_path)
        results.append(sorted(f["url"] for f in json.loads(listed.stdout)))
        out[name] = results
    assert out["postgres"] == out["sqlite"]
    cases, articles = out["sqlite"][-5], out["sqlite"][-4]
    assert cases and any(r["relevant"] for r in articles)
