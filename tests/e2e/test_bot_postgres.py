"""The bot end to end with its store on PostgreSQL (``CASEWATCH_DATABASE_URL``, a fresh schema per test).

Every test of test_bot_delivery.py (outbox claim and send through the fake Discord: cards, status updates,
follower DMs, 429 / 403 handling, a restart mid-delivery, digests, notices) and test_bot_commands.py (the
slash commands: settings, follows, search and autocomplete, feeds) and test_forum.py (forum posts) runs here again, unchanged, with the
``world`` fixture built over PostgreSQL: the cogs, the publisher and the jobs only see the Store protocol.
Skipped with the reason when no PostgreSQL server is available (failing under CASEWATCH_PG_TESTS=required).
"""

from __future__ import annotations

import pytest

from tests.e2e.botworld import world_fixture  # noqa: F401 (the fixture, built over world_backend)
from tests.e2e.test_bot_commands import *  # noqa: F403 (re-collected here: the same tests on PostgreSQL)
from tests.e2e.test_bot_delivery import *  # noqa: F403
from tests.e2e.test_forum import *  # noqa: F403 (forum channel mode: posts, tags, restarts)


@pytest.fixture
def world_backend() -> str:
    return "postgres"


async def test_the_world_here_runs_on_postgresql(world: World) -> None:  # noqa: F405 (World, star-imported)
    from storage.postgres.store import PostgresStore

    assert isinstance(world.store, PostgresStore) and world.settings.database_url
    assert await world.store.cases.ping()
