"""Memory: peak RSS of a casewatch poll of 1,000 feeds, and of a process holding the 1M-article database.

``python -m benchmarks.memory [--feeds 1000] [--cases 100000] [--articles 1000000] [--with-reader]``

Each measure runs in a fresh child process so its peak is its own. The poll's figure is the main
process (event loop, fetcher, SQLite) plus, separately, the largest parser worker. The database figure
is a process that opens the lookups benchmark's database (generated if missing) and serves a few
hundred /case searches, shows and new-article groupings from it. The baseline in the same run is a
child that only imports the same modules (the interpreter's floor); ``--with-reader`` adds ``reader``'s
peak on the same feeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import (
    CasewatchPolls,
    VirtualFeedServer,
    base_parser,
    emit_json,
    peak_rss_mb,
    print_table,
    real_feeds_dir,
    verdict,
)

TARGET_MB = 250.0


def _children_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def child_floor() -> dict[str, Any]:
    import bot.pipeline  # noqa: F401
    import storage.store  # noqa: F401

    return {"rss_mb": peak_rss_mb()}


def child_poll(n: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="casewatch-bench-") as tmp, VirtualFeedServer(int(n)) as server:
        stats = asyncio.run(CasewatchPolls(Path(tmp) / "m.db").run(server.urls, [("first", None)]))["first"]
        main_mb = peak_rss_mb()
    # RUSAGE_CHILDREN covers the parser workers and the feed server; the server is measured apart below.
    return {"rss_mb": main_mb, "children_max_mb": _children_peak_mb(), "new": stats.new,
            "seconds": stats.seconds}


def child_parser_worker_peak() -> dict[str, Any]:
    """The largest parser worker's peak: parse the biggest virtual bodies in this (fresh) process."""
    from benchmarks.common import load_real_feeds
    from bot.feeds.parser import FeedParseError, parse_bytes

    feeds = load_real_feeds()
    for f in sorted(feeds, key=lambda f: len(f.body))[-5:]:
        with contextlib.suppress(FeedParseError):
            parse_bytes(f.body)
    return {"rss_mb": peak_rss_mb()}


def child_reader(n: str) -> dict[str, Any]:
    from benchmarks.ingest import run_reader

    with tempfile.TemporaryDirectory(prefix="casewatch-bench-") as tmp, VirtualFeedServer(int(n)) as server:
        run_reader(server.urls, Path(tmp) / "r.db")
        return {"rss_mb": peak_rss_mb()}


def child_database(cases: str, articles: str, samples: str, cache_dir: str = "") -> dict[str, Any]:
    from benchmarks.lookups import ensure_db, measure

    path, _ = ensure_db(int(cases), int(articles), directory=Path(cache_dir) if cache_dir else None)
    before = peak_rss_mb()
    asyncio.run(measure(path, int(samples)))
    return {"rss_mb": peak_rss_mb(), "rss_before_open_mb": before, "db_mb": path.stat().st_size / 2**20}


def in_child(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", "--child", *args],
        capture_output=True, text=True, check=False, timeout=600,
    )
    if out.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--with-reader", action="store_true")
    parser.add_argument("--cache-dir", type=Path, default=None, help="where the lookups database is cached")
    parser.add_argument("--child", nargs="+", help=argparse_hidden())
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        fn = {"floor": child_floor, "poll": child_poll, "worker": child_parser_worker_peak,
              "reader": child_reader, "database": child_database}[kind]
        print(json.dumps(fn(*rest)))
        return {}
    if real_feeds_dir() is None:  # said here in one line, not as a child's traceback
        raise SystemExit("../shared/feeds/real is not available: these benchmarks need it")
    floor = in_child("floor")
    poll = in_child("poll", str(args.feeds))
    worker = in_child("worker")
    database = in_child("database", str(args.cases), str(args.articles), str(args.samples),
                        str(args.cache_dir or ""))
    rows = [
        ["interpreter + casewatch imports (baseline)", floor["rss_mb"], ""],
        [f"poll of {args.feeds:,} feeds: main process", poll["rss_mb"], f"{poll['new']:,} items stored"],
        ["poll: largest parser worker (5 biggest real feeds)", worker["rss_mb"], ""],
        [f"holding {args.cases:,} cases / {args.articles:,} articles", database["rss_mb"],
         f"database {database['db_mb']:,.0f} MB on disk"],
    ]
    result: dict[str, Any] = {"feeds": args.feeds, "floor": floor, "poll": poll, "worker": worker,
                              "database": database}
    if args.with_reader:
        reader = in_child("reader", str(args.feeds))
        rows.append([f"reader: poll of {args.feeds:,} feeds", reader["rss_mb"], ""])
        result["reader"] = reader
    print_table("Memory: peak RSS", ["process", "peak RSS MB", "notes"], rows)
    print_table("Memory targets", ["measure", "MB", "target", "verdict"], [
        ["poll of feeds (main process)", poll["rss_mb"], f"<= {TARGET_MB:g}", verdict(poll["rss_mb"] <= TARGET_MB)],
        ["bot holding the database", database["rss_mb"], f"<= {TARGET_MB:g}",
         verdict(database["rss_mb"] <= TARGET_MB)],
    ])
    emit_json("memory", result)
    return result


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    main()
