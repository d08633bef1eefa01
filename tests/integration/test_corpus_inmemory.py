"""The in-memory corpus evaluation runs end to end against ../shared (skipped when it is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import corpus_eval

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
pytestmark = pytest.mark.skipif(not (SHARED / "corpus" / "dev.jsonl").exists(), reason="../shared absent")


def test_corpus_scores_in_sample(tmp_path: Path) -> None:
    """dev + dev2 in file order, in memory, scored in sample (the weights were fitted on these items).

    The out-of-sample figures, which are what counts, are guarded by ``test_quality.py``; this keeps
    the in-memory evaluation path honest and catches a model file that no longer fits its corpus.
    """
    run = corpus_eval.run_items(corpus_eval.load_corpus())
    metrics = corpus_eval.score(run, tmp_path, corpus_eval.CORPUS_FILES)
    assert metrics["missing"] == 0
    # floors a little under the measured values (precision 0.991, recall 0.962, B-cubed F1 0.856,
    # open/closed 0.865, platform 0.961), so a regression fails loudly
    assert metrics["precision"] >= 0.98
    assert metrics["recall"] >= 0.95
    assert metrics["bcubed_f1"] >= 0.83
    assert metrics["status_open_closed"] >= 0.84
    assert metrics["platform_acc"] >= 0.95
