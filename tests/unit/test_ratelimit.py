"""The token bucket paces bursts to its rate without sleeping in real time (a fake clock)."""

from __future__ import annotations

import pytest

from bot.delivery.ratelimit import TokenBucket


async def test_bursts_then_paces_to_the_rate() -> None:
    now = [0.0]
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    bucket = TokenBucket(rate=10, burst=5, clock=lambda: now[0], sleep=fake_sleep)
    for _ in range(5):
        await bucket.acquire()
    assert slept == []  # the burst is free
    for _ in range(10):
        await bucket.acquire()
    assert now[0] == pytest.approx(1.0)  # ten more at 10/s take one second
    await bucket.acquire(2)
    assert now[0] == pytest.approx(1.2)


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(rate=0)
