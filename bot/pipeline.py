"""One poll of one feed: fetch -> parse -> dedupe -> detect -> group -> status -> persist + outbox.

Everything a poll writes (articles, detections, cases, events, deliveries and the feed's own state)
commits in one transaction, so a crash leaves either all of it or none of it. Any exception is caught
per feed and recorded on that feed: one broken feed never stops the others.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

from bot.cases.clustering import platform_keys
from bot.cases.tracker import track
from bot.clock import utcnow
from bot.delivery.router import route
from bot.detect.detector import detect
from bot.feeds.fetcher import Fetcher, FetchError
from bot.feeds.parser import FeedParseError
from bot.models import Article, ArticleText, Detection, Entry, Feed, FeedPollResult, GuildSettings, ParsedFeed
from bot.polling import PollPolicy, after_failure, after_success
from bot.ports import FeedParser, Store
from storage.errors import WriteConflict

log = logging.getLogger(__name__)

# (feed_id, polled at, interval_s, next due, etag, last_modified) of a 304 / unchanged poll
_UnchangedRow = tuple[int, datetime, int, datetime, str | None, str | None]
_UNCHANGED_BATCH: ContextVar[list[_UnchangedRow] | None] = ContextVar("unchanged_batch", default=None)


@dataclass(frozen=True, slots=True)
class PipelineOptions:
    alert_on_first_poll: bool = False  # False: a new feed's backlog is recorded, not announced
    console: bool = False  # route every alert to the console target as well
    policy: PollPolicy = field(default_factory=PollPolicy)
    concurrency: int = 32  # feeds in flight at once in poll_many (the fetcher has its own limits)


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class Pipeline:
    def __init__(
        self,
        store: Store,
        parser: FeedParser,
        fetcher: Fetcher | None = None,
        options: PipelineOptions | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.parser = parser
        self.fetcher = fetcher
        self.options = options or PipelineOptions()
        self.clock = clock

    async def poll_many(self, feeds: Sequence[Feed]) -> list[FeedPollResult]:
        """Poll feeds concurrently; results come back in the order given."""
        gate = asyncio.Semaphore(self.options.concurrency)
        batch: list[_UnchangedRow] = []

        async def one(feed: Feed) -> FeedPollResult:
            async with gate:
                return await self.poll(feed)

        token = _UNCHANGED_BATCH.set(batch)  # tasks created below inherit this context
        try:
            results = list(await asyncio.gather(*(one(f) for f in feeds)))
        finally:
            _UNCHANGED_BATCH.reset(token)
            if batch:
                # Losing these writes in a crash only means polling those feeds again a little early.
                async with self.store.transaction():
                    await self.store.feeds.record_unchanged_many(batch)
        return results

    async def poll_due(self, limit: int = 200) -> list[FeedPollResult]:
        return await self.poll_many(await self.store.feeds.due(self.clock(), limit))

    async def poll(self, feed: Feed) -> FeedPollResult:
        """Fetch and ingest one feed; never raises (except cancellation)."""
        try:
            return await self._poll(feed)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("poll of feed %s (%s) failed unexpectedly", feed.id, feed.url)
            return await self.fail(feed, f"internal error: {type(exc).__name__}: {exc}")

    async def _poll(self, feed: Feed) -> FeedPollResult:
        if self.fetcher is None:
            raise RuntimeError("this pipeline has no fetcher; use ingest_body for local files")
        try:
            fetched = await self.fetcher.fetch(feed.url, feed.etag, feed.last_modified)
        except FetchError as exc:
            return await self.fail(feed, exc.reason, retry_after_s=exc.retry_after)
        if fetched.not_modified or fetched.body is None:
            return await self._unchanged(feed, "not_modified", fetched.etag, fetched.last_modified)
        return await self.ingest_body(
            feed,
            fetched.body,
            base_url=fetched.final_url,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
        )

    async def ingest_body(
        self,
        feed: Feed,
        body: bytes,
        *,
        base_url: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> FeedPollResult:
        """Parse and ingest a body, skipping the parse when it is byte-for-byte what we saw last."""
        try:
            digest = body_digest(body)
            if feed.body_hash == digest:
                return await self._unchanged(feed, "unchanged", etag, last_modified)
            try:
                parsed = await self.parser.parse(body, base_url)
            except FeedParseError as exc:
                return await self.fail(feed, exc.reason)
            if parsed.bozo and not parsed.entries:
                # Broken XML that yields nothing is a failure; broken XML with items is still news.
                return await self.fail(feed, f"invalid feed: {parsed.bozo}")
            return await self.ingest_parsed(
                feed, parsed, body_hash=digest, etag=etag, last_modified=last_modified
            )
        except asyncio.CancelledError:
            raise
        except WriteConflict as exc:  # nothing of this poll was written; the next one tries again
            log.warning("ingest of feed %s (%s) rolled back: %s", feed.id, feed.url, exc)
            return await self.fail(feed, f"not stored, will retry: {exc}")
        except Exception as exc:
            log.exception("ingest of feed %s (%s) failed unexpectedly", feed.id, feed.url)
            return await self.fail(feed, f"internal error: {type(exc).__name__}: {exc}")

    async def ingest_parsed(
        self,
        feed: Feed,
        parsed: ParsedFeed,
        *,
        body_hash: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> FeedPollResult:
        store = self.store
        now = self.clock()
        new = duplicate = relevant = 0
        new_cases: list[str] = []
        entries = _unique_by_key(parsed.entries)
        # Detection is pure and the costliest step per item: run it before the transaction, on the items
        # that look new now, so no writer waits on it. The transaction decides again what is new.
        detected = await self._detect_new(feed, entries)
        async with store.transaction(exclusive=False):
            alerting = self.options.alert_on_first_poll or await store.feeds.first_poll_done(feed.id)
            known_keys = await store.articles.known_keys(feed.id, [e.key for e in entries])
            known_hashes = await store.articles.known_hashes(feed.id, [e.content_hash for e in entries])
            fresh: list[tuple[Entry, Detection]] = []
            for entry in entries:
                if entry.key in known_keys or entry.content_hash in known_hashes:
                    duplicate += 1
                    continue
                known_hashes.add(entry.content_hash)
                det = detected.get(entry.key) or detect(_text(entry))
                fresh.append((entry, det))
            # Across feeds an article is the same when its canonical URL is; within a feed, keys decide.
            # (A store with concurrent writers holds the URLs it was asked about until commit.)
            unique = await self._not_elsewhere(feed, fresh)
            duplicate += len(fresh) - len(unique)
            new = len(unique)
            irrelevant = [(e, d) for e, d in unique if not d.relevant]
            wanted = [(e, d) for e, d in unique if d.relevant]
            await store.articles.insert_irrelevant(feed.id, irrelevant, now)
            ordered = [
                (_article(await store.articles.insert(feed.id, e, now), feed.id, e, now), d)
                for e, d in in_date_order(wanted)
            ]
            if ordered:
                # Grouping reads and writes cases that other feeds share: it runs alone, and last, so the
                # writers' lock is held only for it and the commit.
                await store.serialize()
            guilds: list[GuildSettings] | None = None
            for article, det in ordered:
                relevant += 1
                change, event_ids = await track(store, article, det)
                if change.is_new_case:
                    new_cases.append(change.case.id)
                if not alerting:
                    continue
                if guilds is None:
                    guilds = await store.guilds.alerting()
                keys = platform_keys(change.case.platforms)
                subs = await store.guilds.subscriptions_for(change.case.id, keys)
                intents = route(change, guilds, subs, keys, console=self.options.console)
                await store.outbox.enqueue(intents, event_ids)
            # The feed row last: updating it locks the row, and the lease heartbeat (one statement over
            # every feed in flight) must not queue behind a poll that is waiting for the writers' lock.
            step = after_success(now, feed.interval_s, new, self.options.policy)
            await store.feeds.record_success(
                feed.id,
                now=now,
                interval_s=step.interval_s,
                next_due_at=step.due_at,
                new_items=new,
                etag=etag,
                last_modified=last_modified,
                body_hash=body_hash,
                title=parsed.title or None,
            )
        if parsed.bozo:
            log.debug("feed %s parsed with warnings: %s", feed.url, parsed.bozo)
        return FeedPollResult(
            feed.id,
            feed.url,
            True,
            "new" if new else "no_new",
            new,
            duplicate,
            relevant,
            None,
            tuple(new_cases),
        )

    async def _detect_new(self, feed: Feed, entries: Sequence[Entry]) -> dict[str, Detection]:
        """Detections of the entries that are not stored yet (by key or content), read outside any
        transaction. Only a hint: whatever it misses is detected inside the transaction."""
        articles = self.store.articles
        known_keys = await articles.known_keys(feed.id, [e.key for e in entries])
        known_hashes = await articles.known_hashes(feed.id, [e.content_hash for e in entries])
        return {
            e.key: detect(_text(e))
            for e in entries
            if e.key not in known_keys and e.content_hash not in known_hashes
        }

    async def _not_elsewhere(
        self, feed: Feed, items: list[tuple[Entry, Detection]]
    ) -> list[tuple[Entry, Detection]]:
        """``items`` without those whose canonical URL another feed already stored."""
        urls = [e.url for e, _ in items if e.url]
        if not urls:
            return items
        seen = await self.store.articles.known_urls(urls, other_than_feed=feed.id)
        return [(e, d) for e, d in items if not e.url or e.url not in seen]

    async def _unchanged(
        self, feed: Feed, status: str, etag: str | None, last_modified: str | None
    ) -> FeedPollResult:
        now = self.clock()
        step = after_success(now, feed.interval_s, 0, self.options.policy)
        batch = _UNCHANGED_BATCH.get()
        if batch is not None:  # inside poll_many: written together when the round ends
            batch.append((feed.id, now, step.interval_s, step.due_at, etag, last_modified))
            return FeedPollResult(feed.id, feed.url, True, status)
        async with self.store.transaction():
            await self.store.feeds.record_success(
                feed.id,
                now=now,
                interval_s=step.interval_s,
                next_due_at=step.due_at,
                etag=etag,
                last_modified=last_modified,
            )
        return FeedPollResult(feed.id, feed.url, True, status)

    async def fail(self, feed: Feed, reason: str, *, retry_after_s: float | None = None) -> FeedPollResult:
        now = self.clock()
        failures = feed.consecutive_failures + 1
        step = after_failure(
            now, feed.interval_s, failures, self.options.policy, retry_after_s=retry_after_s, reason=reason
        )
        try:
            async with self.store.transaction():
                await self.store.feeds.record_failure(
                    feed.id,
                    now=now,
                    error=reason,
                    next_due_at=step.due_at,
                    disable_reason=step.disable_reason,
                )
        except Exception:
            log.exception("could not record the failure of feed %s", feed.url)
        if step.disable_reason:
            log.warning("feed %s disabled: %s", feed.url, step.disable_reason)
        status = "disabled" if step.disable_reason else "error"
        return FeedPollResult(feed.id, feed.url, False, status, error=reason)


def _text(entry: Entry) -> ArticleText:
    return ArticleText(entry.title, entry.summary, entry.url, entry.published)


def in_date_order(items: Sequence[tuple[Entry, Detection]]) -> list[tuple[Entry, Detection]]:
    """A poll's relevant items oldest report first (feeds list the newest first), undated ones last in
    feed order: one poll's status changes then happen, and are announced, in the order of the news."""
    dated = sorted(
        (i for i in range(len(items)) if items[i][0].published is not None),
        key=lambda i: (items[i][0].published, i),
    )
    undated = [i for i in range(len(items)) if items[i][0].published is None]
    return [items[i] for i in (*dated, *undated)]


def _unique_by_key(entries: Sequence[Entry]) -> list[Entry]:
    seen: set[str] = set()
    out: list[Entry] = []
    for entry in entries:
        if entry.key not in seen:
            seen.add(entry.key)
            out.append(entry)
    return out


def _article(article_id: int, feed_id: int, entry: Entry, fetched_at: datetime) -> Article:
    return Article(
        id=article_id,
        feed_id=feed_id,
        key=entry.key,
        url=entry.url,
        title=entry.title,
        summary=entry.summary,
        published=entry.published,
        fetched_at=fetched_at,
        content_hash=entry.content_hash,
    )
