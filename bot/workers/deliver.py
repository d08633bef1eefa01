"""``casewatch worker deliver``: claim outbox rows from the shared database, send them over Discord REST.

A deliverer is the bot's :class:`~bot.delivery.publisher.DiscordPublisher` (the same rendering, nonces,
retry and failure rules) with these things changed, because it has no gateway connection and is not
alone:

- rows come from :meth:`Leases.claim_deliveries`: whole targets (channels, a user's DMs), one deliverer
  at a time each, so a case card still precedes its updates and each deliverer's discord.py knows the
  per-channel buckets of its channels; each deliverer takes its share of the targets with work (their
  number over the live deliverers). Rows are leased and released once settled; a killed deliverer's
  rows are sent again after the lease, with the same nonce, so Discord returns the message it already
  has instead of posting it twice;
- :meth:`RestPublisher.drain` runs one task per target and claims a target's next rows as soon as its
  last ones are settled, with no rounds: a channel waiting out its per-route window holds up nothing
  but itself;
- the global request budget is kept in the database for every deliverer of the bot
  (:class:`SharedBudget`): Discord's 50 requests/s are per bot, not per process. Every HTTP request
  holds a slot from just before it goes out until a second after its answer (:func:`paced_trace`), and
  a global 429 pauses every deliverer. Per-route buckets are discord.py's, per process, as in the bot;
  the trace spreads a window's requests over the window (a channel's 5 messages per 5 s go about one
  a second) instead of in a burst that takes the slots other channels need;
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
from collections import Counter
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
    from storage.postgres.leases import Leases, RequestSlot
    from storage.postgres.store import PostgresStore

log = logging.getLogger(__name__)

LEASE_S = 30.0
IDLE_S = 0.5
GUILD_TTL_S = 60.0
# Discord allows 50 requests in any second per bot, counted as they arrive. Every HTTP request of every
# deliverer holds one of GLOBAL_SLOTS slots in the database from just before it goes out until WINDOW_S
# after its answer came, both on the database's clock: whenever Discord counts a request, its slot is
# still held, so no second can ever see more than GLOBAL_SLOTS of them, however late or bunched they
# arrive (a loaded machine, a slow round trip). The price is the round trip: a slot serves one request
# per (1 s + round trip), 49-50/s in all here. (The token bucket this replaces spaced the requests'
# departures, not their arrivals: at 45/s it let global 429s through on a loaded machine, and at 40/s it
# capped delivery at 0.8 of what Discord allows. With 48 slots, 2 left to the gateway processes, the
# benchmark measured 0.89-0.90 of the envelope, with 49 0.91-0.92, with 50 0.92-0.93, two runs each.)
GLOBAL_SLOTS = 50
WINDOW_S = 1.0
HOLD_S = 60.0  # a slot whose process died with its request in flight is free again after this
MAX_POLL_S = 0.05  # how long to sleep at most before asking again when no slot is free
ROUTES_KEPT = 1000  # per-route pacing entries kept before the past ones are dropped
CLAIM_EVERY_S = 0.5  # while sending, look for new work this often (besides whenever a target is done)
LAST_TARGETS_KEPT = 1000  # targets of the last drain, asked for first in the next
DRAIN_LIMIT = 100_000  # rows per drain in the worker loop: it ends at the periodic jobs, or when idle


class SharedBudget:
    """Discord's global request limit, shared by every deliverer of one bot through ``request_slots``
    rows: :meth:`take` before a request goes out, :meth:`give_back` once it was answered (see
    :func:`paced_trace`). A global 429 blocks every slot for its retry_after, so all deliverers pause."""

    def __init__(
        self, leases: Leases, name: str, slots: int = GLOBAL_SLOTS, window_s: float = WINDOW_S, hold_s: float = HOLD_S
    ) -> None:
        self.leases, self.name, self.slots, self.window_s, self.hold_s = leases, name, slots, window_s, hold_s
        self.taken = 0  # slots this process took (for tests and logs)
        self.global_429s = 0
        self._lock = asyncio.Lock()  # one asker per process; the others queue here in order

    async def setup(self) -> None:
        await self.leases.ensure_request_slots(self.name, self.slots)

    async def take(self) -> RequestSlot:
        async with self._lock:
            while True:
                got = await self.leases.take_request_slot(self.name, self.slots, self.hold_s)
                if not isinstance(got, float):
                    self.taken += 1
                    return got
                # A slot still held by a request in flight says "free in HOLD_S": ask again soon instead.
                await asyncio.sleep(min(max(got, 0.001), MAX_POLL_S))

    async def give_back(self, slot: RequestSlot, *, global_retry_after: float | None = None) -> None:
        """Never raises: a slot not given back is free again after its hold."""
        try:
            if global_retry_after is not None:
                self.global_429s += 1
                log.warning("global rate limit hit: every deliverer pauses %.2fs", global_retry_after)
                await self.leases.block_requests(self.name, global_retry_after)
            await self.leases.give_back_request_slot(self.name, slot, self.window_s)
        except Exception:
            log.warning("could not give back request slot %s; it is free again after its hold", slot, exc_info=True)


class Unpaced:
    """The publisher's own pacing, switched off: every HTTP request is paced as it goes out (see
    :func:`paced_trace`), which also covers lookups, card edits and DM channels."""

    async def acquire(self, tokens: float = 1.0) -> None:
        return None


def global_retry_after(response: aiohttp.ClientResponse) -> float | None:
    """A global 429's wait in seconds (``X-RateLimit-Global``), else None."""
    if response.status != 429 or response.headers.get("X-RateLimit-Global", "").lower() != "true":
        return None
    try:
        return max(float(response.headers.get("Retry-After", "1")), 0.0)
    except ValueError:
        return 1.0


