"""Discord messages as plain data: case cards, status updates, lists, within every Discord limit.

Pure and Discord-free (the publisher and the cogs turn these specs into discord.py objects), so the
limits and the sanitising of feed text are tested without a connection. Feed text is hostile input: it
is escaped for Discord markdown and stripped of mention syntax before it lands in any message; links
are only ever http(s) URLs we emit ourselves.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import quote, urlsplit

from bot.models import Article, Case, CaseEvent, is_closed

CONTENT_MAX = 2000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
EMBEDS_MAX = 10
CHOICE_NAME_MAX = 100
CUSTOM_ID_MAX = 100

FOLLOW_PREFIX = "cw:follow:"
COLOR_OPEN, COLOR_CLOSED, COLOR_NOTICE = 0xE67E22, 0x7F8C8D, 0x3498DB

# Zero-width, bidi-override and other invisible characters used to smuggle mentions and spoof text.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MENTION = re.compile(r"<(@[!&]?|#|/[^:>]{1,64}:)(\d{1,20})>")
_MASS_MENTION = re.compile(r"@(everyone|here)", re.IGNORECASE)
_MARKDOWN = re.compile(r"([\\*_~`|\[\]<>])")
_LINE_START = re.compile(r"(?m)^(\s*)([>#+-]|\d+(?=\.))")
_SCHEMES = ("http", "https")


def clean_text(text: str | None) -> str:
    """Plain text without invisible or control characters (used where markdown does not render)."""
    text = unicodedata.normalize("NFC", text or "")
    text = _INVISIBLE.sub("", text)
    return _CONTROL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))


def neutralise_mentions(text: str) -> str:
    """``<@id>``, ``<@!id>``, ``<@&id>``, ``<#id>``, ``</cmd:id>`` and ``@everyone`` / ``@here`` made inert."""
    labels = {"@": "@user", "@!": "@user", "@&": "@role", "#": "#channel"}
    text = _MENTION.sub(lambda m: labels.get(m.group(1), "/command"), text)
    return _MASS_MENTION.sub(lambda m: "@\u2024" + m.group(1), text)  # one-dot leader: looks like "@."


def escape_markdown(text: str) -> str:
    """Backslash-escape everything Discord formats (emphasis, code, spoilers, masked links, quotes)."""
    text = _MARKDOWN.sub(r"\\\1", text)

    def one(m: re.Match[str]) -> str:
        mark = m.group(2)
        return m.group(1) + (mark + "\\" if mark[0].isdigit() else "\\" + mark)

    return _LINE_START.sub(one, text)


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word boundary with an ellipsis; never ends on a lone ``\\``."""
    text = text.strip()
    if len(text) <= limit:
        return text
    if limit <= 1:
        return "…"[:limit]
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    cut = cut.rstrip(" ,;:\n")
    while cut.endswith("\\"):
        cut = cut[:-1]
    return cut + "…"


def safe(text: str | None, limit: int, *, single_line: bool = True) -> str:
    """Feed text made safe for a Discord markdown slot of ``limit`` characters."""
    text = clean_text(text)
    text = re.sub(r"\s+", " ", text) if single_line else re.sub(r"\n{3,}", "\n\n", text)
    return clip(escape_markdown(neutralise_mentions(text)), limit)


def plain(text: str | None, limit: int) -> str:
    """Feed text for slots where markdown does not render (autocomplete choices, button labels)."""
    text = re.sub(r"\s+", " ", clean_text(text)).strip()
    return clip(text, limit) or "(untitled)"


def safe_url(url: str | None) -> str | None:
    """An http(s) URL fit for an embed url or a masked link, or None (``javascript:``, spaces ...)."""
    if not url:
        return None
    url = clean_text(url).strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in _SCHEMES or not parts.netloc or len(url) > 1024:
        return None
    return quote(url, safe=":/?#@!$&'*+,;=%~-._[]")  # spaces, parentheses, <> and quotes encoded


def link(label: str, url: str | None, limit: int = 300) -> str:
    """A masked link with a sanitised label, or just the label when the URL is unusable."""
    target = safe_url(url)
    text = safe(label, max(limit - (len(target) + 4 if target else 0), 8))
    return f"[{text}]({target})" if target else text


# --- specs ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True, slots=True)
class EmbedSpec:
    title: str
    description: str = ""
    url: str | None = None
    color: int | None = None
    fields: tuple[FieldSpec, ...] = ()
    footer: str | None = None
    timestamp: datetime | None = None
    image: str | None = None  # an http(s) URL or ``attachment://NAME`` of a file sent with the message

    def size(self) -> int:
        """Characters counted towards Discord's 6,000 per message."""
        return (
            len(self.title)
            + len(self.description)
            + len(self.footer or "")
            + sum(len(f.name) + len(f.value) for f in self.fields)
        )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": "rich", "title": self.title}
        if self.description:
            data["description"] = self.description
        if self.url:
            data["url"] = self.url
        if self.color is not None:
            data["color"] = self.color
        if self.fields:
            data["fields"] = [{"name": f.name, "value": f.value, "inline": f.inline} for f in self.fields]
        if self.footer:
            data["footer"] = {"text": self.footer}
        if self.timestamp:
            data["timestamp"] = self.timestamp.isoformat()
        if self.image:
            data["image"] = {"url": self.image}
        return data


