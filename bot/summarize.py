"""Extractive summaries that fit Discord's limits (an embed description holds 4,096 characters).

An article summary is the one to three sentences that carry the legal facts (who, what instrument,
what happened), in their original order. A case summary lists what happened, oldest first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from bot.detect import patterns as pt
from bot.detect.extract import find_platforms, normalize
from bot.models import ArticleText, Case, CaseEvent, Detection

_SENTENCE_END = re.compile(
    r"(?<!\bU\.S)(?<!\bInc)(?<!\bCorp)(?<!\bNo)(?<!\bv)(?<!\bvs)(?<!\bMr)(?<!\bMs)(?<!\bDr)(?<!\bSt)"
    r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])"
)
DISCORD_DESCRIPTION_LIMIT = 4096


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(normalize(text)) if s.strip()]


def clip(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters (with an ellipsis if cut)."""
    text = text.strip()
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    if limit == 1:
        return "…"
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-") + "…"


def _sentence_score(sentence: str, platforms: set[str]) -> float:
    score = 0.0
    for term in pt.LEGAL_TERMS:
        if term.weight and term.regex.search(sentence):
            score += term.weight
    if any(m.platform in platforms for m in find_platforms(sentence)) or not platforms:
        score += 2.0
    if pt.AUTHORITY.search(sentence):
        score += 1.0
    return score


def summarize_article(text: ArticleText, det: Detection | None = None, max_chars: int = 600) -> str:
    """The 1-3 sentences of the article carrying the legal facts, in order, within ``max_chars``."""
    limit = min(max_chars, DISCORD_DESCRIPTION_LIMIT)
    sentences = split_sentences(text.summary)
    if not sentences:
        return clip(normalize(text.title), limit)
    platforms = set(det.platforms) if det else {m.platform for m in find_platforms(text.title + " " + text.summary)}
    scored = sorted(
        ((_sentence_score(s, platforms), -i, i) for i, s in enumerate(sentences)), reverse=True
    )
    chosen: list[int] = []
    used = 0
    for score, _, i in scored:
        if len(chosen) == 3 or (chosen and score <= 0):
            break
        cost = len(sentences[i]) + (1 if chosen else 0)
        if chosen and used + cost > limit:
            continue
        chosen.append(i)
        used += cost
    return clip(" ".join(sentences[i] for i in sorted(chosen)), limit)


def _day(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d") if at else "undated"


def summarize_case(
    case: Case, texts: Sequence[ArticleText], events: Sequence[CaseEvent], max_chars: int = 1000
) -> str:
    """What happened in the case, oldest first: its status changes and the headlines behind them."""
    limit = min(max_chars, DISCORD_DESCRIPTION_LIMIT)
    by_url = {t.url: t for t in texts if t.url}
    lines: list[str] = []
    for ev in sorted(events, key=lambda e: e.at):
        headline = by_url.get(ev.url).title if ev.url in by_url else ""  # type: ignore[union-attr]
        line = f"{_day(ev.at)}: {ev.to_status.value}"
        if headline:
            line += f" - {normalize(headline)}"
        lines.append(line)
    if not lines:
        dated = sorted(texts, key=lambda t: (t.published is None, t.published or datetime.min))
        lines = [f"{_day(t.published)}: {normalize(t.title)}" for t in dated[:5]]
    n = case.article_count
    head = f"{case.title} - now {case.status.value} ({n} article{'' if n == 1 else 's'})."
    out = head
    for line in lines:
        if len(out) + 1 + len(line) > limit:
            break
        out += "\n" + line
    return clip(out, limit)
