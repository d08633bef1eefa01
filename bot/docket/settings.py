"""CourtListener settings (``COURTLISTENER_*``), apart from the client so that reading the configuration
does not import aiohttp (``casewatch --help`` stays quick)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_BASE_URL = "https://www.courtlistener.com"
NO_TOKEN = "docket lookups are off: COURTLISTENER_TOKEN is not set (a free CourtListener account has one)"


@dataclass(frozen=True, slots=True)
class ClientSettings:
    token: str | None = field(default=None, repr=False)  # never printed
    base_url: str = DEFAULT_BASE_URL
    per_minute: int = 5
    per_hour: int = 50
    timeout_s: float = 20.0
    cache_ttl_s: float = 6 * 3600.0
    cache_file: Path | None = None
    max_attempts: int = 4  # a 429, a 5xx or a dropped connection is tried again, this many times in all
    backoff_s: float = 10.0  # first back-off without Retry-After; doubles each attempt
    max_backoff_s: float = 900.0
    max_wait_s: float = 3600.0  # a request that would wait longer for a slot fails ("rate_limited")
    user_agent: str = "casewatch (docket lookups)"

    @property
    def enabled(self) -> bool:
        return bool(self.token)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ClientSettings:
        """From the environment; a bad value raises ValueError naming the variable."""
        env = os.environ if env is None else env
        token = (env.get("COURTLISTENER_TOKEN") or "").strip() or None

        def number(name: str, default: float, *, integer: bool = False) -> Any:
            raw = (env.get(name) or "").strip()
            if not raw:
                return default
            try:
                value = int(raw) if integer else float(raw)
            except ValueError:
                raise ValueError(f"{name}: {raw!r} is not a {'whole ' if integer else ''}number") from None
            if value <= 0:
                raise ValueError(f"{name}: must be positive, got {raw!r}")
            return value

        base = (env.get("COURTLISTENER_BASE_URL") or "").strip() or DEFAULT_BASE_URL
        if not base.startswith(("http://", "https://")):
            raise ValueError(f"COURTLISTENER_BASE_URL: {base!r} is not an http(s) URL")
        cache_file = (env.get("COURTLISTENER_CACHE_FILE") or "").strip()
        return cls(
            token=token,
            base_url=base.rstrip("/"),
            per_minute=number("COURTLISTENER_PER_MINUTE", 5, integer=True),
            per_hour=number("COURTLISTENER_PER_HOUR", 50, integer=True),
            timeout_s=number("COURTLISTENER_TIMEOUT", 20.0),
            cache_ttl_s=number("COURTLISTENER_CACHE_TTL", 6 * 3600.0),
            cache_file=Path(cache_file) if cache_file else None,
        )
