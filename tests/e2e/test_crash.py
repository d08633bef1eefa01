"""Promise 5, nothing lost and nothing doubled: SIGKILL the real bot during ingest and delivery, restart it,
and check that every alert reached its channel exactly once and the database is intact.

The bot runs in a subprocess (``tests/e2e/crash_runner.py``) against a FakeDiscord and a feed server that
live in this process, so their state survives the bot's death as Discord's and a news site's would. Each
trial kills the bot one to three times, at a seeded random point chosen among three kinds:

- ``timer``: a random delay after the process started (login, ingest, delivery, anything);
- ``fetch``: a few milliseconds after the feed server answered (parse and the ingest transaction);
- ``post``: synchronously inside the fake's handler for the Nth accepted alert, before the response goes
  out: Discord has the message, the bot never learns it (the case the nonce exists for).

The feed grows between restarts. Afterwards the bot runs until its outbox is drained, and the test checks
the channel against a reference run without crashes, identifying each message from what it shows (its
Follow button, its case-card link, its source link) and again through its nonce and the delivery row.

``CASEWATCH_CRASH_TRIALS`` (default 20) and ``CASEWATCH_CRASH_SEED`` (default fixed) configure the CI test;
the ``slow`` test runs ``CASEWATCH_CRASH_SLOW_TRIALS`` (default 100) trials with a time-based seed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import bot.pipeline as pipeline_module
from bot.feeds.parser import ParserPool
from bot.pipeline import Pipeline, PipelineOptions, body_digest
from storage.store import SqliteStore
from tests.e2e.botworld import REDDIT as BOT_REDDIT
from tests.e2e.botworld import START, World, item, rss, world_fixture  # noqa: F401
from tests.e2e.botworld import SUMMONS as BOT_SUMMONS
from tests.e2e.crash_runner import STARTED_LINE
from tests.fakediscord import FakeDiscord, RateLimitConfig
from tests.fakediscord.state import FakeChannel, FakeMessage
from tests.feedserver import FeedServer

REPO = Path(__file__).resolve().parents[2]
TOKEN = "MTE4NzY1NDMyMTA5ODc2NTQzMg.GcRaSh.crash-runner-token-0123456789abcdefgh"
FEED_PATH = "/feed.xml"
KILL_MODES = ("timer", "fetch", "post")
RUN_DEADLINE_S = 3.0  # a killed run that did not reach its kill point is killed here anyway
DRAIN_DEADLINE_S = 15.0


def _at(hours: int) -> Any:
    return START + timedelta(hours=hours)


TWITTER = item(
    "a1",
    "Twitter sues DHS over summons to unmask the anonymous @ALT_uscis account",
    "Twitter filed a lawsuit in federal court asking a judge to block a Customs and Border Protection "
    "summons that demands records identifying the person behind the @ALT_uscis account.",
    _at(0),
)
REDDIT = item(
    "b1",
    "Reddit fights subpoena seeking names of users in film piracy case",
    "Reddit asked a federal judge to quash a subpoena from film studios that want the identities of "
    "anonymous users who commented on piracy.",
    _at(1),
)
TELEGRAM = item(
    "c1",
    "Brazilian court orders nationwide block of Telegram",
    "A judge in Brazil ordered internet providers to block Telegram after the company failed to hand over "
    "data on neo-Nazi groups, a blocking order the platform called unjust.",
    _at(2),
)
TWITTER_WITHDRAWN = item(
    "a2",
    "Government withdraws @ALT_uscis summons and Twitter drops its lawsuit",
    "One day after the suit was filed, Customs and Border Protection withdrew the summons, and Twitter "
    "dropped its case against the Department of Homeland Security.",
    _at(24),
)
TELEGRAM_APPEAL = item(
    "c2",
    "Telegram appeals Brazilian court's blocking order",
    "Telegram filed an appeal against the Brazilian court order that blocked the messaging app nationwide "
    "over neo-Nazi group data.",
    _at(26),
)
REDDIT_FOLLOWUP = item(
    "b2",
    "Judge quashes film studios' subpoena to Reddit, protecting anonymous users",
    "A federal judge quashed the subpoena the film studios served on Reddit, ruling that the anonymous "
    "users' identities stay protected.",
    _at(30),
)
AMAZON = item(
    "d1",
    "FTC sues Amazon over Prime cancellation maze",
    "The Federal Trade Commission filed a lawsuit against Amazon in federal court, alleging the company "
    "tricked users into Prime subscriptions.",
    _at(31),
)
# Noise makes the ingest transaction long enough to be hit by a kill.
NOISE = tuple(
    item(f"n{i}", f"Town council {i} debates new bicycle lanes", "Residents spoke for and against.", _at(3))
    for i in range(25)
)
# The feed grows between restarts (items are appended, so every version ingests in the same order).
VERSIONS: tuple[bytes, ...] = (
    rss(TWITTER, REDDIT, TELEGRAM, *NOISE),
    rss(TWITTER, REDDIT, TELEGRAM, *NOISE, TWITTER_WITHDRAWN, TELEGRAM_APPEAL),
    rss(TWITTER, REDDIT, TELEGRAM, *NOISE, TWITTER_WITHDRAWN, TELEGRAM_APPEAL, REDDIT_FOLLOWUP, AMAZON),
)

Key = tuple[str, ...]  # ("new_case", case_id) or ("status_update", case_id, source_url)


def trial_count(env: str, default: int) -> int:
    return max(1, int(os.environ.get(env, str(default))))


# --- the reference: the same feed history without crashes ---------------------------------------------


async def delivery_keys(store: SqliteStore, channel_id: int) -> list[Key]:
    rows = await store.db.fetchall(
        "SELECT d.kind, d.case_id, a.url FROM deliveries d LEFT JOIN articles a ON a.id = d.article_id "
        "WHERE d.target_kind = 'channel' AND d.target_id = ? ORDER BY d.id",
        (channel_id,),
    )
    return [key_of(r[0], r[1], r[2]) for r in rows]


def key_of(kind: str, case_id: str, url: str | None) -> Key:
    return (kind, case_id) if kind == "new_case" else (kind, case_id, url or "")


async def reference_keys(versions: list[int]) -> list[Key]:
    """What an uncrashed casewatch alerts for this feed history (the pipeline alone, no Discord)."""
    with tempfile.TemporaryDirectory() as tmp:
        store = await SqliteStore.open(Path(tmp) / "reference.db")
        try:
            await store.guilds.update_settings(1, alert_channel_id=2)
            feed, _ = await store.feeds.add("https://news.example.org/feed.xml")
            pipeline = Pipeline(
                store, ParserPool(inline=True), None, PipelineOptions(alert_on_first_poll=True)
            )
            for version in versions:
                current = await store.feeds.get(feed.id)
                assert current is not None
                await pipeline.ingest_body(current, VERSIONS[version])
            return await delivery_keys(store, 2)
        finally:
            await store.close()


@pytest.fixture(scope="module")
def expected_keys() -> list[Key]:
    """The alerts every trial must end with; the same whichever versions a run happened to see."""

    async def compute() -> list[list[Key]]:
        return [await reference_keys(h) for h in ([0, 1, 2], [2], [0, 2], [1, 2])]

    histories = asyncio.run(compute())
    first = histories[0]
    assert all(sorted(h) == sorted(first) for h in histories), f"reference depends on history: {histories}"
    kinds = Counter(k[0] for k in first)
    assert kinds["new_case"] >= 3 and kinds["status_update"] >= 2, f"scenario too thin: {first}"
    assert len(set(first)) == len(first)
    return first


# --- one bot process -----------------------------------------------------------------------------------


_READERS: set[asyncio.Task[None]] = set()  # strong references: the loop keeps only weak ones


def runner_env(fake: FakeDiscord, db_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CASEWATCH_", "DISCORD_"))}
    env.update(
        PYTHONPATH=str(REPO),
        DISCORD_TOKEN=fake.token,
        CASEWATCH_DB=str(db_path),
        CASEWATCH_LOG_LEVEL="WARNING",
        CASEWATCH_TEST_API_BASE=fake.api_base,
        CASEWATCH_TEST_GATEWAY=fake.gateway_url,
    )
    return env


async def start_runner(env: dict[str, str], cwd: Path, log_path: Path) -> asyncio.subprocess.Process:
    with log_path.open("ab") as log_file:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.e2e.crash_runner",
            cwd=cwd,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=log_file,
        )
    assert proc.stdout is not None
    async with asyncio.timeout(10):
        while (line := await proc.stdout.readline()) and line.decode().strip() != STARTED_LINE:
            pass
    reader = asyncio.create_task(_drain_stdout(proc))  # a full pipe would block the bot
    _READERS.add(reader)
    reader.add_done_callback(_READERS.discard)
    return proc


async def _drain_stdout(proc: asyncio.subprocess.Process) -> None:
    assert proc.stdout is not None
    while await proc.stdout.readline():
        pass


def sigkill(proc: asyncio.subprocess.Process) -> bool:
    """SIGKILL unless it already exited; True when this call killed it."""
    if proc.returncode is not None:
        return False
    try:
        os.kill(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True


# --- a trial -------------------------------------------------------------------------------------------


@dataclass
class KillPlan:
    mode: str
    delay_s: float = 0.0  # timer: after start; fetch: after the feed was served
    nth_post: int = 1  # post: the Nth accepted alert of this run

    def __str__(self) -> str:
        return f"{self.mode}({self.delay_s:.3f}s)" if self.mode != "post" else f"post(#{self.nth_post})"


@dataclass
class Harness:
    """What the fake's and the feed server's hooks need to kill the current bot at the planned point."""

    version: int = 0
    proc: asyncio.subprocess.Process | None = None
    plan: KillPlan | None = None
    posts_this_run: int = 0
    fired: str | None = None
    last_served: bytes | None = None  # the body of the last feed fetch in this run

    def kill_now(self, plan: KillPlan, why: str = "") -> None:
        """Kill the current bot if ``plan`` is still the plan of this run (a stale timer does nothing)."""
        if self.plan is not plan:
            return
        self.plan = None
        if self.proc is not None and sigkill(self.proc):
            self.fired = why or str(plan)


@dataclass
class TrialResult:
    seed: int
    plans: list[str]
    fired: list[str | None]
    keys: list[Key]
    posts_ok: int
    repeated_nonces: int
    db_problems: list[str]
    outbox: dict[str, int]
    mismatches: list[str]
    interrupted_ingests: int
    seconds: float
    logs: str = ""
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return (
            f"seed={self.seed} kills={list(zip(self.plans, self.fired, strict=True))} "
            f"outbox={self.outbox} repeated_nonces={self.repeated_nonces} {self.notes}"
        )


def plan_for(rng: random.Random, mode: str) -> KillPlan:
    if mode == "timer":
        return KillPlan(mode, delay_s=rng.uniform(0.05, 1.6))
    if mode == "fetch":
        return KillPlan(mode, delay_s=rng.uniform(0.0, 0.06))
    return KillPlan(mode, nth_post=rng.randint(1, 3))


def message_key(fake: FakeDiscord, message: FakeMessage) -> Key:
    """Identify an alert from what it shows, independent of the database."""
    content = message.content or ""
    if content.startswith("**Status update:**"):
        source = re.search(r"Source: .*<([^>]+)>", content)
        card = re.search(r"Case card: \S+/(\d+)$", content, re.MULTILINE)
        case_id = follow_case(fake.all_messages[int(card.group(1))]) if card else follow_case(message)
        return ("status_update", case_id or "?", source.group(1) if source else "")
    return ("new_case", follow_case(message) or "?")


def follow_case(message: FakeMessage) -> str | None:
    for row in message.components:
        for component in row.get("components") or []:
            custom_id = str(component.get("custom_id") or "")
            if custom_id.startswith("cw:follow:"):
                return custom_id.removeprefix("cw:follow:")
    return None


def pending_count(db_path: Path) -> int:
    conn = sqlite3.connect(db_path, timeout=5)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM deliveries WHERE state = 'pending'").fetchone()[0])
    finally:
        conn.close()


def stored_body_hash(db_path: Path) -> str | None:
    conn = sqlite3.connect(db_path, timeout=5)
    try:
        row = conn.execute("SELECT body_hash FROM feeds").fetchone()
    finally:
        conn.close()
    return row[0] if row else None


def delivery_rows(db_path: Path) -> dict[int, Key]:
    conn = sqlite3.connect(db_path, timeout=5)
    try:
        rows = conn.execute(
            "SELECT d.id, d.kind, d.case_id, a.url FROM deliveries d LEFT JOIN articles a ON a.id = d.article_id"
        ).fetchall()
    finally:
        conn.close()
    return {int(r[0]): key_of(r[1], r[2], r[3]) for r in rows}


async def run_trial(seed: int, index: int, root: Path, expected: list[Key]) -> TrialResult:
    """One trial; the first kill cycles through the kill modes by ``index`` so every mode is exercised."""
    rng = random.Random(seed)
    began = time.monotonic()
    work = root / f"trial-{seed}"
    work.mkdir(parents=True)
    db_path, log_path = work / "bot.db", work / "bot.log"
    harness = Harness()
    loop = asyncio.get_running_loop()

    def serve_feed(request: web.Request) -> bytes:
        plan = harness.plan
        if plan is not None and plan.mode == "fetch":
            loop.call_later(plan.delay_s, harness.kill_now, plan)
        harness.last_served = VERSIONS[harness.version]
        return harness.last_served

    async with (
        FakeDiscord(token=TOKEN, rate_limits=RateLimitConfig(enabled=False)) as fake,
        FeedServer() as server,
    ):
        guild = fake.add_guild("Newsroom")
        alerts = fake.add_text_channel(guild, "alerts")
        watch_posts(fake, alerts, harness)
        server.route(FEED_PATH, body=serve_feed)
        async with await SqliteStore.open(db_path) as store:
            await store.guilds.update_settings(guild.id, alert_channel_id=alerts.id)
            await store.feeds.add(server.url(FEED_PATH))
        env = runner_env(fake, db_path)

        plans: list[str] = []
        fired: list[str | None] = []
        interrupted_ingests = 0
        for run in range(rng.randint(1, 3)):
            harness.version = min(run + rng.randint(0, 1), len(VERSIONS) - 1)
            mode = KILL_MODES[index % len(KILL_MODES)] if run == 0 else rng.choice(KILL_MODES)
            harness.plan, harness.fired, harness.posts_this_run = plan_for(rng, mode), None, 0
            harness.last_served = None
            plans.append(str(harness.plan))
            harness.proc = await start_runner(env, work, log_path)
            await kill_as_planned(harness)
            fired.append(harness.fired)
            if harness.last_served is not None and stored_body_hash(db_path) != body_digest(
                harness.last_served
            ):
                interrupted_ingests += 1  # fetched, but the poll's transaction never committed

        harness.version = len(VERSIONS) - 1
        harness.plan = None
        harness.proc = proc = await start_runner(env, work, log_path)
        notes = await wait_drained(fake, alerts, db_path, expected)
        await asyncio.sleep(0.3)  # anything extra would show up now
        sigkill(proc)
        await proc.wait()

        messages = fake.messages(alerts)
        keys = [message_key(fake, m) for m in messages]
        posts = fake.requests_to("POST", rf"^/channels/{alerts.id}/messages$", status=200)
        nonces = Counter(str(r.json.get("nonce")) for r in posts)
        mismatches = nonce_mismatches(messages, keys, delivery_rows(db_path))

    async with await SqliteStore.open(db_path) as store:
        problems = await store.db.integrity_problems()
        outbox = await store.outbox.counts()
    return TrialResult(
        seed=seed,
        plans=plans,
        fired=fired,
        keys=keys,
        posts_ok=len(posts),
        repeated_nonces=sum(n - 1 for n in nonces.values()),
        db_problems=problems,
        outbox=outbox,
        mismatches=mismatches,
        interrupted_ingests=interrupted_ingests,
        seconds=time.monotonic() - began,
        logs=log_path.read_text(errors="replace")[-3000:] if log_path.exists() else "",
        notes=notes,
    )


def watch_posts(fake: FakeDiscord, channel: FakeChannel, harness: Harness) -> None:
    """Kill the bot inside the fake's handler for the planned alert: Discord stored it, the bot never hears."""
    original: Callable[..., FakeMessage] = fake.create_message

    def create_message(target: FakeChannel, body: dict[str, Any], **kwargs: Any) -> FakeMessage:
        message = original(target, body, **kwargs)
        plan = harness.plan
        if target.id == channel.id:
            harness.posts_this_run += 1
            if plan is not None and plan.mode == "post" and harness.posts_this_run >= plan.nth_post:
                harness.kill_now(plan)
        return message

    fake.create_message = create_message  # type: ignore[method-assign]


