"""Web view page latencies at scale: p50/p99 of each kind of page over real HTTP, at 100,000 cases and
1,000,000 articles, against a baseline measured in the same run.

``python -m benchmarks.web_pages [--cases 100000] [--articles 1000000] [--samples 300] [--rebuild]``

The database is the one ``benchmarks.lookups`` generates (the real schema, cases modelled on the corpus,
cached in the temp dir; built on first use, about a minute). The web view (``bot.web.create_app``) is
served on 127.0.0.1 by aiohttp over a read-only store and fetched by an aiohttp client one request at a
time; the kinds of page are interleaved so that drift of the machine hits all of them alike. The
baseline is ``/healthz`` (one trivial query through the same server and client), so the ratios say what
each page costs beyond HTTP itself. Targets (issue 16): list and case page p99 <= 50 ms.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import lookups
from benchmarks.common import base_parser, emit_json, print_table, verdict

TARGET_P99_MS = 50.0
TARGETED = ("list page 1", "list + search", "list + legal-issue filter", "case page")
SEARCH_WORDS = ["google", "meta", "subpoena", "lawsuit", "court order", "tik", "warrant", "antitrust fine",
                "twitter", "apple"]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def measure(path: Path, samples: int, seed: int = 16) -> dict[str, list[float]]:
    import aiohttp
    from aiohttp.test_utils import TestServer

    from bot.web import create_app
    from storage.store import SqliteStore

    rng = random.Random(seed)
    async with await SqliteStore.open(path, read_only=True) as store:
        total = await store.cases.count()
        ids = [f"bench-{rng.randrange(1, total + 1):07d}" for _ in range(500)]
        kinds: dict[str, Callable[[], str]] = {
            "healthz (baseline)": lambda: "/healthz",
            "list page 1": lambda: "/",
            "list page 2-50": lambda: f"/?page={rng.randint(2, 50)}",
            "list + search": lambda: "/?q=" + rng.choice(SEARCH_WORDS).replace(" ", "+"),
            "list + status filter": lambda: "/?status=" + rng.choice(["filed", "settled", "appeal", "ruling"]),
            "list + platform filter": lambda: "/?platform=" + rng.choice(["google", "facebook", "tiktok", "apple"]),
            # common issues and rare ones: a rare issue's list reads far down the updated_at index
            "list + legal-issue filter": lambda: "/?issue=" + rng.choice(
                ["competition", "anonymous_speech", "encryption", "biometric_privacy", "fisa_nsl"]
            ),
            "case page": lambda: f"/cases/{rng.choice(ids)}",
            "case timeline.svg": lambda: f"/cases/{rng.choice(ids)}/timeline.svg",
        }
        out: dict[str, list[float]] = {k: [] for k in kinds}
        server = TestServer(create_app(store))
        await server.start_server()
        try:
            async with aiohttp.ClientSession(str(server.make_url(""))) as http:
                for warm in ("/", f"/cases/{ids[0]}", "/?q=google"):  # templates compiled, facets read
                    async with http.get(warm) as r:
                        await r.read()
                for _ in range(samples):
                    for kind, make in kinds.items():
                        url = make()
                        started = time.perf_counter()
                        async with http.get(url) as r:
                            await r.read()
                            if r.status != 200:
                                raise SystemExit(f"web_pages: {url} answered {r.status}")
                        out[kind].append((time.perf_counter() - started) * 1000)
        finally:
            await server.close()
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = base_parser(__doc__.split("\n")[0])
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--articles", type=int, default=1_000_000)
    ap.add_argument("--samples", type=int, default=300)
    ap.add_argument("--rebuild", action="store_true", help="regenerate the cached database")
    ap.add_argument("--cache-dir", type=Path, default=None, help="where the database is cached ($TMPDIR)")
    args = ap.parse_args(argv)
    if not lookups.CORPUS.exists():
        raise SystemExit(f"{lookups.CORPUS} is not available: this benchmark needs it")
    path, generated = lookups.ensure_db(args.cases, args.articles, rebuild=args.rebuild, directory=args.cache_dir)
    lookups.preload(path)
    samples = asyncio.run(measure(path, args.samples))
    base = statistics.median(samples["healthz (baseline)"])
    stats: dict[str, dict[str, float]] = {}
    rows = []
    for kind, values in samples.items():
        p50, p99 = statistics.median(values), percentile(values, 99)
        stats[kind] = {"p50_ms": p50, "p99_ms": p99, "max_ms": max(values)}
        rows.append([kind, len(values), p50, p99, max(values), f"{p50 / base:.1f}x"])
    print_table(
        f"Web view pages at {args.cases:,} cases / {args.articles:,} articles (real HTTP on 127.0.0.1)",
        ["page", "samples", "p50 ms", "p99 ms", "max ms", "p50 vs healthz"],
        rows,
    )
    print_table(
        "Web view targets",
        ["page", "p99 ms", "target", "verdict"],
        [[k, stats[k]["p99_ms"], f"<= {TARGET_P99_MS:g} ms", verdict(stats[k]["p99_ms"] <= TARGET_P99_MS)]
         for k in TARGETED],
    )
    result = {"cases": args.cases, "articles": args.articles, "generate_s": generated, "latency": stats}
    emit_json("web_pages", result)
    return result


if __name__ == "__main__":
    main()
