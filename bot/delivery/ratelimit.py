"""A small async token bucket: casewatch paces itself under Discord's global request limit.

discord.py follows per-route buckets from response headers but only learns of the global limit
(50 requests/s) from a 429; hitting it wastes requests, and Discord bans IPs that collect too many 429s.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class TokenBucket:
    def __init__(
        self,
        rate: float,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = float(burst if burst is not None else max(1, int(rate)))
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    async def acquire(self, tokens: float = 1.0) -> None:
        """Wait until ``tokens`` are available and take them (callers are served in arrival order)."""
        async with self._lock:
            self._refill()
            while self._tokens < tokens - 1e-9:  # tolerance: float dust must not spin the loop
                await self._sleep((tokens - self._tokens) / self.rate)
                self._refill()
            self._tokens = max(0.0, self._tokens - tokens)
