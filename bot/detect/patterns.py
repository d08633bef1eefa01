"""The lexicons compiled once at import: the detector applies these and never builds a regex per call."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from bot.detect import directory
from bot.detect import lexicons as lx
from bot.detect import stage_cues as sc

_I = re.IGNORECASE
_BOUND_L = r"(?<![\w@#/.-])"
_BOUND_R = r"(?![\w-])"

# X's own alias: the bare capital letter, only used once X_CONTEXT said the text is about the platform.
X_ALIAS = r"X(?: Corp\.?)?"


@dataclass(frozen=True, slots=True)
class PlatformPattern:
    name: str
    alias: str  # the raw alias regex, case-sensitive, for embedding in templates
    regex: re.Pattern[str]
    bad_after: re.Pattern[str] | None
    bad_before: re.Pattern[str] | None


def _platform(name: str, alias: str) -> PlatformPattern:
    after = lx.PLATFORM_BAD_FOLLOWERS.get(name)
    before = lx.PLATFORM_BAD_PRECEDERS.get(name)
    return PlatformPattern(
        name=name,
        alias=alias,
        regex=re.compile(_BOUND_L + "(?:" + alias + ")" + r"(?!\w)"),
        bad_after=re.compile(after) if after else None,
        bad_before=re.compile(before) if before else None,
    )


_HAND: tuple[PlatformPattern, ...] = tuple(_platform(n, a) for n, a in lx.PLATFORM_ALIASES.items())


_LEAD = re.compile(r"[A-Za-z0-9]+")


def _lead(form: str) -> str:
    m = _LEAD.match(form)
    return m.group(0) if m else ""


def _directory_aliases() -> dict[str, str]:
    """Alias regexes of the directory's platforms that the hand-made aliases do not already cover.

    Names that are also ordinary words (``context`` = 1) are left out: they count only where a word
    says what they are (``context.py``). Companies that are not platforms are never aliases.
    """
    hand = [p.regex for p in _HAND]
    out: dict[str, str] = {}
    for svc in directory.load().services:
        if not svc.is_platform or svc.needs_context or svc.name in lx.PLATFORM_ALIASES or svc.name == "X":
            continue  # X (the letter) has rules of its own: X_PLATFORM_CONTEXT
        # "The Pirate Bay" is also written "Pirate Bay"; a leading "The" would make every text a maybe
        forms = [f.removeprefix("The ") for f in svc.aliases]
        # the prefilter looks for each alias's leading word: one of one or two letters ("M-Pesa", "Go ...")
        # would make it say "maybe" for almost every text, so such forms are left to the others
        forms = [f for f in dict.fromkeys(forms) if len(_lead(f)) >= 3 and not any(rx.fullmatch(f) for rx in hand)]
        # court feeds capitalise party names ("In re NETFLIX, INC."): the capitals of a long name too
        forms += [f.upper() for f in forms if len(_lead(f)) >= 4 and f.upper() != f]
        if forms:
            out[svc.name] = "|".join(re.escape(f) for f in sorted(set(forms), key=lambda f: (-len(f), f)))
    return out


PLATFORMS: tuple[PlatformPattern, ...] = _HAND + tuple(
    _platform(n, a) for n, a in _directory_aliases().items()
)
# All aliases in one pass (group pN = PLATFORMS[N]): one scan of the text instead of one per platform.
ANY_PLATFORM = re.compile(
    _BOUND_L + "(?:" + "|".join(f"(?P<p{i}>{p.alias})" for i, p in enumerate(PLATFORMS)) + r")(?!\w)"
)
AMAZON_COMPANY_AFTER = re.compile(lx.AMAZON_COMPANY_AFTER)

X_CONTEXT: tuple[re.Pattern[str], ...] = tuple(re.compile(p) for p in lx.X_PLATFORM_CONTEXT)
X_BARE = re.compile(r"(?<![\w@#/.&+-])X(?![\w+&]|[-–]\w)")
X_BAD_BEFORE = re.compile(lx.X_BAD_PRECEDERS)
X_BAD_AFTER = re.compile(lx.X_BAD_FOLLOWERS)


def _alias_group(alias: str) -> str:
    """An alias embedded, case-sensitively, inside a case-insensitive template."""
    return "(?-i:" + alias + ")"


def compile_templates(templates: tuple[str, ...], alias: str) -> tuple[re.Pattern[str], ...]:
    group = _alias_group(alias)
    return tuple(re.compile(t.replace("{p}", group), _I) for t in templates)


@dataclass(frozen=True, slots=True)
class PlatformTemplates:
    party: tuple[re.Pattern[str], ...]
    venue: tuple[re.Pattern[str], ...]
    executive: tuple[re.Pattern[str], ...]


def _templates(alias: str) -> PlatformTemplates:
    return PlatformTemplates(
        party=compile_templates(lx.PARTY_TEMPLATES, alias),
        venue=compile_templates(lx.VENUE_TEMPLATES, alias),
        executive=compile_templates(lx.EXECUTIVE_TEMPLATES, alias),
    )


# The hand-listed platforms' templates are compiled here (the detector's word-head index covers them);
# the directory's hundreds and the names recognised from context are compiled on first use.
TEMPLATES: dict[str, PlatformTemplates] = {p.name: _templates(p.alias) for p in _HAND}
TEMPLATES["X"] = _templates(X_ALIAS)
_ALIAS_OF = {p.name: p.alias for p in PLATFORMS}


@functools.lru_cache(maxsize=4096)
def _lazy_templates(name: str, alias: str) -> PlatformTemplates:
    return _templates(alias)


def surface_templates(name: str, surface: str) -> PlatformTemplates:
    """The templates of ``surface`` exactly as written (not the platform's listed alias, which may demand
    a context word after it, like Discord's)."""
    return _lazy_templates(name, re.escape(surface))


def templates_for(name: str, surface: str) -> PlatformTemplates:
    """The party/venue/executive templates of a platform, by name (``surface``: how the text wrote a
    name that no alias lists, e.g. one recognised from context)."""
    tpl = TEMPLATES.get(name)
    if tpl is not None:
        return tpl
    return _lazy_templates(name, _ALIAS_OF.get(name) or re.escape(surface))


@dataclass(frozen=True, slots=True)
class Term:
    regex: re.Pattern[str]
    label: str
    weight: int


LEGAL_TERMS: tuple[Term, ...] = tuple(Term(re.compile(p, _I), a, w) for p, a, w in lx.LEGAL_TERMS)
STAGE_TERMS: tuple[Term, ...] = tuple(Term(re.compile(p, _I), s, w) for p, s, w in sc.STAGE_TERMS)

# Government agents getting at user data without naming the instrument ("feds may obtain ... info").
DATA_DEMAND = re.compile(
    r"\b(?:feds|government|police|FBI|prosecutors|investigators|authorities|DOJ|agents?)\b[^.]{0,30}?"
    r"\b(?:obtain|seize|access|unmask|get|demand|seek)\w*\b[^.]{0,60}?"
    r"\b(?:user|users|reviewers?|customers?|account|personal|identit\w+|emails?|data|records)\b",
    _I,
)
AUTHORITY = re.compile(lx.AUTHORITY_TERMS, _I)
LEGISLATIVE = re.compile(lx.LEGISLATIVE_TERMS, _I)
HARD_ACTION = re.compile(lx.HARD_ACTION_TERMS, _I)
TRANSPARENCY = re.compile(lx.TRANSPARENCY_TERMS, _I)
STATISTIC = re.compile(lx.STATISTIC_TERMS, _I)
PERSON_ACCUSED = re.compile(lx.PERSON_ACCUSED, _I)
SPEECH_OFFENCE = re.compile(lx.SPEECH_OFFENCE, _I)
GENERIC_PLATFORMS = re.compile(lx.GENERIC_PLATFORMS, _I)
GAME_CONTEXT = re.compile(
    r"\b(?:game|games|gamers?|gameplay|players?|boss|spells?|summoner|raid|dungeon|character|heroes|"
    r"monsters?|creatures?|ability|abilities|quest)\b",
    _I,
)
SPORT_CONTEXT = re.compile(
    r"\b(?:basketball|tennis|NBA|WNBA|home[- ]court|full[- ]court|half[- ]court|courtside|court vision|"
    r"playoffs?|Wimbledon|game \d)\b",
    _I,
)
CLOTHING_CONTEXT = re.compile(r"\b(?:suit and tie|wore a suit|tailored suit|suits? and ties?|swimsuit|"
                              r"tracksuit|jumpsuit|spacesuit|follow suit)\b", _I)

COUNTERPARTIES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    # no lookbehind here: it defeats the regex engine's literal scan; the left edge is checked in code
    (name, re.compile(r"(?:" + alias + r")(?![\w-])")) for name, alias in lx.COUNTERPARTY_ALIASES.items()
)
COUNTRY_NOUNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(r"(?:" + noun + r")(?!\w)")) for name, (noun, _) in lx.COUNTRIES.items()
)
COUNTRY_ADJECTIVES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(r"(?:" + adj + r")(?!\w)")) for name, (_, adj) in lx.COUNTRIES.items() if adj
)
# A country adjective names the state only when an organ of state follows within two words.
COUNTRY_ORGAN_AFTER = re.compile(r"(?:'s)? (?:[\w.'-]+ ){0,2}?(?:" + lx.COUNTRY_ORGANS + r")\b", _I)
# "Indian-American", "Irish-born", "British American": a person's background, not a government.
COUNTRY_DESCRIPTOR_AFTER = re.compile(r"-|\s(?:American|born|origin|descent|national|citizens?)\b", _I)
# A place named after a country is not that country: "New Mexico" (a US state), "New South Wales".
PLACE_BEFORE_COUNTRY = re.compile(r"\bNew $")
# Where data sits is no party: "emails stored in Ireland", "servers in Russia" (checked before a noun).
DATA_LOCATION_BEFORE = re.compile(
    r"\b(?:(?:stored|held|located|housed|kept|hosted|saved|sitting)(?: \w+)? in|"
    r"(?:servers?|data cent(?:er|re)s?|facilit(?:y|ies)|emails?|accounts?) (?:located |based |kept )?in) $",
    _I,
)
# "Ireland: ..." opening a headline is a jurisdiction tag of legal news sites, not a party.
JURISDICTION_TAG_AFTER = re.compile(r"\s?:")

