"""Claims shared by worker processes on one PostgreSQL database (issue 13's process roles).

Every claim is one short autocommit statement on a pooled connection, outside :meth:`PgDatabase.transaction`
(so it never waits for the global write lock a poll holds): ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE
SKIP LOCKED) RETURNING``, with an expiry on the server's clock. Two workers never get the same row while
its lease runs (the row lock plus the re-checked ``lease_until`` decide), and a worker that dies simply
lets its leases expire. The work done under a lease is idempotent anyway (a poll dedupes by key, a send
carries its nonce), so a lease that runs out under a stalled worker costs a repeat, never a duplicate.

- feeds: :meth:`Leases.claim_feeds` / :meth:`extend_feeds` / :meth:`release_feeds`;
- per-host politeness: :meth:`claim_host_slot` / :meth:`release_host_slot` (N slots per host);
- the outbox: :meth:`claim_deliveries` (whole targets, a share each) / :meth:`extend_deliveries` /
  :meth:`release_deliveries`, and who delivers: :meth:`join` / :meth:`leave`;
- Discord's global request budget, as slots every process takes one of per request:
  :meth:`take_request_slot` / :meth:`give_back_request_slot` / :meth:`block_requests`;
- once per period: :meth:`run_once`.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.clock import to_iso
from bot.models import Delivery, Feed, TargetKind
from storage.codec import feed_from_row
from storage.postgres.database import PgDatabase, rowcount
from storage.repositories.outbox import _delivery_from_row

OUTBOX_CLAIM_LOCK_KEY = 0x6F757462  # "outb": deliverers claim outbox rows in turn
PER_TARGET_CLAIM = 10  # rows of one target per claim: two per-channel windows (5 messages / 5 s each)
_SECONDS = "make_interval(secs => $2::double precision)"


@dataclass(frozen=True)
class RequestSlot:
    """One taken slot of a shared request budget; ``ticket`` identifies this taking of it."""

    slot: int
    ticket: int


class Leases:
    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    # --- feeds ------------------------------------------------------------------------------------------

    async def claim_feeds(self, owner: str, limit: int, lease_s: float, now: datetime) -> builtins.list[Feed]:
        """Due feeds nobody holds, oldest due first (the same choice as ``FeedRepository.due``), leased to
        ``owner`` for ``lease_s`` seconds."""
        rows = await self.db.fetch(
            f"UPDATE feeds SET lease_owner = $1, lease_until = now() + {_SECONDS} WHERE id IN ("
            "SELECT id FROM feeds WHERE enabled AND url ILIKE 'http%' "
            "AND (next_due_at IS NULL OR next_due_at <= $3) AND (lease_until IS NULL OR lease_until < now()) "
            "ORDER BY next_due_at NULLS FIRST, id LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING *",
            owner,
            lease_s,
            to_iso(now),
            limit,
        )
        feeds = [feed_from_row(r) for r in rows]
        feeds.sort(key=lambda f: (f.next_due_at is not None, f.next_due_at or now, f.id))
        return feeds

    async def extend_feeds(self, owner: str, feed_ids: Sequence[int], lease_s: float) -> int:
        """Push the expiry of ``owner``'s leases on ``feed_ids`` (a heartbeat while polls run)."""
        if not feed_ids:
            return 0
        status = await self.db.execute(
            f"UPDATE feeds SET lease_until = now() + {_SECONDS} WHERE lease_owner = $1 AND id = ANY($3::bigint[])",
            owner,
            lease_s,
            list(feed_ids),
        )
        return rowcount(status)

    async def release_feeds(self, owner: str, feed_ids: Sequence[int]) -> int:
        if not feed_ids:
            return 0
        status = await self.db.execute(
            "UPDATE feeds SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1 AND id = ANY($2::bigint[])",
            owner,
            list(feed_ids),
        )
        return rowcount(status)

    # --- per-host politeness ----------------------------------------------------------------------------

    async def ensure_host_slots(self, host: str, slots: int) -> None:
        await self.db.execute(
            "INSERT INTO host_slots (host, slot) SELECT $1, g FROM generate_series(0, $2::integer - 1) g "
            "ON CONFLICT DO NOTHING",
            host,
            slots,
        )

    async def claim_host_slot(self, host: str, slots: int, owner: str, lease_s: float) -> int | None:
        """One of the ``slots`` slots of ``host`` (numbered from 0; rows from :meth:`ensure_host_slots`),
        or None when all are held. Slots numbered ``slots`` and up are ignored, so lowering the limit
        takes effect at once."""
        value = await self.db.fetchval(
            f"UPDATE host_slots SET owner = $1, until = now() + {_SECONDS} WHERE (host, slot) = ("
            "SELECT host, slot FROM host_slots WHERE host = $3 AND slot < $4 AND (until IS NULL OR until < now()) "
            "ORDER BY slot LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING slot",
            owner,
            lease_s,
            host,
            slots,
        )
        return None if value is None else int(value)

    async def extend_host_slot(self, host: str, slot: int, owner: str, lease_s: float) -> None:
        await self.db.execute(
            "UPDATE host_slots SET until = now() + make_interval(secs => $4::double precision) "
            "WHERE host = $1 AND slot = $2 AND owner = $3",
            host,
            slot,
            owner,
            lease_s,
        )

    async def release_host_slot(self, host: str, slot: int, owner: str) -> None:
        await self.db.execute(
            "UPDATE host_slots SET owner = NULL, until = NULL WHERE host = $1 AND slot = $2 AND owner = $3",
            host,
            slot,
            owner,
        )

    # --- the outbox -------------------------------------------------------------------------------------

    async def claim_deliveries(
        self,
        owner: str,
        limit: int,
        lease_s: float,
        now: datetime,
        target_kinds: Sequence[TargetKind] = (),
        *,
        per_target: int = PER_TARGET_CLAIM,
        prefer: Sequence[tuple[TargetKind, int]] = (),
        holding: int = 0,
        exclude: Sequence[tuple[TargetKind, int]] = (),
    ) -> builtins.list[Delivery]:
        """Committed pending due rows of whole targets, in id order, leased to ``owner``.

        A target (a channel, a user's DMs) goes to one deliverer at a time: rows are taken only from
        targets with no pending row under a live lease (anyone's), so a status update never overtakes
        its case card on another deliverer, and each deliverer's discord.py knows the per-channel
        buckets of the channels it sends to. Of the targets with due rows, ``owner`` takes at most its
        share (their number over the live deliverers, itself included; see :meth:`join`), less the
        ``holding`` targets it is still sending to, the ones it had last (``prefer``) first, then those
        with the oldest rows, never those in ``exclude``; at most ``per_target`` rows from each, at most
        ``limit`` in all. A target whose next row is locked by a
        concurrent transaction is left for the next claim rather than sent out of order.

        Claims take turns on a transaction-scoped advisory lock (a few milliseconds each), so each one
        sees every lease taken before it."""
        kinds = [k.value for k in target_kinds] or [k.value for k in TargetKind]
        preferred = [f"{kind.value}:{target}" for kind, target in prefer]
        excluded = [f"{kind.value}:{target}" for kind, target in exclude]
        async with self.db.pool.acquire() as raw, raw.transaction():
            await raw.execute("SELECT pg_advisory_xact_lock($1)", OUTBOX_CLAIM_LOCK_KEY)
            await raw.execute(
                f"INSERT INTO deliverers (owner, until) VALUES ($1, now() + {_SECONDS}) "
                "ON CONFLICT (owner) DO UPDATE SET until = EXCLUDED.until",
                owner,
                lease_s,
            )
            others = await raw.fetchval(
                "SELECT COUNT(*) FROM deliverers WHERE until >= now() AND owner <> $1", owner
            )
            candidates = await raw.fetch(
                "WITH due AS (SELECT d.id, d.target_kind, d.target_id FROM deliveries d WHERE d.state = 'pending' "
                "AND d.next_attempt_at <= $1 AND d.target_kind = ANY($2::text[])), "
                "free AS (SELECT due.target_kind, due.target_id, MIN(due.id) AS first FROM due WHERE NOT EXISTS ("
                "SELECT 1 FROM deliveries e WHERE e.state = 'pending' AND e.target_kind = due.target_kind "
                "AND e.target_id = due.target_id AND e.lease_until >= now()) GROUP BY due.target_kind, due.target_id), "
                "chosen AS (SELECT target_kind, target_id FROM free WHERE (target_kind || ':' || target_id) <> ALL($8::text[]) "
                "ORDER BY (target_kind || ':' || target_id) = ANY($3::text[]) DESC, first "
                "LIMIT GREATEST(CEIL((SELECT COUNT(*) FROM (SELECT DISTINCT target_kind, target_id FROM due) t)::numeric / $4) "
                "- $7, 0)) "
                "SELECT id, target_kind, target_id FROM (SELECT due.id, due.target_kind, due.target_id, "
                "ROW_NUMBER() OVER (PARTITION BY due.target_kind, due.target_id ORDER BY due.id) AS n "
                "FROM due JOIN chosen USING (target_kind, target_id)) r WHERE n <= $5 ORDER BY id LIMIT $6",
                to_iso(now),
                kinds,
                preferred,
                int(others) + 1,
                per_target,
                limit,
                holding,
                excluded,
            )
            if not candidates:
                return []
            locked = {
                int(r[0])
                for r in await raw.fetch(
                    "SELECT id FROM deliveries WHERE id = ANY($1::bigint[]) AND state = 'pending' "
                    "FOR UPDATE SKIP LOCKED",
                    [int(r["id"]) for r in candidates],
                )
            }
            ids: builtins.list[int] = []
            stopped: set[tuple[str, int]] = set()  # targets with a row we could not lock: nothing after it
            for r in candidates:
                target = (str(r["target_kind"]), int(r["target_id"]))
                if target in stopped:
                    continue
                if int(r["id"]) in locked:
                    ids.append(int(r["id"]))
                else:
                    stopped.add(target)
            rows = await raw.fetch(
                f"UPDATE deliveries SET lease_owner = $1, lease_until = now() + {_SECONDS} "
                "WHERE id = ANY($3::bigint[]) RETURNING *",
                owner,
                lease_s,
                ids,
            )
        return sorted((_delivery_from_row(r) for r in rows), key=lambda d: d.id)

    async def join(self, owner: str, lease_s: float) -> None:
        """Say ``owner`` delivers for the next ``lease_s`` seconds (each claim and heartbeat renews it),
        so the others leave it its share of the targets."""
        await self.db.execute(
            f"INSERT INTO deliverers (owner, until) VALUES ($1, now() + {_SECONDS}) "
            "ON CONFLICT (owner) DO UPDATE SET until = EXCLUDED.until",
            owner,
            lease_s,
        )

    async def leave(self, owner: str) -> None:
        await self.db.execute("DELETE FROM deliverers WHERE owner = $1", owner)

    async def extend_deliveries(self, owner: str, ids: Sequence[int], lease_s: float) -> int:
        if not ids:
            return 0
        status = await self.db.execute(
            f"UPDATE deliveries SET lease_until = now() + {_SECONDS} WHERE lease_owner = $1 AND id = ANY($3::bigint[])",
            owner,
            lease_s,
            list(ids),
        )
        return rowcount(status)

    async def release_deliveries(self, owner: str, ids: Sequence[int]) -> int:
        if not ids:
            return 0
        status = await self.db.execute(
            "UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1 "
            "AND id = ANY($2::bigint[])",
            owner,
            list(ids),
        )
        return rowcount(status)

    # --- Discord's global request budget, shared --------------------------------------------------------

    async def ensure_request_slots(self, name: str, slots: int) -> None:
        await self.db.execute(
            "INSERT INTO request_slots (name, slot) SELECT $1, g FROM generate_series(0, $2::integer - 1) g "
            "ON CONFLICT DO NOTHING",
            name,
            slots,
        )

    async def take_request_slot(self, name: str, slots: int, hold_s: float) -> RequestSlot | float:
        """A free one of the ``slots`` slots of ``name`` (rows from :meth:`ensure_request_slots`), held
        for ``hold_s`` seconds unless given back sooner; or, when none is free, the seconds until the
        first one will be (a slot still held by a request in flight counts as free at its hold's end)."""
        row = await self.db.fetchrow(
            "WITH free AS (SELECT slot FROM request_slots WHERE name = $1 AND slot < $2 "
            "AND until <= clock_timestamp() AND blocked_until <= clock_timestamp() "
            "ORDER BY until, slot LIMIT 1 FOR UPDATE SKIP LOCKED), "
            "took AS (UPDATE request_slots s SET ticket = s.ticket + 1, "
            "until = clock_timestamp() + make_interval(secs => $3::double precision) "
            "FROM free WHERE s.name = $1 AND s.slot = free.slot RETURNING s.slot, s.ticket) "
            "SELECT slot, ticket, NULL::double precision AS wait FROM took UNION ALL "
            "SELECT NULL, NULL, EXTRACT(EPOCH FROM GREATEST(MIN(until), MAX(blocked_until)) - clock_timestamp())"
            "::double precision FROM request_slots WHERE name = $1 AND slot < $2 HAVING NOT EXISTS (SELECT 1 FROM took)",
            name,
            slots,
            hold_s,
        )
        if row is not None and row["slot"] is not None:
            return RequestSlot(int(row["slot"]), int(row["ticket"]))
        if row is None or row["wait"] is None:
            raise LookupError(f"no request slots named {name!r} (ensure_request_slots makes them)")
        return max(float(row["wait"]), 0.0)

    async def give_back_request_slot(self, name: str, slot: RequestSlot, window_s: float) -> bool:
        """The request of ``slot`` was answered: the slot is free ``window_s`` seconds from now (when
        that request can no longer fall in any second Discord counts). False when the hold had run out
        and the slot was taken again since (then it is not touched)."""
        status = await self.db.execute(
            "UPDATE request_slots SET until = clock_timestamp() + make_interval(secs => $4::double precision) "
            "WHERE name = $1 AND slot = $2 AND ticket = $3",
            name,
            slot.slot,
            slot.ticket,
            window_s,
        )
        return rowcount(status) == 1

    async def block_requests(self, name: str, seconds: float) -> None:
        """No slot of ``name`` is free for ``seconds`` (a global 429's retry_after), in every process."""
        await self.db.execute(
            "UPDATE request_slots SET blocked_until = GREATEST(blocked_until, "
            "clock_timestamp() + make_interval(secs => $2::double precision)) WHERE name = $1",
            name,
            seconds,
        )

    # --- periodic jobs ----------------------------------------------------------------------------------

    async def run_once(self, job: str, period: str, owner: str) -> bool:
        """True for the one caller, across all processes, that records ``(job, period)`` first."""
        value = await self.db.fetchval(
            "INSERT INTO job_runs (job, period, owner) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING owner",
            job,
            period,
            owner,
        )
        return value is not None
