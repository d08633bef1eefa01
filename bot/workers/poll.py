"""``casewatch worker poll``: claim due feeds from the shared database, poll them through the pipeline.

A worker keeps up to ``concurrency`` feeds in flight. It claims due feeds with a lease
(:meth:`Leases.claim_feeds`), polls each with the same :class:`bot.pipeline.Pipeline` as ``casewatch run``
(one transaction per poll: articles, cases, events, outbox rows and the feed's next due time), then
releases the lease. A heartbeat extends the leases of the feeds in flight, so a slow feed is never
claimed twice; a killed worker's leases expire after ``lease_s`` and another worker takes the feeds.

Politeness holds across workers: before every fetch a worker takes one of the host's slots in the
database (:meth:`Leases.claim_host_slot`), as many slots as the fetcher's per-host limit
(``CASEWATCH_PER_HOST_LIMIT``, :attr:`FetchLimits.per_host`: one number for both), so N workers together
never open more connections to one host than one process would.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.clock import utcnow
from bot.config import Settings
from bot.feeds.fetcher import Fetcher, FetchError, FetchResult
from bot.feeds.netguard import UrlGuard
from bot.feeds.routing import RoutedFetcher
from bot.models import Feed, FeedPollResult
from bot.pipeline import Pipeline
from bot.runtime import Runtime, fetch_limits
from bot.workers import require_postgres, stop_on_signals, worker_id

if TYPE_CHECKING:
    from storage.postgres.leases import Leases

log = logging.getLogger(__name__)

LEASE_S = 30.0  # a feed's lease; the heartbeat renews it every third of that while the poll runs
IDLE_S = 1.0  # how often an idle worker looks for due feeds
SLOT_WAIT_MIN_S, SLOT_WAIT_MAX_S = 0.02, 0.5


def host_key(url: str) -> str | None:
    """The per-host key of a URL, as the fetcher's own per-host limit counts hosts (``host[:port]``)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host:
        return None
    return f"{host}:{port}" if port else host


