"""Point the real discord.py at a FakeDiscord and run a bot against it without hanging on failure."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import TypeVar

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from .server import FakeDiscord

ClientT = TypeVar("ClientT", bound=discord.Client)


@contextlib.contextmanager
def discord_pointed_at(fake: FakeDiscord) -> Iterator[None]:
    """Patch the two class attributes that decide where discord.py connects; restore them on exit."""
    old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = fake.api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway


async def _until_ready(client: discord.Client) -> None:
    # wait_until_ready() raises before login has created its event, so poll the public flag instead.
    while not client.is_ready():
        await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def running_bot(
    client: ClientT, fake: FakeDiscord, *, token: str | None = None, ready_timeout: float = 5.0
) -> AsyncIterator[ClientT]:
    """Start `client.start(token)` as a task, wait for on_ready while racing the task, close on exit.

    A failed login or gateway rejection raises here instead of leaving the test waiting forever.
    """
    start = asyncio.create_task(client.start(token or fake.token), name="fake-discord-bot")
    ready = asyncio.create_task(_until_ready(client))
    try:
        done, _ = await asyncio.wait(
            {start, ready}, timeout=ready_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if start in done:
            start.result()
            raise RuntimeError("bot.start() returned before the bot became ready")
        if ready not in done:
            raise TimeoutError(f"bot not ready within {ready_timeout}s")
        yield client
    finally:
        ready.cancel()
        if not client.is_closed():
            await client.close()
        if not start.done():
            try:
                await asyncio.wait_for(start, 5.0)
            except (asyncio.CancelledError, TimeoutError):
                start.cancel()
        elif not start.cancelled():
            start.exception()  # retrieved so asyncio does not log "exception was never retrieved"
