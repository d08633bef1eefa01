"""The command line does what its help and the README say (issue 15), called in-process on real files."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from bot.cli import EXIT_SOURCES_FAILED, Progress, build_parser, configure_logging, main, shorten
from bot.commands import failure_news, group_failures
from bot.models import FeedPollResult
from tests.integration.test_cli import FEED


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def help_of(*command: str) -> None:
    """Print ``casewatch COMMAND --help`` (read it with capsys)."""
    with pytest.raises(SystemExit):
        build_parser().parse_args([*command, "--help"])


def test_cases_help_does_not_offer_relevant(capsys: pytest.CaptureFixture[str]) -> None:
    help_of("cases")
    cases_help = capsys.readouterr().out
    assert "--relevant" not in cases_help and "--json" in cases_help
    help_of("articles")
    assert "--relevant" in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(["cases", "--relevant"])
    assert info.value.code == 2


def test_help_documents_the_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    help_of("ingest")
    assert "exit status" in capsys.readouterr().out
    help_of("run")
    assert "even with DISCORD_TOKEN" in capsys.readouterr().out


def test_feeds_test_directory_tests_every_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "a.xml").write_bytes(FEED)
    (feeds / "b.xml").write_bytes(FEED.replace(b"CLI test feed", b"Second feed"))
    (feeds / "c.xml").write_bytes(b"not a feed at all")
    code, out, _ = run(capsys, "feeds", "test", str(feeds))
    assert code == 0
    assert "feed: CLI test feed" in out and "feed: Second feed" in out
    assert "== " + str(feeds / "c.xml") in out and "not tested: not a usable feed" in out
    assert "3 files: 2 parsed, 1 failed; 4 of 6 items would be alerted (nothing stored)" in out
    assert not list(tmp_path.rglob("*.db"))


def test_ingest_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """0 when at least one source was ingested (failures listed), 3 when none could be."""
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.xml").write_bytes(b"nope")
    (bad / "y.xml").write_bytes(b"<rss><channel><item>")
    db = str(tmp_path / "i.db")
    code, out, _ = run(capsys, "--log-level", "ERROR", "ingest", str(bad), "--db", db, "--quiet")
    assert code == EXIT_SOURCES_FAILED == 3
    assert "feeds: 0 ok, 2 failed" in out and "x.xml" in out and "y.xml" in out
    (bad / "good.xml").write_bytes(FEED)
    code, out, _ = run(capsys, "--log-level", "ERROR", "ingest", str(bad), "--db", db, "--quiet")
    assert code == 4 and "feeds: 1 ok, 2 failed" in out  # some failed: a distinct status


def test_poll_interval_setting_is_each_new_feeds_starting_interval(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "p.db")
    monkeypatch.setenv("CASEWATCH_POLL_INTERVAL", "1800")
    assert run(capsys, "feeds", "add", "https://example.org/one", "--db", db)[0] == 0
    (tmp_path / "list.txt").write_text("https://example.org/two\n")
    assert run(capsys, "feeds", "import", str(tmp_path / "list.txt"), "--db", db)[0] == 0
    _, out, _ = run(capsys, "feeds", "list", "--json", "--db", db)
    assert {f["url"]: f["interval_s"] for f in json.loads(out)} == {
        "https://example.org/one": 1800,
        "https://example.org/two": 1800,
    }


def test_cases_human_output_has_a_header_dates_and_plurals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "one.xml").write_bytes(FEED)
    db = str(tmp_path / "h.db")
    assert run(capsys, "--log-level", "ERROR", "ingest", str(tmp_path / "one.xml"), "--db", db, "--quiet")[0] == 0
    code, out, err = run(capsys, "cases", "--db", db)
    assert code == 0
    header, row = out.splitlines()
    assert header.split()[:5] == ["ID", "STATUS", "ARTICLES", "OPENED", "UPDATED"]
    assert " 2 " in row and "20" in row  # two articles, a date
    assert err.strip() == "1 case"
    _, out, err = run(capsys, "articles", "--relevant", "--db", db)
    assert out.startswith("CASE ")
    assert err.strip() == "2 relevant articles"


def test_shorten_keeps_both_ends_with_an_ellipsis() -> None:
    url = "file:///home/someone/projects/feeds/" + "x" * 80 + "/the-feed-name.xml"
    short = shorten(url, 60)
    assert len(short) == 60 and short.startswith("file://") and short.endswith("the-feed-name.xml") and "…" in short
    assert shorten("https://a.example/", 60) == "https://a.example/"


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def result(i: int, ok: bool = True, error: str | None = None, url: str | None = None) -> FeedPollResult:
    return FeedPollResult(i, url or f"https://h{i}.example.org/feed", ok, "new" if ok else "error", error=error)


def test_progress_redraws_one_line_on_a_terminal_and_prints_plain_lines_otherwise() -> None:
    tty = FakeTty()
    progress = Progress(40, tty)
    for i in range(40):
        progress.step(result(i))
    progress.close()
    text = tty.getvalue()
    assert "\n" not in text and "[40/40]" in text and text.endswith("\r\x1b[2K")
    plain = io.StringIO()
    progress = Progress(100, plain)
    for i in range(100):
        progress.step(result(i))
    lines = plain.getvalue().splitlines()
    assert len(lines) == 20 and lines[-1].startswith("  [100/100]") and "\r" not in plain.getvalue()
    small = io.StringIO()
    progress = Progress(10, small)
    for i in range(10):
        progress.step(result(i))
    assert small.getvalue() == ""  # a short batch on a pipe: the summary says it all


def test_failures_are_grouped_by_reason_and_reported_once() -> None:
    results = [
        result(i, ok=False, error=f"connection failed: Cannot connect to host h{i}.example.org:443")
        for i in range(5)
    ] + [result(9, ok=False, error="HTTP 404")]
    lines = group_failures(results)
    assert lines[0].startswith("  5 feeds failed: connection failed: Cannot connect to host <host>:443 (e.g. ")
    assert lines[0].endswith(", 3 more)")
    assert lines[1] == "  failed: https://h9.example.org/feed: HTTP 404"
    reported: dict[int, str] = {}
    assert failure_news(results, reported)[0].startswith("casewatch: 6 feeds failing")
    assert failure_news(results, reported) == []  # the same failures again: nothing new to say
    back = [result(9)]
    assert failure_news(back, reported) == ["casewatch: 1 feeds working again: https://h9.example.org/feed"]


def test_library_loggers_stay_at_warning_unless_debug() -> None:
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    try:
        configure_logging("INFO")
        assert logging.getLogger("apscheduler").getEffectiveLevel() == logging.WARNING
        assert logging.getLogger("discord").getEffectiveLevel() == logging.WARNING
        assert logging.getLogger("casewatch").getEffectiveLevel() == logging.INFO
        configure_logging("ERROR")
        assert logging.getLogger("apscheduler").getEffectiveLevel() == logging.ERROR
    finally:
        for name in ("apscheduler", "discord", "aiosqlite", "asyncio", "aiohttp", "urllib3", "feedparser"):
            logging.getLogger(name).setLevel(logging.NOTSET)
        root.setLevel(saved[0])


# --- feeds add with a site's page URL (issue 15 item 6) ---------------------------------------------


def _page(*links: str) -> bytes:
    heads = "".join(f'<link rel="alternate" type="application/rss+xml" title="Feed {i}" href="{href}">'
                    for i, href in enumerate(links, 1))
    return (f"<!doctype html><html><head><title>A site</title>{heads}"
            '<link rel="stylesheet" href="/s.css"></head><body><p>Welcome</p></body></html>').encode()


async def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``main`` in a thread: it runs its own event loop while this one serves the pages."""
    import asyncio

    capsys.readouterr()
    code = await asyncio.to_thread(main, list(args))
    out, err = capsys.readouterr()
    return code, out, err


