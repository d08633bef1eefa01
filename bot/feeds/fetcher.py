"""Polite, bounded HTTP fetching of feeds with aiohttp.

Feed servers are untrusted: they may drip one byte every few seconds, send a 1 GiB gzip bomb,
redirect forever or to ``file://``, or point at casewatch's own network. So every fetch has connect
and read timeouts plus a total deadline, byte caps on the wire and after decompression (done here,
incrementally, from the raw stream), at most ``max_redirects`` hops each re-checked by the
:class:`UrlGuard`, and per-host plus global concurrency limits. Conditional GETs (ETag,
Last-Modified) keep polling cheap for servers that support them.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import weakref
import zlib
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from importlib import metadata
from types import TracebackType
from typing import Self
from urllib.parse import urljoin, urlsplit

import aiohttp
from yarl import URL

from bot.feeds.netguard import BlockedUrl, GuardedResolver, UrlGuard, find_blocked

log = logging.getLogger(__name__)

MiB = 1024 * 1024


def _version() -> str:
    try:
        return metadata.version("casewatch")
    except metadata.PackageNotFoundError:
        return "0.1.0"


DEFAULT_USER_AGENT = f"casewatch/{_version()} (+https://github.com/casewatch/casewatch)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
_MAX_RETRY_AFTER_S = 30 * 24 * 3600.0
_MAX_VALIDATOR_CHARS = 1024
_CHUNK = 64 * 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class FetchLimits:
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 20.0
    total_timeout_s: float = 60.0
    max_bytes: int = 10 * MiB  # on the wire
    max_decompressed_bytes: int = 20 * MiB
    max_redirects: int = 5
    per_host: int = 2
    global_limit: int = 16
    user_agent: str = DEFAULT_USER_AGENT


@dataclass(frozen=True)
class FetchResult:
    status: int
    body: bytes | None
    etag: str | None
    last_modified: str | None
    final_url: str
    not_modified: bool
    elapsed_s: float
    content_type: str | None = None  # the response's Content-Type (feed discovery tells pages apart)


class FetchError(Exception):
    """A fetch that produced no feed body.

    ``transient`` errors (timeouts, connection failures, 5xx, 429) are worth retrying later, with
    ``retry_after`` seconds as the server's wish when it gave one; permanent ones (404, 410, blocked
    or malformed URL, too large) need a person to look.
    """

    def __init__(
        self,
        reason: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        transient: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after
        self.transient = transient


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), _MAX_RETRY_AFTER_S)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    delta = when.timestamp() - (time.time() if now is None else now)
    return min(max(0.0, delta), _MAX_RETRY_AFTER_S)


def _validator(value: str | None) -> str | None:
    """A response ETag/Last-Modified we are willing to store and send back."""
    if not value or len(value) > _MAX_VALIDATOR_CHARS or _CONTROL.search(value):
        return None
    return value


class _Decoder:
    """Incremental Content-Encoding decoder that refuses to produce more than ``limit`` bytes."""

    def __init__(self, encoding: str, limit: int) -> None:
        self._limit = limit
        self._size = 0
        self._parts: list[bytes] = []
        self._gzip = encoding in ("gzip", "x-gzip")
        self._deflate = encoding == "deflate"
        self._d: zlib._Decompress | None = None
        if self._gzip:
            self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self._deflate:
            self._d = zlib.decompressobj()
        self._raw_deflate_tried = False

    def _emit(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self._limit:
            raise FetchError(f"feed too large: more than {self._limit} bytes after decompression")
        self._parts.append(data)

    def feed(self, chunk: bytes) -> None:
        if self._d is None:
            self._emit(chunk)
            return
        data = chunk
        while data:
            try:
                out = self._d.decompress(data, self._limit - self._size + 1)
            except zlib.error as exc:
                if self._deflate and not self._raw_deflate_tried and self._size == 0:
                    # Some servers send raw deflate without the zlib header.
                    self._raw_deflate_tried = True
                    self._d = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise FetchError(f"corrupt {'gzip' if self._gzip else 'deflate'} body: {exc}") from None
            self._emit(out)
            data = self._d.unconsumed_tail
            if self._d.eof:
                rest = self._d.unused_data
                if self._gzip and rest.lstrip(b"\x00"):
                    # Another gzip member follows (concatenated gzip is legal).
                    self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    data = rest.lstrip(b"\x00")
                else:
                    return

    def finish(self) -> bytes:
        if self._d is not None:
            self._emit(self._d.flush())
            if not self._d.eof:
                raise FetchError("truncated compressed body", transient=True)
        return b"".join(self._parts)


def _content_encoding(header: str | None) -> str:
    codings = [c.strip().lower() for c in (header or "").split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return "identity"
    if len(codings) > 1 or codings[0] not in ("gzip", "x-gzip", "deflate"):
        raise FetchError(f"unsupported Content-Encoding: {header}")
    return codings[0]


class Fetcher:
    """Fetches feed bodies; one instance (one connection pool) for the whole bot.

    Without a guard (operator feeds, tests) there are no address checks; with one, every hop's URL
    is checked and the connector's resolver refuses blocked addresses at connection time.
    """

    def __init__(self, limits: FetchLimits = FetchLimits(), guard: UrlGuard | None = None) -> None:
        self.limits = limits
        self.guard = guard
        self._session: aiohttp.ClientSession | None = None
        self._global = asyncio.Semaphore(limits.global_limit)
        self._per_host: weakref.WeakValueDictionary[str, asyncio.Semaphore] = weakref.WeakValueDictionary()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            limits = self.limits
            connector = aiohttp.TCPConnector(
                limit=limits.global_limit,
                limit_per_host=limits.per_host,
                resolver=GuardedResolver(self.guard) if self.guard is not None else None,
                ttl_dns_cache=60,
                enable_cleanup_closed=False,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=False,
                timeout=aiohttp.ClientTimeout(
                    total=None,  # the total deadline is ours, across redirects
                    connect=limits.connect_timeout_s,
                    sock_connect=limits.connect_timeout_s,
                    sock_read=limits.read_timeout_s,
                ),
                headers={
                    "User-Agent": limits.user_agent,
                    "Accept": ACCEPT,
                    "Accept-Encoding": "gzip, deflate",
                },
                cookie_jar=aiohttp.DummyCookieJar(),  # feeds get no cookies from each other
                trust_env=False,
            )
        return self._session

    def _host_semaphore(self, host: str) -> asyncio.Semaphore:
        sem = self._per_host.get(host)
        if sem is None:
            sem = asyncio.Semaphore(self.limits.per_host)
            self._per_host[host] = sem
        return sem

    async def fetch(self, url: str, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """GET ``url`` (following redirects ourselves); raise :class:`FetchError` on any failure."""
        limits = self.limits
        headers: dict[str, str] = {}
        if etag and _validator(etag):
            headers["If-None-Match"] = etag
        if last_modified and _validator(last_modified):
            headers["If-Modified-Since"] = last_modified
        loop = asyncio.get_running_loop()
        deadline: float | None = None
        started = time.monotonic()
        current = url
        seen: set[str] = set()
        for hop in range(limits.max_redirects + 1):
            host = await self._check_hop(current)
            seen.add(current)
            async with self._host_semaphore(host), self._global:
                if deadline is None:  # waiting for a slot is not the server's fault
                    deadline = loop.time() + limits.total_timeout_s
                    started = time.monotonic()
                try:
                    async with asyncio.timeout_at(deadline):
                        result = await self._request(current, headers, started)
                except TimeoutError:
                    raise FetchError(
                        f"timed out after {limits.total_timeout_s:g}s (total deadline)", transient=True
                    ) from None
            if isinstance(result, FetchResult):
                return result
            target = result
            if target in seen:
                raise FetchError(f"redirect loop at {target}", status=None)
            if hop == limits.max_redirects:
                break
            current = target
        raise FetchError(f"too many redirects (more than {limits.max_redirects})")

    async def _check_hop(self, url: str) -> str:
        """Scheme and guard checks for one hop; returns the host key for the per-host limit."""
        try:
            parts = urlsplit(url)
            host = parts.hostname
            port = parts.port
        except ValueError as exc:
            raise FetchError(f"malformed URL {url!r}: {exc}") from None
        if parts.scheme.lower() not in ("http", "https"):
            raise FetchError(f"unsupported URL scheme {parts.scheme or '(none)'!r} in {url!r}")
        if not host:
            raise FetchError(f"URL has no host: {url!r}")
        if self.guard is not None:
            try:
                await self.guard.check(url)
            except BlockedUrl as exc:
                raise FetchError(f"blocked: {exc}") from None
            except OSError as exc:
                raise FetchError(f"cannot resolve {host}: {exc}", transient=True) from None
        return f"{host}:{port}" if port else host

    async def _request(self, url: str, headers: dict[str, str], started: float) -> FetchResult | str:
        """One hop: a FetchResult, or the absolute URL to redirect to."""
        session = self._get_session()
        try:
            target = URL(url)
        except (ValueError, TypeError) as exc:
            raise FetchError(f"malformed URL {url!r}: {exc}") from None
        try:
            async with session.get(target, headers=headers, allow_redirects=False) as resp:
                status = resp.status
                if status in _REDIRECT_STATUSES:
                    location = resp.headers.get("Location")
                    if not location:
                        raise FetchError(f"HTTP {status} redirect without Location", status=status)
                    return urljoin(url, location.strip())
                if status == 304:
                    return FetchResult(
                        status=304,
                        body=None,
                        etag=_validator(resp.headers.get("ETag")) or headers.get("If-None-Match"),
                        last_modified=_validator(resp.headers.get("Last-Modified"))
                        or headers.get("If-Modified-Since"),
                        final_url=url,
                        not_modified=True,
                        elapsed_s=time.monotonic() - started,
                    )
                if not 200 <= status < 300:
                    raise FetchError(
                        f"HTTP {status} {resp.reason or ''}".strip(),
                        status=status,
                        retry_after=parse_retry_after(resp.headers.get("Retry-After"))
                        if status in (429, 503)
                        else None,
                        transient=status in _TRANSIENT_STATUSES or status >= 500,
                    )
                body = await self._read_body(resp)
                return FetchResult(
                    status=status,
                    body=body,
                    etag=_validator(resp.headers.get("ETag")),
                    last_modified=_validator(resp.headers.get("Last-Modified")),
                    final_url=url,
                    not_modified=False,
                    elapsed_s=time.monotonic() - started,
                    content_type=resp.headers.get("Content-Type"),
                )
        except FetchError:
            raise
        except aiohttp.ConnectionTimeoutError:
            raise FetchError(
                f"connect timeout after {self.limits.connect_timeout_s:g}s", transient=True
            ) from None
        except aiohttp.SocketTimeoutError:
            raise FetchError(f"read timeout after {self.limits.read_timeout_s:g}s", transient=True) from None
        except aiohttp.InvalidURL as exc:
            raise FetchError(f"malformed URL: {exc}") from None
        except (aiohttp.ClientConnectorError, aiohttp.ClientOSError) as exc:
            blocked = find_blocked(exc)
            if blocked is not None:
                raise FetchError(f"blocked: {blocked}") from None
            raise FetchError(f"connection failed: {exc}", transient=True) from None
        except aiohttp.ClientError as exc:
            raise FetchError(f"HTTP error: {type(exc).__name__}: {exc}"[:300], transient=True) from None

    async def _read_body(self, resp: aiohttp.ClientResponse) -> bytes:
        limits = self.limits
        declared = resp.content_length
        if declared is not None and declared > limits.max_bytes:
            raise FetchError(f"feed too large: Content-Length {declared} > {limits.max_bytes} bytes")
        decoder = _Decoder(
            _content_encoding(resp.headers.get("Content-Encoding")), limits.max_decompressed_bytes
        )
        received = 0
        async for chunk in resp.content.iter_chunked(_CHUNK):
            received += len(chunk)
            if received > limits.max_bytes:
                raise FetchError(f"feed too large: more than {limits.max_bytes} bytes on the wire")
            decoder.feed(chunk)
        return decoder.finish()
