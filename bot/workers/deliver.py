"""``casewatch worker deliver``: claim outbox rows from the shared database, send them over Discord REST.

A deliverer is the bot's :class:`~bot.delivery.publisher.DiscordPublisher` (the same rendering, nonces,
retry and failure rules) with three things changed, because it has no gateway connection and is not
alone:

- rows come from :meth:`Leases.claim_deliveries` (a lease, ``SKIP LOCKED``; a row whose target has an
  earlier row leased elsewhere waits, so a case card still precedes its updates), and are released once
  settled; a killed deliverer's rows are sent again after the lease, with the same nonce, so Discord
  returns the message it already has instead of posting it twice;
- the request budget is a token bucket row in the database shared by every deliverer of the bot
  (:class:`SharedBudget`): Discord's ~50 requests/s are per bot, not per process. Every request takes
  its token right before it goes out (:func:`paced_trace`). Per-route buckets and their 429s are
  discord.py's, per process, as in the bot;
- guilds, channels and the bot's own member (for permission checks) come from REST, cached for a minute
  (:class:`RestPublisher`), since there is no gateway cache. Those lookups draw from the same budget.

The client logs in over REST only (``discord.Client.login``: no gateway, no shard, no intents needed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import aiohttp
import discord

from bot.config import Settings
from bot.delivery.publisher import DiscordPublisher
from bot.models import Delivery, TargetKind
from bot.workers import require_postgres, stop_on_signals, worker_id
from bot.workers.periodic import MAINTENANCE_EVERY_S, maintenance

if TYPE_CHECKING:
    from storage.postgres.leases import Leases
    from storage.postgres.store import PostgresStore

log = logging.getLogger(__name__)

LEASE_S = 30.0
IDLE_S = 0.5
GUILD_TTL_S = 60.0
# Discord counts requests in a sliding second, as they arrive. The shared bucket runs at 40/s with no burst
# to speak of: at most 41 in any second, whatever the number of deliverers drawing from it, so requests
# that leave late and then arrive together (a loaded machine, a slow round trip) still fit under 50.
# Measured against the fake: 45/s with a burst of 5, or 47/s with 3, let one global 429 through in some
# runs of 1,000 sends; 45/s with burst 1 let 4 through in a test run on a loaded machine; 40/s none.
SHARED_REQUESTS_PER_S = 40.0
GLOBAL_BURST = 1.0


class SharedBudget:
    """A :class:`bot.delivery.publisher.Budget` kept in the database (one row per bot)."""

    def __init__(self, leases: Leases, name: str, rate: float = SHARED_REQUESTS_PER_S, burst: float = GLOBAL_BURST):
        self.leases, self.name, self.rate, self.burst = leases, name, rate, burst
        self.reserved = 0.0  # tokens this process took (for tests and logs)

    async def acquire(self, tokens: float = 1.0) -> None:
        wait = await self.leases.reserve_tokens(self.name, tokens, self.rate, self.burst)
        self.reserved += tokens
        if wait > 0:
            await asyncio.sleep(wait)


class Unpaced:
    """The publisher's own pacing, switched off: every HTTP request is paced as it goes out (see
    :func:`paced_trace`), which also covers lookups, card edits and DM channels."""

    async def acquire(self, tokens: float = 1.0) -> None:
        return None


def paced_trace(budget: SharedBudget) -> aiohttp.TraceConfig:
    """An aiohttp trace whose request-start hook takes a token from ``budget``: every HTTP request the
    client sends waits for its token right before it goes out, after discord.py's per-route wait (a
    token taken before that wait is wasted and lets requests bunch up past the limit), and retries after
    a 429 are paced too."""
    trace = aiohttp.TraceConfig()

    async def on_request_start(session: object, context: object, params: aiohttp.TraceRequestStartParams) -> None:
        await budget.acquire(1)

    trace.on_request_start.append(on_request_start)
    return trace


def bucket_name(token: str) -> str:
    """The shared bucket of one bot: its user id (a bot token's first part), else a digest of the token."""
    import base64
    import hashlib

    head = token.split(".", 1)[0]
    try:
        decoded = base64.b64decode(head + "=" * (-len(head) % 4), validate=True).decode("ascii")
    except ValueError:
        decoded = ""
    ident = decoded if decoded.isdigit() else hashlib.sha256(token.encode()).hexdigest()[:16]
    return f"discord-global:{ident}"


class RestPublisher(DiscordPublisher):
    """The publisher over a REST-only client, sending the rows it claims from the shared outbox."""

    def __init__(
        self,
        client: discord.Client,
        store: PostgresStore,
        leases: Leases,
        owner: str,
        *,
        lease_s: float = LEASE_S,
        public_url: str | None = None,
        batch: int = 100,
    ) -> None:
        super().__init__(client, store, budget=Unpaced(), public_url=public_url, batch=batch)
        self.leases = leases
        self.owner = owner
        self.lease_s = lease_s
        self.held: set[int] = set()
        self.shared_budget: SharedBudget | None = None  # what paces the client's requests (see paced_trace)
        self._guilds: dict[int, tuple[float, discord.Guild | None]] = {}
        self._guild_locks: dict[int, asyncio.Lock] = {}

    async def _due(self, limit: int) -> list[Delivery]:
        rows = await self.leases.claim_deliveries(
            self.owner, limit, self.lease_s, self.clock(), target_kinds=(TargetKind.CHANNEL, TargetKind.USER)
        )
        self.held.update(d.id for d in rows)
        return rows

    async def _done(self, rows: list[Delivery]) -> None:
        ids = [d.id for d in rows]
        self.held.difference_update(ids)
        try:
            await self.leases.release_deliveries(self.owner, ids)
        except Exception:  # they expire by themselves; the rows' states are already written
            log.warning("could not release %d outbox leases; they expire by themselves", len(ids), exc_info=True)

    async def renew(self) -> None:
        await self.leases.extend_deliveries(self.owner, sorted(self.held), self.lease_s)

    # --- the gateway cache, from REST --------------------------------------------------------------------

    async def _guild(self, guild_id: int) -> discord.Guild | None:
        cached = self._guilds.get(guild_id)
        if cached is not None and time.monotonic() - cached[0] < GUILD_TTL_S:
            return cached[1]
        lock = self._guild_locks.setdefault(guild_id, asyncio.Lock())
        async with lock:
            cached = self._guilds.get(guild_id)
            if cached is not None and time.monotonic() - cached[0] < GUILD_TTL_S:
                return cached[1]
            guild = await self._fetch_guild(guild_id)
            self._guilds[guild_id] = (time.monotonic(), guild)
            return guild

    async def _fetch_guild(self, guild_id: int) -> discord.Guild | None:
        """The guild as the gateway would have it: roles, channels (with overwrites) and the bot's member,
        so permission checks give the gateway's answers. None when the bot is not in it."""
        client, user = self.client, self.client.user
        assert user is not None, "the client must be logged in"
        try:
            data: dict[str, Any] = dict(await client.http.get_guild(guild_id, with_counts=False))
            data["channels"] = await client.http.get_all_guild_channels(guild_id)
            data["members"] = [await client.http.get_member(guild_id, user.id)]
        except (discord.NotFound, discord.Forbidden):
            return None
        return discord.Guild(data=data, state=client._connection)  # type: ignore[arg-type]

    async def _channel(self, d: Delivery) -> object | None:
        guild_id = d.guild_id
        if guild_id is None:  # a row without its guild: ask the channel which one (a DM channel has none)
            data: Any = await self.client.http.get_channel(d.target_id)
            if not data.get("guild_id"):
                return None  # the publisher fetches it: not a guild channel, no permissions to check
            guild_id = int(data["guild_id"])
        guild = await self._guild(guild_id)
        return guild.get_channel(d.target_id) if guild is not None else None

    async def _failed(self, d: Delivery, reason: str, status: int | None) -> str:
        if d.guild_id is not None:
            self._guilds.pop(d.guild_id, None)  # permissions or channels changed: look again next time
        return await super()._failed(d, reason, status)


@asynccontextmanager
async def rest_client(token: str, budget: SharedBudget) -> AsyncIterator[discord.Client]:
    """A discord.py client logged in over REST only (no gateway connection), its requests paced by
    ``budget``."""
    from bot.app import discord_errors

    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
    client = discord.Client(intents=discord.Intents.none(), http_trace=paced_trace(budget))
    try:
        with discord_errors("log in"):
            await client.login(token)
        yield client
    finally:
        await client.close()


@asynccontextmanager
async def open_deliverer(
    settings: Settings, *, owner: str | None = None, lease_s: float = LEASE_S
) -> AsyncIterator[RestPublisher]:
    from bot.cli import UsageError
    from storage.postgres.leases import Leases
    from storage.postgres.store import PostgresStore

    url = require_postgres(settings, "deliver")
    if not settings.discord_token:
        raise UsageError("casewatch worker deliver needs DISCORD_TOKEN in the environment or .env")
    async with await PostgresStore.open(url, poll_interval_s=settings.poll_interval_s) as store:
        leases = Leases(store.db)
        budget = SharedBudget(leases, bucket_name(settings.discord_token))
        async with rest_client(settings.discord_token, budget) as client:
            publisher = RestPublisher(
                client, store, leases, owner or worker_id("deliver"), lease_s=lease_s, public_url=settings.public_url
            )
            publisher.shared_budget = budget
            yield publisher


async def deliver_loop(
    publisher: RestPublisher,
    stop: asyncio.Event,
    *,
    idle_s: float = IDLE_S,
    maintenance_every_s: float | None = MAINTENANCE_EVERY_S,
) -> None:
    """Drain until ``stop`` is set; an empty outbox is looked at again every ``idle_s``. Every
    ``maintenance_every_s`` it offers to run the periodic jobs (digests, disabled-feed notices), which
    one process per period across all of them actually runs (:mod:`bot.workers.periodic`)."""
    next_maintenance = time.monotonic()

    async def beat() -> None:
        while True:
            await asyncio.sleep(publisher.lease_s / 3)
            try:
                await publisher.renew()
            except Exception:
                log.warning("outbox lease heartbeat failed; trying again", exc_info=True)

    heartbeat = asyncio.create_task(beat())
    try:
        while not stop.is_set():
            if maintenance_every_s is not None and time.monotonic() >= next_maintenance:
                next_maintenance = time.monotonic() + maintenance_every_s
                try:
                    await maintenance(publisher.store, publisher.owner, maintenance_every_s)
                except Exception:
                    log.exception("the periodic jobs failed; they run again next period")
            try:
                sent = await publisher.drain()
            except Exception:
                log.exception("a delivery round failed; trying again")
                sent = None
            if not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), idle_s)
    finally:
        heartbeat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await heartbeat


async def run_deliver_worker(settings: Settings, *, once: bool = False, lease_s: float = LEASE_S) -> int:
    """``casewatch worker deliver [--once]``: until SIGINT / SIGTERM (the round in flight finishes)."""
    async with open_deliverer(settings, lease_s=lease_s) as publisher:
        if once:
            stats = await publisher.drain()
            print(f"outbox: {dict(stats) or 'nothing due'}", file=sys.stderr)
            return 0
        print(f"casewatch worker deliver {publisher.owner}: sending the outbox (Ctrl-C to stop)", file=sys.stderr)
        with stop_on_signals() as stop:
            await deliver_loop(publisher, stop, idle_s=min(IDLE_S, settings.delivery_interval_s))
    return 0

