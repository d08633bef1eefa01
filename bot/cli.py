"""The ``casewatch`` command line: run, ingest, feeds, articles, cases, reprocess.

Every command exits 0 on success and 2 with a one-line reason on bad input; it configures logging once,
here, at startup.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.config import ConfigError, Settings, load_settings
from bot.feeds.normalize import canonical_url
from bot.models import FeedPollResult

log = logging.getLogger("casewatch")

FEED_SUFFIXES = {".xml", ".rss", ".atom", ".rdf", ".feed", ".json", ".txt", ""}


class UsageError(Exception):
    """Bad input from the command line: printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="casewatch", description="Follow legal fights over online platforms in the news."
    )
    parser.add_argument("--db", type=Path, help="database file (default: $CASEWATCH_DB or ./casewatch.db)")
    parser.add_argument(
        "--log-level", help="DEBUG, INFO, WARNING, ERROR (default: $CASEWATCH_LOG_LEVEL or INFO)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def db_opt(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db", type=Path, default=argparse.SUPPRESS, help="database file")

    run = sub.add_parser("run", help="run the bot (console mode without DISCORD_TOKEN)")
    db_opt(run)
    run.add_argument("--once", action="store_true", help="console mode: poll once, print, exit")
    run.add_argument(
        "--demo",
        action="store_true",
        help="console demo over bundled sample feeds served on 127.0.0.1 (offline)",
    )
    run.add_argument("--console", action="store_true", help="console mode even when DISCORD_TOKEN is set")

    ingest = sub.add_parser("ingest", help="poll sources once through the whole pipeline and exit")
    db_opt(ingest)
    ingest.add_argument("sources", nargs="+", help="http(s) URL, feed file, or directory of feed files")
    ingest.add_argument("--quiet", action="store_true", help="no progress, summary only")
    ingest.add_argument("--json", action="store_true", help="print the per-feed results as JSON")

    feeds = sub.add_parser("feeds", help="manage the operator's feeds")
    feeds_sub = feeds.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")
    for name, helptext in (("add", "add a feed URL"), ("remove", "remove a feed URL")):
        p = feeds_sub.add_parser(name, help=helptext)
        db_opt(p)
        p.add_argument("url")
    p = feeds_sub.add_parser("list", help="list feeds and their health")
    db_opt(p)
    p.add_argument("--json", action="store_true")
    p = feeds_sub.add_parser("test", help="dry run: fetch/parse a URL or file and show what would happen")
    p.add_argument("source", help="http(s) URL or feed file")
    p = feeds_sub.add_parser(
        "import", help="add the feeds of a list or OPML file (default: bundled defaults)"
    )
    db_opt(p)
    p.add_argument("file", nargs="?", type=Path)

    for name, helptext in (("articles", "dump stored articles"), ("cases", "dump stored cases")):
        p = sub.add_parser(name, help=helptext)
        db_opt(p)
        p.add_argument("--json", action="store_true", help="JSON array (the evaluation format)")
        p.add_argument("--relevant", action="store_true", help="articles: only relevant ones")

    p = sub.add_parser("reprocess", help="re-run detection, grouping and status over stored articles")
    db_opt(p)

    p = sub.add_parser("sync", help="sync slash commands with Discord (needs DISCORD_TOKEN)")
    p.add_argument("--guild", type=int, help="sync to one guild only (instant; for development)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings(db_path=args.db, log_level=(args.log_level or "").upper() or None)
    except ConfigError as exc:
        print(f"casewatch: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    try:
        return asyncio.run(_dispatch(args, settings))
    except UsageError as exc:
        print(f"casewatch: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a storage or config problem: one line, not a traceback
        from storage.errors import StorageError

        if isinstance(exc, StorageError):
            print(f"casewatch: {exc}", file=sys.stderr)
            return 2
        raise


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    from bot import commands

    match args.command:
        case "run":
            return await commands.run(settings, once=args.once, demo=args.demo, console=args.console)
        case "ingest":
            return await cmd_ingest(settings, args.sources, quiet=args.quiet, as_json=args.json)
        case "feeds":
            return await commands.feeds(settings, args)
        case "articles" | "cases":
            return await commands.dump(settings, args.command, as_json=args.json, relevant_only=args.relevant)
        case "reprocess":
            return await commands.reprocess(settings)
        case "sync":
            return await commands.sync(settings, args.guild)
    raise UsageError(f"unknown command {args.command}")


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
    started = time.monotonic()
    results: list[FeedPollResult] = []
    async with Runtime.open(settings, alert_on_first_poll=False) as rt:
        total = len(items)
        progress = _Progress(
            total, enabled=(not quiet and sys.stderr.isatty()) or (not quiet and total >= 50)
        )
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
        cases = await rt.store.cases.count()
    elapsed = time.monotonic() - started
    if as_json:
        print(json.dumps([_result_json(r) for r in results], indent=1))
    _print_summary(results, cases, elapsed, file=sys.stdout if not as_json else sys.stderr)
    return 0


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


class _Progress:
    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled, self.done = total, enabled, 0
        self.every = max(1, total // 20)

    def step(self, result: FeedPollResult) -> None:
        self.done += 1
        if self.enabled and (self.done % self.every == 0 or self.done == self.total):
            print(f"  [{self.done}/{self.total}] last: {result.status} {result.url[-60:]}", file=sys.stderr)
