"""evidence_score is on the grouping hot path (hundreds of calls per article), so it is written for speed;
this holds it to a plainly written frozen copy, float for float, over generated profiles."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cases import clustering as cl
from bot.cases.clustering import Profile, _profile, common_names, evidence_score, years_apart
from bot.models import Action


def _reference_score(a: Profile, b: Profile, common: frozenset[str] = frozenset()) -> float:
    """evidence_score as written before its hot-path rewrite (min() calls, a helper for instruments)."""

    def actions_conflict(x: Action | None, y: Action | None) -> bool:
        return x is not None and y is not None and x != y and x in cl._INSTRUMENTS and y in cl._INSTRUMENTS

    if a.platforms.isdisjoint(b.platforms):
        return 0.0
    if (a.primary and a.primary not in b.platforms) or (b.primary and b.primary not in a.platforms):
        return 0.0
    same_docket = a.docket is not None and a.docket == b.docket
    shared_subjects = len(a.subjects & b.subjects) if a.subjects and b.subjects else 0
    hard = same_docket or shared_subjects > 0
    shared = a.keywords & b.keywords
    shared_parties = len(a.specific & b.specific) if a.specific and b.specific else 0
    if not (hard or shared_parties) and len(shared) < 2:
        return 0.0
    names = len((a.names & shared) - common)
    score = min(2.5, 0.5 * names) + min(1.5, 0.2 * (len(shared) - names)) + min(1.5, 0.75 * shared_parties)
    if same_docket:
        score += 3.0
    if shared_subjects:
        score += min(3.0, 1.5 * shared_subjects)
    if a.products & b.products:
        score += cl.PRODUCT_WEIGHT
    if score < cl.CONTENT_FLOOR:
        return 0.0
    if a.case_names and b.case_names and a.case_names.isdisjoint(b.case_names):
        score -= 1.0
    if a.states and b.states and a.states.isdisjoint(b.states):
        if not hard:
            return 0.0
        score -= cl.STATE_CONFLICT
    elif a.opponents and b.opponents and a.opponents.isdisjoint(b.opponents):
        score -= 0.5
    same_action = a.action is not None and a.action == b.action
    if same_action:
        score += 0.4
    elif actions_conflict(a.action, b.action):
        score -= 0.8
    gap = years_apart(a, b)
    if gap * 365.25 <= 45 and a.first is not None and b.first is not None:
        score += 0.4
    if gap > 1.2 and not hard and not (shared_parties and same_action) and len((a.strong_names & shared) - common) < 2:
        score -= 1.5 if gap > 2.5 else 0.5
    return score


_DATES = [None, datetime(2017, 4, 6, tzinfo=UTC), datetime(2017, 5, 1, tzinfo=UTC),
          datetime(2019, 1, 1, tzinfo=UTC), datetime(2021, 6, 1, tzinfo=UTC)]  # fmt: skip
# Enough shared names and words to reach every cap (names 2.5 = 5 names, words 1.5 = 8 words).
_WORDS = ["^oregon", "^ireland", "^durov", "^dublin", "^france", "^moraes", "^holder", "critic", "emails",
          "account", "data", "users", "review", "anonymous", "ban", "privacy", "records", "identity",
          "summons", "customs"]  # fmt: skip
_PLATFORMS = ["Twitter", "X", "Reddit", "Meta", "Google"]
_SUBJECTS = ["@ALT_uscis", "Epic v. Apple", "FBI v. Apple", "24-cv-1", "iphone", "app store"]
_PARTIES = ["DHS", "Brazil", "Australia", "US government", "Ninth Circuit", "FTC", "Oregon Consumer Protection Board"]


def _dated_profile(
    platforms: list[str], subjects: list[str], parties: list[str], docket: str | None, keywords: list[str],
    action: Action | None, first: int, last: int,
) -> Profile:  # fmt: skip
    """A profile spanning _DATES[first].._DATES[max(first, last)] (undated when first is 0)."""
    start = _DATES[first]
    end = None if start is None else _DATES[max(first, last)]
    return _profile(platforms, subjects, parties, docket, keywords, action, start, end)


_profiles = st.builds(
    _dated_profile,
    st.lists(st.sampled_from(_PLATFORMS), min_size=1, max_size=3),
    st.lists(st.sampled_from(_SUBJECTS), max_size=2),
    st.lists(st.sampled_from(_PARTIES), max_size=3),
    st.sampled_from([None, "24-cv-1", "17-cv-2"]),
    st.lists(st.sampled_from(_WORDS), max_size=20),
    st.sampled_from([None, *Action]),
    st.integers(min_value=0, max_value=len(_DATES) - 1),
    st.integers(min_value=0, max_value=len(_DATES) - 1),
)


@settings(max_examples=2000, deadline=None)
@given(_profiles, _profiles)
def test_evidence_score_equals_the_reference(a: Profile, b: Profile) -> None:
    assert evidence_score(a, b) == _reference_score(a, b)
    assert evidence_score(b, a) == _reference_score(b, a)


@settings(max_examples=1000, deadline=None)
@given(_profiles, _profiles, st.frozensets(st.sampled_from([w for w in _WORDS if w.startswith("^")])))
def test_evidence_score_with_common_names_equals_the_reference(a: Profile, b: Profile, common: frozenset[str]) -> None:
    assert evidence_score(a, b, common) == _reference_score(a, b, common)


def _x_case(*keywords: str) -> Profile:
    return _profile(["X"], [], [], None, list(keywords), Action.LAWSUIT, None, None)


def test_a_name_many_cases_of_the_platform_carry_is_common() -> None:
    # the owner is named in three of four X disputes: it tells the platform, not the dispute
    shortlist = [_x_case("^musk", "^bonta", "california"), _x_case("^musk", "^ccdh", "research"),
                 _x_case("^musk", "^pakistan", "block"), _x_case("^trump", "account")]  # fmt: skip
    article = _x_case("^musk", "^ccdh", "research", "speech")
    assert common_names(article, shortlist) == frozenset({"^musk"})
    assert common_names(_x_case("^ccdh", "research"), shortlist) == frozenset()
    # two names below the bar: the rule needs COMMON_MIN_CASES cases whatever the share
    assert common_names(article, shortlist[:2]) == frozenset()


def test_a_common_name_weighs_as_a_word() -> None:
    a, b = _x_case("^musk", "^ccdh", "research"), _x_case("^musk", "^ccdh", "research", "block")
    plain, discounted = evidence_score(a, b), evidence_score(a, b, frozenset({"^musk"}))
    assert round(plain - discounted, 6) == 0.3  # a name counts 0.5, a word 0.2
