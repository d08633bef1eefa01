"""Property-based tests: the pure decision functions never raise and keep their promises on any input."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cases.clustering import absorb, find_case, open_case
from bot.cases.status import derive_status
from bot.delivery.router import route
from bot.detect.detector import detect
from bot.models import (
    Action,
    ArticleText,
    Case,
    CaseChange,
    CaseEvent,
    DigestMode,
    FollowMode,
    GuildSettings,
    Observation,
    Stage,
    Subscription,
    TargetKind,
)
from bot.summarize import summarize_article, summarize_case

FAST = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# Text that mixes legal and platform vocabulary with noise, so the detector's interesting paths run.
WORDS = st.sampled_from(
    [
        "Twitter",
        "X",
        "Meta",
        "Google",
        "Reddit",
        "TikTok",
        "Apple",
        "Amazon",
        "sues",
        "subpoena",
        "summons",
        "court",
        "judge",
        "order",
        "ban",
        "FTC",
        "DOJ",
        "DHS",
        "withdrew",
        "dismissed",
        "appeal",
        "fined",
        "@ALT_uscis",
        "3:17-cv-01916",
        "N.D. Cal.",
        "rainforest",
        "Records",
        "the",
        "a",
        ".",
        ",",
        "<b>",
        "\u200b",
        "@everyone",
        "<@123>",
        "é",
        "\n",
    ]
)
TEXT = st.one_of(st.text(max_size=400), st.lists(WORDS, max_size=60).map(" ".join))
DATES = st.one_of(
    st.none(),
    st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)),
)


@FAST
@given(title=TEXT, summary=TEXT, published=DATES)
def test_detector_never_raises_and_is_consistent(
    title: str, summary: str, published: datetime | None
) -> None:
    det = detect(ArticleText(title, summary, None, published))
    assert 0.0 <= det.score <= 1.0
    if det.relevant:
        assert det.platforms and det.action is not None and det.stage is not None and det.reasons
    assert det == detect(ArticleText(title, summary, None, published))  # deterministic


@FAST
@given(title=TEXT, summary=TEXT, published=DATES, later=TEXT)
def test_grouping_and_summaries_stay_within_limits(
    title: str, summary: str, published: datetime | None, later: str
) -> None:
    text = ArticleText(title, summary, "https://e.org/1", published)
    det = detect(text)
    if not det.relevant:
        det = detect(ArticleText("Twitter sues DHS over a summons", summary))
    at = published or datetime(2024, 1, 1, tzinfo=UTC)
    case = open_case(text, det, seed_key="k", at=at)
    assert case.id and len(case.title) <= 256 and case.platforms
    second = ArticleText(later, summary, "https://e.org/2", published)
    merged = absorb(case, second, det, at=at + timedelta(days=1))
    assert merged.id == case.id
    assert find_case(second, det, [merged]) in (None, merged)
    assert len(summarize_article(text, det)) <= 600
    assert len(summarize_case(merged, [text, second], [], max_chars=1000)) <= 1000


STAGES = st.sampled_from(list(Stage))


@FAST
@given(st.lists(st.tuples(STAGES, DATES, st.integers(0, 10_000)), max_size=12))
def test_status_is_order_independent_and_events_chain(obs: list[tuple[Stage, datetime | None, int]]) -> None:
    fetched = datetime(2026, 1, 1, tzinfo=UTC)
    observations = [
        Observation(i + 1, stage, published, fetched + timedelta(seconds=off))
        for i, (stage, published, off) in enumerate(obs)
    ]
    status, events = derive_status("c", observations)
    again, events2 = derive_status("c", list(reversed(observations)))
    assert (status, events) == (again, events2)
    for previous, current in itertools.pairwise(events):
        assert current.from_status == previous.to_status
    if events:
        assert events[-1].to_status == status


CASE = Case("c1", "t", Stage.FILED, Action.LAWSUIT, ("Reddit",))
GUILDS = st.lists(
    st.builds(
        GuildSettings,
        guild_id=st.integers(1, 5),
        alert_channel_id=st.one_of(st.none(), st.integers(1, 9)),
        ping_role_id=st.one_of(st.none(), st.integers(1, 3)),
        min_score=st.floats(0, 1),
        digest=st.sampled_from(list(DigestMode)),
    ),
    max_size=6,
)
SUBS = st.lists(
    st.builds(
        Subscription,
        id=st.integers(1, 99),
        guild_id=st.integers(1, 5),
        target_kind=st.sampled_from([TargetKind.USER, TargetKind.CHANNEL]),
        target_id=st.integers(1, 9),
        case_id=st.sampled_from(["c1", "c2", None]),
        platform_key=st.sampled_from(["reddit", "x", None]),
        mode=st.sampled_from(list(FollowMode)),
    ),
    max_size=8,
)


@FAST
@given(GUILDS, SUBS, st.booleans(), st.booleans(), st.floats(0, 1))
def test_router_one_delivery_per_target_with_unique_keys(guilds, subs, new, status_change, score) -> None:
    events = (
        (CaseEvent("c1", Stage.FILED, Stage.DISMISSED, datetime(2024, 1, 1, tzinfo=UTC), 1),)
        if status_change
        else ()
    )
    change = CaseChange(CASE, 1, "Reddit subpoena", None, score, new, events)
    intents = route(change, guilds, subs, frozenset({"reddit"}))
    targets = [(i.target_kind, i.target_id) for i in intents]
    assert len(targets) == len(set(targets))
    assert len({i.dedupe_key for i in intents}) == len(intents)
    for intent in intents:
        assert intent.ping_role_id is None or new  # only new-case alerts ping
