"""Recall and false alerts of detection on the real feed snapshots, against hand labels.

    python -m benchmarks.real_streams

``benchmarks/data/real_stream_labels.jsonl`` holds labels for every item of ``../shared/feeds/real`` that
names a company or online service and a legal word (the rule is in its first line and in
``real_stream_shortlist.py``); items outside that shortlist are ordinary news, label 0. The labels were
made blind (from the text, without the detector's output) and are never used to tune anything: they
only measure. Items are matched by feed file and position in the feed; BORDERLINE items count neither
way, as in the corpus scorer.
"""

from __future__ import annotations

import html
import io
import json
import re
import sys
from pathlib import Path
from typing import Any

from bot.detect.detector import detect
from bot.models import ArticleText

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def _plain(value: str) -> str:
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", value or ""))).strip()


def evaluate(labels_path: Path, feeds_dir: Path) -> dict[str, Any]:
    import feedparser

    labels: dict[tuple[str, int], dict[str, Any]] = {}
    with open(labels_path, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if "_meta" not in row:
                labels[(row["file"], int(row["idx"]))] = row
    items = relevant = tp = fp = 0
    missed: list[str] = []
    false: list[str] = []
    for path in sorted(feeds_dir.glob("*.xml")):
        parsed = feedparser.parse(io.BytesIO(path.read_bytes()))
        for idx, entry in enumerate(parsed.entries):
            items += 1
            row = labels.get((path.name, idx))
            gold = bool(row and row["label"] == 1)
            if row and row.get("borderline"):
                continue
            det = detect(ArticleText(_plain(entry.get("title", "")), _plain(entry.get("summary", ""))))
            where = f"{path.name}#{idx} {(row or {}).get('note', '')[:70]}"
            if gold:
                relevant += 1
                if det.relevant:
                    tp += 1
                else:
                    missed.append(where)
            elif det.relevant:
                fp += 1
                false.append(f"{where} {_plain(entry.get('title', ''))[:70]!r} platforms={list(det.platforms)}")
    return {
        "items": items,
        "relevant": relevant,
        "recall": round(tp / relevant, 4) if relevant else 0.0,
        "false_alerts": fp,
        "false_alerts_per_1000": round(1000 * fp / items, 3) if items else 0.0,
        "missed": missed,
        "false": false,
    }


def main() -> int:
    repo = Path(__file__).resolve().parents[1]
    feeds = (repo / ".." / "shared" / "feeds" / "real").resolve()
    labels = repo / "benchmarks" / "data" / "real_stream_labels.jsonl"
    if not feeds.exists():
        print(f"real_streams: {feeds} not found", file=sys.stderr)
        return 2
    out = evaluate(labels, feeds)
    print(f"{out['items']} items, {out['relevant']} relevant (borderline left out): recall {out['recall']:.3f}, "
          f"{out['false_alerts']} false alerts ({out['false_alerts_per_1000']:.2f} per 1,000 items)")
    for m in out["missed"]:
        print("  missed:", m)
    for f in out["false"]:
        print("  false alert:", f)
    print(json.dumps({k: v for k, v in out.items() if k not in ("missed", "false")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
