"""Parse floor: feedparser alone on the same bytes casewatch ingests, vs casewatch's whole ingest.

``python -m benchmarks.parse_floor [--feeds 500] [--skip-defaults]``

Bodies are the N virtual feeds of the ingest benchmark, already in memory: the floor is parsing only
(no HTTP, no storage). Measured with feedparser's defaults and with ``sanitize_html=False,
resolve_relative_uris=False`` (casewatch renders plain text, so it needs neither), in 1 and 2 processes;
then casewatch's own ``parse_bytes`` (defuse + stdlib fast path or feedparser + normalise) in 2
processes, the same with the fast path switched off (feedparser for every body), and casewatch's full
first poll of the same feeds over HTTP. The ratio to watch is that last one against the best floor.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import multiprocessing
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks.common import (
    CasewatchPolls,
    VirtualFeedServer,
    base_parser,
    emit_json,
    load_real_feeds,
    print_table,
    verdict,
    virtual_items,
    virtualize,
)

TARGET_FRACTION = 0.8
FAST = {"sanitize_html": False, "resolve_relative_uris": False}

_bodies: list[bytes] = []


def _load(n: int) -> None:
    feeds = load_real_feeds()
    _bodies[:] = [virtualize(feeds[i % len(feeds)].body, i) for i in range(n)]


def _parse_range(mode: str, start: int, stop: int, step: int) -> int:
    """Parse bodies ``start:stop:step``; returns the entries found (a worker's whole share in one call)."""
    import feedparser

    from bot.feeds.parser import FeedParseError, parse_bytes

    if mode == "casewatch_nofast":
        import bot.feeds.parser as parser_module

        parser_module.parse_fast = lambda data, url=None: None  # type: ignore[assignment]
    items = 0
    for body in _bodies[start:stop:step]:
        if mode.startswith("casewatch"):
            with contextlib.suppress(FeedParseError):
                items += len(parse_bytes(body).entries)
        else:
            parsed = feedparser.parse(io.BytesIO(body), **(FAST if mode == "fast" else {}))
            items += len(parsed.entries)
    return items


def measure(mode: str, n: int, processes: int) -> tuple[float, int]:
    """Seconds and items to parse all ``n`` bodies with ``processes`` workers (startup not timed)."""
    if processes == 1:
        started = time.perf_counter()
        items = _parse_range(mode, 0, n, 1)
        return time.perf_counter() - started, items
    ctx = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(processes, mp_context=ctx, initializer=_load, initargs=(n,)) as pool:
        list(pool.map(_parse_range, [mode] * processes, [0] * processes, [0] * processes, [1] * processes))
        started = time.perf_counter()
        futures = [pool.submit(_parse_range, mode, k, n, processes) for k in range(processes)]
        items = sum(f.result() for f in futures)
        return time.perf_counter() - started, items


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=500, help="virtual feeds (default 500)")
    parser.add_argument("--skip-defaults", action="store_true", help="skip feedparser's (slow) defaults")
    args = parser.parse_args(argv)
    n = args.feeds
    _load(n)
    offered = virtual_items(load_real_feeds(), n)
    runs: list[tuple[str, str, int]] = []
    if not args.skip_defaults:
        runs += [("feedparser defaults", "defaults", 1), ("feedparser defaults", "defaults", 2)]
    runs += [
        ("feedparser no sanitise/resolve", "fast", 1),
        ("feedparser no sanitise/resolve", "fast", 2),
        ("casewatch parse_bytes (defuse+parse+normalise)", "casewatch", 2),
        ("casewatch parse_bytes, fast path off (feedparser only)", "casewatch_nofast", 2),
    ]
    rows: list[list[Any]] = []
    floors: dict[str, dict[str, float]] = {}
    for label, mode, procs in runs:
        seconds, items = measure(mode, n, procs)
        floors[f"{mode}_{procs}p"] = {"seconds": seconds, "items": items, "items_per_s": items / seconds}
        rows.append([label, procs, seconds, items, items / seconds])
    with tempfile.TemporaryDirectory(prefix="casewatch-bench-") as tmp, VirtualFeedServer(n) as server:
        cw = asyncio.run(CasewatchPolls(Path(tmp) / "cw.db").run(server.urls, [("first", None)]))["first"]
    rows.append(["casewatch full ingest over HTTP (first poll)", 2, cw.seconds, cw.new + cw.duplicate,
                 offered / cw.seconds])
    best = max(v["items_per_s"] for k, v in floors.items() if not k.startswith("casewatch"))
    fraction = (offered / cw.seconds) / best
    print_table(
        f"Parse floor: {n} virtual feeds, {offered:,} items",
        ["run", "processes", "seconds", "items", "items/s"],
        rows,
    )
    print_table(
        "Parse floor ratio",
        ["measure", "value", "target", "verdict"],
        [["casewatch ingest / best feedparser floor", fraction, f">= {TARGET_FRACTION}",
          verdict(fraction >= TARGET_FRACTION)]],
    )
    result = {
        "feeds": n,
        "offered_items": offered,
        "floors": floors,
        "casewatch_ingest": {"seconds": cw.seconds, "items_per_s": offered / cw.seconds, "new": cw.new},
        "best_floor_items_per_s": best,
        "fraction_of_floor": fraction,
    }
    emit_json("parse_floor", result)
    return result


if __name__ == "__main__":
    main()
