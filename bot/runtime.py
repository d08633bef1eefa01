"""The composition root shared by the CLI and the bot: store, parser pool, fetcher, pipeline."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cases.tracker import warm
from bot.config import Settings
from bot.detect.detector import prepare
from bot.feeds.fetcher import Fetcher, FetchLimits
from bot.feeds.parser import ParserPool
from bot.models import Feed, FeedPollResult
from bot.pipeline import Pipeline, PipelineOptions
from bot.polling import PollPolicy
from storage import open_store

if TYPE_CHECKING:
    from storage import AnyStore


def fetch_limits(settings: Settings) -> FetchLimits:
    return FetchLimits(
        total_timeout_s=settings.fetch_timeout_s,
        max_bytes=settings.max_feed_bytes,
        max_decompressed_bytes=settings.max_feed_bytes * 2,
        per_host=settings.per_host_limit,
        global_limit=settings.global_fetch_limit,
    )


def poll_policy(settings: Settings) -> PollPolicy:
    return PollPolicy(
        default_interval_s=settings.poll_interval_s,
        min_interval_s=settings.min_interval_s,
        max_interval_s=settings.max_interval_s,
        max_failures=settings.max_failures,
    )


def parser_pool(settings: Settings) -> ParserPool:
    """Worker processes, or in-process parsing when CASEWATCH_PARSER_WORKERS=0."""
    return ParserPool(workers=settings.parser_workers or None, inline=settings.parser_workers == 0)


@dataclass
class Runtime:
    settings: Settings
    store: AnyStore
    parser: ParserPool
    fetcher: Fetcher
    pipeline: Pipeline

    @classmethod
    @asynccontextmanager
    async def open(
        cls, settings: Settings, *, alert_on_first_poll: bool | None = None, console: bool = False
    ) -> AsyncIterator[Runtime]:
        store = await open_store(settings)
        await warm_up(store)
        parser = parser_pool(settings)
        fetcher = Fetcher(fetch_limits(settings))
        options = PipelineOptions(
            alert_on_first_poll=settings.alert_on_first_poll
            if alert_on_first_poll is None
            else alert_on_first_poll,
            console=console,
            policy=poll_policy(settings),
        )
        try:
            yield cls(settings, store, parser, fetcher, Pipeline(store, parser, fetcher, options))
        finally:
            await fetcher.close()
            await parser.close()
            await store.close()

    async def ensure_feed(self, url: str) -> Feed:
        feed = await self.store.feeds.get_by_url(url)
        if feed is None:
            feed, _ = await self.store.feeds.add(url)
        return feed

    async def ingest_file(self, path: Path, max_bytes: int) -> FeedPollResult:
        """Ingest a local feed file as if it had been fetched (its feed URL is the file's URI)."""
        feed = await self.ensure_feed(path.resolve().as_uri())  # noqa: ASYNC240 (a stat or two)
        try:
            body = await asyncio.to_thread(_read_capped, path, max_bytes)
        except OSError as exc:
            return await self.pipeline.fail(feed, f"cannot read file: {exc.strerror or exc}")
        if body is None:
            return await self.pipeline.fail(feed, f"file is over the {max_bytes}-byte limit")
        return await self.pipeline.ingest_body(feed, body, base_url=None)


async def warm_up(store: AnyStore) -> None:
    """Start-up work that would otherwise land on the first articles: detection's index, the grouping
    caches of the busiest platforms. Caches only; every decision is the same without it."""
    prepare()
    await warm(store)


def _read_capped(path: Path, max_bytes: int) -> bytes | None:
    with path.open("rb") as fh:
        body = fh.read(max_bytes + 1)
    return None if len(body) > max_bytes else body
