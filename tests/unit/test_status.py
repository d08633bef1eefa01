"""Status: dated reports are the timeline; undated ones cannot rewrite it."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.cases.status import derive_status
from bot.models import Observation, Stage

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def _o(aid: int, stage: Stage, day: str | None) -> Observation:
    pub = datetime.fromisoformat(day).replace(tzinfo=UTC) if day else None
    return Observation(aid, stage, pub, NOW, f"https://example.org/{aid}")


def test_later_news_closes_the_case_with_events() -> None:
    status, events = derive_status("c1", [
        _o(2, Stage.DROPPED, "2017-04-07"), _o(1, Stage.FILED, "2017-04-06"),
    ])
    assert status is Stage.DROPPED
    assert [(e.from_status, e.to_status) for e in events] == [(None, Stage.FILED), (Stage.FILED, Stage.DROPPED)]
    assert events[1].article_id == 2 and events[1].url == "https://example.org/2"
    assert events[1].at == datetime(2017, 4, 7, tzinfo=UTC)


def test_closed_case_reopens_on_a_later_appeal() -> None:
    status, events = derive_status("c1", [
        _o(1, Stage.FILED, "2020-01-01"), _o(2, Stage.DISMISSED, "2021-01-01"), _o(3, Stage.APPEAL, "2021-03-01"),
    ])
    assert status is Stage.APPEAL
    assert events[-1].from_status is Stage.DISMISSED


def test_undated_article_does_not_rewrite_dated_history() -> None:
    obs = [_o(1, Stage.FILED, "2016-02-17"), _o(2, Stage.WITHDRAWN, "2016-03-28"), _o(3, Stage.FILED, None)]
    status, events = derive_status("c1", obs)
    assert status is Stage.WITHDRAWN
    assert all(e.article_id != 3 for e in events)


def test_undated_only_case_moves_forward_only() -> None:
    status, _ = derive_status("c1", [_o(1, Stage.RULING, None), _o(2, Stage.FILED, None)])
    assert status is Stage.RULING
    status, _ = derive_status("c1", [_o(1, Stage.FILED, None), _o(2, Stage.DROPPED, None), _o(3, Stage.APPEAL, None)])
    assert status is Stage.DROPPED


def test_same_day_reports_most_advanced_wins_and_other_never_overrides() -> None:
    status, _ = derive_status("c1", [_o(2, Stage.WITHDRAWN, "2016-03-28"), _o(3, Stage.DEMAND, "2016-03-28")])
    assert status is Stage.WITHDRAWN
    status, _ = derive_status("c1", [_o(1, Stage.FILED, "2020-01-01"), _o(2, Stage.OTHER, "2020-02-01")])
    assert status is Stage.FILED


def test_no_observations() -> None:
    assert derive_status("c1", []) == (Stage.OTHER, ())


def test_same_day_ties_do_not_depend_on_arrival_order() -> None:
    """Two closing reports of one day (same rank): whichever arrived first, the history is the same."""
    day = "2024-06-05"
    first = [_o(1, Stage.WITHDRAWN, day), _o(2, Stage.DISMISSED, day), _o(3, Stage.FILED, "2024-01-02")]
    # The same reports fetched in the other order get other article ids and fetch times.
    later = NOW.replace(year=2026)
    second = [
        Observation(7, Stage.DISMISSED, first[1].published, NOW, first[1].url),
        Observation(8, Stage.WITHDRAWN, first[0].published, later, first[0].url),
        Observation(9, Stage.FILED, first[2].published, later, first[2].url),
    ]
    status_a, events_a = derive_status("c1", first)
    status_b, events_b = derive_status("c1", second)
    assert status_a == status_b
    assert [(e.to_status, e.url) for e in events_a] == [(e.to_status, e.url) for e in events_b]