async def test_feeds_add_of_a_page_adds_the_feed_it_links_to(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.feedserver import FeedServer

    db = str(tmp_path / "d.db")
    async with FeedServer() as server:
        server.route("/", body=_page("news/feed.xml"), content_type="text/html; charset=utf-8")
        server.route("/news/feed.xml", body=FEED)
        code, out, err = await _cli(capsys, "feeds", "add", server.url("/"), "--db", db)
        assert code == 0, err
        assert f"found 1 feed on the page {server.url('/')}" in out
        assert f"added: {server.url('/news/feed.xml')} (id 1)" in out
        code, out, _ = await _cli(capsys, "feeds", "list", "--json", "--db", db)
        assert [f["url"] for f in json.loads(out)] == [server.url("/news/feed.xml")]  # the feed, not the page
        # a feed URL is added as it is, after one fetch and no probing
        before = len(server.requests)
        code, out, _ = await _cli(capsys, "feeds", "add", server.url("/news/feed.xml"), "--db", db)
        assert code == 0 and "already present" in out and "found" not in out
        assert len(server.requests) == before + 1


async def test_feeds_add_of_a_page_with_several_feeds_needs_pick(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.feedserver import FeedServer

    db = tmp_path / "d.db"
    async with FeedServer() as server:
        server.route("/", body=_page("/a.xml", "/b.xml", "/a.xml"), content_type="text/html")
        code, out, err = await _cli(capsys, "feeds", "add", server.url("/"), "--db", str(db))
        assert code == 2 and err.count("\n") == 1 and "--pick N (1-2)" in err
        assert f'  1. {server.url("/a.xml")} (RSS: "Feed 1")' in out and f"  2. {server.url('/b.xml')}" in out
        assert not db.exists()  # nothing chosen, nothing written
        code, _, err = await _cli(capsys, "feeds", "add", server.url("/"), "--pick", "3", "--db", str(db))
        assert code == 2 and "offers only 2 feeds" in err
        code, out, err = await _cli(capsys, "feeds", "add", server.url("/"), "--pick", "2", "--db", str(db))
        assert code == 0 and f"added: {server.url('/b.xml')}" in out, err


async def test_feeds_add_of_a_page_without_feeds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.feedserver import FeedServer

    db = tmp_path / "d.db"
    async with FeedServer() as server:
        server.route("/", body=_page(), content_type="text/html")
        code, out, err = await _cli(capsys, "feeds", "add", server.url("/"), "--db", str(db))
        assert code == 2 and out == "" and err.count("\n") == 1
        assert err.startswith("casewatch: ") and "links to no RSS or Atom feed" in err and "/rss" in err
        assert not db.exists()
        probed = {r.path for r in server.requests}
        assert {"/feed", "/rss", "/feed.xml", "/atom.xml", "/rss.xml", "/index.xml"} <= probed
        server.route("/rss.xml", body=FEED)  # now the usual path answers
        code, out, err = await _cli(capsys, "feeds", "add", server.url("/"), "--db", str(db))
        assert code == 0 and "at the usual paths of" in out and f"added: {server.url('/rss.xml')}" in out, err


def test_feeds_add_of_an_unreachable_url_adds_it_as_given(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/feed.xml"
    code, out, err = run(capsys, "feeds", "add", url, "--db", str(tmp_path / "d.db"))
    assert code == 0 and err == "" and f"added: {url}" in out
    assert "could not fetch it to check it is a feed" in out and "added as given" in out
