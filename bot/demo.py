"""A tiny feed server on 127.0.0.1 for the offline console demo (``casewatch run --demo``).

It serves the bundled sample feeds with ETags so the demo exercises the real fetcher, conditional GET
and the parser, then "publishes" a follow-up story so the second poll shows a status change.
"""

from __future__ import annotations

import hashlib
import socket
from importlib import resources

from aiohttp import web

_FEEDS = {"policywire.xml": "policywire.xml", "courtdesk.xml": "courtdesk.xml"}
_UPDATES = {"policywire.xml": "policywire_update.xml"}


def _sample(name: str) -> bytes:
    return resources.files("bot").joinpath("data/samples").joinpath(name).read_bytes()


class DemoFeedServer:
    def __init__(self) -> None:
        self._bodies = {path: _sample(name) for path, name in _FEEDS.items()}
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    @property
    def feed_urls(self) -> list[str]:
        return [f"{self.base_url}/{path}" for path in self._bodies]

    def publish_update(self) -> None:
        for path, name in _UPDATES.items():
            self._bodies[path] = _sample(name)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = self._bodies.get(request.match_info["name"])
        if body is None:
            raise web.HTTPNotFound()
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=body, content_type="application/rss+xml", headers={"ETag": etag})

    async def __aenter__(self) -> DemoFeedServer:
        app = web.Application()
        app.router.add_get("/{name}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        site = web.SockSite(self._runner, sock)
        await site.start()
        self.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
