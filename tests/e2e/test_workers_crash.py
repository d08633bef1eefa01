"""Nothing lost, nothing doubled with several worker processes on PostgreSQL: two ``worker poll`` and two
``worker deliver`` processes (``tests/e2e/workers_runner.py``) share one database; they are SIGKILLed at
seeded random points and restarted, while four feeds grow. Afterwards every alert must be in its channel
exactly once (checked against a reference run without crashes, from what each message shows and again
through its nonce and delivery row), the database consistent, and no feed fetched by two pollers at once:
the feed server checks, for every request, that the feed is under a live lease in the database, and it
counts requests in flight per feed (never more than one). Likewise no channel is sent to by two
deliverers at once: the fake takes 30 ms over each post to the alert channel and counts the posts in
flight (never more than one; a deliverer sends to a channel one request at a time, and a target is one
deliverer's while it holds a lease there; a nonce would hide the double post this would otherwise be).

Kill points, one per round (1 to 3 rounds a trial):

- ``timer``: a random delay after the round started, a random non-empty set of the four processes;
- ``fetch``: a few milliseconds after the feed server answered a poller (both pollers: the one that
  fetched is among them): parse and the ingest transaction;
- ``post``: inside the fake's handler of the round's Nth accepted alert, before the response goes out
  (both deliverers): Discord has the message, the deliverer never learns it (the nonce's case).

``CASEWATCH_WORKER_CRASH_TRIALS`` (default 4) and ``CASEWATCH_CRASH_SEED`` configure it.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.feeds.parser import ParserPool
from bot.pipeline import Pipeline, PipelineOptions, body_digest
from storage.postgres.store import PostgresStore
from storage.store import SqliteStore
from tests.e2e.crash_runner import STARTED_LINE
from tests.e2e.test_crash import _READERS as READERS
from tests.e2e.test_crash import (
    AMAZON,
    REDDIT,
    REDDIT_FOLLOWUP,
    TELEGRAM,
    TELEGRAM_APPEAL,
    TOKEN,
    TWITTER,
    TWITTER_WITHDRAWN,
    Key,
    delivery_keys,
    key_of,
    message_key,
    nonce_mismatches,
    sigkill,
    trial_count,
)
from tests.e2e.test_crash import _drain_stdout as drain_stdout
from tests.fakediscord import FakeDiscord, RateLimitConfig
from tests.fakediscord.state import FakeChannel, FakeMessage
from tests.feedserver import FeedServer
from tests.feedxml import START, item, rss
from tests.storage_backends import fresh_schema

REPO = Path(__file__).resolve().parents[2]
KILL_MODES = ("timer", "fetch", "post")
ROLES = ("poll", "poll", "deliver", "deliver")
ROUND_DEADLINE_S = 4.0
DRAIN_DEADLINE_S = 40.0
LEASE_S = 1.5


def _noise(prefix: str) -> tuple[str, ...]:
    return tuple(
        item(f"{prefix}n{i}", f"Town council {prefix}{i} debates new bicycle lanes", "Residents spoke.", START)
        for i in range(15)
    )


# Four feeds, one story each (disjoint platforms), each in two versions: the second adds a development.
FEEDS: dict[str, tuple[bytes, bytes]] = {
    "/twitter.xml": (rss(TWITTER, *_noise("t")), rss(TWITTER, *_noise("t"), TWITTER_WITHDRAWN)),
    "/reddit.xml": (rss(REDDIT, *_noise("r")), rss(REDDIT, *_noise("r"), REDDIT_FOLLOWUP)),
    "/telegram.xml": (rss(TELEGRAM, *_noise("g")), rss(TELEGRAM, *_noise("g"), TELEGRAM_APPEAL)),
    "/amazon.xml": (rss(*_noise("a")), rss(*_noise("a"), AMAZON)),
}


async def reference_keys(versions: list[int]) -> list[Key]:
    with tempfile.TemporaryDirectory() as tmp:
        store = await SqliteStore.open(Path(tmp) / "reference.db")
        try:
            await store.guilds.update_settings(1, alert_channel_id=2)
            pipeline = Pipeline(store, ParserPool(inline=True), None, PipelineOptions(alert_on_first_poll=True))
            for path, bodies in FEEDS.items():
                feed, _ = await store.feeds.add(f"http://127.0.0.1{path}")
                for version in versions:
                    await pipeline.ingest_body(await store.feeds.get(feed.id), bodies[version])
            return await delivery_keys(store, 2)
        finally:
            await store.close()


@pytest.fixture(scope="module")
def expected_keys() -> list[Key]:
    histories = asyncio.run(_histories())
    first = histories[0]
    assert all(sorted(h) == sorted(first) for h in histories), histories
    kinds = Counter(k[0] for k in first)
    assert kinds["new_case"] >= 4 and kinds["status_update"] >= 2, first
    assert len(set(first)) == len(first)
    return first


async def _histories() -> list[list[Key]]:
    return [await reference_keys(h) for h in ([0, 1], [1])]


# --- processes ---------------------------------------------------------------------------------------


def runner_env(fake: FakeDiscord, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CASEWATCH_", "DISCORD_"))}
    env.update(
        PYTHONPATH=str(REPO),
        DISCORD_TOKEN=fake.token,
        CASEWATCH_DATABASE_URL=url,
        CASEWATCH_LOG_LEVEL="WARNING",
        CASEWATCH_TEST_API_BASE=fake.api_base,
        CASEWATCH_TEST_GATEWAY=fake.gateway_url,
        CASEWATCH_TEST_LEASE=str(LEASE_S),
    )
    return env


async def start(role: str, env: dict[str, str], cwd: Path, log_path: Path) -> asyncio.subprocess.Process:
    with log_path.open("ab") as log_file:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.e2e.workers_runner", role,
            cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE, stderr=log_file,
        )  # fmt: skip
    assert proc.stdout is not None
    async with asyncio.timeout(20):
        while (line := await proc.stdout.readline()) and line.decode().strip() != STARTED_LINE:
            pass
    reader = asyncio.create_task(drain_stdout(proc))
    READERS.add(reader)
    reader.add_done_callback(READERS.discard)
    return proc


@dataclass
class Plan:
    mode: str
    delay_s: float = 0.0
    nth_post: int = 1
    victims: tuple[int, ...] = ()  # timer: indexes into ROLES

    def __str__(self) -> str:
        if self.mode == "timer":
            return f"timer({self.delay_s:.2f}s, {[ROLES[i] + str(i) for i in self.victims]})"
        return f"fetch({self.delay_s:.3f}s)" if self.mode == "fetch" else f"post(#{self.nth_post})"


@dataclass
class Harness:
    procs: list[asyncio.subprocess.Process | None] = field(default_factory=lambda: [None] * len(ROLES))
    version: int = 0
    plan: Plan | None = None
    posts_this_round: int = 0
    fired: str | None = None
    kills: int = 0
    fetches: int = 0
    unleased_fetches: list[str] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    dead: set[int] = field(default_factory=set)  # killed, to be started again

    def kill(self, plan: Plan, indexes: tuple[int, ...], why: str = "") -> None:
        if self.plan is not plan:
            return  # a stale timer
        self.plan = None
        killed = [i for i in indexes if (p := self.procs[i]) is not None and sigkill(p)]
        self.kills += len(killed)
        self.dead.update(killed)
        self.fired = why or str(plan)
        self.done.set()


@dataclass
class TrialResult:
    seed: int
    plans: list[str]
    fired: list[str | None]
    kills: int
    keys: list[Key]
    posts_ok: int
    repeated_nonces: int
    mismatches: list[str]
    db_problems: list[str]
    outbox: dict[str, int]
    unleased_fetches: list[str]
    max_in_flight_per_feed: int
    max_in_flight_host: int
    max_posts_in_flight: int
    fetches: int
    seconds: float
    notes: list[str]
    logs: str

    def describe(self) -> str:
        return (
            f"seed={self.seed} kills={list(zip(self.plans, self.fired, strict=True))} outbox={self.outbox} "
            f"repeated_nonces={self.repeated_nonces} fetches={self.fetches} {self.notes}"
        )


def plan_for(rng: random.Random, mode: str) -> Plan:
    if mode == "timer":
        victims = tuple(sorted(rng.sample(range(len(ROLES)), rng.randint(1, len(ROLES)))))
        return Plan(mode, delay_s=rng.uniform(0.2, 2.5), victims=victims)
    if mode == "fetch":
        return Plan(mode, delay_s=rng.uniform(0.0, 0.06))
    return Plan(mode, nth_post=rng.randint(1, 3))


def watch_posts(fake: FakeDiscord, channel: FakeChannel, harness: Harness) -> None:
    original: Callable[..., FakeMessage] = fake.create_message

    def create_message(target: FakeChannel, body: dict[str, Any], **kwargs: Any) -> FakeMessage:
        message = original(target, body, **kwargs)
        plan = harness.plan
        if target.id == channel.id:
            harness.posts_this_round += 1
            if plan is not None and plan.mode == "post" and harness.posts_this_round >= plan.nth_post:
                harness.kill(plan, (2, 3))
        return message

    fake.create_message = create_message  # type: ignore[method-assign]


async def run_trial(seed: int, index: int, root: Path, pg_url: str, expected: list[Key]) -> TrialResult:
    rng = random.Random(seed)
    began = time.monotonic()
    work = root / f"trial-{seed}"
    work.mkdir(parents=True)
    log_path = work / "workers.log"
    harness = Harness()
    loop = asyncio.get_running_loop()
    plans: list[str] = []
    fired: list[str | None] = []
    notes: list[str] = []

    async with (
        fresh_schema(pg_url) as url,
        FakeDiscord(token=TOKEN, rate_limits=RateLimitConfig(enabled=False)) as fake,
        FeedServer() as server,
    ):
        store = await PostgresStore.open(url)
        try:
            guild = fake.add_guild("Newsroom")
            alerts = fake.add_text_channel(guild, "alerts")
            fake.slow_down("POST", rf"^/channels/{alerts.id}/messages$", 0.03)  # posts in flight long enough to overlap
            watch_posts(fake, alerts, harness)
            await store.guilds.update_settings(guild.id, alert_channel_id=alerts.id)

            def handler(path: str) -> Any:
                async def serve(request: web.Request) -> web.StreamResponse:
                    harness.fetches += 1
                    # The poller that asked must hold a live lease on this feed, in the database.
                    row = await store.db.fetchrow(
                        "SELECT lease_owner, lease_until > now() AS live FROM feeds WHERE url = $1",
                        server.url(path),
                    )
                    if row is None or row["lease_owner"] is None or not row["live"]:
                        harness.unleased_fetches.append(f"{path}: {dict(row) if row else None}")
                    await asyncio.sleep(0.03)  # a request in flight long enough to overlap a second one
                    plan = harness.plan
                    if plan is not None and plan.mode == "fetch":
                        loop.call_later(plan.delay_s, harness.kill, plan, (0, 1))
                    return web.Response(body=FEEDS[path][harness.version], content_type="application/rss+xml")

                return serve

            for path in FEEDS:
                server.route(path, handler=handler(path))
                await store.feeds.add(server.url(path))
            env = runner_env(fake, url)

            async def ensure_running() -> None:
                async def one(i: int) -> None:
                    proc = harness.procs[i]
                    if proc is not None and i in harness.dead:
                        await proc.wait()  # reaped: its returncode is only set then
                        harness.dead.discard(i)
                    if proc is None or proc.returncode is not None:
                        harness.procs[i] = await start(ROLES[i], env, work, log_path)

                await asyncio.gather(*(one(i) for i in range(len(ROLES))))

            for rnd in range(rng.randint(1, 3)):
                harness.version = min(rnd + rng.randint(0, 1), 1)
                mode = KILL_MODES[index % len(KILL_MODES)] if rnd == 0 else rng.choice(KILL_MODES)
                plan = plan_for(rng, mode)
                harness.done.clear()
                harness.posts_this_round, harness.fired = 0, None
                await ensure_running()
                harness.plan = plan
                plans.append(str(plan))
                if mode == "timer":
                    loop.call_later(plan.delay_s, harness.kill, plan, plan.victims)
                try:
                    await asyncio.wait_for(harness.done.wait(), ROUND_DEADLINE_S)
                except TimeoutError:
                    victims = tuple(sorted(rng.sample(range(len(ROLES)), 2)))
                    harness.kill(plan, victims, f"deadline({ROUND_DEADLINE_S}s) instead of {plan}")
                fired.append(harness.fired)

            harness.version = 1
            harness.plan = None
            await ensure_running()
            notes += await wait_drained(fake, alerts, store, server, expected)
            await asyncio.sleep(0.5)  # anything extra would show up now
            for proc in harness.procs:
                if proc is not None:
                    sigkill(proc)
                    await proc.wait()

            messages = fake.messages(alerts)
            keys = [message_key(fake, m) for m in messages]
            posts = fake.requests_to("POST", rf"^/channels/{alerts.id}/messages$", status=200)
            nonces = Counter(str(r.json.get("nonce")) for r in posts)
            rows = await store.db.fetch(
                "SELECT d.id, d.kind, d.case_id, a.url FROM deliveries d LEFT JOIN articles a ON a.id = d.article_id"
            )
            mismatches = nonce_mismatches(messages, keys, {int(r[0]): key_of(r[1], r[2], r[3]) for r in rows})
            problems = await store.db.integrity_problems()
            outbox = await store.outbox.counts()
        finally:
            await store.close()
        per_feed = max(server.max_concurrent(p) for p in FEEDS)
        host = server.max_concurrent()
        posts_in_flight = fake.max_in_flight[f"POST /channels/{alerts.id}/messages"]
    return TrialResult(
        seed=seed,
        plans=plans,
        fired=fired,
        kills=harness.kills,
        keys=keys,
        posts_ok=len(posts),
        repeated_nonces=sum(n - 1 for n in nonces.values()),
        mismatches=mismatches,
        db_problems=problems,
        outbox=outbox,
        unleased_fetches=harness.unleased_fetches,
        max_in_flight_per_feed=per_feed,
        max_in_flight_host=host,
        max_posts_in_flight=posts_in_flight,
        fetches=harness.fetches,
        seconds=time.monotonic() - began,
        notes=notes,
        logs=log_path.read_text(errors="replace")[-4000:] if log_path.exists() else "",
    )


async def wait_drained(
    fake: FakeDiscord, alerts: FakeChannel, store: PostgresStore, server: FeedServer, expected: list[Key]
) -> list[str]:
    finals = {server.url(p): body_digest(bodies[1]) for p, bodies in FEEDS.items()}
    deadline = time.monotonic() + DRAIN_DEADLINE_S
    while time.monotonic() < deadline:
        seen = {message_key(fake, m) for m in fake.messages(alerts)}
        if set(expected) <= seen and not (await store.outbox.counts()).get("pending"):
            feeds = await store.feeds.list()
            if all(f.body_hash == finals[f.url] for f in feeds):
                return []
        await asyncio.sleep(0.1)
    counts = await store.outbox.counts()
    feeds = await store.db.fetch(
        "SELECT url, next_due_at, lease_owner, lease_until, last_error, consecutive_failures, enabled FROM feeds"
    )
    slots = await store.db.fetch("SELECT * FROM host_slots")
    return [
        f"not drained within {DRAIN_DEADLINE_S}s (outbox={counts}, now={time.time()}, "
        f"feeds={[dict(f) for f in feeds]}, slots={[dict(s) for s in slots]})"
    ]


def check(result: TrialResult, expected: list[Key]) -> list[str]:
    counts = Counter(result.keys)
    problems = []
    if lost := [k for k in expected if counts[k] == 0]:
        problems.append(f"lost {lost}")
    if doubled := {k: n for k, n in counts.items() if n > 1}:
        problems.append(f"doubled {doubled}")
    if unexpected := [k for k in counts if k not in expected]:
        problems.append(f"unexpected {unexpected}")
    if result.db_problems:
        problems.append(f"database: {result.db_problems}")
    if result.outbox.get("pending") or result.outbox.get("failed"):
        problems.append(f"outbox not cleanly drained: {result.outbox}")
    if result.unleased_fetches:
        problems.append(f"fetches without a live lease: {result.unleased_fetches}")
    if result.max_in_flight_per_feed > 1:
        problems.append(f"a feed was fetched {result.max_in_flight_per_feed} times at once")
    if result.max_posts_in_flight > 1:
        problems.append(f"{result.max_posts_in_flight} posts at once to the alert channel (two deliverers on it)")
    if result.max_in_flight_host > 2:
        problems.append(f"{result.max_in_flight_host} requests at once to one host (the limit is 2)")
    problems += result.mismatches
    problems += result.notes
    return problems


async def test_workers_sigkill_lose_and_double_nothing(
    expected_keys: list[Key], tmp_path: Path, pg_url: str
) -> None:
    count = trial_count("CASEWATCH_WORKER_CRASH_TRIALS", 4)
    base_seed = int(os.environ.get("CASEWATCH_CRASH_SEED", "20261202"))
    results = []
    for i in range(count):  # one at a time: each trial is four processes on a 2-core machine
        result = await run_trial(base_seed * 1000 + i, i, tmp_path, pg_url, expected_keys)
        problems = check(result, expected_keys)
        assert not problems, f"{result.describe()}: {problems}\n--- worker logs ---\n{result.logs}"
        results.append(result)
    modes = Counter((f or "none").split("(")[0] for r in results for f in r.fired)
    print(
        f"{len(results)} trials, {sum(r.kills for r in results)} processes killed {dict(modes)}, "
        f"{sum(r.repeated_nonces for r in results)} resends absorbed by the nonce, "
        f"{sum(r.fetches for r in results)} fetches all under a live lease, "
        f"{sum(r.seconds for r in results):.1f}s"
    )
    assert sum(r.kills for r in results) >= count
    if count >= 3:
        assert {"timer", "fetch", "post"} <= set(modes), f"not every kind of kill happened: {dict(modes)}"
