"""The aiohttp application of the web view: routes, input checks, security headers, error pages.

Read-only by construction: only GET and HEAD reach a handler (anything else is 405 before routing), and
the handlers only call the read methods of :class:`bot.ports.ReadStore`. Every value from feeds goes
through Jinja2 with autoescape on; links are rendered only for http(s) URLs (:func:`format.http_url`).
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import urlencode

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.detect.issues import LABELS as ISSUE_LABELS
from bot.models import Action, Article, Case, CaseEvent, Stage
from bot.ports import ReadStore
from bot.web import format as fmt
from bot.web.timeline import picture

log = logging.getLogger(__name__)

PER_PAGE = 20
MAX_PAGE = 500  # 10,000 cases deep: SQLite steps over every skipped row, so deeper pages are refused
MAX_QUERY = 200  # characters of search text (what /case search accepts)
FACET_TTL_S = 300.0  # how long the platform filter's options are reused

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
ALLOWED_METHODS = ("GET", "HEAD")
# Set by a reverse proxy: such a request did not come from this machine, whatever its socket says.
PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")
_CASE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_PAGE = re.compile(r"[0-9]{1,9}")

@dataclass(frozen=True, slots=True)
class WebConfig:
    token: str | None = None  # CASEWATCH_WEB_TOKEN: opens /feeds to requests that carry it
    public_url: str | None = None  # CASEWATCH_PUBLIC_URL: canonical links


STORE: web.AppKey[ReadStore] = web.AppKey("store", ReadStore)
CONFIG: web.AppKey[WebConfig] = web.AppKey("config", WebConfig)
STYLE: web.AppKey[bytes] = web.AppKey("style", bytes)
FACETS: web.AppKey[dict[str, Any]] = web.AppKey("facets", dict)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class BadInput(web.HTTPBadRequest):
    """A query parameter that cannot be used; the message is shown on the 400 page."""

    def __init__(self, message: str) -> None:
        super().__init__(reason="Bad Request", text=message)
        self.message = message


def create_app(
    store: ReadStore, *, token: str | None = None, public_url: str | None = None
) -> web.Application:
    """The web view over ``store`` (which it does not own: the caller closes it)."""
    app = web.Application(middlewares=[read_only, error_pages], client_max_size=1024)
    app[STORE] = store
    app[CONFIG] = WebConfig(token=token, public_url=public_url.rstrip("/") if public_url else None)
    app[STYLE] = resources.files("bot.web").joinpath("static/style.css").read_bytes()
    app[FACETS] = {}
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("bot.web", "templates"),
        autoescape=True,  # every value from a feed is escaped
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        href=fmt.http_url,
        outlet=fmt.outlet,
        day=fmt.day,
        when=fmt.when,
        iso=fmt.iso,
        label=fmt.label,
        issue_label=lambda key: ISSUE_LABELS.get(key, key),
    )
    app.on_response_prepare.append(_security_headers)
    app.router.add_get("/", case_list, name="cases")
    app.router.add_get("/cases/{case_id}", case_page, name="case")
    app.router.add_get("/cases/{case_id}/timeline.svg", timeline_picture, name="timeline")
    app.router.add_get("/cases/{case_id}/timeline.png", timeline_png_picture, name="timeline_png")
    app.router.add_get("/feeds", feed_health, name="feeds")
    app.router.add_get("/healthz", healthz, name="healthz")
    app.router.add_get("/static/style.css", stylesheet, name="style")
    return app


# --- middlewares and signals ------------------------------------------------------------------------


@web.middleware
async def read_only(request: web.Request, handler: Handler) -> web.StreamResponse:
    """GET and HEAD only, for every path (known or not): nothing here changes state."""
    if request.method not in ALLOWED_METHODS:
        raise web.HTTPMethodNotAllowed(request.method, list(ALLOWED_METHODS))
    return await handler(request)


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """HTML error pages (no traceback, no stored data) for 4xx/5xx, keeping the status and headers."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or request.path == "/healthz":
            raise
        message = exc.message if isinstance(exc, BadInput) else _ERRORS.get(exc.status, exc.reason)
        response = _render("error.html", request, {"status": exc.status, "reason": exc.reason, "message": message})
        response.set_status(exc.status, exc.reason)
        for name in ("Allow", "WWW-Authenticate"):
            if name in exc.headers:
                response.headers[name] = exc.headers[name]
        return response
    except Exception:
        log.exception("web view: %s %s failed", request.method, request.path_qs[:200])
        response = _render("error.html", request, {"status": 500, "reason": "Internal Server Error",
                                                   "message": _ERRORS[500]})
        response.set_status(500)
        return response


