"""What a CourtListener docket search needs, read from a case and its reports (pure).

``plan(case, texts)`` returns a :class:`DocketQuery` (court ids, docket number, "A v. B" name, the parties
to check and a filing-date window) or a :class:`NoQuery` that says why there is nothing to look up:
no US court, docket number or case name in the reports, or reports that point to a forum abroad (a
Brazilian or Indian supreme court, the High Court, the EU Court of Justice).

Only the title and summary of each report are read (what a feed carries), plus what detection already
stored on the case (``Case.court`` / ``Case.docket`` surface strings, ``platforms``, ``counterparties``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bot.docket import courts as ct
from bot.models import ArticleText, Case

# How far the search window reaches around the first report. A case's first report usually follows its
# filing within days (the filing is the news), but casewatch may start following a case years after it was
# filed, so the window reaches back FILED_LOOKBACK_DAYS; FILED_GRACE_DAYS after the first report covers a
# report of a suit "to be filed" and a court's docket date trailing the press release.
FILED_LOOKBACK_DAYS = 6 * 366
FILED_GRACE_DAYS = 45

# Docket numbers: district ("3:17-cv-01701", "1:20-cv-01234-ABC", "14-cv-4480") and appellate or
# Supreme Court ("No. 17-2", "No. 21-16506"); the office digit and the judge's initials are not part
# of the number CourtListener compares (its ``docket_number_core``).
_DISTRICT_DOCKET = re.compile(
    r"(?<![\w:-])(?:(?P<office>\d):)?(?P<yy>\d{2})-(?P<kind>cv|cr|mc|mj|md|bk|ap|CV|CR)-(?P<num>\d{1,6})"
    r"(?P<judge>(?:-[A-Z]{2,4})*)(?![\w-])"
)
_APPELLATE_DOCKET = re.compile(r"\b(?:[Nn]os?\.|[Dd]ocket(?: [Nn]o\.?)?|[Cc]ase [Nn]o\.)\s?(?P<yy>\d{2})-(?P<num>\d{1,5})\b(?!-)")

_PARTY_WORD = r"(?:[A-Z][\w&'’.-]*|U\.S\.|de|of|the|and|&|for)"
_CASE_NAME = re.compile(
    r"(?P<left>(?:" + _PARTY_WORD + r"\s+){0,5}?[A-Z][\w&'’.-]*(?:,? (?:Inc|LLC|Corp|Co|Ltd)\.?)?)"
    r"\s+v(?:s)?\.\s+"
    r"(?P<right>(?:U\.S\.|United States|[A-Z][\w&'’-]*)(?:,? (?:Inc|LLC|Corp|Co|Ltd)\.?)?(?:\s+" + _PARTY_WORD + r"){0,4})"
)
# Words that start a sentence or name a court, never a party: trimmed off the sides of "A v. B".
_NOT_PARTY_WORDS = (
    "a an the in on at as after before when while with by for from to of and or but this that these those its "
    "his her their it he she they we our us how why what who new latest court supreme district circuit appeals "
    "judge justice justices ruling case suit lawsuit federal state security letters national filed says said "
    "over about against amid into inside is was has have will would could should may also"
)
_NOT_PARTY = frozenset(_NOT_PARTY_WORDS.split())
# Title-case headline verbs glued before a case name: "Court Dismisses U.S. v. Microsoft".
_HEADLINE_VERB = re.compile(
    r"(?:Dismiss|Hear|Rule|Uphold|Revive|Reject|Block|Back|Side|Weigh|Take|Send|End|Drop|Win|Lose|Settle|"
    r"Revisit|Review|Toss|Throw|Halt|Pause|Allow|Let|Decide|Appeal|Argue|Say|Rebuff|Deny|Grant|Accept)(?:s|es|ed)?"
)
_CONNECTORS = frozenset({"de", "of", "the", "and", "&", "for"})
_SUFFIXES = re.compile(r",?\s+(?:Inc|LLC|Corp|Co|Ltd|Corporation|Company)\.?$")
# Another country's forum: a report naming one (and no US court by a non-bare name) gives no query.
_FOREIGN_COURT = re.compile(
    r"\bHigh Court\b|\bCourt of Justice\b|\bCJEU\b|\bEuropean Court\b|\bFederal Court of Australia\b|"
    r"\bSupreme Federal Court\b|\bSTF\b|\bConstitutional Court\b|\bConseil d['’]État\b|\bBundes\w+\b|"
    r"\bCourt of Appeal\b(?!s)|\b(?:Crown|Magistrates['’]?) Court\b|\btribunal\b|\bTribunal\b"
)
_FOREIGN_PLACES = (
    "Nigeria|Nigerian|Brazil|Brazilian|India|Indian|Russia|Russian|China|Chinese|Turkey|Türkiye|Turkish|Australia|"
    "Australian|France|French|Germany|German|UK|U\\.K\\.|Britain|British|United Kingdom|England|English|Canada|"
    "Canadian|Pakistan|Pakistani|Indonesia|Indonesian|Vietnam|Vietnamese|Iran|Iranian|Uganda|Ugandan|Ethiopia|"
    "Ethiopian|Kenya|Kenyan|South Korea|South Korean|Korea|Korean|Japan|Japanese|Ireland|Irish|Italy|Italian|Spain|"
    "Spanish|Netherlands|Dutch|EU|European|Europe|Nepal|Nepalese|Nepali|Bangladesh|Sri Lanka|Egypt|Thailand|Thai|"
    "Malaysia|Philippines|Singapore|Poland|Polish|Belgium|Belgian|Sweden|Swedish|Norway|Denmark|South Africa|"
    "Mexico|Mexican|Argentina|Tanzania|Kazakhstan|Belarus|Ukraine|Israel|Israeli|Saudi|New Zealand|Delhi|Paris|"
    "London|Berlin|Brussels|Madrid|Dublin|Canberra|Sydney|Tokyo|Seoul"
)
_FOREIGN_ORGAN = re.compile(
    r"\b(?:" + _FOREIGN_PLACES + r")(?:['’]s)?\s+(?:[\w-]+\s+){0,2}?"
    r"(?:court|courts|judge|judges|government|regulator|authority|ministry|commission|commissioner|"
    r"tribunal|police|prosecutors?|watchdog|parliament|minister)\b",
    re.I,
)
_FOREIGN_PARTY = re.compile(r"\b(?:" + _FOREIGN_PLACES + r")\b")


@dataclass(frozen=True, slots=True)
class DocketQuery:
    """One case's CourtListener search, with the facts the match is checked against."""

    case_id: str
    court_ids: tuple[str, ...]  # CourtListener ids, most-named first
    docket_number: str | None  # as the reports wrote it
    case_name: str | None  # "Twitter v. Holder", the most-reported form
    platforms: tuple[str, ...]  # the case's platform names (its side of the caption)
    opponents: tuple[str, ...]  # the other side: the reported name's other party, the counterparties
    first_report: date | None
    last_report: date | None  # an appeal's docket opens after the first reports, before the last
    filed_after: date | None
    filed_before: date | None
    reasons: tuple[str, ...]  # what was found where, for the record

    @property
    def docket_year(self) -> int | None:
        return docket_year(self.docket_number) if self.docket_number else None

    def search_params(self, *, by: str = "auto") -> dict[str, str]:
        """The ``/api/rest/v4/search/?type=d`` parameters: by docket number when there is one, else name."""
        params: dict[str, str] = {"type": "d"}
        after, before = self.filed_after, self.filed_before
        if self.docket_number is not None and by in ("auto", "number"):
            params["docket_number"] = docket_search_form(self.docket_number)
            year = self.docket_year  # "3:23-cv-01701" was filed in 2023, whatever the reports' dates
            if year is not None:
                after, before = date(year, 1, 1), date(year, 12, 31)
        elif self.case_name:
            params["case_name"] = self.case_name
        elif self.platforms:
            params["case_name"] = self.platforms[0]
        if self.court_ids:
            params["court"] = " ".join(self.court_ids)
        if after:
            params["filed_after"] = after.isoformat()
        if before:
            params["filed_before"] = before.isoformat()
        return params


