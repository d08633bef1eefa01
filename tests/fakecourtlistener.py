"""A fake CourtListener REST API v4 on 127.0.0.1 (a random port), written from the documented JSON.

Usage::

    async with FakeCourtListener(token="t0k") as cl:
        cl.add_docket(id=101, case_name="Twitter, Inc. v. Holder", docket_number="4:14-cv-04480",
                      court_id="cand", date_filed="2014-10-07")
        settings = ClientSettings(token="t0k", base_url=cl.base_url)
        ...
        cl.answer_429(times=1, retry_after="7")  # the next request gets 429 with Retry-After: 7
        cl.delay_s = 2.0                           # every answer waits (timeouts)
        assert cl.hits("/api/rest/v4/search/") == 1

What it serves (shapes from CourtListener's docs: the search API page for ``count`` / ``next`` /
``previous`` / ``results``, the docket endpoint page for the docket object, ``DocketDocument`` for the
``type=d`` result fields):

- ``GET /api/rest/v4/search/?type=d`` with ``case_name`` (every word of it, "v." aside, in the case name),
  ``docket_number`` (the same number: year, type and serial, ignoring the office digit, zero padding and
  judge initials), ``court`` (space-separated ids), ``filed_after`` / ``filed_before`` (inclusive;
  ``YYYY-MM-DD`` or ``MM/DD/YYYY``); pages of ``page_size`` with a ``cursor`` in ``next``.
- ``GET /api/rest/v4/dockets/{id}/``; 404 with ``{"detail": ...}`` for an unknown id.
- ``Authorization: Token <token>``: 401 without it or with another token, as DRF answers.
"""

from __future__ import annotations

import asyncio
import base64
import re
import socket
from dataclasses import dataclass, field
from datetime import date, datetime
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from bot.docket import courts as ct


@dataclass
class SeenRequest:
    path: str
    query: dict[str, str]
    authorization: str | None