_ERRORS = {
    403: "This page is for the operator: open it on the machine casewatch runs on, or send "
    "Authorization: Bearer with the CASEWATCH_WEB_TOKEN.",
    404: "There is no such page or case. Cases are listed on the front page.",
    405: "This web view is read-only: only GET and HEAD requests are answered.",
    500: "Something went wrong on our side; the problem was logged.",
}


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    response.headers["Server"] = "casewatch"


# --- input ----------------------------------------------------------------------------------------


def _page(request: web.Request) -> int:
    raw = request.query.get("page", "1").strip()
    if not _PAGE.fullmatch(raw) or not 1 <= int(raw) <= MAX_PAGE:
        raise BadInput(f"page must be a whole number from 1 to {MAX_PAGE}")
    return int(raw)


def _choice(request: web.Request, name: str, allowed: type[Action] | type[Stage]) -> str | None:
    raw = request.query.get(name, "").strip().lower()
    if not raw:
        return None
    if raw not in {m.value for m in allowed}:
        raise BadInput(f"{name} must be one of: " + ", ".join(m.value for m in allowed))
    return raw


def _platform(request: web.Request) -> str | None:
    raw = request.query.get("platform", "").strip()
    if not raw:
        return None
    if len(raw) > 100:
        raise BadInput("platform must be at most 100 characters")
    from bot.cases.clustering import platform_key  # Twitter and X share a key, as in grouping

    return platform_key(raw)


def _issue(request: web.Request) -> str | None:
    raw = request.query.get("issue", "").strip().lower()
    if not raw:
        return None
    if raw not in ISSUE_LABELS:
        raise BadInput("issue must be one of: " + ", ".join(ISSUE_LABELS))
    return raw


def _query(request: web.Request) -> str:
    raw = request.query.get("q", "").strip()
    if len(raw) > MAX_QUERY:
        raise BadInput(f"search text must be at most {MAX_QUERY} characters")
    return raw


# --- handlers -------------------------------------------------------------------------------------


async def case_list(request: web.Request) -> web.Response:
    store = request.app[STORE]
    page, query = _page(request), _query(request)
    platform, action = _platform(request), _choice(request, "action", Action)
    status, issue = _choice(request, "status", Stage), _issue(request)
    rows = await store.cases.browse(
        query=query,
        platform=platform,
        action=action,
        status=status,
        issue=issue,
        limit=PER_PAGE + 1,
        offset=(page - 1) * PER_PAGE,
    )
    cases, more = rows[:PER_PAGE], len(rows) > PER_PAGE
    filters = {
        "q": query,
        "platform": platform or "",
        "action": action or "",
        "status": status or "",
        "issue": issue or "",
    }

    def link(to: int) -> str:
        params = {k: v for k, v in filters.items() if v}
        if to > 1:
            params["page"] = str(to)
        return "/" + ("?" + urlencode(params) if params else "")

    return _render(
        "cases.html",
        request,
        {
            "cases": cases,
            "page": page,
            "start": (page - 1) * PER_PAGE,
            "previous": link(page - 1) if page > 1 else None,
            "next": link(page + 1) if more and page < MAX_PAGE else None,
            "first": link(1),
            "filters": filters,
            "filtered": any(filters.values()),
            "platforms": await _platform_options(request, platform),
            "actions": [a.value for a in Action],
            "statuses": [s.value for s in Stage],
            "issues": ISSUE_LABELS,
        },
    )


async def _platform_options(request: web.Request, chosen: str | None) -> list[str]:
    """The platform filter's options: the 100 platforms with most cases, refreshed every few minutes
    (counting them reads the whole platform index)."""
    cache = request.app[FACETS]
    now = time.monotonic()
    if cache.get("at") is None or now - cache["at"] > FACET_TTL_S:
        cache["platforms"] = sorted(key for key, _ in await request.app[STORE].cases.platform_counts(100))
        cache["at"] = now
    options = list(cache["platforms"])
    if chosen and chosen not in options:
        options.append(chosen)
    return options


