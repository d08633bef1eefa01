"""Search ranks the most recently opened RANKED_MATCHES matches (storage/repositories/cases.py): the
same answer as ranking everything when there are fewer matches, and only current cases beyond that,
in /case search and the web view's search alike, on SQLite and PostgreSQL (``any_store``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.models import Action, Case, Stage
from storage.repositories import cases as cases_repo
from storage.store import SqliteStore

T0 = datetime(2024, 5, 1, tzinfo=UTC)


def _case(n: int, title: str) -> Case:
    return Case(
        id=f"c{n:02d}", title=title, status=Stage.FILED, action=Action.LAWSUIT, platforms=("Reddit",),
        counterparties=(), opened_at=T0, updated_at=T0 + timedelta(days=n), summary="",
    )


async def _fill(store: SqliteStore) -> None:
    async with store.transaction():
        # opened in id order; c03 and c07 say "subpoena" twice in the title, so rank first among all
        for n in range(1, 11):
            title = "Reddit subpoena subpoena fight" if n in (3, 7) else f"Reddit subpoena case {n}"
            await store.cases.save(_case(n, title), {"reddit"})


async def test_fewer_matches_than_the_bound_rank_them_all(any_store: SqliteStore) -> None:
    store = any_store
    await _fill(store)
    hits = [c.id for c in await store.cases.search("subpoena", limit=10)]
    assert hits[:2] == ["c07", "c03"]  # best ranked first (equal rank: most recent activity first)
    assert sorted(hits) == [f"c{n:02d}" for n in range(1, 11)]
    page = [c.id for c in await store.cases.browse(query="subpoena", limit=10)]
    assert page == hits


async def test_beyond_the_bound_only_the_newest_matches_are_ranked(
    any_store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = any_store
    await _fill(store)
    monkeypatch.setattr(cases_repo, "RANKED_MATCHES", 4)  # the 4 most recently opened: c07..c10
    hits = [c.id for c in await store.cases.search("subpoena", limit=10)]
    assert hits[0] == "c07" and sorted(hits) == ["c07", "c08", "c09", "c10"]
    assert "c03" not in hits  # well ranked, but older than the newest four matches
    assert [c.id for c in await store.cases.browse(query="subpoena", limit=10)] == hits
    # filters apply before the bound: the newest four matches that pass them
    filtered = [c.id for c in await store.cases.browse(query="subpoena", status="filed", limit=10)]
    assert filtered == hits
    assert await store.cases.browse(query="subpoena", status="settled") == []


async def test_autocomplete_answers_the_same_whichever_way_it_looks(
    any_store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL tests the newest AUTOCOMPLETE_WINDOW cases first and asks its GIN index only when too few
    of them match; the answer is the newest matches either way (SQLite walks its index directly)."""
    from storage.postgres.repositories import cases as pg_repositories

    store = any_store
    await _fill(store)
    monkeypatch.setattr(pg_repositories, "AUTOCOMPLETE_WINDOW", 3)
    assert [c.id for c in await store.cases.autocomplete("subp", limit=2)] == ["c10", "c09"]  # in the window
    assert [c.id for c in await store.cases.autocomplete("subp", limit=5)] == ["c10", "c09", "c08", "c07", "c06"]
    assert [c.id for c in await store.cases.autocomplete("fight", limit=5)] == ["c07", "c03"]  # older than it
    assert await store.cases.autocomplete("zzz", limit=5) == []
