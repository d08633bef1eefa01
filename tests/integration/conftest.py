"""Fixtures shared by the integration tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.test_cli import FEED, run


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    """A database made by `casewatch ingest` of one small feed, and the id of its one case."""
    feed = tmp_path / "one.xml"
    feed.write_bytes(FEED)
    path = str(tmp_path / "cli.db")
    assert run(capsys, "ingest", str(feed), "--db", path, "--quiet")[0] == 0
    [case] = json.loads(run(capsys, "cases", "--json", "--db", path)[1])
    return path, case["id"]
