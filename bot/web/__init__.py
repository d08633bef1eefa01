"""A small read-only web view of the cases casewatch follows (issue 16).

``create_app(store)`` builds the aiohttp application (server-rendered Jinja2 pages, autoescaped, no
JavaScript); :class:`WebServer` runs it for ``casewatch web`` and inside the bot. Nothing here imports
``discord`` or writes to the database.
"""

from bot.web.app import create_app
from bot.web.server import WebServer, WebServerError

__all__ = ["WebServer", "WebServerError", "create_app"]
