"""Implementations of the CLI commands other than ingest (kept apart from argument parsing)."""

from __future__ import annotations

import argparse
import asyncio
import errno
import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from bot.cli import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_SOURCES_FAILED,
    EXIT_USAGE,
    CommandFailed,
    UsageError,
    check_db_location,
    check_store_location,
    expand_sources,
    shorten,
    sources_status,
)
from bot.config import Settings
from bot.delivery.console import drain_console
from bot.feeds.fetcher import FetchError
from bot.feeds.normalize import canonical_url
from bot.feeds.parser import FeedParseError, ParserPool
from bot.models import ArticleText, Feed, FeedPollResult
from bot.runtime import Runtime, fetch_limits
from bot.sources import SourcesError, load_sources

log = logging.getLogger(__name__)


async def run(settings: Settings, *, once: bool, demo: bool, console: bool) -> int:
    if demo:
        return await run_demo(settings)
    if settings.discord_token and not console and not once:  # --once is console mode, as documented
        from bot.app import run_bot  # only the Discord adapter imports discord

        return await run_bot(settings)
    return await run_console(settings, once=once)


async def run_shards(settings: Settings, shard_ids: list[int], shard_count: int, *, jobs: bool) -> int:
    """``casewatch run --shards ... --shard-count N``: a gateway process for some shards of the bot."""
    if not settings.discord_token:
        raise UsageError("--shards runs the Discord bot: set DISCORD_TOKEN in the environment or .env")
    from bot.app import run_bot

    return await run_bot(settings, shard_ids=shard_ids, shard_count=shard_count, jobs=jobs)


async def _seed_default_sources(rt: Runtime) -> None:
    if await rt.store.feeds.list():
        return
    try:
        urls = load_sources(rt.settings.feeds_file)
    except (OSError, SourcesError) as exc:
        raise UsageError(str(exc)) from None
    for url in urls:
        await rt.store.feeds.add(url)
    print(f"casewatch: no feeds configured; added {len(urls)} default sources", file=sys.stderr)


async def run_console(settings: Settings, *, once: bool) -> int:
    """Console mode: poll on schedule and print what would be posted, until interrupted."""
    from bot.scheduler import Scheduler

    check_store_location(settings, must_exist=False)
    async with Runtime.open(settings, console=True) as rt:
        await _seed_default_sources(rt)
        if once:
            results = await rt.pipeline.poll_due()
            printed = await drain_console(rt.store, sys.stdout)
            sys.stdout.flush()
            for line in poll_report(results, await rt.store.feeds.list(), printed=printed):
                print(line, file=sys.stderr)
            return sources_status(results)

        reported: dict[int, str] = {}

        async def poll() -> list[FeedPollResult]:
            results = await rt.pipeline.poll_due()
            for line in failure_news(results, reported):
                print(line, file=sys.stderr)
            return results

        async def deliver() -> None:
            await drain_console(rt.store, sys.stdout)

        web = await _console_web(settings)  # before the first poll: a taken port stops the start
        scheduler = Scheduler(poll=poll, deliver=deliver, deliver_tick_s=settings.delivery_interval_s)
        scheduler.start()
        feeds = await rt.store.feeds.list()
        print(
            f"casewatch console mode: {sum(f.enabled for f in feeds)} feeds; alerts are printed here "
            "as they are found, feed problems once; Ctrl-C to stop",
            file=sys.stderr,
        )
        if web is not None:
            print(f"casewatch web view on {web[0].url} (read-only)", file=sys.stderr)
        try:
            await asyncio.Event().wait()
        finally:
            await scheduler.shutdown()
            if web is not None:
                await web[0].stop()
                await web[1].close()
    return EXIT_OK


async def _console_web(settings: Settings) -> tuple[Any, Any] | None:
    """Console mode serves the web view too when CASEWATCH_WEB_PORT is set, as the bot does: on its own
    read-only connection; a port already taken is one line."""
    if settings.web_port is None:
        return None
    from bot.web import WebServer, WebServerError
    from storage import open_store

    store = await open_store(settings, read_only=True)
    server = WebServer(
        store, settings.web_host, settings.web_port, token=settings.web_token, public_url=settings.public_url
    )
    try:
        await server.start()
    except WebServerError as exc:
        await store.close()
        raise CommandFailed(str(exc)) from None
    return server, store


def _when(at: Any) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at is not None else "now"


