"""The web view in a real browser: Debian's Chromium driven by Playwright for Python.

The browser is the system's (/usr/bin/chromium, installed by .ci/run with apt); ``playwright install``
is never run. Without /usr/bin/chromium these tests skip, except in CI (CI=true, or
CASEWATCH_BROWSER_TESTS=required as .ci/run sets), where they fail.
Screenshots are kept in tests/artifacts/ (git-ignored); the case list is also saved as
docs/web-case-list.png for the README.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.web import WebServer
from storage.store import SqliteStore
from tests.web.data import Filled, fill

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
DOCS_SHOT = REPO / "docs" / "web-case-list.png"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _unavailable(reason: str) -> None:
    required = os.environ.get("CASEWATCH_BROWSER_TESTS", "").strip().lower() == "required"
    if required or os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"browser tests must run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture
async def site(store: SqliteStore) -> AsyncIterator[tuple[str, Filled]]:
    filled = await fill(store)
    server = WebServer(store, "127.0.0.1", 0)
    await server.start()
    try:
        yield server.url.rstrip("/"), filled
    finally:
        await server.stop()


@pytest.fixture
def browser_ready() -> None:
    if not CHROMIUM.exists():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install -y --no-install-recommends chromium)")
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install -e '.[test]')")


@pytest.fixture
async def page(browser_ready: None) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1000, "height": 720})
            page = await context.new_page()
            page.set_default_timeout(15_000)
            yield page
            await context.close()
        finally:
            await browser.close()


def _watch(page: Any) -> dict[str, list[str]]:
    """Record dialogs (alert() from injected markup), page errors and CSP reports."""
    seen: dict[str, list[str]] = {"dialogs": [], "errors": [], "console": []}

    async def on_dialog(dialog: Any) -> None:
        seen["dialogs"].append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda exc: seen["errors"].append(str(exc)))
    page.on("console", lambda msg: seen["console"].append(msg.text))
    return seen


async def test_list_search_and_open_a_case(site: tuple[str, Filled], page: Any) -> None:
    base, filled = site
    seen = _watch(page)
    response = await page.goto(base + "/")
    assert response is not None and response.status == 200
    assert await page.title() == "Cases · casewatch"
    titles = await page.locator("li.case a.title").all_inner_texts()
    assert len(titles) == 3
    # The stylesheet loaded and applied (no inline style is allowed, so this proves /static works).
    weight = await page.locator("li.case a.title").first.evaluate("e => getComputedStyle(e).fontWeight")
    assert weight == "600"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "web-case-list.png"), full_page=True)
    DOCS_SHOT.parent.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(DOCS_SHOT), full_page=True)
    assert DOCS_SHOT.stat().st_size > 5_000

    # Filter by legal issue with the menu, as a person would.
    await page.select_option("select[name=issue]", "child_safety")
    await page.click("form.filters button[type=submit]")
    await page.wait_for_url("**&issue=child_safety")
    assert await page.locator("li.case a.title").all_inner_texts() == ["Reddit v. Texas: lawsuit"]
    assert await page.locator("li.case li.issue").all_inner_texts() == ["Child safety"]
    await page.goto(f"{base}/")

    # Search with the box, as a person would.
    await page.fill("input[name=q]", "nightowl")
    await page.click("form.filters button[type=submit]")
    await page.wait_for_url("**/?q=nightowl*")
    found = page.locator("li.case a.title")
    assert await found.count() == 1

    # Open the case.
    await found.first.click()
    await page.wait_for_url(f"**/cases/{filled.kept_id}")
    assert "Reddit" in await page.locator("#case-title").inner_text()
    assert await page.locator("li.report").count() == 3
    # The timeline picture loaded (an SVG from /cases/{id}/timeline.svg, decoded by the browser).
    timeline = page.locator("img.timeline")
    await timeline.evaluate("img => img.decode()")
    size = await timeline.evaluate("img => [img.complete, img.naturalWidth, img.naturalHeight]")
    assert size == [True, 720, 120]
    links = await page.locator("li.report a.report-title").evaluate_all("es => es.map(e => e.href)")
    assert links and all(href.startswith("https://") for href in links)
    await page.screenshot(path=str(ARTIFACTS / "web-case-page.png"), full_page=True)

    # A merged case's old URL lands on the surviving case.
    await page.goto(f"{base}/cases/{filled.merged_id}")
    assert page.url == f"{base}/cases/{filled.kept_id}"
    assert not seen["dialogs"] and not seen["errors"]


async def test_hostile_feed_text_shows_as_text_and_runs_nothing(site: tuple[str, Filled], page: Any) -> None:
    base, filled = site
    seen = _watch(page)
    response = await page.goto(f"{base}/cases/{filled.hostile_id}")
    assert response is not None and response.status == 200
    await page.wait_for_load_state("load")
    text = await page.locator("li.report").first.inner_text()
    assert "<script>window.__xss = 1; alert(1)</script>" in text
    assert '<img src=x onerror="window.__xss = 2; alert(2)">' in text
    assert await page.evaluate("() => window.__xss === undefined")
    # The markup became no element at all: no script, and no image but the page's own timeline.
    assert await page.locator("script").count() == 0
    assert await page.locator("img").count() == 1
    assert await page.locator("img").get_attribute("src") == f"/cases/{filled.hostile_id}/timeline.svg"
    # The javascript: report is plain text, not a link.
    js_report = page.locator("li.report", has_text="Government withdraws")
    assert await js_report.locator("a").count() == 0
    await page.screenshot(path=str(ARTIFACTS / "web-hostile-case.png"), full_page=True)
    # Search results with the same text.
    await page.goto(f"{base}/?q=" + "%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    assert "<script>alert(1)</script>" in await page.locator("#query-echo").inner_text()
    assert await page.evaluate("() => window.__xss === undefined")
    assert not seen["dialogs"] and not seen["errors"]


async def test_csp_is_enforced_by_the_browser(site: tuple[str, Filled], page: Any) -> None:
    base, _ = site
    seen = _watch(page)
    response = await page.goto(base + "/")
    assert response is not None
    headers = await response.all_headers()
    assert "script-src 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    # A script element added to the page (as an injection would) must not run, nor an inline style
    # apply, nor an event handler attribute fire.
    ran = await page.evaluate(
        """async () => {
            const violations = [];
            document.addEventListener('securitypolicyviolation', e => violations.push(e.violatedDirective));
            const s = document.createElement('script');
            s.textContent = 'window.__csp_ran = 1';
            document.body.appendChild(s);
            const st = document.createElement('style');
            st.textContent = 'body { background: rgb(1, 2, 3) !important; }';
            document.head.appendChild(st);
            const img = document.createElement('img');
            img.setAttribute('onerror', 'window.__csp_handler = 1');
            img.src = 'data:,nope';
            document.body.appendChild(img);
            await new Promise(r => setTimeout(r, 300));
            return {
                script: window.__csp_ran === 1,
                handler: window.__csp_handler === 1,
                background: getComputedStyle(document.body).backgroundColor,
                violations,
            };
        }"""
    )
    assert ran["script"] is False and ran["handler"] is False
    assert ran["background"] != "rgb(1, 2, 3)"
    assert any(v.startswith("script-src") for v in ran["violations"]), ran
    assert any(v.startswith("style-src") for v in ran["violations"]), ran
    assert not seen["dialogs"]


async def test_error_pages_and_read_only_in_the_browser(site: tuple[str, Filled], page: Any) -> None:
    base, _ = site
    response = await page.goto(base + "/cases/cdoesnotexist")
    assert response is not None and response.status == 404
    assert "404" in await page.locator("h1").inner_text()
    response = await page.goto(base + "/?page=abc")
    assert response is not None and response.status == 400
    assert "page must be a whole number" in await page.locator("#error-message").inner_text()
    # A form posted from elsewhere is refused (the page's own forms are GET).
    status = await page.evaluate(
        "async (u) => (await fetch(u, {method: 'POST', body: 'x=1'})).status", base + "/"
    )
    assert status == 405
    response = await page.goto(base + "/feeds")  # the browser runs on this machine: the operator
    assert response is not None and response.status == 200
    assert await page.locator("table.feeds tbody tr").count() == 3


def test_missing_browser_skips_locally_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CASEWATCH_BROWSER_TESTS", raising=False)
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception):
        _unavailable("no browser")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        _unavailable("no browser")
    monkeypatch.setenv("CI", "")
    monkeypatch.setenv("CASEWATCH_BROWSER_TESTS", "required")
    with pytest.raises(pytest.fail.Exception):
        _unavailable("no browser")
