"""Fixtures shared by every test: a real SQLite store in a temp file, and the path to ../shared."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.store import SqliteStore

# any_store (SQLite and PostgreSQL), pg_url, pg_schema_url: the storage conformance fixtures.
pytest_plugins = ["tests.storage_backends"]

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test when it is absent (a clone elsewhere)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not available")
    return path


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    async with await SqliteStore.open(tmp_path / "casewatch.db") as opened:
        yield opened
