"""The fast path against feedparser over every shared feed: equal whenever it accepts, and it accepts most.

This is the issue's condition for keeping the fast path: over ../shared/feeds/real and
../shared/feeds/feedparser (recursively) :func:`bot.feeds.fastparse.parse_fast` either declines or
yields a ParsedFeed equal to the one feedparser's path gives. Skipped when ../shared is absent. Run
with ``-s`` to see the accept rates.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from feedparser.encodings import convert_to_utf8

import bot.feeds.normalize as normalize_module
from bot.feeds import fastparse, parser
from bot.feeds.parser import FeedParseError, defuse_prolog, parse_bytes
from bot.models import ParsedFeed
from tests.feedxml import feed_difference

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "feeds"
REAL = SHARED / "real"
FIXTURES = SHARED / "feedparser"
BASE_URL = "https://feeds.example.com/feed.xml"
NOW = datetime(2026, 1, 1, tzinfo=UTC)

pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason="../shared/feeds absent")


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix != ".tsv" and p.name[0] != ".")


def _slow(body: bytes) -> ParsedFeed | FeedParseError:
    """parse_bytes with the fast path switched off: feedparser's answer."""
    saved = parser.parse_fast
    parser.parse_fast = lambda data, url=None: None  # type: ignore[assignment]
    try:
        return parse_bytes(body, BASE_URL)
    except FeedParseError as exc:
        return exc
    finally:
        parser.parse_fast = saved


def _fast(body: bytes) -> ParsedFeed | None:
    """The fast path on exactly the bytes parse_bytes hands it (None when it declines)."""
    encoding: dict[str, Any] = {}
    try:
        data = defuse_prolog(convert_to_utf8({"content-type": "application/xml"}, body, encoding))
    except FeedParseError:
        return None
    if not encoding.get("encoding") or encoding.get("bozo"):
        return None
    return fastparse.parse_fast(data, BASE_URL)


def _difference(fast: ParsedFeed, slow: ParsedFeed | FeedParseError) -> str:
    if isinstance(slow, FeedParseError):
        return f"feedparser rejected it ({slow.reason}) but the fast path accepted it"
    return feed_difference(fast, slow)


def _compare(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int, list[str]]:
    # One clock for both paths, so "date in the future" is decided the same way.
    monkeypatch.setattr(normalize_module, "datetime", _FixedDatetime)
    accepted = 0
    mismatches: list[str] = []
    files = _files(root)
    for path in files:
        body = path.read_bytes()
        fast = _fast(body)
        if fast is None:
            continue
        accepted += 1
        slow = _slow(body)
        if fast != slow:
            mismatches.append(f"{path.relative_to(root)}: {_difference(fast, slow)}")
    return accepted, len(files), mismatches


class _FixedDatetime(datetime):
    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        return NOW if tz is None else NOW.astimezone(tz)


def test_real_feeds_equal_whenever_accepted_and_mostly_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    accepted, total, mismatches = _compare(REAL, monkeypatch)
    print(f"\nfast path accepted {accepted}/{total} real feeds ({accepted / total:.0%})")
    assert not mismatches, "\n".join(mismatches[:20])
    assert accepted >= 0.8 * total


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="feedparser fixtures absent")
def test_feedparser_fixtures_equal_whenever_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    accepted, total, mismatches = _compare(FIXTURES, monkeypatch)
    print(f"\nfast path accepted {accepted}/{total} feedparser fixtures ({accepted / total:.0%})")
    assert not mismatches, "\n".join(mismatches[:20])
    assert accepted > 0