@dataclass(frozen=True, slots=True)
class NoQuery:
    case_id: str
    reason: str


def plan(case: Case, texts: Sequence[ArticleText], *, table: ct.CourtTable | None = None) -> DocketQuery | NoQuery:
    """The search for ``case``, or why there is none."""
    table = table or ct.load()
    blobs = [f"{t.title}. {t.summary}" for t in texts]
    if case.court:
        blobs.append(case.court)
    if case.docket:
        blobs.append(f"No. {case.docket}" if _APPELLATE_ONLY.fullmatch(case.docket) else case.docket)
    reasons: list[str] = []

    mentions = [m for blob in blobs for m in ct.find_courts(blob, table)]
    named = [m for m in mentions if not m.bare]
    foreign = _foreign_signal(blobs, case)
    if foreign and not named:
        return NoQuery(case.id, f"the reports point to a court abroad ({foreign}) and name no US court")
    usable = named if foreign else mentions
    counts = Counter(m.court_id for m in usable)
    court_ids = tuple(sorted(counts, key=lambda c: (-counts[c], _first(usable, c))))
    if court_ids:
        reasons.append("court: " + ", ".join(f"{c} ({_surface(usable, c)!r})" for c in court_ids))

    number = _docket_number(blobs)
    if number:
        reasons.append(f"docket number: {number}")

    name = _case_name(blobs, case)  # (with a forum abroad, only reached when a US court is named too)
    if name:
        reasons.append(f"case name: {name}")

    if not (court_ids or number or name):
        return NoQuery(case.id, "the reports name no US court, docket number or 'A v. B' case name")

    first, last = _report_span(texts, case)
    filed_after, filed_before = _window(first, last)
    if first:
        reasons.append(f"first report: {first.isoformat()}")
    opponents = _opponents(name, case)
    return DocketQuery(
        case_id=case.id,
        court_ids=court_ids,
        docket_number=number,
        case_name=name,
        platforms=tuple(case.platforms),
        opponents=opponents,
        first_report=first,
        last_report=last,
        filed_after=filed_after,
        filed_before=filed_before,
        reasons=tuple(reasons),
    )


