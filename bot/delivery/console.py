"""Console mode's publisher: prints what the bot would post, through the same outbox as Discord."""

from __future__ import annotations

from typing import TextIO

from bot.clock import utcnow
from bot.delivery.render_text import render_text
from bot.models import TargetKind
from bot.ports import Store


async def drain_console(store: Store, out: TextIO, limit: int = 500) -> int:
    """Print every pending console delivery once and mark it sent; returns how many were printed."""
    printed = 0
    while True:
        batch = await store.outbox.due(utcnow(), limit, target_kinds=(TargetKind.CONSOLE,))
        if not batch:
            return printed
        for delivery in batch:
            case = await store.cases.get(delivery.case_id) if delivery.case_id else None
            if case is None:
                await store.outbox.fail(delivery.id, "case no longer exists")
                continue
            article = await store.articles.get(delivery.article_id) if delivery.article_id else None
            events = await store.cases.events(case.id)
            event = next((e for e in reversed(events) if article and e.article_id == article.id), None)
            print(render_text(delivery.kind, case, article, event), file=out, flush=True)
            await store.outbox.mark_sent(delivery.id)
            printed += 1
