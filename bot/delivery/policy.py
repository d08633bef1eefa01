"""How the publisher treats a send that did not work: pure rules, tested without Discord.

Discord bans an IP after 10,000 invalid requests (401/403/429) in 10 minutes, so a permanent failure
(missing permissions, deleted channel, closed DMs) is never retried: the delivery fails and the guild's
admins are told. Transient failures (5xx, timeouts, connection errors) back off exponentially.
"""

from __future__ import annotations

from datetime import datetime, timedelta

RETRY_BASE_S = 15.0
RETRY_MAX_S = 3600.0
MAX_ATTEMPTS = 8
NONCE_MAX = 25


def nonce_for(delivery_id: int, part: int = 0, instance: str = "") -> str:
    """The Discord nonce of one outbox row (and part): stable across restarts, so a resend is deduped.

    ``instance`` is the database's random id: outbox ids restart at 1 in a new database, and Discord
    would otherwise answer a fresh alert with an old message that had the same nonce."""
    base = f"cw{instance}x{delivery_id}" if instance else f"cw{delivery_id}"
    nonce = base if part == 0 else f"{base}p{part}"
    if len(nonce) > NONCE_MAX:
        raise ValueError(f"nonce {nonce!r} is longer than Discord's {NONCE_MAX} characters")
    return nonce


def is_permanent(status: int | None) -> bool:
    """4xx other than 429 never succeed on retry (403 permissions, 404 gone, 400 invalid body)."""
    return status is not None and 400 <= status < 500 and status != 429


def tell_admins(status: int | None) -> bool:
    """Failures the guild's admins can fix (permissions, a deleted channel); 400s are our bugs."""
    return status in (403, 404)


def next_attempt(attempts_so_far: int, now: datetime) -> datetime | None:
    """When to try again after a transient failure, or None to give up (attempts exhausted)."""
    attempt = attempts_so_far + 1
    if attempt >= MAX_ATTEMPTS:
        return None
    delay = min(RETRY_BASE_S * 2 ** (attempt - 1), RETRY_MAX_S)
    return now + timedelta(seconds=delay)