_APPELLATE_ONLY = re.compile(r"\d{2}-\d{1,5}")


def _first(mentions: list[ct.CourtMention], cid: str) -> int:
    return next(i for i, m in enumerate(mentions) if m.court_id == cid)


def _surface(mentions: list[ct.CourtMention], cid: str) -> str:
    return next(m.surface for m in mentions if m.court_id == cid)


def _foreign_signal(blobs: Iterable[str], case: Case) -> str | None:
    for blob in blobs:
        m = _FOREIGN_COURT.search(blob) or _FOREIGN_ORGAN.search(blob)
        if m:
            return m.group(0)
    for party in case.counterparties:
        m = _FOREIGN_PARTY.search(party)
        if m:
            return party
    return None


# --- docket numbers ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DocketNumber:
    yy: int
    kind: str  # "cv", "cr", ... or "" for an appellate / Supreme Court number
    num: int

    @property
    def core(self) -> str:
        return f"{self.yy:02d}-{self.kind}-{self.num}" if self.kind else f"{self.yy:02d}-{self.num}"


def parse_docket_number(text: str) -> DocketNumber | None:
    """The comparable core of a docket number, ignoring the office digit, zero padding and judge initials."""
    text = text.strip()
    m = _DISTRICT_DOCKET.search(text)
    if m:
        return DocketNumber(int(m.group("yy")), m.group("kind").lower(), int(m.group("num")))
    m = _APPELLATE_DOCKET.search(text) or re.fullmatch(r"(?P<yy>\d{2})-(?P<num>\d{1,5})", text)
    if m:
        return DocketNumber(int(m.group("yy")), "", int(m.group("num")))
    return None


def docket_year(number: str) -> int | None:
    parsed = parse_docket_number(number)
    if parsed is None:
        return None
    this_year = datetime.now(UTC).year % 100
    return 2000 + parsed.yy if parsed.yy <= this_year + 1 else 1900 + parsed.yy


def docket_search_form(number: str) -> str:
    """What to send as ``docket_number``: the number without "No." and without the judge's initials."""
    m = _DISTRICT_DOCKET.search(number)
    if m:
        office = f"{m.group('office')}:" if m.group("office") else ""
        return f"{office}{m.group('yy')}-{m.group('kind').lower()}-{m.group('num')}"
    m = _APPELLATE_DOCKET.search(number)
    if m:
        return f"{m.group('yy')}-{m.group('num')}"
    return number.strip()


def _docket_number(blobs: Iterable[str]) -> str | None:
    found: Counter[str] = Counter()
    order: dict[str, int] = {}
    surfaces: dict[str, str] = {}
    for blob in blobs:
        for rx in (_DISTRICT_DOCKET, _APPELLATE_DOCKET):
            for m in rx.finditer(blob):
                parsed = parse_docket_number(m.group(0))
                if parsed is None:
                    continue
                key = parsed.core
                surface = m.group(0) if rx is _DISTRICT_DOCKET else f"{m.group('yy')}-{m.group('num')}"
                found[key] += 1
                order.setdefault(key, len(order))
                if len(surface) > len(surfaces.get(key, "")):
                    surfaces[key] = surface  # the fullest form seen ("3:17-cv-01701" over "17-cv-1701")
    if not found:
        return None
    # a trial-court number over an appellate one (the trial docket is the case's docket), then the most
    # reported, then the first seen
    best = min(found, key=lambda k: (k.count("-") < 2, -found[k], order[k]))
    return surfaces[best]


# --- case names --------------------------------------------------------------------------------------


def _case_name(blobs: Iterable[str], case: Case) -> str | None:
    """The most-reported "A v. B" name, its sides trimmed to the party names."""
    known = _known_names(case)
    names: Counter[str] = Counter()
    order: dict[str, int] = {}
    for blob in blobs:
        for m in _CASE_NAME.finditer(blob):
            left = _trim_left(m.group("left"), known)
            right = _trim_right(m.group("right"), known, left)
            if not left or not right:
                continue
            name = f"{left} v. {right}"
            names[name] += 1
            order.setdefault(name, len(order))
    if not names:
        return None
    return sorted(names, key=lambda n: (-names[n], order[n]))[0]


