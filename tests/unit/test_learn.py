"""The dependency-free fitting in bot.learn: it must recover what the data says, and round-trip as JSON."""

from __future__ import annotations

import random

from bot.learn import Linear, OneVsRest, best_threshold, fit_logistic, sigmoid


def _synthetic(n: int, seed: int = 1) -> tuple[list[dict[str, float]], list[int]]:
    rng = random.Random(seed)
    rows, labels = [], []
    for _ in range(n):
        row = {f: 1.0 for f in ("good", "bad", "noise") if rng.random() < 0.5}
        z = -0.5 + 2.0 * row.get("good", 0) - 2.0 * row.get("bad", 0)
        rows.append(row)
        labels.append(int(rng.random() < sigmoid(z)))
    return rows, labels


def test_fit_recovers_the_signs_and_rough_size_of_true_weights() -> None:
    rows, labels = _synthetic(3000)
    m = fit_logistic(rows, labels, l2=1.0)
    assert 1.5 < m.weights["good"] < 2.5
    assert -2.5 < m.weights["bad"] < -1.5
    assert abs(m.weights["noise"]) < 0.3


def test_stronger_ridge_shrinks_weights() -> None:
    rows, labels = _synthetic(300)
    loose, tight = fit_logistic(rows, labels, l2=0.1), fit_logistic(rows, labels, l2=100.0)
    assert abs(tight.weights["good"]) < abs(loose.weights["good"])


def test_separable_data_stays_finite_under_ridge() -> None:
    rows = [{"a": 1.0}] * 20 + [{}] * 20
    labels = [1] * 20 + [0] * 20
    m = fit_logistic(rows, labels, l2=1.0)
    assert m.probability({"a": 1.0}) > 0.8 > 0.2 > m.probability({})
    assert abs(m.weights["a"]) < 20


def test_best_threshold_weighs_false_alerts() -> None:
    probs = [0.9, 0.8, 0.7, 0.6, 0.4]
    labels = [1, 1, 0, 1, 0]
    assert best_threshold(probs, labels, fp_cost=1.0) > 0.6 or best_threshold(probs, labels, fp_cost=1.0) < 0.7
    strict = best_threshold(probs, labels, fp_cost=10.0)
    assert 0.7 < strict < 0.8  # only the two sure positives stay above a costly false alert


def test_models_round_trip_as_plain_json() -> None:
    m = Linear({"a": 1.25, "b": -0.5}, bias=0.1, threshold=0.4)
    again = Linear.from_json(m.to_json())
    assert again == m
    ovr = OneVsRest({"x": m, "y": Linear({"b": 2.0}, bias=-1.0)})
    back = OneVsRest.from_json(ovr.to_json())
    assert back.predict({"b": 1.0}) == ovr.predict({"b": 1.0}) == "y"
    assert [f for f, _ in m.contributions({"a": 1.0, "b": 1.0})] == ["a", "b"]


def test_a_prior_pulls_a_weight_the_data_barely_constrain() -> None:
    """A feature seen on two rows keeps most of its prior; one seen on thousands follows the data."""
    rows, labels = _synthetic(3000)
    rows += [{"veto": 1.0}, {"veto": 1.0}]
    labels += [0, 0]
    plain = fit_logistic(rows, labels, l2=1.0)
    pulled = fit_logistic(rows, labels, l2=1.0, prior_of=lambda f: -3.0 if f in ("veto", "good") else 0.0)
    assert pulled.weights["veto"] < -2.0 < plain.weights["veto"]
    assert abs(pulled.weights["good"] - plain.weights["good"]) < 0.1  # the data overrule the prior
