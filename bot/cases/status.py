"""A case's status, recomputed from every article's say on it (pure).

Rules, in order of authority:

1. **Dated reports are the timeline.** Observations with a publication date are ordered by that date
   (same day: the more advanced stage first is assumed older, so the most advanced one of the day wins;
   then the stage name and URL, so arrival order never decides; then fetch time, then article id).
   Each may move the status anywhere: later news can close a case (withdrawn, dismissed, dropped,
   settled, complied) and a closed case reopens on a later appeal, hearing or ruling.
2. **Undated reports cannot be placed on that timeline.** Feeds re-surface old pages without dates, and
   the fetch time only says "no later than". So once a case has any dated report, undated reports do
   not move its status at all (they still count as articles of the case). An undated recap of the
   original lawsuit therefore never reopens a settled case, nor rewinds a dated ruling.
3. **A case with only undated reports** follows them in fetch order, forward only: an undated report may
   advance the status (filed -> ruling -> dropped) but never move it back or reopen a closed case.
4. ``Stage.OTHER`` says nothing about progress: it only sets the status of a case that has none yet.

Each change of status is a CaseEvent(from, to, at, article_id, url), ``at`` being the report's
publication date (or its fetch time when undated).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.models import CaseEvent, Observation, Stage, is_closed

# Lifecycle rank: how far along a dispute is. All closing stages share the top rank.
RANK: dict[Stage, int] = {
    Stage.OTHER: 0,
    Stage.DEMAND: 1,
    Stage.FILED: 2,
    Stage.HEARING: 3,
    Stage.INJUNCTION: 4,
    Stage.RULING: 5,
    Stage.APPEAL: 6,
    Stage.FINED: 7,
    Stage.SETTLED: 8,
    Stage.WITHDRAWN: 8,
    Stage.DISMISSED: 8,
    Stage.DROPPED: 8,
    Stage.COMPLIED: 8,
}


def _dated_key(o: Observation) -> tuple[object, ...]:
    # Ties are broken by what the report says (stage, URL) before when it happened to arrive, so the
    # same reports give the same history whatever order the feeds were polled in.
    assert o.published is not None
    day = o.published.date()
    return (day, RANK[o.stage], o.published, o.stage.value, o.url or "", o.fetched_at, o.article_id)


def _undated_key(o: Observation) -> tuple[datetime, int]:
    return (o.fetched_at, o.article_id)


def _may_apply(current: Stage | None, new: Stage, *, dated: bool) -> bool:
    if current is None:
        return True
    if new == Stage.OTHER or new == current:
        return False
    if dated:
        return True
    if is_closed(current):
        return False
    return RANK[new] > RANK[current]


def derive_status(case_id: str, observations: Sequence[Observation]) -> tuple[Stage, tuple[CaseEvent, ...]]:
    """The case's current status and the ordered status changes that led to it (see module rules)."""
    dated = sorted((o for o in observations if o.published is not None), key=_dated_key)
    undated = sorted((o for o in observations if o.published is None), key=_undated_key)
    sequence = [(o, True) for o in dated] if dated else [(o, False) for o in undated]
    status: Stage | None = None
    events: list[CaseEvent] = []
    for obs, is_dated in sequence:
        if not _may_apply(status, obs.stage, dated=is_dated):
            continue
        at = obs.published if obs.published is not None else obs.fetched_at
        events.append(CaseEvent(case_id, status, obs.stage, at, obs.article_id, obs.url))
        status = obs.stage
    return (status or Stage.OTHER), tuple(events)
