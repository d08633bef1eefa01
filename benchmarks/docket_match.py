"""Docket matching on the labelled corpus: how many corpus cases find their docket, wrongly, ambiguously, not.

``python -m benchmarks.docket_match [--verbose]`` (needs ``../shared/corpus``; without it, says so and stops)

For each labelled case of ``dev.jsonl`` + ``dev2.jsonl`` (items grouped by their ``case`` label) the
case is built from the labels (platforms, counterparties, action; the reports' titles, summaries and
dates), and ``bot.docket.query.plan`` decides whether there is anything to look up. For each case with a
query a fake docket is built FROM WHAT THE REPORTS SAY (the court they name, the "A v. B" name they
use, the docket number they cite, a filing date just before the first report), and decoys are added
next to it: the same caption in another court, the same caption filed years before and years after,
a caption that contains the platform's name but is another party ("<Platform> Fans Club v. ..."), and
the platform against someone else in the same court. Every case's dockets and decoys share one fake
CourtListener server (tests/fakecourtlistener.py on 127.0.0.1), and ``bot.docket.lookup.look_up`` runs
the real client (search by number, then by name) and the real matcher against it.

It runs twice: with the true docket filed 3 days before the first report (the filing made the news),
and filed 2 years before it (casewatch started following the case late), where the tie-breaks that
lean on the first report's date cannot help and "ambiguous" is the right answer more often.

This measures the pipeline from report text to an accepted docket, and how it treats decoys. It does
not measure CourtListener's coverage or how real captions differ from the names news uses: the true
dockets are made from the reports, so a case whose reports name a court always has a docket there to
find. The output says so.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from benchmarks.common import SHARED, base_parser, emit_json, print_table

CORPUS_DIR = SHARED / "corpus"
FILES = ("dev.jsonl", "dev2.jsonl")
HONESTY = (
    "The fake dockets are built from what the reports say (court, case name, docket number, date), so "
    "this measures extraction and matching against decoys, not CourtListener's coverage or real captions."
)


@dataclass(frozen=True)
class Outcome:
    case: str
    status: str  # found | wrong | ambiguous | no_match | no_query | error
    detail: str


def load_cases() -> dict[str, list[dict[str, Any]]]:
    by_case: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for name in FILES:
        path = CORPUS_DIR / name
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                if item.get("case"):
                    by_case[item["case"]].append(item)
    return dict(sorted(by_case.items()))


def build_case(slug: str, items: Sequence[dict[str, Any]]) -> tuple[Any, list[Any]]:
    from bot.models import Action, ArticleText, Case, Stage

    texts = [
        ArticleText(
            it.get("title") or "",
            it.get("summary") or "",
            it.get("url"),
            datetime.fromisoformat(it["published"]).replace(tzinfo=UTC) if it.get("published") else None,
        )
        for it in items
    ]
    first = items[0]
    platforms: list[str] = []
    counterparties: list[str] = []
    for it in items:
        platforms += [p for p in it.get("platforms") or [] if p not in platforms]
        counterparties += [c for c in it.get("counterparties") or [] if c not in counterparties]
    try:
        action = Action(first.get("action") or "other")
    except ValueError:
        action = Action.OTHER
    case = Case(id=slug, title=slug, status=Stage.FILED, action=action, platforms=tuple(platforms),
                counterparties=tuple(counterparties))
    return case, texts


class DocketFactory:
    """True dockets and decoys from a query, with unique ids and docket numbers."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.next_id = 1000
        self.serial = 100

    def add(self, *, case_name: str, court_id: str, filed: date, number: str | None = None) -> int:
        self.next_id += 1
        self.serial += 1
        yy = filed.year % 100
        kind = "cv" if self._district(court_id) else ""
        number = number or (f"1:{yy:02d}-cv-{self.serial:05d}" if kind else f"{yy:02d}-{self.serial}")
        self.server.add_docket(id=self.next_id, case_name=case_name, docket_number=number, court_id=court_id,
                               date_filed=filed.isoformat())
        return self.next_id

    @staticmethod
    def _district(court_id: str) -> bool:
        from bot.docket import courts as ct

        court = ct.load().get(court_id)
        return court is not None and court.level in ("district", "state", "special")


