"""Parse untrusted feed bodies with feedparser, defused, bounded and off the event loop.

feedparser 6 has hazards casewatch must defuse itself (see ``../shared/feeds/README.md``):
``parse(bytes)`` may open the body as a local path, an internal DTD entity referenced many times
makes its lenient parser expand without bound, and big feeds cost seconds of CPU. So bodies are
size-checked, their DOCTYPE internal subset is stripped, they are handed over as a stream, and the
parse runs in a worker process whose memory is capped and which is killed on timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import multiprocessing
import os
import re
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import feedparser
from feedparser.encodings import convert_to_utf8

from bot.feeds.fastparse import parse_fast
from bot.feeds.normalize import bozo_reason, normalize
from bot.models import ParsedFeed

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 20 * 1024 * 1024
DEFAULT_WORKER_MEMORY_BYTES = 1024 * 1024 * 1024


class FeedParseError(Exception):
    """The body is not a usable feed; ``reason`` is one human-readable line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- DOCTYPE defusing ---------------------------------------------------------------------------------

_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_:]")
_FEEDPARSER_HEAD_END = re.compile(rb"<\w")  # where feedparser's replace_doctype() ends the prolog
_ENTITY_DECL = re.compile(rb"<!\s*ENTITY", re.I)
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.I)
_DECL_SPECIAL = re.compile(rb"[\"'\[\]>]|<!--")


def _skip_quoted(data: bytes, pos: int) -> int:
    """Index just past the quoted string starting at ``pos`` (or len(data) when unterminated)."""
    end = data.find(data[pos : pos + 1], pos + 1)
    return len(data) if end == -1 else end + 1


def _scan_declaration(data: bytes, start: int) -> tuple[int, int | None]:
    """End of the ``<!...>`` declaration at ``start`` and where its internal subset begins, if any.

    Quotes, comments and the bracketed subset are honoured so a ``>`` inside them does not end it.
    """
    pos = start + 2
    depth = 0
    subset_at: int | None = None
    n = len(data)
    while pos < n:
        m = _DECL_SPECIAL.search(data, pos)
        if m is None:
            return n, subset_at
        tok = m.group()
        if tok in (b'"', b"'"):
            pos = _skip_quoted(data, m.start())
        elif tok == b"<!--":
            end = data.find(b"-->", m.end())
            pos = n if end == -1 else end + 3
        elif tok == b"[":
            if subset_at is None:
                subset_at = m.start()
            depth += 1
            pos = m.end()
        elif tok == b"]":
            depth = max(0, depth - 1)
            pos = m.end()
        else:  # ">"
            if depth == 0:
                return m.end(), subset_at
            pos = m.end()
    return n, subset_at


def defuse_prolog(data: bytes) -> bytes:
    """Drop the DOCTYPE internal subset and any stray declarations before the root element.

    Entity declarations live only there; without them neither expat nor feedparser's lenient
    fallback can expand anything (billion laughs, one large entity referenced many times, XXE).
    No real feed examined declares entities, so nothing of value is lost.
    """
    first = _FIRST_ELEMENT.search(data)
    head_end = first.start() if first else len(data)
    if data.find(b"<!", 0, head_end) == -1:
        return data
    out: list[bytes] = []
    pos = 0
    n = len(data)
    while pos < n:
        lt = data.find(b"<", pos)
        if lt == -1:
            out.append(data[pos:])
            pos = n
            break
        out.append(data[pos:lt])
        if data.startswith(b"<?", lt):
            end = data.find(b"?>", lt + 2)
            end = n if end == -1 else end + 2
            out.append(data[lt:end])
            pos = end
        elif data.startswith(b"<!--", lt):
            end = data.find(b"-->", lt + 4)
            end = n if end == -1 else end + 3
            out.append(data[lt:end])
            pos = end
        elif data.startswith(b"<!", lt):
            end, subset_at = _scan_declaration(data, lt)
            if _DOCTYPE.match(data, lt):
                out.append(data[lt:subset_at].rstrip() + b">" if subset_at is not None else data[lt:end])
            # any other declaration before the root element (<!ENTITY ...>, <!ELEMENT ...>) is dropped
            pos = end
        else:  # the root element: the rest is the document
            break
    out.append(data[pos:])
    cleaned = b"".join(out)
    head = _FEEDPARSER_HEAD_END.search(cleaned)
    if _ENTITY_DECL.search(cleaned, 0, head.start() if head else len(cleaned)):
        raise FeedParseError("feed declares XML entities in a way casewatch cannot defuse")
    return cleaned