@dataclass(frozen=True, slots=True)
class ButtonSpec:
    label: str
    custom_id: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class FileSpec:
    """A file uploaded with a message (multipart); an embed shows it as ``attachment://NAME``."""

    name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class MessageSpec:
    content: str | None = None
    embeds: tuple[EmbedSpec, ...] = ()
    buttons: tuple[ButtonSpec, ...] = ()
    ping_role_id: int | None = None  # the only mention a message may carry (new-case alerts)
    files: tuple[FileSpec, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"content": self.content, "embeds": [e.to_dict() for e in self.embeds]}


def embed(
    title: str,
    description: str = "",
    *,
    fields: Iterable[FieldSpec] = (),
    url: str | None = None,
    color: int | None = None,
    footer: str | None = None,
    timestamp: datetime | None = None,
    image: str | None = None,
) -> EmbedSpec:
    """An embed clamped to every per-part limit and to the 6,000 total (description shrinks first);
    ``image``: ``attachment://NAME`` of a file sent with the message, or an http(s) URL."""
    kept = tuple(
        FieldSpec(clip(f.name, FIELD_NAME_MAX) or "\u200b", clip(f.value, FIELD_VALUE_MAX) or "-", f.inline)
        for f in list(fields)[:FIELDS_MAX]
    )
    spec = EmbedSpec(
        clip(title, TITLE_MAX) or "casewatch",
        clip(description, DESCRIPTION_MAX),
        safe_url(url),
        color,
        kept,
        clip(footer, FOOTER_MAX) if footer else None,
        timestamp,
        image if image and image.startswith("attachment://") else safe_url(image),
    )
    return fit(spec, EMBED_TOTAL_MAX)


def fit(spec: EmbedSpec, budget: int) -> EmbedSpec:
    """Shrink an embed to ``budget`` characters: description first, then fields from the end."""
    over = spec.size() - budget
    if over > 0 and spec.description:
        spec = replace(spec, description=clip(spec.description, max(len(spec.description) - over, 0)))
    while spec.size() > budget and spec.fields:
        spec = replace(spec, fields=spec.fields[:-1])
    if spec.size() > budget and spec.footer:
        spec = replace(spec, footer=None)
    if spec.size() > budget:
        spec = replace(spec, title=clip(spec.title, max(budget, 1)))
    return spec


def message(content: str | None = None, embeds: Sequence[EmbedSpec] = (), **extra: Any) -> MessageSpec:
    """A message within 2,000 content characters, 10 embeds and 6,000 embed characters in total."""
    kept: list[EmbedSpec] = []
    budget = EMBED_TOTAL_MAX
    for spec in list(embeds)[:EMBEDS_MAX]:
        spec = fit(spec, budget)
        if spec.size() > budget or budget <= 0:
            break
        kept.append(spec)
        budget -= spec.size()
    return MessageSpec(clip(content, CONTENT_MAX) if content else None, tuple(kept), **extra)


# --- cases --------------------------------------------------------------------------------------------------


def stage_label(stage: StrEnum | None) -> str:
    return (stage.value if stage else "new").replace("_", " ")


def parties(case: Case, limit: int = FIELD_VALUE_MAX) -> str:
    platforms = ", ".join(case.platforms) or "unknown platform"
    others = ", ".join(case.counterparties)
    return safe(f"{platforms} vs {others}" if others else platforms, limit)


