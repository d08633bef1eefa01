"""The command line: every command's happy path and its one-line errors, on a real database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>CLI test feed</title>
<item><guid>a1</guid><title>Reddit fights subpoena for the identities of anonymous users</title>
<link>https://cli.example.org/a1</link><pubDate>Mon, 01 May 2023 10:00:00 GMT</pubDate>
<description>Reddit asked a federal judge to quash a subpoena from record labels seeking user names.</description></item>
<item><guid>a2</guid><title>Gardening tips for spring</title><link>https://cli.example.org/a2</link>
<description>Plant early.</description></item>
<item><guid>a3</guid><title>Undated: judge quashes the subpoena to Reddit over anonymous users</title>
<link>https://cli.example.org/a3</link>
<description>A federal judge quashed the record labels' subpoena, so Reddit does not have to reveal the users.</description></item>
</channel></rss>"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_feeds_add_list_remove_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "cli.db")
    code, out, _ = run(capsys, "feeds", "add", "https://Example.org/feed?utm_source=x", "--db", db)
    assert code == 0 and "added: https://example.org/feed" in out
    code, out, _ = run(capsys, "feeds", "add", "https://example.org/feed", "--db", db)
    assert code == 0 and "already present" in out
    code, out, _ = run(capsys, "feeds", "list", "--json", "--db", db)
    assert [f["url"] for f in json.loads(out)] == ["https://example.org/feed"]
    code, _, err = run(capsys, "feeds", "add", "ftp://example.org/feed", "--db", db)
    assert code == 2 and err.startswith("casewatch: not an http(s) URL") and err.count("\n") == 1
    code, _, err = run(capsys, "feeds", "remove", "https://nope.example.org/", "--db", db)
    assert code == 2 and "no such feed" in err
    code, out, _ = run(capsys, "feeds", "remove", "https://example.org/feed", "--db", db)
    assert code == 0 and "removed" in out


def test_ingest_dump_reprocess(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "one.xml").write_bytes(FEED)
    (feeds / "broken.xml").write_bytes(b"this is not a feed")
    db = str(tmp_path / "cli.db")
    code, out, _ = run(capsys, "ingest", str(feeds), "--db", db, "--quiet")
    assert code == 4  # one source failed: a distinct status, the rest polled
    assert "feeds: 1 ok, 1 failed" in out and "items: 3 new" in out and "broken.xml" in out
    code, out, _ = run(capsys, "articles", "--json", "--db", db)
    articles = {a["url"]: a for a in json.loads(out)}
    assert set(articles) == {f"https://cli.example.org/a{i}" for i in (1, 2, 3)}
    first = articles["https://cli.example.org/a1"]
    assert first["relevant"] and first["platforms"] == ["Reddit"] and first["action"] == "subpoena"
    assert first["reasons"] and first["case_id"]
    assert articles["https://cli.example.org/a2"]["relevant"] is False
    assert articles["https://cli.example.org/a3"]["published"] is None
    code, out, _ = run(capsys, "cases", "--json", "--db", db)
    (case,) = json.loads(out)
    assert case["id"] == first["case_id"] and len(case["article_urls"]) == 2
    assert {
        "id",
        "title",
        "status",
        "platforms",
        "counterparties",
        "action",
        "article_urls",
        "events",
        "summary",
        "issues",
        "docket_url",
    } <= set(case)
    assert case["docket_url"] is None and isinstance(case["issues"], list)

    code, out, _ = run(capsys, "reprocess", "--db", db)
    assert code == 0 and "reprocessed 3 articles: 2 relevant in 1 cases" in out
    code, out, _ = run(capsys, "cases", "--json", "--db", db)
    assert [c["id"] for c in json.loads(out)] == [case["id"]]  # stable ids across reprocessing

    code, out, _ = run(capsys, "ingest", str(feeds), "--db", db, "--quiet")
    assert "items: 0 new" in out  # unchanged bodies are not parsed again


def test_feeds_test_is_a_dry_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    feed = tmp_path / "one.xml"
    feed.write_bytes(FEED)
    code, out, _ = run(capsys, "feeds", "test", str(feed))
    assert code == 0
    assert "[ALERT]" in out and "2 of 3 items would be alerted (nothing stored)" in out
    assert not list(tmp_path.glob("*.db"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "/nonexistent/dir"], "no such file or directory"),
        (["ingest", "ftp://example.org/x"], "only http and https"),
        (["articles", "--db", "/nonexistent/x.db"], "no database"),
        (["sync"], "needs DISCORD_TOKEN"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    code, _, err = run(capsys, *args)
    assert code == 2 and message in err and err.count("\n") == 1


def test_bad_setting_exits_2(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEWATCH_POLL_INTERVAL", "often")
    code, _, err = run(capsys, "cases", "--db", "x.db")
    assert code == 2 and "CASEWATCH_POLL_INTERVAL='often'" in err


def test_demo_shows_the_pipeline_offline(tmp_path: Path) -> None:
    """The README's first command, end to end in a subprocess (console script entry point)."""
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "--log-level", "WARNING", "run", "--demo"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.count("[NEW CASE]") == 3
    assert "[STATUS]" in out and ("-> dropped" in out or "-> withdrawn" in out)
    assert "not_modified" in out  # the unchanged feed answered 304 on the second poll
    assert "basketball" not in out.lower() and "rainforest" not in out.lower()