async def _requested_case(request: web.Request, suffix: str = "") -> Case:
    """The case of ``/cases/{case_id}{suffix}``: 404 when there is none; a merged case's old id moves
    to the surviving case's URL for good (301)."""
    requested = request.match_info["case_id"]
    if not _CASE_ID.fullmatch(requested):
        raise web.HTTPNotFound()
    case = await request.app[STORE].cases.resolve(requested)
    if case is None:
        raise web.HTTPNotFound()
    if case.id != requested:
        raise web.HTTPMovedPermanently(f"/cases/{case.id}{suffix}")
    return case


async def case_page(request: web.Request) -> web.Response:
    case = await _requested_case(request)
    store = request.app[STORE]
    articles = await store.articles.for_case(case.id)
    events = await store.cases.events(case.id)
    by_id = {a.id: a for a in articles}
    public = request.app[CONFIG].public_url
    return _render(
        "case.html",
        request,
        {
            "case": case,
            "articles": articles,
            "changes": [_change(e, by_id) for e in events],
            "canonical": f"{public}/cases/{case.id}" if public else None,
        },
    )


async def timeline_picture(request: web.Request) -> web.Response:
    """The case's timeline as SVG (``<img>`` on the case page); a merged id redirects like the page."""
    case = await _requested_case(request, "/timeline.svg")
    store = request.app[STORE]
    drawn = picture(await store.cases.events(case.id), await store.articles.for_case(case.id))
    response = aiohttp_jinja2.render_template("timeline.svg", request, {"p": drawn})
    response.content_type = "image/svg+xml"
    response.headers["Cache-Control"] = "no-cache"
    return response


async def timeline_png_picture(request: web.Request) -> web.Response:
    """The PNG timeline Discord gets (bot.timeline_png, cached per case version), with the version as
    its ETag so a browser that has it gets a 304."""
    from bot.timeline_png import timeline_png, version

    case = await _requested_case(request, "/timeline.png")
    store = request.app[STORE]
    events, articles = await store.cases.events(case.id), await store.articles.for_case(case.id)
    etag = f'"{version(case, events, articles)}"'
    headers = {"Cache-Control": "no-cache", "ETag": etag}
    if etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    data = await asyncio.to_thread(timeline_png, case, events, articles)
    return web.Response(body=data, content_type="image/png", headers=headers)


@dataclass(frozen=True, slots=True)
class Change:
    event: CaseEvent
    report: Article | None
    url: str | None


def _change(event: CaseEvent, articles: dict[int, Article]) -> Change:
    report = articles.get(event.article_id) if event.article_id is not None else None
    return Change(event, report, event.url or (report.url if report else None))


async def feed_health(request: web.Request) -> web.Response:
    if not operator_request(request, request.app[CONFIG].token):
        raise web.HTTPForbidden()
    feeds = await request.app[STORE].feeds.operator_feeds()
    response = _render("feeds.html", request, {"feeds": feeds})
    response.headers["Cache-Control"] = "no-store"
    return response


def operator_request(request: web.Request, token: str | None) -> bool:
    """The operator: a request with the right bearer token, or one made on this machine directly (a
    loopback peer and no proxy header: behind nginx every request comes from 127.0.0.1)."""
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if token and scheme.lower() == "bearer" and given.strip():
        return hmac.compare_digest(given.strip().encode(), token.encode())
    if any(name in request.headers for name in PROXY_HEADERS):
        return False
    try:
        peer = ipaddress.ip_address(request.remote or "")
    except ValueError:
        return False
    if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped is not None:
        peer = peer.ipv4_mapped
    return peer.is_loopback


async def healthz(request: web.Request) -> web.Response:
    try:
        ok = await request.app[STORE].cases.ping()
    except Exception as exc:  # any storage failure means "not healthy", said in one line
        log.warning("web view: /healthz: database did not answer: %s", exc)
        ok = False
    headers = {"Cache-Control": "no-store"}
    if not ok:
        return web.Response(status=503, text="database unavailable\n", headers=headers)
    return web.Response(text="ok", headers=headers)


async def stylesheet(request: web.Request) -> web.Response:
    return web.Response(
        body=request.app[STYLE],
        content_type="text/css",
        charset="utf-8",
        headers={"Cache-Control": "public, max-age=3600"},
    )


def _render(template: str, request: web.Request, context: dict[str, Any]) -> web.Response:
    response = aiohttp_jinja2.render_template(template, request, context)
    response.headers.setdefault("Cache-Control", "no-cache")
    return response
