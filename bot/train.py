"""Fit the weights detection runs on, from labelled items, and write them as plain data.

    python -m bot.train [--corpus DIR] [--out bot/data/model.json]

Reads ``dev.jsonl`` and ``dev2.jsonl`` of ``../shared/corpus`` (the labelled development corpus), computes
every item's evidence with the same code the bot runs (``bot.detect.detector.evidence``,
``bot.detect.stages.features``) and fits:

- **relevance**: L2-regularised logistic regression over the evidence features of items that name a
  platform (an item that names none is never relevant), BORDERLINE negatives left out; the cut is the
  one that maximises ``TP - FP_COST * FP - FN`` on the training items.
- **stage**: one logistic model per stage (one-vs-rest) over the stage cues of the relevant items.

``benchmarks.quality`` calls :func:`fit` on the training folds only and installs the result with
:func:`installed`, so the out-of-sample figures never see the held-out disputes' labels.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.detect import model, stages
from bot.detect.detector import evidence
from bot.detect.model import Models
from bot.learn import Linear, OneVsRest, best_threshold, fit_logistic
from bot.models import ArticleText

L2 = 1.0  # ridge strength of every fit (features are 0/1, so one scale fits all)
FP_COST = 3.0  # a false alert costs this many missed reports when choosing the cut
# Counter-evidence features ("against:...": lawmaking, a person accused over posts, the platform only as
# a venue) are written to veto. Their ridge pulls them toward a negative prior instead of toward 0, so a
# handful of training negatives is enough to give them force; the data can still overrule it. Which
# prior is chosen by grouped inner cross-validation on the training items only (``_choose_prior``).
AGAINST_PRIORS = (0.0, -1.0, -2.0, -3.0, -4.0)
INNER_FOLDS = 5
STAGE_L2 = 1.0
MIN_STAGE_EXAMPLES = 3  # a stage seen fewer times has no model of its own (the rule covers it)


def _grouped_folds(groups: Sequence[str], k: int) -> Iterator[tuple[list[int], list[int]]]:
    """(training, held-out) row indices of k folds; every row of one group on the same side."""
    fold_of = {g: i % k for i, g in enumerate(sorted(set(groups)))}
    for f in range(k):
        yield (
            [i for i, g in enumerate(groups) if fold_of[g] != f],
            [i for i, g in enumerate(groups) if fold_of[g] == f],
        )


def _prior_for(against: float) -> Callable[[str], float]:
    return lambda feature: against if feature.startswith("against:") else 0.0


def _fit_relevance(rows: Sequence[dict[str, float]], labels: Sequence[int], against: float) -> Linear:
    fitted = fit_logistic(rows, labels, l2=L2, prior_of=_prior_for(against))
    cut = best_threshold([fitted.probability(r) for r in rows], labels, fp_cost=FP_COST)
    return Linear(fitted.weights, fitted.bias, cut)


def _choose_prior(
    rows: Sequence[dict[str, float]], labels: Sequence[int], groups: Sequence[str]
) -> tuple[float, dict[str, float]]:
    """The counter-evidence prior whose models, fitted on k-1 groups of disputes, score best on the
    held-out one (``TP - FP_COST * FP - FN``, summed over the folds); ties go to the weaker prior."""
    gains: dict[str, float] = {}
    for against in AGAINST_PRIORS:
        gain = 0.0
        for train_idx, test_idx in _grouped_folds(groups, INNER_FOLDS):
            if not test_idx or len({labels[i] for i in train_idx}) < 2:
                continue
            m = _fit_relevance([rows[i] for i in train_idx], [labels[i] for i in train_idx], against)
            for i in test_idx:
                hit = m.probability(rows[i]) >= m.threshold
                if labels[i]:
                    gain += 1 if hit else -1
                elif hit:
                    gain -= FP_COST
        gains[str(against)] = gain
    best = max(AGAINST_PRIORS, key=lambda a: (gains[str(a)], a))  # ties: the prior nearest 0
    return best, gains


def _borderline(item: Mapping[str, Any]) -> bool:
    return item.get("label") == 0 and "BORDERLINE" in str(item.get("notes", ""))


def fit(items: Sequence[Mapping[str, Any]]) -> Models:
    """Relevance and stage models fitted on ``items`` (labelled corpus rows)."""
    rows: list[dict[str, float]] = []
    labels: list[int] = []
    groups: list[str] = []
    stage_rows: list[dict[str, float]] = []
    stage_labels: list[str] = []
    stage_groups: list[str] = []
    for it in items:
        if _borderline(it):
            continue
        ev = evidence(ArticleText(str(it["title"]), str(it["summary"])))
        if ev is None:
            continue
        rows.append(ev.features)
        labels.append(int(it["label"]))
        groups.append(str(it.get("case") or it.get("id") or len(rows)))  # a negative is its own group
        if it["label"] == 1 and it.get("stage"):
            stage_rows.append(stages.features(ev.title, ev.summary, ev.scan))
            stage_labels.append(str(it["stage"]))
            stage_groups.append(str(it.get("case") or ""))
    against, prior_gains = _choose_prior(rows, labels, groups)
    relevance = _fit_relevance(rows, labels, against)
    fitted_acc, rule_acc = _stage_inner_cv(stage_rows, stage_labels, stage_groups)
    # The stage model ships only when it beats the hand-set priority rule on disputes it was not fitted
    # on, within the training items (so the decision itself is made on training folds only).
    per_stage = _fit_stages(stage_rows, stage_labels) if fitted_acc > rule_acc else {}
    meta = {
        "items": len(items),
        "relevance_rows": len(rows),
        "positives": sum(labels),
        "stage_rows": len(stage_rows),
        "l2": L2,
        "fp_cost": FP_COST,
        "against_prior": against,
        "against_prior_inner_cv_gain": prior_gains,
        "stage_inner_cv": {"fitted": round(fitted_acc, 4), "rule": round(rule_acc, 4)},
    }
    return Models(relevance=relevance, stage=OneVsRest(per_stage), meta=meta)


def _fit_stages(rows: Sequence[dict[str, float]], labels: Sequence[str]) -> dict[str, Linear]:
    counts = Counter(labels)
    return {
        s: fit_logistic(rows, [int(lab == s) for lab in labels], l2=STAGE_L2)
        for s in sorted(counts)
        if counts[s] >= MIN_STAGE_EXAMPLES
    }


def _stage_inner_cv(
    rows: Sequence[dict[str, float]], labels: Sequence[str], groups: Sequence[str], k: int = 5
) -> tuple[float, float]:
    """Item stage accuracy of the fitted stage models and of the priority rule, by grouped k-fold CV."""
    if len(rows) < 2 * k:
        return 0.0, 1.0
    fitted = rule = 0
    for train_idx, test_idx in _grouped_folds(groups, k):
        models = OneVsRest(_fit_stages([rows[i] for i in train_idx], [labels[i] for i in train_idx]))
        for i in test_idx:
            fitted += (models.predict(rows[i]) or "other") == labels[i]
            got = stages.rule_stage(rows[i])
            rule += (got.value if got else "other") == labels[i]
    return fitted / len(rows), rule / len(rows)


@contextlib.contextmanager
def installed(models: Models) -> Iterator[Models]:
    with model.use(models) as m:
        yield m


def load(paths: Sequence[Path]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for p in paths:
        with open(p, encoding="utf-8") as fh:
            items += [json.loads(line) for line in fh if line.strip()]
    return items


def main(argv: Sequence[str] | None = None) -> int:
    default_corpus = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"
    ap = argparse.ArgumentParser(prog="python -m bot.train", description="fit detection weights")
    ap.add_argument("--corpus", type=Path, default=default_corpus)
    ap.add_argument("--out", type=Path, default=model.MODEL_FILE)
    args = ap.parse_args(argv)
    files = [args.corpus / "dev.jsonl", args.corpus / "dev2.jsonl"]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        print(f"train: corpus not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    models = fit(load(files))
    meta = {**models.meta, "trained_on": [f.name for f in files], "command": "python -m bot.train",
            "fitted_at": datetime.now(UTC).date().isoformat()}
    out = Models(models.relevance, models.stage, meta).to_json()
    args.out.write_text(json.dumps(out, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    r = models.relevance
    print(f"wrote {args.out}: {len(r.weights)} relevance weights, cut {r.threshold:.3f}, "
          f"{len(models.stage.classes)} stage models")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
