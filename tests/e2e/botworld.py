"""Shared setup for the casewatch bot's end-to-end tests: the real CasewatchBot against FakeDiscord.

Jobs do not run on a timer here: tests call ``bot.pipeline`` and ``bot.publisher.drain()`` themselves,
so every step is deterministic. Feeds are served by a local aiohttp server on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import CasewatchBot
from bot.config import Settings
from bot.models import Feed
from tests.fakediscord import FakeDiscord
from tests.fakediscord.client import running_bot
from tests.fakediscord.state import FakeChannel, FakeGuild, FakeMember
from tests.feedxml import START, SUMMONS, WITHDRAWN, item, rss  # noqa: F401 (re-exported for other tests)
from tests.storage_backends import fresh_schema

FOLLOWUP = item(
    "s3",
    "Twitter lawsuit over @ALT_uscis summons draws support from civil liberties groups",
    "Civil liberties groups backed Twitter's lawsuit against the Customs and Border Protection summons "
    "over the @ALT_uscis account.",
    when=START + timedelta(hours=6),
)
REDDIT = item(
    "r1",
    "Reddit fights subpoena seeking names of users in film piracy case @everyone <@&123>",
    "Reddit asked a federal judge to quash a subpoena from film studios that want the identities of users. "
    "@here see [click](javascript:alert(1))",
    when=START + timedelta(hours=1),
)
NOISE = item("n1", "Local bakery wins award for sourdough", "The bakery on Main Street was honoured.")


@dataclass
class World:
    fake: FakeDiscord
    guild: FakeGuild
    alerts: FakeChannel
    general: FakeChannel
    admin: FakeMember
    member: FakeMember
    bot: CasewatchBot
    settings: Settings

    @property
    def store(self) -> Any:
        return self.bot.store

    async def slash(
        self,
        command: str,
        options: dict[str, Any] | None = None,
        *,
        by: FakeMember | None = None,
        channel: FakeChannel | None = None,
    ) -> Any:
        handle = await self.fake.invoke_slash(
            self.guild, channel or self.general, by or self.admin, command, options
        )
        return await handle.response()

    async def ingest(self, body: bytes, url: str = "https://news.example.org/feed.xml") -> Feed:
        feed = await self.store.feeds.get_by_url(url)
        if feed is None:
            feed, _ = await self.store.feeds.add(url)
        await self.bot.pipeline.ingest_body(feed, body)
        return await self.store.feeds.get(feed.id)


def bot_settings(tmp_path: Path, fake: FakeDiscord, **extra: Any) -> Settings:
    base = Settings(
        discord_token=fake.token,
        db_path=tmp_path / "bot.db",
        parser_workers=0,
        alert_on_first_poll=True,
        allow_private_feeds=True,
        min_interval_s=30,
    )
    return replace(base, **extra)


@pytest.fixture(name="world")
async def world_fixture(
    fake_discord: FakeDiscord, tmp_path: Path, world_backend: str, request: pytest.FixtureRequest
) -> AsyncIterator[World]:
    """The bot over SQLite, or over PostgreSQL (a fresh schema) where a module sets ``world_backend``."""
    if world_backend == "postgres":
        async with fresh_schema(request.getfixturevalue("pg_url")) as url:
            async for world in _world(fake_discord, bot_settings(tmp_path, fake_discord, database_url=url)):
                yield world
        return
    async for world in _world(fake_discord, bot_settings(tmp_path, fake_discord)):
        yield world


async def _world(fake: FakeDiscord, settings: Settings) -> AsyncIterator[World]:
    guild = fake.add_guild("Newsroom")
    alerts = fake.add_text_channel(guild, "alerts")
    general = fake.add_text_channel(guild, "general")
    admin = fake.add_member(guild, "mod", permissions=["manage_guild"])
    member = fake.add_member(guild, "reader")
    bot = CasewatchBot(settings, run_jobs=False, guild_ready_timeout=0.05)
    async with running_bot(bot, fake):
        await bot.tree.sync()
        yield World(fake, guild, alerts, general, admin, member, bot, settings)