# --- parsing ------------------------------------------------------------------------------------------

_LEADING_NOISE = b"\xef\xbb\xbf \t\r\n"


def _not_a_feed_reason(body: bytes) -> str:
    start = body.lstrip(_LEADING_NOISE)[:1024].lower()
    if start.startswith((b"{", b"[")):
        return "not a feed: the body is JSON"
    if start.startswith((b"<!doctype html", b"<html")) or b"<html" in start:
        return "not a feed: the body is an HTML page"
    if not start.startswith(b"<"):
        return "not a feed: the body is not XML"
    return "not a feed: no RSS, Atom or RDF root element"


def parse_bytes(body: bytes, url: str | None = None) -> ParsedFeed:
    """Parse one feed body into a :class:`ParsedFeed`; raise :class:`FeedParseError` if it is not one.

    Synchronous and self-contained so it can run in a worker process. A malformed ("bozo") feed that
    still yields items is accepted; ``ParsedFeed.bozo`` says what was wrong.
    """
    if not isinstance(body, bytes | bytearray | memoryview):
        raise FeedParseError(f"body must be bytes, not {type(body).__name__}")
    body = bytes(body)
    if len(body) > MAX_BODY_BYTES:
        raise FeedParseError(f"feed too large: {len(body)} bytes (limit {MAX_BODY_BYTES})")
    if not body.strip(_LEADING_NOISE + b"\x00"):
        raise FeedParseError("empty body")
    start = body.lstrip(_LEADING_NOISE)[:64].lower()
    if start.startswith((b"{", b"[", b"<!doctype html", b"<html")):
        raise FeedParseError(_not_a_feed_reason(body))
    # A content type that feedparser treats as XML keeps its RFC 3023 logic from flagging every
    # feed as bozo. No content-location: making feedparser join every link with a base costs ~15%
    # of its parse time; normalize() resolves the few relative links against ``url`` instead.
    headers = {"content-type": "application/xml"}
    try:
        # Convert to UTF-8 first (as feedparser does) so the DOCTYPE can be found in any encoding.
        encoding_result: dict[str, Any] = {}
        data = defuse_prolog(convert_to_utf8(headers, body, encoding_result))
        if encoding_result.get("encoding") and not encoding_result.get("bozo"):
            fast = parse_fast(data, url)  # None: not sure it matches feedparser, so ask feedparser
            if fast is not None:
                return fast
        parsed = feedparser.parse(
            io.BytesIO(data),  # never the bytes themselves: feedparser would try them as a file path
            sanitize_html=False,
            resolve_relative_uris=False,
            response_headers=headers,
        )
    except FeedParseError:
        raise
    except MemoryError:
        raise FeedParseError("parser ran out of memory") from None
    except RecursionError:
        raise FeedParseError("feed nests too deeply") from None
    except Exception as exc:  # feedparser is lenient; anything it raises means "unusable body"
        raise FeedParseError(f"parser failed: {type(exc).__name__}: {exc}"[:300]) from None
    if encoding_result.get("bozo") and not parsed.get("bozo"):
        parsed["bozo"] = True
        parsed["bozo_exception"] = encoding_result.get("bozo_exception")
    if not parsed.get("entries"):
        if not parsed.get("version"):
            raise FeedParseError(_not_a_feed_reason(body))
        if parsed.get("bozo"):
            raise FeedParseError(f"malformed feed without items: {bozo_reason(parsed)}"[:300])
    return normalize(parsed, url)


# --- worker pool --------------------------------------------------------------------------------------


def _init_worker(memory_limit_bytes: int | None) -> None:
    """Cap the worker's address space so a hostile body fails with MemoryError, not the host."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl+C and shuts us down
    if not memory_limit_bytes:
        return
    try:
        import resource

        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = memory_limit_bytes if hard == resource.RLIM_INFINITY else min(memory_limit_bytes, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError) as exc:  # not Unix, or not permitted
        log.warning("cannot cap parser worker memory: %s", exc)


def _worker_memory_limit() -> int:
    """The worker's current RLIMIT_AS soft limit (used by tests to check the cap is in place)."""
    import resource

    return resource.getrlimit(resource.RLIMIT_AS)[0]


