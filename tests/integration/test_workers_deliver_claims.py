"""What deliverers share on a real PostgreSQL server (``storage/postgres/leases.py``): Discord's global
request budget as slots.

Several claimers in one test are separate stores (separate connection pools), as separate processes would
be; ``tests/e2e/test_workers_deliver.py`` runs deliverers against the fake Discord and
``tests/e2e/test_workers_crash.py`` kills them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage.postgres.leases import Leases, RequestSlot
from storage.postgres.store import PostgresStore


@pytest.fixture
async def pg_store(pg_schema_url: str) -> AsyncIterator[PostgresStore]:
    async with await PostgresStore.open(pg_schema_url) as store:
        yield store


# --- the global request budget ----------------------------------------------------------------------------


async def test_request_slots_are_held_until_a_window_after_the_answer(pg_store: PostgresStore) -> None:
    leases = Leases(pg_store.db)
    await leases.ensure_request_slots("bot", 3)
    await leases.ensure_request_slots("bot", 3)  # idempotent
    taken = [await leases.take_request_slot("bot", 3, 60) for _ in range(3)]
    assert all(isinstance(t, RequestSlot) for t in taken) and {t.slot for t in taken} == {0, 1, 2}  # type: ignore[union-attr]
    wait = await leases.take_request_slot("bot", 3, 60)
    assert isinstance(wait, float) and wait > 30  # all three in flight: free at the end of their hold
    first = taken[0]
    assert isinstance(first, RequestSlot)
    assert await leases.give_back_request_slot("bot", first, 5)  # answered: free 5 s (the window) from now
    wait = await leases.take_request_slot("bot", 3, 60)
    assert isinstance(wait, float) and 0 < wait <= 5
    await pg_store.db.execute("UPDATE request_slots SET until = now() - interval '1 second' WHERE slot = $1", first.slot)
    again = await leases.take_request_slot("bot", 3, 60)
    assert isinstance(again, RequestSlot) and again.slot == first.slot and again.ticket > first.ticket
    # The first taker's late give-back must not free the slot its new holder has in flight.
    assert not await leases.give_back_request_slot("bot", first, 0.0)
    assert isinstance(await leases.take_request_slot("bot", 3, 60), float)
    assert isinstance(await leases.take_request_slot("bot", 2, 60), float)  # fewer slots count at once
    with pytest.raises(LookupError):
        await leases.take_request_slot("no-such-bot", 3, 60)


async def test_a_global_429_blocks_every_slot(pg_store: PostgresStore, pg_schema_url: str) -> None:
    leases = Leases(pg_store.db)
    await leases.ensure_request_slots("bot", 5)
    await leases.ensure_request_slots("other", 5)
    await leases.block_requests("bot", 30)
    async with await PostgresStore.open(pg_schema_url) as other:  # another deliverer sees it too
        wait = await Leases(other.db).take_request_slot("bot", 5, 60)
        assert isinstance(wait, float) and 25 < wait <= 30
        assert isinstance(await Leases(other.db).take_request_slot("other", 5, 60), RequestSlot)  # another bot's
    await leases.block_requests("bot", 1)  # a shorter block does not shorten a longer one
    wait = await leases.take_request_slot("bot", 5, 60)
    assert isinstance(wait, float) and wait > 25
