"""Out-of-sample quality floors: ``benchmarks.quality`` (grouped 5-fold CV by dispute over dev + dev2,
fitted on the training folds only, scored through the real CLI pipeline) and the real streams.

Skipped without ../shared. The floors sit a little under the figures measured when they were set
(see the README's detection table), so a change that loses out-of-sample quality fails CI even when it
scores better on the disputes it was fitted on.
"""

from __future__ import annotations

import pytest

from tests.conftest import shared_path


@pytest.fixture(scope="module")
def result() -> dict:
    shared_path("corpus", "dev2.jsonl")
    shared_path("feeds", "real")
    from benchmarks import quality

    return quality.run(k=5, seed=0)


def test_out_of_sample_detection(result: dict) -> None:
    cv = result["cv"]["summary"]
    assert cv["recall"]["mean"] >= 0.95  # 0.959 when set
    assert cv["recall"]["worst"] >= 0.88
    assert cv["false_alert_rate"]["mean"] <= 0.012  # 0.008: one false alert in 132 negatives
    assert cv["precision"]["mean"] >= 0.99  # 0.996
    assert cv["platform_acc"]["mean"] >= 0.965


def test_out_of_sample_grouping_and_status(result: dict) -> None:
    cv = result["cv"]["summary"]
    assert cv["bcubed_f1"]["mean"] >= 0.91  # 0.930 when set
    assert cv["status_exact"]["mean"] >= 0.87  # 0.918 when set (the scorer runs with a fixed hash seed)
    assert cv["status_open_closed"]["mean"] >= 0.95  # 1.000 when set


def test_in_sample_is_reported_beside_it(result: dict) -> None:
    ins = result["in_sample"]
    assert ins["missing"] == 0 and ins["items"] == 371
    # the whole corpus at once holds more disputes of one platform than a fold: grouping is harder here
    assert ins["recall"] >= 0.94 and ins["precision"] >= 0.975 and ins["bcubed_f1"] >= 0.83


def test_real_streams(result: dict) -> None:
    real = result["real"]
    assert real is not None and real["items"] > 4000 and real["relevant"] >= 20
    assert real["recall"] >= 0.85  # 0.923 (24 of 26) when set
    assert real["false_alerts_per_1000"] <= 1.0  # 0.71 (3 in 4,251)