class HostSlots:
    """A fetcher that takes one of a host's slots in the database around each fetch.

    The slot is held for the fetch (a lease of ``hold_s``, renewed by the worker's heartbeat, so a killed
    worker's slots come back as its feeds do) and released after it; while every slot of the host is
    taken, the fetch waits, at most ``wait_s`` (then it fails as a transient error, as a timeout would).
    Only the feed URL's host is counted: a redirect to another host is limited by the fetcher in this
    process only."""

    def __init__(
        self,
        inner: RoutedFetcher | Fetcher,
        leases: Leases,
        owner: str,
        *,
        per_host: int,
        hold_s: float = LEASE_S,
        wait_s: float = 60.0,
    ) -> None:
        self.inner = inner
        self.leases = leases
        self.owner = owner
        self.per_host = per_host
        self.hold_s = hold_s
        self.wait_s = wait_s
        self.held: set[tuple[str, int]] = set()
        self._known: set[str] = set()
        self.waits = 0  # fetches that found every slot of their host taken (for tests and logs)

    async def fetch(self, url: str, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        host = host_key(url)
        if host is None:  # the fetcher refuses it with its own message, without touching the network
            return await self.inner.fetch(url, etag, last_modified)
        async with self.slot(host):
            return await self.inner.fetch(url, etag, last_modified)

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[int]:
        if host not in self._known:
            await self.leases.ensure_host_slots(host, self.per_host)
            self._known.add(host)
        wait = SLOT_WAIT_MIN_S
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_s
        while (slot := await self.leases.claim_host_slot(host, self.per_host, self.owner, self.hold_s)) is None:
            if loop.time() > deadline:
                raise FetchError(f"every one of the {self.per_host} slots for {host} stayed busy", transient=True)
            self.waits += 1
            await asyncio.sleep(wait * random.uniform(0.5, 1.5))
            wait = min(wait * 2, SLOT_WAIT_MAX_S)
        self.held.add((host, slot))
        try:
            yield slot
        finally:
            self.held.discard((host, slot))
            try:
                await self.leases.release_host_slot(host, slot, self.owner)
            except Exception:  # it expires by itself; the fetch's result still counts
                log.warning("could not release slot %d of %s; it expires by itself", slot, host, exc_info=True)

    async def renew(self) -> None:
        for host, slot in list(self.held):
            await self.leases.extend_host_slot(host, slot, self.owner, self.hold_s)


@dataclass
class PollWorker:
    pipeline: Pipeline
    leases: Leases
    owner: str
    slots: HostSlots | None = None
    concurrency: int = 32
    lease_s: float = LEASE_S
    idle_s: float = IDLE_S
    clock: Callable[[], datetime] = utcnow
    polled: int = 0
    in_flight: set[int] = field(default_factory=set)

    async def run_once(self) -> list[FeedPollResult]:
        """Claim what is due now (up to ``concurrency`` feeds), poll it, release it; return the results."""
        feeds = await self.leases.claim_feeds(self.owner, self.concurrency, self.lease_s, self.clock())
        if not feeds:
            return []
        async with self._heartbeat():
            return list(await asyncio.gather(*(self._poll(f) for f in feeds)))

    async def run(self, stop: asyncio.Event, *, until_idle: bool = False) -> None:
        """Poll until ``stop`` is set, keeping up to ``concurrency`` feeds in flight; then finish them.
        ``until_idle``: also stop once nothing is in flight and nothing is due (benchmarks, tests)."""
        tasks: set[asyncio.Task[FeedPollResult]] = set()
        async with self._heartbeat():
            while not stop.is_set():
                room = self.concurrency - len(tasks)
                if room >= max(1, self.concurrency // 4) or not tasks:
                    for feed in await self.leases.claim_feeds(self.owner, room, self.lease_s, self.clock()):
                        tasks.add(asyncio.create_task(self._poll(feed)))
                    if until_idle and not tasks:
                        break
                stopping = asyncio.ensure_future(stop.wait())
                await asyncio.wait({*tasks, stopping}, timeout=self.idle_s, return_when=asyncio.FIRST_COMPLETED)
                stopping.cancel()
                tasks = {t for t in tasks if not t.done()}
            if tasks:
                await asyncio.gather(*tasks)

    async def _poll(self, feed: Feed) -> FeedPollResult:
        self.in_flight.add(feed.id)
        try:
            return await self.pipeline.poll(feed)
        finally:
            self.in_flight.discard(feed.id)
            self.polled += 1
            try:
                await self.leases.release_feeds(self.owner, [feed.id])
            except Exception:
                log.warning("could not release the lease on feed %s; it expires by itself", feed.id, exc_info=True)

    @asynccontextmanager
    async def _heartbeat(self) -> AsyncIterator[None]:
        async def beat() -> None:
            while True:
                await asyncio.sleep(self.lease_s / 3)
                try:
                    await self.leases.extend_feeds(self.owner, sorted(self.in_flight), self.lease_s)
                    if self.slots is not None:
                        await self.slots.renew()
                except Exception:
                    log.warning("lease heartbeat failed; trying again", exc_info=True)

        task = asyncio.create_task(beat())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


@asynccontextmanager
async def open_poll_worker(
    settings: Settings, *, owner: str | None = None, lease_s: float = LEASE_S
) -> AsyncIterator[PollWorker]:
    """The worker over ``casewatch run``'s runtime: the same store, parser pool, pipeline options and
    fetch limits; guild-only feeds behind the SSRF guard as in the bot."""
    from storage.postgres.leases import Leases
    from storage.postgres.store import PostgresStore

    require_postgres(settings, "poll")
    async with Runtime.open(settings) as rt:
        assert isinstance(rt.store, PostgresStore)
        limits = fetch_limits(settings)
        guard = UrlGuard(allow_private=settings.allow_private_feeds, allowed_hosts=settings.allowed_feed_hosts)
        guarded = Fetcher(limits, guard=guard)
        me = owner or worker_id("poll")
        leases = Leases(rt.store.db)
        slots = HostSlots(
            RoutedFetcher(rt.store, rt.fetcher, guarded),
            leases,
            me,
            per_host=limits.per_host,
            hold_s=lease_s,
            wait_s=limits.total_timeout_s,
        )
        pipeline = Pipeline(rt.store, rt.parser, slots, rt.pipeline.options)  # type: ignore[arg-type]
        try:
            yield PollWorker(
                pipeline, leases, me, slots, concurrency=rt.pipeline.options.concurrency, lease_s=lease_s
            )
        finally:
            await guarded.close()


async def run_poll_worker(settings: Settings, *, once: bool = False, lease_s: float = LEASE_S) -> int:
    """``casewatch worker poll [--once]``: until SIGINT / SIGTERM (in-flight polls finish first)."""
    require_postgres(settings, "poll")
    async with open_poll_worker(settings, lease_s=lease_s) as worker:
        if once:
            results = await worker.run_once()
            ok = sum(r.ok for r in results)
            print(f"polled {len(results)} feeds: {ok} ok, {len(results) - ok} failed", file=sys.stderr)
            return 0
        print(f"casewatch worker poll {worker.owner}: polling due feeds (Ctrl-C to stop)", file=sys.stderr)
        with stop_on_signals() as stop:
            await worker.run(stop)
        print(f"casewatch worker poll {worker.owner}: stopped after {worker.polled} polls", file=sys.stderr)
    return 0
