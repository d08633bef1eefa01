"""Short human titles for cases, e.g. "Twitter v. DHS/CBP: summons (@alt_uscis)"."""

from __future__ import annotations

from collections.abc import Sequence

from bot.models import Action

MAX_TITLE = 120

_ACTION_WORDS: dict[Action, str] = {
    Action.LAWSUIT: "lawsuit",
    Action.SUBPOENA: "subpoena",
    Action.SUMMONS: "summons",
    Action.WARRANT: "search warrant",
    Action.COURT_ORDER: "court order",
    Action.NSL: "national security letters",
    Action.GAG_ORDER: "gag orders",
    Action.REGULATORY: "regulatory action",
    Action.ANTITRUST: "antitrust case",
    Action.BAN: "ban",
    Action.BLOCKING_ORDER: "blocking order",
    Action.CRIMINAL_CHARGE: "criminal charges",
    Action.OTHER: "legal dispute",
}
_WEAK_PARTIES = frozenset({"US government", "Congress"})
# Actions an authority takes against the platform: the title says who acts against whom ("EU
# investigation of Shein", "Nepal ban on TikTok"); a caption "Shein v. EU" would read as Shein suing.
_AGAINST: dict[Action, tuple[str, str]] = {
    Action.REGULATORY: ("investigation", "of"),
    Action.ANTITRUST: ("antitrust case", "against"),
    Action.BAN: ("ban", "on"),
    Action.BLOCKING_ORDER: ("blocking order", "against"),
    Action.CRIMINAL_CHARGE: ("criminal case", "against"),
    Action.COURT_ORDER: ("court order", "against"),
}


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:-")
    return cut + "…"


def make_title(
    platforms: Sequence[str],
    counterparties: Sequence[str],
    action: Action,
    subjects: Sequence[str],
    fallback: str = "",
) -> str:
    """At most MAX_TITLE characters, saying who acts against whom: "<parties> <action> <of|against>
    <platform> (<subject>)" for an authority's action ("EU investigation of Shein"), else the caption
    form "<platform> v. <parties>: <action> (<subject>)" ("Twitter v. DHS/CBP: summons")."""
    if not platforms:
        return _clip(fallback or "Legal dispute", MAX_TITLE)
    parties = [c for c in counterparties if c not in _WEAK_PARTIES][:2] or list(counterparties[:1])
    head = platforms[0]
    against = _AGAINST.get(action)
    if against is not None:
        noun, link = against
        title = f"{'/'.join(parties)} {noun} {link} {head}" if parties else f"{noun.capitalize()} {link} {head}"
    else:
        title = f"{head} v. {'/'.join(parties)}" if parties else head
        title += f": {_ACTION_WORDS.get(action, 'legal dispute')}"
    subject = next((s for s in subjects if s.startswith("@")), None) or next(iter(subjects), None)
    if subject:
        title += f" ({subject})"
    return _clip(title, MAX_TITLE)
