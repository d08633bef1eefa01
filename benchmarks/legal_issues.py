"""Legal-issue tags against blind hand labels: precision and recall per issue, per article and per case.

    python -m benchmarks.legal_issues [--json]

``benchmarks/data/legal_issue_labels.jsonl`` holds hand labels of the relevant items of
``../shared/corpus/dev.jsonl`` + ``dev2.jsonl``, made without seeing the tagger (each row: the item id,
its dispute, the issues, and the issues the labeller was unsure of). ``bot.detect.issues`` tags each
item's title and lede; a tag the labeller was unsure of counts neither way. Per case, the gold issues are
those of any of its items and the predicted ones are ``case_issues`` over its items (the card's tags).
The cue table was written from the laws' vocabulary before the labels existed; the figures are
therefore out of sample for the first version of the table, and any later edit made after reading
errors is disclosed in the table's history (``git log bot/data/legal_issues.tsv``).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.common import SHARED, emit_json, print_table
from bot.detect.issues import LABELS, case_issues, issues_of

REPO = Path(__file__).resolve().parents[1]
LABELS_FILE = REPO / "benchmarks" / "data" / "legal_issue_labels.jsonl"
CORPUS = SHARED / "corpus"
LEDE_CHARS = 600  # what detection reads of a summary (bot.detect.detector.LEDE_CHARS)


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return round(p, 3), round(r, 3)


def score(labels: Sequence[dict[str, Any]], items: dict[str, dict[str, Any]]) -> dict[str, Any]:
    counts: dict[str, Counter[str]] = {k: Counter() for k in LABELS}
    case_gold: dict[str, set[str]] = defaultdict(set)
    case_unsure: dict[str, set[str]] = defaultdict(set)
    case_pred_rows: dict[str, list[list[str]]] = defaultdict(list)
    errors: list[str] = []
    for row in labels:
        item = items.get(row["id"])
        if item is None:
            continue
        gold, unsure = set(row.get("issues") or ()), set(row.get("unsure") or ())
        pred = {t.key for t in issues_of(str(item["title"]), str(item["summary"])[:LEDE_CHARS])}
        case = str(row.get("case") or item.get("case"))
        case_gold[case] |= gold
        case_unsure[case] |= unsure
        case_pred_rows[case].append(sorted(pred))
        for k in LABELS:
            if k in unsure:
                continue
            if k in gold and k in pred:
                counts[k]["tp"] += 1
            elif k in pred:
                counts[k]["fp"] += 1
                errors.append(f"extra {k}: {row['id']}")
            elif k in gold:
                counts[k]["fn"] += 1
                errors.append(f"missed {k}: {row['id']}")
    case_counts: Counter[str] = Counter()
    for case, gold in case_gold.items():
        pred = set(case_issues(case_pred_rows[case]))
        unsure = case_unsure[case] - gold
        case_counts["tp"] += len(pred & gold)
        case_counts["fp"] += len(pred - gold - unsure)
        case_counts["fn"] += len(gold - pred)
    per_issue = {}
    for k, c in counts.items():
        p, r = _prf(c["tp"], c["fp"], c["fn"])
        per_issue[k] = {"gold": c["tp"] + c["fn"], "tagged": c["tp"] + c["fp"], "precision": p, "recall": r}
    micro = Counter()
    for c in counts.values():
        micro.update(c)
    mp, mr = _prf(micro["tp"], micro["fp"], micro["fn"])
    cp, cr = _prf(case_counts["tp"], case_counts["fp"], case_counts["fn"])
    return {
        "items": sum(len(rows) for rows in case_pred_rows.values()),
        "cases": len(case_gold),
        "article": {"precision": mp, "recall": mr, **dict(micro)},
        "case": {"precision": cp, "recall": cr, **dict(case_counts)},
        "per_issue": per_issue,
        "errors": errors,
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.legal_issues", description=__doc__.split("\n")[0])
    ap.add_argument("--json", action="store_true", help="print only the JSON line")
    ap.add_argument("--errors", action="store_true", help="list every missed and extra tag")
    args = ap.parse_args(argv)
    if not LABELS_FILE.exists() or not (CORPUS / "dev.jsonl").exists():
        print(f"legal_issues: needs {LABELS_FILE} and {CORPUS}; skipped")
        return 0
    items: dict[str, dict[str, Any]] = {}
    for name in ("dev.jsonl", "dev2.jsonl"):
        for line in (CORPUS / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                it = json.loads(line)
                items[it["id"]] = it
    labels = [json.loads(line) for line in LABELS_FILE.read_text(encoding="utf-8").splitlines()
              if line.strip() and not line.startswith('{"_about"')]
    result = score(labels, items)
    if not args.json:
        rows = [[LABELS[k], v["gold"], v["tagged"], v["precision"], v["recall"]] for k, v in result["per_issue"].items()]
        a, c = result["article"], result["case"]
        rows.append(["all issues, per article", a.get("tp", 0) + a.get("fn", 0), a.get("tp", 0) + a.get("fp", 0),
                     a["precision"], a["recall"]])
        rows.append([f"all issues, per case ({result['cases']} cases)", c.get("tp", 0) + c.get("fn", 0),
                     c.get("tp", 0) + c.get("fp", 0), c["precision"], c["recall"]])
        print_table(f"Legal-issue tags vs blind hand labels ({result['items']} articles)",
                    ["issue", "labelled", "tagged", "precision", "recall"], rows)
        if args.errors:
            print("\n".join(result["errors"]))
    emit_json("legal_issues", {k: v for k, v in result.items() if k != "errors"})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
