"""Poll workers on PostgreSQL: the first poll of N virtual feeds by 1, 2 and 4 ``worker poll`` processes.

``python -m benchmarks.workers [--feeds 500] [--counts 1,2,4] [--parser-workers 0] [--pg-url URL]``

Each run gets a fresh schema with the N feeds, starts K worker processes (each the real
``bot.workers.poll`` worker over the real pipeline, parsing in-process unless ``--parser-workers``),
waits until every one has opened its store and warmed up, then times from "go" until all of them found
nothing left to claim. The baseline is one worker, in the same run; SQLite's single process (the same
pipeline through ``Pipeline.poll_many``, ``benchmarks.common.CasewatchPolls``) runs too, for the
PostgreSQL/SQLite ratio. All virtual feeds are on one host, so the per-host limit is raised to 32, as in
``benchmarks.ingest``; with workers, those 32 slots are shared by all of them through the database.

PostgreSQL comes from ``--pg-url``, else ``CASEWATCH_TEST_PG_URL``, else a throwaway server started with
``.ci/postgres.sh`` (PostgreSQL 15 installed) and stopped at the end.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.common import (
    REPO,
    CasewatchPolls,
    VirtualFeedServer,
    base_parser,
    emit_json,
    print_table,
    verdict,
)

TARGET_TWO_WORKERS = 1.6
FETCH_LIMIT = 32


# --- one worker process ----------------------------------------------------------------------------------


def child(url: str, parser_workers: int) -> int:
    """The worker: open, say ready, wait for "go", poll until nothing is claimable, print its count."""
    from dataclasses import replace

    from bot.config import Settings
    from bot.workers.poll import open_poll_worker

    settings = replace(
        Settings(),
        database_url=url,
        parser_workers=parser_workers,
        per_host_limit=FETCH_LIMIT,
        global_fetch_limit=FETCH_LIMIT,
        log_level="WARNING",
    )

    async def run() -> int:
        async with open_poll_worker(settings) as worker:
            print("ready", flush=True)
            await asyncio.to_thread(sys.stdin.readline)
            ready_cpu = time.process_time()  # start-up (imports, store, warm-up) is not timed
            await worker.run(asyncio.Event(), until_idle=True)  # the production loop, until nothing is due
            waits = worker.slots.waits if worker.slots else 0
            print(f"polled {worker.polled} {time.process_time() - ready_cpu:.3f} {waits}", flush=True)
            return 0

    return asyncio.run(run())


# --- the parent ------------------------------------------------------------------------------------------


@contextmanager
def postgres(url: str | None) -> Iterator[str]:
    url = url or os.environ.get("CASEWATCH_TEST_PG_URL")
    if url:
        yield url
        return
    work = tempfile.mkdtemp(prefix="casewatch-bench-pg-")
    helper = REPO / ".ci" / "postgres.sh"
    subprocess.run(["bash", str(helper), "start", work], check=True, capture_output=True, timeout=120)
    try:
        env = (Path(work) / "env").read_text()
        yield env.split("CASEWATCH_TEST_PG_URL=", 1)[1].strip()
    finally:
        subprocess.run(["bash", str(helper), "stop", work], check=False, capture_output=True, timeout=60)


async def fresh_database(base: str, feed_urls: list[str]) -> tuple[str, str]:
    """A new schema with the feeds added: (its URL, its name)."""
    import asyncpg

    from storage.postgres.store import PostgresStore

    schema = f"cw_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(base)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
    finally:
        await admin.close()
    url = f"{base}{'&' if '?' in base else '?'}search_path={schema}"
    async with await PostgresStore.open(url) as store:
        for feed_url in feed_urls:
            await store.feeds.add(feed_url)
    return url, schema


async def drop_schema(base: str, schema: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(base)
    try:
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
    finally:
        await admin.close()


async def outcome(url: str) -> dict[str, int]:
    from storage.postgres.store import PostgresStore

    async with await PostgresStore.open(url) as store:
        polled = int(await store.db.fetchval("SELECT COUNT(*) FROM feeds WHERE last_fetch_at IS NOT NULL"))
        failed = int(await store.db.fetchval("SELECT COUNT(*) FROM feeds WHERE consecutive_failures > 0"))
        articles = await store.articles.count()
        cases = await store.cases.count()
    return {"feeds_polled": polled, "feeds_failed": failed, "articles": articles, "cases": cases}


def run_workers(url: str, count: int, parser_workers: int) -> tuple[float, list[int], list[float], list[int]]:
    """Start ``count`` workers, release them together: seconds from go to the last exit, and of each
    worker its polls, CPU seconds from go and fetches that waited for a free host slot."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "benchmarks.workers", "--child", url, "--parser-workers", str(parser_workers)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=REPO,
        )
        for _ in range(count)
    ]
    try:
        for p in procs:
            assert p.stdout is not None
            line = p.stdout.readline().strip()
            if line != "ready":
                raise RuntimeError(f"a worker did not start (said {line!r})")
        started = time.perf_counter()
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        counts: list[int] = []
        cpu: list[float] = []
        waits: list[int] = []
        for p in procs:
            assert p.stdout is not None
            said = p.stdout.readline().split()
            counts.append(int(said[1]))
            cpu.append(float(said[2]))
            waits.append(int(said[3]))
            p.wait(600)
        return time.perf_counter() - started, counts, cpu, waits
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state, ppid, ...), or None."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def cpu_s(pid: int) -> float:
    """CPU seconds of a process and of its children it has waited for (0 where /proc cannot say)."""
    parts = _proc_stat(pid)
    if parts is None:
        return 0.0
    return sum(int(v) for v in parts[11:15]) / os.sysconf("SC_CLK_TCK")


