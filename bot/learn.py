"""Small, dependency-free model fitting and scoring for the decisions that are learnt from data.

Detection relevance, stage cues and the other fitted decisions are linear models over a handful of
named, interpretable features (``{"party": 1.0, "legal:3": 1.0, ...}``), so every decision can still
list its reasons and the weights can be read and reviewed as plain data. Rows are sparse dicts; the
fit is L2-regularised logistic regression by Newton's method, which converges in a few steps on tens
of features and a few hundred rows (well under a second in plain Python).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

Row = Mapping[str, float]


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@dataclass(frozen=True, slots=True)
class Linear:
    """A fitted logistic model: ``p = sigmoid(bias + sum(w[f] * x[f]))``, relevant at ``p >= threshold``."""

    weights: Mapping[str, float]
    bias: float
    threshold: float = 0.5

    def margin(self, row: Row) -> float:
        w = self.weights
        return self.bias + sum(w.get(f, 0.0) * v for f, v in row.items())

    def probability(self, row: Row) -> float:
        return sigmoid(self.margin(row))

    def contributions(self, row: Row) -> list[tuple[str, float]]:
        """Each active feature's share of the margin, largest magnitude first (for reasons)."""
        parts = [(f, self.weights.get(f, 0.0) * v) for f, v in row.items()]
        return sorted((p for p in parts if p[1]), key=lambda p: -abs(p[1]))

    def to_json(self) -> dict[str, object]:
        return {
            "bias": round(self.bias, 6),
            "threshold": round(self.threshold, 6),
            "weights": {f: round(w, 6) for f, w in sorted(self.weights.items())},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Linear:
        weights = data["weights"]
        assert isinstance(weights, Mapping)
        return cls(
            weights={str(k): float(v) for k, v in weights.items()},
            bias=float(data["bias"]),  # type: ignore[arg-type]
            threshold=float(data.get("threshold", 0.5)),  # type: ignore[arg-type]
        )


@dataclass(frozen=True, slots=True)
class OneVsRest:
    """One logistic model per class; the predicted class is the most probable one."""

    classes: Mapping[str, Linear] = field(default_factory=dict)

    def scores(self, row: Row) -> dict[str, float]:
        return {c: m.probability(row) for c, m in self.classes.items()}

    def predict(self, row: Row) -> str | None:
        if not self.classes:
            return None
        return max(sorted(self.classes), key=lambda c: self.classes[c].margin(row))

    def to_json(self) -> dict[str, object]:
        return {c: m.to_json() for c, m in sorted(self.classes.items())}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> OneVsRest:
        return cls({str(c): Linear.from_json(m) for c, m in data.items()})  # type: ignore[arg-type]


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Solve ``a x = b`` (symmetric positive definite here) by Gaussian elimination with pivoting."""
    n = len(b)
    m = [[*row, b[i]] for i, row in enumerate(a)]
    for col in range(n):
        piv = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[piv] = m[piv], m[col]
        d = m[col][col]
        if abs(d) < 1e-12:
            continue
        for r in range(col + 1, n):
            f = m[r][col] / d
            if f:
                row_r, row_c = m[r], m[col]
                for k in range(col, n + 1):
                    row_r[k] -= f * row_c[k]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        d = m[r][r]
        s = m[r][n] - sum(m[r][k] * x[k] for k in range(r + 1, n))
        x[r] = s / d if abs(d) >= 1e-12 else 0.0
    return x


def fit_logistic(
    rows: Sequence[Row],
    labels: Sequence[int],
    *,
    l2: float = 1.0,
    prior_of: Callable[[str], float] | None = None,
    sample_weights: Sequence[float] | None = None,
    iterations: int = 25,
) -> Linear:
    """L2-regularised logistic regression (the bias is not penalised), by Newton's method.
    ``prior_of(feature)``: the weight the ridge pulls that feature toward (default 0): a prior belief
    the data can overrule."""
    names = sorted({f for r in rows for f in r})
    index = {f: i + 1 for i, f in enumerate(names)}  # 0 is the bias
    dim = len(names) + 1
    sparse = [[(0, 1.0)] + [(index[f], float(v)) for f, v in r.items() if v] for r in rows]
    sw = list(sample_weights) if sample_weights is not None else [1.0] * len(rows)
    prior = [0.0] + [prior_of(f) if prior_of else 0.0 for f in names]
    w = [0.0] * dim
    for _ in range(iterations):
        grad = [0.0] * dim
        hess = [[0.0] * dim for _ in range(dim)]
        for x, y, s in zip(sparse, labels, sw, strict=True):
            p = sigmoid(sum(w[i] * v for i, v in x))
            g = s * (p - y)
            h = s * p * (1.0 - p)
            for i, vi in x:
                grad[i] += g * vi
                hi = hess[i]
                hv = h * vi
                for j, vj in x:
                    hi[j] += hv * vj
        for i in range(1, dim):
            grad[i] += l2 * (w[i] - prior[i])
            hess[i][i] += l2
        hess[0][0] += 1e-6
        step = _solve(hess, grad)
        w = [wi - si for wi, si in zip(w, step, strict=True)]
        if max(abs(s) for s in step) < 1e-7:
            break
    return Linear(weights={f: w[i] for f, i in index.items()}, bias=w[0])


def best_threshold(probabilities: Sequence[float], labels: Sequence[int], *, fp_cost: float = 1.0) -> float:
    """The cut that maximises ``TP - fp_cost * FP - FN`` on these rows (ties: the higher cut), placed
    halfway between the neighbouring probabilities so it does not sit on a training row."""
    pairs = sorted(zip(probabilities, labels, strict=True), key=lambda t: -t[0])
    best_gain, best_cut = -math.inf, 0.5
    tp = fp = 0
    fn = sum(labels)
    for k, (p, y) in enumerate(pairs):
        if y:
            tp += 1
            fn -= 1
        else:
            fp += 1
        nxt = pairs[k + 1][0] if k + 1 < len(pairs) else 0.0
        if nxt == p:
            continue
        gain = tp - fp_cost * fp - fn
        if gain > best_gain + 1e-12:
            best_gain, best_cut = gain, (p + nxt) / 2
    return best_cut
