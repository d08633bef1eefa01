"""Running the web view: ``casewatch web`` on its own, or inside the bot process next to the scheduler."""

from __future__ import annotations

import errno
import logging

from aiohttp import web

from bot.ports import ReadStore
from bot.web.app import create_app

log = logging.getLogger(__name__)


class WebServerError(Exception):
    """The server could not start (port taken, address not available); the message is one line."""


class WebServer:
    """An aiohttp ``AppRunner`` + ``TCPSite`` over a store it does not own."""

    def __init__(
        self,
        store: ReadStore,
        host: str,
        port: int,
        *,
        token: str | None = None,
        public_url: str | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.app = create_app(store, token=token, public_url=public_url)
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    async def start(self) -> None:
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise WebServerError(_why(exc, self.host, self.port)) from None
        if self.port == 0:  # tests ask the OS for a free port
            server = site._server  # the asyncio server: its socket says which port it got
            sockets = getattr(server, "sockets", None) or []
            if sockets:
                self.port = int(sockets[0].getsockname()[1])
        self._runner = runner
        log.info("web view on %s", self.url)

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()


def _why(exc: OSError, host: str, port: int) -> str:
    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return f"cannot serve the web view on {where}: the port is already in use (pick another with --port)"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"cannot serve the web view on {where}: permission denied (ports below 1024 need privileges)"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot serve the web view on {where}: this machine has no such address"
    return f"cannot serve the web view on {where}: {exc.strerror or exc}"
