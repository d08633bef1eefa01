"""Which fetcher a feed goes through: the operator's feeds are trusted, feeds only guilds added are fetched
behind the SSRF guard. Shared by the bot (``bot.app``) and the poll workers (``bot.workers.poll``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.feeds.fetcher import Fetcher, FetchResult

if TYPE_CHECKING:
    from storage import AnyStore


class RoutedFetcher:
    """Feeds only guilds want are fetched behind the SSRF guard (every hop and every connect re-checked);
    the operator's own feeds are trusted and fetched as configured."""

    def __init__(self, store: AnyStore, trusted: Fetcher, guarded: Fetcher) -> None:
        self.store, self.trusted, self.guarded = store, trusted, guarded

    async def fetch(self, url: str, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        fetcher = self.guarded if await self.store.feeds.is_guild_only(url) else self.trusted
        return await fetcher.fetch(url, etag, last_modified)

    async def close(self) -> None:
        await self.trusted.close()
        await self.guarded.close()