@dataclass
class FakeCourtListener:
    token: str = "test-token"
    page_size: int = 20
    delay_s: float = 0.0
    dockets: dict[int, dict[str, Any]] = field(default_factory=dict)
    requests: list[SeenRequest] = field(default_factory=list)
    _429_left: int = 0
    _retry_after: str | None = None
    _runner: web.AppRunner | None = None
    port: int = 0

    # --- data ------------------------------------------------------------------------------------

    def add_docket(
        self,
        *,
        id: int,
        case_name: str,
        docket_number: str,
        court_id: str,
        date_filed: str | None,
        date_last_filing: str | None = None,
        date_terminated: str | None = None,
    ) -> dict[str, Any]:
        """A docket in the ``/dockets/{id}/`` shape (the fields casewatch reads, and a few it does not)."""
        slug = re.sub(r"[^a-z0-9]+", "-", case_name.lower()).strip("-")
        row = {
            "resource_uri": f"{self.base_url}/api/rest/v4/dockets/{id}/",
            "id": id,
            "court": f"{self.base_url}/api/rest/v4/courts/{court_id}/",
            "court_id": court_id,
            "absolute_url": f"/docket/{id}/{slug}/",
            "date_created": "2020-01-01T00:00:00-08:00",
            "date_modified": "2024-01-01T00:00:00-08:00",
            "date_filed": date_filed,
            "date_terminated": date_terminated,
            "date_last_filing": date_last_filing,
            "case_name_short": "",
            "case_name": case_name,
            "case_name_full": "",
            "slug": slug,
            "docket_number": docket_number,
            "docket_number_core": _core(docket_number) or "",
            "pacer_case_id": str(100000 + id),
            "cause": "",
            "nature_of_suit": "",
            "jurisdiction_type": "",
            "blocked": False,
        }
        self.dockets[id] = row
        return row

    def search_row(self, d: dict[str, Any]) -> dict[str, Any]:
        """The ``type=d`` result for a docket (``DocketDocument`` names: camelCase for the case fields)."""
        court = ct.load().get(d["court_id"])
        return {
            "assignedTo": None,
            "caseName": d["case_name"],
            "case_name_full": d["case_name_full"],
            "cause": d["cause"],
            "court": court.name if court else d["court_id"],
            "court_citation_string": court.citation if court else "",
            "court_id": d["court_id"],
            "dateArgued": None,
            "dateFiled": d["date_filed"],
            "dateTerminated": d["date_terminated"],
            "docketNumber": d["docket_number"],
            "docket_absolute_url": d["absolute_url"],
            "docket_id": d["id"],
            "juryDemand": "",
            "jurisdictionType": d["jurisdiction_type"],
            "meta": {"timestamp": "2024-01-01T00:00:00Z", "date_created": d["date_created"], "score": {"bm25": 1.0}},
            "pacer_case_id": d["pacer_case_id"],
            "party": [p.strip() for p in re.split(r"\s+v\.?\s+", d["case_name"])],
            "party_id": [],
            "attorney": [],
            "attorney_id": [],
            "firm": [],
            "firm_id": [],
            "suitNature": d["nature_of_suit"],
        }

    def answer_429(self, *, times: int = 1, retry_after: str | None = "7") -> None:
        """The next ``times`` requests get 429 Too Many Requests (with ``Retry-After`` unless None)."""
        self._429_left = times
        self._retry_after = retry_after

    def hits(self, path_prefix: str) -> int:
        return sum(1 for r in self.requests if r.path.startswith(path_prefix))

    # --- server ----------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_get("/api/rest/v4/search/", self._search)
        app.router.add_get("/api/rest/v4/dockets/{id}/", self._docket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))  # a random free port, known before the site starts
        self.port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _gate(self, request: web.Request) -> web.Response | None:
        self.requests.append(SeenRequest(request.path, dict(request.query), request.headers.get("Authorization")))
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        auth = request.headers.get("Authorization")
        if auth is None:
            return web.json_response({"detail": "Authentication credentials were not provided."}, status=401)
        if auth != f"Token {self.token}":
            return web.json_response({"detail": "Invalid token."}, status=401)
        if self._429_left > 0:
            self._429_left -= 1
            headers = {"Retry-After": self._retry_after} if self._retry_after is not None else {}
            return web.json_response({"detail": "Request was throttled."}, status=429, headers=headers)
        return None

    async def _docket(self, request: web.Request) -> web.Response:
        refused = await self._gate(request)
        if refused is not None:
            return refused
        try:
            row = self.dockets.get(int(request.match_info["id"]))
        except ValueError:
            row = None
        if row is None:
            return web.json_response({"detail": "No Docket matches the given query."}, status=404)
        return web.json_response(row)

    async def _search(self, request: web.Request) -> web.Response:
        refused = await self._gate(request)
        if refused is not None:
            return refused
        q = request.query
        if q.get("type", "o") != "d":
            return web.json_response({"count": 0, "next": None, "previous": None, "results": []})
        rows = [d for d in sorted(self.dockets.values(), key=lambda d: d["id"]) if _matches(d, q)]
        try:
            offset = int(base64.urlsafe_b64decode(q["cursor"]).decode()) if "cursor" in q else 0
        except (ValueError, UnicodeDecodeError):
            return web.json_response({"detail": "Invalid cursor"}, status=404)
        page = rows[offset : offset + self.page_size]

        def link(at: int) -> str:
            params = {k: v for k, v in q.items() if k != "cursor"}
            params["cursor"] = base64.urlsafe_b64encode(str(at).encode()).decode()
            return str(request.url.with_query(params))

        return web.json_response({
            "count": len(rows),
            "next": link(offset + self.page_size) if offset + self.page_size < len(rows) else None,
            "previous": link(max(0, offset - self.page_size)) if offset > 0 else None,
            "results": [self.search_row(d) for d in page],
        })


def _matches(d: dict[str, Any], q: Any) -> bool:
    if q.get("court") and d["court_id"] not in q["court"].split():
        return False
    if q.get("case_name"):
        want = [w for w in _tokens(q["case_name"]) if w not in ("v", "vs")]
        have = set(_tokens(d["case_name"]))
        if not all(w in have for w in want):
            return False
    if q.get("docket_number") and _core(q["docket_number"]) != _core(d["docket_number"]):
        return False
    filed = date.fromisoformat(d["date_filed"]) if d["date_filed"] else None
    for key, after in (("filed_after", True), ("filed_before", False)):
        if q.get(key):
            bound = _parse_date(q[key])
            if filed is None:
                return False
            if (filed < bound) if after else (filed > bound):
                return False
    return True


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _core(number: str) -> str | None:
    """Year, type and serial of a docket number, written independently of bot.docket (a second opinion)."""
    m = re.search(r"(?:\d:)?(\d{2})-([a-z]{2})-0*(\d+)", number.lower())
    if m:
        return f"{m.group(1)}{m.group(2)}{m.group(3)}"
    m = re.search(r"(\d{2})-0*(\d+)", number)
    return f"{m.group(1)}-{m.group(2)}" if m else None


def _parse_date(text: str) -> date:
    for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise web.HTTPBadRequest(text=f"bad date {text!r}")
