"""The timeline picture of a case: its reports as ticks and its status changes as labelled dots on one
time axis, as an SVG drawn from a template (escaped like every page; shown with <img>, so nothing in it
could run even if it tried). The time axis and the label placement are :mod:`bot.timeline`'s, the ones
the PNG uses too: labels go above the axis where they fit, else below, else are left out (the newest
and the first change claim space first), so no two overlap."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.models import Article, CaseEvent
from bot.timeline import Scale, label_priority, place_labels, span
from bot.web.format import day, label

WIDTH, HEIGHT, MARGIN = 720, 120, 40
AXIS_Y = 64
CHAR_W = 6.6  # a generous average advance of the 11px sans-serif the SVG asks for


@dataclass(frozen=True, slots=True)
class Mark:
    x: float
    text: str  # "" (and no date) when there was no room for its label
    date: str
    above: bool
    label_x: float = 0.0  # the middle of its label (kept inside the picture)


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
    first, last = span([e.at for e in events] + [a.published or a.fetched_at for a in articles])
    scale = Scale(first, last, MARGIN, WIDTH - MARGIN)

    def x(at: datetime) -> float:
        return scale.x(at)

    xs = [round(x(e.at), 1) for e in events]
    texts = [label(e.to_status) for e in events]
    dates = [day(e.at) for e in events]
    widths = [CHAR_W * max(len(t), len(d)) + 8 for t, d in zip(texts, dates, strict=True)]
    order = label_priority(len(events))
    above = place_labels(xs, widths, left=0, right=WIDTH, rows=1, priority=order)
    below = place_labels(xs, widths, left=0, right=WIDTH, rows=1, priority=[i for i in order if above[i] is None])
    marks = []
    for i, at in enumerate(xs):
        slot = above[i] or below[i]
        if slot is None:
            marks.append(Mark(at, "", "", above=True, label_x=at))
        else:
            middle = round((slot.left + slot.right) / 2, 1)
            marks.append(Mark(at, texts[i], dates[i], above=above[i] is not None, label_x=middle))
    ticks = tuple(round(x(a.published or a.fetched_at), 1) for a in articles)
    return Picture(WIDTH, HEIGHT, AXIS_Y, MARGIN, WIDTH - MARGIN, ticks, tuple(marks), day(first), day(last))
