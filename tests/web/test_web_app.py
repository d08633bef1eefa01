"""The web view through aiohttp's test client over a real SQLite store filled by the real pipeline."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.web import create_app
from bot.web.app import CSP, MAX_PAGE, PER_PAGE, operator_request
from bot.web.format import http_url, outlet
from storage.store import SqliteStore
from tests.web.data import HOSTILE, XSS_IMG, XSS_SCRIPT, Filled, fill

TOKEN = "t0ken-for-the-feed-health-page"


@pytest.fixture
async def filled(store: SqliteStore) -> Filled:
    return await fill(store)


async def _client(app: web.Application) -> TestClient[Any, Any]:
    client: TestClient[Any, Any] = TestClient(TestServer(app))
    await client.start_server()
    return client


@pytest.fixture
async def client(store: SqliteStore, filled: Filled) -> AsyncIterator[TestClient[Any, Any]]:
    client = await _client(create_app(store, token=TOKEN, public_url="https://cases.example.org/"))
    yield client
    await client.close()


@web.middleware
async def _from_afar(request: web.Request, handler: Any) -> web.StreamResponse:
    """Make the request look as if it came from another machine (the test server is on 127.0.0.1)."""
    return await handler(request.clone(remote="203.0.113.7"))


@pytest.fixture
async def remote_client(store: SqliteStore, filled: Filled) -> AsyncIterator[TestClient[Any, Any]]:
    app = create_app(store, token=TOKEN)
    app.middlewares.insert(0, _from_afar)
    client = await _client(app)
    yield client
    await client.close()


def _case_links(html: str) -> list[str]:
    return re.findall(r'href="/cases/([A-Za-z0-9_-]+)"', html)


# --- the case list ----------------------------------------------------------------------------------


async def test_list_shows_cases_newest_activity_first(client, store: SqliteStore, filled: Filled) -> None:
    response = await client.get("/")
    assert response.status == 200 and response.content_type == "text/html"
    html = await response.text()
    expected = [c.id for c in await store.cases.recent(limit=PER_PAGE)]
    assert _case_links(html) == expected and len(expected) == 3
    assert expected[0] == filled.hostile_id  # its reports are the newest (2024)
    assert filled.merged_id not in html  # an absorbed case is not listed


async def test_search_is_the_slash_command_search(client, store: SqliteStore, filled: Filled) -> None:
    for q in ("reddit", "Reddit subpoena", "nightowl", "texas parents", "twit"):
        html = await (await client.get("/", params={"q": q})).text()
        assert _case_links(html) == [c.id for c in await store.cases.search(q, limit=PER_PAGE)], q
    html = await (await client.get("/", params={"q": "nightowl"})).text()
    assert _case_links(html) == [filled.kept_id]
    assert 'value="nightowl"' in html  # the box keeps the search text


@pytest.mark.parametrize(
    "q",
    [
        "' OR 1=1 --",
        "reddit\" OR \"1\"=\"1",
        "'; DROP TABLE cases; --",
        "NEAR(reddit subpoena) AND *",
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "％００\x00\u202e",
    ],
)
async def test_search_with_sql_or_html_is_just_text(client, store: SqliteStore, q: str) -> None:
    response = await client.get("/", params={"q": q})
    assert response.status == 200
    html = await response.text()
    assert "<script>alert" not in html and "<img src=x" not in html
    if "<" in q:
        assert "&lt;" in html  # shown back, escaped
    assert len(await store.cases.recent(limit=50)) == 3  # nothing was dropped


async def test_filters(client, filled: Filled) -> None:
    html = await (await client.get("/", params={"platform": "Reddit"})).text()
    assert sorted(_case_links(html)) == sorted([filled.kept_id, filled.unrelated_id])
    html = await (await client.get("/", params={"platform": "twitter", "action": "summons"})).text()
    assert _case_links(html) == [filled.hostile_id]
    html = await (await client.get("/", params={"status": "withdrawn"})).text()
    assert _case_links(html) == [filled.kept_id]
    html = await (await client.get("/", params={"status": "withdrawn", "q": "texas"})).text()
    assert _case_links(html) == [] and "No cases found" in html
    html = await (await client.get("/")).text()
    assert '<option value="reddit">' in html and '<option value="twitter">' in html


@pytest.mark.parametrize(
    "query",
    [
        {"page": "abc"},
        {"page": "0"},
        {"page": "-1"},
        {"page": "1.5"},
        {"page": str(MAX_PAGE + 1)},
        {"page": "99999999999999999999999"},
        {"action": "bogus"},
        {"status": "'; --"},
        {"q": "x" * 201},
        {"platform": "p" * 101},
        {"issue": "tax law"},
    ],
)
async def test_bad_list_input_is_a_clean_400(client, query: dict[str, str]) -> None:
    response = await client.get("/", params=query)
    assert response.status == 400 and response.content_type == "text/html"
    html = await response.text()
    assert 'id="error-message"' in html and "Traceback" not in html
    assert response.headers["Content-Security-Policy"] == CSP


async def test_paging(store: SqliteStore, filled: Filled, client) -> None:
    html = await (await client.get("/", params={"page": "2"})).text()
    assert _case_links(html) == [] and "No cases on page 2" in html
    html = await (await client.get("/", params={"page": str(MAX_PAGE)})).text()
    assert "No cases on page" in html
    html = await (await client.get("/")).text()
    assert 'rel="next"' not in html and 'rel="prev"' not in html  # three cases: one page


async def test_paging_links_keep_the_filters(store: SqliteStore, tmp_path: Path) -> None:
    """Over more than a page of cases: page 2 continues page 1 and the links keep the search."""
    from tests.web.bulk import fill_many

    await fill_many(store, PER_PAGE + 5)
    client = await _client(create_app(store))
    try:
        first = await (await client.get("/", params={"q": "platform"})).text()
        nxt = re.search(r'rel="next" href="([^"]+)"', first)
        assert nxt is not None and "q=platform" in nxt.group(1) and "page=2" in nxt.group(1)
        second = await (await client.get(nxt.group(1).replace("&amp;", "&"))).text()
        ids = _case_links(first) + _case_links(second)
        assert ids == [c.id for c in await store.cases.search("platform", limit=100)]
        assert len(set(ids)) == PER_PAGE + 5
        plain = await (await client.get("/", params={"page": "2"})).text()
        assert _case_links(plain) == [c.id for c in await store.cases.recent(limit=5, offset=PER_PAGE)]
    finally:
        await client.close()


async def test_filters_page_through_a_big_set_newest_first(store: SqliteStore) -> None:
    from tests.web.bulk import fill_many

    await fill_many(store, 60)
    newest = await store.cases.recent(limit=100)
    client = await _client(create_app(store))
    try:
        for params, keep in (
            ({"platform": "google"}, lambda c: "Google" in c.platforms),
            ({"platform": "Google", "status": "filed"}, lambda c: "Google" in c.platforms and c.status.value == "filed"),
            ({"action": "antitrust"}, lambda c: c.action.value == "antitrust"),
            ({"status": "settled"}, lambda c: c.status.value == "settled"),
        ):
            html = await (await client.get("/", params=params)).text()
            expected = [c.id for c in newest if keep(c)][:PER_PAGE]
            assert expected and _case_links(html) == expected, params
    finally:
        await client.close()


# --- a case page -------------------------------------------------------------------------------------


async def test_case_page(client, store: SqliteStore, filled: Filled) -> None:
    response = await client.get(f"/cases/{filled.kept_id}")
    assert response.status == 200
    html = await response.text()
    case = await store.cases.get(filled.kept_id)
    assert case is not None
    assert case.title in html and "withdrawn" in html and "Reddit" in html
    for article in await store.articles.for_case(case.id):
        assert f'href="{article.url}"' in html and article.title in html
    assert html.count('class="report"') == 3
    assert "news.example.org" in html  # the outlet
    assert "2023-01-09" in html and "2023-06-20" in html  # report dates
    events = await store.cases.events(case.id)
    assert events and html.count("<strong>") == len(events)  # every status change
    assert '<link rel="canonical" href="https://cases.example.org/cases/' + case.id + '">' in html


async def test_court_and_docket_when_known(client, store: SqliteStore, filled: Filled) -> None:
    for case in await store.cases.recent(limit=10):
        html = await (await client.get(f"/cases/{case.id}")).text()
        assert ("<dt>Court</dt>" in html) == bool(case.court)
        assert ("<dt>Docket</dt>" in html) == bool(case.docket)


async def test_the_legal_issue_filter_and_tags(client, store: SqliteStore, filled: Filled) -> None:
    unrelated = await store.cases.get(filled.unrelated_id)
    kept = await store.cases.get(filled.kept_id)
    assert unrelated is not None and unrelated.issues == ("child_safety",)
    assert kept is not None and "anonymous_speech" in kept.issues
    html = await (await client.get("/", params={"issue": "child_safety"})).text()
    assert _case_links(html) == [filled.unrelated_id]
    assert '<option value="child_safety" selected>Child safety</option>' in html
    assert '<li class="issue">Child safety</li>' in html
    html = await (await client.get("/", params={"issue": "anonymous_speech", "platform": "reddit"})).text()
    assert _case_links(html) == [filled.kept_id]
    html = await (await client.get("/", params={"issue": "anonymous_speech", "q": "reddit"})).text()
    assert _case_links(html) == [filled.kept_id]
    html = await (await client.get("/", params={"issue": "copyright"})).text()
    assert _case_links(html) == [] and "No cases found" in html
    page = await (await client.get(f"/cases/{filled.unrelated_id}")).text()
    assert '<dt>Legal issues</dt><dd id="issues">Child safety</dd>' in page


async def test_a_linked_docket_is_shown_with_why_and_escaped(client, store: SqliteStore, filled: Filled) -> None:
    from datetime import date

    from bot.models import DocketLink

    hostile = DocketLink(
        url="https://www.courtlistener.com/docket/68519283/x-corp-v-doe/",
        court="N.D. Cal.",
        number="3:24-cv-01234",
        filed=date(2024, 2, 28),
        case_name=f"X Corp. v. Doe {XSS_SCRIPT}",
        reason="court and parties agree",
    )
    async with store.transaction():
        assert await store.cases.set_docket(filled.hostile_id, hostile)
        assert await store.cases.set_docket(filled.kept_id, DocketLink(url="javascript:alert(4)", source="admin"))
    page = await (await client.get(f"/cases/{filled.hostile_id}")).text()
    assert '<a href="https://www.courtlistener.com/docket/68519283/x-corp-v-doe/" rel="noopener nofollow">N.D. Cal. · 3:24-cv-01234</a>' in page
    assert "filed 2024-02-28" in page and "found on CourtListener: court and parties agree" in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    page = await (await client.get(f"/cases/{filled.kept_id}")).text()
    assert "javascript:" not in page and "set by an admin" in page


async def test_merged_case_redirects_permanently(client, filled: Filled) -> None:
    response = await client.get(f"/cases/{filled.merged_id}", allow_redirects=False)
    assert response.status in (301, 308)
    assert response.headers["Location"] == f"/cases/{filled.kept_id}"
    followed = await client.get(f"/cases/{filled.merged_id}")
    assert followed.status == 200 and str(followed.url).endswith(f"/cases/{filled.kept_id}")


@pytest.mark.parametrize("ref", ["cdeadbeef00", "nope", "x" * 65, "a%20b", "..%2f..%2fetc", "%3Cscript%3E"])
async def test_unknown_case_is_a_404_page(client, ref: str) -> None:
    response = await client.get(f"/cases/{ref}")
    assert response.status == 404 and response.content_type == "text/html"
    html = await response.text()
    assert "404" in html and "<script>" not in html


async def test_hostile_feed_text_is_escaped(client, filled: Filled) -> None:
    html = await (await client.get(f"/cases/{filled.hostile_id}")).text()
    assert "<script" not in html and "onerror=\"" not in html
    assert html.count("<img") == 1 and '<img class="timeline" src="/cases/' in html  # only the page's own
    assert "&lt;script&gt;window.__xss = 1; alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&#34;window.__xss = 2; alert(2)&#34;&gt;" in html
    # The URL carried markup too: an attribute value, escaped.
    assert 'href="https://hostile.example.net/story?a=1&amp;b=&lt;x&gt;"' in html
    listing = await (await client.get("/", params={"q": "ALT_uscis"})).text()
    assert "<script" not in listing and "<img" not in listing
    assert XSS_SCRIPT in HOSTILE.title and XSS_IMG in HOSTILE.title  # the test data really is hostile


async def test_only_http_links_are_links(client, filled: Filled) -> None:
    html = await (await client.get(f"/cases/{filled.hostile_id}")).text()
    assert "javascript:" not in html
    assert "Government withdraws @ALT_uscis summons" in html  # the report is shown, as text
    assert http_url("javascript:alert(1)") is None and http_url("data:text/html,x") is None
    assert http_url("//evil.example/x") is None and http_url("https:///nohost") is None
    assert http_url("https://ok.example/a b") is None and http_url("https://ok.example/a") == "https://ok.example/a"
    assert outlet("https://www.nytimes.com/x") == "nytimes.com" and outlet(None) == "unknown outlet"


async def test_timeline_picture(client, store: SqliteStore, filled: Filled) -> None:
    html = await (await client.get(f"/cases/{filled.kept_id}")).text()
    assert f'<img class="timeline" src="/cases/{filled.kept_id}/timeline.svg"' in html
    response = await client.get(f"/cases/{filled.kept_id}/timeline.svg")
    assert response.status == 200 and response.content_type == "image/svg+xml"
    assert response.headers["Content-Security-Policy"] == CSP
    svg = await response.text()
    assert svg.startswith("<svg") and svg.count("<circle") == len(await store.cases.events(filled.kept_id))
    assert "2023-01-09" in svg and "withdrawn" in svg
    moved = await client.get(f"/cases/{filled.merged_id}/timeline.svg", allow_redirects=False)
    assert moved.status == 301 and moved.headers["Location"] == f"/cases/{filled.kept_id}/timeline.svg"
    assert (await client.get("/cases/cnothere000/timeline.svg")).status == 404
    hostile = await (await client.get(f"/cases/{filled.hostile_id}/timeline.svg")).text()
    assert "<script" not in hostile


def test_timeline_geometry() -> None:
    from datetime import timedelta

    from bot.models import CaseEvent, Stage
    from bot.web.timeline import MARGIN, WIDTH, picture
    from tests.web.data import NOW

    events = [
        CaseEvent("c1", None, Stage.FILED, NOW),
        CaseEvent("c1", Stage.FILED, Stage.SETTLED, NOW + timedelta(days=10)),
    ]
    drawn = picture(events, [])
    assert [m.x for m in drawn.marks] == [MARGIN, WIDTH - MARGIN]
    assert [m.text for m in drawn.marks] == ["filed", "settled"] and drawn.start != drawn.end
    assert picture([], []).marks == () and picture(events[:1], []).marks[0].x == WIDTH / 2


# --- read only, headers --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/cases/cdeadbeef00", "/feeds", "/healthz", "/static/style.css", "/nowhere"])
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
async def test_only_get_and_head(client, store: SqliteStore, path: str, method: str) -> None:
    before = await store.cases.dump()
    response = await client.request(method, path, data="x=1")
    assert response.status == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}
    assert await store.cases.dump() == before


async def test_head_is_answered(client) -> None:
    response = await client.head("/")
    assert response.status == 200 and (await response.read()) == b""


@pytest.mark.parametrize("path", ["/", "/cases/nope", "/?page=abc", "/feeds", "/static/style.css", "/nowhere"])
async def test_security_headers_on_every_response(client, path: str) -> None:
    response = await client.get(path)
    assert response.headers["Content-Security-Policy"] == (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; frame-ancestors 'none'"
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "aiohttp" not in response.headers.get("Server", "")


async def test_no_script_and_no_inline_style_anywhere(client, filled: Filled) -> None:
    for path in ("/", f"/cases/{filled.kept_id}", f"/cases/{filled.hostile_id}", "/feeds", "/nowhere"):
        html = await (await client.get(path)).text()
        assert "<script" not in html and " style=" not in html and "<style" not in html, path


async def test_stylesheet(client) -> None:
    response = await client.get("/static/style.css")
    assert response.status == 200 and response.content_type == "text/css"
    assert "body" in await response.text()
    assert (await client.get("/static/../app.py")).status == 404


async def test_healthz(client, store: SqliteStore) -> None:
    response = await client.get("/healthz")
    assert response.status == 200 and await response.text() == "ok"


async def test_healthz_when_the_database_is_gone(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "gone.db")
    client = await _client(create_app(store))
    try:
        await store.close()
        response = await client.get("/healthz")
        assert response.status == 503 and "database" in await response.text()
    finally:
        await client.close()


# --- feed health ---------------------------------------------------------------------------------------


async def test_feeds_from_this_machine(client, filled: Filled) -> None:
    response = await client.get("/feeds")
    assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
    html = await response.text()
    for feed in filled.operator_feeds:
        assert feed.url in html
    assert "HTTP 500 &lt;script&gt;" in html and "<script" not in html  # last error, escaped
    assert "failed 8 times in a row" in html  # disabled reason
    assert "2024-06-01 13:00 UTC" in html  # next due of the failing feed
    assert "2024-06-01 12:00 UTC" in html  # last fetch
    # A server's own feed is never shown, nor anything about it.
    assert "private-guild-feed" not in html and "guild-secret-error" not in html


async def test_feeds_from_afar_need_the_token(remote_client) -> None:
    response = await remote_client.get("/feeds")
    assert response.status == 403
    html = await response.text()
    assert "outlet0" not in html and "CASEWATCH_WEB_TOKEN" in html
    wrong = await remote_client.get("/feeds", headers={"Authorization": "Bearer nope-nope-nope-nope"})
    assert wrong.status == 403
    basic = await remote_client.get("/feeds", headers={"Authorization": f"Basic {TOKEN}"})
    assert basic.status == 403
    right = await remote_client.get("/feeds", headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status == 200 and "outlet0.example.org" in await right.text()
    # The rest of the site is public.
    assert (await remote_client.get("/")).status == 200


async def test_feeds_behind_a_proxy_are_not_local(client) -> None:
    """nginx on the same machine connects from 127.0.0.1: its forwarding headers say it is not local."""
    for header in ("X-Forwarded-For", "X-Real-IP", "Forwarded"):
        response = await client.get("/feeds", headers={header: "198.51.100.4"})
        assert response.status == 403, header
    ok = await client.get("/feeds", headers={"X-Forwarded-For": "1.2.3.4", "Authorization": f"Bearer {TOKEN}"})
    assert ok.status == 200


async def test_feeds_without_a_token_configured(store: SqliteStore, filled: Filled) -> None:
    app = create_app(store)  # no CASEWATCH_WEB_TOKEN: only this machine
    app.middlewares.insert(0, _from_afar)
    client = await _client(app)
    try:
        assert (await client.get("/feeds")).status == 403
        assert (await client.get("/feeds", headers={"Authorization": "Bearer "})).status == 403
        assert (await client.get("/feeds", headers={"Authorization": "Bearer None"})).status == 403
    finally:
        await client.close()


def test_operator_request_addresses() -> None:
    from aiohttp.test_utils import make_mocked_request

    def req(remote: str, **headers: str) -> web.Request:
        return make_mocked_request("GET", "/feeds", headers=headers).clone(remote=remote)

    assert operator_request(req("127.0.0.1"), None)
    assert operator_request(req("::1"), None)
    assert operator_request(req("::ffff:127.0.0.1"), None)
    assert not operator_request(req("10.0.0.2"), None)
    assert not operator_request(req("unix-socket"), None)
    assert not operator_request(req("127.0.0.1", **{"X-Forwarded-For": "127.0.0.1"}), None)
    assert operator_request(req("10.0.0.2", Authorization=f"Bearer {TOKEN}"), TOKEN)
    assert not operator_request(req("10.0.0.2", Authorization=f"Bearer {TOKEN}x"), TOKEN)