async def kill_as_planned(harness: Harness) -> None:
    proc, plan = harness.proc, harness.plan
    assert proc is not None and plan is not None
    if plan.mode == "timer":
        try:
            await asyncio.wait_for(proc.wait(), plan.delay_s)
        except TimeoutError:
            harness.kill_now(plan)
    try:
        await asyncio.wait_for(proc.wait(), RUN_DEADLINE_S)
    except TimeoutError:
        harness.kill_now(plan, f"deadline({RUN_DEADLINE_S}s) instead of {plan}")
    await proc.wait()


async def wait_drained(
    fake: FakeDiscord, alerts: FakeChannel, db_path: Path, expected: list[Key]
) -> list[str]:
    deadline = time.monotonic() + DRAIN_DEADLINE_S
    while time.monotonic() < deadline:
        seen = {message_key(fake, m) for m in fake.messages(alerts)}
        if set(expected) <= seen and pending_count(db_path) == 0:
            return []
        await asyncio.sleep(0.05)
    return [f"not drained within {DRAIN_DEADLINE_S}s (pending={pending_count(db_path)})"]


def nonce_mismatches(messages: list[FakeMessage], keys: list[Key], rows: dict[int, Key]) -> list[str]:
    """Each message must be the one its nonce's delivery row describes (a reused nonce would not be)."""
    out = []
    for message, key in zip(messages, keys, strict=True):
        nonce = str(message.nonce or "")
        found = re.fullmatch(r"cw[0-9a-f]{6}x(\d+)", nonce)
        row = rows.get(int(found.group(1))) if found else None
        if row != key:
            out.append(f"message {message.id} shows {key} but nonce {nonce!r} is delivery {row}")
    return out


