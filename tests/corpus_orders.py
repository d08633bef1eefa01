"""Case grouping over random arrival orders: the dev corpus through the real CLI pipeline N times.

    python -m tests.corpus_orders [N]

Feeds are polled in whatever order they come, so grouping must not depend on it. Each run copies the
corpus feeds (built by ../shared/corpus/build_feeds.py) under shuffled file names (run 0 keeps file
order), ingests them into a fresh database with ``casewatch ingest``, dumps ``articles``/``cases`` as
JSON and scores them with ../shared/corpus/score.py. Prints one line per run whose B-cubed precision is
below 0.97 (the gold cases mixed in one predicted case) and a summary line.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

from bot.cli import main as cli

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"


def _cli_json(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        cli(list(args))
    return out.getvalue()


def run_once(feeds: list[Path], seed: int, work: Path) -> tuple[dict, list[dict]]:
    order = feeds[:]
    if seed:
        random.Random(seed).shuffle(order)
    (work / "feeds").mkdir(parents=True)
    for i, f in enumerate(order):
        shutil.copy(f, work / "feeds" / f"{i:04d}_{f.name}")
    db = str(work / "c.db")
    with contextlib.redirect_stdout(io.StringIO()):
        cli(["--log-level", "ERROR", "ingest", str(work / "feeds"), "--db", db, "--quiet"])
    (work / "articles.json").write_text(_cli_json("articles", "--db", db, "--json"))
    (work / "cases.json").write_text(_cli_json("cases", "--db", db, "--json"))
    scored = subprocess.run(
        [sys.executable, str(CORPUS / "score.py"), str(CORPUS / "dev.jsonl"),
         str(work / "articles.json"), str(work / "cases.json")],
        capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},  # the scorer breaks same-day ties in set order
    )
    return json.loads(scored.stdout.strip().splitlines()[-1]), json.loads((work / "articles.json").read_text())


def mixed_cases(articles: list[dict]) -> list[Counter[str]]:
    """Predicted cases that hold items of more than one gold case (matched by URL as the scorer does)."""
    sys.path.insert(0, str(CORPUS))
    from score import canon  # type: ignore[import-not-found]

    gold = {canon(g["url"]): g for g in map(json.loads, (CORPUS / "dev.jsonl").open()) if g.get("case")}
    members: dict[str, Counter[str]] = defaultdict(Counter)
    for a in articles:
        g = gold.get(canon(a["url"]))
        if a["case_id"] and g:
            members[a["case_id"]][g["case"]] += 1
    return [c for c in members.values() if len(c) > 1]


def main(argv: list[str]) -> int:
    if not (CORPUS / "dev.jsonl").exists():
        print("../shared/corpus not found", file=sys.stderr)
        return 2
    n = int(argv[0]) if argv else 30
    base = Path(tempfile.mkdtemp(prefix="casewatch-orders-"))
    try:
        subprocess.run([sys.executable, str(CORPUS / "build_feeds.py"), str(base / "feeds"),
                        str(CORPUS / "dev.jsonl")], check=True, capture_output=True)
        feeds = sorted((base / "feeds").iterdir())
        results = []
        for seed in range(n):
            metrics, articles = run_once(feeds, seed, base / f"run{seed}")
            results.append(metrics)
            if metrics["bcubed_p"] < 0.97:
                print(f"order {seed}: B-cubed P {metrics['bcubed_p']}, mixed: "
                      + "; ".join(dict(c).__repr__() for c in mixed_cases(articles)))
        f1 = [m["bcubed_f1"] for m in results]
        print(f"{n} orders: B-cubed F1 mean {statistics.mean(f1):.3f} worst {min(f1):.3f} best {max(f1):.3f}; "
              f"worst B-cubed P {min(m['bcubed_p'] for m in results):.3f}; "
              f"mean B-cubed R {statistics.mean(m['bcubed_r'] for m in results):.3f}; "
              f"worst precision {min(m['precision'] for m in results)}, recall {min(m['recall'] for m in results)}, "
              f"status {min(m['status_exact'] for m in results):.3f}")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
