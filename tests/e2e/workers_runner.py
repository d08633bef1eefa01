"""Run one casewatch worker role in a subprocess for the PostgreSQL crash trials (``test_workers_crash``).

``python -m tests.e2e.workers_runner poll|deliver`` runs the real ``run_poll_worker`` / ``run_deliver_worker``
until it is killed, with the settings of ``crash_runner.fast_settings`` (1-2 s feed intervals, inline
parsing, private feeds allowed) and a short lease (``CASEWATCH_TEST_LEASE``, default 1.5 s) so a killed
worker's feeds and outbox rows come back within the trial. Discord is the FakeDiscord of the test
process (``CASEWATCH_TEST_API_BASE``), the database ``CASEWATCH_DATABASE_URL``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from bot.config import load_settings
from bot.workers.deliver import run_deliver_worker
from bot.workers.poll import run_poll_worker
from tests.e2e.crash_runner import STARTED_LINE, fast_settings, point_discord_at_fake


def main(argv: list[str]) -> int:
    role = argv[0]
    point_discord_at_fake(os.environ)
    settings = fast_settings(load_settings(env_file=None))
    lease_s = float(os.environ.get("CASEWATCH_TEST_LEASE", "1.5"))
    logging.basicConfig(
        level=settings.log_level, format=f"%(asctime)s {role}[{os.getpid()}] %(levelname)s %(name)s: %(message)s"
    )
    print(STARTED_LINE, flush=True)
    if role == "poll":
        return asyncio.run(run_poll_worker(settings, lease_s=lease_s))
    return asyncio.run(run_deliver_worker(settings, lease_s=lease_s))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
