"""Merging cases: one dispute reported out of order ends in one case; two disputes stay apart (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.cases.clustering import absorb, find_case, open_case, platform_keys
from bot.cases.merge import merge_cases, merge_plan, merge_score, pick_survivor, should_merge
from bot.detect.detector import detect
from bot.models import Action, ArticleText, Case, Stage


def _day(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def _t(title: str, summary: str, day: str) -> ArticleText:
    return ArticleText(title, summary, f"https://example.org/{abs(hash(title))}", _day(day))


# A made-up dispute: a state board subpoenas Reddit for an anonymous critic; reported newest first.
WITHDRAWN = _t(
    "Reddit drops appeal as subpoena is withdrawn over @nightowl_pdx",
    "The subpoena was withdrawn, so Reddit will not have to name the person behind @nightowl_pdx.",
    "2023-06-20",
)
DEMAND = _t(
    "Oregon consumer board subpoenas Reddit over anonymous critic",
    "The Oregon Consumer Protection Board served Reddit with a subpoena demanding records of an anonymous "
    "user who criticised the board.",
    "2023-01-09",
)
RULING = _t(
    "Judge rules Reddit need not obey Oregon board subpoena for @nightowl_pdx",
    "A Portland judge quashed the Oregon Consumer Protection Board subpoena that demanded Reddit reveal "
    "the identity of @nightowl_pdx.",
    "2023-03-14",
)
OTHER_DISPUTE = _t(
    "Reddit sued by Texas parents over child safety failures",
    "Families in Texas filed a lawsuit accusing Reddit of failing to protect minors from predators on its forums.",
    "2023-02-01",
)


def _ingest(articles: list[ArticleText], *, merge: bool) -> dict[str, Case]:
    """detect -> find_case/open_case/absorb (-> merge_plan), as the tracker does, in the given order."""
    cases: dict[str, Case] = {}
    for art in articles:
        det = detect(art)
        assert det.relevant, art.title
        keys = platform_keys(det.platforms)
        cands = sorted(
            (c for c in cases.values() if platform_keys(c.platforms) & keys),
            key=lambda c: c.updated_at or _day("1970-01-01"),
            reverse=True,
        )
        found = find_case(art, det, cands)
        at = art.published or _day("2025-01-01")
        case = absorb(found, art, det, at) if found else open_case(art, det, art.url or art.title, at)
        cases[case.id] = case
        if merge:
            merged, gone = merge_plan(case, [c for c in cands if c.id != case.id])
            for c in (case, *gone):
                cases.pop(c.id, None)
            cases[merged.id] = merged
    return cases


def test_dispute_reported_newest_first_needs_a_merge_and_gets_one() -> None:
    order = [WITHDRAWN, DEMAND, RULING]
    # Without merging, the first two reports share too little and the bridge joins only one of them.
    assert len(_ingest(order, merge=False)) == 2
    merged = _ingest(order, merge=True)
    assert len(merged) == 1
    (case,) = merged.values()
    assert case.article_count == 3
    assert "@nightowl_pdx" in case.subjects
    assert case.opened_at == _day("2023-01-09") and case.updated_at == _day("2023-06-20")


def test_two_disputes_of_one_platform_stay_apart() -> None:
    cases = _ingest([WITHDRAWN, DEMAND, OTHER_DISPUTE, RULING], merge=True)
    assert len(cases) == 2
    sizes = sorted(c.article_count for c in cases.values())
    assert sizes == [1, 3]
    first, second = cases.values()
    assert not should_merge(first, second)


def _case(cid: str, **kw: object) -> Case:
    base: dict[str, object] = {
        "title": cid,
        "status": Stage.FILED,
        "action": Action.SUBPOENA,
        "platforms": ("Reddit",),
        "opened_at": _day("2023-01-01"),
        "updated_at": _day("2023-01-01"),
        "article_count": 2,
    }
    base.update(kw)
    return Case(id=cid, **base)  # type: ignore[arg-type]


def test_should_merge_is_symmetric_and_needs_shared_evidence() -> None:
    a = _case("ca", subjects=("@nightowl_pdx",), keywords=("^oregon", "^board", "anonymous", "critic"))
    b = _case("cb", subjects=("@nightowl_pdx",), keywords=("^oregon", "identity"), opened_at=_day("2023-03-01"),
              updated_at=_day("2023-03-01"))
    assert should_merge(a, b) and should_merge(b, a)
    assert merge_score(a, b) == merge_score(b, a)
    assert not should_merge(a, a)  # a case never merges with itself
    # Same platform, same action, same weeks, but nothing in common: two disputes.
    c = _case("cc", keywords=("parent", "minor", "safety"), action=Action.SUBPOENA)
    assert not should_merge(a, c)
    # Another platform entirely never merges, whatever the words.
    d = replace(a, id="cd", platforms=("Yelp",))
    assert not should_merge(a, d)


def test_survivor_is_the_older_case_then_the_smaller_id() -> None:
    old = _case("cz", opened_at=_day("2022-05-01"))
    new = _case("ca", opened_at=_day("2023-05-01"))
    assert pick_survivor(new, old) == (old, new)
    tie_a, tie_b = _case("ca"), _case("cb")
    assert pick_survivor(tie_b, tie_a) == (tie_a, tie_b)


def test_merge_cases_unions_evidence_and_spans_dates() -> None:
    kept = _case("ca", counterparties=("Oregon CPB",), subjects=("@nightowl_pdx",), action=Action.LAWSUIT,
                 keywords=("^oregon", "critic"), article_count=2,
                 opened_at=_day("2023-01-09"), updated_at=_day("2023-02-01"))
    gone = _case("cb", counterparties=("Portland court",), subjects=("first amendment",), action=Action.SUBPOENA,
                 keywords=("critic", "identity"), docket="23-cv-1", article_count=3,
                 opened_at=_day("2023-03-01"), updated_at=_day("2023-06-20"))
    merged = merge_cases(kept, gone)
    assert merged.id == "ca"
    assert merged.article_count == 5
    assert merged.counterparties == ("Oregon CPB", "Portland court")
    assert merged.subjects == ("@nightowl_pdx", "first amendment")
    assert merged.action is Action.SUBPOENA  # a specific instrument says more than "lawsuit"
    assert merged.docket == "23-cv-1"
    assert set(merged.keywords) == {"^oregon", "critic", "identity"}
    assert (merged.opened_at, merged.updated_at) == (_day("2023-01-09"), _day("2023-06-20"))


def test_merge_plan_only_folds_matching_candidates() -> None:
    case = _case("ca", subjects=("@nightowl_pdx",), keywords=("^oregon", "^board", "critic"))
    twin = _case("cb", subjects=("@nightowl_pdx",), keywords=("^oregon", "^board"), opened_at=_day("2022-12-01"))
    stranger = _case("cc", keywords=("parent", "minor"), action=Action.LAWSUIT)
    merged, gone = merge_plan(case, [stranger, twin])
    assert [g.id for g in gone] == ["ca"]  # the twin is older: its id survives
    assert merged.id == "cb" and merged.article_count == 4
    assert merge_plan(stranger, [case]) == (stranger, ())



def test_a_case_an_article_just_opened_scores_every_candidate_as_the_article_did() -> None:
    """Why track() skips the merge pass for a new case whose article has an action: the case's profile
    scores every other case exactly as the article's profile did, so what find_case left at or below
    MATCH_THRESHOLD stays below both merge bars."""
    from bot.cases import clustering as cl
    from bot.cases.keywords import keywords_of
    from tests.unit.test_detect_challenge import RELEVANT_A, RELEVANT_B, RELEVANT_C

    at = datetime(2025, 3, 1, tzinfo=UTC)
    sides = []
    for n, (title, summary) in enumerate(RELEVANT_A + RELEVANT_B + RELEVANT_C):
        text = ArticleText(title, summary, f"https://example.test/{n}", at if n % 3 else None)
        det = detect(text)
        if det.relevant and det.action is not None:
            words = keywords_of(text, det)
            case = open_case(text, det, seed_key=text.url or "", at=at, keywords=words)
            sides.append((cl.article_profile(text, det, words), cl.case_profile(case)))
    others = [case for _, case in sides]
    checked = nonzero = 0
    for article, case in sides:
        common = cl.common_names(article, others)
        assert cl.common_names(case, others) == common
        for other in others:
            if other is case:
                continue
            s = cl.evidence_score(article, other, common)
            assert cl.evidence_score(case, other, common) == s
            checked += 1
            nonzero += s > 0
    assert checked > 5000 and nonzero >= 10  # the sentences share platforms, and some share evidence
