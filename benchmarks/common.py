"""Shared benchmark parts: the virtual-feed HTTP server, casewatch's poll runner, tables and JSON.

The real feeds in ``../shared/feeds/real/`` are served as N distinct virtual feeds: feed ``i`` is real
file ``i % 56`` with every item link, GUID and id rewritten to be unique to ``i``, so nothing dedupes
across virtual feeds and each item goes through the whole pipeline. The server runs in its own process
(its CPU and memory are not the client's), answers conditional GETs (ETag + Last-Modified -> 304) and
sets TCP_NODELAY, without which Nagle + delayed ACK add ~20 ms to every response.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import multiprocessing
import os
import platform
import re
import resource
import socket
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()
REAL_FEEDS = SHARED / "feeds" / "real"
LAST_MODIFIED = "Mon, 01 Jan 2024 00:00:00 GMT"


# --- the corpus ---------------------------------------------------------------------------------------


def real_feeds_dir() -> Path | None:
    """``../shared/feeds/real`` when present (a clone elsewhere has no shared data)."""
    return REAL_FEEDS if (REAL_FEEDS / "MANIFEST.tsv").exists() else None


@dataclass(frozen=True)
class RealFeed:
    name: str
    body: bytes
    items: int  # what feedparser finds in it, from MANIFEST.tsv


def load_real_feeds(directory: Path | None = None) -> list[RealFeed]:
    directory = directory or real_feeds_dir()
    if directory is None:
        raise SystemExit("../shared/feeds/real is not available: these benchmarks need it")
    with (directory / "MANIFEST.tsv").open(newline="") as fh:
        items = {row["filename"]: int(row["items_feedparser"] or 0) for row in csv.DictReader(fh, delimiter="\t")}
    return [
        RealFeed(p.name, p.read_bytes(), items.get(p.name, 0))
        for p in sorted(directory.glob("*.xml"))
    ]


_URL_IN_ELEMENT = re.compile(
    rb"(<(?:[\w.-]+:)?(?:link|guid|id|comments|origLink)\b[^>]*>\s*(?:<!\[CDATA\[\s*)?)(https?://)", re.I
)
_URL_IN_ATTRIBUTE = re.compile(rb"(<(?:[\w.-]+:)?link\b[^>]*?\bhref=[\"']\s*)(https?://)", re.I)
_RDF_URL = re.compile(rb"(\brdf:(?:about|resource)=[\"']\s*)(https?://)")
_OPAQUE_ID = re.compile(rb"(<(?:guid|id)\b[^>]*>)(?!\s*(?:<!\[CDATA\[\s*)?https?://)(?=\s*[^\s<])")


def virtualize(body: bytes, index: int) -> bytes:
    """Make every item link / GUID / id of ``body`` unique to virtual feed ``index``.

    URLs get a host prefix (``https://vf7.example.com/...``); opaque GUIDs get a ``vf7:`` prefix.
    Namespace URIs are untouched, so the document parses exactly as the original does.
    """
    host = b"\\2vf%d." % index
    body = _URL_IN_ELEMENT.sub(b"\\1" + host, body)
    body = _URL_IN_ATTRIBUTE.sub(b"\\1" + host, body)
    body = _RDF_URL.sub(b"\\1" + host, body)
    return _OPAQUE_ID.sub(b"\\1vf%d:" % index, body)


def virtual_items(feeds: Sequence[RealFeed], n: int) -> int:
    """Items offered by ``n`` virtual feeds (the same numerator for every contender)."""
    return sum(feeds[i % len(feeds)].items for i in range(n))


# --- the server ---------------------------------------------------------------------------------------


def _serve(directory: str, n: int, conn: Any) -> None:  # runs in the server process
    from aiohttp import web

    feeds = load_real_feeds(Path(directory))
    bodies = [virtualize(feeds[i % len(feeds)].body, i) for i in range(n)]
    state = {"generation": 1, "validators": True}
    counts: dict[str, int] = {"200": 0, "304": 0, "404": 0}

    async def feed(request: web.Request) -> web.StreamResponse:
        sock = request.transport.get_extra_info("socket") if request.transport else None
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            i = int(request.match_info["i"])
            body = bodies[i]
        except (ValueError, IndexError):
            counts["404"] += 1
            return web.Response(status=404)
        etag = f'"vf{i}-g{state["generation"]}"'
        headers = {"ETag": etag, "Last-Modified": LAST_MODIFIED, "Content-Type": "application/xml"}
        if state["validators"]:
            inm = request.headers.get("If-None-Match")
            ims = request.headers.get("If-Modified-Since")
            if (inm is not None and etag in {t.strip() for t in inm.split(",")}) or (
                inm is None and state["generation"] == 1 and ims == LAST_MODIFIED
            ):
                counts["304"] += 1
                return web.Response(status=304, headers=headers)
        counts["200"] += 1
        return web.Response(body=body, headers=headers)

    async def control(request: web.Request) -> web.Response:
        if "validators" in request.query:
            state["validators"] = request.query["validators"] == "1"
        if "bump" in request.query:
            state["generation"] += 1
        if "reset" in request.query:
            for key in counts:
                counts[key] = 0
        return web.json_response({**counts, **state})

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/feed/{i}.xml", feed)
        app.router.add_get("/_control", control)
        runner = web.AppRunner(app, access_log=None, handle_signals=True)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(runner, sock, backlog=1024).start()
        conn.send(sock.getsockname()[1])
        await asyncio.Event().wait()

    asyncio.run(main())


class VirtualFeedServer:
    """``with VirtualFeedServer(500) as server: server.urls`` -- N virtual feeds on 127.0.0.1."""

    def __init__(self, n: int, directory: Path | None = None) -> None:
        self.n = n
        self.directory = directory or real_feeds_dir()
        if self.directory is None:
            raise SystemExit("../shared/feeds/real is not available: these benchmarks need it")
        self.port = 0
        self._process: multiprocessing.process.BaseProcess | None = None

    def __enter__(self) -> VirtualFeedServer:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(str(self.directory), self.n, child), daemon=True)
        self._process.start()
        if not parent.poll(120):
            self.__exit__()
            raise RuntimeError("virtual feed server did not start")
        self.port = parent.recv()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.join(5)
            self._process = None

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{self.port}/feed/{i}.xml" for i in range(self.n)]

    @property
    def pid(self) -> int:
        """The serving process (for its CPU time)."""
        assert self._process is not None and self._process.pid is not None
        return self._process.pid

    def control(self, **query: int) -> dict[str, Any]:
        """Switch validators on/off (``validators=0``), start a new generation (``bump=1``), read counts."""
        import urllib.request

        qs = "&".join(f"{k}={v}" for k, v in query.items())
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_control?{qs}", timeout=10) as resp:
            return dict(json.loads(resp.read()))


# --- casewatch's side ---------------------------------------------------------------------------------


@dataclass
class PollStats:
    seconds: float
    feeds: int
    ok: int
    new: int
    duplicate: int
    relevant: int
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def feeds_per_s(self) -> float:
        return self.feeds / self.seconds if self.seconds else 0.0


def summarize_results(results: Sequence[Any], seconds: float) -> PollStats:
    statuses: dict[str, int] = {}
    for r in results:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    return PollStats(
        seconds=seconds,
        feeds=len(results),
        ok=sum(r.ok for r in results),
        new=sum(r.new for r in results),
        duplicate=sum(r.duplicate for r in results),
        relevant=sum(r.relevant for r in results),
        statuses=statuses,
    )


@dataclass
class CasewatchPolls:
    """A fresh casewatch database and the whole pipeline (fetch, parse, dedupe, detect, group, store)."""

    db_path: Path
    parser_workers: int = 2
    concurrency: int = 32
    fetch_limit: int = 32  # every virtual feed is on one host; in production they are on hundreds

    async def run(self, urls: Sequence[str], phases: Sequence[tuple[str, Any]]) -> dict[str, PollStats]:
        """Add ``urls``, then poll all of them once per phase; ``phase[1]()`` runs before that poll."""
        from bot.feeds.fetcher import Fetcher, FetchLimits
        from bot.feeds.parser import ParserPool
        from bot.pipeline import Pipeline, PipelineOptions
        from storage.store import SqliteStore

        store = await SqliteStore.open(self.db_path)
        parser = ParserPool(workers=self.parser_workers, inline=self.parser_workers == 0)
        fetcher = Fetcher(FetchLimits(per_host=self.fetch_limit, global_limit=self.fetch_limit))
        pipeline = Pipeline(store, parser, fetcher, PipelineOptions(concurrency=self.concurrency))
        out: dict[str, PollStats] = {}
        try:
            for url in urls:
                await store.feeds.add(url)
            if self.parser_workers:  # start the worker processes outside the timed region
                await asyncio.gather(*(parser.parse(b"<rss version='2.0'><channel/></rss>")
                                       for _ in range(self.parser_workers)), return_exceptions=True)
            for name, before in phases:
                if before is not None:
                    before()
                feeds = await store.feeds.list()
                with profiled(name):
                    started = time.perf_counter()
                    results = await pipeline.poll_many(feeds)
                    out[name] = summarize_results(results, time.perf_counter() - started)
        finally:
            await fetcher.close()
            await parser.close()
            await store.close()
        return out


@contextlib.contextmanager
def profiled(label: str) -> Iterator[None]:
    """With ``BENCH_PROFILE=dir`` set, record a pyinstrument profile of the block as ``dir/label.txt``."""
    target = os.environ.get("BENCH_PROFILE")
    if not target:
        yield
        return
    from pyinstrument import Profiler

    profiler = Profiler(async_mode="enabled")
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        Path(target).mkdir(parents=True, exist_ok=True)
        (Path(target) / f"{label}.txt").write_text(profiler.output_text(unicode=True, show_all=False))


# --- reporting ----------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version()}


def peak_rss_mb() -> float:
    """This process's peak resident set size so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    print(f"\n## {title}\n")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    print()


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def emit_json(benchmark: str, payload: dict[str, Any]) -> None:
    """The one machine-readable line every benchmark prints last."""
    print(json.dumps({"benchmark": benchmark, "machine": machine(), **payload}, sort_keys=True))
    sys.stdout.flush()


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def base_parser(description: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(description=description)