def sources_field(articles: Sequence[Article], limit: int = FIELD_VALUE_MAX, most: int = 5) -> str:
    """Newest sources first as masked links, as many as fit in one field."""
    lines: list[str] = []
    used = 0
    shown = [a for a in reversed(articles) if a.url][:most]
    for article in shown:
        line = "• " + link(article.title, article.url, 260)
        if used + len(line) + 1 > limit - 20:
            break
        lines.append(line)
        used += len(line) + 1
    hidden = len(articles) - len(lines)
    if hidden > 0 and lines:
        lines.append(f"… and {hidden} more")
    return "\n".join(lines) or "no linked sources"


def follow_button(case_id: str) -> ButtonSpec:
    return ButtonSpec("Follow", custom_id=(FOLLOW_PREFIX + case_id)[:CUSTOM_ID_MAX])


def case_page_url(public_url: str | None, case_id: str) -> str | None:
    """The case's page on the web view (``CASEWATCH_PUBLIC_URL`` + /cases/ID), or None when unset."""
    if not public_url:
        return None
    return f"{public_url.rstrip('/')}/cases/{quote(case_id, safe='')}"


def issues_line(case: Case) -> str:
    """The case's legal issues as their labels ("Section 230 · Free speech"), most reported first."""
    from bot.detect.issues import LABELS

    return " · ".join(LABELS.get(k, k) for k in case.issues)


def docket_field(case: Case) -> str:
    """The court and docket: the linked CourtListener docket (court, number, filed date, link, and why
    it was accepted) when there is one, else the court and number the reports name; "" when neither."""
    found = case.docket_link
    if found is None:
        return safe(" · ".join(p for p in (case.court, case.docket) if p), 300)
    label = " · ".join(p for p in (found.court, found.number) if p) or "docket"
    parts = [link(label, found.url, 400)]
    if found.case_name:
        parts.append(safe(found.case_name, 200))
    if found.filed:
        parts.append(f"filed {found.filed:%Y-%m-%d}")
    if found.last_filing:
        parts.append(f"last filing {found.last_filing:%Y-%m-%d}")
    why = "set by an admin" if found.source == "admin" else "found on CourtListener"
    if found.reason and found.source != "admin":
        why += f": {found.reason}"
    return " · ".join(parts) + "\n-# " + safe(why, 300)  # at most ~950 characters: fits a field


def case_card(
    case: Case,
    articles: Sequence[Article] = (),
    latest: CaseEvent | None = None,
    *,
    page_url: str | None = None,
) -> EmbedSpec:
    """The card for one case: title, status, parties, action, court, latest development, summary, sources;
    with ``page_url`` the title links to the case's web page and a field says so."""
    closed = is_closed(case.status)
    fields = [
        FieldSpec("Status", stage_label(case.status) + (" (closed)" if closed else ""), True),
        FieldSpec("Action", stage_label(case.action), True),
        FieldSpec("Parties", parties(case), False),
    ]
    docket = docket_field(case)
    if docket:
        fields.append(FieldSpec("Court / docket", docket, False))
    if case.issues:
        fields.append(FieldSpec("Legal issues", issues_line(case), False))
    newest = articles[-1] if articles else None
    if latest is not None:
        when = f"{latest.at:%Y-%m-%d}"
        fields.append(
            FieldSpec(
                "Latest development",
                f"{when}: {stage_label(latest.from_status)} → **{stage_label(latest.to_status)}**",
                False,
            )
        )
    elif newest is not None:
        fields.append(FieldSpec("Latest development", link(newest.title, newest.url, 500), False))
    fields.append(FieldSpec(f"Sources ({len(articles)})", sources_field(articles), False))
    if page_url:
        fields.append(FieldSpec("Whole story", link("every report and status change", page_url, 500), False))
    return embed(
        safe(case.title, TITLE_MAX),
        safe(case.summary, 1800, single_line=False),
        fields=fields,
        url=page_url or (newest.url if newest else None),
        color=COLOR_CLOSED if closed else COLOR_OPEN,
        footer=f"case {case.id} · {case.article_count} article{'' if case.article_count == 1 else 's'}",
        timestamp=case.updated_at,
    )


def new_case_message(case: Case, articles: Sequence[Article], ping_role_id: int | None = None) -> MessageSpec:
    content = f"<@&{ping_role_id}> New case" if ping_role_id else None
    return message(
        content, [case_card(case, articles)], buttons=(follow_button(case.id),), ping_role_id=ping_role_id
    )


def status_line(case: Case, event: CaseEvent | None) -> str:
    title = safe(case.title, 300)
    if event is None:
        return f"**Status update:** {title} is now **{stage_label(case.status)}**"
    return (
        f"**Status update:** {title}: {stage_label(event.from_status)} → "
        f"**{stage_label(event.to_status)}** ({event.at:%Y-%m-%d})"
    )


