"""The geometry of a case's timeline picture, shared by the web view's SVG (:mod:`bot.web.timeline`) and
the PNG attached in Discord (:mod:`bot.timeline_png`). Pure: dates in, pixel positions and counts out.

- :class:`Scale` maps a time onto the x axis (a single moment, or none, sits in the middle);
- :func:`ticks` picks the dated axis's tick marks (days, weeks, months or years, at most a handful);
- :func:`buckets` counts reports per week (per day for cases of a few weeks, per month or year for long
  ones) for the bar strip;
- :func:`phases` turns the status changes into open and closed stretches for the shading;
- :func:`place_labels` stacks labels in rows and drops the ones that would overlap (most important first).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.models import CaseEvent, Stage, is_closed

DAY_UNTIL = timedelta(days=21)  # cases of up to three weeks count reports per day
WEEK_UNTIL = timedelta(days=183)  # then per week, up to about half a year
MONTH_UNTIL = timedelta(days=366 * 8)  # then per month; per year after eight years


def stage_text(stage: Stage | None) -> str:
    """``court_order`` -> ``court order``; None -> ``new``."""
    return (stage.value if stage is not None else "new").replace("_", " ")


class Scale:
    """Time -> x between ``left`` and ``right``; with no span (one moment, or nothing) x is the middle."""

    def __init__(self, first: datetime | None, last: datetime | None, left: float, right: float) -> None:
        self.first, self.last, self.left, self.right = first, last, left, right

    @property
    def flat(self) -> bool:
        return self.first is None or self.last is None or self.last <= self.first

    def x(self, at: datetime) -> float:
        if self.flat:
            return (self.left + self.right) / 2
        assert self.first is not None and self.last is not None
        share = (at - self.first).total_seconds() / (self.last - self.first).total_seconds()
        return self.left + (self.right - self.left) * share


def span(dates: Sequence[datetime]) -> tuple[datetime | None, datetime | None]:
    return (min(dates), max(dates)) if dates else (None, None)


# --- axis ticks ------------------------------------------------------------------------------------


def _month_floor(at: datetime, months: int) -> datetime:
    index = (at.year * 12 + at.month - 1) // months * months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=at.tzinfo or UTC)


def _add_months(at: datetime, months: int) -> datetime:
    index = at.year * 12 + at.month - 1 + months
    return at.replace(year=index // 12, month=index % 12 + 1, day=1)


_DAY_STEPS = (1, 2, 7, 14)
_MONTH_STEPS = (1, 2, 3, 6, 12, 24, 60, 120)


def ticks(first: datetime, last: datetime, most: int = 6) -> list[tuple[datetime, str]]:
    """Tick times within [first, last] and their labels: the smallest round step (days, weeks, months,
    years) that gives at most ``most`` ticks. Midnight / the first of the month / January 1st, UTC."""
    days = (last - first).total_seconds() / 86_400
    for step in _DAY_STEPS:
        if days / step <= most:
            start = datetime(first.year, first.month, first.day, tzinfo=first.tzinfo or UTC)
            if step == 7:
                start -= timedelta(days=start.weekday())  # Mondays
            out = []
            at = start
            while at <= last:
                if at >= first:
                    out.append((at, f"{at.day} {at:%b}"))
                at += timedelta(days=step)
            if out:
                out[0] = (out[0][0], f"{out[0][1]} {out[0][0].year}")
            return out
    for step in _MONTH_STEPS:
        if days / (30.44 * step) <= most:
            out = []
            at = _month_floor(first, step)
            while at <= last:
                if at >= first:
                    out.append((at, f"{at:%b %Y}" if step < 12 else f"{at.year}"))
                at = _add_months(at, step)
            return out
    return [(first, f"{first.year}"), (last, f"{last.year}")]


# --- reports per period ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bucket:
    start: datetime
    end: datetime
    count: int


def bucket_unit(first: datetime, last: datetime) -> str:
    length = last - first
    if length <= DAY_UNTIL:
        return "day"
    return "week" if length <= WEEK_UNTIL else "month" if length <= MONTH_UNTIL else "year"


def _bucket_start(at: datetime, unit: str) -> datetime:
    if unit in ("day", "week"):
        day = datetime(at.year, at.month, at.day, tzinfo=at.tzinfo or UTC)
        return day if unit == "day" else day - timedelta(days=day.weekday())
    if unit == "month":
        return _month_floor(at, 1)
    return datetime(at.year, 1, 1, tzinfo=at.tzinfo or UTC)


def _bucket_end(start: datetime, unit: str) -> datetime:
    if unit in ("day", "week"):
        return start + timedelta(days=1 if unit == "day" else 7)
    return _add_months(start, 1 if unit == "month" else 12)


def buckets(dates: Sequence[datetime], unit: str) -> list[Bucket]:
    """How many of ``dates`` fall in each calendar day, week (Monday first), month or year (UTC), oldest
    first; only periods with at least one date."""
    counts: dict[datetime, int] = {}
    for at in dates:
        start = _bucket_start(at, unit)
        counts[start] = counts.get(start, 0) + 1
    return [Bucket(s, _bucket_end(s, unit), n) for s, n in sorted(counts.items())]


# --- open and closed stretches ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Phase:
    start: datetime
    end: datetime
    closed: bool


def phases(events: Sequence[CaseEvent], first: datetime, last: datetime) -> list[Phase]:
    """Open / closed stretches between ``first`` and ``last``: each status change starts a stretch in
    its stage's state; before the first change, the state it changed from (nothing when it was new)."""
    ordered = sorted(events, key=lambda e: e.at)
    out: list[Phase] = []

    def add(start: datetime, end: datetime, closed: bool) -> None:
        start, end = max(start, first), min(end, last)
        if end < start:
            return
        if out and out[-1].closed == closed and out[-1].end >= start:
            out[-1] = Phase(out[-1].start, max(out[-1].end, end), closed)
        else:
            out.append(Phase(start, end, closed))

    if ordered and ordered[0].from_status is not None:
        add(first, ordered[0].at, is_closed(ordered[0].from_status))
    for i, event in enumerate(ordered):
        end = ordered[i + 1].at if i + 1 < len(ordered) else last
        add(event.at, end, is_closed(event.to_status))
    return out


