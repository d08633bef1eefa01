"""The client's pure parts: Retry-After parsing and the two-window limiter (a fake clock, no sleeps)."""

from __future__ import annotations

import pytest

from bot.docket.client import RateLimiter, _retry_after


def test_retry_after_seconds_and_http_date() -> None:
    assert _retry_after("7", now=0.0) == 7.0
    assert _retry_after(" 0 ", now=0.0) == 0.0
    # an HTTP date 90 s after "now" (Sun, 06 Nov 1994 08:49:37 GMT is 784111777)
    assert _retry_after("Sun, 06 Nov 1994 08:51:07 GMT", now=784111777.0) == pytest.approx(90.0)
    assert _retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now=784111777.0) == 0.0  # in the past: now
    assert _retry_after("soon", now=0.0) is None
    assert _retry_after(None, now=0.0) is None


async def test_two_windows_and_a_hold() -> None:
    now = [0.0]
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    limiter = RateLimiter(((5, 60.0), (50, 3600.0)), clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        assert await limiter.acquire() == 0.0
    assert await limiter.acquire() == pytest.approx(60.0)  # the sixth waits out the minute
    limiter.hold_until(now[0] + 30)  # a 429 said "Retry-After: 30"
    assert limiter.wait_needed() == pytest.approx(30.0)
    await limiter.acquire()
    assert now[0] == pytest.approx(90.0)
    # 50 an hour: after 50 requests the 51st waits until the first leaves the hour window
    for _ in range(43):
        await limiter.acquire()
    assert len(limiter._sent) == 50
    before = now[0]
    await limiter.acquire()
    assert now[0] == pytest.approx(3600.0) and now[0] > before


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(((0, 60.0),))