def status_update_message(
    case: Case,
    event: CaseEvent | None,
    article: Article | None,
    card_url: str | None = None,
    *,
    image: str | None = None,
    files: tuple[FileSpec, ...] = (),
) -> MessageSpec:
    """The short message posted next to an edited card, so people are notified of the change; with
    ``image`` (``attachment://...`` of one of ``files``) it shows the timeline picture."""
    parts = [status_line(case, event)]
    if article is not None:
        target = safe_url(article.url)
        parts.append(f"Source: {safe(article.title, 300)}" + (f" <{target}>" if target else ""))
    if card_url:
        parts.append(f"Case card: {card_url}")
    embeds = [timeline_picture_embed(case, image)] if image else []
    return message("\n".join(parts), embeds, files=files)


def development_message(case: Case, article: Article | None) -> MessageSpec:
    """A follower's note about a new article on a case whose status did not change."""
    line = f"**New on** {safe(case.title, 300)}"
    if article is not None:
        target = safe_url(article.url)
        line += f"\n{safe(article.title, 400)}" + (f" <{target}>" if target else "")
    return message(line, buttons=())


def docket_message(case: Case, text: str, jump: str | None = None) -> MessageSpec:
    """News about a case's docket ("Docket found on CourtListener: ..."), with the docket link; ``text``
    holds court data from CourtListener, so it is made safe like feed text."""
    line = f"**Docket** · {safe(case.title, 300)}\n{safe(text, 600)}"
    found = case.docket_link
    target = safe_url(found.url) if found else None
    if target:
        line += f" <{target}>"
    if jump:
        line += f"\n-# card: {jump}"
    return message(line, buttons=())


def notice_message(text: str) -> MessageSpec:
    return message(
        embeds=[embed("casewatch notice", safe(text, 1500, single_line=False), color=COLOR_NOTICE)]
    )


def timeline_file_name(case_id: str) -> str:
    """``timeline-<id>.png``: the name the timeline picture is uploaded under (safe characters only)."""
    return f"timeline-{re.sub(r'[^A-Za-z0-9_-]', '_', case_id)[:64]}.png"


def timeline_picture(case: Case, png: bytes | None) -> tuple[str | None, tuple[FileSpec, ...]]:
    """The embed image URL (``attachment://timeline-<id>.png``) and the file to upload with it; nothing
    when there is no picture."""
    if not png:
        return None, ()
    name = timeline_file_name(case.id)
    return f"attachment://{name}", (FileSpec(name, png),)


def timeline_picture_embed(case: Case, image: str) -> EmbedSpec:
    """A status-change message's picture: the case's timeline, as an embed image."""
    return embed(
        f"Timeline: {safe(case.title, 200)}",
        color=COLOR_CLOSED if is_closed(case.status) else COLOR_OPEN,
        image=image,
        footer=f"case {case.id}",
    )


def timeline_embed(
    case: Case, events: Sequence[CaseEvent], articles: Sequence[Article], *, image: str | None = None
) -> EmbedSpec:
    """Status changes and articles of a case, oldest first, newest kept when it does not all fit;
    ``image``: the timeline picture (``attachment://...``) shown under the list."""
    by_id = {a.id: a for a in articles}
    rows: list[tuple[datetime, str]] = []
    for ev in events:
        source = by_id.get(ev.article_id) if ev.article_id else None
        via = f" — {link(source.title, source.url, 200)}" if source else ""
        rows.append((ev.at, f"`{ev.at:%Y-%m-%d}` **{stage_label(ev.to_status)}**{via}"))
    event_articles = {ev.article_id for ev in events}
    for a in articles:
        if a.id not in event_articles:
            rows.append(
                (
                    a.published or a.fetched_at,
                    f"`{(a.published or a.fetched_at):%Y-%m-%d}` " + link(a.title, a.url, 200),
                )
            )
    rows.sort(key=lambda r: r[0])
    lines = [r[1] for r in rows]
    text = "\n".join(lines)
    while len(text) > 3900 and len(lines) > 1:
        lines = lines[1:]
        text = "… earlier entries omitted\n" + "\n".join(lines)
    return embed(
        f"Timeline: {safe(case.title, 200)}",
        text or "nothing recorded yet",
        footer=f"case {case.id}",
        color=COLOR_CLOSED if is_closed(case.status) else COLOR_OPEN,
        image=image,
    )
