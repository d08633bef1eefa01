"""The schedule: APScheduler 3.x jobs that poll due feeds and drain the outbox.

Due times live in the database (feeds.next_due_at), so the scheduler only ticks; a restart loses nothing
and several workers could share the same schedule later.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import utcnow

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]


class Scheduler:
    def __init__(
        self,
        *,
        poll: Job,
        deliver: Job | None = None,
        poll_tick_s: float = 30.0,
        deliver_tick_s: float = 5.0,
        extra: dict[str, tuple[Job, float]] | None = None,
    ) -> None:
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        jobs: dict[str, tuple[Job, float]] = {"poll": (poll, poll_tick_s)}
        if deliver is not None:
            jobs["deliver"] = (deliver, deliver_tick_s)
        jobs.update(extra or {})
        for name, (job, every) in jobs.items():
            self._scheduler.add_job(
                _guarded(name, job),
                "interval",
                seconds=every,
                id=name,
                max_instances=1,  # a slow poll is never run twice at once
                coalesce=True,  # missed ticks collapse into one run
                misfire_grace_time=max(30, int(every * 2)),  # the 1 s default silently skips jobs
                next_run_time=None,
            )

    def start(self) -> None:
        """Start inside the running event loop, and run every job once right away."""
        self._scheduler.start()
        for job in self._scheduler.get_jobs():
            job.modify(next_run_time=utcnow())

    async def shutdown(self) -> None:
        """Stop ticking. APScheduler applies the shutdown on the loop's next turn, so yield to it."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
            await asyncio.sleep(0)

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)


def _guarded(name: str, job: Job) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        try:
            await job()
        except Exception:
            log.exception("scheduled job %s failed; it will run again at its next tick", name)

    return run
