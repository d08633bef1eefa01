"""Plain-text rendering of deliveries, for console mode and logs (Discord embeds live in render.py)."""

from __future__ import annotations

from bot.models import Article, Case, CaseEvent, DeliveryKind

_LABEL = {
    DeliveryKind.NEW_CASE: "NEW CASE",
    DeliveryKind.STATUS_UPDATE: "STATUS",
    DeliveryKind.DEVELOPMENT: "UPDATE",
    DeliveryKind.DIGEST: "DIGEST",
    DeliveryKind.NOTICE: "NOTICE",
}


def parties_line(case: Case) -> str:
    platforms = ", ".join(case.platforms) or "?"
    others = ", ".join(case.counterparties)
    return f"{platforms} vs {others}" if others else platforms


def render_text(kind: DeliveryKind, case: Case, article: Article | None, event: CaseEvent | None) -> str:
    lines = [f"[{_LABEL[kind]}] {case.title}"]
    if kind is DeliveryKind.STATUS_UPDATE and event is not None:
        previous = event.from_status.value if event.from_status else "new"
        lines.append(f"  status: {previous} -> {event.to_status.value} ({event.at:%Y-%m-%d})")
    else:
        lines.append(
            f"  status: {case.status.value} | action: {case.action.value} | parties: {parties_line(case)}"
        )
    if case.court or case.docket:
        lines.append(f"  court: {' '.join(p for p in (case.court, case.docket) if p)}")
    if case.summary and kind is not DeliveryKind.STATUS_UPDATE:
        lines.append(f"  {case.summary}")
    if article is not None:
        lines.append(f"  source: {article.title}" + (f" <{article.url}>" if article.url else ""))
    return "\n".join(lines)
