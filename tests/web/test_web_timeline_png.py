"""``/cases/{id}/timeline.png``: the PNG that Discord gets, served by the web view next to the SVG."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image

from bot.timeline_png import timeline_png
from bot.web import create_app
from bot.web.app import CSP
from storage.store import SqliteStore
from tests.web.data import Filled, fill


@pytest.fixture
async def filled(store: SqliteStore) -> Filled:
    return await fill(store)


@pytest.fixture
async def client(store: SqliteStore, filled: Filled) -> AsyncIterator[TestClient[Any, Any]]:
    client: TestClient[Any, Any] = TestClient(TestServer(create_app(store)))
    await client.start_server()
    yield client
    await client.close()


async def test_timeline_png(client, store: SqliteStore, filled: Filled) -> None:
    response = await client.get(f"/cases/{filled.kept_id}/timeline.png")
    assert response.status == 200 and response.content_type == "image/png"
    assert response.headers["Content-Security-Policy"] == CSP and response.headers["X-Content-Type-Options"] == "nosniff"
    data = await response.read()
    case = await store.cases.get(filled.kept_id)
    events, articles = await store.cases.events(case.id), await store.articles.for_case(case.id)
    assert data == timeline_png(case, events, articles)  # the very picture Discord gets
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (800, 400)
    again = await client.get(f"/cases/{filled.kept_id}/timeline.png", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status == 304 and await again.read() == b""
    assert (await client.get(f"/cases/{filled.kept_id}/timeline.svg")).status == 200  # the SVG stays


async def test_timeline_png_redirects_and_404(client, filled: Filled) -> None:
    moved = await client.get(f"/cases/{filled.merged_id}/timeline.png", allow_redirects=False)
    assert moved.status == 301 and moved.headers["Location"] == f"/cases/{filled.kept_id}/timeline.png"
    assert (await client.get("/cases/cnothere000/timeline.png")).status == 404
    assert (await client.get("/cases/bad%20id/timeline.png")).status == 404
    hostile = await client.get(f"/cases/{filled.hostile_id}/timeline.png")
    assert hostile.status == 200 and (await hostile.read()).startswith(b"\x89PNG")


def test_svg_labels_share_the_png_placement_and_never_overlap() -> None:
    from datetime import UTC, datetime, timedelta
    from itertools import pairwise

    from bot.models import CaseEvent, Stage
    from bot.web.timeline import CHAR_W, WIDTH, picture

    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    stages = [Stage.FILED, Stage.HEARING, Stage.RULING, Stage.APPEAL]
    events = [CaseEvent("c", None, stages[i % 4], t0 + timedelta(days=i / 3)) for i in range(30)]
    drawn = picture(events, [])
    assert len(drawn.marks) == 30 and [m.x for m in drawn.marks] == sorted(m.x for m in drawn.marks)
    shown = [m for m in drawn.marks if m.text]
    assert drawn.marks[-1].text and drawn.marks[0].text and 2 < len(shown) < 30
    for side in (True, False):
        spans = sorted(
            (m.label_x - w / 2, m.label_x + w / 2)
            for m in shown
            if m.above is side
            for w in [CHAR_W * max(len(m.text), len(m.date)) + 8]
        )
        assert all(a[1] <= b[0] for a, b in pairwise(spans))
        assert all(lo >= 0 and hi <= WIDTH for lo, hi in spans)
