"""What deliverers share on a real PostgreSQL server (``storage/postgres/leases.py``): claims of whole
outbox targets, each deliverer's share of them, and Discord's global request budget as slots.

Several claimers in one test are separate stores (separate connection pools), as separate processes would
be; ``tests/e2e/test_workers_deliver.py`` runs deliverers against the fake Discord and
``tests/e2e/test_workers_crash.py`` kills them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.clock import utcnow
from bot.models import Delivery, DeliveryIntent, DeliveryKind, TargetKind
from storage.postgres.leases import Leases, RequestSlot
from storage.postgres.store import PostgresStore

CHANNEL = TargetKind.CHANNEL


@pytest.fixture
async def pg_store(pg_schema_url: str) -> AsyncIterator[PostgresStore]:
    async with await PostgresStore.open(pg_schema_url) as store:
        yield store


async def rows_to(store: PostgresStore, targets: list[int], per_target: int) -> None:
    """``per_target`` rows to each target, interleaved (row ids go round the targets)."""
    async with store.transaction():
        for n in range(per_target):
            for target in targets:
                intent = DeliveryIntent(
                    kind=DeliveryKind.DIGEST, target_kind=CHANNEL, target_id=target, dedupe_key=f"{target}:{n}"
                )
                await store.outbox.enqueue([intent], payload={"message": {"content": f"{target}:{n}"}})


def targets_of(rows: list[Delivery]) -> set[int]:
    return {d.target_id for d in rows}


# --- claims of whole targets ------------------------------------------------------------------------------


async def test_claims_take_whole_targets_and_a_share_each(pg_store: PostgresStore, pg_schema_url: str) -> None:
    await rows_to(pg_store, [1, 2, 3, 4], 3)
    async with await PostgresStore.open(pg_schema_url) as other:
        a, b = Leases(pg_store.db), Leases(other.db)
        await a.join("a", 30)
        await b.join("b", 30)
        first = await a.claim_deliveries("a", 100, 30, utcnow())
        second = await b.claim_deliveries("b", 100, 30, utcnow())
    # Two live deliverers, four targets with work: two targets each, every row of them, in id order.
    assert targets_of(first) == {1, 2} and targets_of(second) == {3, 4}
    assert [d.id for d in first] == sorted(d.id for d in first) and len(first) == len(second) == 6
    assert await Leases(pg_store.db).claim_deliveries("c", 100, 30, utcnow()) == []  # all four are held


async def test_a_target_with_any_row_under_a_live_lease_is_not_claimed(pg_store: PostgresStore) -> None:
    leases = Leases(pg_store.db)
    await rows_to(pg_store, [1], 3)
    held = await leases.claim_deliveries("a", 1, 30, utcnow())  # only the first row of the target
    assert len(held) == 1
    # Its later rows are not leased by anyone, but the target is a's until that lease ends: an update
    # must not overtake its card on another deliverer.
    assert await leases.claim_deliveries("b", 100, 30, utcnow()) == []
    # A row that is not due yet (a retry backing off) still holds its target while its lease runs.
    await pg_store.db.execute("UPDATE deliveries SET next_attempt_at = '9999' WHERE id = $1", held[0].id)
    assert await leases.claim_deliveries("b", 100, 30, utcnow()) == []
    await leases.release_deliveries("a", [held[0].id])
    assert [d.id for d in await leases.claim_deliveries("b", 100, 30, utcnow())] == [held[0].id + 1, held[0].id + 2]
    await pg_store.db.execute("UPDATE deliveries SET lease_until = now() - interval '1 second'")
    assert len(await leases.claim_deliveries("c", 100, 30, utcnow())) == 2  # an expired lease frees it


async def test_claims_cap_rows_per_target_prefer_the_last_targets_and_count_what_is_held(
    pg_store: PostgresStore,
) -> None:
    leases = Leases(pg_store.db)
    await rows_to(pg_store, [1, 2, 3, 4], 4)
    got = await leases.claim_deliveries("a", 100, 30, utcnow(), per_target=3, prefer=[(CHANNEL, 3)], holding=2)
    # Alone, its share is all four targets; it still sends to two (holding), so it takes two more: the
    # preferred one first, then the one with the oldest row; three rows of each.
    assert targets_of(got) == {3, 1} and len(got) == 6
    await leases.release_deliveries("a", [d.id for d in got])
    got = await leases.claim_deliveries("a", 5, 30, utcnow())  # at most `limit` rows in all, in id order
    assert len(got) == 5 and [d.id for d in got] == sorted(d.id for d in got)
    await leases.release_deliveries("a", [d.id for d in got])
    got = await leases.claim_deliveries("a", 100, 30, utcnow(), exclude=[(CHANNEL, 1), (CHANNEL, 3)])
    assert targets_of(got) == {2, 4}  # targets found unusable in this drain are left alone


async def test_the_share_follows_who_is_delivering(pg_store: PostgresStore, pg_schema_url: str) -> None:
    leases = Leases(pg_store.db)
    await rows_to(pg_store, list(range(1, 7)), 1)
    for owner in ("b", "c"):
        await leases.join(owner, 30)
    assert len(await leases.claim_deliveries("a", 100, 30, utcnow())) == 2  # six targets, three deliverers
    await leases.leave("c")
    await pg_store.db.execute("UPDATE deliverers SET until = now() - interval '1 second' WHERE owner = 'b'")
    assert len(await leases.claim_deliveries("a", 100, 30, utcnow())) == 4  # the rest: b's presence ran out


async def test_a_target_whose_next_row_is_locked_waits_rather_than_skipping_it(
    pg_store: PostgresStore, pg_schema_url: str
) -> None:
    await rows_to(pg_store, [1, 2], 2)
    first = int(await pg_store.db.fetchval("SELECT MIN(id) FROM deliveries WHERE target_id = 1"))
    async with await PostgresStore.open(pg_schema_url) as other, other.db.pool.acquire() as raw, raw.transaction():
        await raw.execute("SELECT id FROM deliveries WHERE id = $1 FOR UPDATE", first)  # a concurrent writer
        got = await Leases(pg_store.db).claim_deliveries("a", 100, 30, utcnow())
    assert targets_of(got) == {2}  # target 1's second row must not go before its first


async def test_two_claimers_at_once_never_share_a_target(pg_store: PostgresStore, pg_schema_url: str) -> None:
    await rows_to(pg_store, list(range(1, 21)), 3)
    async with await PostgresStore.open(pg_schema_url) as other:
        claimers = [Leases(pg_store.db), Leases(other.db)] * 2
        for i, lease in enumerate(claimers):
            await lease.join(f"o{i}", 30)
        claims = await asyncio.gather(*(lease.claim_deliveries(f"o{i}", 100, 30, utcnow()) for i, lease in enumerate(claimers)))
    owners_of: dict[int, set[int]] = {}
    for i, claim in enumerate(claims):
        for d in claim:
            owners_of.setdefault(d.target_id, set()).add(i)
    assert all(len(owners) == 1 for owners in owners_of.values()), owners_of
    assert sorted(len(targets_of(c)) for c in claims) == [5, 5, 5, 5]  # a share each
    assert sum(len(c) for c in claims) == 60


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