# --- the tests -----------------------------------------------------------------------------------------


def check(result: TrialResult, expected: list[Key]) -> list[str]:
    """Problems of one trial (empty when it kept every promise)."""
    counts = Counter(result.keys)
    lost = [k for k in expected if counts[k] == 0]
    doubled = {k: n for k, n in counts.items() if n > 1}
    unexpected = [k for k in counts if k not in expected]
    problems = []
    if lost:
        problems.append(f"lost {lost}")
    if doubled:
        problems.append(f"doubled {doubled}")
    if unexpected:
        problems.append(f"unexpected {unexpected}")
    if result.db_problems:
        problems.append(f"database: {result.db_problems}")
    if result.outbox.get("pending") or result.outbox.get("failed"):
        problems.append(f"outbox not cleanly drained: {result.outbox}")
    problems += result.mismatches
    if any(f is not None and f.startswith("post") for f in result.fired) and result.repeated_nonces == 0:
        problems.append("a kill after Discord accepted an alert was never resent (nonce not exercised)")
    return problems


async def run_trials(count: int, base_seed: int, root: Path, expected: list[Key]) -> list[TrialResult]:
    """Run ``count`` trials, ``CASEWATCH_CRASH_PARALLEL`` (default 2) at a time; fail with the seed."""
    gate = asyncio.Semaphore(trial_count("CASEWATCH_CRASH_PARALLEL", 2))

    async def one(i: int) -> TrialResult:
        async with gate:
            result = await run_trial(base_seed * 1000 + i, i, root, expected)
        problems = check(result, expected)
        assert not problems, f"{result.describe()}: {problems}\n--- bot log ---\n{result.logs}"
        return result

    return list(await asyncio.gather(*(one(i) for i in range(count))))


