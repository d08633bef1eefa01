"""The in-memory corpus evaluation runs end to end against ../shared (skipped when it is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import corpus_eval

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
pytestmark = pytest.mark.skipif(not (SHARED / "corpus" / "dev.jsonl").exists(), reason="../shared absent")


def test_dev_corpus_scores(tmp_path: Path) -> None:
    run = corpus_eval.run_items(corpus_eval.load_dev())
    metrics = corpus_eval.score(run, tmp_path)
    assert metrics["missing"] == 0
    # floors a little under the measured values, so a regression fails loudly
    assert metrics["precision"] >= 0.98
    assert metrics["recall"] >= 0.95
    assert metrics["bcubed_f1"] >= 0.88
    assert metrics["status_open_closed"] >= 0.9
    assert metrics["platform_acc"] >= 0.99
