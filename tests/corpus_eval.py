"""In-memory evaluation on the labelled corpus: detect -> group -> status, scored by ../shared's scorer.

    python -m tests.corpus_eval [--real]

Items are processed in file order as a poller would see them; an item without a date is undated with
fetch time = now. Candidates for grouping are the cases sharing a platform, most recently updated first.
With ``--real`` every item of ``../shared/feeds/real/*.xml`` is also run through the detector and each
one flagged relevant is printed (they are ordinary news: expect almost none).
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bot.cases.clustering import absorb, find_case, open_case, platform_keys
from bot.cases.status import derive_status
from bot.detect.detector import detect
from bot.models import ArticleText, Case, CaseEvent, Detection, Observation
from bot.summarize import summarize_case

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
CORPUS = SHARED / "corpus"
_TAG = re.compile(r"<[^>]+>")


@dataclass
class EvalRun:
    articles: list[dict[str, object]] = field(default_factory=list)
    cases: dict[str, Case] = field(default_factory=dict)
    observations: dict[str, list[Observation]] = field(default_factory=dict)
    texts: dict[str, list[ArticleText]] = field(default_factory=dict)
    urls: dict[str, list[str]] = field(default_factory=dict)
    events: dict[str, tuple[CaseEvent, ...]] = field(default_factory=dict)


def _date(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).replace(tzinfo=UTC) if value else None


def run_items(items: list[dict[str, object]], now: datetime | None = None) -> EvalRun:
    """Process labelled items in order, entirely in memory, like the poller and storage would."""
    now = now or datetime.now(UTC)
    run = EvalRun()
    for idx, item in enumerate(items, start=1):
        published = _date(item.get("published"))  # type: ignore[arg-type]
        text = ArticleText(str(item["title"]), str(item["summary"]), str(item["url"]), published)
        det = detect(text)
        case_id: str | None = None
        if det.relevant:
            keys = platform_keys(det.platforms)
            candidates = sorted(
                (c for c in run.cases.values() if platform_keys(c.platforms) & keys),
                key=lambda c: (c.updated_at or now, c.id),
                reverse=True,
            )[:200]
            at = published or now
            found = find_case(text, det, candidates)
            case = absorb(found, text, det, at) if found else open_case(text, det, str(item["url"]), at)
            case_id = case.id
            obs = Observation(idx, det.stage or case.status, published, now, str(item["url"]))
            run.observations.setdefault(case_id, []).append(obs)
            run.texts.setdefault(case_id, []).append(text)
            run.urls.setdefault(case_id, []).append(str(item["url"]))
            status, events = derive_status(case_id, run.observations[case_id])
            run.cases[case_id] = Case(**{**_fields(case), "status": status})
            run.events[case_id] = events
        run.articles.append(_article_row(item, det, case_id))
    return run


def _fields(case: Case) -> dict[str, object]:
    return {f: getattr(case, f) for f in case.__slots__}  # type: ignore[attr-defined]


def _article_row(item: dict[str, object], det: Detection, case_id: str | None) -> dict[str, object]:
    return {
        "url": item["url"], "title": item["title"], "published": item.get("published"),
        "relevant": det.relevant, "score": det.score, "platforms": list(det.platforms),
        "counterparties": list(det.counterparties), "action": det.action, "stage": det.stage,
        "case_id": case_id, "reasons": list(det.reasons),
    }


def _case_rows(run: EvalRun) -> list[dict[str, object]]:
    rows = []
    for cid, case in run.cases.items():
        events = run.events.get(cid, ())
        rows.append({
            "id": cid, "title": case.title, "status": case.status.value, "platforms": list(case.platforms),
            "counterparties": list(case.counterparties), "action": case.action.value,
            "article_urls": run.urls.get(cid, []),
            "events": [
                {"from": e.from_status, "to": e.to_status, "at": e.at.isoformat(), "url": e.url} for e in events
            ],
            "summary": summarize_case(case, run.texts.get(cid, []), events),
        })
    return rows


def load_dev() -> list[dict[str, object]]:
    with open(CORPUS / "dev.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


CORPUS_FILES = ("dev.jsonl", "dev2.jsonl")


def load_corpus() -> list[dict[str, object]]:
    """Every labelled item of the corpus (dev + dev2), in file order."""
    from bot.train import load

    return load([CORPUS / name for name in CORPUS_FILES])


def score(run: EvalRun, out_dir: Path, gold: tuple[str, ...] = ("dev.jsonl",)) -> dict[str, object]:
    """Write ARTICLES.json / CASES.json to ``out_dir``, run the shared scorer against ``gold`` (corpus
    file names), return its metrics."""
    arts, cases = out_dir / "ARTICLES.json", out_dir / "CASES.json"
    arts.write_text(json.dumps(run.articles, indent=1, default=str), encoding="utf-8")
    cases.write_text(json.dumps(_case_rows(run), indent=1, default=str), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(CORPUS / "score.py"), ",".join(str(CORPUS / g) for g in gold), str(arts), str(cases)],
        capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},  # the scorer breaks same-day ties in set order
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def real_feed_hits() -> tuple[int, list[tuple[str, str, float, tuple[str, ...]]]]:
    """Every item of the real feed snapshots flagged relevant: (file, title, score, reasons)."""
    import feedparser

    total = 0
    hits = []
    for path in sorted((SHARED / "feeds" / "real").glob("*.xml")):
        parsed = feedparser.parse(io.BytesIO(path.read_bytes()))
        for entry in parsed.entries:
            total += 1
            title = _TAG.sub(" ", entry.get("title", "") or "")
            summary = _TAG.sub(" ", entry.get("summary", "") or "")
            det = detect(ArticleText(title, summary))
            if det.relevant:
                hits.append((path.name, title.strip(), det.score, det.reasons))
    return total, hits


def main(argv: list[str]) -> int:
    if not (CORPUS / "dev.jsonl").exists():
        print("../shared/corpus not found", file=sys.stderr)
        return 2
    run = run_items(load_dev())
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(score(run, Path(tmp))))
    if "--real" in argv:
        total, hits = real_feed_hits()
        print(f"feeds/real: {len(hits)} of {total} items flagged relevant")
        for name, title, sc, reasons in hits:
            print(f"  {name}: {title[:100]!r} score={sc} {list(reasons)[:6]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