def summary(results: list[TrialResult]) -> str:
    fired = Counter((f or "none").split("(")[0] for r in results for f in r.fired)
    return (
        f"{len(results)} trials, {sum(len(r.fired) for r in results)} kills {dict(fired)}, "
        f"{sum(r.interrupted_ingests for r in results)} ingests cut off before commit, "
        f"{sum(r.repeated_nonces for r in results)} resends absorbed by the nonce, "
        f"{sum(r.seconds for r in results):.1f}s, seeds {results[0].seed}..{results[-1].seed}"
    )


async def test_sigkill_during_ingest_and_delivery_loses_and_doubles_nothing(
    expected_keys: list[Key], tmp_path: Path
) -> None:
    count = trial_count("CASEWATCH_CRASH_TRIALS", 20)
    base_seed = int(os.environ.get("CASEWATCH_CRASH_SEED", "20240301"))
    results = await run_trials(count, base_seed, tmp_path, expected_keys)
    print(summary(results))
    # Without the nonce these resends would have been duplicate alerts: the scenario really can double.
    assert sum(r.repeated_nonces for r in results) >= 1, summary(results)
    assert sum(r.posts_ok for r in results) > sum(len(r.keys) for r in results), summary(results)
    modes = {(f or "").split("(")[0] for r in results for f in r.fired}
    assert {"timer", "fetch", "post"} <= modes, f"not every kind of kill happened: {summary(results)}"
    assert sum(r.interrupted_ingests for r in results) >= 1, f"no kill hit an ingest: {summary(results)}"