def _known_names(case: Case) -> list[str]:
    from bot.detect import directory

    out: list[str] = []
    d = directory.load()
    for p in case.platforms:
        out.append(p)
        svc = d.lookup(p)
        if svc is not None:
            out.extend(svc.aliases)
    out.extend(case.counterparties)
    return sorted({n for n in out if n}, key=len, reverse=True)


def _words(side: str) -> list[str]:
    return side.replace(",", " ,").split()


def _trim_left(side: str, known: list[str]) -> str:
    side = side.strip()
    suffix = _SUFFIXES.search(side)
    if suffix is not None and suffix.start() > 0:  # "Chirper, Inc.": trim the name, keep its suffix
        return _trim_left(side[: suffix.start()], known) + suffix.group(0)
    for name in known:  # a known party at the end of the left side is the party
        if side == name or side.endswith(" " + name):
            return name
    words = _words(side)
    for gov in ("United States", "U.S.", "US"):  # "Court Dismisses U.S. v. Microsoft"
        parts = gov.split()
        for i in range(len(words) - len(parts) + 1):
            if words[i : i + len(parts)] == parts and i + len(parts) == len(words):
                return gov
    # cut at the last word that cannot be part of a party name ("In", "The", "Security"): the party follows
    for i in range(len(words) - 1, -1, -1):
        ends_phrase = words[i].endswith((".", ":")) and words[i] not in ("U.S.", "Inc.", "Co.", "Corp.")
        if words[i].lower() in _NOT_PARTY or ends_phrase or _HEADLINE_VERB.fullmatch(words[i]):
            words = words[i + 1 :]
            break
    while words and words[0].lower() in _CONNECTORS:
        words = words[1:]
    if len(words) > 1 and words[0] in ("U.S.", "US"):
        words = words[1:]  # "U.S. Epic v. Apple": a headline's leading country tag
    # two words at most: the search ANDs the name's words, so a stray headline word would lose the docket
    # while a shortened party name ("Legal Services" of a longer one) still finds it
    words = words[-2:]
    return _clean(" ".join(words))


def _trim_right(side: str, known: list[str], left: str) -> str:
    side = side.strip()
    for name in known:
        if side == name or side.startswith(name + " ") or side.startswith(name + ","):
            return name
    words = _words(side)
    out: list[str] = []
    for w in words:
        bare = w.strip(".,;:")
        if out and (bare.lower() in _NOT_PARTY or (left and bare == left.split()[0]) or w == ","):
            break
        if out and w.endswith(".") and w not in ("U.S.", "Inc.", "Co.", "Corp.", "Ltd."):
            out.append(w.rstrip("."))
            break
        out.append(w)
    while out and out[-1].lower() in _CONNECTORS:
        out.pop()
    return _clean(" ".join(out[:3]))


def _clean(side: str) -> str:
    side = side.replace(" ,", ",").strip(" ,;:'’\"")
    if side.endswith(("'s", "’s")):
        side = side[:-2]
    return side


def _opponents(name: str | None, case: Case) -> tuple[str, ...]:
    out: list[str] = []
    if name:
        left, _, right = name.partition(" v. ")
        plats = {p.lower() for p in case.platforms}
        # the side that is not the platform is the opponent; both, when neither is a known platform
        for side in (left, right):
            if side.lower() not in plats:
                out.append(side)
    out.extend(c for c in case.counterparties if not _venue_like(c))
    return tuple(dict.fromkeys(out))


def _venue_like(name: str) -> bool:
    """A counterparty that is the venue ("Ninth Circuit", "California courts"), not a side."""
    return bool(re.search(r"\b(?:[Cc]ourts?|Circuit|Tribunal|[Jj]udges?)\b", name))


# --- dates -------------------------------------------------------------------------------------------


def _report_span(texts: Sequence[ArticleText], case: Case) -> tuple[date | None, date | None]:
    dates = [
        (t.published if t.published.tzinfo else t.published.replace(tzinfo=UTC)).astimezone(UTC).date()
        for t in texts if t.published is not None
    ]
    if dates:
        return min(dates), max(dates)
    if case.opened_at is not None:
        opened = case.opened_at.date()
        return opened, (case.updated_at.date() if case.updated_at else opened)
    return None, None


def _window(first: date | None, last: date | None) -> tuple[date | None, date | None]:
    """Filed from FILED_LOOKBACK_DAYS before the first report to FILED_GRACE_DAYS after the last one (the
    window must hold the appeals the later reports name; the matcher holds trial dockets to the first)."""
    if first is None:
        return None, None
    return first - timedelta(days=FILED_LOOKBACK_DAYS), (last or first) + timedelta(days=FILED_GRACE_DAYS)