async def postmaster_pid(url: str) -> int | None:
    """The pid of the server behind ``url`` when it runs on this machine (a backend's parent)."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:  # read while the backend lives
        parts = _proc_stat(int(await conn.fetchval("SELECT pg_backend_pid()")))
    finally:
        await conn.close()
    return int(parts[1]) if parts else None


def postgres_cpu_s(postmaster: int | None) -> float:
    """CPU seconds used so far by one PostgreSQL server: its postmaster (which has reaped the backends
    that ended) and its live processes. Other servers on the machine are not counted."""
    if postmaster is None:
        return 0.0
    total = cpu_s(postmaster)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        parts = _proc_stat(int(stat.parent.name))
        if parts is not None and parts[1] == str(postmaster):
            total += cpu_s(int(stat.parent.name))
    return total


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=500, help="virtual feeds (default 500)")
    parser.add_argument("--counts", default="1,2,4", help="worker counts to run (default 1,2,4; 1 first)")
    parser.add_argument("--parser-workers", type=int, default=0, help="parser processes per worker (default 0)")
    parser.add_argument("--pg-url", help="PostgreSQL server (a role that may create schemas)")
    parser.add_argument("--skip-sqlite", action="store_true", help="no SQLite baseline")
    parser.add_argument("--child", metavar="URL", help=argparse_hidden())
    args = parser.parse_args(argv)
    if args.child:
        raise SystemExit(child(args.child, args.parser_workers))
    counts = [int(c) for c in args.counts.split(",")]
    if counts[0] != 1:
        counts.insert(0, 1)
    runs: dict[int, dict[str, Any]] = {}
    sqlite: dict[str, Any] | None = None
    with postgres(args.pg_url) as base, VirtualFeedServer(args.feeds) as server:
        urls = server.urls
        postmaster = asyncio.run(postmaster_pid(base))
        for count in counts:
            url, schema = asyncio.run(fresh_database(base, urls))
            try:
                pg_cpu, feed_cpu = postgres_cpu_s(postmaster), cpu_s(server.pid)
                seconds, per_worker, cpu, waits = run_workers(url, count, args.parser_workers)
                runs[count] = {
                    "seconds": seconds,
                    "per_worker": per_worker,
                    "worker_cpu_s": cpu,
                    "slot_waits": waits,
                    "postgres_cpu_s": postgres_cpu_s(postmaster) - pg_cpu,
                    "feed_server_cpu_s": cpu_s(server.pid) - feed_cpu,
                    **asyncio.run(outcome(url)),
                }
            finally:
                asyncio.run(drop_schema(base, schema))
        if not args.skip_sqlite:
            with tempfile.TemporaryDirectory(prefix="casewatch-bench-") as tmp:
                polls = CasewatchPolls(
                    Path(tmp) / "casewatch.db", parser_workers=args.parser_workers, fetch_limit=FETCH_LIMIT
                )
                stats = asyncio.run(polls.run(urls, [("first", None)]))["first"]
                sqlite = {"seconds": stats.seconds, "feeds": stats.feeds, "failed": stats.feeds - stats.ok,
                          "new": stats.new}  # fmt: skip

    one = runs[1]["seconds"]
    rows = [
        [f"PostgreSQL, {k} worker{'s' if k > 1 else ''}", r["seconds"], args.feeds / r["seconds"], one / r["seconds"],
         r["articles"], f"{r['feeds_polled']} polled, {r['feeds_failed']} failed; per worker {r['per_worker']}; CPU s: workers "
         f"{[round(c, 1) for c in r['worker_cpu_s']]}, postgres {r['postgres_cpu_s']:.1f}, "
         f"feed server {r['feed_server_cpu_s']:.1f}; slot waits {r['slot_waits']}"]
        for k, r in runs.items()
    ]  # fmt: skip
    if sqlite is not None:
        rows.append(["SQLite, 1 process (poll_many)", sqlite["seconds"], sqlite["feeds"] / sqlite["seconds"],
                     one / sqlite["seconds"], sqlite["new"], f"{sqlite['failed']} failed"])  # fmt: skip
    print_table(
        f"Poll workers: first poll of {args.feeds} virtual feeds (parser processes per worker: {args.parser_workers})",
        ["run", "seconds", "feeds/s", "vs 1 PG worker", "articles", "notes"],
        rows,
    )
    result: dict[str, Any] = {
        "feeds": args.feeds,
        "parser_workers": args.parser_workers,
        "runs": {str(k): {**v, "feeds_per_s": args.feeds / v["seconds"]} for k, v in runs.items()},
        "sqlite": sqlite,
    }
    checks = []
    if 2 in runs:
        ratio = one / runs[2]["seconds"]
        result["ratio_2_vs_1"] = ratio
        checks.append(["2 workers / 1 worker feeds/s", ratio, f">= {TARGET_TWO_WORKERS}", verdict(ratio >= TARGET_TWO_WORKERS)])
    if 4 in runs:
        result["ratio_4_vs_1"] = one / runs[4]["seconds"]
        checks.append(["4 workers / 1 worker feeds/s", result["ratio_4_vs_1"], "(2 cores)", ""])
    if sqlite is not None:
        result["ratio_pg1_vs_sqlite"] = sqlite["seconds"] / one
        checks.append(["PostgreSQL 1 worker / SQLite 1 process feeds/s", result["ratio_pg1_vs_sqlite"], "report", ""])
    print_table("Poll worker ratios", ["measure", "value", "target", "verdict"], checks)
    emit_json("workers", result)
    return result


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    main()
