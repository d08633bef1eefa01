"""Implementations of the CLI commands other than ingest (kept apart from argument parsing)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

from bot.cli import UsageError, expand_sources
from bot.config import Settings
from bot.delivery.console import drain_console
from bot.feeds.fetcher import FetchError
from bot.feeds.normalize import canonical_url
from bot.feeds.parser import FeedParseError, ParserPool
from bot.models import ArticleText
from bot.runtime import Runtime, fetch_limits
from bot.sources import SourcesError, load_sources

log = logging.getLogger(__name__)


async def run(settings: Settings, *, once: bool, demo: bool, console: bool) -> int:
    if demo:
        return await run_demo(settings)
    if settings.discord_token and not console:
        from bot.app import run_bot  # only the Discord adapter imports discord

        return await run_bot(settings)
    return await run_console(settings, once=once)


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

    async with Runtime.open(settings, console=True) as rt:
        await _seed_default_sources(rt)
        if once:
            results = await rt.pipeline.poll_due()
            printed = await drain_console(rt.store, sys.stdout)
            failed = sum(not r.ok for r in results)
            print(f"polled {len(results)} feeds ({failed} failed); {printed} alerts printed", file=sys.stderr)
            return 0

        async def deliver() -> None:
            await drain_console(rt.store, sys.stdout)

        scheduler = Scheduler(
            poll=rt.pipeline.poll_due, deliver=deliver, deliver_tick_s=settings.delivery_interval_s
        )
        scheduler.start()
        print("casewatch console mode: polling; Ctrl-C to stop", file=sys.stderr)
        try:
            await asyncio.Event().wait()
        finally:
            await scheduler.shutdown()
    return 0


async def run_demo(settings: Settings) -> int:
    """Serve the bundled sample feeds on 127.0.0.1 and run two polls through the whole pipeline."""
    from dataclasses import replace

    from bot.demo import DemoFeedServer

    with tempfile.TemporaryDirectory(prefix="casewatch-demo-") as tmp:
        db_path = settings.db_path if settings.db_path != Path("casewatch.db") else Path(tmp) / "demo.db"
        settings = replace(settings, db_path=db_path, min_interval_s=30)
        async with (
            DemoFeedServer() as server,
            Runtime.open(settings, console=True, alert_on_first_poll=True) as rt,
        ):
            for url in server.feed_urls:
                await rt.store.feeds.add(url)
            for round_no in (1, 2):
                if round_no == 2:
                    server.publish_update()
                print(f"--- poll {round_no}: {len(server.feed_urls)} demo feeds on {server.base_url} ---")
                feeds = await rt.store.feeds.list()
                for result in await rt.pipeline.poll_many(feeds):
                    print(
                        f"  {result.url.rsplit('/', 1)[-1]}: {result.status}, {result.new} new, "
                        f"{result.duplicate} duplicate, {result.relevant} relevant"
                        + (f", error: {result.error}" if result.error else "")
                    )
                print(f"--- alerts that would be posted after poll {round_no} ---")
                if not await drain_console(rt.store, sys.stdout):
                    print("  (none)")
            print(f"--- {await rt.store.cases.count()} cases; database: {db_path} (deleted on exit) ---")
    return 0


async def feeds(settings: Settings, args: argparse.Namespace) -> int:
    action = args.feeds_command
    if action == "test":
        return await feeds_test(settings, args.source)
    from storage.store import SqliteStore

    async with await SqliteStore.open(settings.db_path) as store:
        if action == "add":
            url = canonical_url(args.url)
            if url is None:
                raise UsageError(f"not an http(s) URL: {args.url}")
            feed, created = await store.feeds.add(url)
            print(f"{'added' if created else 'already present'}: {feed.url} (id {feed.id})")
        elif action == "remove":
            url = canonical_url(args.url) or args.url
            if not await store.feeds.remove(url):
                raise UsageError(f"no such feed: {args.url}")
            print(f"removed: {url}")
        elif action == "import":
            try:
                urls = load_sources(args.file)
            except (OSError, SourcesError) as exc:
                raise UsageError(str(exc)) from None
            added = 0
            for url in urls:
                added += (await store.feeds.add(url))[1]
            print(f"imported {len(urls)} feeds ({added} new)")
        elif action == "list":
            rows = await store.feeds.list()
            if args.json:
                print(json.dumps([_feed_json(f) for f in rows], indent=1))
            else:
                for f in rows:
                    state = (
                        "ok"
                        if f.enabled and not f.consecutive_failures
                        else (
                            f"DISABLED: {f.disabled_reason}"
                            if not f.enabled
                            else f"failing x{f.consecutive_failures}: {f.last_error}"
                        )
                    )
                    print(f"{f.id:>4}  {f.url}  [{state}] items={f.item_count}")
                if not rows:
                    print("no feeds (casewatch feeds add URL, or casewatch feeds import FILE)")
    return 0


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
    """Fetch (or read) and parse one source, run detection, print; store nothing."""
    from bot.detect.detector import detect
    from bot.feeds.fetcher import Fetcher

    target = expand_sources([source])[0]
    parser = ParserPool(inline=True)
    try:
        if isinstance(target, Path):
            body, base = target.read_bytes()[: settings.max_feed_bytes + 1], None
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
    finally:
        await parser.close()
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
    return 0


async def dump(settings: Settings, what: str, *, as_json: bool, relevant_only: bool) -> int:
    from storage.store import SqliteStore

    if not settings.db_path.exists():
        raise UsageError(f"no database at {settings.db_path}")
    async with await SqliteStore.open(settings.db_path) as store:
        rows = await (store.articles.dump() if what == "articles" else store.cases.dump())
    if what == "articles" and relevant_only:
        rows = [r for r in rows if r["relevant"]]
    if as_json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0
    for r in rows:
        if what == "articles":
            flag = f"[{r['case_id']}]" if r["relevant"] else "[-]"
            print(f"{flag:<14} {(r['published'] or 'undated')[:10]}  {r['title'][:90]}")
        else:
            print(f"{r['id']}  {r['status']:<10} {len(r['article_urls']):>3} articles  {r['title']}")
    print(f"{len(rows)} {what}", file=sys.stderr)
    return 0


async def reprocess(settings: Settings) -> int:
    from bot.reprocess import reprocess_all
    from storage.store import SqliteStore

    if not settings.db_path.exists():
        raise UsageError(f"no database at {settings.db_path}")
    async with await SqliteStore.open(settings.db_path) as store:
        stats = await reprocess_all(store)
    print(f"reprocessed {stats.articles} articles: {stats.relevant} relevant in {stats.cases} cases")
    return 0


async def sync(settings: Settings, guild_id: int | None) -> int:
    if not settings.discord_token:
        raise UsageError("sync needs DISCORD_TOKEN in the environment or .env")
    from bot.app import sync_commands

    return await sync_commands(settings, guild_id)