def paced_trace(budget: SharedBudget) -> aiohttp.TraceConfig:
    """An aiohttp trace that holds a slot of ``budget`` for each HTTP request the client sends: taken
    right before it goes out, after discord.py's per-route wait (a slot taken before that wait would be
    held idle), and given back when its answer (or its failure) came. Retries after a 429 take their
    own slots."""
    trace = aiohttp.TraceConfig()

    not_before: dict[tuple[str, str], float] = {}  # route -> when its next request may go (monotonic)

    async def on_request_start(session: object, context: Any, params: aiohttp.TraceRequestStartParams) -> None:
        route = (params.method, params.url.path)
        context.casewatch_route = route
        wait = not_before.get(route, 0.0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        context.casewatch_slot = await budget.take()

    async def finished(context: Any, retry_after: float | None = None) -> None:
        slot, context.casewatch_slot = getattr(context, "casewatch_slot", None), None
        if slot is not None:  # only once, whichever of end and exception comes (or both)
            await budget.give_back(slot, global_retry_after=retry_after)

    async def on_request_end(session: object, context: Any, params: aiohttp.TraceRequestEndParams) -> None:
        headers, route = params.response.headers, getattr(context, "casewatch_route", None)
        if route is not None and "X-RateLimit-Reset-After" in headers:
            with contextlib.suppress(ValueError):
                now, reset_after = time.monotonic(), float(headers["X-RateLimit-Reset-After"])
                remaining = max(int(headers.get("X-RateLimit-Remaining", "0")), 0)
                # Spread the window's remaining requests over what is left of it, rather than in a burst
                # that takes the global slots other channels need to open their windows.
                not_before[route] = now + reset_after / (remaining + 1)
                if len(not_before) > ROUTES_KEPT:  # card edits make a route per message: forget the past ones
                    for key in [k for k, t in not_before.items() if t <= now]:
                        del not_before[key]
        await finished(context, global_retry_after(params.response))

    async def on_request_exception(
        session: object, context: Any, params: aiohttp.TraceRequestExceptionParams
    ) -> None:
        await finished(context)

    trace.on_request_start.append(on_request_start)
    trace.on_request_end.append(on_request_end)
    trace.on_request_exception.append(on_request_exception)
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


def _by_target(rows: list[Delivery]) -> dict[tuple[TargetKind, int], list[Delivery]]:
    by_target: dict[tuple[TargetKind, int], list[Delivery]] = {}
    for delivery in rows:
        by_target.setdefault((delivery.target_kind, delivery.target_id), []).append(delivery)
    return by_target


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
        self.last_targets: list[tuple[TargetKind, int]] = []  # the last drain's targets: claimed again first
        self.shared_budget: SharedBudget | None = None  # what paces the client's requests (see paced_trace)
        self._guilds: dict[int, tuple[float, discord.Guild | None]] = {}
        self._guild_locks: dict[int, asyncio.Lock] = {}

    async def drain(
        self, limit: int = 500, *, stop: asyncio.Event | None = None, until: float | None = None
    ) -> Counter[str]:
        """Send what is due, one task per target, without rounds: whenever a target's claimed rows are
        settled (and every ``CLAIM_EVERY_S`` besides, for new work), its next rows or, within this
        deliverer's share, other targets are claimed at once, so a channel waiting out its per-route
        window (discord.py sleeps after the request that used a window's last message) holds up nothing
        but itself. Within a target the rows go in id order, so a case card still precedes its updates.

        Claiming stops after ``limit`` rows, once ``stop`` is set, or at ``until`` (``time.monotonic``);
        then it returns when the rows in hand are settled. A target found unusable is not claimed again
        in the same drain."""
        stats: Counter[str] = Counter()
        async with self._lock:
            self._dead, self._forums = set(), {}
            active: dict[asyncio.Task[Counter[str]], list[Delivery]] = {}
            claimed = 0
            touched: dict[tuple[TargetKind, int], None] = dict.fromkeys(self.last_targets)
            failure: BaseException | None = None

            def claiming() -> bool:
                return (
                    failure is None
                    and claimed < limit
                    and not (stop is not None and stop.is_set())
                    and not (until is not None and time.monotonic() >= until)
                )

            try:
                while True:
                    if claiming():
                        rows = await self._claim(min(self.batch, limit - claimed), list(touched), len(active))
                        claimed += len(rows)
                        for target, target_rows in _by_target(rows).items():
                            touched[target] = None
                            active[asyncio.ensure_future(self._to_target(target_rows))] = target_rows
                    if not active:
                        break
                    done, _ = await asyncio.wait(active, timeout=CLAIM_EVERY_S, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        rows = active.pop(task)
                        await self._done(rows)
                        if task.exception() is not None:
                            failure = failure or task.exception()
                        else:
                            stats.update(task.result())
            finally:
                if active:  # cancelled: let the sends in flight settle, then free their rows
                    await asyncio.gather(*active, return_exceptions=True)
                    await self._done([d for rows in active.values() for d in rows])
            # The channels whose per-route buckets this process's discord.py knows: asked for first.
            self.last_targets = list(touched)[-LAST_TARGETS_KEPT:]
            if failure is not None:
                raise failure
        if stats:
            log.info("outbox drained: %s", dict(stats))
        return stats

    async def _claim(self, limit: int, prefer: list[tuple[TargetKind, int]], holding: int) -> list[Delivery]:
        rows = await self.leases.claim_deliveries(
            self.owner,
            limit,
            self.lease_s,
            self.clock(),
            target_kinds=(TargetKind.CHANNEL, TargetKind.USER),
            prefer=prefer,
            holding=holding,
            exclude=sorted(self._dead),
        )
        self.held.update(d.id for d in rows)
        return rows

    async def _due(self, limit: int) -> list[Delivery]:
        return await self._claim(limit, self.last_targets, 0)

    async def _done(self, rows: list[Delivery]) -> None:
        ids = [d.id for d in rows]
        self.held.difference_update(ids)
        try:
            await self.leases.release_deliveries(self.owner, ids)
        except Exception:  # they expire by themselves; the rows' states are already written
            log.warning("could not release %d outbox leases; they expire by themselves", len(ids), exc_info=True)

    async def renew(self) -> None:
        await self.leases.join(self.owner, self.lease_s)
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

    async def _current_forum(self, forum: discord.ForumChannel) -> discord.ForumChannel:
        """The forum read again over REST (another deliverer may have made tags since this one cached
        it), kept in the cached guild."""
        data: Any = await self.client.http.get_channel(forum.id)
        fresh = discord.ForumChannel(state=self.client._connection, guild=forum.guild, data=data)
        forum.guild._add_channel(fresh)
        return fresh

    def _forum_edited(self, edited: discord.ForumChannel) -> discord.ForumChannel:
        """No gateway update will come: the cached guild keeps the edited forum for later drains."""
        edited.guild._add_channel(edited)
        return super()._forum_edited(edited)

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
        await budget.setup()
        owner = owner or worker_id("deliver")
        await leases.join(owner, lease_s)
        try:
            async with rest_client(settings.discord_token, budget) as client:
                publisher = RestPublisher(client, store, leases, owner, lease_s=lease_s, public_url=settings.public_url)
                publisher.shared_budget = budget
                yield publisher
        finally:
            with contextlib.suppress(Exception):  # else it drops out of the count after lease_s
                await leases.leave(owner)


async def deliver_loop(
    publisher: RestPublisher,
    stop: asyncio.Event,
    *,
    idle_s: float = IDLE_S,
    maintenance_every_s: float | None = MAINTENANCE_EVERY_S,
) -> None:
    """Drain until ``stop`` is set (the rows in hand are settled first); an empty outbox is looked at
    again every ``idle_s``. Every ``maintenance_every_s`` it offers to run the periodic jobs (digests,
    disabled-feed notices), which one process per period across all of them actually runs
    (:mod:`bot.workers.periodic`)."""
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
            try:  # one drain until the next periodic jobs (or until idle): no pause between rounds
                until = next_maintenance if maintenance_every_s is not None else None
                sent = await publisher.drain(DRAIN_LIMIT, stop=stop, until=until)
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

