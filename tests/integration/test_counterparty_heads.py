"""Counterparty extraction skips patterns whose literal heads are absent: same result as scanning all.

Over every item of ../shared/feeds/real and ../shared/corpus/dev.jsonl (skipped without ../shared), and
over hand-written texts, ``find_counterparties`` must equal a reference that runs every pattern.
"""

from __future__ import annotations

import re

import pytest

from bot.detect import extract as ex
from bot.detect import patterns as pt
from tests.integration.test_detect_prefilter import DEV, REAL, _dev_items, _feed_items


def _reference(text: str) -> tuple[str, ...]:
    hits: dict[str, int] = {}
    for name, rx in pt.COUNTERPARTIES:
        for m in rx.finditer(text):
            if ex._left_edge_ok(text, m.start()):
                hits.setdefault(name, m.start())
                break
    for countries, adjective in ((pt.COUNTRY_NOUNS, False), (pt.COUNTRY_ADJECTIVES, True)):
        for name, rx in countries:
            for m in rx.finditer(text):
                if ex._left_edge_ok(text, m.start()) and ex._country_is_party(text, m, adjective=adjective):
                    hits[name] = min(hits.get(name, m.start()), m.start())
                    break
    return ex.ordered_unique([n for n, _ in sorted(hits.items(), key=lambda kv: kv[1])])


def _full(title: str, summary: str) -> str:
    title, summary = ex.normalize(title), ex.normalize(summary)
    return f"{title}. {summary}" if title else summary


@pytest.mark.parametrize(
    "text",
    [
        "Justice Department and the FBI asked Apple; Attorney General Barr said Holder erred.",
        "The Brazilian Supreme Court and Alexandre de Moraes ordered X blocked; Brazil's Anatel complied.",
        "Indian-American judge; Irish email data; the Irish Data Protection Commission fined Meta.",
        "eSafety Commissioner v X Corp in the Federal Court of Australia; Epic Games sues Apple.",
        "The U.S. government and the EU; feds and the SEC; ICE and the IRS.",
    ],
)
def test_head_filter_equals_full_scan_on_written_texts(text: str) -> None:
    assert ex.find_counterparties(text) == _reference(text)


def test_most_patterns_have_heads() -> None:
    with_heads = sum(1 for *_, heads in ex._PARTY_SCANS if heads is not None)
    assert with_heads >= len(ex._PARTY_SCANS) // 2
    assert all(heads is not None for scans, _ in ex._COUNTRY_SCANS for *_, heads in scans)
    assert all(re.fullmatch(r"[A-Za-z0-9]+", h) for *_, heads in ex._PARTY_SCANS if heads for h in heads)


@pytest.mark.skipif(not (REAL.is_dir() and DEV.is_file()), reason="../shared absent")
def test_head_filter_equals_full_scan_on_shared_items() -> None:
    items = _feed_items(REAL) + _dev_items()
    assert len(items) > 4000
    differ = [t.title for t in items if ex.find_counterparties(_full(t.title, t.summary))
              != _reference(_full(t.title, t.summary))]
    assert differ == []