def caption_name(platform: str) -> str:
    """How a docket names the platform: its formal alias ("Google LLC", "X Corp"), else "<name>, Inc."."""
    from bot.detect import directory

    svc = directory.load().lookup(platform)
    forms = svc.aliases if svc is not None else ()
    formal = [f for f in forms if f.endswith((" Inc", " LLC", " Corp", " Inc.", " Corp."))]
    return formal[0] if formal else f"{platform}, Inc."


def true_caption(q: Any) -> str:
    """The caption as a docket would write it: the reported name, the platform by its formal name."""
    plats = {p.lower(): p for p in q.platforms}
    if q.case_name:
        left, _, right = q.case_name.partition(" v. ")
        sides = [caption_name(plats[s.lower()]) if s.lower() in plats else s for s in (left, right)]
        return " v. ".join(sides)
    platform = caption_name(q.platforms[0]) if q.platforms else "Unknown"
    if q.opponents:
        return f"{q.opponents[0]} v. {platform}"
    return f"In re {platform}"


_PREFERENCE = ("district", "state", "special", "circuit", "state_supreme", "supreme")


def pick_court(q: Any) -> str:
    """The court of the true docket: the lowest court the reports name (a trial court before an appeal)."""
    from bot.docket import courts as ct

    table = ct.load()

    def rank(cid: str) -> int:
        court = table.get(cid)
        return _PREFERENCE.index(court.level) if court is not None else len(_PREFERENCE)

    return min(q.court_ids, key=rank) if q.court_ids else "dcd"


async def run(verbose: bool, lag_days: int = 3) -> dict[str, Any]:
    from bot.docket.client import ClientSettings, CourtListenerClient
    from bot.docket.lookup import look_up
    from bot.docket.query import DocketQuery, docket_year, plan
    from tests.fakecourtlistener import FakeCourtListener

    cases = load_cases()
    outcomes: list[Outcome] = []
    truth: dict[str, int] = {}
    async with FakeCourtListener(token="bench-token", page_size=20) as server:
        factory = DocketFactory(server)
        plans: dict[str, Any] = {}
        built: dict[str, tuple[Any, list[Any]]] = {}
        for slug, items in cases.items():
            case, texts = build_case(slug, items)
            built[slug] = (case, texts)
            planned = plan(case, texts)
            plans[slug] = planned
            if not isinstance(planned, DocketQuery):
                continue
            first = planned.first_report or date(2020, 1, 1)
            court = pick_court(planned)
            filed = first - timedelta(days=lag_days)
            year = docket_year(planned.docket_number) if planned.docket_number else None
            if year is not None and filed.year != year:
                filed = date(year, 6, 1)
            caption = true_caption(planned)
            number = planned.docket_number if planned.docket_number and "-" in planned.docket_number else None
            if number is not None and DocketFactory._district(court) != ("-cv-" in number or "-cr-" in number):
                number = None  # the reported number is another court's (an appeal's): make one for this court
            truth[slug] = factory.add(case_name=caption, court_id=court, filed=filed, number=number)
            platform = caption_name(planned.platforms[0]).split(",")[0] if planned.platforms else "Unknown"
            other_court = "nysd" if court != "nysd" else "cand"
            factory.add(case_name=caption, court_id=other_court, filed=filed)  # same parties, another court
            factory.add(case_name=caption, court_id=court, filed=filed - timedelta(days=4 * 365))  # years before
            factory.add(case_name=caption, court_id=court, filed=first + timedelta(days=3 * 365))  # years after
            other = caption.partition(" v. ")[2] or "Doe"
            factory.add(case_name=f"{platform} Fans Club v. {other}", court_id=court, filed=filed)  # similar name
            factory.add(case_name=f"{platform}, Inc. v. Unrelated Widgets LLC", court_id=court, filed=filed)

        settings = ClientSettings(token="bench-token", base_url=server.base_url, per_minute=100_000,
                                  per_hour=1_000_000, cache_ttl_s=1.0)
        async with CourtListenerClient(settings) as client:
            for slug, (case, texts) in built.items():
                planned = plans[slug]
                if not isinstance(planned, DocketQuery):
                    outcomes.append(Outcome(slug, "no_query", planned.reason))
                    continue
                res = await look_up(client, case, texts)
                if res.status == "match":
                    ok = res.docket is not None and res.docket.docket_id == truth[slug]
                    status = "found" if ok else "wrong"
                    detail = res.docket.case_name if res.docket else ""
                else:
                    status = res.status
                    detail = res.error or (res.reasons[-1] if res.reasons else "")
                q = planned
                summary = f"court={','.join(q.court_ids) or '-'} number={q.docket_number or '-'} name={q.case_name or '-'}"
                outcomes.append(Outcome(slug, status, f"{summary}; {detail}"))
                if verbose:
                    print(f"- {slug}: {status}\n    " + "\n    ".join(res.reasons), file=sys.stderr)
        requests = client.requests_sent
    counts = Counter(o.status for o in outcomes)
    return {"cases": len(cases), "outcomes": outcomes, "counts": counts, "requests": requests,
            "dockets_served": len(server.dockets)}


