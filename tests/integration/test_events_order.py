"""Two reports of one new case in the same poll (issue 15 item 5): the case's events follow the reports'
dates, not the feed's order, and the new-case alert and the case's first events agree -- no status update
may contradict the card it follows. On SQLite and PostgreSQL; the feed lists the newer report first, as feeds do."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from bot.clock import utcnow
from bot.delivery.console import drain_console
from bot.feeds.parser import ParserPool
from bot.models import DeliveryKind, Stage, TargetKind
from bot.pipeline import Pipeline, PipelineOptions
from storage.store import SqliteStore
from tests.feedxml import START, item, rss


@pytest.fixture
def store(any_store: SqliteStore) -> SqliteStore:
    return any_store

DEMAND = item(
    "d1",
    "Customs and Border Protection demands Twitter unmask the anonymous @ALT_uscis account",
    "A Customs and Border Protection summons served on Twitter demands records identifying the person "
    "behind the @ALT_uscis account.",
    when=START - timedelta(days=2),
)
FILED = item(
    "f1",
    "Twitter sues DHS over summons to unmask the anonymous @ALT_uscis account",
    "Twitter filed a lawsuit in federal court asking a judge to block a Customs and Border Protection "
    "summons that demands records identifying the person behind the @ALT_uscis account.",
    when=START,
)


async def ingest(store: SqliteStore, body: bytes) -> None:
    parser = ParserPool(inline=True)
    try:
        pipeline = Pipeline(store, parser, options=PipelineOptions(alert_on_first_poll=True, console=True))
        feed, _ = await store.feeds.add("https://news.example.org/feed.xml")
        result = await pipeline.ingest_body(feed, body)
        assert result.ok and result.relevant == 2, result
    finally:
        await parser.close()


async def test_events_of_a_new_case_follow_the_reports_dates(store: SqliteStore) -> None:
    await ingest(store, rss(FILED, DEMAND))  # newest first, as feeds list them
    rows = await store.cases.dump()
    assert len(rows) == 1, rows
    events = await store.cases.events(rows[0]["id"])
    assert [(e.from_status, e.to_status) for e in events] == [(None, Stage.DEMAND), (Stage.DEMAND, Stage.FILED)]
    assert [e.at for e in events] == sorted(e.at for e in events)
    # stored in that order too (row ids follow the timeline)
    stored = await store.cases.event_rows(rows[0]["id"])
    assert [i for i, _ in stored] == sorted(i for i, _ in stored)
    assert [e for _, e in stored] == events


async def test_the_new_case_alert_and_its_first_events_agree(store: SqliteStore) -> None:
    await ingest(store, rss(FILED, DEMAND))
    pending = await store.outbox.due(utcnow(), 50, target_kinds=(TargetKind.CONSOLE,))
    kinds = [d.kind for d in pending]
    assert kinds.count(DeliveryKind.NEW_CASE) == 1, kinds
    [rows] = [await store.cases.dump()]
    case = await store.cases.get(rows[0]["id"])
    assert case is not None and case.status is Stage.FILED
    events = await store.cases.events(case.id)
    # The card shows the case as it is (filed); any status update after it must end where the card
    # does and never go back to an earlier stage than the card shows.
    for d in pending:
        if d.kind is DeliveryKind.STATUS_UPDATE:
            event = next(e for e in events if e.article_id == d.article_id)
            assert event.to_status is case.status and event.from_status is not None, event
    out = io.StringIO()
    await drain_console(store, out)
    text = out.getvalue()
    assert "new -> demand" not in text and "-> demand" not in text, text
    assert events[-1].to_status is case.status
