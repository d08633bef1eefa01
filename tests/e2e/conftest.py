"""Fixtures for end-to-end tests: a started FakeDiscord with discord.py pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakediscord import FakeDiscord
from tests.fakediscord.client import discord_pointed_at


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A fresh fake per test (port 0), with Route.BASE / DEFAULT_GATEWAY patched for the test's duration."""
    async with FakeDiscord() as fake:
        with discord_pointed_at(fake):
            yield fake


@pytest.fixture
def world_backend() -> str:
    """The store behind ``world`` (tests/e2e/botworld.py): SQLite, unless a module overrides this."""
    return "sqlite"
