"""A local aiohttp feed server for tests: real HTTP on 127.0.0.1, no internet.

Usage::

    async with FeedServer() as server:
        server.route("/feed.xml", body=RSS, etag='"v1"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT")
        server.route("/old", redirect_to="/feed.xml")          # 302 (status= to change)
        server.route("/slow", body=RSS, drip_interval_s=0.5)  # one byte per interval
        server.route("/gz", body=RSS, gzip=True)               # Content-Encoding: gzip
        server.route("/bomb", raw_body=bomb, headers={"Content-Encoding": "gzip"})
        url = server.url("/feed.xml")
        ...
        assert server.hits("/feed.xml") == 1
        assert server.requests[0].headers["User-Agent"].startswith("casewatch/")
        assert server.max_concurrent("/feed.xml") <= 2

A route answers conditional requests itself: with ``etag`` and/or ``last_modified`` set, a matching
``If-None-Match`` / ``If-Modified-Since`` gets ``304 Not Modified``. Routes can be replaced while
the server runs. Unknown paths get 404. Every request is logged in :attr:`FeedServer.requests`.
Sockets get TCP_NODELAY so small writes (slow drip) leave immediately.

As a pytest fixture (add to a conftest.py)::

    from tests.feedserver import feed_server  # noqa: F401
"""

from __future__ import annotations

import asyncio
import gzip as gzip_module
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

import pytest
from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Route:
    """How one path answers. ``body`` may be bytes or a callable returning bytes per request."""

    body: bytes | Callable[[web.Request], bytes] = b""
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    redirect_to: str | None = None  # Location (relative or absolute); status defaults to 302
    delay_s: float = 0.0  # before the response headers are sent
    drip_interval_s: float = 0.0  # > 0: send the body one ``drip_bytes`` piece per interval
    drip_bytes: int = 1
    gzip: bool = False  # gzip ``body`` and send Content-Encoding: gzip
    raw_body: bytes | None = None  # sent as-is (e.g. a precompressed bomb); set headers yourself
    chunked: bool = False  # no Content-Length (chunked transfer encoding)
    handler: Handler | None = None  # full control: an aiohttp handler


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    headers: Mapping[str, str]
    at: float


class FeedServer:
    """A configurable HTTP server on 127.0.0.1 (random port) for fetcher and pipeline tests."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[RequestRecord] = []
        self._in_flight: dict[str, int] = {}
        self._max_in_flight: dict[str, int] = {}
        self._runner: web.AppRunner | None = None
        self._site: web.SockSite | None = None
        self._sock: socket.socket | None = None
        self.port = 0

    # --- configuration -------------------------------------------------------------------------------

    def route(self, path: str, route: Route | None = None, **options: object) -> Route:
        """Add or replace the route for ``path`` (a Route, or Route's fields as keywords)."""
        if route is None:
            route = Route(**options)  # type: ignore[arg-type]
        self.routes[path] = route
        return route

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    # --- inspection ----------------------------------------------------------------------------------

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r.path == path)

    def requests_to(self, path: str) -> list[RequestRecord]:
        return [r for r in self.requests if r.path == path]

    def max_concurrent(self, path: str | None = None) -> int:
        """Most requests in progress at once, for one path or (None) across all paths."""
        if path is None:
            return self._max_in_flight.get("*", 0)
        return self._max_in_flight.get(path, 0)

    # --- lifecycle -----------------------------------------------------------------------------------

    async def start(self) -> Self:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.1)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", 0))
        self._sock = sock
        self.port = sock.getsockname()[1]
        self._site = web.SockSite(self._runner, sock)
        await self._site.start()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # --- serving -------------------------------------------------------------------------------------

    def _enter(self, path: str) -> None:
        for key in (path, "*"):
            self._in_flight[key] = self._in_flight.get(key, 0) + 1
            self._max_in_flight[key] = max(self._max_in_flight.get(key, 0), self._in_flight[key])

    def _leave(self, path: str) -> None:
        for key in (path, "*"):
            self._in_flight[key] -= 1

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        sock = request.transport.get_extra_info("socket") if request.transport else None
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.requests.append(
            RequestRecord(request.method, request.path, dict(request.headers), time.monotonic())
        )
        route = self.routes.get(request.path)
        if route is None:
            return web.Response(status=404, text="not found")
        self._enter(request.path)
        try:
            return await self._serve(request, route)
        finally:
            self._leave(request.path)

    async def _serve(self, request: web.Request, route: Route) -> web.StreamResponse:
        if route.delay_s:
            await asyncio.sleep(route.delay_s)
        if route.handler is not None:
            return await route.handler(request)
        headers = dict(route.headers)
        if route.redirect_to is not None:
            headers["Location"] = route.redirect_to
            return web.Response(status=route.status if route.status != 200 else 302, headers=headers)
        if route.etag:
            headers["ETag"] = route.etag
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
        if self._not_modified(request, route):
            return web.Response(status=304, headers=headers)
        if route.raw_body is not None:
            body = route.raw_body
        else:
            body = route.body(request) if callable(route.body) else route.body
            if route.gzip:
                body = gzip_module.compress(body)
                headers["Content-Encoding"] = "gzip"
        headers.setdefault("Content-Type", route.content_type)
        if not route.chunked and not route.drip_interval_s:
            return web.Response(status=route.status, body=body, headers=headers)
        resp = web.StreamResponse(status=route.status, headers=headers)
        if route.chunked:
            resp.enable_chunked_encoding()
        else:
            resp.content_length = len(body)
        await resp.prepare(request)
        step = max(1, route.drip_bytes) if route.drip_interval_s else 64 * 1024
        try:
            for i in range(0, len(body), step):
                await resp.write(body[i : i + step])
                if route.drip_interval_s:
                    await asyncio.sleep(route.drip_interval_s)
            await resp.write_eof()
        except (ConnectionResetError, ConnectionError):
            pass  # the client gave up, as it should
        return resp

    @staticmethod
    def _not_modified(request: web.Request, route: Route) -> bool:
        inm = request.headers.get("If-None-Match")
        if route.etag and inm is not None:
            return route.etag in {t.strip() for t in inm.split(",")} or inm.strip() == "*"
        ims = request.headers.get("If-Modified-Since")
        return bool(route.last_modified and ims is not None and ims.strip() == route.last_modified)


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    """A running :class:`FeedServer`, stopped after the test."""
    async with FeedServer() as server:
        yield server