def _mp_context() -> multiprocessing.context.BaseContext:
    # Never fork: forking an asyncio process with threads copies locks in unknown states.
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        # Preload this module (and feedparser) in the fork server so workers start warm, and skip
        # re-importing the parent's __main__.
        ctx.set_forkserver_preload([__name__])
        return ctx
    return multiprocessing.get_context("spawn")


def _kill_executor(executor: ProcessPoolExecutor) -> None:
    processes = list((getattr(executor, "_processes", None) or {}).values())
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AttributeError):  # already gone
            process.kill()
    # No cancel_futures: queued work must fail with BrokenProcessPool (which callers retry), not be
    # cancelled, which would look like a cancellation of the awaiting task.
    executor.shutdown(wait=False)


class ParserPool:
    """Runs :func:`parse_bytes` in worker processes with a timeout and a memory cap.

    A worker that times out or dies takes its pool with it: the pool is killed and recreated and the
    caller gets :class:`FeedParseError`. Callers that were merely sharing the killed pool are retried
    once on the new one. ``inline=True`` parses in the calling process (tests, tiny runs).
    """

    def __init__(
        self,
        workers: int | None = None,
        timeout_s: float = 30.0,
        inline: bool = False,
        *,
        memory_limit_bytes: int | None = DEFAULT_WORKER_MEMORY_BYTES,
    ) -> None:
        self._workers = workers or max(1, min(4, os.cpu_count() or 1))
        self._timeout_s = timeout_s
        self._inline = inline
        self._memory_limit_bytes = memory_limit_bytes
        self._executor: ProcessPoolExecutor | None = None
        self._closed = False
        # At most one job per worker is handed over, so the timeout measures parsing, not queueing
        # behind a slow feed.
        self._slots = asyncio.Semaphore(self._workers)

    def _current_executor(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self._workers,
                mp_context=_mp_context(),
                initializer=_init_worker,
                initargs=(self._memory_limit_bytes,),
            )
        return self._executor

    def _discard(self, executor: ProcessPoolExecutor) -> None:
        """Kill ``executor`` if it is still the current pool (another caller may have done so already)."""
        if self._executor is executor:
            self._executor = None
            _kill_executor(executor)

    async def _run(self, fn: Any, *args: Any) -> Any:
        if self._closed:
            raise FeedParseError("parser pool is closed")
        async with self._slots:
            return await self._run_in_slot(fn, *args)

    async def _run_in_slot(self, fn: Any, *args: Any) -> Any:
        for attempt in range(2):
            if self._closed:
                raise FeedParseError("parser pool is closed")
            executor = self._current_executor()
            try:
                future: Future[Any] = executor.submit(fn, *args)
            except (BrokenProcessPool, RuntimeError):
                self._discard(executor)
                continue
            try:
                async with asyncio.timeout(self._timeout_s):
                    return await asyncio.wrap_future(future)
            except TimeoutError:
                future.cancel()
                log.warning("parser worker timed out after %.1fs; restarting the pool", self._timeout_s)
                self._discard(executor)
                raise FeedParseError(f"parsing timed out after {self._timeout_s:g}s") from None
            except BrokenProcessPool:
                if self._executor is not executor and attempt == 0:
                    continue  # killed because of another caller's body: retry on the fresh pool
                log.warning("parser worker died; restarting the pool")
                self._discard(executor)
                raise FeedParseError("parser worker died (out of memory or crashed)") from None
        raise FeedParseError("parser worker died (out of memory or crashed)")

    async def parse(self, body: bytes, url: str | None = None) -> ParsedFeed:
        """Parse ``body`` off the event loop; raise :class:`FeedParseError` on any failure."""
        if self._inline:
            if self._closed:
                raise FeedParseError("parser pool is closed")
            return parse_bytes(body, url)
        result: ParsedFeed = await self._run(parse_bytes, body, url)
        return result

    async def close(self) -> None:
        """Stop the workers; a stuck worker is killed rather than waited for."""
        self._closed = True
        executor, self._executor = self._executor, None
        if executor is None:
            return
        try:
            async with asyncio.timeout(5.0):
                await asyncio.to_thread(executor.shutdown, True, cancel_futures=True)
        except TimeoutError:
            _kill_executor(executor)
