"""Digest mode: one daily or weekly summary instead of one message per new case or status change.

Pure: the digest job hands in what was held (the deliveries the router marked ``held``, with their cases
and events) and gets back the messages to post, split to fit Discord's limits, plus when a digest is due.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.delivery.render import (
    COLOR_OPEN,
    DESCRIPTION_MAX,
    EMBED_TOTAL_MAX,
    EMBEDS_MAX,
    EmbedSpec,
    MessageSpec,
    embed,
    message,
    parties,
    safe,
    stage_label,
)
from bot.models import Case, CaseEvent, DeliveryKind, DigestMode

PERIODS: dict[DigestMode, timedelta] = {
    DigestMode.DAILY: timedelta(days=1),
    DigestMode.WEEKLY: timedelta(days=7),
}


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One held delivery, resolved: what happened to which case (``case`` None: the case is gone)."""

    delivery_id: int
    kind: DeliveryKind
    case: Case | None
    event: CaseEvent | None = None
    created_at: datetime | None = None


def digest_due(
    mode: DigestMode, last_digest_at: datetime | None, oldest_held_at: datetime | None, now: datetime
) -> bool:
    """A digest is due once a full period passed since the last one (or since the oldest held item)."""
    period = PERIODS.get(mode)
    if period is None or oldest_held_at is None:
        return False
    since = last_digest_at or oldest_held_at
    return now - since >= period


def _case_line(case: Case, changes: Sequence[CaseEvent]) -> str:
    title = safe(case.title, 200)
    line = f"• {title} — **{stage_label(case.status)}** · {parties(case, 150)}"
    if changes:
        steps = " → ".join(stage_label(e.to_status) for e in changes[-4:])
        line += f"\n   status: {stage_label(changes[0].from_status)} → {steps}"
    return line + f" · `{case.id}`"


def build_digest(items: Sequence[DigestItem], mode: DigestMode, now: datetime) -> list[MessageSpec]:
    """Messages summarising ``items``: new cases first, then status changes, one line per case."""
    new_cases: dict[str, Case] = {}
    changed: dict[str, tuple[Case, list[CaseEvent]]] = {}
    for item in sorted(items, key=lambda i: i.delivery_id):
        if item.case is None:
            continue
        cid = item.case.id
        if item.kind is DeliveryKind.NEW_CASE:
            new_cases[cid] = item.case
            changed.pop(cid, None)
        elif cid in new_cases:
            new_cases[cid] = item.case  # newest state of a case that is new in this period anyway
        else:
            _, events = changed.get(cid, (item.case, []))
            if item.event is not None:
                events.append(item.event)
            changed[cid] = (item.case, events)
    sections: list[tuple[str, list[str]]] = []
    if new_cases:
        sections.append((f"New cases ({len(new_cases)})", [_case_line(c, ()) for c in new_cases.values()]))
    if changed:
        sections.append(
            (f"Status changes ({len(changed)})", [_case_line(c, evs) for c, evs in changed.values()])
        )
    if not sections:
        return []
    label = "Daily" if mode is DigestMode.DAILY else "Weekly"
    embeds: list[EmbedSpec] = []
    for heading, lines in sections:
        chunk: list[str] = []
        parts = 0
        for line in lines:
            if sum(len(x) + 1 for x in chunk) + len(line) > DESCRIPTION_MAX - 100 and chunk:
                embeds.append(_section(heading, chunk, parts))
                chunk, parts = [], parts + 1
            chunk.append(line)
        if chunk:
            embeds.append(_section(heading, chunk, parts))
    out: list[MessageSpec] = []
    batch: list[EmbedSpec] = []
    for spec in embeds:
        if batch and (
            len(batch) >= EMBEDS_MAX or sum(e.size() for e in batch) + spec.size() > EMBED_TOTAL_MAX
        ):
            out.append(message(None, batch))
            batch = []
        batch.append(spec)
    if batch:
        out.append(message(None, batch))
    first = out[0]
    header = f"**{label} casewatch digest** · {now:%Y-%m-%d}"
    if len(out) > 1:
        header += f" (part 1 of {len(out)})"
    out[0] = MessageSpec(header, first.embeds)
    return out


def _section(heading: str, lines: list[str], index: int) -> EmbedSpec:
    return embed(heading if index == 0 else f"{heading} (cont.)", "\n".join(lines), color=COLOR_OPEN)
