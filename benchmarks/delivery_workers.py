"""Delivery by several ``worker deliver`` processes sharing one PostgreSQL outbox and one request budget.

``python -m benchmarks.delivery_workers [--alerts 1000] [--channels 50] [--deliverers 2] [--pg-url URL]``

The fake Discord runs in this process and enforces 5 messages / 5 s per channel and 50 requests in any
second globally, counted as they arrive, across every client (as Discord counts per bot). The deliverers
are separate processes with their own discord.py clients (REST only), each running the worker's own
loop (``deliver_loop``) from a common start until the outbox has nothing pending; only the database
(whole-target claims, the request slots) keeps them apart and under the global limit together. The
baseline is the envelope of ``benchmarks.delivery``: the fastest legal rate for these alerts and
channels. Reported: achieved messages/s against it, global 429s (must be 0), and alerts lost or doubled
(by nonce, must be 0). The time runs from "go" until every deliverer has reported and exited, so it
includes start-up (the guild lookups), discord.py waiting out the last per-channel window after the last
message, and process exit: with the defaults the posts span ~20.3 s and the whole ~21.5 s.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
import uuid
from collections import Counter
from typing import Any

from benchmarks.common import REPO, base_parser, emit_json, print_table, verdict
from benchmarks.delivery import TARGET_FRACTION, _seed, envelope
from benchmarks.workers import drop_schema, postgres


def child(url: str) -> int:
    """One deliverer: open, say ready, wait for "go", then run the worker's own loop (``deliver_loop``,
    as ``casewatch worker deliver`` does) until the outbox has nothing pending."""
    from dataclasses import replace

    from bot.config import Settings
    from bot.workers.deliver import deliver_loop, open_deliverer
    from tests.e2e.crash_runner import point_discord_at_fake

    point_discord_at_fake(os.environ)
    logging.basicConfig(level=logging.ERROR)
    settings = replace(Settings(), database_url=url, discord_token=os.environ["DISCORD_TOKEN"], log_level="ERROR")

    async def run() -> int:
        async with open_deliverer(settings) as publisher:
            print("ready", flush=True)
            await asyncio.to_thread(sys.stdin.readline)
            sent: Counter[str] = Counter()
            drain = publisher.drain

            async def counted(*args: Any, **kwargs: Any) -> Counter[str]:
                got = await drain(*args, **kwargs)
                sent.update(got)
                return got

            publisher.drain = counted  # type: ignore[method-assign]
            stop = asyncio.Event()

            async def until_empty() -> None:
                while (await publisher.store.outbox.counts()).get("pending"):
                    await asyncio.sleep(0.05)
                stop.set()

            watcher = asyncio.create_task(until_empty())
            await deliver_loop(publisher, stop)
            await watcher
            print(f"sent {sent['sent']}", flush=True)
        return 0

    return asyncio.run(run())


async def run(base: str, alerts: int, channels: int, deliverers: int) -> dict[str, Any]:
    import asyncpg

    from storage.postgres.store import PostgresStore
    from tests.fakediscord import FakeDiscord

    schema = f"cw_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(base)
    await admin.execute(f"CREATE SCHEMA {schema}")
    await admin.close()
    url = f"{base}{'&' if '?' in base else '?'}search_path={schema}"
    try:
        async with FakeDiscord() as fake, await PostgresStore.open(url) as store:
            global_429s = 0
            original = fake.limiter.check

            def check(template: str, major: str, *, exempt_global: bool = False) -> Any:
                nonlocal global_429s
                verdict_ = original(template, major, exempt_global=exempt_global)
                if verdict_.limited_body is not None and verdict_.limited_body.get("global"):
                    global_429s += 1
                return verdict_

            fake.limiter.check = check  # type: ignore[method-assign]
            guild = fake.add_guild("Bench")
            chans = [fake.add_text_channel(guild, f"alerts-{i}") for i in range(channels)]
            await _seed(store, guild.id, [c.id for c in chans], alerts)
            env = {
                **os.environ,
                "PYTHONPATH": str(REPO),
                "DISCORD_TOKEN": fake.token,
                "CASEWATCH_TEST_API_BASE": fake.api_base,
                "CASEWATCH_TEST_GATEWAY": fake.gateway_url,
            }
            procs = [
                await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "benchmarks.delivery_workers", "--child", url,
                    stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env, cwd=REPO,
                )
                for _ in range(deliverers)
            ]
            try:
                for p in procs:
                    assert p.stdout is not None
                    line = (await p.stdout.readline()).decode().strip()
                    if line != "ready":
                        raise RuntimeError(f"a deliverer did not start (said {line!r})")
                started = time.perf_counter()
                for p in procs:
                    assert p.stdin is not None
                    p.stdin.write(b"go\n")
                    await p.stdin.drain()
                per: list[int] = []
                for p in procs:
                    assert p.stdout is not None
                    per.append(int((await p.stdout.readline()).split()[-1]))
                    await p.wait()
                seconds = time.perf_counter() - started
            finally:
                for p in procs:
                    if p.returncode is None:
                        p.kill()
            nonces: Counter[str] = Counter()
            for c in chans:
                for m in fake.messages(c):
                    nonces[str(m.nonce)] += 1
            counts = await store.outbox.counts()
            all_429 = fake.rate_limited_count
    finally:
        await drop_schema(base, schema)
    messages = sum(nonces.values())
    env_rate, env_seconds = envelope(alerts, channels)
    return {
        "alerts": alerts,
        "channels": channels,
        "deliverers": deliverers,
        "per_deliverer": per,
        "seconds": seconds,
        "messages": messages,
        "rate_per_s": messages / seconds if seconds else 0.0,
        "envelope_rate_per_s": env_rate,
        "envelope_seconds": env_seconds,
        "fraction_of_envelope": env_seconds / seconds if seconds else 0.0,
        "global_429": global_429s,
        "http_429": all_429,
        "lost": alerts - len(nonces),
        "doubled": sum(n - 1 for n in nonces.values() if n > 1),
        "outbox": dict(counts),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--channels", type=int, default=50)
    parser.add_argument("--deliverers", type=int, default=2)
    parser.add_argument("--pg-url", help="PostgreSQL server (a role that may create schemas)")
    parser.add_argument("--child", metavar="URL", help="(internal) run one deliverer")
    args = parser.parse_args(argv)
    if args.child:
        raise SystemExit(child(args.child))
    with postgres(args.pg_url) as base:
        r = asyncio.run(run(base, args.alerts, args.channels, args.deliverers))
    print_table(
        f"Delivery by {args.deliverers} deliverer processes: {args.alerts:,} alerts to {args.channels} channels "
        "(5 msg / 5 s per channel, 50 req/s per bot)",
        ["measure", "casewatch", "envelope (baseline)", "ratio"],
        [
            ["seconds", r["seconds"], r["envelope_seconds"], f"{r['fraction_of_envelope']:.2f}"],
            ["messages/s", r["rate_per_s"], r["envelope_rate_per_s"], f"{r['rate_per_s'] / r['envelope_rate_per_s']:.2f}"],
            ["messages per deliverer", str(r["per_deliverer"]), "", ""],
            ["global 429s", r["global_429"], 0, ""],
            ["all 429s (per-route included)", r["http_429"], "", ""],
            ["lost", r["lost"], 0, ""],
            ["doubled", r["doubled"], 0, ""],
        ],
    )  # fmt: skip
    ok = r["fraction_of_envelope"] >= TARGET_FRACTION
    print_table("Delivery worker targets", ["measure", "value", "target", "verdict"], [
        ["fraction of envelope", r["fraction_of_envelope"], f">= {TARGET_FRACTION}", verdict(ok)],
        ["global 429s", r["global_429"], "0", verdict(r["global_429"] == 0)],
        ["lost + doubled", r["lost"] + r["doubled"], "0", verdict(r["lost"] + r["doubled"] == 0)],
    ])  # fmt: skip
    emit_json("delivery_workers", r)
    return r


if __name__ == "__main__":
    main()
