"""Which development an article reports (its stage), from the stage cues of ``stage_cues.STAGE_TERMS``.

Each cue (a family of phrases: "dismissed the lawsuit", "agreed to settle", "will appeal" ...) is a
feature, separately for the headline and the body, since a headline states the news and a body often
recalls its history. The hand-set priority rule of the cues (the most advanced stage of the title,
else of the body) is one more feature. One fitted logistic model per stage (``bot.train``) weighs them;
with no fitted stage model the rule alone decides.
"""

from __future__ import annotations

import functools
import re

from bot.detect import patterns as pt
from bot.detect import prefilter
from bot.learn import OneVsRest
from bot.models import Stage

_STAGE_BY_VALUE = {s.value: s for s in Stage}


def _cues(part: str, at: int, scan: prefilter.TextScan | None) -> list[tuple[int, str]]:
    if scan is not None and scan.text.startswith(part, at) and (at == 0 or scan.text[at - 1] == " "):
        search = functools.partial(scan.search_part, part=part, offset=at)
    else:
        search = functools.partial(re.Pattern.search, string=part)  # type: ignore[assignment]
    return [(term.weight, term.label) for term in pt.STAGE_TERMS if search(term.regex)]


def features(title: str, summary: str, scan: prefilter.TextScan | None = None) -> dict[str, float]:
    """The stage features of one article (``scan`` of ``f"{title}. {summary}"`` speeds the search)."""
    offset = len(title) + 2 if title else 0
    in_title = _cues(title, 0, scan) if title else []
    in_body = _cues(summary, offset, scan)
    f: dict[str, float] = {}
    for _, label in in_title:
        f["t:" + label] = 1.0
    for _, label in in_body:
        f["s:" + label] = 1.0
    rule = max(in_title or in_body, default=None)
    f["rule:" + (rule[1] if rule else "none")] = 1.0
    return f


def rule_stage(f: dict[str, float]) -> Stage | None:
    for name in f:
        if name.startswith("rule:"):
            return _STAGE_BY_VALUE.get(name[5:])
    return None


def rule(title: str, summary: str, scan: prefilter.TextScan | None = None) -> Stage | None:
    """The priority rule: the most advanced stage cue of the title, else of the body.

    A headline states the news; the body often recalls history ("filed in 2020 ..."), so the title wins
    whenever it carries a cue, and the body is only scanned when it has none. ``scan``, of
    ``f"{title}. {summary}"`` (or of ``summary`` alone when there is no title), lets the fast path reuse
    the word heads it found in the joined text; without it every cue is a plain search (the reference).
    """
    offset = len(title) + 2 if title else 0
    cues = (_cues(title, 0, scan) if title else []) or _cues(summary, offset, scan)
    top = max(cues, default=None)
    return _STAGE_BY_VALUE.get(top[1]) if top else None


def predict(title: str, summary: str, scan: prefilter.TextScan | None, stage_model: OneVsRest) -> Stage | None:
    if not stage_model.classes:
        return rule(title, summary, scan)
    best = stage_model.predict(features(title, summary, scan))
    return _STAGE_BY_VALUE.get(best) if best else None
