"""Platforms recognised from what the text says they are, not from a list of names.

News names services no list will ever hold: "the web-hosting company DreamHost", "Kraken, a
cryptocurrency exchange", "the Mastodon server kolektiva.social", "N's servers", "Doe v. Relay Delivery,
Inc.". Each form below captures the name beside a word that says it is an online service; the name is
then looked up in the directory (``bot/data/platforms.tsv``) for its canonical form, and dropped when
the directory says it is a company that is not a platform (a chipmaker, a carmaker) or it is a word
that cannot be a name. Forms and words are data; the code only applies them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.detect import directory
from bot.detect import lexicons as lx
from bot.detect import patterns as pt

# What an online service is called (case-sensitive lower case: "exchange", never "Exchange Commission").
_KIND_ADJ = (
    r"crypto(?:currency)?|digital[- ]currency|digital[- ]asset|bitcoin|virtual[- ]currency|web[- ]?hosting|"
    r"hosting|cloud|domain|email|e-mail|encrypted(?: email| e-mail| messaging)?|VPN|messaging|social(?:[- ]media)?|"
    r"social networking|video(?:[- ]sharing|[- ]streaming)?|live[- ]streaming|streaming|dating|ride[- ]hailing|"
    r"ride[- ]sharing|food[- ]delivery|e-?commerce|online|internet|file[- ]sharing|gaming|payments?|fintech|"
    r"search|AI|microblogging|image[- ]sharing|photo[- ]sharing|lending|gig|review|booking|chat|anonymous|"
    r"decentralized|decentralised|federated|Mastodon|fediverse|alt-tech|right-wing|far-right|adult|porn"
)
_KIND_NOUN = (
    r"exchange|platform|app|application|site|website|network|marketplace|service|provider|company|firm|"
    r"startup|operator|host|engine|chatbot|server|instance|forum|messenger|giant"
)
# Nouns that alone say "online service" (no adjective needed).
_ONLINE_NOUN = (
    r"web ?host|webhost|messaging app|messenger app|chat app|social network|search engine|chatbot|"
    r"app maker|platform|marketplace|Mastodon (?:server|instance)|fediverse (?:server|instance)|"
    r"(?:crypto(?:currency)?|bitcoin|digital[- ]currency|digital[- ]asset) exchange|website|app"
)
# case-insensitive so headlines match too; a name the directory does not know needs the lower-case
# (running text) form, since a Title Case headline capitalises every word after the category as well
_CATEGORY = rf"(?i:(?:{_KIND_ADJ})(?: \w+)? (?:{_KIND_NOUN})|{_ONLINE_NOUN})"
# A name: a capitalised token (CamelCase, digits, "&", "." inside: "Booking.com", "kolektiva.social"
# lower-case only with a domain ending), continued only by words that are typically part of a name.
_TOKEN = r"(?:[A-Z][\w&+'-]*[\w+]|[A-Z])(?:\.[a-z]{2,10})?|[a-z0-9][\w-]*\.(?:social|online|site|space|zone)"
_CONTINUE = (
    r"Mail|Social|AI|Labs?|Network|Exchange|Inc\.?|Cloud|Games|Media|Technologies|Pay|Wallet|Chat|Video|"
    r"Messenger|Host(?:ing)?|Global|Capital|Markets?|Money|Cash|Web|Online|App|Apps|Farms|Finance"
)
_NAME = rf"(?P<name>(?:{_TOKEN})(?: (?:{_CONTINUE})\b)?)"
_SUFFIX = r"(?:Inc|LLC|L\.L\.C|Ltd|Corp|Corporation|Co|GmbH|S\.A|PLC|AG)\b\.?"

FORMS: tuple[tuple[str, str], ...] = (
    # "cryptocurrency exchange Kraken", "the Mastodon server kolektiva.social", "messaging app Signal"
    ("category before", rf"(?<![\w-])(?P<cat>{_CATEGORY}),? (?:called |named |known as )?{_NAME}"),
    # "Kraken, an online cryptocurrency exchange", "DreamHost, a Los Angeles-based web host"
    ("category after", rf"(?P<name>(?:{_TOKEN})(?: [A-Z][\w&'-]*){{0,2}}),? (?:{_SUFFIX},? )?(?:(?:which is |is )?(?:an?|the) )(?:[\w.'-]+ ){{0,3}}?(?P<cat>{_CATEGORY})\b"),
    # "N's servers", "N's platform"
    ("its servers", rf"{_NAME}'s (?:servers?|platform|app|website)\b"),
    # a name the directory knows, followed by what it is: "Mastodon server", "Kraken exchange"
    ("named kind", rf"{_NAME} (?:server|instance|app|platform|exchange|network|messenger|chatbot|website|"
     r"site|servers)\b"),
    # "doing business as Kraken", "dba Kraken"
    ("doing business as", rf"\b(?:dba|d/b/a|doing business as) {_NAME}"),
    # a party of a docket title: "Doe v. Relay Delivery, Inc.", "Acme LLC v. Smith"
    ("case caption", rf"\bv\. (?P<name>(?:{_TOKEN})(?: [A-Z][\w&'-]*){{0,2}}),? {_SUFFIX}"),
)
# Names a context-word form never means: sentence words, agencies, countries.
_NOT_NAMES = frozenset(
    ["The", "A", "An", "This", "That", "These", "Those", "Its", "It", "Their", "His", "Her", "Our", "Your", "In", "On", "At", "For", "And", "But", "Or", "As", "After", "Before", "When", "While", "With", "From", "By", "To", "Of", "Now", "Also", "Users", "User", "Court", "Judge", "Justice", "Government", "Federal", "State", "Police", "Commission", "Department", "Ministry", "Agency", "Authority", "Supreme", "District", "Congress", "Senate", "House", "Parliament", "Inc", "LLC", "Ltd", "Corp", "New", "Why", "How", "What", "Who", "Where", "Which", "US", "U.S.", "UK", "EU", "Big", "Tech", "Online", "Internet", "Web", "App", "Apps", "Platform", "Social", "Media", "Service", "Company", "Exchange", "Network", "Site", "Website", "Server", "Mastodon's"]
)
_BLOCKED_NAMES = frozenset(lx.COUNTERPARTY_ALIASES) | frozenset(lx.COUNTRIES)
_CALENDAR = frozenset({
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January", "February",
    "March", "April", "May", "June", "July", "August", "September", "October", "November", "December",
    "Last", "Earlier", "Later", "Meanwhile", "However", "Separately",
})

COMPILED: tuple[tuple[str, re.Pattern[str]], ...] = tuple((label, re.compile(rx)) for label, rx in FORMS)

def _literals(words: str, *patterns: str) -> re.Pattern[str]:
    """One case-sensitive regex of lower-case literals (and a few patterns that start with a literal and
    only look ahead), searched in a lower-cased text: far cheaper than a case-insensitive alternation,
    which the regex engine cannot skip through."""
    parts = sorted((re.escape(w) for w in words.split()), key=lambda w: (-len(w), w))
    return re.compile("|".join([*patterns, *parts]))


# Every form needs one of these words (or a domain ending) in the lower-cased text: none proves no form
# can match. Single words only, so that normalising the text (quotes, dashes, spaces) cannot make one
# appear that the raw text lacks.
GATE = _literals(
    "exchange host server instance apps application platform provider service marketplace messenger chatbot "
    "forum network site website compan firm startup operator engine giant dba d/b/a business tech group "
    "association .social .online .space .zone",
    r"app(?![a-z])",  # not "appeal"
)
# A docket title only shows that a party is a company; the text must also say it is an online one.
ONLINE_CUE = _literals(
    "online internet website apps platform commerce crypto digital streaming marketplace messaging",
    r"app(?![a-z])",
    r"web(?![a-z])",  # not "Webb"
    r"(?<![a-z])(?:social|users|search)(?![a-z])",  # not "Execu-Search", "research"
)
# The company suffixes of a docket title ("v. Relay Delivery, Inc."), which count only with ONLINE_CUE
# (case-sensitive, on the text as written).
SUFFIX_GATE = re.compile(r"Inc\b|LLC|L\.L\.C|Ltd|Corp|Co\b|GmbH|S\.A|PLC|AG\b")
# Context recognition only runs on text with a legal word (a name recognised from context matters only
# to relevance, which needs one), so that the many ordinary items saying "service" or "company" stay on
# the prefilter's cheap path. Lower-case stems; a necessary condition, not evidence.
LEGAL_GATE = _literals(
    "suing suit court judge fine penalt sanction banned banning bans block probe investigat inquir subpoena "
    "summon warrant seiz raid regulat watchdog prosecut charge indict arrest settle appeal injunction order "
    "antitrust competition complaint legal v. vs. violat breach unmask suspen shut restor complian compli "
    "demand challeng attorney justice police laws klage gericht amende tribunal multa",
    r"sue[sd]?(?![a-z])",  # not "issue"
    r"ban(?![a-z])",
    r"rul(?:e|es|ed|ing)(?![a-z])",  # not "rural"
    r"law(?![a-z])",  # not "lawn"
    r"comply(?![a-z])",
)


GENERIC = "online platforms"  # the name of platforms as a class ("social media companies", "Big Tech")


@dataclass(frozen=True, slots=True)
class ContextMention:
    platform: str  # canonical (directory) name, or the name as written
    start: int
    end: int
    surface: str
    form: str  # which form recognised it (a reason)


def may_match(text: str) -> bool:
    """Whether a context form could match: a word it needs, and a legal word."""
    return gate(text, "")


def gate(title: str, summary: str) -> bool:
    """``may_match`` for a title and a body (the prefilter's raw texts); over-inclusive, never less."""
    low = f"{title}\n{summary}".lower()
    if LEGAL_GATE.search(low) is None:
        return False
    # a name that counts in a party position (``_party_positions``), or a word a form needs
    return _may_name_ambiguous(title) or _may_name_ambiguous(summary) or _forms_may_match(title, summary, low)


def _forms_may_match(title: str, summary: str, low: str) -> bool:
    """Whether one of ``FORMS`` could match (``low``: the texts lower-cased): a word it needs, or a
    docket caption's company suffix beside an online cue."""
    if GATE.search(low) is not None:
        return True
    return (SUFFIX_GATE.search(title) is not None or SUFFIX_GATE.search(summary) is not None) and (
        ONLINE_CUE.search(low) is not None
    )


@functools.lru_cache(maxsize=4096)
def _canonical(surface: str) -> str | None:
    """The directory name for a recognised surface form; None when it must not count as a platform."""
    name = surface.strip().rstrip(".,")
    for suffix in (" Inc.", " Inc", " LLC", " Ltd.", " Ltd", " Corp.", " Corp"):
        if name.endswith(suffix):
            name = name[: -len(suffix)].rstrip(",")
    words = name.split()
    while words and (words[0] in _NOT_NAMES or words[0] in _CALENDAR):
        words.pop(0)  # "On Monday Zentrobit, a crypto exchange": the name is the last word
    name = " ".join(words)
    if not name or name in _BLOCKED_NAMES or len(name) < 2:
        return None
    first = words[0]
    # "Kraken-a" (an em dash read as a hyphen before "a digital currency exchange")
    base = name.split("-")[0] if "-" in name else None
    d = directory.load()
    svc = d.lookup(name) or (d.lookup(base) if base else None) or d.lookup(first)
    if svc is not None:
        return svc.name if svc.is_platform else None
    return name


# Where the category forms can match: the nouns they end in ("exchange", "server", "app" ...). Each form
# runs only in windows around these words (the regexes open with case-insensitive alternations that the
# engine cannot skip through: a whole-text scan costs ~70 us, a window a few).
_ANCHOR = _literals(
    "exchange platform application site website network marketplace service provider company firm startup "
    "operator host engine chatbot server instance forum messenger giant",
    r"app(?![a-z])",
)
# Per form, the window around an anchor noun in which a match can lie: (chars before its start, after
# its end). A category is at most ~45 characters before its noun; three names, ", Inc., an" and three
# words fit in 150; a name after the category in 60.
_SPAN = {"category before": (45, 60), "category after": (150, 1), "its servers": (60, 1), "named kind": (60, 1)}
_NEEDS = {"doing business as": ("dba", "d/b/a", "doing business"), "case caption": ("v. ",)}


def _anchors(text: str) -> list[tuple[int, int]] | None:
    """(start, end) of every anchor noun; None when lower-casing moves positions (then: whole text)."""
    low = text.lower()
    if len(low) != len(text):
        return None
    return [(m.start(), m.end()) for m in _ANCHOR.finditer(low)]


def _matches(
    label: str, rx: re.Pattern[str], text: str, anchors: list[tuple[int, int]] | None
) -> list[re.Match[str]]:
    span = _SPAN.get(label)
    if span is not None and anchors is not None:
        before, after = span
        windows: list[tuple[int, int]] = []
        for start, end in anchors:
            w = (max(0, start - before), min(len(text), end + after))
            if windows and w[0] <= windows[-1][1]:
                windows[-1] = (windows[-1][0], w[1])
            else:
                windows.append(w)
        # the lookbehinds still see the text before a window (``pos`` does not cut the string); a match
        # running past a window's end is cut there, which the margins make rare
        seen: set[int] = set()
        out = []
        for ws, we in windows:
            for m in rx.finditer(text, ws, we):
                if m.start() not in seen:
                    seen.add(m.start())
                    out.append(m)
        return out
    needs = _NEEDS.get(label)
    if needs is not None and not any(n in text for n in needs):
        return []
    return list(rx.finditer(text))


# Directory names that are also ordinary words ("Signal", "Kick", "Zoom", "Snap", "Proton") need a context
# word beside them; a report often gives none ("Court orders Proton to log ...", "Zoom to pay $85 million
# to settle ..."). Such a name also counts when the text puts it on a side of the legal action: one of the
# detector's own party templates ("orders N to", "N to pay", "summons N", "N's fight") matches it, and the
# name is not the start of a longer proper name or a number ("Signal Hill", "Line 5"). X has rules of its own.
_FUNCTION_WORDS = frozenset(
    ["To", "In", "On", "Over", "For", "Of", "After", "And", "Or", "With", "From", "By", "At", "As", "Into", "Amid", "Against", "Is", "Was", "Has", "Must", "Will", "Can"]
)


def _ambiguous_aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for svc in directory.load().services:
        if svc.is_platform and svc.needs_context and svc.name != "X":
            for form in svc.aliases:
                out.setdefault(form, svc.name)
    return out


def alias_regex(aliases: Iterable[str]) -> re.Pattern[str]:
    """One regex of ``aliases`` as whole names (longest first), bounded as the listed platforms are."""
    alternatives = "|".join(re.escape(a) for a in sorted(aliases, key=lambda a: (-len(a), a)))
    return re.compile(r"(?<![\w@#/.&+-])(?:" + alternatives + r")(?![\w+&]|[-–]\w)")


_AMBIGUOUS = _ambiguous_aliases()
_WORD = re.compile(r"\w+")
_NEXT_WORD = re.compile(r"[ ,]*(\S+)")
# Where a party template can lie around the name: the verb and up to four words before it, or a few
# words and the verb after it.
_PARTY_WINDOW = (110, 90)


def _may_name_ambiguous(text: str) -> bool:
    return not _AMBIGUOUS_HEADS.isdisjoint(_WORD.findall(text))


def _by_head() -> dict[str, re.Pattern[str]]:
    """The aliases grouped by their leading word, one regex per group. Every match starts with its
    alias's leading word as a whole word, so a text without any of these words (most texts) is done
    after one word scan: the alternation of all aliases is a scan the regex engine cannot skip through."""
    groups: dict[str, list[str]] = {}
    for alias in _AMBIGUOUS:
        head = _WORD.match(alias)
        if head is not None:
            groups.setdefault(head.group(0), []).append(alias)
    return {head: alias_regex(aliases) for head, aliases in groups.items()}


_ALIASES_BY_HEAD = _by_head()
_AMBIGUOUS_HEADS = frozenset(_ALIASES_BY_HEAD)


def _ambiguous_matches(text: str) -> list[re.Match[str]]:
    """Exactly the matches of ``alias_regex(_AMBIGUOUS).finditer(text)``: only the aliases whose leading word the
    text has are tried, and a match inside an earlier, longer one ("Alexa" in "Amazon Alexa") is dropped,
    as the one scan would never start there."""
    heads = _AMBIGUOUS_HEADS.intersection(_WORD.findall(text))
    found = sorted(
        (m for head in heads for m in _ALIASES_BY_HEAD[head].finditer(text)), key=lambda m: (m.start(), -m.end())
    )
    out: list[re.Match[str]] = []
    for m in found:
        if not out or m.start() >= out[-1].end():
            out.append(m)
    return out


def _stands_alone(text: str, end: int) -> bool:
    """Whether the name ends where the proper name does: the next word is not capitalised (except a
    function word of a Title Case headline) and not a number."""
    m = _NEXT_WORD.match(text, end)
    if m is None or text[end : end + 1] == ",":
        return True
    word = m.group(1).strip("\"'()[]:;")
    if not word:
        return True
    if word[0].isdigit():
        return False
    return not word[0].isupper() or word in _FUNCTION_WORDS


def _party_positions(text: str) -> list[ContextMention]:
    """The ambiguous directory names that one of the party templates puts on a side of the action."""
    if not _AMBIGUOUS:
        return []
    out: list[ContextMention] = []
    before, after = _PARTY_WINDOW
    for m in _ambiguous_matches(text):
        surface = m.group(0)
        if not _stands_alone(text, m.end()):
            continue
        name = _AMBIGUOUS[surface]
        lo, hi = max(0, m.start() - before), min(len(text), m.end() + after)
        for rx in pt.surface_templates(name, surface).party:
            if any(t.start() <= m.start() < t.end() for t in rx.finditer(text, lo, hi)):
                out.append(ContextMention(name, m.start(), m.end(), surface, "party position"))
                break
    return out


def find(text: str) -> list[ContextMention]:
    """Every platform the text describes as one, in text order (one mention per name and position)."""
    low = text.lower()
    if LEGAL_GATE.search(low) is None:
        return []
    found: dict[tuple[str, int], ContextMention] = {}
    for c in _party_positions(text):
        found.setdefault((c.platform, c.start), c)
    if not _forms_may_match(text, "", low):
        return sorted(found.values(), key=lambda c: c.start)
    online: bool | None = None
    anchors = _anchors(text)
    for label, rx in COMPILED:
        for m in _matches(label, rx, text, anchors):
            if label == "case caption":
                if online is None:
                    online = ONLINE_CUE.search(low) is not None
                if not online:
                    break
            surface = m.group("name")
            canonical = _canonical(surface)
            if canonical is None:
                continue
            if label == "named kind" and directory.load().lookup(surface) is None:
                continue
            cat = m.groupdict().get("cat")
            if cat and cat.split()[-1][:1].isupper() and directory.load().lookup(surface) is None:
                continue  # "Crypto Exchange Loses Bid": every word of a headline is capitalised
            start = m.start("name")
            found.setdefault((canonical, start), ContextMention(canonical, start, start + len(surface), surface, label))
    for m in pt.GENERIC_PLATFORMS.finditer(text):
        found.setdefault(
            (GENERIC, m.start()), ContextMention(GENERIC, m.start(), m.end(), m.group(0), "platforms as a class")
        )
    return sorted(found.values(), key=lambda c: c.start)