SCENARIOS = (
    (3, "true docket filed 3 days before the first report"),
    (730, "true docket filed 2 years before the first report (casewatch followed the case late)"),
)


def main(argv: list[str] | None = None) -> int:
    parser = base_parser(__doc__.splitlines()[0] if __doc__ else "docket matching")
    parser.add_argument("--verbose", action="store_true", help="print each case's reasons on stderr")
    args = parser.parse_args(argv)
    missing = [CORPUS_DIR / f for f in FILES if not (CORPUS_DIR / f).exists()]
    if missing:
        print(f"skipped: {missing[0]} is not available (the labelled corpus lives in ../shared/corpus)")
        return 0
    payload: dict[str, Any] = {}
    for n, (lag, label) in enumerate(SCENARIOS):
        result = asyncio.run(run(args.verbose and n == 0, lag))
        outcomes: list[Outcome] = result["outcomes"]
        counts: Counter[str] = result["counts"]
        if n == 0:
            print_table(f"Docket lookup per labelled case ({label})", ["case", "outcome", "what the reports gave; verdict"],
                        [(o.case, o.status, o.detail[:150]) for o in outcomes])
        with_query = sum(v for k, v in counts.items() if k != "no_query")
        rows = [
            ("labelled cases", result["cases"]),
            ("no query (no US court, docket number or case name; or a forum abroad)", counts["no_query"]),
            ("with a query", with_query),
            ("found their docket", counts["found"]),
            ("wrong docket", counts["wrong"]),
            ("ambiguous", counts["ambiguous"]),
            ("no match", counts["no_match"]),
            ("errors", counts["error"]),
            ("HTTP requests to the fake server", result["requests"]),
            ("dockets on the fake server (true + decoys)", result["dockets_served"]),
        ]
        print_table(f"Docket matching on the corpus, fake CourtListener: {label}", ["measure", "value"], rows)
        if n > 0:
            changed = [o for o in outcomes if o.status not in ("found", "no_query")]
            print("Not found in this scenario: " + (", ".join(f"{o.case} ({o.status})" for o in changed) or "none"))
        payload[f"filed_{lag}d_before"] = {
            "cases": result["cases"], "with_query": with_query, "no_query": counts["no_query"],
            "found": counts["found"], "wrong": counts["wrong"], "ambiguous": counts["ambiguous"],
            "no_match": counts["no_match"], "errors": counts["error"], "requests": result["requests"],
        }
    print(f"\nNote: {HONESTY}\n")
    first = payload[f"filed_{SCENARIOS[0][0]}d_before"]
    emit_json("docket_match", {**first, "scenarios": payload, "note": HONESTY})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
