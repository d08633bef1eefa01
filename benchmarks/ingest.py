"""Ingest vs a peer: N virtual feeds into casewatch and into ``reader`` (lemon24/reader), same run.

``python -m benchmarks.ingest [--feeds 500] [--skip-reader]``

casewatch runs its whole pipeline (fetch, parse in the worker pool, dedupe, detection, case grouping,
storage) into a fresh SQLite database; ``reader`` (the library behind discord-rss-bot) fetches with
requests, parses with feedparser and stores in its own fresh SQLite database. Both then re-poll: every
feed answers 304. casewatch also re-polls with the server ignoring validators (200, same bytes), which
its body hash must turn into "unchanged" without parsing.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import (
    CasewatchPolls,
    PollStats,
    VirtualFeedServer,
    base_parser,
    emit_json,
    load_real_feeds,
    print_table,
    profiled,
    verdict,
    virtual_items,
)

TARGET_VS_READER = 4.0
TARGET_REPOLL_FEEDS_PER_S = 2000.0


def run_reader(urls: list[str], db_path: Path) -> dict[str, dict[str, float]]:
    """reader's first poll and its re-poll (``scheduled=False``: a plain second call skips feeds not due)."""
    import logging
    import warnings

    from reader import make_reader

    logging.getLogger("reader").setLevel(logging.CRITICAL)  # it logs every broken feed at ERROR
    warnings.filterwarnings("ignore", module="reader")
    reader = make_reader(str(db_path))
    try:
        for url in urls:
            reader.add_feed(url)
        out: dict[str, dict[str, float]] = {}
        for phase in ("first", "repoll_304"):
            with profiled(f"reader_{phase}"):
                started = time.perf_counter()
                reader.update_feeds(scheduled=False, workers=1)
                seconds = time.perf_counter() - started
            counts = reader.get_entry_counts()
            failed = sum(1 for f in reader.get_feeds() if f.last_exception is not None)
            out[phase] = {"seconds": seconds, "stored": counts.total, "failed_feeds": failed}
        return out
    finally:
        reader.close()


async def run_casewatch(server: VirtualFeedServer, db_path: Path, workers: int = 2) -> dict[str, PollStats]:
    polls = CasewatchPolls(db_path, parser_workers=workers)
    return await polls.run(
        server.urls,
        [
            ("first", lambda: server.control(validators=1)),
            ("repoll_304", None),
            ("repoll_unchanged", lambda: server.control(validators=0)),
        ],
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=500, help="virtual feeds (default 500)")
    parser.add_argument("--workers", type=int, default=2, help="casewatch parser worker processes")
    parser.add_argument("--skip-reader", action="store_true", help="casewatch only (profiling runs)")
    args = parser.parse_args(argv)
    real = load_real_feeds()
    offered = virtual_items(real, args.feeds)
    with tempfile.TemporaryDirectory(prefix="casewatch-bench-") as tmp, VirtualFeedServer(args.feeds) as server:
        cw = asyncio.run(run_casewatch(server, Path(tmp) / "casewatch.db", args.workers))
        server.control(validators=1)
        rd = None if args.skip_reader else run_reader(server.urls, Path(tmp) / "reader.db")

    first = cw["first"]
    rows: list[list[Any]] = [
        ["casewatch first poll", first.seconds, first.new, offered / first.seconds, first.new / first.seconds,
         first.feeds_per_s, f"{first.feeds - first.ok} failed"],
        ["casewatch re-poll (304)", cw["repoll_304"].seconds, cw["repoll_304"].new, "", "",
         cw["repoll_304"].feeds_per_s, _statuses(cw["repoll_304"])],
        ["casewatch re-poll (200, same body)", cw["repoll_unchanged"].seconds, cw["repoll_unchanged"].new, "",
         "", cw["repoll_unchanged"].feeds_per_s, _statuses(cw["repoll_unchanged"])],
    ]
    result: dict[str, Any] = {
        "feeds": args.feeds,
        "offered_items": offered,
        "casewatch": {k: _stats_json(v) for k, v in cw.items()},
    }
    if rd is not None:
        r1, r2 = rd["first"], rd["repoll_304"]
        rows += [
            ["reader first poll", r1["seconds"], int(r1["stored"]), offered / r1["seconds"],
             r1["stored"] / r1["seconds"], args.feeds / r1["seconds"], f"{int(r1['failed_feeds'])} failed"],
            ["reader re-poll (304)", r2["seconds"], int(r2["stored"] - r1["stored"]), "", "",
             args.feeds / r2["seconds"], ""],
        ]
        result["reader"] = rd
        result["ratio_offered_items_per_s"] = r1["seconds"] / first.seconds
        result["ratio_stored_items_per_s"] = (first.new / first.seconds) / (r1["stored"] / r1["seconds"])
        result["ratio_repoll"] = r2["seconds"] / cw["repoll_304"].seconds
    print_table(
        f"Ingest: {args.feeds} virtual feeds, {offered:,} items offered",
        ["run", "seconds", "stored", "offered items/s", "stored items/s", "feeds/s", "notes"],
        rows,
    )
    checks = [["re-poll (304) feeds/s", cw["repoll_304"].feeds_per_s, f">= {TARGET_REPOLL_FEEDS_PER_S:,.0f}",
               verdict(cw["repoll_304"].feeds_per_s >= TARGET_REPOLL_FEEDS_PER_S)]]
    if rd is not None:
        ratio = min(result["ratio_offered_items_per_s"], result["ratio_stored_items_per_s"])
        checks.insert(0, ["casewatch / reader items/s (lower of the two bases)", ratio,
                          f">= {TARGET_VS_READER:g}", verdict(ratio >= TARGET_VS_READER)])
        checks.append(["casewatch / reader re-poll", result["ratio_repoll"], "", ""])
    print_table("Ingest ratios", ["measure", "value", "target", "verdict"], checks)
    emit_json("ingest", result)
    return result


def _statuses(stats: PollStats) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(stats.statuses.items()))


def _stats_json(stats: PollStats) -> dict[str, Any]:
    return {
        "seconds": round(stats.seconds, 3),
        "feeds": stats.feeds,
        "ok": stats.ok,
        "new": stats.new,
        "duplicate": stats.duplicate,
        "relevant": stats.relevant,
        "statuses": stats.statuses,
        "feeds_per_s": round(stats.feeds_per_s, 1),
    }


if __name__ == "__main__":
    main()
