"""The shared timeline geometry (bot/timeline.py): labels that never overlap, ticks, report buckets,
open/closed stretches, the time scale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import CaseEvent, Stage
from bot.timeline import (
    Scale,
    bucket_unit,
    buckets,
    fit_text,
    label_priority,
    phases,
    place_labels,
    ticks,
    wrap_text,
)

T0 = datetime(2023, 1, 9, 12, tzinfo=UTC)


def overlaps(a: tuple[float, float], b: tuple[float, float], pad: float = 0.0) -> bool:
    return a[0] < b[1] + pad and b[0] < a[1] + pad


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 800, allow_nan=False), st.floats(10, 300, allow_nan=False)), min_size=0, max_size=60
    ),
    st.integers(1, 4),
)
def test_placed_labels_never_overlap_and_leaders_pass_no_label(items: list[tuple[float, float]], rows: int) -> None:
    anchors = [a for a, _ in items]
    widths = [w for _, w in items]
    slots = place_labels(anchors, widths, left=20, right=780, rows=rows, gap=6, priority=label_priority(len(items)))
    placed = [(i, s) for i, s in enumerate(slots) if s is not None]
    for i, slot in placed:
        assert 20 <= slot.left <= slot.right <= 780 and slot.right - slot.left <= widths[i] + 1e-9
        assert slot.left - 1e-9 <= min(max(anchors[i], 20), 780) <= slot.right + 1e-9  # over its anchor
    for n, (i, a) in enumerate(placed):
        for j, b in placed[n + 1 :]:
            if a.row == b.row:
                assert not overlaps((a.left, a.right), (b.left, b.right), 6 - 1e-9), (i, j)
        for j, b in placed:  # a's leader goes from the axis up to row a.row: no label below it is in the way
            if b.row < a.row:
                assert not overlaps((anchors[i] - 1, anchors[i] + 1), (b.left, b.right)), (i, j)
    if items and widths[-1] <= 760:
        assert slots[-1] is not None  # the newest claims space first: always shown


def test_crowded_labels_stack_then_drop() -> None:
    anchors = [400.0] * 5  # five changes on the same day
    slots = place_labels(anchors, [100.0] * 5, left=0, right=800, rows=3, priority=label_priority(5))
    assert sorted(s.row for s in slots if s is not None) == [0]  # stacked rows would hide the leader lines
    spread = [100.0, 210.0, 320.0, 430.0]
    slots = place_labels(spread, [150.0] * 4, left=0, right=800, rows=3)
    assert [s.row if s else None for s in slots] == [0, 1, 0, 1]
    slots = place_labels([400.0, 401.0], [100.0, 100.0], left=0, right=800, rows=1)
    assert slots[0] is not None and slots[1] is None


def test_label_priority_newest_then_oldest() -> None:
    assert label_priority(0) == [] and label_priority(1) == [0] and label_priority(2) == [1, 0]
    assert label_priority(5) == [4, 0, 3, 2, 1]


def test_scale_and_flat_span() -> None:
    scale = Scale(T0, T0 + timedelta(days=10), 40, 680)
    assert scale.x(T0) == 40 and scale.x(T0 + timedelta(days=10)) == 680 and scale.x(T0 + timedelta(days=5)) == 360
    assert Scale(T0, T0, 40, 680).x(T0) == 360 and Scale(None, None, 0, 100).x(T0) == 50


def test_ticks_are_round_ordered_and_few() -> None:
    for days in (0.5, 3, 10, 40, 120, 400, 1000, 4000, 20000):
        first, last = T0, T0 + timedelta(days=days)
        found = ticks(first, last)
        times = [t for t, _ in found]
        assert times == sorted(times) and all(first <= t <= last for t in times), days
        assert 1 <= len(found) <= 6 or (days < 1 and len(found) <= 1), (days, found)
        assert all(t.hour == 0 and t.minute == 0 for t in times)
    assert [label for _, label in ticks(T0, T0 + timedelta(days=3))] == ["10 Jan 2023", "11 Jan", "12 Jan"]
    assert ticks(T0, T0 + timedelta(days=100))[0][1] == "Feb 2023"
    assert ticks(T0, T0 + timedelta(days=3000))[0][1] == "2024"


def test_buckets_count_every_date_once() -> None:
    dates = [T0 + timedelta(days=d, hours=h) for d, h in [(0, 0), (0, 5), (1, 0), (8, 0), (40, 0)]]
    weeks = buckets(dates, "week")
    assert sum(b.count for b in weeks) == len(dates) and [b.count for b in weeks] == [3, 1, 1]
    assert all(b.start.weekday() == 0 and b.end - b.start == timedelta(days=7) for b in weeks)
    for at in dates:
        assert sum(b.start <= at < b.end for b in weeks) == 1
    months = buckets(dates, "month")
    assert [(b.start.month, b.count) for b in months] == [(1, 4), (2, 1)]
    days = buckets(dates, "day")
    assert [b.count for b in days] == [2, 1, 1, 1] and all(b.end - b.start == timedelta(days=1) for b in days)
    assert bucket_unit(T0, T0 + timedelta(days=3)) == "day"
    assert bucket_unit(T0, T0 + timedelta(days=100)) == "week"
    assert bucket_unit(T0, T0 + timedelta(days=400)) == "month"
    assert bucket_unit(T0, T0 + timedelta(days=5000)) == "year"
    assert buckets([], "week") == []


def test_phases_follow_the_status_changes() -> None:
    events = [
        CaseEvent("c", None, Stage.FILED, T0),
        CaseEvent("c", Stage.FILED, Stage.SETTLED, T0 + timedelta(days=10)),
        CaseEvent("c", Stage.SETTLED, Stage.APPEAL, T0 + timedelta(days=20)),  # reopened
    ]
    found = phases(events, T0 - timedelta(days=5), T0 + timedelta(days=30))
    assert [(p.start, p.end, p.closed) for p in found] == [
        (T0, T0 + timedelta(days=10), False),
        (T0 + timedelta(days=10), T0 + timedelta(days=20), True),
        (T0 + timedelta(days=20), T0 + timedelta(days=30), False),
    ]
    # Changes that keep a case open merge into one stretch; before a change from a known stage, its state.
    later = [CaseEvent("c", Stage.FILED, Stage.HEARING, T0), CaseEvent("c", Stage.HEARING, Stage.RULING, T0 + timedelta(1))]
    assert [(p.closed, p.start) for p in phases(later, T0 - timedelta(days=2), T0 + timedelta(days=3))] == [
        (False, T0 - timedelta(days=2))
    ]
    assert phases([], T0, T0) == []


def test_fit_and_wrap_text() -> None:
    def width(s: str) -> float:
        return 10.0 * len(s)

    assert fit_text("short", 100, width) == "short"
    assert fit_text("a much longer text", 100, width) == "a much lo…" and width("a much lo…") <= 100
    assert fit_text("x" * 50, 5, width) == "…"
    lines = wrap_text("one two three four five six seven", 120, width, 2)
    assert lines == ["one two", "three four…"] and all(width(line) <= 120 for line in lines)
    assert wrap_text("averyveryverylongword next", 100, width, 2) == ["averyvery…", "next"]
    assert wrap_text("", 100, width, 2) == []
