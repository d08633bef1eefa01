"""The Discord bot: the composition root that owns the database, the HTTP session and the scheduler.

``CasewatchBot`` is an ``AutoShardedBot`` (one shard unless Discord recommends more) that needs no
privileged intents: slash commands and buttons arrive as interactions, and it only reads guild and
channel state. Everything is opened in ``setup_hook`` and closed in ``close``. The command tree is only
synced on purpose (``casewatch sync [--guild ID]`` or ``/owner sync``), never on every start.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from discord.ext import commands

from bot.cli import CommandFailed
from bot.config import Settings
from bot.delivery.publisher import DiscordPublisher
from bot.docket.client import CourtListenerClient
from bot.docket.service import DocketService
from bot.docket.settings import NO_TOKEN
from bot.feeds.fetcher import Fetcher
from bot.feeds.netguard import UrlGuard
from bot.feeds.parser import ParserPool
from bot.feeds.routing import RoutedFetcher
from bot.pipeline import Pipeline, PipelineOptions
from bot.runtime import fetch_limits, parser_pool, poll_policy, warm_up
from bot.scheduler import Scheduler
from bot.web import WebServer, WebServerError
from bot.workers import worker_id
from bot.workers.periodic import MAINTENANCE_EVERY_S, maintenance, once_per_period
from storage import open_store

if TYPE_CHECKING:
    from storage import AnyStore

log = logging.getLogger(__name__)

COGS = ("cogs.errors", "cogs.alerts", "cogs.lookup", "cogs.subscriptions", "cogs.feeds", "cogs.owner")
MAINTENANCE_TICK_S = MAINTENANCE_EVERY_S
DOCKET_SWEEP_S = 600.0  # hand the lookup queue the cases with new reports (the client keeps the pace)
DOCKET_FILINGS_S = 6 * 3600.0  # fetch linked dockets for new filings: 40 requests, within an hour's 50


def intents() -> discord.Intents:
    """Guild and channel state only: no members, presences or message content (all privileged)."""
    chosen = discord.Intents.none()
    chosen.guilds = True
    return chosen


class CasewatchBot(commands.AutoShardedBot):
    store: AnyStore
    parser: ParserPool
    fetcher: RoutedFetcher
    pipeline: Pipeline
    publisher: DiscordPublisher
    docket: DocketService

    def __init__(
        self,
        settings: Settings,
        *,
        run_jobs: bool = True,
        open_services: bool = True,
        periodic_jobs: bool = False,
        **options: Any,
    ) -> None:
        """``run_jobs``: poll, deliver and the periodic jobs (the all-in-one bot); else, with
        ``periodic_jobs``, the periodic jobs only (a shard process that was asked for them)."""
        # casewatch never joins voice: the "PyNaCl / davey is not installed" warnings mean nothing here.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        options.setdefault("shard_count", None)
        super().__init__(
            command_prefix=commands.when_mentioned,  # unused: no message content intent, slash commands only
            intents=intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            chunk_guilds_at_startup=False,
            **options,
        )
        self.settings = settings
        self.run_jobs = run_jobs
        self.periodic_jobs = periodic_jobs
        self.open_services = open_services
        self.guard = UrlGuard(
            allow_private=settings.allow_private_feeds, allowed_hosts=settings.allowed_feed_hosts
        )
        self.scheduler: Scheduler | None = None
        self.job_owner = worker_id("bot")  # names this process in job_runs (periodic jobs)
        self.web: WebServer | None = None  # the read-only web view, when CASEWATCH_WEB_PORT is set
        self._web_store: AnyStore | None = None
        self._services_open = False

    async def setup_hook(self) -> None:
        if self.open_services:
            await self._open_services()
        for name in COGS:
            await self.load_extension(name)
        if self.run_jobs and self._services_open:
            self.scheduler = Scheduler(
                poll=self.pipeline.poll_due,
                deliver=self.deliver,
                deliver_tick_s=self.settings.delivery_interval_s,
                extra={"maintenance": (self.maintenance, MAINTENANCE_TICK_S), **self._docket_jobs()},
            )
            self.scheduler.start()
        elif self.periodic_jobs and self._services_open:
            self.scheduler = Scheduler(
                poll=self.maintenance, poll_tick_s=MAINTENANCE_TICK_S, extra=self._docket_jobs()
            )
            self.scheduler.start()

    async def _open_services(self) -> None:
        s = self.settings
        self.store = await open_store(s)
        await warm_up(self.store)  # detection index, grouping caches (~0.2 s at 100k cases)
        self.parser = parser_pool(s)
        limits = fetch_limits(s)
        self.fetcher = RoutedFetcher(self.store, Fetcher(limits), Fetcher(limits, guard=self.guard))
        options = PipelineOptions(alert_on_first_poll=s.alert_on_first_poll, policy=poll_policy(s))
        self.pipeline = Pipeline(self.store, self.parser, self.fetcher, options)  # type: ignore[arg-type]
        self.publisher = DiscordPublisher(self, self.store, public_url=s.public_url)
        self.docket = DocketService(self.store, CourtListenerClient(s.courtlistener))
        self._services_open = True
        if s.web_port is not None:
            await self._start_web()

    async def _start_web(self) -> None:
        """The web view on its own read connection (under WAL it never sees a poll's uncommitted rows
        and never waits on the write lock); a port already taken stops the start in one line."""
        s = self.settings
        assert s.web_port is not None
        self._web_store = await open_store(s, read_only=True)
        self.web = WebServer(self._web_store, s.web_host, s.web_port, token=s.web_token, public_url=s.public_url)
        try:
            await self.web.start()
        except WebServerError as exc:
            self.web = None
            await self._web_store.close()
            self._web_store = None
            raise CommandFailed(str(exc)) from None
        log.info("web view on %s", self.web.url)

    async def deliver(self) -> None:
        """The delivery job: nothing is sent before the gateway is ready (the cache answers permissions)."""
        if self.is_ready():
            await self.publisher.drain()

    def _docket_jobs(self) -> dict[str, tuple[Any, float]]:
        """The docket sweep and the new-filing check, when COURTLISTENER_TOKEN is set."""
        if not self.docket.enabled:
            log.info("%s", NO_TOKEN)
            return {}
        self.docket.start()
        return {
            "docket-sweep": (self._docket_sweep, DOCKET_SWEEP_S),
            "docket-filings": (self._docket_filings, DOCKET_FILINGS_S),
        }

    async def _docket_sweep(self) -> None:
        """Once per period across the processes sharing the database (bot.workers.periodic)."""
        if await once_per_period(self.store, "docket-sweep", DOCKET_SWEEP_S, self.job_owner):
            await self.docket.sweep()

    async def _docket_filings(self) -> None:
        if await once_per_period(self.store, "docket-filings", DOCKET_FILINGS_S, self.job_owner):
            await self.docket.check_filings()

    async def maintenance(self) -> None:
        """Digests whose period is over, and notices about feeds that got disabled: once per period
        across every process sharing the database (bot.workers.periodic)."""
        await maintenance(self.store, self.job_owner, MAINTENANCE_TICK_S)

    async def close(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.shutdown()
        await super().close()
        if self._services_open:
            self._services_open = False
            # Let a delivery in flight finish its bookkeeping before the database goes away.
            try:
                async with asyncio.timeout(10):
                    await self.publisher.wait_idle()
            except TimeoutError:
                log.warning("a delivery was still running at shutdown; it will be retried (nonce-deduped)")
            if self.web is not None:
                await self.web.stop()
                self.web = None
            if self._web_store is not None:
                await self._web_store.close()
                self._web_store = None
            await self.docket.stop()
            await self.fetcher.close()
            await self.parser.close()
            await self.store.close()


async def run_bot(
    settings: Settings, *, shard_ids: list[int] | None = None, shard_count: int | None = None, jobs: bool = False
) -> int:
    """Log in and run until interrupted (``casewatch run`` with DISCORD_TOKEN set).

    With ``shard_ids`` it is a gateway process for those shards of ``shard_count``: Discord sends it the
    events and interactions of its guilds only, and it runs no poll or delivery job (the workers do);
    ``jobs`` adds the periodic jobs, which run once per period across processes anyway.

    Once connected, discord.py reconnects by itself (with backoff) through network trouble; a failure
    to connect at start is reported in one line and ends the process (a service manager restarts it)."""
    assert settings.discord_token
    with discord_errors("run the bot"):
        if shard_ids is None:
            bot = CasewatchBot(settings)
        else:
            bot = CasewatchBot(
                settings, run_jobs=False, periodic_jobs=jobs, shard_ids=shard_ids, shard_count=shard_count
            )
        async with bot:
            await bot.start(settings.discord_token)
    return 0


async def sync_commands(settings: Settings, guild_id: int | None) -> int:
    """Push the command tree to Discord: to one guild (instant, for development) or globally."""
    assert settings.discord_token
    with discord_errors("sync the commands"):
        bot = CasewatchBot(settings, run_jobs=False, open_services=False)
        async with bot:
            await bot.login(settings.discord_token)  # runs setup_hook, which loads the cogs
            synced = await sync_tree(bot, guild_id)
    where = f"guild {guild_id}" if guild_id else "every guild (global; may take up to an hour to show)"
    print(f"synced {len(synced)} commands to {where}")
    return 0


@contextmanager
def discord_errors(doing: str) -> Iterator[None]:
    """Discord and network failures as one line (:class:`CommandFailed`, exit status 1)."""
    try:
        yield
    except discord.LoginFailure:
        raise CommandFailed(
            "Discord rejected DISCORD_TOKEN (improper token): copy the bot token again from the developer portal"
        ) from None
    except discord.PrivilegedIntentsRequired:
        raise CommandFailed("Discord refused the gateway intents casewatch asked for") from None
    except discord.Forbidden as exc:
        raise CommandFailed(f"Discord refused to {doing}: {exc.text or exc.status}") from None
    except discord.HTTPException as exc:
        raise CommandFailed(
            f"Discord answered HTTP {exc.status} when casewatch tried to {doing}; try again later"
        ) from None
    except (aiohttp.ClientConnectorError, discord.GatewayNotFound, discord.ConnectionClosed) as exc:
        raise CommandFailed(f"could not reach Discord to {doing} ({_network_reason(exc)}); check the network") from None
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise CommandFailed(f"could not reach Discord to {doing} ({_network_reason(exc)}); check the network") from None


def _network_reason(exc: BaseException) -> str:
    if isinstance(exc, aiohttp.ClientConnectorError) and isinstance(exc.os_error, socket.gaierror):
        return f"cannot resolve {exc.host}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect to {exc.host}:{exc.port}: {exc.os_error.strerror or exc.os_error}"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__


async def sync_tree(
    bot: commands.Bot | commands.AutoShardedBot, guild_id: int | None
) -> list[discord.app_commands.AppCommand]:
    if guild_id is None:
        return await bot.tree.sync()
    guild = discord.Object(guild_id)
    bot.tree.copy_global_to(guild=guild)
    return await bot.tree.sync(guild=guild)