@pytest.mark.slow
async def test_many_sigkill_trials(expected_keys: list[Key], tmp_path: Path) -> None:
    count = trial_count("CASEWATCH_CRASH_SLOW_TRIALS", 100)
    base_seed = int(os.environ.get("CASEWATCH_CRASH_SEED", str(int(time.time()) % 1_000_000)))
    results = await run_trials(count, base_seed, tmp_path, expected_keys)
    print(summary(results))
    assert sum(r.repeated_nonces for r in results) >= 1, summary(results)


# --- the bug the crash trials led to: a delivery sent before its transaction committed -----------------


async def test_delivery_waits_for_its_poll_to_commit(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A poll that fails half-way rolls back its outbox rows; the publisher (same connection, so it could
    read them uncommitted) must not have sent them. Otherwise the rolled-back row's id is reused by the
    next poll, its nonce makes Discord return the phantom message, and a different case's alert is lost."""
    await world.slash("alerts set", {"channel": world.alerts})
    real_track = pipeline_module.track
    calls = 0
    drains: list[asyncio.Task[Counter[str]]] = []

    async def track_then_fail(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:  # the first article's delivery row is written, not committed
            drains.append(asyncio.create_task(world.bot.publisher.drain()))
            with contextlib.suppress(TimeoutError):
                await world.fake.wait_for_request(
                    "POST", rf"^/channels/{world.alerts.id}/messages$", timeout=0.5
                )
            raise RuntimeError("detection blew up on the second article")
        return await real_track(*args, **kwargs)

    monkeypatch.setattr(pipeline_module, "track", track_then_fail)
    failed = await world.ingest(rss(BOT_SUMMONS, BOT_REDDIT))
    assert failed.consecutive_failures == 1 and calls == 2
    assert await drains[0] == {}  # it waited for the rollback and found nothing to send
    assert world.fake.messages(world.alerts) == []

    monkeypatch.setattr(pipeline_module, "track", real_track)
    await world.ingest(rss(BOT_REDDIT, BOT_SUMMONS))  # the next poll; the site now lists newest first
    assert await world.bot.publisher.drain() == {"sent": 2}
    cards = world.fake.messages(world.alerts)
    titles = sorted(m.embeds[0]["title"].split()[0].rstrip(":") for m in cards)
    assert titles == ["Reddit", "Twitter"], [m.embeds[0]["title"] for m in cards]
    assert await world.store.db.integrity_problems() == []
