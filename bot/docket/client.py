"""An async client for CourtListener's REST API v4 (Free Law Project), on aiohttp.

Two endpoints, and the fields casewatch relies on (from CourtListener's own API documentation and code,
``freelawproject/courtlistener``: ``cl/api/templates/search-api-docs-vlatest.html`` for the search
response shape and the ``Authorization: Token`` header, ``cl/api/templates/includes/docket-endpoint.html``
for the docket object, ``cl/search/documents.py`` ``DocketDocument`` for the ``type=d`` result fields and
``cl/search/forms.py`` ``SearchForm`` for the filter names):

- ``GET /api/rest/v4/search/?type=d&case_name=..&docket_number=..&court=..&filed_after=..&filed_before=..``
  (``court``: space-separated court ids; dates ``YYYY-MM-DD``). Answer: ``{"count", "next", "previous",
  "results": [...]}``, ``next`` a cursor URL or null. Each result: ``docket_id``, ``caseName``,
  ``docketNumber``, ``court_id``, ``court``, ``dateFiled``, ``dateTerminated``, ``docket_absolute_url``
  (a path; type ``o`` results call it ``absolute_url``, read as a fallback), ``party``.
- ``GET /api/rest/v4/dockets/{id}/``: ``id``, ``case_name``, ``docket_number``, ``court_id``,
  ``date_filed``, ``date_terminated``, ``date_last_filing``, ``absolute_url``.

CourtListener's default limits for a free account are low (about 5 requests a minute and 50 an hour), so
every request waits for a slot of a sliding-window limiter (both windows), a 429 is retried after its
``Retry-After`` (or an exponential back-off) and makes the limiter hold every request until then, and
answers are cached (in memory with a TTL, optionally in a JSON file so a restart does not spend the hour's
budget again). Nothing raises into the caller: every call returns a result that says what failed, in
one line, and never contains the token.

Settings (read here, not in ``bot/config.py``): ``COURTLISTENER_TOKEN`` (without it the client is off:
``enabled`` is false and ``disabled_reason`` says why), ``COURTLISTENER_BASE_URL``,
``COURTLISTENER_PER_MINUTE``, ``COURTLISTENER_PER_HOUR``, ``COURTLISTENER_TIMEOUT``,
``COURTLISTENER_CACHE_TTL``, ``COURTLISTENER_CACHE_FILE``.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

import aiohttp

from bot.docket.match import Candidate
from bot.docket.settings import NO_TOKEN, ClientSettings

logger = logging.getLogger(__name__)

SEARCH_PATH = "/api/rest/v4/search/"
DOCKET_PATH = "/api/rest/v4/dockets/{id}/"

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
Status = Literal["ok", "disabled", "error", "not_found", "unauthorized", "rate_limited", "timeout"]


@dataclass(frozen=True, slots=True)
class ApiResult:
    """One API call's outcome. ``error`` is one line (no token, no traceback) when ``ok`` is false."""

    ok: bool
    status: Status
    data: Mapping[str, Any] | None = None
    error: str | None = None
    from_cache: bool = False
    http_status: int | None = None
    attempts: int = 0  # HTTP requests made (0: cache hit or refused before sending)


@dataclass(frozen=True, slots=True)
class SearchResult:
    ok: bool
    status: Status
    candidates: tuple[Candidate, ...] = ()
    count: int = 0  # the search's own count (may exceed the candidates read)
    error: str | None = None
    from_cache: bool = False
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class DocketResult:
    ok: bool
    status: Status
    docket: Candidate | None = None
    error: str | None = None
    from_cache: bool = False
    attempts: int = 0