def group_failures(results: list[FeedPollResult], *, examples: int = 2) -> list[str]:
    """One line per distinct reason, most common first: ``3 feeds: reason (e.g. url, url, 1 more)``."""
    from urllib.parse import urlsplit

    by_reason: dict[str, list[str]] = {}
    for r in results:
        if not r.ok:
            by_reason.setdefault(_reason_key(r), []).append(r.url)
    lines = []
    for reason, urls in sorted(by_reason.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        if len(urls) == 1:
            host = urlsplit(urls[0]).hostname or ""
            lines.append(f"  failed: {shorten(urls[0], 80)}: {reason.replace('<host>', host)}")
            continue
        shown = ", ".join(shorten(u, 60) for u in urls[:examples])
        more = f", {len(urls) - examples} more" if len(urls) > examples else ""
        lines.append(f"  {len(urls)} feeds failed: {reason} (e.g. {shown}{more})")
    return lines


def _reason_key(r: FeedPollResult) -> str:
    """The failure's reason with the feed's own host name taken out, so one cause groups many feeds."""
    from urllib.parse import urlsplit

    reason = r.error or "unknown error"
    host = urlsplit(r.url).hostname
    return reason.replace(host, "<host>") if host and reason.count(host) and len(reason) > len(host) else reason


def poll_report(results: list[FeedPollResult], feeds: list[Feed], *, printed: int) -> list[str]:
    """What ``run --once`` says after its poll: counts, each failure's reason, and what happens next."""
    failed = [r for r in results if not r.ok]
    enabled = [f for f in feeds if f.enabled]
    if not results:
        lines = [f"no feed is due yet ({len(enabled)} feeds; nothing polled, nothing printed)"]
    else:
        lines = [
            f"polled {len(results)} feeds: {len(results) - len(failed)} ok, {len(failed)} failed; "
            f"{printed} alerts printed"
        ]
        lines += group_failures(results)
    upcoming = [f.next_due_at for f in enabled if f.next_due_at is not None]
    backoff = [f for f in enabled if f.consecutive_failures]
    if backoff:
        retry = min((f.next_due_at for f in backoff if f.next_due_at is not None), default=None)
        lines.append(
            f"next: {len(backoff)} failing feeds are retried with growing delays (first retry {_when(retry)}); "
            "a feed is disabled after repeated failures; `casewatch feeds list` shows each one"
        )
    if upcoming:
        lines.append(f"next poll due: {_when(min(upcoming))} (`casewatch run --once` again, or `casewatch run`)")
    disabled = len(feeds) - len(enabled)
    if disabled:
        lines.append(f"{disabled} feeds are disabled and not polled (reasons: `casewatch feeds list`)")
    return lines


def failure_news(results: list[FeedPollResult], reported: dict[int, str]) -> list[str]:
    """Continuous console mode: a feed's failure is reported when it starts (or its reason changes) and
    its recovery once, not on every poll."""
    fresh = [r for r in results if not r.ok and reported.get(r.feed_id) != r.error]
    recovered = [r for r in results if r.ok and r.feed_id in reported]
    for r in fresh:
        reported[r.feed_id] = r.error or ""
    for r in recovered:
        del reported[r.feed_id]
    lines = []
    if fresh:
        lines.append(f"casewatch: {len(fresh)} feeds failing (retried with growing delays):")
        lines += group_failures(fresh)
    if recovered:
        lines.append(f"casewatch: {len(recovered)} feeds working again: " + ", ".join(
            shorten(r.url, 60) for r in recovered[:3]
        ) + (f" and {len(recovered) - 3} more" if len(recovered) > 3 else ""))
    return lines


DEMO_INTRO = (
    "casewatch demo: two sample news feeds are served on this machine and polled twice through the whole\n"
    "pipeline (fetch, parse, dedupe, detect, group into cases, track status). Poll 1 shows the new-case\n"
    "alerts a Discord channel would get; before poll 2 one feed publishes a follow-up story, so poll 2\n"
    "shows a status update, and the other feed answers HTTP 304 (unchanged). Nothing leaves 127.0.0.1."
)

# How a poll's outcome reads in the demo (FeedPollResult.status values).
DEMO_STATUS = {
    "new": "fetched",
    "not_modified": "unchanged since the last poll (HTTP 304 not_modified)",
    "unchanged": "unchanged since the last poll (same content)",
    "error": "failed",
    "disabled": "disabled",
}


def _items(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


async def run_demo(settings: Settings) -> int:
    """Serve the bundled sample feeds on 127.0.0.1 and run two polls through the whole pipeline."""
    from dataclasses import replace

    from bot.demo import DemoFeedServer

    if settings.db_path != Path("casewatch.db"):
        check_db_location(settings.db_path, must_exist=False)
    print(DEMO_INTRO)
    # Start-up details (schema created, caches warmed) are not what the demo is about: DEBUG shows them.
    quiet = [logging.getLogger(n) for n in ("storage.migrations", "bot.cases.tracker")]
    saved = [q.level for q in quiet]
    if settings.log_level != "DEBUG":
        for q in quiet:
            q.setLevel(max(logging.WARNING, logging.getLevelName(settings.log_level)))
    try:
        with tempfile.TemporaryDirectory(prefix="casewatch-demo-") as tmp:
            db_path = settings.db_path if settings.db_path != Path("casewatch.db") else Path(tmp) / "demo.db"
            # Always a throwaway SQLite file: the demo never writes to a configured PostgreSQL database.
            settings = replace(settings, db_path=db_path, database_url=None, min_interval_s=30)
            async with (
                DemoFeedServer() as server,
                Runtime.open(settings, console=True, alert_on_first_poll=True) as rt,
            ):
                for url in server.feed_urls:
                    await rt.store.feeds.add(url)
                for round_no in (1, 2):
                    if round_no == 2:
                        server.publish_update()
                    print(f"\n--- poll {round_no}: {len(server.feed_urls)} demo feeds on {server.base_url} ---")
                    for feed in await rt.store.feeds.list():  # one after another: alerts in a stable order
                        for result in await rt.pipeline.poll_many([feed]):
                            print(
                                f"  {result.url.rsplit('/', 1)[-1]}: {DEMO_STATUS.get(result.status, result.status)}"
                                + (
                                    f": {_items(result.new, 'new item')}, {result.duplicate} already seen, "
                                    f"{result.relevant} about a legal fight"
                                    if result.status == "new"
                                    else ""
                                )
                                + (f", error: {result.error}" if result.error else "")
                            )
                    print(f"--- alerts that would be posted after poll {round_no} ---")
                    if not await drain_console(rt.store, sys.stdout):
                        print("  (none)")
                cases = await rt.store.cases.count()
                print(f"\n--- {_items(cases, 'case')} in the database {db_path} (deleted on exit) ---")
    finally:
        for q, level in zip(quiet, saved, strict=True):
            q.setLevel(level)
    return EXIT_OK


async def feeds(settings: Settings, args: argparse.Namespace) -> int:
    from storage import open_store

    action = args.feeds_command
    if action == "test":
        return await feeds_test(settings, args.source)
    path = settings.db_path
    # Validate the input first: a bad URL or file must not create (or migrate) a database.
    if action == "add":
        url = canonical_url(args.url)
        if url is None:
            raise UsageError(f"not an http(s) URL: {args.url}")
        check_store_location(settings, must_exist=False)
        url, found, note = await _feed_to_add(settings, url, args.pick)
        async with await open_store(settings) as store:
            feed, created = await store.feeds.add(url)
        for line in found:
            print(line)
        print(f"{'added' if created else 'already present'}: {feed.url} (id {feed.id})")
        if note:
            print(note)
    elif action == "remove":
        url = canonical_url(args.url) or args.url
        check_store_location(settings, must_exist=True)
        async with await open_store(settings) as store:
            removed = await store.feeds.remove(url)
        if not removed:
            raise UsageError(f"no such feed: {args.url}")
        print(f"removed: {url}")
    elif action == "import":
        urls = _import_list(args.file)
        check_store_location(settings, must_exist=False)
        added = 0
        async with await open_store(settings) as store:
            for url in urls:
                added += (await store.feeds.add(url))[1]
        print(f"imported {len(urls)} feeds ({added} new)")
    elif action == "list":
        check_store_location(settings, must_exist=False)
        if not settings.database_url and not path.exists():  # reading creates nothing
            rows: list[Feed] = []
        else:
            async with await open_store(settings, read_only=True) as store:
                rows = await store.feeds.list()
        if args.json:
            print(json.dumps([_feed_json(f) for f in rows], indent=1))
        else:
            for f in rows:
                print(f"{f.id:>4}  {f.url}  [{_feed_state(f)}] items={f.item_count}")
            if not rows:
                where = "" if settings.database_url or path.exists() else f" (no database at {path} yet)"
                print(f"no feeds{where}: casewatch feeds add URL, or casewatch feeds import FILE")
    return EXIT_OK


async def _feed_to_add(settings: Settings, url: str, pick: int | None) -> tuple[str, list[str], str | None]:
    """The URL ``feeds add`` stores: ``url`` itself when it is a feed (or cannot be fetched now), else
    the feed its page offers (the only one, or the ``pick``-th). Also the lines that say what was found
    and a note. A page without feeds, or with several and no ``pick``, is refused (the list printed)."""
    from bot.feeds.discover import PROBE_PATHS, describe, discover
    from bot.feeds.fetcher import Fetcher

    async with Fetcher(fetch_limits(settings)) as fetcher:
        found = await discover(fetcher, url)
    if found.kind == "unchecked":
        return url, [], f"note: could not fetch it to check it is a feed ({found.reason}); added as given"
    if found.kind != "page":
        return url, [], None
    feeds = found.feeds
    if not feeds:
        paths = ", ".join(PROBE_PATHS)
        only_json = " (it links only to a JSON Feed, which casewatch cannot read)" if found.unreadable else ""
        raise UsageError(
            f"{url} is a web page that links to no RSS or Atom feed{only_json}, and none answers at {paths}; "
            "give the feed's own URL"
        )
    how = "at the usual paths of" if found.probed else "on the page"
    lines = [f"found {len(feeds)} feed{'s' if len(feeds) > 1 else ''} {how} {url}:"]
    lines += [f"  {i}. {describe(link)}" for i, link in enumerate(feeds, 1)]
    if pick is None and len(feeds) > 1:
        for line in lines:
            print(line)
        raise UsageError(f"{url} offers {len(feeds)} feeds; add one with --pick N (1-{len(feeds)})")
    index = pick or 1
    if index > len(feeds):
        for line in lines:
            print(line)
        plural = "s" if len(feeds) > 1 else ""
        raise UsageError(f"--pick {index}: {url} offers only {len(feeds)} feed{plural}")
    return feeds[index - 1].url, lines, None


def _feed_state(f: Feed) -> str:
    if not f.enabled:
        return f"DISABLED: {f.disabled_reason}"
    if f.consecutive_failures:
        return f"failing x{f.consecutive_failures}, next try {_when(f.next_due_at)}: {f.last_error}"
    return "ok"


def _import_list(file: Path | None) -> list[str]:
    """The URLs of a list or OPML file; a feed file, or a file without any URL, is refused with a hint."""
    if file is not None and file.is_dir():
        raise UsageError(f"{file} is a directory; give a list or OPML file")
    try:
        urls = load_sources(file)
    except UnicodeDecodeError:
        raise UsageError(f"{file} is not a text file (expected one URL per line, or OPML)") from None
    except OSError as exc:
        raise UsageError(f"cannot read {file}: {exc.strerror or exc}") from None
    except SourcesError as exc:
        if file is not None and _looks_like_feed(file):
            raise UsageError(_feed_not_list(file)) from None
        raise UsageError(str(exc)) from None
    if not urls:
        if file is not None and _looks_like_feed(file):
            raise UsageError(_feed_not_list(file))
        raise UsageError(f"no feed URLs in {file} (expected one http(s) URL per line, or an OPML file)")
    return urls


def _feed_not_list(file: Path) -> str:
    return (
        f"{file} is a feed, not a list of feeds: add its URL with `casewatch feeds add URL`, "
        f"or ingest the file once with `casewatch ingest {file}`"
    )


def _looks_like_feed(file: Path) -> bool:
    import re

    try:
        head = file.read_bytes()[:4096].decode("utf-8", "replace")
    except OSError:
        return False
    return re.search(r"<(rss|feed|rdf:RDF|channel)[\s>]", head) is not None


def _feed_json(feed: Any) -> dict[str, Any]:
    from bot.clock import to_iso

    return {
        "id": feed.id,
        "url": feed.url,
        "title": feed.title,
        "enabled": feed.enabled,
        "last_fetch_at": to_iso(feed.last_fetch_at),
        "last_error": feed.last_error,
        "consecutive_failures": feed.consecutive_failures,
        "next_due_at": to_iso(feed.next_due_at),
        "interval_s": feed.interval_s,
        "disabled_reason": feed.disabled_reason,
        "items": feed.item_count,
    }


async def feeds_test(settings: Settings, source: str) -> int:
    """Fetch (or read) and parse a URL, a file or every feed file of a directory, run detection, print;
    store nothing. A directory prints one block per file and a total."""
    targets = expand_sources([source])
    parser = ParserPool(inline=True)
    total = flagged = failed = 0
    try:
        for target in targets:
            if len(targets) > 1:
                print(f"== {target}")
            try:
                items, alerts = await _test_one(settings, parser, target)
            except UsageError as exc:
                if len(targets) == 1:
                    raise
                failed += 1
                print(f"   not tested: {exc}")
                continue
            total, flagged = total + items, flagged + alerts
    finally:
        await parser.close()
    if len(targets) > 1:
        print(
            f"{len(targets)} files: {len(targets) - failed} parsed, {failed} failed; "
            f"{flagged} of {total} items would be alerted (nothing stored)"
        )
        return EXIT_SOURCES_FAILED if failed == len(targets) else EXIT_OK
    return EXIT_OK


async def _test_one(settings: Settings, parser: ParserPool, target: str | Path) -> tuple[int, int]:
    from bot.detect.detector import detect
    from bot.feeds.fetcher import Fetcher

    if isinstance(target, Path):
        try:
            body, base = (await asyncio.to_thread(target.read_bytes))[: settings.max_feed_bytes + 1], None
        except OSError as exc:
            raise UsageError(f"cannot read {target}: {exc.strerror or exc}") from None
        if len(body) > settings.max_feed_bytes:
            raise UsageError(f"{target} is larger than {settings.max_feed_bytes} bytes")
    else:
        async with Fetcher(fetch_limits(settings)) as fetcher:
            try:
                fetched = await fetcher.fetch(target)
            except FetchError as exc:
                raise UsageError(f"fetch failed: {exc.reason}") from None
        body, base = fetched.body or b"", fetched.final_url
    try:
        parsed = await parser.parse(body, base)
    except FeedParseError as exc:
        raise UsageError(f"not a usable feed: {exc.reason}") from None
    print(
        f"feed: {parsed.title or '(untitled)'} - {len(parsed.entries)} items"
        + (f" (parser warning: {parsed.bozo})" if parsed.bozo else "")
    )
    flagged = 0
    for entry in parsed.entries:
        det = detect(ArticleText(entry.title, entry.summary, entry.url, entry.published))
        mark = "ALERT" if det.relevant else "  -  "
        flagged += det.relevant
        when = entry.published.date().isoformat() if entry.published else "undated"
        print(f"[{mark}] {det.score:.2f} {when} {entry.title[:100]}")
        if det.relevant:
            print(
                f"        platforms={list(det.platforms)} action={det.action} stage={det.stage} "
                f"counterparties={list(det.counterparties)}"
            )
            print(f"        why: {'; '.join(det.reasons)[:300]}")
    print(f"{flagged} of {len(parsed.entries)} items would be alerted (nothing stored)")
    return len(parsed.entries), flagged


async def dump(settings: Settings, what: str, *, as_json: bool, relevant_only: bool) -> int:
    from storage import open_store

    check_store_location(settings, must_exist=True)
    async with await open_store(settings, read_only=True) as store:
        rows = await (store.articles.dump() if what == "articles" else store.cases.dump())
    if what == "articles" and relevant_only:
        rows = [r for r in rows if r["relevant"]]
    if as_json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
        print()
        return EXIT_OK
    if what == "articles":
        if rows:
            print(f"{'CASE':<14} {'PUBLISHED':<10}  TITLE")
        for r in rows:
            flag = f"[{r['case_id']}]" if r["relevant"] else "[-]"
            print(f"{flag:<14} {(r['published'] or 'undated')[:10]:<10}  {r['title'][:90]}")
    else:
        if rows:
            print(f"{'ID':<12} {'STATUS':<10} {'ARTICLES':>8}  {'OPENED':<10} {'UPDATED':<10}  TITLE")
        for r in rows:
            print(
                f"{r['id']:<12} {r['status']:<10} {len(r['article_urls']):>8}  "
                f"{(r.get('opened_at') or '-')[:10]:<10} {(r.get('updated_at') or '-')[:10]:<10}  {r['title']}"
            )
    noun = what[:-1] if len(rows) == 1 else what
    print(f"{len(rows)} {'relevant ' if relevant_only else ''}{noun}", file=sys.stderr)
    return EXIT_OK


def check_output_file(path: Path) -> None:
    """Refuse an output file that cannot be written, before the database is opened."""
    if str(path) == "-":
        return
    if path.is_dir():
        raise UsageError(f"cannot write {path}: it is a directory; give a file name, e.g. {path / 'timeline.png'}")
    parent = path.parent
    if not parent.is_dir():
        raise UsageError(f"cannot write {path}: directory {parent} does not exist")
    if not os.access(path if path.exists() else parent, os.W_OK):
        raise UsageError(f"cannot write {path}: permission denied")


async def case_timeline(settings: Settings, case_id: str, *, png: Path | None) -> int:
    """``casewatch case timeline ID [--png FILE]``: the case's status changes and reports as text, or
    its timeline picture (the PNG Discord gets) written to FILE."""
    from bot.timeline_png import timeline_png
    from storage import open_store

    if png is not None:
        check_output_file(png)
    check_store_location(settings, must_exist=True)
    async with await open_store(settings, read_only=True) as store:
        case = await store.cases.resolve(case_id.strip())
        if case is None:
            raise UsageError(f"no case {case_id!r} in {settings.database} (`casewatch cases` lists them)")
        events = await store.cases.events(case.id)
        articles = await store.articles.for_case(case.id)
    if png is None:
        print(f"{case.id}  {case.title}")
        rows = [(e.at, f"{e.at:%Y-%m-%d}  status  {e.to_status.value}") for e in events]
        rows += [(a.published, f"{a.published:%Y-%m-%d}  report  {a.title}") for a in articles if a.published]
        for _, line in sorted(rows, key=lambda r: r[0]):
            print(line)
        for a in articles:
            if a.published is None:
                print(f"{'undated':<10}  report  {a.title}")
        return EXIT_OK
    data = await asyncio.to_thread(timeline_png, case, events, articles)
    if str(png) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return EXIT_OK
    try:
        await asyncio.to_thread(png.write_bytes, data)
    except OSError as exc:
        environment = exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO)  # else the path is at fault
        raise CommandFailed(
            f"cannot write {png}: {exc.strerror or exc}", EXIT_FAILED if environment else EXIT_USAGE
        ) from None
    moved = f" (case {case_id} was merged into {case.id})" if case.id != case_id.strip() else ""
    print(f"wrote {png}: the timeline of case {case.id}, {len(data)} bytes{moved}", file=sys.stderr)
    return EXIT_OK


async def migrate(settings: Settings) -> int:
    """``casewatch migrate``: bring the configured database's schema to the newest version; print it."""
    from storage import migrate_database

    check_store_location(settings, must_exist=False)
    before, after = await migrate_database(settings)
    if before == after:
        print(f"database {settings.database}: schema version {after} (up to date, nothing to do)")
    elif before == 0:
        print(f"database {settings.database}: schema version {after} (created)")
    else:
        print(f"database {settings.database}: schema version {after} (upgraded from {before})")
    return EXIT_OK


async def reprocess(settings: Settings) -> int:
    from bot.reprocess import reprocess_all
    from storage import open_store

    check_store_location(settings, must_exist=True)
    async with await open_store(settings) as store:
        stats = await reprocess_all(store)
    print(f"reprocessed {stats.articles} articles: {stats.relevant} relevant in {stats.cases} cases")
    return EXIT_OK


WEB_DEFAULT_PORT = 8080


async def web(settings: Settings, *, host: str | None, port: int | None) -> int:
    """Serve the read-only web view over the database until interrupted (``casewatch web``)."""
    from bot.web import WebServer, WebServerError
    from storage import open_store

    check_store_location(settings, must_exist=True)  # it only reads: never creates a database
    async with await open_store(settings, read_only=True) as store:
        server = WebServer(
            store,
            host or settings.web_host,
            port or settings.web_port or WEB_DEFAULT_PORT,
            token=settings.web_token,
            public_url=settings.public_url,
        )
        try:
            await server.start()
        except WebServerError as exc:
            raise CommandFailed(str(exc)) from None
        print(f"casewatch web view on {server.url} (read-only; Ctrl-C to stop)", file=sys.stderr)
        try:
            await asyncio.Event().wait()
        finally:
            await server.stop()
    return EXIT_OK


async def sync(settings: Settings, guild_id: int | None) -> int:
    if not settings.discord_token:
        raise UsageError("sync needs DISCORD_TOKEN in the environment or .env")
    from bot.app import sync_commands

    return await sync_commands(settings, guild_id)
