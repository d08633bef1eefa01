"""Adaptive intervals, backoff and auto-disable are pure functions of the feed's history."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from bot.polling import PollPolicy, after_failure, after_success

NOW = datetime(2024, 1, 1, tzinfo=UTC)
POLICY = PollPolicy(
    default_interval_s=900, min_interval_s=300, max_interval_s=3600, max_failures=3, jitter=0.1
)


def test_busy_feeds_speed_up_and_quiet_ones_slow_down_within_bounds() -> None:
    rng = random.Random(1)
    interval = 900
    for _ in range(20):
        interval = after_success(NOW, interval, 5, POLICY, rng).interval_s
    assert interval == 300
    for _ in range(40):
        interval = after_success(NOW, interval, 0, POLICY, rng).interval_s
    assert interval == 3600


def test_jitter_stays_within_ten_percent() -> None:
    rng = random.Random(2)
    for _ in range(200):
        step = after_success(NOW, 1000, 0, POLICY, rng)
        delay = (step.due_at - NOW).total_seconds()
        assert step.interval_s * 0.9 - 1e-6 <= delay <= step.interval_s * 1.1 + 1e-6


def test_failures_back_off_exponentially_and_disable_after_the_limit() -> None:
    rng = random.Random(3)
    delays = []
    for failures in (1, 2):
        step = after_failure(NOW, 900, failures, POLICY, reason="HTTP 500", rng=rng)
        assert step.disable_reason is None
        delays.append((step.due_at - NOW).total_seconds())
    assert delays[1] > delays[0] * 1.5
    last = after_failure(NOW, 900, 3, POLICY, reason="HTTP 500", rng=rng)
    assert last.disable_reason is not None and "3 consecutive failures" in last.disable_reason
    assert "HTTP 500" in last.disable_reason


def test_retry_after_is_honoured_and_backoff_is_capped() -> None:
    step = after_failure(NOW, 900, 1, POLICY, retry_after_s=7200, rng=random.Random(4))
    assert step.due_at - NOW >= timedelta(seconds=7200 * 0.9)
    capped = after_failure(NOW, 900, 30, PollPolicy(max_failures=100), rng=random.Random(5))
    assert capped.due_at - NOW <= timedelta(seconds=PollPolicy().max_backoff_s * 1.1)
