"""When to poll a feed next: adaptive intervals, exponential backoff, auto-disable. Pure functions."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class PollPolicy:
    default_interval_s: int = 900
    min_interval_s: int = 300
    max_interval_s: int = 6 * 3600
    max_backoff_s: int = 24 * 3600
    max_failures: int = 8
    jitter: float = 0.1


@dataclass(frozen=True, slots=True)
class NextPoll:
    interval_s: int
    due_at: datetime
    disable_reason: str | None = None


def _jittered(seconds: float, policy: PollPolicy, rng: random.Random) -> float:
    return seconds * (1 + rng.uniform(-policy.jitter, policy.jitter))


def after_success(
    now: datetime, interval_s: int, new_items: int, policy: PollPolicy, rng: random.Random | None = None
) -> NextPoll:
    """Busy feeds are polled more often, quiet ones less, always within the policy's bounds."""
    rng = rng or random.Random()
    current = interval_s or policy.default_interval_s
    target = current * 0.75 if new_items else current * 1.25
    interval = int(min(policy.max_interval_s, max(policy.min_interval_s, target)))
    return NextPoll(interval, now + timedelta(seconds=_jittered(interval, policy, rng)))


def after_failure(
    now: datetime,
    interval_s: int,
    failures: int,
    policy: PollPolicy,
    *,
    retry_after_s: float | None = None,
    reason: str = "",
    rng: random.Random | None = None,
) -> NextPoll:
    """Back off exponentially (or as the server asked); disable after too many failures in a row.

    ``failures`` counts this failure too."""
    rng = rng or random.Random()
    base = interval_s or policy.default_interval_s
    delay = min(policy.max_backoff_s, base * (2 ** max(0, failures - 1)))
    if retry_after_s is not None:
        delay = min(policy.max_backoff_s, max(delay, retry_after_s))
    disable = None
    if failures >= policy.max_failures:
        disable = f"disabled after {failures} consecutive failures; last: {reason}"[:300]
    return NextPoll(
        interval_s or policy.default_interval_s,
        now + timedelta(seconds=_jittered(delay, policy, rng)),
        disable,
    )
