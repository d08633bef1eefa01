"""The docket feature wired to storage and the outbox: sweeps for cases to look up, records matches, and
turns "docket found" and "new filing on the docket" into deliveries.

:mod:`bot.docket.lookup` does the CourtListener work off the poll's path; this module is its source and
sink. A sweep (a scheduler job) hands the lookup queue the cases that have no docket and have had new
reports since casewatch last asked; every finished lookup marks the case as asked, so an unmatched case
costs no request again until a new report arrives (a failed request is not marked: the next sweep tries
again, at the client's rate). A match is stored only when the case still has no docket (an admin's
choice is never overwritten), in the same transaction as the deliveries that refresh the case's cards
and tell its followers, so a crash never loses the news nor sends it twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from bot.cases.clustering import platform_keys
from bot.clock import utcnow
from bot.delivery.router import route_docket
from bot.docket import courts as ct
from bot.docket.client import CourtListenerClient
from bot.docket.lookup import DocketLookup, LinkedDocket, LookupResult, check_linked
from bot.docket.match import Candidate
from bot.models import ArticleText, Case, DocketLink

if TYPE_CHECKING:
    from storage import AnyStore

log = logging.getLogger(__name__)

SWEEP_LIMIT = 25  # cases handed to the queue per sweep: at 5 requests a minute, about one sweep's worth
FILINGS_LIMIT = 40  # linked dockets fetched per new-filing check (each costs one request)
CHECKED = frozenset({"match", "ambiguous", "no_match", "no_query"})  # outcomes that need no retry


def court_label(court_id: str) -> str:
    """A court's citation form ("N.D. Cal.") from its CourtListener id ("cand"), else the id."""
    court = ct.load().get(court_id)
    return (court.citation or court.name) if court else court_id


def link_from(result: LookupResult, *, source: str = "courtlistener") -> DocketLink | None:
    """The stored link of a matched lookup (None unless it matched)."""
    found = result.docket
    if result.status != "match" or found is None or not result.url:
        return None
    return link_of(found, result.url, reason="; ".join(result.reasons[-3:]), source=source)


def link_of(found: Candidate, url: str, *, reason: str, source: str) -> DocketLink:
    return DocketLink(
        url=url,
        court=court_label(found.court_id) if found.court_id else None,
        number=found.docket_number or None,
        filed=found.date_filed,
        case_name=found.case_name or None,
        reason=reason,
        source=source,
        last_filing=found.date_last_filing,
        docket_id=found.docket_id,
    )


def describe(link: DocketLink) -> str:
    """One line naming a docket: "N.D. Cal. 3:24-cv-01234 (X Corp. v. Doe), filed 2024-04-30"."""
    where = " ".join(p for p in (link.court, link.number) if p) or "the docket"
    if link.case_name:
        where += f" ({link.case_name})"
    if link.filed:
        where += f", filed {link.filed:%Y-%m-%d}"
    return where


async def announce(store: AnyStore, case: Case, dedupe: str, text: str) -> int:
    """Queue docket news for ``case`` (call inside the transaction that changed the link): its cards are
    refreshed everywhere (text channels and forum posts), and with ``text`` its followers are told. Returns the deliveries queued."""
    cards = [*await store.cards.channels_of(case.id), *await store.forum_posts.posts_of(case.id)]
    subs = await store.guilds.subscriptions_for(case.id, platform_keys(case.platforms)) if text else []
    intents = route_docket(case.id, dedupe, cards, subs, announce=bool(text))
    if not intents:
        return 0
    return await store.outbox.enqueue(intents, payload={"text": text})


class DocketService:
    """Sweeps, records and checks; the lookup queue's worker runs while :meth:`start` is in force."""

    def __init__(
        self,
        store: AnyStore,
        client: CourtListenerClient,
        *,
        clock: Callable[[], datetime] = utcnow,
        sweep_limit: int = SWEEP_LIMIT,
    ) -> None:
        self.store = store
        self.client = client
        self.clock = clock
        self.sweep_limit = sweep_limit
        self.lookup = DocketLookup(client, self._source, self.record)
        self.results: dict[str, int] = {}  # outcome -> count, for the logs and tests

    @property
    def enabled(self) -> bool:
        return self.client.enabled

    def start(self) -> None:
        if self.enabled:
            self.lookup.start()

    async def stop(self) -> None:
        await self.lookup.stop()
        await self.client.close()

    async def sweep(self) -> int:
        """Queue the cases that need a lookup; returns how many were queued (0 when the feature is off)."""
        if not self.enabled:
            return 0
        queued = 0
        for case in await self.store.cases.needing_docket_lookup(self.sweep_limit):
            queued += self.lookup.submit(case.id)
        return queued

    async def _source(self, case_id: str) -> tuple[Case, Sequence[ArticleText]] | None:
        case = await self.store.cases.get(case_id)
        if case is None:
            return None
        articles = await self.store.articles.for_case(case_id)
        return case, [ArticleText(a.title, a.summary, a.url, a.published) for a in articles]

    async def record(self, result: LookupResult) -> None:
        """The lookup queue's sink: mark the case as asked, store a match and queue its news."""
        self.results[result.status] = self.results.get(result.status, 0) + 1
        if result.status not in CHECKED:
            log.info("docket lookup of case %s: %s (%s)", result.case_id, result.status, result.error)
            return
        link = link_from(result)
        async with self.store.transaction():
            await self.store.cases.mark_docket_checked(result.case_id, self.clock())
            case = await self.store.cases.get(result.case_id)
            if link is None or case is None or case.docket_link is not None:
                log.info("docket lookup of case %s: %s (%s)", result.case_id, result.status, "; ".join(result.reasons))
                return
            await self.store.cases.set_docket(case.id, link)
            linked = replace(case, docket_link=link)
            await announce(
                self.store, linked, f"found:{link.docket_id}", f"Docket found on CourtListener: {describe(link)}"
            )
        log.info("case %s linked to docket %s: %s", case.id, link.url, link.reason)

    async def check_filings(self) -> int:
        """Fetch the linked dockets and post "new filing on the docket" where ``date_last_filing``
        moved; returns how many developments were queued."""
        if not self.enabled:
            return 0
        cases = [c for c in await self.store.cases.linked_dockets(FILINGS_LIMIT) if c.docket_link]
        linked = [
            LinkedDocket(c.id, c.docket_link.docket_id, c.docket_link.last_filing)
            for c in cases
            if c.docket_link is not None and c.docket_link.docket_id is not None
        ]
        developments, errors = await check_linked(self.client, linked)
        for line in errors:
            log.info("docket check: %s", line)
        async with self.store.transaction():  # round robin: the least recently checked go first next time
            for item in linked:
                await self.store.cases.mark_docket_checked(item.case_id, self.clock())
        queued = 0
        for dev in developments:
            async with self.store.transaction():
                case = await self.store.cases.get(dev.case_id)
                if case is None or case.docket_link is None or case.docket_link.docket_id != dev.docket_id:
                    continue  # cleared or re-linked meanwhile
                link = replace(case.docket_link, last_filing=dev.date_last_filing)
                await self.store.cases.set_docket(case.id, link)
                if dev.previous is None:
                    continue  # the first look at a docket: its last filing is the baseline, not news
                news = f"New filing on the docket {describe(link)}: last entry {dev.date_last_filing:%Y-%m-%d}"
                queued += bool(
                    await announce(
                        self.store, replace(case, docket_link=link), f"filing:{dev.docket_id}:{dev.date_last_filing}", news
                    )
                )
        return queued
