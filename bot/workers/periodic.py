"""Periodic jobs that must run once per period across every process sharing a database, not once per
process: digests whose period is over, notices about disabled feeds (``maintenance``).

Each run first records its period's key (``job_runs``, ``INSERT ... ON CONFLICT DO NOTHING``); only the
process whose insert landed runs the job, the others skip it. No leader is elected and none is needed:
any process may run any period. A process that dies during its run loses that period's run; the next
period catches up (both jobs work from what the database holds, and their outbox rows are deduplicated).
On SQLite one process owns the file, so the job simply runs.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.clock import utcnow
from bot.delivery.jobs import compile_digests, notify_disabled_feeds

if TYPE_CHECKING:
    from storage import AnyStore

log = logging.getLogger(__name__)

MAINTENANCE_EVERY_S = 300.0
KEEP_RUNS_S = 7 * 86400  # job_runs rows older than this are deleted by the job itself


def period_key(now: datetime, every_s: float) -> str:
    """The start of the period ``now`` falls in (periods aligned to the Unix epoch), as ISO text."""
    start = int(now.timestamp() // every_s * every_s)
    return datetime.fromtimestamp(start, UTC).isoformat()


async def once_per_period(store: AnyStore, job: str, every_s: float, owner: str, now: datetime | None = None) -> bool:
    """Whether this caller runs ``job`` for the current period (True for exactly one caller per period)."""
    from storage.postgres.store import PostgresStore

    if not isinstance(store, PostgresStore):
        return True
    from storage.postgres.leases import Leases

    return await Leases(store.db).run_once(job, period_key(now or utcnow(), every_s), owner)


async def maintenance(
    store: AnyStore, owner: str, every_s: float = MAINTENANCE_EVERY_S, now: datetime | None = None
) -> bool:
    """Digests and disabled-feed notices, once per period across processes; True when this call ran them."""
    now = now or utcnow()
    if not await once_per_period(store, "maintenance", every_s, owner, now):
        return False
    made = await compile_digests(store, now)
    notices = await notify_disabled_feeds(store)
    if made or notices:
        log.info("maintenance (%s): %d digest messages, %d notices", owner, made, notices)
    from storage.postgres.store import PostgresStore

    if isinstance(store, PostgresStore):
        old = period_key(datetime.fromtimestamp(now.timestamp() - KEEP_RUNS_S, UTC), every_s)
        await store.db.execute("DELETE FROM job_runs WHERE period < $1", old)
    return True
