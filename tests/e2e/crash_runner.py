"""Run the real casewatch bot in a subprocess against a FakeDiscord served by the test process.

``python -m tests.e2e.crash_runner`` runs ``CasewatchBot`` until it is killed (crash tests SIGKILL it);
``python -m tests.e2e.crash_runner cli run`` runs the real command line (``casewatch run``) instead, so
settings, logging and the token take exactly the production path (the secrets test). The fake's state
lives in the test process, so it survives the bot's death as Discord would.

Environment (besides the product's own ``DISCORD_TOKEN``, ``CASEWATCH_DB``, ``CASEWATCH_LOG_LEVEL`` ...):

- ``CASEWATCH_TEST_API_BASE``: what ``discord.http.Route.BASE`` becomes (``FakeDiscord.api_base``)
- ``CASEWATCH_TEST_GATEWAY``: the gateway URL (``FakeDiscord.gateway_url``)
- ``CASEWATCH_TEST_POLL_TICK``: seconds between poll ticks (production: 30); default 0.25
- ``CASEWATCH_TEST_FAST``: ``1`` (default) uses 1-2 s feed intervals and a 0.1 s delivery tick in bot mode
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import sys
from dataclasses import replace

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

import bot.app as app_module
from bot.app import CasewatchBot
from bot.config import Settings, load_settings
from bot.scheduler import Scheduler

log = logging.getLogger(__name__)

READY_LINE = "crash-runner: ready"
STARTED_LINE = "crash-runner: started"


def point_discord_at_fake(environ: dict[str, str] | os._Environ[str]) -> None:
    """Patch the two class attributes that decide where discord.py connects (as ``discord_pointed_at``
    does in-process; that helper needs the FakeDiscord object, which lives in the test process)."""
    Route.BASE = environ["CASEWATCH_TEST_API_BASE"]
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(environ["CASEWATCH_TEST_GATEWAY"])


def speed_up_scheduler(poll_tick_s: float) -> None:
    """Production polls every 30 s; the crash test wants a feed change seen within a second."""
    app_module.Scheduler = functools.partial(Scheduler, poll_tick_s=poll_tick_s)  # type: ignore[misc]


def fast_settings(settings: Settings) -> Settings:
    return replace(
        settings,
        poll_interval_s=1,
        min_interval_s=1,
        max_interval_s=2,
        delivery_interval_s=0.1,
        parser_workers=0,
        alert_on_first_poll=True,
        allow_private_feeds=True,
        fetch_timeout_s=5.0,
    )


def announce_ready() -> None:
    """Print READY_LINE when the gateway is ready, in both modes (discord.py dispatches ``on_ready``)."""

    async def on_ready(self: CasewatchBot) -> None:
        print(READY_LINE, flush=True)

    CasewatchBot.on_ready = on_ready  # type: ignore[attr-defined]


async def run_bot_until_killed(settings: Settings) -> None:
    assert settings.discord_token, "DISCORD_TOKEN must be set"
    async with CasewatchBot(settings, guild_ready_timeout=0.05) as bot:
        await bot.start(settings.discord_token)


def main(argv: list[str]) -> int:
    point_discord_at_fake(os.environ)
    speed_up_scheduler(float(os.environ.get("CASEWATCH_TEST_POLL_TICK", "0.25")))
    announce_ready()
    print(STARTED_LINE, flush=True)
    if argv[:1] == ["cli"]:
        from bot.cli import main as cli_main

        return cli_main(argv[1:])
    settings = load_settings(env_file=None)
    if os.environ.get("CASEWATCH_TEST_FAST", "1") == "1":
        settings = fast_settings(settings)
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    asyncio.run(run_bot_until_killed(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
