"""The fake Discord's global rate limit, on a clock of the test's own: the deliverer benchmarks and tests
rely on it being as strict as Discord (50 requests in any second per bot, counted as they arrive, across
every client), so it must not quietly become a limit per clock second or per client."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.fakediscord import limits
from tests.fakediscord.limits import RateLimitConfig, RateLimiter

POST = "POST /channels/{channel_id}/messages"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(limits, "time", SimpleNamespace(monotonic=lambda: now[0], time=lambda: now[0]))
    return now


def test_the_global_limit_is_50_in_any_second(clock: list[float]) -> None:
    limiter = RateLimiter(RateLimitConfig())
    for i in range(50):  # 50 requests over 0.49 s, to 50 channels (no per-route limit is near)
        clock[0] = 1000.5 + i * 0.01
        assert limiter.check(POST, str(i)).limited_body is None
    clock[0] = 1001.49  # the 51st inside the same second: a global 429, whatever the route
    verdict = limiter.check("GET /guilds/{guild_id}", "7")
    assert verdict.limited_body == {"message": "You are being rate limited.", "retry_after": 0.01, "global": True}
    assert verdict.headers["X-RateLimit-Global"] == "true" and verdict.headers["Retry-After"] == "0.010"
    clock[0] = 1001.5  # a sliding second, not the clock's: the first request has just left it
    assert limiter.check(POST, "50").limited_body is None
    assert limiter.check(POST, "51").limited_body is not None  # and the window is full again
    clock[0] = 1002.5
    assert limiter.check(POST, "52").limited_body is None


def test_interactions_are_outside_the_global_limit(clock: list[float]) -> None:
    limiter = RateLimiter(RateLimitConfig(global_limit=2))
    assert limiter.check(POST, "1").limited_body is None
    assert limiter.check(POST, "2").limited_body is None
    assert limiter.check("POST /interactions/{interaction_id}/{token}/callback", "9", exempt_global=True).limited_body is None
    assert limiter.check(POST, "3").limited_body is not None