# --- extraction ---------------------------------------------------------------------------------------
DOCKET = re.compile(
    r"\b\d{1,2}:\d{2}-(?:cv|cr|mc|mj|md)-\d{3,6}(?:-[A-Z]{2,4})?\b|\b\d{2}-(?:cv|cr|mc)-\d{3,6}\b|"
    r"\bNo\.\s?\d{2}-\d{1,5}\b|\bNos?\.\s?\d{1,2}:\d{2}-\w{2}-\d{3,6}\b"
)
COURT = re.compile(
    r"\b(?:[NSEWMC]\.D\.\s?(?:[A-Z][a-z]{1,4}\.\s?){1,2}|[NSEWMC]\.D\.N\.Y\.|D\.D\.C\.|D\.\s?Mass\.|"
    r"D\.\s?Del\.|D\.N\.J\.)"
    r"|\b(?:U\.S\. )?(?:Court of Appeals for the )?(?:First|Second|Third|Fourth|Fifth|Sixth|Seventh|Eighth|"
    r"Ninth|Tenth|Eleventh|D\.C\.|Federal) Circuit\b"
    r"|\b(?:Northern|Southern|Eastern|Western|Central|Middle) District of [A-Z][a-z]+(?: [A-Z][a-z]+)?\b"
    r"|\bDistrict of Columbia\b"
    r"|\b(?:U\.S\.|US|United States|California|Brazil(?:ian)?|India(?:n)?|Delhi|Canada|Canadian) Supreme Court\b"
    r"|\bSupreme Federal Court\b|\bFederal Court of Australia\b|\bHigh Court\b|\bCourt of Justice\b"
    r"|\bForeign Intelligence Surveillance Court\b|\bFISC\b"
)
HANDLE = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{2,30})\b|['‘“\"]([A-Z][A-Za-z0-9]*_[A-Za-z0-9_]+)['’”\"]")
NAMED_LAW = re.compile(
    r"\b(?:[A-Z][A-Za-z']+[- ](?:and )?){1,5}Act\b|\bSection \d{2,4}\b|\bexecutive orders?\b|"
    r"\b(?:Digital Services|Digital Markets|Online Safety) Act\b|\bGDPR\b|\bDSA\b|\bDMA\b|\bCLOUD Act\b",
)
_PARTY_NAME = r"(?:United States|U\.S\.|[A-Z][\w&'-]*(?:,? Inc\.)?)(?: [A-Z][\w&'-]*){0,2}"
CASE_NAME = re.compile(r"\b(" + _PARTY_NAME + r")\s+v(?:s)?\.\s+(" + _PARTY_NAME + ")")
DEVICE = re.compile(r"\biPhone(?: \d{1,2}[a-zA-Z]?)?\b|\bFortnite\b|\bApp Store\b|\bPlay Store\b|\bChrome\b|"
                    r"\bencryption\b|\bCambridge Analytica\b")
PROPER_NOUN = re.compile(r"\b[A-Z][a-z]{2,}(?:[- ][A-Z][a-z]{2,})*\b")
WORD = re.compile(r"[a-z][a-z'’-]{3,}")
