"""The APScheduler wrapper: jobs run inside the running loop, at once on start, never overlapping."""

from __future__ import annotations

import asyncio

from bot.scheduler import Scheduler


async def test_jobs_run_on_start_and_never_overlap() -> None:
    running = 0
    peak = 0
    calls = 0
    delivered = asyncio.Event()

    async def poll() -> None:
        nonlocal running, peak, calls
        running += 1
        peak = max(peak, running)
        calls += 1
        await asyncio.sleep(0.3)  # longer than the tick: max_instances=1 must skip, not stack
        running -= 1

    async def deliver() -> None:
        delivered.set()

    scheduler = Scheduler(poll=poll, deliver=deliver, poll_tick_s=0.1, deliver_tick_s=10)
    scheduler.start()
    try:
        await asyncio.wait_for(delivered.wait(), 2)  # first run right away, not after 10 s
        await asyncio.sleep(0.7)
    finally:
        await scheduler.shutdown()
    assert peak == 1
    assert 2 <= calls <= 4
    assert not scheduler.running


async def test_a_failing_job_keeps_its_schedule() -> None:
    calls = 0

    async def poll() -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("one bad tick")

    scheduler = Scheduler(poll=poll, poll_tick_s=0.05)
    scheduler.start()
    try:
        await asyncio.sleep(0.4)
    finally:
        await scheduler.shutdown()
    assert calls >= 3
