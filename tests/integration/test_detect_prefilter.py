"""The platform prefilter against the reference path over every shared item (skipped without ../shared).

``detect(text)`` with the fast path (platform prefilter, word-head scan, one-scan counterparty heads)
must equal ``detect(text, fast=False)`` for every item of
../shared/feeds/real, ../shared/feeds/feedparser (recursively) and ../shared/corpus/dev.jsonl, parsed
and passed as the pipeline passes them (title + summary of each entry).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.detect import detector, prefilter, stages
from bot.detect import extract as ex
from bot.detect.detector import detect
from bot.feeds.parser import FeedParseError, parse_bytes
from bot.models import ArticleText

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
REAL = SHARED / "feeds" / "real"
FIXTURES = SHARED / "feeds" / "feedparser"
DEV = SHARED / "corpus" / "dev.jsonl"

pytestmark = pytest.mark.skipif(not (REAL.is_dir() and DEV.is_file()), reason="../shared absent")


def _feed_items(root: Path) -> list[ArticleText]:
    items: list[ArticleText] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix != ".tsv" and p.name[0] != "."):
        try:
            parsed = parse_bytes(path.read_bytes(), path.as_uri())
        except FeedParseError:
            continue
        items.extend(ArticleText(e.title, e.summary, e.url, e.published) for e in parsed.entries)
    return items


def _dev_items() -> list[ArticleText]:
    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [ArticleText(r["title"], r["summary"] or "", r["url"]) for r in rows]


@pytest.fixture(scope="module")
def items() -> dict[str, list[ArticleText]]:
    return {"real": _feed_items(REAL), "feedparser": _feed_items(FIXTURES), "dev": _dev_items()}


def test_prefilter_is_active_for_the_current_lexicons() -> None:
    assert prefilter.ACTIVE, "an alias has no literal head: the prefilter is off and detection is slow again"


@pytest.mark.parametrize("source", ["real", "feedparser", "dev"])
def test_fast_detection_equals_reference(items: dict[str, list[ArticleText]], source: str) -> None:
    texts = items[source]
    assert texts, f"no items parsed from {source}"
    for text in texts:
        # the swapped text puts every summary where a title goes: other joins, other stage inputs
        for variant in (text, ArticleText(text.summary, text.title)):
            assert detect(variant) == detect(variant, fast=False), variant


@pytest.mark.parametrize("source", ["real", "feedparser", "dev"])
def test_fast_parts_equal_reference(items: dict[str, list[ArticleText]], source: str) -> None:
    # detect() only asks for the stage of relevant items: check every item's, and its counterparties
    index = detector._head_index()
    for text in items[source]:
        title, summary = ex.normalize(text.title), ex.normalize(text.summary)
        full = f"{title}. {summary}" if title else summary
        scan = prefilter.TextScan(full, index)
        assert stages.rule(title, summary, scan) == stages.rule(title, summary), full
        assert ex.find_counterparties(full, fast=True) == ex.find_counterparties(full, fast=False), full


@pytest.mark.parametrize("source", ["real", "feedparser", "dev"])
def test_fast_platform_scan_equals_reference(items: dict[str, list[ArticleText]], source: str) -> None:
    for text in items[source]:
        full = f"{text.title}. {text.summary}"
        assert ex.find_platforms(full, fast=True) == ex.find_platforms(full, fast=False), full


def test_prefilter_settles_most_real_items_and_never_a_platform_item(items: dict[str, list[ArticleText]]) -> None:
    texts = items["real"] + items["dev"]
    skipped = [t for t in texts if not prefilter.may_name_platform(t.title, t.summary)]
    assert all(detect(t, fast=False).platforms == () for t in skipped)
    # most feed items name no platform; if this drops, the prefilter stopped paying for itself
    assert len(skipped) >= 0.8 * len(items["real"])
    dev_relevant = [t for t in items["dev"] if detect(t, fast=False).relevant]
    assert dev_relevant and all(prefilter.may_name_platform(t.title, t.summary) for t in dev_relevant)
