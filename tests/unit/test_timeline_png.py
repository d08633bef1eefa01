"""The timeline PNG (bot/timeline_png.py): cases that stress the layout (1 event, 60 events, undated only,
nothing at all, long titles and stage names, crowded changes) keep every text inside the picture and
apart from each other, markers in date order, colours that contrast with the card; the cache returns
the same bytes for the same case version without drawing again."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import combinations

import pytest
from PIL import Image

from bot import timeline_png as T
from bot.models import Action, Article, Case, CaseEvent, Stage, is_closed

T0 = datetime(2023, 1, 9, 12, tzinfo=UTC)
STAGES = [s for s in Stage if s is not Stage.OTHER]


def article(i: int, when: datetime | None) -> Article:
    return Article(i, 1, f"k{i}", f"https://news.example/{i}", f"report {i}", "", when, T0, f"h{i}")


def case(title: str = "Twitter sues CBP over a summons for the @ALT_uscis account", status: Stage = Stage.FILED) -> Case:
    return Case("c0123456789", title, status, Action.SUMMONS, ("Twitter",))


def history(n: int, step: timedelta = timedelta(days=3)) -> list[CaseEvent]:
    out, before = [], None
    for i in range(n):
        stage = STAGES[i % len(STAGES)]
        out.append(CaseEvent("c", before, stage, T0 + step * i))
        before = stage
    return out


def scenarios() -> dict[str, tuple[Case, list[CaseEvent], list[Article]]]:
    sixty = history(60)
    return {
        "one event": (case(), history(1), [article(1, T0)]),
        "sixty events": (case(status=sixty[-1].to_status), sixty, [article(i, T0 + timedelta(days=i * 1.5)) for i in range(120)]),
        "undated only": (case(status=Stage.DEMAND), [], [article(i, None) for i in range(4)]),
        "nothing at all": (case(), [], []),
        "events, no dated report": (case(), history(3), [article(1, None)]),
        "dated and undated": (case(), history(4, timedelta(days=20)), [article(i, T0 + timedelta(days=i * 5)) for i in range(12)] + [article(50 + i, None) for i in range(3)]),
        "long title": (case("A very long title about a court fight " * 10), history(5), [article(1, T0)]),
        "same day": (case(), history(8, timedelta(minutes=5)), [article(1, T0)]),
        "ten years": (case(), history(6, timedelta(days=600)), [article(i, T0 + timedelta(days=i * 90)) for i in range(40)]),
    }


def disjoint(a: T.Box, b: T.Box) -> bool:
    return a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def inside(box: T.Box, width: int, height: int) -> bool:
    return 0 <= box[0] <= box[2] <= width and 0 <= box[1] <= box[3] <= height


def luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("name", list(scenarios()))
def test_layout_keeps_every_text_inside_and_apart(name: str) -> None:
    c, events, articles = scenarios()[name]
    drawing = T.layout(c, events, articles)
    assert (drawing.width, drawing.height) == (T.WIDTH, T.HEIGHT) == (800, 400)
    boxes = [t.box for t in drawing.texts] + [label.box for label in drawing.labels]
    for box in boxes:
        assert inside(box, drawing.width, drawing.height), (name, box)
    for a, b in combinations(boxes, 2):
        assert disjoint(a, b), (name, a, b)
    for label in drawing.labels:  # both lines inside their panel
        assert all(
            label.box[0] <= t.box[0] and t.box[2] <= label.box[2] and label.box[1] <= t.box[1] and t.box[3] <= label.box[3]
            for t in (label.stage, label.date)
        )
        marker = drawing.markers[label.event]
        assert label.box[0] <= marker.x <= label.box[2]  # over its marker
        for other in drawing.labels:  # the leader line from the label down to the axis crosses no label
            if other.box[1] > label.box[3]:
                assert not other.box[0] <= marker.x <= other.box[2], (name, label.stage.text, other.stage.text)


@pytest.mark.parametrize("name", list(scenarios()))
def test_markers_one_per_change_in_date_order(name: str) -> None:
    c, events, articles = scenarios()[name]
    drawing = T.layout(c, list(reversed(events)), articles)  # whatever order they come in
    assert len(drawing.markers) == len(events)
    assert [m.at for m in drawing.markers] == sorted(e.at for e in events)
    xs = [m.x for m in drawing.markers]
    assert xs == sorted(xs) and all(T.PLOT_LEFT <= x <= T.PLOT_RIGHT for x in xs)
    assert [m.closed for m in drawing.markers] == [is_closed(e.to_status) for e in sorted(events, key=lambda e: e.at)]
    assert sum(b.count for b in drawing.bars) == drawing.dated == sum(a.published is not None for a in articles)
    assert drawing.undated == sum(a.published is None for a in articles)


def test_undated_reports_are_counted_not_placed() -> None:
    c, events, articles = scenarios()["undated only"]
    drawing = T.layout(c, events, articles)
    assert drawing.empty and drawing.markers == () and drawing.bars == () and drawing.tick_marks == ()
    words = " ".join(t.text for t in drawing.texts)
    assert "4 reports (4 undated)" in words and "4 undated not shown" in words
    assert "no dated reports or status changes yet" in words
    mixed = T.layout(*scenarios()["dated and undated"])
    assert mixed.dated == 12 and mixed.undated == 3 and not mixed.empty
    assert "3 undated not shown" in " ".join(t.text for t in mixed.texts)


def test_sixty_events_keep_the_newest_and_first_labels_and_say_how_many() -> None:
    drawing = T.layout(*scenarios()["sixty events"])
    shown = {label.event for label in drawing.labels}
    assert {0, 59} <= shown and 8 <= len(shown) < 60
    assert f"{len(shown)} of 60 labelled" in " ".join(t.text for t in drawing.texts)
    assert {label.row for label in drawing.labels} == {0, 1, 2}  # stacked before dropping


def test_long_title_and_stage_names_are_cut_to_fit() -> None:
    drawing = T.layout(*scenarios()["long title"])
    titles = [t for t in drawing.texts if t.size == T.SIZE_TITLE]
    assert len(titles) == 2 and titles[-1].text.endswith("…")
    assert all(t.box[2] <= T.WIDTH - T.PAD for t in titles)
    long_stage = replace(history(1)[0], to_status=Stage.INJUNCTION)
    markers = [T.Marker(400.0, T0, "a stage name far too long to fit over a marker " * 3, False), T.Marker(700.0, T0, "x", False)]
    [first, _] = T._labels(markers)
    assert first.stage.text.endswith("…") and first.stage.box[2] - first.stage.box[0] <= T.LABEL_MAX_W
    assert T.layout(case(), [long_stage], []).labels[0].stage.text == "injunction"


def test_text_the_font_cannot_draw_is_spelled_or_marked() -> None:
    assert T.drawable("Ünïcödé — Łódź ß") == "Unicode - Lodz ss"
    assert T.drawable("Gericht 和平 ruling\u200b\x07") == "Gericht ? ruling"
    assert T.drawable("plain “quotes” & @handles") == "plain “quotes” & @handles"


def test_colours_contrast_on_the_card() -> None:
    for text in (T.TEXT, T.MUTED):
        assert contrast(text, T.BG) >= 7.0 and contrast(text, T.PANEL) >= 4.5
    for mark in (T.OPEN, T.CLOSED, T.BAR, T.AXIS):
        assert contrast(mark, T.BG) >= 3.0  # graphics (WCAG 1.4.11)
    assert contrast(T.BORDER, T.BG) >= 1.8
    # The card is opaque and dark: in Discord's light theme (white) it stands out as a card of its own.
    assert contrast(T.BG, (255, 255, 255)) >= 12 and contrast(T.BG, (0x31, 0x33, 0x38)) >= 1.3
    assert T.OPEN != T.CLOSED and abs(luminance(T.OPEN) - luminance(T.CLOSED)) < 0.5  # told apart by hue


def test_painted_picture_shows_what_the_layout_says() -> None:
    c, events, articles = scenarios()["dated and undated"]
    drawing = T.layout(c, events, articles)
    data = T.render(c, events, articles)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and image.mode == "RGB" and image.size == (800, 400)
        pixels = image.load()
        assert pixels[T.WIDTH // 2, 8] == T.BG  # opaque card background, no transparency
        for marker in drawing.markers:
            assert pixels[round(marker.x), T.AXIS_Y] == (T.CLOSED if marker.closed else T.OPEN)
        title = drawing.texts[0]
        inked = [
            pixels[x, y]
            for x in range(int(title.box[0]), int(title.box[2]))
            for y in range(int(title.box[1]), int(title.box[3]))
        ]
        assert max(contrast(p, T.BG) for p in inked) >= 10  # the title really is drawn, in bright ink
        bar = drawing.bars[0]
        assert pixels[round((bar.left + bar.right) / 2), T.BAR_BASE - 1] == T.BAR


@pytest.mark.parametrize("name", list(scenarios()))
def test_every_scenario_renders(name: str) -> None:
    data = T.render(*scenarios()[name])
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (800, 400)
    assert T.render(*scenarios()[name]) == data  # deterministic


def test_cache_returns_the_same_bytes_for_the_same_version_without_drawing() -> None:
    T.cache_clear()
    c, events, articles = scenarios()["dated and undated"]
    first = T.timeline_png(c, events, articles)
    again = T.timeline_png(c, list(events), list(articles))  # equal data, new lists
    assert again is first and T.cache_info() == T.CacheInfo(hits=1, draws=1, size=1)
    newer = [*articles, article(99, T0 + timedelta(days=90))]  # a new report: a new version
    assert T.timeline_png(c, events, newer) != first and T.cache_info().draws == 2
    changed = [*events, CaseEvent("c", Stage.FILED, Stage.SETTLED, T0 + timedelta(days=95))]
    T.timeline_png(replace(c, status=Stage.SETTLED), changed, newer)
    assert T.cache_info().draws == 3
    other = replace(c, id="cother000000")
    T.timeline_png(other, events, articles)  # another case: its own entry
    assert T.cache_info() == T.CacheInfo(hits=1, draws=4, size=4)
    assert T.version(c, events, articles) != T.version(c, events, newer)
    for i in range(T.CACHE_SIZE + 5):  # bounded: the least recently used go
        T.timeline_png(replace(c, id=f"c{i:011d}"), [], [])
    assert T.cache_info().size == T.CACHE_SIZE
    T.cache_clear()


def test_concurrent_requests_for_one_version_draw_it_once() -> None:
    from concurrent.futures import ThreadPoolExecutor

    T.cache_clear()
    c, events, articles = scenarios()["sixty events"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: T.timeline_png(c, events, articles), range(16)))
    assert len({id(r) for r in results}) == 1 and T.cache_info() == T.CacheInfo(hits=15, draws=1, size=1)
    T.cache_clear()


def test_messages_carry_the_picture_as_an_attachment_the_embed_names() -> None:
    from bot.delivery import render

    c = replace(case(), id="c0123/../x y")  # whatever an id holds, the file name stays plain
    assert render.timeline_file_name(c.id) == "timeline-c0123____x_y.png"
    assert render.timeline_picture(c, None) == (None, ()) and render.timeline_picture(c, b"") == (None, ())
    image, files = render.timeline_picture(c, b"\x89PNG...")
    assert image == "attachment://timeline-c0123____x_y.png" and files == (render.FileSpec(files[0].name, b"\x89PNG..."),)
    listed = render.timeline_embed(c, history(2), [article(1, T0)], image=image).to_dict()
    assert listed["image"] == {"url": image} and "filed" in listed["description"]
    update = render.status_update_message(c, history(2)[-1], None, "https://discord.com/x", image=image, files=files)
    assert update.files == files and [e.image for e in update.embeds] == [image]
    assert "Status update" in (update.content or "")
    plain = render.status_update_message(c, history(2)[-1], None)
    assert plain.embeds == () and plain.files == ()  # no picture: the short message as before
    assert render.embed("t", image="javascript:alert(1)").image is None  # only attachment:// or http(s)
    assert render.embed("t", image="https://cdn.example/x.png").to_dict()["image"] == {"url": "https://cdn.example/x.png"}