# --- labels that do not overlap --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Slot:
    """Where a label went: its row (0 nearest the axis) and its horizontal extent."""

    row: int
    left: float
    right: float


def label_priority(count: int) -> list[int]:
    """The order labels claim space: the newest (the current status) first, then the oldest (how it
    began), then the others newest first."""
    if count == 0:
        return []
    order = [count - 1] + ([0] if count > 1 else [])
    return order + list(range(count - 2, 0, -1))


def place_labels(
    anchors: Sequence[float],
    widths: Sequence[float],
    *,
    left: float,
    right: float,
    rows: int,
    gap: float = 6.0,
    priority: Sequence[int] | None = None,
    leader: float = 2.0,
) -> list[Slot | None]:
    """Put label ``i`` (``widths[i]`` wide) centred over ``anchors[i]`` (clamped to [left, right]) in
    the nearest row where it overlaps no other label (``gap`` apart), in ``priority`` order; a label in a
    higher row also needs its leader line (``leader`` wide, from the anchor down to the axis) to pass
    no label in the rows below, and no later label may cover a leader. A label that fits nowhere is
    dropped (None)."""
    boxes: list[list[tuple[float, float]]] = [[] for _ in range(rows)]
    leaders: list[list[tuple[float, float]]] = [[] for _ in range(rows)]
    out: list[Slot | None] = [None] * len(anchors)

    def free(spans: list[tuple[float, float]], lo: float, hi: float, pad: float) -> bool:
        return all(hi + pad <= a or lo >= b + pad for a, b in spans)

    for i in priority if priority is not None else range(len(anchors)):
        width = min(widths[i], right - left)
        lo = min(max(anchors[i] - width / 2, left), right - width)
        hi = lo + width
        stem = (anchors[i] - leader / 2, anchors[i] + leader / 2)
        for row in range(rows):
            if not free(boxes[row], lo, hi, gap) or not free(leaders[row], lo, hi, 1.0):
                continue
            if not all(free(boxes[r], *stem, 1.0) for r in range(row)):
                continue
            boxes[row].append((lo, hi))
            for r in range(row):
                leaders[r].append(stem)
            out[i] = Slot(row, lo, hi)
            break
    return out


def fit_text(text: str, width: float, measure: Callable[[str], float], ellipsis: str = "…") -> str:
    """``text`` cut (with an ellipsis) to at most ``width`` as ``measure`` counts it."""
    if measure(text) <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # the longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if measure(text[:mid].rstrip() + ellipsis) <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + ellipsis if lo else ellipsis


def wrap_text(text: str, width: float, measure: Callable[[str], float], lines: int) -> list[str]:
    """``text`` in at most ``lines`` lines of at most ``width``, broken at spaces; the last line is cut
    with an ellipsis when the rest does not fit (a word longer than a line is cut too)."""
    words = text.split()
    out: list[str] = []
    while words and len(out) < lines:
        if len(out) == lines - 1:
            out.append(fit_text(" ".join(words), width, measure))
            break
        line = words.pop(0)
        while words and measure(line + " " + words[0]) <= width:
            line += " " + words.pop(0)
        out.append(fit_text(line, width, measure))
    return out
