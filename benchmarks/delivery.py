"""Delivery: alerts through the outbox and the real publisher (discord.py) to the protocol-level fake
Discord, which enforces 5 messages / 5 s per channel and 50 requests / s globally.

``python -m benchmarks.delivery [--alerts 1000] [--channels 50]``

The baseline is the envelope itself: with C channels the fastest legal rate is
``min(50 / s, C * 5 / 5 s)`` after each channel's first burst of 5. Reported: achieved messages/s vs
that envelope, 429 responses, and alerts lost (no message) or doubled (two messages for one outbox row,
recognised by the row's nonce) -- both must be 0.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.common import base_parser, emit_json, print_table, verdict

TARGET_FRACTION = 0.9
PER_CHANNEL = (5, 5.0)
GLOBAL_PER_S = 50.0


def envelope(alerts: int, channels: int) -> tuple[float, float]:
    """Fastest legal (messages/s, seconds) for ``alerts`` spread evenly over ``channels``.

    Per channel the fake uses fixed 5 s windows of 5 messages: m messages need ceil(m / 5) - 1 full
    windows after the first burst. Globally, 50 requests in any 1 s.
    """
    burst, window = PER_CHANNEL
    per_channel = -(-alerts // channels)
    seconds = max((-(-per_channel // burst) - 1) * window, alerts / GLOBAL_PER_S)
    return (alerts / seconds if seconds else float(alerts)), seconds


async def _seed(store: Any, guild_id: int, channel_ids: list[int], alerts: int) -> None:
    """One case + article per alert, and a new-case outbox row to channel ``i % C`` (round robin)."""
    from bot.models import Action, Case, DeliveryIntent, DeliveryKind, Entry, Stage, TargetKind

    now = datetime.now(UTC)
    feed, _ = await store.feeds.add("https://bench.example/feed.xml")
    async with store.transaction():
        intents = []
        for i in range(alerts):
            entry = Entry(key=f"a{i}", url=f"https://bench.example/{i}", title=f"Platform sued over data {i}",
                          summary="A court was asked to order the platform to hand over user records.",
                          published=now, content_hash=f"h{i}")
            article_id = await store.articles.insert(feed.id, entry, now)
            case = Case(id=f"bench-{i:05d}", title=f"Example v. Platform {i}", status=Stage.FILED,
                        action=Action.LAWSUIT, platforms=("Twitter",), counterparties=("Example Agency",),
                        opened_at=now, updated_at=now, summary="A benchmark case.", article_count=1)
            await store.cases.save(case, ["twitter"])
            intents.append(DeliveryIntent(DeliveryKind.NEW_CASE, TargetKind.CHANNEL, channel_ids[i % len(channel_ids)],
                                          f"bench:{i}", case.id, article_id, guild_id))
        await store.outbox.enqueue(intents)


async def run(alerts: int, channels: int, db_path: Path) -> dict[str, Any]:
    import discord

    from bot.delivery.publisher import DiscordPublisher
    from storage.store import SqliteStore
    from tests.fakediscord import FakeDiscord
    from tests.fakediscord.client import discord_pointed_at, running_bot

    logging.getLogger("discord").setLevel(logging.ERROR)  # it warns on every 429, which we count instead
    logging.getLogger("bot.delivery").setLevel(logging.ERROR)
    async with FakeDiscord() as fake:
        with discord_pointed_at(fake):
            guild = fake.add_guild("Bench")
            chans = [fake.add_text_channel(guild, f"alerts-{i}") for i in range(channels)]
            store = await SqliteStore.open(db_path)
            try:
                await _seed(store, guild.id, [c.id for c in chans], alerts)
                client = discord.Client(intents=discord.Intents(guilds=True))
                async with running_bot(client, fake):
                    publisher = DiscordPublisher(client, store)
                    outcomes: Counter[str] = Counter()
                    started = time.perf_counter()
                    first_at = last_at = None
                    while True:
                        got = await publisher.drain(limit=alerts)
                        outcomes.update(got)
                        if not got or not (await store.outbox.counts()).get("pending"):
                            break
                    seconds = time.perf_counter() - started
                posts = fake.requests_to("POST", r"^/channels/\d+/messages$")
                ok_posts = [r for r in posts if r.status == 200]
                if ok_posts:
                    first_at, last_at = ok_posts[0].at, ok_posts[-1].at
                nonces: Counter[str] = Counter()
                for c in chans:
                    for m in fake.messages(c):
                        nonces[str(getattr(m, "nonce", None))] += 1
                counts = await store.outbox.counts()
            finally:
                await store.close()
    sent_messages = sum(nonces.values())
    doubled = sum(n - 1 for n in nonces.values() if n > 1)
    lost = alerts - len(nonces)
    env_rate, env_seconds = envelope(alerts, channels)
    rate = sent_messages / seconds if seconds else 0.0
    return {
        "alerts": alerts,
        "channels": channels,
        "seconds": seconds,
        "span_first_to_last_post_s": (last_at - first_at) if first_at is not None and last_at else None,
        "messages": sent_messages,
        "rate_per_s": rate,
        "envelope_rate_per_s": env_rate,
        "envelope_seconds": env_seconds,
        "fraction_of_envelope": env_seconds / seconds if seconds else 0.0,
        "http_429": fake.rate_limited_count,
        "posts": len(posts),
        "lost": lost,
        "doubled": doubled,
        "outbox": dict(counts),
        "outcomes": dict(outcomes),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--channels", type=int, default=50)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="casewatch-bench-") as tmp:
        r = asyncio.run(run(args.alerts, args.channels, Path(tmp) / "delivery.db"))
    print_table(
        f"Delivery: {args.alerts:,} alerts to {args.channels} channels (5 msg / 5 s per channel, 50 req/s)",
        ["measure", "casewatch", "envelope (baseline)", "ratio"],
        [
            ["seconds", r["seconds"], r["envelope_seconds"], f"{r['fraction_of_envelope']:.2f}"],
            ["messages/s", r["rate_per_s"], r["envelope_rate_per_s"], f"{r['rate_per_s'] / r['envelope_rate_per_s']:.2f}"],
            ["429s received", r["http_429"], 0, ""],
            ["POST requests", r["posts"], args.alerts, ""],
            ["lost", r["lost"], 0, ""],
            ["doubled", r["doubled"], 0, ""],
        ],
    )
    ok = r["fraction_of_envelope"] >= TARGET_FRACTION
    print_table("Delivery targets", ["measure", "value", "target", "verdict"], [
        ["fraction of envelope", r["fraction_of_envelope"], f">= {TARGET_FRACTION}", verdict(ok)],
        ["lost + doubled", r["lost"] + r["doubled"], "0", verdict(r["lost"] + r["doubled"] == 0)],
    ])
    emit_json("delivery", r)
    return r


if __name__ == "__main__":
    main()
