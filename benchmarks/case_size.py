"""Grouping latency against the size of the case an article joins (1 to thousands of reports).

``python -m benchmarks.case_size [--sizes 10,100,300,1000,3000] [--samples 50]``

Filing an article reads every member of its case, because status and summary are derived from all of
them, so the cost grows with the case. The lookups benchmark's generated cases hold ~3 reports each; this
one grows one case through the real tracker (``detect`` + ``track``, each report its own transaction, in a
fresh temp database) and, at each size, times a new report of the same dispute joining it (rolled back,
so every sample meets the same case). The baseline in the same run is the smallest size.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import base_parser, emit_json, print_table

_T0 = datetime(2024, 1, 1, tzinfo=UTC)
_TITLE = "Oregon consumer board subpoenas Reddit over anonymous critic @nightowl_pdx"
_SUMMARY = (
    "The Oregon Consumer Protection Board served Reddit with a subpoena demanding records of @nightowl_pdx, "
    "an anonymous user who criticised the board."
)


class _RollBack(Exception):
    """Raised to undo a measured write."""


async def _file(store: Any, feed_id: int, key: str, published: datetime) -> None:
    from bot.cases.tracker import track
    from bot.detect.detector import detect
    from bot.models import Article, ArticleText, Entry

    entry = Entry(key, f"https://news.example.org/{key}", f"{_TITLE} ({key})", _SUMMARY, published, f"h-{key}")
    article_id = await store.articles.insert(feed_id, entry, _T0)
    det = detect(ArticleText(entry.title, entry.summary, entry.url, entry.published))
    article = Article(article_id, feed_id, entry.key, entry.url, entry.title, entry.summary, entry.published,
                      _T0, entry.content_hash)  # fmt: skip
    await track(store, article, det)


async def measure(directory: Path, sizes: list[int], samples: int) -> list[dict[str, Any]]:
    """p50/p99 (ms) of one report joining the case at each size, and the size actually reached."""
    from storage.store import SqliteStore

    out: list[dict[str, Any]] = []
    async with await SqliteStore.open(directory / "case_size.db") as store:
        feed, _ = await store.feeds.add("https://outlet.example.org/rss")
        filed = 0
        for size in sorted(sizes):
            while filed < size:
                async with store.transaction():
                    await _file(store, feed.id, f"r{filed}", _T0 + timedelta(hours=filed))
                filed += 1
            row = await store.db.fetchone("SELECT count(*), max(article_count) FROM cases")
            times: list[float] = []
            for i in range(samples):
                started = time.perf_counter()
                with contextlib.suppress(_RollBack):
                    async with store.transaction():
                        await _file(store, feed.id, f"s{size}-{i}", _T0 + timedelta(hours=filed + 1))
                        raise _RollBack
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            out.append({"size": size, "cases": row[0], "largest_case": row[1], "p50_ms": statistics.median(times),
                        "p99_ms": times[min(len(times) - 1, round(0.99 * len(times)) - 1)]})  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,300,1000,3000", help="comma-separated case sizes")
    parser.add_argument("--samples", type=int, default=50)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    with tempfile.TemporaryDirectory(prefix="casewatch-case-size-") as tmp:
        rows = asyncio.run(measure(Path(tmp), sizes, args.samples))
    base = rows[0]["p50_ms"] or 1e-9
    print_table(
        f"Grouping vs case size: one report joining a case of N reports ({args.samples} samples each)",
        ["reports in the case", "cases in the store", "p50 ms", "p99 ms", "p50 vs smallest", "us per report"],
        [[r["largest_case"], r["cases"], r["p50_ms"], r["p99_ms"], f"{r['p50_ms'] / base:.1f}x",
          (r["p50_ms"] - rows[0]["p50_ms"]) * 1000 / max(1, r["largest_case"] - rows[0]["largest_case"])]
         for r in rows],
    )  # fmt: skip
    result = {"sizes": rows, "samples": args.samples}
    emit_json("case_size", result)
    return result


if __name__ == "__main__":
    main()
