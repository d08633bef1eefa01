"""Docket lookups off the poll's path: a queue, one worker, a port for the results.

A poll that opens or updates a case calls ``DocketLookup.submit(case_id)``: it returns at once (a set
and a queue put, no I/O), a case already waiting is not queued twice, and the single worker task does
the CourtListener requests at the client's rate. The worker reads the case through a ``CaseSource``
port and hands every outcome to a ``ResultSink`` port, so storage and Discord stay out of this package
(the wiring decides what to store and what to post). A failing source, client or sink is logged and
reported as an ``error`` result; the worker never dies of it.

``check_linked`` is the optional follow-up: for dockets already linked to cases, fetch each docket
(bypassing the cache) and report a ``DocketDevelopment`` when its ``date_last_filing`` moved: "new
filing on the docket", plain data for the outbox to turn into a development message later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from bot.docket import query as dq
from bot.docket.client import CourtListenerClient
from bot.docket.match import Candidate, MatchResult, match
from bot.models import ArticleText, Case

logger = logging.getLogger(__name__)

LookupStatus = Literal["match", "ambiguous", "no_match", "no_query", "error", "disabled"]
CaseSource = Callable[[str], Awaitable[tuple[Case, Sequence[ArticleText]] | None]]
ResultSink = Callable[["LookupResult"], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class LookupResult:
    """What one case's lookup found, and why: the record a card, ``/case show`` and the logs use."""

    case_id: str
    status: LookupStatus
    docket: Candidate | None = None
    url: str | None = None
    reasons: tuple[str, ...] = ()
    query: dq.DocketQuery | None = None
    error: str | None = None
    requests: int = 0  # HTTP requests this lookup made (cache hits are free)


async def look_up(client: CourtListenerClient, case: Case, texts: Sequence[ArticleText]) -> LookupResult:
    """Plan, search (by docket number first, then by name if that finds nothing), match."""
    if not client.enabled:
        return LookupResult(case.id, "disabled", error=client.disabled_reason)
    planned = dq.plan(case, texts)
    if isinstance(planned, dq.NoQuery):
        return LookupResult(case.id, "no_query", reasons=(planned.reason,))
    requests = 0
    tries = ["number", "name"] if planned.docket_number and (planned.case_name or planned.platforms) else ["auto"]
    verdict: MatchResult | None = None
    for by in tries:
        found = await client.search(planned.search_params(by=by))
        requests += found.attempts
        if not found.ok:
            return LookupResult(case.id, "error", query=planned, error=found.error, requests=requests,
                                reasons=planned.reasons)
        verdict = match(planned, found.candidates, total=found.count)
        if found.candidates:
            break
    assert verdict is not None
    docket = verdict.docket
    return LookupResult(
        case.id,
        verdict.verdict,
        docket,
        client.docket_url(docket) if docket else None,
        (*planned.reasons, *verdict.reasons),
        planned,
        requests=requests,
    )


class DocketLookup:
    """The queue and its worker. ``submit`` never blocks; ``join`` waits for the queue (tests, shutdown)."""

    def __init__(
        self, client: CourtListenerClient, source: CaseSource, sink: ResultSink, *, maxsize: int = 1000
    ) -> None:
        self.client = client
        self._source = source
        self._sink = sink
        self._queue: asyncio.Queue[str] = asyncio.Queue(maxsize=maxsize)
        self._pending: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self.done = 0

    @property
    def pending(self) -> frozenset[str]:
        return frozenset(self._pending)

    def submit(self, case_id: str) -> bool:
        """Queue a case; False when the feature is off, the case is already queued or the queue is full."""
        if not self.client.enabled or case_id in self._pending:
            return False
        try:
            self._queue.put_nowait(case_id)
        except asyncio.QueueFull:
            logger.warning("docket lookup queue full (%d): case %s not queued", self._queue.maxsize, case_id)
            return False
        self._pending.add(case_id)
        return True

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="docket-lookup")

    async def join(self) -> None:
        await self._queue.join()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            case_id = await self._queue.get()
            try:
                result = await self._one(case_id)
                try:
                    await self._sink(result)
                except Exception as exc:  # the sink is the wiring's; a bug there must not stop lookups
                    logger.warning("docket lookup result for %s not recorded: %s", case_id, exc)
            finally:
                self._pending.discard(case_id)
                self.done += 1
                self._queue.task_done()

    async def _one(self, case_id: str) -> LookupResult:
        try:
            loaded = await self._source(case_id)
            if loaded is None:
                return LookupResult(case_id, "error", error=f"case {case_id} not found")
            case, texts = loaded
            return await look_up(self.client, case, texts)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.warning("docket lookup of %s failed: %s", case_id, exc)
            return LookupResult(case_id, "error", error=f"lookup failed: {' '.join(str(exc).split())[:200]}")


# --- linked dockets: new filings -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LinkedDocket:
    """A docket already linked to a case, with the last filing date casewatch has seen on it."""

    case_id: str
    docket_id: int
    date_last_filing: date | None


@dataclass(frozen=True, slots=True)
class DocketDevelopment:
    """"New filing on the docket": plain data; the outbox wiring turns it into a development message."""

    case_id: str
    docket_id: int
    date_last_filing: date
    previous: date | None
    url: str
    text: str


def new_filing(linked: LinkedDocket, fresh: Candidate, url: str) -> DocketDevelopment | None:
    """A development when the docket's last filing is newer than the one seen (pure)."""
    if fresh.date_last_filing is None:
        return None
    if linked.date_last_filing is not None and fresh.date_last_filing <= linked.date_last_filing:
        return None
    where = " ".join(p for p in (fresh.court_id, fresh.docket_number) if p)
    return DocketDevelopment(
        linked.case_id,
        linked.docket_id,
        fresh.date_last_filing,
        linked.date_last_filing,
        url,
        f"New filing on the docket ({where}): last entry {fresh.date_last_filing.isoformat()}",
    )


async def check_linked(
    client: CourtListenerClient, linked: Sequence[LinkedDocket]
) -> tuple[list[DocketDevelopment], list[str]]:
    """Fetch each linked docket fresh; the developments found and one line per docket that failed."""
    developments: list[DocketDevelopment] = []
    errors: list[str] = []
    if not client.enabled:
        return developments, [client.disabled_reason or "docket lookups are off"]
    for link in linked:
        res = await client.docket(link.docket_id, fresh=True)
        if not res.ok or res.docket is None:
            errors.append(f"docket {link.docket_id} (case {link.case_id}): {res.error}")
            continue
        dev = new_filing(link, res.docket, client.docket_url(res.docket))
        if dev is not None:
            developments.append(dev)
    return developments, errors
