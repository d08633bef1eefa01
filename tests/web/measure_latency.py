"""Page latencies of the web view over a database (``python -m tests.web.measure_latency DB``).

Each page is fetched over real HTTP on 127.0.0.1 (aiohttp client -> aiohttp server -> SQLite), one at a
time after a warm-up; p50 / p99 / max in ms per kind of page. The database is only read. Without a DB
argument it builds one with ``tests.web.bulk.fill_many`` (``--cases N``).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

from bot.web import create_app
from storage.store import SqliteStore
from tests.web.bulk import fill_many


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(db: Path, samples: int, seed: int) -> None:
    rng = random.Random(seed)
    async with await SqliteStore.open(db, read_only=True) as store:
        total = await store.cases.count()
        articles = await store.articles.count()
        ids = [c.id for off in range(0, min(total, 50_000), 997) for c in await store.cases.recent(3, off)]
        server = TestServer(create_app(store))
        await server.start_server()
        words = ["google", "meta", "subpoena", "lawsuit", "court order", "tik", "warrant", "antitrust fine"]
        kinds = {
            "list page 1": lambda: "/",
            "list page 2-50": lambda: f"/?page={rng.randint(2, 50)}",
            "list page 500": lambda: "/?page=500",
            "list + search": lambda: "/?q=" + rng.choice(words).replace(" ", "+"),
            "list + status filter": lambda: "/?status=" + rng.choice(["filed", "settled", "appeal", "ruling"]),
            "list + platform filter": lambda: "/?platform=" + rng.choice(["google", "meta", "tiktok", "apple"]),
            "case page": lambda: f"/cases/{rng.choice(ids)}",
            "case timeline.svg": lambda: f"/cases/{rng.choice(ids)}/timeline.svg",
        }
        try:
            async with aiohttp.ClientSession(str(server.make_url(""))) as http:
                for path in ("/", f"/cases/{ids[0]}"):  # warm-up (templates compiled, facets read)
                    async with http.get(path) as r:
                        await r.read()
                print(f"database {db}: {total:,} cases, {articles:,} articles; {samples} samples per kind")
                for kind, make in kinds.items():
                    times: list[float] = []
                    for _ in range(samples):
                        path = make()
                        started = time.perf_counter()
                        async with http.get(path) as r:
                            await r.read()
                            assert r.status == 200, (path, r.status)
                        times.append((time.perf_counter() - started) * 1000)
                    print(
                        f"  {kind:<24} p50 {statistics.median(times):6.2f} ms  p99 {_pct(times, 0.99):6.2f} ms"
                        f"  max {max(times):6.2f} ms"
                    )
        finally:
            await server.close()


async def build(path: Path, cases: int) -> None:
    async with await SqliteStore.open(path) as store:
        await fill_many(store, cases)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("db", nargs="?", type=Path, help="an existing casewatch database (only read)")
    parser.add_argument("--cases", type=int, default=10_000, help="cases to generate when no DB is given")
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    if args.db is not None:
        asyncio.run(measure(args.db, args.samples, args.seed))
        return
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "web.db"
        asyncio.run(build(db, args.cases))
        asyncio.run(measure(db, args.samples, args.seed))


if __name__ == "__main__":
    main()
