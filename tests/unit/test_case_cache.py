"""The decoded-case cache: the fast decoder equals the codec's, and a row is reused only while unchanged."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.case_cache import DecodedCaseCache
from storage.codec import case_from_row, dumps, loads

_COLUMNS = (
    "pk", "id", "title", "status", "action", "platforms", "counterparties", "court", "docket", "subjects",
    "keywords", "opened_at", "updated_at", "summary", "article_count", "issues", "docket_link",
)  # fmt: skip


@pytest.fixture
def conn() -> Iterator[sqlite3.Connection]:
    """A table with the columns of ``cases`` (rows are real ``sqlite3.Row`` objects, as in storage)."""
    connection = sqlite3.connect(":memory:")
    connection.row_factory = sqlite3.Row
    connection.execute(f"CREATE TABLE cases ({', '.join(_COLUMNS)})")
    yield connection
    connection.close()


def _row(conn: sqlite3.Connection, **values: object) -> sqlite3.Row:
    base: dict[str, object] = {
        "pk": 1,
        "id": "c1",
        "title": "Reddit v. Oregon board",
        "status": "filed",
        "action": "subpoena",
        "platforms": '["Reddit"]',
        "counterparties": '["Oregon Consumer Protection Board"]',
        "court": None,
        "docket": None,
        "subjects": "[]",
        "keywords": '["^oregon", "critic"]',
        "opened_at": "2023-01-09T00:00:00+00:00",
        "updated_at": "2023-03-14T00:00:00+00:00",
        "summary": "",
        "article_count": 2,
        "issues": "{\"copyright\": 2}",
        "docket_link": None,
    }
    base.update(values)
    conn.execute("DELETE FROM cases")
    conn.execute(f"INSERT INTO cases VALUES ({', '.join('?' * len(_COLUMNS))})", [base[c] for c in _COLUMNS])
    row = conn.execute("SELECT * FROM cases").fetchone()
    assert row is not None
    return row


def _reference_loads(value: str | None) -> tuple[str, ...]:
    return tuple(json.loads(value)) if value else ()


@pytest.mark.parametrize(
    "json_text",
    ["[]", "", None, '["Meta", "X Corp."]', ' ["padded"] ', '["ünïcödé \\u00e9", "a\\"b"]', '"abc"'],
)
def test_fast_array_decoder_equals_json_loads(conn: sqlite3.Connection, json_text: str | None) -> None:
    assert loads(json_text) == _reference_loads(json_text)
    row = _row(conn, keywords=json_text, subjects=json_text, opened_at=None)
    case = case_from_row(row)
    assert case.keywords == case.subjects == _reference_loads(json_text)


def test_fast_array_decoder_raises_like_json_on_broken_json(conn: sqlite3.Connection) -> None:
    with pytest.raises(ValueError):
        _reference_loads('["Reddit"] trailing')
    with pytest.raises(ValueError):
        case_from_row(_row(conn, platforms='["Reddit"] trailing'))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=12), max_size=8), st.lists(st.text(max_size=30), max_size=20))
def test_fast_array_decoder_round_trips_any_strings(platforms: list[str], keywords: list[str]) -> None:
    connection = sqlite3.connect(":memory:")
    connection.row_factory = sqlite3.Row
    connection.execute(f"CREATE TABLE cases ({', '.join(_COLUMNS)})")
    row = _row(connection, platforms=dumps(platforms), keywords=dumps(keywords))
    case = case_from_row(row)
    assert case.platforms == tuple(platforms) and case.keywords == tuple(keywords)
    assert loads(dumps(keywords)) == _reference_loads(dumps(keywords))
    connection.close()


def test_unchanged_row_is_decoded_once(conn: sqlite3.Connection) -> None:
    cache = DecodedCaseCache()
    first = cache.case(_row(conn))
    again = cache.case(_row(conn))  # a fresh read of the same content
    assert again is first
    assert (cache.hits, cache.misses) == (1, 1)


@pytest.mark.parametrize(
    "change",
    [
        {"summary": "now ruled"},
        {"status": "ruling"},
        {"keywords": '["^oregon", "critic", "judge"]'},
        {"updated_at": "2023-03-15T00:00:00+00:00"},
        {"article_count": 3},
        {"pk": 7},  # deleted and re-created under the same id
    ],
)
def test_any_changed_column_is_decoded_again(conn: sqlite3.Connection, change: dict[str, object]) -> None:
    cache = DecodedCaseCache()
    old = cache.case(_row(conn))
    fresh_row = _row(conn, **change)
    fresh = cache.case(fresh_row)
    assert fresh is not old
    assert fresh == case_from_row(fresh_row)
    assert cache.case(_row(conn, **change)) is fresh


def test_size_is_bounded_least_recently_used_first(conn: sqlite3.Connection) -> None:
    cache = DecodedCaseCache(max_cases=2)
    a = cache.case(_row(conn, id="a"))
    cache.case(_row(conn, id="b"))
    assert cache.case(_row(conn, id="a")) is a  # "a" is now the most recent
    cache.case(_row(conn, id="c"))  # evicts "b"
    assert len(cache) == 2
    assert cache.case(_row(conn, id="a")) is a
    misses = cache.misses
    cache.case(_row(conn, id="b"))
    assert cache.misses == misses + 1


def test_forget(conn: sqlite3.Connection) -> None:
    cache = DecodedCaseCache()
    cache.case(_row(conn, id="a"))
    cache.case(_row(conn, id="b"))
    cache.forget(["a"])
    assert len(cache) == 1
    cache.forget()
    assert len(cache) == 0
    with pytest.raises(ValueError):
        DecodedCaseCache(max_cases=0)
