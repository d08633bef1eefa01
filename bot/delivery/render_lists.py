"""Lists as plain data: pages of cases, feeds and their health, feed previews, follows.

Pure like :mod:`bot.delivery.render`, whose sanitising every piece of feed text goes through.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.delivery.render import (
    CHOICE_NAME_MAX,
    DESCRIPTION_MAX,
    EmbedSpec,
    FieldSpec,
    embed,
    link,
    parties,
    plain,
    safe,
    stage_label,
)
from bot.models import Case, Detection, Entry, Feed


def case_list_embed(title: str, cases: Sequence[Case], *, page: int, pages: int, start: int = 0) -> EmbedSpec:
    """One page of cases (search results, recent cases)."""
    lines = [
        f"**{start + i + 1}.** {safe(c.title, 200)}\n   {stage_label(c.status)} · {parties(c, 200)} · `{c.id}`"
        for i, c in enumerate(cases)
    ]
    return embed(
        safe(title, 200),
        "\n".join(lines) or "No cases found.",
        footer=f"page {page + 1} of {max(pages, 1)} · /case show to open one",
    )


def choice_name(case: Case) -> str:
    """An autocomplete label (1-100 plain characters): title, then status."""
    status = f" [{stage_label(case.status)}]"
    return plain(case.title, CHOICE_NAME_MAX - len(status)) + status


@dataclass(frozen=True, slots=True)
class Page:
    index: int
    pages: int
    start: int
    stop: int


def page_of(total: int, index: int, per_page: int) -> Page:
    pages = max((total + per_page - 1) // per_page, 1)
    index = min(max(index, 0), pages - 1)
    start = index * per_page
    return Page(index, pages, start, min(start + per_page, total))


@dataclass(frozen=True, slots=True)
class Lines:
    """Plain bulleted list text (feeds, follows) clipped to a description."""

    items: tuple[str, ...] = field(default_factory=tuple)

    def text(self, limit: int = DESCRIPTION_MAX, empty: str = "(none)") -> str:
        out: list[str] = []
        used = 0
        for i, line in enumerate(self.items):
            if used + len(line) + 1 > limit - 30:
                out.append(f"… and {len(self.items) - i} more")
                break
            out.append(line)
            used += len(line) + 1
        return "\n".join(out) or empty


def feed_state(feed: Feed) -> str:
    if not feed.enabled:
        return f"disabled: {safe(feed.disabled_reason or 'no reason recorded', 200)}"
    if feed.consecutive_failures:
        return f"failing ×{feed.consecutive_failures}: {safe(feed.last_error or '?', 200)}"
    if feed.last_success_at is None:
        return "waiting for its first poll"
    return f"ok · {feed.item_count} items · last fetched {feed.last_success_at:%Y-%m-%d %H:%M} UTC"


def feed_lines(feeds: Sequence[Feed]) -> Lines:
    return Lines(
        tuple(f"• {link(feed.title or feed.url, feed.url, 200)}\n   {feed_state(feed)}" for feed in feeds)
    )


def feed_preview(
    url: str, title: str, entries: Sequence[Entry], detections: Sequence[Detection], bozo: str | None
) -> EmbedSpec:
    """What `/feeds test` shows: how many items, which would alert and why (nothing is stored)."""
    flagged = [(e, d) for e, d in zip(entries, detections, strict=True) if d.relevant]
    fields = []
    for entry, det in flagged[:10]:
        facts = " · ".join(
            x
            for x in (
                ", ".join(det.platforms),
                stage_label(det.action) if det.action else "",
                stage_label(det.stage) if det.stage else "",
                f"score {det.score:.2f}",
            )
            if x
        )
        fields.append(
            FieldSpec(plain(entry.title, 250), safe(facts, 300) + "\n" + link("source", entry.url, 300))
        )
    description = f"{len(entries)} items, **{len(flagged)}** would be alerted. Nothing was stored." + (
        f"\nParser warning: {safe(bozo, 300)}" if bozo else ""
    )
    if not flagged:
        description += "\nNo item looks like a legal fight over a platform right now."
    return embed(f"Preview: {safe(title or url, 200)}", description, fields=fields, url=url)
