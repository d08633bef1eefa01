"""Lookups at scale on PostgreSQL: p50/p99 of /case search autocomplete, /case search, /case show and a
primary-key read at 100k cases / 1M articles, with the primary-key read as the same-run baseline.

    python -m benchmarks.pg_lookups [--url postgresql://...] [--samples 1000] [--reload]

The data is ``benchmarks.lookups``' generated SQLite database (the same cases, reports and events),
copied once into a PostgreSQL schema of its own (``COPY``; the search vectors computed the way
``storage/postgres`` writes them; the schema kept between runs, ``--reload`` rebuilds it). The queries
run through ``PostgresStore`` itself, interleaved so drift hits all of them alike. The server is
``--url``, else ``$CASEWATCH_BENCH_PG_URL``, else ``$CASEWATCH_TEST_PG_URL`` (``.ci/postgres.sh start``
prints one). Target (issue 13): autocomplete p99 <= 20 ms.
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import statistics
import time
from pathlib import Path
from typing import Any

from benchmarks import lookups
from benchmarks.common import base_parser, emit_json, print_table, verdict

TARGET_AUTOCOMPLETE_P99_MS = 20.0
BATCH = 20_000


def _url(given: str | None) -> str:
    for url in (given, os.environ.get("CASEWATCH_BENCH_PG_URL"), os.environ.get("CASEWATCH_TEST_PG_URL")):
        if url and url.strip():
            return url.strip()
    raise SystemExit(
        "pg_lookups needs a PostgreSQL server: --url, $CASEWATCH_BENCH_PG_URL or $CASEWATCH_TEST_PG_URL "
        "(bash .ci/postgres.sh start DIR starts a throwaway one)"
    )


def _schema(cases: int, articles: int) -> str:
    return f"cw_bench_lookups_{cases}_{articles}_g{lookups.GENERATOR_VERSION}"


def _with_search_path(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}search_path={schema}"


async def _loaded(admin: Any, schema: str, cases: int) -> bool:
    exists = await admin.fetchval("SELECT to_regclass($1) IS NOT NULL", f"{schema}.cases")
    return bool(exists) and int(await admin.fetchval(f"SELECT COUNT(*) FROM {schema}.cases")) == cases


def _rows(src: sqlite3.Connection, sql: str) -> Any:
    cur = src.execute(sql)
    while batch := cur.fetchmany(BATCH):
        yield batch


async def load(url: str, sqlite_path: Path, schema: str, cases: int, *, reload: bool) -> float | None:
    """Copy the generated database into ``schema``; None when it is there already."""
    import asyncpg

    from storage.postgres.database import migrate
    from storage.postgres.search import article_document, case_document

    admin = await asyncpg.connect(url)
    try:
        if not reload and await _loaded(admin, schema, cases):
            return None
        started = time.perf_counter()
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.execute(f"CREATE SCHEMA {schema}")
    finally:
        await admin.close()
    conn = await asyncpg.connect(_with_search_path(url, schema))
    src = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    try:
        await migrate(conn)
        copy = conn.copy_records_to_table

        async def copy_searchable(table: str, records: list[tuple[Any, ...]], columns: list[str]) -> None:
            """COPY has no binary tsvector encoder: through a staging table with the vector as text."""
            plain = ", ".join(c for c in columns if c != "search")
            await conn.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS stage_{table} AS SELECT {plain}, ''::text AS search "
                f"FROM {table} WITH NO DATA"
            )
            await conn.execute(f"TRUNCATE stage_{table}")
            await copy(f"stage_{table}", records=records, columns=columns)
            await conn.execute(
                f"INSERT INTO {table} ({plain}, search) SELECT {plain}, search::tsvector FROM stage_{table}"
            )
        for batch in _rows(src, "SELECT id, url, created_at FROM feeds"):
            await copy("feeds", records=[(i, u, c, True) for i, u, c in batch], columns=["id", "url", "created_at", "first_poll_done"])
        case_cols = ["pk", "id", "title", "status", "action", "platforms", "counterparties", "court", "docket",
                     "subjects", "keywords", "opened_at", "updated_at", "summary", "article_count", "issues", "search"]
        for batch in _rows(src, f"SELECT {', '.join(case_cols[:-1])} FROM cases ORDER BY pk"):
            records = [(*r, case_document(r[2], r[5], r[6], r[9], r[13])) for r in batch]
            await copy_searchable("cases", records, case_cols)
        for batch in _rows(src, "SELECT case_id, platform_key, updated_at FROM case_platforms ORDER BY rowid"):
            await copy("case_platforms", records=batch, columns=["case_id", "platform_key", "updated_at"])
        art_cols = ["id", "feed_id", "key", "url", "title", "summary", "published", "fetched_at", "content_hash"]
        sql = (
            f"SELECT {', '.join('a.' + c for c in art_cols)}, d.relevant FROM articles a "
            "JOIN detections d ON d.article_id = a.id ORDER BY a.id"
        )
        for batch in _rows(src, sql):
            records = [(*r[:-1], article_document(r[4], r[5]) if r[-1] else None) for r in batch]
            await copy_searchable("articles", records, [*art_cols, "search"])
        det_cols = ["article_id", "relevant", "score", "platforms", "counterparties", "action", "stage", "court",
                    "docket", "subjects", "reasons", "case_id"]
        for batch in _rows(src, f"SELECT {', '.join(det_cols)} FROM detections ORDER BY article_id"):
            await copy("detections", records=[(r[0], bool(r[1]), *r[2:]) for r in batch], columns=det_cols)
        ev_cols = ["case_id", "from_status", "to_status", "at", "article_id", "url", "created_at"]
        for batch in _rows(src, f"SELECT {', '.join(ev_cols)} FROM case_events ORDER BY id"):
            await copy("case_events", records=batch, columns=ev_cols)
        for table in ("feeds", "cases", "articles", "case_events"):
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{'pk' if table == 'cases' else 'id'}'), "
                f"(SELECT MAX({'pk' if table == 'cases' else 'id'}) FROM {table}))"
            )
        await conn.execute("ANALYZE")
        return time.perf_counter() - started
    finally:
        src.close()
        await conn.close()


async def measure(url: str, samples: int, seed: int = 11) -> dict[str, list[float]]:
    from storage.postgres.store import PostgresStore

    rnd = random.Random(seed)
    positives = [i for i in lookups.corpus_items() if i["label"] == 1]
    words = sorted({w for i in positives for w in i["title"].replace(":", " ").split() if w.isalpha() and len(w) > 2})
    out: dict[str, list[float]] = {k: [] for k in ("pk_lookup", "autocomplete", "search", "show")}
    store = await PostgresStore.open(url, read_only=True)
    try:
        n_cases = await store.cases.count()
        for warm in range(20):  # connections opened, plans cached
            await store.cases.autocomplete(words[warm % len(words)][:3], limit=25)
        for _ in range(samples):
            case_id = f"bench-{rnd.randrange(1, n_cases + 1):07d}"
            word = rnd.choice(words)
            prefix = word[: rnd.randrange(2, len(word) + 1)]
            if rnd.random() < 0.5:
                prefix = f"{rnd.choice(words)} {prefix}"
            query = f"{rnd.choice(words)} {rnd.choice(words)}"

            async def pk(case_id: str = case_id) -> Any:
                return await store.db.fetchrow("SELECT * FROM cases WHERE id = $1", case_id)

            async def show(case_id: str = case_id) -> Any:
                return (
                    await store.cases.get(case_id),
                    await store.articles.for_case(case_id),
                    await store.cases.events(case_id),
                )

            await lookups.timed(out["pk_lookup"], pk)
            await lookups.timed(out["autocomplete"], lambda p=prefix: store.cases.autocomplete(p, limit=25))
            await lookups.timed(out["search"], lambda q=query: store.cases.search(q, limit=25))
            await lookups.timed(out["show"], show)
    finally:
        await store.close()
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = base_parser(__doc__.split("\n")[0])
    ap.add_argument("--url", help="PostgreSQL server (default: $CASEWATCH_BENCH_PG_URL, $CASEWATCH_TEST_PG_URL)")
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--articles", type=int, default=1_000_000)
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--reload", action="store_true", help="copy the data into PostgreSQL again")
    ap.add_argument("--cache-dir", type=Path, default=None, help="where the SQLite source is cached ($TMPDIR)")
    args = ap.parse_args(argv)
    url = _url(args.url)
    if not lookups.CORPUS.exists():
        raise SystemExit(f"{lookups.CORPUS} is not available: this benchmark needs it")
    path, generated = lookups.ensure_db(args.cases, args.articles, directory=args.cache_dir)
    schema = _schema(args.cases, args.articles)
    loaded = asyncio.run(load(url, path, schema, args.cases, reload=args.reload))
    samples = asyncio.run(measure(_with_search_path(url, schema), args.samples))
    base = statistics.median(samples["pk_lookup"])
    stats: dict[str, dict[str, float]] = {}
    rows = []
    for kind, values in samples.items():
        p50, p99 = statistics.median(values), lookups.percentile(values, 99)
        stats[kind] = {"p50_ms": p50, "p99_ms": p99, "max_ms": max(values)}
        rows.append([kind, len(values), p50, p99, max(values), f"{p50 / base:.1f}x"])
    print_table(
        f"PostgreSQL lookups at {args.cases:,} cases / {args.articles:,} articles",
        ["query", "samples", "p50 ms", "p99 ms", "max ms", "p50 vs pk lookup"],
        rows,
    )
    ac = stats["autocomplete"]["p99_ms"]
    print_table(
        "PostgreSQL lookup target",
        ["query", "p99 ms", "target", "verdict"],
        [["autocomplete", ac, f"<= {TARGET_AUTOCOMPLETE_P99_MS:g} ms", verdict(ac <= TARGET_AUTOCOMPLETE_P99_MS)]],
    )
    result = {"cases": args.cases, "articles": args.articles, "generate_s": generated, "load_s": loaded,
              "schema": schema, "latency": stats}
    emit_json("pg_lookups", result)
    return result


if __name__ == "__main__":
    main()
