"""Every benchmark runs end to end at a tiny size, so the suite cannot rot (the numbers are not checked:
machines are noisy; the full-size runs are ``python -m benchmarks.<name>``, see benchmarks/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import shared_path


def last_json(out: str, name: str) -> dict:
    line = out.strip().splitlines()[-1]
    data = json.loads(line)
    assert data["benchmark"] == name and data["machine"]["cpus"] >= 1
    return data


def test_virtual_feeds_are_distinct_but_parse_alike() -> None:
    shared_path("feeds", "real")
    import io

    import feedparser

    from benchmarks.common import load_real_feeds, virtualize

    feed = next(f for f in load_real_feeds() if f.name == "404media.xml")
    a, b = (feedparser.parse(io.BytesIO(virtualize(feed.body, i))) for i in (1, 2))
    assert len(a.entries) == len(b.entries) == feed.items > 0
    assert all(x.link != y.link and x.id != y.id for x, y in zip(a.entries, b.entries, strict=True))
    assert a.namespaces == b.namespaces


def test_ingest_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    shared_path("feeds", "real")
    from benchmarks import ingest

    ingest.main(["--feeds", "3"])
    data = last_json(capsys.readouterr().out, "ingest")
    assert data["casewatch"]["first"]["new"] > 0 and data["reader"]["first"]["stored"] > 0
    assert data["casewatch"]["repoll_304"]["statuses"] == {"not_modified": 3}
    assert data["casewatch"]["repoll_unchanged"]["statuses"] == {"unchanged": 3}


def test_parse_floor_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    shared_path("feeds", "real")
    from benchmarks import parse_floor

    parse_floor.main(["--feeds", "2", "--skip-defaults"])
    data = last_json(capsys.readouterr().out, "parse_floor")
    assert data["floors"]["fast_2p"]["items"] == data["floors"]["fast_1p"]["items"] > 0
    assert data["fraction_of_floor"] > 0


def test_delivery_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import delivery

    delivery.main(["--alerts", "12", "--channels", "4"])
    data = last_json(capsys.readouterr().out, "delivery")
    assert data["messages"] == 12 and data["lost"] == 0 and data["doubled"] == 0


def test_lookups_smoke(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    shared_path("corpus", "dev.jsonl")
    from benchmarks import lookups

    args = ["--cases", "200", "--articles", "2000", "--samples", "8", "--cache-dir", str(tmp_path)]
    lookups.main(args)
    data = last_json(capsys.readouterr().out, "lookups")
    assert data["generate_s"] is not None
    assert {"autocomplete", "show", "timeline", "detect_group"} <= set(data["latency"])
    lookups.main(args)  # cached: not generated again
    assert last_json(capsys.readouterr().out, "lookups")["generate_s"] is None


def test_web_pages_smoke(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    shared_path("corpus", "dev.jsonl")
    from benchmarks import web_pages

    web_pages.main(["--cases", "200", "--articles", "2000", "--samples", "3", "--cache-dir", str(tmp_path)])
    data = last_json(capsys.readouterr().out, "web_pages")
    assert {"healthz (baseline)", "list page 1", "list + search", "case page"} <= set(data["latency"])
    assert all(v["p50_ms"] > 0 for v in data["latency"].values())


async def test_pg_lookups_smoke(capsys: pytest.CaptureFixture[str], tmp_path: Path, pg_url: str) -> None:
    shared_path("corpus", "dev.jsonl")
    import asyncio

    import asyncpg

    from benchmarks import pg_lookups

    args = ["--url", pg_url, "--cases", "200", "--articles", "2000", "--samples", "3", "--cache-dir", str(tmp_path)]
    try:
        await asyncio.to_thread(pg_lookups.main, args)
        data = last_json(capsys.readouterr().out, "pg_lookups")
        assert set(data["latency"]) == {"pk_lookup", "autocomplete", "search", "show"} and data["load_s"] > 0
        await asyncio.to_thread(pg_lookups.main, args)  # the copy is kept: not loaded again
        assert last_json(capsys.readouterr().out, "pg_lookups")["load_s"] is None
    finally:
        admin = await asyncpg.connect(pg_url)
        try:
            await admin.execute(f"DROP SCHEMA IF EXISTS {pg_lookups._schema(200, 2000)} CASCADE")
        finally:
            await admin.close()


def test_memory_smoke(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    shared_path("feeds", "real")
    shared_path("corpus", "dev.jsonl")
    from benchmarks import memory

    memory.main(["--feeds", "2", "--cases", "100", "--articles", "1000", "--samples", "4",
                 "--cache-dir", str(tmp_path)])
    data = last_json(capsys.readouterr().out, "memory")
    assert data["poll"]["new"] > 0 and data["poll"]["rss_mb"] > data["floor"]["rss_mb"] * 0.5


def test_case_size_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import case_size

    case_size.main(["--sizes", "2,6", "--samples", "3"])
    data = last_json(capsys.readouterr().out, "case_size")
    # every report of the one dispute joined one case, and the measured reports were rolled back
    assert [(s["cases"], s["largest_case"]) for s in data["sizes"]] == [(1, 2), (1, 6)]
    assert all(s["p99_ms"] >= s["p50_ms"] > 0 for s in data["sizes"])


def test_workers_smoke(capsys: pytest.CaptureFixture[str], pg_url: str) -> None:
    shared_path("feeds", "real")
    from benchmarks import workers

    workers.main(["--feeds", "4", "--counts", "1,2", "--skip-sqlite", "--pg-url", pg_url])
    data = last_json(capsys.readouterr().out, "workers")
    assert {k: v["feeds_polled"] for k, v in data["runs"].items()} == {"1": 4, "2": 4}
    assert data["runs"]["1"]["articles"] == data["runs"]["2"]["articles"] > 0


def test_delivery_workers_smoke(capsys: pytest.CaptureFixture[str], pg_url: str) -> None:
    from benchmarks import delivery_workers

    delivery_workers.main(["--alerts", "12", "--channels", "4", "--pg-url", pg_url])
    data = last_json(capsys.readouterr().out, "delivery_workers")
    assert data["messages"] == 12 and data["lost"] == data["doubled"] == data["global_429"] == 0
    assert sum(data["per_deliverer"]) == 12
