"""A case's timeline as a PNG (Pillow): attached to ``/case timeline`` and to status-change messages,
written by ``casewatch case timeline ID --png FILE`` and served at ``/cases/{id}/timeline.png``.

Pure (bytes out, no I/O, no Discord) and in two steps, so tests can check the geometry without looking
at pixels: :func:`layout` measures the text with Pillow's built-in font (``ImageFont.load_default``, no
system fonts) and places everything; :func:`paint` draws that layout. The picture is 800x400 on an
opaque dark card of its own, so it reads the same in Discord's dark and light themes, with text large
enough to stay readable when a phone shows it at half size:

- the case title (two lines at most) and a line with its status, report count and dated span;
- a dated axis, shaded where the case was open (amber) or closed (grey);
- one marker per status change, labelled with its stage and date; labels are stacked in up to three
  rows and, when changes crowd, the less important ones are dropped (the current status and the first
  change are kept first) and the footer says how many are shown;
- a thin bar strip with the number of reports per week (per day for cases of up to three weeks, per
  month for cases longer than half a year, per year after eight years);
- reports without a date are counted in the footer, never put on the axis.

:func:`timeline_png` caches the bytes per case version: the key is the case id plus a digest of
everything the picture shows (title, status, each status change, each report's date), so any new
report or status change makes a new version, and asking again for the same version returns the same
bytes without drawing. The cache is in memory (least recently used, :data:`CACHE_SIZE` pictures of
~20-40 kB each) and per process.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from bot.delivery.render import clean_text
from bot.models import Article, Case, CaseEvent, is_closed
from bot.timeline import (
    Scale,
    bucket_unit,
    buckets,
    fit_text,
    label_priority,
    phases,
    place_labels,
    span,
    stage_text,
    ticks,
    wrap_text,
)

LAYOUT_VERSION = 1  # part of every cache key: bump when the drawing changes
WIDTH, HEIGHT = 800, 400
PAD = 24
PLOT_LEFT, PLOT_RIGHT = 56, WIDTH - 56
AXIS_Y = 268
LABEL_ROWS, ROW_H, ROW_GAP = 3, 42, 4
BAR_BASE, BAR_MAX = 352, 40
FOOTER_Y = 366
MARKER_R = 8
LABEL_MAX_W = 180

SIZE_TITLE, SIZE_LABEL, SIZE_SMALL = 28, 20, 16

# An opaque card of its own: the same in Discord's dark (#313338) and light (#ffffff) themes.
BG = (28, 31, 38)
PANEL = (44, 48, 58)  # behind the labels
BORDER = (84, 91, 106)
TEXT = (242, 244, 247)
MUTED = (182, 189, 201)
AXIS = (132, 140, 154)
OPEN = (245, 166, 35)
CLOSED = (160, 172, 184)
BAR = (98, 160, 240)

CACHE_SIZE = 64


Box = tuple[float, float, float, float]  # left, top, right, bottom


@dataclass(frozen=True, slots=True)
class Text:
    x: float
    y: float
    text: str
    size: int
    color: tuple[int, int, int]
    box: Box


@dataclass(frozen=True, slots=True)
class Marker:
    x: float
    at: datetime
    stage: str
    closed: bool


@dataclass(frozen=True, slots=True)
class Label:
    event: int  # index into the markers (status changes in date order)
    row: int
    box: Box  # the panel behind both lines
    stage: Text
    date: Text


@dataclass(frozen=True, slots=True)
class Bar:
    left: float
    right: float
    height: float
    count: int


@dataclass(frozen=True, slots=True)
class Band:
    left: float
    right: float
    closed: bool


@dataclass(frozen=True, slots=True)
class Drawing:
    """Everything :func:`paint` draws, in pixels."""

    width: int
    height: int
    texts: tuple[Text, ...]  # title, subtitle, tick labels, footer (not the marker labels)
    markers: tuple[Marker, ...]
    labels: tuple[Label, ...]
    tick_marks: tuple[float, ...]
    bands: tuple[Band, ...]
    bars: tuple[Bar, ...]
    swatches: tuple[tuple[Box, tuple[int, int, int]], ...]  # the footer's legend
    unit: str | None  # "week", "month" or "year": what one bar counts; None without dated reports
    dated: int
    undated: int
    empty: bool  # nothing dated at all: no axis, a note instead

    def all_texts(self) -> list[Text]:
        return [*self.texts, *(t for label in self.labels for t in (label.stage, label.date))]


@lru_cache(maxsize=8)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def measure(text: str, size: int) -> float:
    return float(font(size).getlength(text))


def _text(x: float, y: float, text: str, size: int, color: tuple[int, int, int]) -> Text:
    return Text(x, y, text, size, color, (x, y, x + measure(text, size), y + round(size * 1.25)))


# Pillow's built-in font covers ASCII and little else: other letters lose their accents (é -> e) or take
# a near spelling, and whatever is still missing shows as one "?" per run rather than as empty boxes.
_SPELLED = {"ł": "l", "Ł": "L", "ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
            "đ": "d", "Đ": "D", "ı": "i", "þ": "th", "Þ": "Th", "ð": "d", "—": "-", "–": "-", "‐": "-",
            "‑": "-", "‒": "-", "−": "-", "•": "·", "×": "x", "€": "EUR", "£": "GBP", "®": "(R)", "§": "S"}


@lru_cache(maxsize=1)
def _missing_glyph() -> tuple[tuple[int, int], bytes]:
    return _glyph("\U0010ffff")


def _glyph(char: str) -> tuple[tuple[int, int], bytes]:
    mask = font(SIZE_LABEL).getmask(char)
    return mask.size, bytes(mask)  # type: ignore[call-overload]


@lru_cache(maxsize=4096)
def _drawable_char(char: str) -> str:
    if char.isascii() or _glyph(char) != _missing_glyph():
        return char
    if char in _SPELLED:
        return _SPELLED[char]
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if base and base != char and all(_drawable_char(c) == c for c in base):
        return base
    return "\0"  # no way to draw it


def drawable(text: str) -> str:
    """``text`` with only what the built-in font can draw (see above); whitespace collapsed."""
    text = "".join(_drawable_char(c) for c in re.sub(r"\s+", " ", clean_text(text)).strip())
    return re.sub("\0+", "?", text)


def _day(at: datetime) -> str:
    return f"{at:%Y-%m-%d}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def layout(case: Case, events: Sequence[CaseEvent], articles: Sequence[Article]) -> Drawing:
    """Place everything of the picture of ``case`` (its status changes and reports)."""
    ordered = sorted(events, key=lambda e: e.at)
    dated = sorted(a.published for a in articles if a.published is not None)
    undated = len(articles) - len(dated)
    first, last = span([e.at for e in ordered] + dated)
    texts: list[Text] = []

    # Title and the line under it.
    width = WIDTH - 2 * PAD
    title_lines = wrap_text(drawable(case.title) or "(untitled case)", width, lambda s: measure(s, SIZE_TITLE), 2)
    y = 16.0
    for line in title_lines:
        texts.append(_text(PAD, y, line, SIZE_TITLE, TEXT))
        y += 36
    closed_now = is_closed(case.status)
    facts = [f"now {stage_text(case.status)} ({'closed' if closed_now else 'open'})"]
    facts.append(_plural(len(articles), "report") + (f" ({undated} undated)" if undated else ""))
    if first is not None and last is not None:
        facts.append(_day(first) if first == last else f"{_day(first)} to {_day(last)}")
    subtitle = fit_text(" · ".join(facts), width, lambda s: measure(s, SIZE_SMALL))
    texts.append(_text(PAD, y + 4, subtitle, SIZE_SMALL, MUTED))

    markers: list[Marker] = []
    labels: list[Label] = []
    tick_marks: list[float] = []
    bands: list[Band] = []
    bars: list[Bar] = []
    unit: str | None = None
    if first is None or last is None:
        note = "no dated reports or status changes yet"
        x = (WIDTH - measure(note, SIZE_LABEL)) / 2
        texts.append(_text(x, AXIS_Y - SIZE_LABEL, note, SIZE_LABEL, MUTED))
    else:
        lo, hi = first, last
        if hi - lo < timedelta(days=2):  # one moment (or one day): give the axis a few days around it
            middle = lo + (hi - lo) / 2
            lo, hi = middle - timedelta(days=3), middle + timedelta(days=3)
        scale = Scale(lo, hi, PLOT_LEFT, PLOT_RIGHT)

        for stretch in phases(ordered, lo, hi):
            bands.append(Band(scale.x(stretch.start), scale.x(stretch.end), stretch.closed))

        markers = [Marker(scale.x(e.at), e.at, drawable(stage_text(e.to_status)), is_closed(e.to_status)) for e in ordered]
        labels = _labels(markers)

        tick_list = ticks(lo, hi)
        tick_texts = [(scale.x(at), text) for at, text in tick_list]
        slots = place_labels(
            [x for x, _ in tick_texts],
            [measure(text, SIZE_SMALL) for _, text in tick_texts],
            left=PAD,
            right=WIDTH - PAD,
            rows=1,
            gap=14,
        )
        for (x, text), slot in zip(tick_texts, slots, strict=True):
            if slot is not None:
                tick_marks.append(x)
                texts.append(_text(slot.left, AXIS_Y + 16, text, SIZE_SMALL, MUTED))

        if dated:
            unit = bucket_unit(lo, hi)
            counts = buckets(dated, unit)
            most = max(b.count for b in counts)
            for b in counts:
                left = max(scale.x(max(b.start, lo)), PLOT_LEFT)
                right = min(scale.x(min(b.end, hi)), PLOT_RIGHT)
                if right - left < 3:
                    centre = (left + right) / 2
                    left, right = centre - 1.5, centre + 1.5
                inset = min(2.0, (right - left) / 4)  # a gap between neighbours
                bars.append(Bar(left + inset, right - inset, max(3.0, BAR_MAX * b.count / most), b.count))

    # Footer: legend on the left, what is not shown on the right.
    swatches: list[tuple[Box, tuple[int, int, int]]] = []
    x = float(PAD)
    legend = [] if first is None else [(OPEN, "open"), (CLOSED, "closed")]
    if unit is not None:
        most = max(b.count for b in bars)
        legend.append((BAR, f"reports per {unit} (most {most})"))
    for color, word in legend:
        swatches.append(((x, FOOTER_Y + 4, x + 14, FOOTER_Y + 18), color))
        texts.append(_text(x + 20, FOOTER_Y, word, SIZE_SMALL, MUTED))
        x = texts[-1].box[2] + 18
    notes = []
    if undated:
        notes.append(f"{undated} undated not shown")
    if len(labels) < len(markers):
        notes.append(f"{len(labels)} of {len(markers)} labelled")
    if notes:
        room = WIDTH - PAD - x
        note = fit_text(" · ".join(notes), room, lambda s: measure(s, SIZE_SMALL))
        texts.append(_text(WIDTH - PAD - measure(note, SIZE_SMALL), FOOTER_Y, note, SIZE_SMALL, MUTED))

    return Drawing(
        WIDTH,
        HEIGHT,
        tuple(texts),
        tuple(markers),
        tuple(labels),
        tuple(tick_marks),
        tuple(bands),
        tuple(bars),
        tuple(swatches),
        unit,
        len(dated),
        undated,
        first is None,
    )


def _labels(markers: Sequence[Marker]) -> list[Label]:
    """Stage + date over each marker, stacked in rows; crowded ones dropped (see :func:`place_labels`)."""
    stages = [fit_text(m.stage, LABEL_MAX_W, lambda s: measure(s, SIZE_LABEL)) for m in markers]
    dates = [_day(m.at) for m in markers]
    widths = [
        max(measure(s, SIZE_LABEL), measure(d, SIZE_SMALL)) + 12 for s, d in zip(stages, dates, strict=True)
    ]
    slots = place_labels(
        [m.x for m in markers],
        widths,
        left=PAD,
        right=WIDTH - PAD,
        rows=LABEL_ROWS,
        gap=6,
        priority=label_priority(len(markers)),
    )
    out = []
    for i, slot in enumerate(slots):
        if slot is None:
            continue
        bottom = AXIS_Y - 16 - slot.row * (ROW_H + ROW_GAP)
        top = bottom - ROW_H
        stage = _text(slot.left + 6, top + 2, stages[i], SIZE_LABEL, TEXT)
        date = _text(slot.left + 6, top + 22, dates[i], SIZE_SMALL, MUTED)
        out.append(Label(i, slot.row, (slot.left, top, slot.right, bottom), stage, date))
    return sorted(out, key=lambda label: label.event)


def paint(drawing: Drawing) -> Image.Image:
    image = Image.new("RGB", (drawing.width, drawing.height), BG)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, drawing.width - 1, drawing.height - 1), outline=BORDER, width=2)
    if not drawing.empty:
        draw.line((PLOT_LEFT, AXIS_Y, PLOT_RIGHT, AXIS_Y), fill=AXIS, width=2)
        for band in drawing.bands:
            draw.rectangle(
                (band.left, AXIS_Y - 4, max(band.right, band.left + 1), AXIS_Y + 4),
                fill=CLOSED if band.closed else OPEN,
            )
        for x in drawing.tick_marks:
            draw.line((x, AXIS_Y + 6, x, AXIS_Y + 12), fill=AXIS, width=2)
        draw.line((PLOT_LEFT, BAR_BASE, PLOT_RIGHT, BAR_BASE), fill=PANEL, width=1)
        for bar in drawing.bars:
            draw.rectangle((bar.left, BAR_BASE - bar.height, max(bar.right, bar.left + 1), BAR_BASE), fill=BAR)
        for label in drawing.labels:
            marker = drawing.markers[label.event]
            draw.line((marker.x, label.box[3], marker.x, AXIS_Y - MARKER_R), fill=AXIS, width=1)
            draw.rounded_rectangle(label.box, radius=5, fill=PANEL)
        for marker in drawing.markers:
            r = MARKER_R
            draw.ellipse(
                (marker.x - r, AXIS_Y - r, marker.x + r, AXIS_Y + r),
                fill=CLOSED if marker.closed else OPEN,
                outline=BG,
                width=2,
            )
    for box, color in drawing.swatches:
        draw.rectangle(box, fill=color)
    for text in drawing.all_texts():
        draw.text((text.x, text.y), text.text, fill=text.color, font=font(text.size))
    return image


def render(case: Case, events: Sequence[CaseEvent], articles: Sequence[Article]) -> bytes:
    """The PNG bytes, drawn now (see :func:`timeline_png` for the cached way)."""
    out = io.BytesIO()
    paint(layout(case, events, articles)).save(out, format="PNG", optimize=False)
    return out.getvalue()


def version(case: Case, events: Sequence[CaseEvent], articles: Sequence[Article]) -> str:
    """A digest of everything the picture shows: the same digest, the same picture."""
    parts = [str(LAYOUT_VERSION), case.id, case.title, str(case.status)]
    parts += [f"{e.from_status}>{e.to_status}@{e.at.isoformat()}" for e in events]
    parts += [a.published.isoformat() if a.published else "-" for a in articles]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class CacheInfo:
    hits: int
    draws: int
    size: int


class _Cache:
    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self.hits = self.draws = 0
        self.lock = threading.Lock()  # callers draw in worker threads (asyncio.to_thread)
        self.drawing = threading.Lock()  # one drawing at a time: a FreeType face is not for two threads

    def _lookup(self, key: tuple[str, str]) -> bytes | None:
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
                self.hits += 1
            return found

    def get(self, case: Case, events: Sequence[CaseEvent], articles: Sequence[Article]) -> bytes:
        key = (case.id, version(case, events, articles))
        found = self._lookup(key)
        if found is not None:
            return found
        with self.drawing:
            found = self._lookup(key)  # drawn by another thread while this one waited
            if found is not None:
                return found
            data = render(case, events, articles)
        with self.lock:
            self.draws += 1
            self.items[key] = data
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return data


_cache = _Cache(CACHE_SIZE)


def timeline_png(case: Case, events: Sequence[CaseEvent], articles: Sequence[Article]) -> bytes:
    """The picture of this version of ``case``, from the cache when it was drawn before."""
    return _cache.get(case, events, articles)


def cache_info() -> CacheInfo:
    with _cache.lock:
        return CacheInfo(_cache.hits, _cache.draws, len(_cache.items))


def cache_clear() -> None:
    with _cache.lock:
        _cache.items.clear()
        _cache.hits = _cache.draws = 0
