"""Many cases at once through the repositories (CaseRepository.save, articles.insert, save_detection,
replace_events): the web view's paging tests and latency measurement. Grouping is not what is tested
there, so the cases are written directly rather than discovered one article at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.feeds.normalize import content_hash
from bot.models import Action, Case, CaseEvent, Detection, Entry, Stage
from storage.store import SqliteStore

START = datetime(2020, 1, 1, tzinfo=UTC)
PLATFORMS = ("Google", "Meta", "TikTok", "Reddit", "Twitter", "Amazon", "Apple", "Microsoft", "Telegram", "Uber")
ACTIONS = (Action.LAWSUIT, Action.SUBPOENA, Action.COURT_ORDER, Action.REGULATORY, Action.ANTITRUST)
STAGES = (Stage.FILED, Stage.RULING, Stage.APPEAL, Stage.SETTLED, Stage.DISMISSED)


async def fill_many(store: SqliteStore, cases: int, *, reports: int = 2, batch: int = 500) -> None:
    feed, _ = await store.feeds.add("https://bulk.example.org/rss")
    for first in range(0, cases, batch):
        async with store.transaction():
            for i in range(first, min(cases, first + batch)):
                await _one(store, feed.id, i, reports)


async def _one(store: SqliteStore, feed_id: int, i: int, reports: int) -> None:
    platform = PLATFORMS[i % len(PLATFORMS)]
    action, stage = ACTIONS[i % len(ACTIONS)], STAGES[(i // 3) % len(STAGES)]
    opened = START + timedelta(hours=i)
    case = Case(
        id=f"cbulk{i:07d}",
        title=f"{platform} platform case {i}: {action.value.replace('_', ' ')} by state {i % 50}",
        status=stage,
        action=action,
        platforms=(platform,),
        counterparties=(f"State {i % 50}",),
        court="N.D. Cal." if i % 4 == 0 else None,
        docket=f"3:2{i % 10}-cv-{i:05d}" if i % 4 == 0 else None,
        opened_at=opened,
        updated_at=opened + timedelta(days=reports - 1),
        summary=f"Case {i} about {platform}.",
        article_count=reports,
    )
    await store.cases.save(case, [platform.lower()])
    events = []
    previous: Stage | None = None
    for n in range(reports):
        at = opened + timedelta(days=n)
        url = f"https://outlet{n % 7}.example.com/{i}/{n}"
        title = f"{platform} report {n} on case {i}"
        entry = Entry(f"b{i}-{n}", url, title, "A report.", at, content_hash(title, "A report.", url))
        article_id = await store.articles.insert(feed_id, entry, at)
        to = Stage.FILED if n == 0 else stage
        det = Detection(True, 0.9, platforms=(platform,), action=action, stage=to)
        await store.articles.save_detection(article_id, det, case.id)
        if to is not previous:
            events.append(CaseEvent(case.id, previous, to, at, article_id, url))
            previous = to
    await store.cases.replace_events(case.id, events)
