"""The timeline picture of a case: its reports as ticks and its status changes as labelled dots on one
time axis, as an SVG drawn from a template (escaped like every page; shown with <img>, so nothing in it
could run even if it tried)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.models import Article, CaseEvent
from bot.web.format import day, label

WIDTH, HEIGHT, MARGIN = 720, 120, 40
AXIS_Y = 64


@dataclass(frozen=True, slots=True)
class Mark:
    x: float
    text: str
    date: str
    above: bool


@dataclass(frozen=True, slots=True)
class Picture:
    width: int
    height: int
    axis_y: int
    left: int
    right: int
    ticks: tuple[float, ...]  # reports
    marks: tuple[Mark, ...]  # status changes
    start: str
    end: str


def picture(events: Sequence[CaseEvent], articles: Sequence[Article]) -> Picture:
    dates = [e.at for e in events] + [a.published or a.fetched_at for a in articles]
    first, last = (min(dates), max(dates)) if dates else (None, None)

    def x(at: datetime) -> float:
        if first is None or last is None or last == first:
            return WIDTH / 2
        return MARGIN + (WIDTH - 2 * MARGIN) * (at - first).total_seconds() / (last - first).total_seconds()

    marks = tuple(
        Mark(round(x(e.at), 1), label(e.to_status), day(e.at), above=i % 2 == 0) for i, e in enumerate(events)
    )
    ticks = tuple(round(x(a.published or a.fetched_at), 1) for a in articles)
    return Picture(WIDTH, HEIGHT, AXIS_Y, MARGIN, WIDTH - MARGIN, ticks, marks, day(first), day(last))