class RateLimiter:
    """Sliding windows ("5 a minute and 50 an hour"): a request goes when every window has room.

    ``clock`` and ``sleep`` are injectable so tests advance time instead of sleeping. ``hold_until``
    makes every request wait until a time (a 429's Retry-After applies to the account, not one request).
    """

    def __init__(
        self,
        limits: Sequence[tuple[int, float]],
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not limits or any(n <= 0 or w <= 0 for n, w in limits):
            raise ValueError("rate limits must be positive (count, seconds) pairs")
        self.limits = tuple(limits)
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._held_until = 0.0
        self._lock = asyncio.Lock()
        self._longest = max(w for _, w in self.limits)

    def hold_until(self, when: float) -> None:
        self._held_until = max(self._held_until, when)

    def wait_needed(self, now: float | None = None) -> float:
        """Seconds until a request may go (0: now)."""
        now = self._clock() if now is None else now
        while self._sent and self._sent[0] <= now - self._longest:
            self._sent.popleft()
        wait = max(0.0, self._held_until - now)
        for count, window in self.limits:
            recent = [t for t in self._sent if t > now - window]
            if len(recent) >= count:
                wait = max(wait, recent[len(recent) - count] + window - now)
        return wait

    async def acquire(self, max_wait: float = float("inf")) -> float | None:
        """Wait for a slot and take it; the seconds waited, or None if the wait would exceed ``max_wait``."""
        async with self._lock:
            waited = 0.0
            while True:
                wait = self.wait_needed()
                if wait <= 0:
                    self._sent.append(self._clock())
                    return waited
                if waited + wait > max_wait:
                    return None
                await self._sleep(wait)
                waited += wait


@dataclass
class _Cache:
    ttl_s: float
    clock: Clock
    path: Path | None = None
    entries: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.path is not None and self.path.exists():
            try:
                raw = json.loads(self.path.read_text(encoding="utf-8"))
                now = self.clock()
                self.entries = {
                    k: (float(v[0]), v[1]) for k, v in raw.items()
                    if isinstance(v, list) and len(v) == 2 and float(v[0]) > now and isinstance(v[1], dict)
                }
            except (OSError, ValueError, TypeError) as exc:
                logger.warning("docket cache %s unreadable, starting empty: %s", self.path, exc)

    def get(self, key: str) -> dict[str, Any] | None:
        hit = self.entries.get(key)
        if hit is None:
            return None
        if hit[0] <= self.clock():
            del self.entries[key]
            return None
        return hit[1]

    def put(self, key: str, value: dict[str, Any]) -> None:
        self.entries[key] = (self.clock() + self.ttl_s, value)
        if self.path is not None:
            try:
                tmp = self.path.with_suffix(self.path.suffix + ".tmp")
                tmp.write_text(json.dumps({k: [t, v] for k, (t, v) in self.entries.items()}), encoding="utf-8")
                tmp.replace(self.path)
            except OSError as exc:
                logger.warning("docket cache %s not written: %s", self.path, exc)


class CourtListenerClient:
    """search() and docket(); see the module docstring for the endpoints and the rules."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        session: aiohttp.ClientSession | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        wall_clock: Clock = time.time,
    ) -> None:
        self.settings = settings
        self._session = session
        self._own_session = session is None
        self._clock = clock
        self._sleep = sleep
        self.limiter = RateLimiter(
            ((settings.per_minute, 60.0), (settings.per_hour, 3600.0)), clock=clock, sleep=sleep
        )
        self.cache = _Cache(settings.cache_ttl_s, wall_clock, settings.cache_file)
        self.requests_sent = 0  # HTTP requests, for tests and the benchmark

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    @property
    def disabled_reason(self) -> str | None:
        return None if self.enabled else NO_TOKEN

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    # --- endpoints -------------------------------------------------------------------------------

    async def search(self, params: Mapping[str, str], *, max_pages: int = 1) -> SearchResult:
        """``type=d`` search; reads up to ``max_pages`` pages (each page costs one request)."""
        query = {"type": "d", **{k: v for k, v in params.items() if v}}
        first = await self.get_json(SEARCH_PATH, query)
        if not first.ok or first.data is None:
            return SearchResult(False, first.status, error=first.error, attempts=first.attempts)
        rows = list(_results(first.data))
        count = _count(first.data, len(rows))
        attempts, cached = first.attempts, first.from_cache
        next_url = first.data.get("next")
        pages = 1
        while isinstance(next_url, str) and next_url and pages < max_pages:
            page = await self.get_json(next_url, None)
            attempts += page.attempts
            if not page.ok or page.data is None:
                break  # what was read stays usable; the count says more exist
            rows.extend(_results(page.data))
            cached = cached and page.from_cache
            next_url = page.data.get("next")
            pages += 1
        cands = tuple(c for c in (Candidate.from_search(r) for r in rows) if c is not None)
        return SearchResult(True, "ok", cands, count, from_cache=cached, attempts=attempts)

    async def docket(self, docket_id: int, *, fresh: bool = False) -> DocketResult:
        """One docket; ``fresh`` skips the cache (polling ``date_last_filing``)."""
        res = await self.get_json(DOCKET_PATH.format(id=int(docket_id)), None, use_cache=not fresh)
        if not res.ok or res.data is None:
            return DocketResult(False, res.status, error=res.error, attempts=res.attempts)
        cand = Candidate.from_docket(res.data)
        if cand is None:
            return DocketResult(False, "error", error="CourtListener docket answer has no id", attempts=res.attempts)
        return DocketResult(True, "ok", cand, from_cache=res.from_cache, attempts=res.attempts)

    def docket_url(self, cand: Candidate) -> str:
        """The docket's page on CourtListener (``absolute_url`` is a path)."""
        path = cand.absolute_url or f"/docket/{cand.docket_id}/"
        if path.startswith(("http://", "https://")):
            return path
        return self.settings.base_url.rstrip("/") + path

    # --- transport -------------------------------------------------------------------------------

    async def get_json(
        self, path_or_url: str, params: Mapping[str, str] | None, *, use_cache: bool = True
    ) -> ApiResult:
        if not self.enabled:
            return ApiResult(False, "disabled", error=NO_TOKEN)
        url = path_or_url if path_or_url.startswith(("http://", "https://")) else self.settings.base_url + path_or_url
        key = url + "?" + "&".join(f"{k}={v}" for k, v in sorted((params or {}).items()))
        if use_cache:
            hit = self.cache.get(key)
            if hit is not None:
                return ApiResult(True, "ok", hit, from_cache=True)
        attempts = 0
        last: ApiResult | None = None
        for attempt in range(1, self.settings.max_attempts + 1):
            waited = await self.limiter.acquire(self.settings.max_wait_s)
            if waited is None:
                wait = self.limiter.wait_needed()
                return ApiResult(False, "rate_limited", attempts=attempts,
                                 error=f"CourtListener rate limit: no request slot for {wait:.0f} s")
            attempts += 1
            last, retry_after = await self._request_once(url, params)
            last = ApiResult(last.ok, last.status, last.data, last.error, False, last.http_status, attempts)
            if last.ok:
                if last.data is not None:
                    self.cache.put(key, dict(last.data))
                return last
            if not _retryable(last):
                return last
            if attempt == self.settings.max_attempts:
                break
            backoff = min(self.settings.max_backoff_s, self.settings.backoff_s * 2 ** (attempt - 1))
            delay = retry_after if retry_after is not None else backoff
            if last.status == "rate_limited":
                self.limiter.hold_until(self._clock() + delay)  # the next acquire() waits it out
                if delay > self.settings.max_wait_s:
                    return ApiResult(False, "rate_limited", attempts=attempts, http_status=429,
                                     error=f"CourtListener rate limit (HTTP 429): retry after {delay:.0f} s")
            else:
                await self._sleep(delay)
        assert last is not None
        return ApiResult(False, last.status, None, f"{last.error} (after {attempts} attempts)", False,
                         last.http_status, attempts)

    async def _request_once(self, url: str, params: Mapping[str, str] | None) -> tuple[ApiResult, float | None]:
        session = self._session_now()
        headers = {
            "Authorization": f"Token {self.settings.token}",
            "Accept": "application/json",
            "User-Agent": self.settings.user_agent,
        }
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout_s)
        self.requests_sent += 1
        try:
            async with session.get(url, params=dict(params) if params else None, headers=headers,
                                   timeout=timeout, allow_redirects=False) as resp:
                status = resp.status
                if status == 429:
                    return (ApiResult(False, "rate_limited", http_status=429,
                                      error="CourtListener rate limit (HTTP 429)"),
                            _retry_after(resp.headers.get("Retry-After"), time.time()))
                if status in (401, 403):
                    return ApiResult(False, "unauthorized", http_status=status,
                                     error=f"CourtListener refused the token (HTTP {status})"), None
                if status == 404:
                    return ApiResult(False, "not_found", http_status=404, error="CourtListener: not found (HTTP 404)"), None
                if status >= 400:
                    return ApiResult(False, "error", http_status=status,
                                     error=f"CourtListener answered HTTP {status}"), None
                body = await resp.read()
        except TimeoutError:
            return ApiResult(False, "timeout", error=f"CourtListener did not answer within {self.settings.timeout_s:g} s"), None
        except aiohttp.ClientError as exc:
            return ApiResult(False, "error", error=f"CourtListener unreachable: {_one_line(exc)}"), None
        except (OSError, ValueError) as exc:  # a bad URL or socket trouble aiohttp did not wrap
            return ApiResult(False, "error", error=f"CourtListener request failed: {_one_line(exc)}"), None
        try:
            data = json.loads(body)
        except ValueError:
            return ApiResult(False, "error", http_status=status, error="CourtListener answered something that is not JSON"), None
        if not isinstance(data, dict):
            return ApiResult(False, "error", http_status=status, error="CourtListener answered JSON that is not an object"), None
        return ApiResult(True, "ok", data, http_status=status), None

    def _session_now(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._own_session = True
        return self._session


def _retryable(res: ApiResult) -> bool:
    if res.status in ("rate_limited", "timeout"):
        return True
    if res.status == "error":
        return res.http_status is None or res.http_status >= 500
    return False


def _retry_after(value: str | None, now: float) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    with contextlib.suppress(ValueError):
        return max(0.0, float(value))
    with contextlib.suppress(TypeError, ValueError, IndexError):
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - now)
    return None


def _results(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    rows = data.get("results")
    return [r for r in rows if isinstance(r, Mapping)] if isinstance(rows, list) else []


def _count(data: Mapping[str, Any], default: int) -> int:
    value = data.get("count")
    if isinstance(value, int):
        return value
    if isinstance(value, str):  # some answers give a URL to count with; then what was read is the count
        with contextlib.suppress(ValueError):
            return int(value)
    return default


def _one_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return " ".join(text.split())[:200]
