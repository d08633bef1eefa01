"""Re-run detection, grouping and status over every stored article after the rules change.

Articles are replayed oldest news first, so cases are rebuilt as if the news had arrived in order.
Nothing is delivered: reprocessing corrects the record, it does not re-announce it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.cases.tracker import article_text, track
from bot.detect.detector import detect
from bot.ports import Store


@dataclass(frozen=True, slots=True)
class ReprocessStats:
    articles: int
    relevant: int
    cases: int


async def reprocess_all(store: Store) -> ReprocessStats:
    relevant = 0
    case_ids: set[str] = set()
    async with store.transaction():
        await store.cases.delete_all()
        ids = await store.articles.all_ids()
        for article_id in ids:
            article = await store.articles.get(article_id)
            if article is None:
                continue
            det = detect(article_text(article))
            if det.relevant:
                relevant += 1
                change, _ = await track(store, article, det)
                case_ids.add(change.case.id)
            else:
                await store.articles.save_detection(article.id, det, None)
    return ReprocessStats(len(ids), relevant, len(case_ids))
