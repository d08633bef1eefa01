"""Process roles over one PostgreSQL database (issue 13): ``casewatch worker poll`` and ``worker deliver``.

Both run as many times as wanted, on any machine. They share work through leases in the database
(:mod:`storage.postgres.leases`), never through memory: a poll worker claims due feeds, a deliverer claims
outbox rows, each for a short time that a heartbeat extends while the work runs and that simply expires
when the process dies.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from bot.cli import UsageError
from bot.config import Settings


def worker_id(role: str) -> str:
    """A name for this process's leases: role, host, pid and a random suffix (pids are reused)."""
    return f"{role}:{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def require_postgres(settings: Settings, role: str) -> str:
    """The database URL, or the one-line refusal: workers share a PostgreSQL database, never a file."""
    if not settings.database_url:
        raise UsageError(
            f"casewatch worker {role} needs a shared PostgreSQL database: set CASEWATCH_DATABASE_URL "
            "(with SQLite, `casewatch run` does all the work in one process)"
        )
    return settings.database_url


@contextmanager
def stop_on_signals() -> Iterator[asyncio.Event]:
    """An event that SIGINT or SIGTERM sets, for a worker's loop to finish its round and return."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        yield stop
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
