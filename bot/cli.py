"""The ``casewatch`` command line: run, ingest, feeds, articles, cases, reprocess, web, sync.

Exit status: 0 success; 1 a command could not do its job (Discord unreachable, ...); 2 bad input (an
argument, a setting, a database that cannot be used); 3 ``ingest`` / ``run --once``: no source could be
polled; 130 interrupted; 141 output closed early (``| head``). Every failure is one line on stderr: all
of them go through :func:`handle_error`, the one place that maps errors to words. Logging is configured
once, here, at startup.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import json
import logging
import os
import sqlite3
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from bot.config import ConfigError, Settings, db_path, load_settings, parse_log_level
from bot.feeds.normalize import canonical_url
from bot.models import FeedPollResult

log = logging.getLogger("casewatch")

FEED_SUFFIXES = {".xml", ".rss", ".atom", ".rdf", ".feed", ".json", ".txt", ""}

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_SOURCES_FAILED, EXIT_SOME_FAILED = 0, 1, 2, 3, 4
EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 130, 141  # 128 + SIGINT, 128 + SIGPIPE (what a shell shows)

# Loggers of libraries that chatter at INFO ("Running job ...", "logging in using static token"): kept at
# WARNING unless --log-level DEBUG asks for everything.
QUIET_LIBRARIES = ("apscheduler", "discord", "aiosqlite", "asyncpg", "asyncio", "aiohttp", "urllib3", "feedparser")


class CommandFailed(Exception):
    """A command could not do its job: printed as one line, exit status ``code`` (default 1)."""

    code = EXIT_FAILED

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class UsageError(CommandFailed):
    """Bad input from the command line: printed as one line, exit status 2."""

    code = EXIT_USAGE


INGEST_EPILOG = (
    "exit status: 0 when every source was polled, 4 when some failed (they are listed), "
    "3 when no source could be polled, 2 on bad input"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="casewatch",
        description="Follow legal fights over online platforms in the news.",
        epilog="exit status: 0 ok, 1 failed, 2 bad input, 3 no source could be polled, 4 some sources failed "
        "(ingest, run --once). Court dockets: with COURTLISTENER_TOKEN set, the bot (`run` with "
        "DISCORD_TOKEN) looks cases up on CourtListener and links the docket; without it that feature is off.",
    )
    parser.add_argument("--db", help="database file (default: $CASEWATCH_DB or ./casewatch.db)")
    parser.add_argument(
        "--log-level", help="DEBUG, INFO, WARNING, ERROR, CRITICAL (default: $CASEWATCH_LOG_LEVEL or INFO)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def db_opt(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db", default=argparse.SUPPRESS, help="database file")

    run = sub.add_parser("run", help="run the bot (console mode without DISCORD_TOKEN)")
    db_opt(run)
    run.add_argument(
        "--once", action="store_true", help="console mode (even with DISCORD_TOKEN): poll once, print, exit"
    )
    run.add_argument(
        "--demo",
        action="store_true",
        help="console demo over bundled sample feeds served on 127.0.0.1 (offline)",
    )
    run.add_argument("--console", action="store_true", help="console mode even when DISCORD_TOKEN is set")
    run.add_argument(
        "--shards",
        type=_shard_ids,
        metavar="IDS",
        help="a gateway process for these shards only (e.g. 0-3 or 0,2): it answers its guilds' commands and "
        "runs no poll or delivery jobs (use casewatch worker poll / deliver); needs --shard-count",
    )
    run.add_argument("--shard-count", type=_shard_count, metavar="N", help="the bot's total number of shards")
    run.add_argument(
        "--jobs",
        action="store_true",
        help="with --shards: also run the periodic jobs (digests, notices), once per period across processes",
    )

    ingest = sub.add_parser(
        "ingest", help="poll sources once through the whole pipeline and exit", epilog=INGEST_EPILOG
    )
    db_opt(ingest)
    ingest.add_argument("sources", nargs="+", help="http(s) URL, feed file, or directory of feed files")
    ingest.add_argument("--quiet", action="store_true", help="no progress, summary only")
    ingest.add_argument("--json", action="store_true", help="print the per-feed results as JSON")

    feeds = sub.add_parser("feeds", help="manage the operator's feeds")
    feeds_sub = feeds.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")
    p = feeds_sub.add_parser(
        "add",
        help="add a feed URL, or a site's page URL (its feeds are found and listed)",
        epilog="a page URL: casewatch finds the feeds the page links to (else tries /feed, /rss, ...); "
        "one is added, several are listed with numbers to choose from with --pick N",
    )
    db_opt(p)
    p.add_argument("url", help="the feed's URL, or a page of the site that links to its feeds")
    p.add_argument(
        "--pick", type=_pick, metavar="N", help="when the page lists several feeds: add the N-th one"
    )
    p = feeds_sub.add_parser("remove", help="remove a feed URL")
    db_opt(p)
    p.add_argument("url")
    p = feeds_sub.add_parser("list", help="list feeds and their health")
    db_opt(p)
    p.add_argument("--json", action="store_true")
    p = feeds_sub.add_parser(
        "test", help="dry run: fetch/parse a URL, a file or every feed file of a directory; stores nothing"
    )
    p.add_argument("source", help="http(s) URL, feed file, or directory of feed files")
    p = feeds_sub.add_parser(
        "import", help="add the feeds of a list or OPML file (default: bundled defaults)"
    )
    db_opt(p)
    p.add_argument("file", nargs="?", type=Path)

    p = sub.add_parser("articles", help="dump stored articles")
    db_opt(p)
    p.add_argument("--json", action="store_true", help="JSON array (the evaluation format)")
    p.add_argument("--relevant", action="store_true", help="only the articles detected as relevant")
    p = sub.add_parser("cases", help="dump stored cases")
    db_opt(p)
    p.add_argument("--json", action="store_true", help="JSON array (the evaluation format)")

    case = sub.add_parser("case", help="one case: its timeline (as text, or as a PNG picture), its docket")
    case_sub = case.add_subparsers(dest="case_command", required=True, metavar="ACTION")
    p = case_sub.add_parser(
        "timeline",
        help="a case's status changes and reports, oldest first; --png FILE writes its timeline picture",
        epilog="FILE '-' writes the PNG to standard output",
    )
    db_opt(p)
    p.add_argument("case_id", metavar="ID", help="the case's id (as `casewatch cases` lists it)")
    p.add_argument("--png", type=Path, metavar="FILE", help="write the timeline picture (800x400 PNG) to FILE")
    p = case_sub.add_parser(
        "docket",
        help="show a case's court docket, set it to URL, or --clear it",
        epilog="a CourtListener docket URL (https://www.courtlistener.com/docket/ID/...) is described from "
        "CourtListener when COURTLISTENER_TOKEN is set; any other http(s) URL is stored as given",
    )
    db_opt(p)
    p.add_argument("case_id", metavar="ID", help="the case's id (as `casewatch cases` lists it)")
    p.add_argument("url", metavar="URL", nargs="?", help="the docket's page")
    p.add_argument("--clear", action="store_true", help="remove the docket and stop looking it up")

    p = sub.add_parser("reprocess", help="re-run detection, grouping and status over stored articles")
    db_opt(p)

    p = sub.add_parser(
        "migrate",
        help="create or upgrade the database schema and print its version",
        epilog="the database is CASEWATCH_DATABASE_URL (PostgreSQL) when set, else --db / CASEWATCH_DB (SQLite); "
        "running it again when the schema is current changes nothing",
    )
    db_opt(p)

    p = sub.add_parser(
        "web",
        help="serve the read-only web view of the cases (until interrupted)",
        epilog="defaults: $CASEWATCH_WEB_HOST (127.0.0.1) and $CASEWATCH_WEB_PORT (8080 when unset)",
    )
    db_opt(p)
    p.add_argument("--host", type=_web_host, help="address to listen on (default: $CASEWATCH_WEB_HOST or 127.0.0.1)")
    p.add_argument("--port", type=_web_port, help="TCP port, 1-65535 (default: $CASEWATCH_WEB_PORT or 8080)")

    worker = sub.add_parser(
        "worker",
        help="a process role over a shared PostgreSQL database (poll feeds, or deliver to Discord)",
        epilog="needs CASEWATCH_DATABASE_URL; run as many as wanted, on any machine (see README, Scaling out)",
    )
    worker_sub = worker.add_subparsers(dest="worker_role", required=True, metavar="ROLE")
    p = worker_sub.add_parser("poll", help="claim due feeds and poll them through the pipeline")
    p.add_argument("--once", action="store_true", help="poll what is due now once, then exit")
    p = worker_sub.add_parser("deliver", help="claim outbox rows and send them to Discord over REST (DISCORD_TOKEN)")
    p.add_argument("--once", action="store_true", help="send what is due now, then exit")

    p = sub.add_parser("sync", help="sync slash commands with Discord (needs DISCORD_TOKEN)")
    p.add_argument("--guild", type=_guild_id, help="sync to one guild only (instant; for development)")
    return parser


def _pick(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError("must be the number of a listed feed (1, 2, ...)")
    return value


def _shard_ids(raw: str) -> list[int]:
    ids: set[int] = set()
    try:
        for part in raw.split(","):
            first, _, last = part.strip().partition("-")
            lo, hi = int(first), int(last or first)
            if lo < 0 or hi < lo:
                raise ValueError
            ids.update(range(lo, hi + 1))
    except ValueError:
        raise argparse.ArgumentTypeError("must be shard ids like 0-3 or 0,2,5") from None
    return sorted(ids)


def _shard_count(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError("must be a whole number of shards, 1 or more")
    return value


def shard_plan(args: argparse.Namespace) -> tuple[list[int], int] | None:
    """``(shard ids, shard count)`` of ``casewatch run --shards ... --shard-count ...``, checked."""
    shards, count = getattr(args, "shards", None), getattr(args, "shard_count", None)
    if shards is None and count is None:
        if getattr(args, "jobs", False):
            raise UsageError("--jobs only applies to a shard process (--shards ... --shard-count ...)")
        return None
    if shards is None or count is None:
        raise UsageError("--shards and --shard-count go together (e.g. --shards 0-3 --shard-count 8)")
    if shards[-1] >= count:
        raise UsageError(f"shard {shards[-1]} does not exist with --shard-count {count} (ids are 0-{count - 1})")
    if args.once or args.demo or args.console:
        raise UsageError("--shards runs a gateway process: it cannot be combined with --once, --demo or --console")
    return shards, count


def _guild_id(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 0 < value < 2**63:
        raise argparse.ArgumentTypeError("must be a Discord server id (a positive whole number)")
    return value


def _web_host(raw: str) -> str:
    from bot.config import web_host

    try:
        return web_host(raw)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _web_port(raw: str) -> int:
    from bot.config import web_port

    try:
        return web_port(raw)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        level = parse_log_level(args.log_level) if args.log_level is not None else None
        try:
            db = db_path(args.db) if args.db is not None else None
        except ValueError as exc:
            raise ConfigError(f"invalid option --db={args.db!r}: {exc}") from None
        settings = load_settings(db_path=db, log_level=level)
        if db is not None and settings.database_url:
            raise ConfigError(
                f"--db {args.db} names an SQLite file, but CASEWATCH_DATABASE_URL selects PostgreSQL; "
                "unset CASEWATCH_DATABASE_URL to use the file"
            )
    except ConfigError as exc:
        return _say(str(exc), EXIT_USAGE)
    configure_logging(settings.log_level)
    try:
        code = asyncio.run(_dispatch(args, settings))
        sys.stdout.flush()  # a closed pipe shows up here when the output was small
        return code
    except BaseException as exc:  # the one place that turns errors into one line
        return handle_error(exc, settings)


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger().setLevel(level)  # basicConfig leaves the level alone when a handler exists already
    if level != "DEBUG":
        for name in QUIET_LIBRARIES:
            logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def handle_error(exc: BaseException, settings: Settings) -> int:
    """The exit status for ``exc``, after saying in one line what went wrong; re-raises real bugs."""
    from storage.database import describe_error
    from storage.errors import StorageError

    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(exc, BrokenPipeError) or (isinstance(exc, OSError) and exc.errno == errno.EPIPE):
        _silence_stdout()  # the reader (``head``) is gone: stop quietly, as Unix tools do
        return EXIT_BROKEN_PIPE
    if isinstance(exc, CommandFailed):
        return _say(str(exc), exc.code)
    if isinstance(exc, ConfigError):
        return _say(str(exc), EXIT_USAGE)
    if isinstance(exc, StorageError):
        return _say(str(exc), EXIT_USAGE)
    if isinstance(exc, sqlite3.Error):  # damage found in the middle of a command
        return _say(describe_error(exc, settings.db_path), EXIT_USAGE)
    if settings.database_url and _is_pg_error(exc):  # the PostgreSQL server failed in the middle of a command
        from storage.postgres.database import describe_pg_error

        return _say(describe_pg_error(exc, settings.database_url), EXIT_USAGE)
    if isinstance(exc, MemoryError):
        return _say("out of memory", EXIT_FAILED)
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EDQUOT):
        where = f": {exc.filename}" if exc.filename else ""
        return _say(f"{exc.strerror}{where}", EXIT_FAILED)
    raise exc  # a bug: keep the traceback


def _is_pg_error(exc: BaseException) -> bool:
    from storage.postgres.database import is_pg_error

    return is_pg_error(exc) or isinstance(exc, ConnectionError)


def _say(message: str, code: int) -> int:
    with contextlib.suppress(BrokenPipeError, ValueError):
        print(f"casewatch: {message}", file=sys.stderr)
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout is not a real file (captured in tests)
        pass


def check_store_location(settings: Settings, *, must_exist: bool) -> None:
    """:func:`check_db_location` for the SQLite file; nothing to check on disk for a PostgreSQL URL (the
    server answers when the store is opened)."""
    if not settings.database_url:
        check_db_location(settings.db_path, must_exist=must_exist)


def check_db_location(path: Path, *, must_exist: bool) -> None:
    """Refuse a database location that cannot work, before anything touches the disk.

    A missing parent directory is never created (a typo in ``--db`` must not grow a directory tree);
    ``must_exist``: the command only reads, so it must not create a database either."""
    if path.is_dir():
        raise UsageError(f"the database path {path} is a directory; give a file, e.g. {path / 'casewatch.db'}")
    parent = path.parent
    if parent.exists() and not parent.is_dir():
        raise UsageError(f"cannot use the database {path}: {parent} is not a directory")
    if must_exist and not path.exists():
        raise UsageError(f"no database at {path}")
    if not parent.exists():
        raise UsageError(
            f"cannot create the database {path}: directory {parent} does not exist (create it first)"
        )


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    from bot import commands

    match args.command:
        case "run":
            sharding = shard_plan(args)
            if sharding is not None:
                return await commands.run_shards(settings, *sharding, jobs=args.jobs)
            return await commands.run(settings, once=args.once, demo=args.demo, console=args.console)
        case "ingest":
            return await cmd_ingest(settings, args.sources, quiet=args.quiet, as_json=args.json)
        case "feeds":
            return await commands.feeds(settings, args)
        case "articles":
            return await commands.dump(settings, "articles", as_json=args.json, relevant_only=args.relevant)
        case "cases":
            return await commands.dump(settings, "cases", as_json=args.json, relevant_only=False)
        case "case" if args.case_command == "docket":
            from bot.case_commands import case_docket

            return await case_docket(settings, args.case_id, url=args.url, clear=args.clear)
        case "case":
            return await commands.case_timeline(settings, args.case_id, png=args.png)
        case "reprocess":
            return await commands.reprocess(settings)
        case "migrate":
            return await commands.migrate(settings)
        case "web":
            return await commands.web(settings, host=args.host, port=args.port)
        case "sync":
            return await commands.sync(settings, args.guild)
        case "worker":
            return await _worker(settings, args.worker_role, once=args.once)
    raise UsageError(f"unknown command {args.command}")


async def _worker(settings: Settings, role: str, *, once: bool) -> int:
    from bot.workers import require_postgres

    require_postgres(settings, role)  # before importing anything the role needs
    if role == "poll":
        from bot.workers.poll import run_poll_worker

        return await run_poll_worker(settings, once=once)
    from bot.workers.deliver import run_deliver_worker

    return await run_deliver_worker(settings, once=once)


def expand_sources(sources: Sequence[str]) -> list[str | Path]:
    """URLs stay URLs; directories expand to their feed files (sorted); anything else is an error."""
    out: list[str | Path] = []
    for source in sources:
        if source.startswith(("http://", "https://")):
            url = canonical_url(source)
            if url is None:
                raise UsageError(f"not a valid http(s) URL: {source}")
            out.append(url)
            continue
        path = Path(source)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in FEED_SUFFIXES)
            files = [p for p in files if not p.name.startswith(".") and p.name not in ("MANIFEST.tsv",)]
            out.extend(files)
        elif path.is_file():
            out.append(path)
        elif "://" in source:
            raise UsageError(f"only http and https URLs can be polled: {source}")
        else:
            raise UsageError(f"no such file or directory: {source}")
    if not out:
        raise UsageError("no feed files found in the given sources")
    return out


async def cmd_ingest(settings: Settings, sources: Sequence[str], *, quiet: bool, as_json: bool) -> int:
    from bot.runtime import Runtime

    items = expand_sources(sources)
    check_store_location(settings, must_exist=False)
    started = time.monotonic()
    results: list[FeedPollResult] = []
    async with Runtime.open(settings, alert_on_first_poll=False) as rt:
        total = len(items)
        progress = Progress(total, sys.stderr, enabled=not quiet)
        urls = [i for i in items if isinstance(i, str)]
        files = [i for i in items if isinstance(i, Path)]
        if urls:
            feeds = [await rt.ensure_feed(u) for u in urls]
            for result in await rt.pipeline.poll_many(feeds):
                results.append(result)
                progress.step(result)
        # Files overlap in flight so the parser workers stay busy; writes still serialise per feed.
        gate = asyncio.Semaphore(max(2, settings.parser_workers * 2))

        async def one(path: Path) -> FeedPollResult:
            async with gate:
                result = await rt.ingest_file(path, settings.max_feed_bytes)
            progress.step(result)
            return result

        results.extend(await asyncio.gather(*(one(p) for p in files)))
        progress.close()
        cases = await rt.store.cases.count()
    elapsed = time.monotonic() - started
    if as_json:
        print(json.dumps([_result_json(r) for r in results], indent=1))
    _print_summary(results, cases, elapsed, file=sys.stdout if not as_json else sys.stderr)
    return sources_status(results)


def sources_status(results: Sequence[FeedPollResult]) -> int:
    """0 when every source was polled, 4 when some failed (they are listed), 3 when none could be."""
    if not results or all(r.ok for r in results):
        return EXIT_OK
    return EXIT_SOME_FAILED if any(r.ok for r in results) else EXIT_SOURCES_FAILED


def _result_json(r: FeedPollResult) -> dict[str, Any]:
    return {
        "url": r.url,
        "ok": r.ok,
        "status": r.status,
        "new": r.new,
        "duplicate": r.duplicate,
        "relevant": r.relevant,
        "error": r.error,
    }


def _print_summary(results: list[FeedPollResult], cases: int, elapsed: float, file: Any) -> None:
    ok = [r for r in results if r.ok]
    failed = [r for r in results if not r.ok]
    new = sum(r.new for r in results)
    dup = sum(r.duplicate for r in results)
    rel = sum(r.relevant for r in results)
    print(
        f"feeds: {len(ok)} ok, {len(failed)} failed | items: {new} new, {dup} duplicate, {rel} relevant | "
        f"cases in database: {cases} | {elapsed:.1f}s",
        file=file,
    )
    for r in failed[:50]:
        print(f"  failed: {r.url}: {r.error}", file=file)
    if len(failed) > 50:
        print(f"  ... and {len(failed) - 50} more failures (see `casewatch feeds list`)", file=file)


def shorten(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, cut in the middle with an ellipsis (keeps scheme and
    file name of a URL readable)."""
    if len(text) <= width:
        return text
    keep = width - 1
    head = keep // 2
    return f"{text[:head]}…{text[len(text) - (keep - head):]}"


class Progress:
    """Progress of a batch: one line redrawn in place on a terminal (at most 10 times a second); on a
    pipe or file, a plain line every 5% for batches of 50 or more (logs stay short), nothing for small
    ones. No dependency: a progress library would cost more import time than this whole module."""

    def __init__(self, total: int, stream: TextIO, *, enabled: bool = True) -> None:
        self.total, self.stream, self.done = total, stream, 0
        self.live = enabled and _isatty(stream)
        self.plain = enabled and not self.live and total >= 50
        self.every = max(1, total // 20)
        self._last_draw = 0.0
        self._drawn = False

    def step(self, result: FeedPollResult) -> None:
        self.done += 1
        if self.live:
            now = time.monotonic()
            if now - self._last_draw >= 0.1 or self.done == self.total:
                self._last_draw = now
                line = f"[{self.done}/{self.total}] {result.status:<12} {shorten(result.url, 60)}"
                self.stream.write("\r\x1b[2K" + line)
                self.stream.flush()
                self._drawn = True
        elif self.plain and (self.done % self.every == 0 or self.done == self.total):
            print(f"  [{self.done}/{self.total}] {result.status} {shorten(result.url, 80)}", file=self.stream)

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._drawn = False


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
