"""Which CourtListener docket, if any, is a case's docket (pure).

A wrong docket on a case card is worse than none, so a match is accepted only when it is unambiguous:

- the **court** agrees: the docket's ``court_id`` is one the reports name (no court named: the docket
  number or both sides of the caption must agree instead);
- the **parties** agree: one side of the caption is the case's platform, exactly (by its names in
  ``bot/data/platforms.tsv``, its parent company, Twitter ~ X Corp. for dockets filed from 2023-03-15 on,
  Facebook ~ Meta Platforms; "Twitter Fans Club" is not Twitter), and when the reports name the other
  side ("Twitter v. Holder", the DOJ) the other side is that party, word for word or shortened ("Epic"
  for "Epic Games"; an attorney general by any officeholder's name: "Holder" ~ "Barr"; "DOJ" ~ "United
  States"). When the platform is not a party at all (a warrant's target, the host of a removal order),
  a caption that is the reported "A v. B" name, both sides, agrees;
- the **filing date** fits: a trial-court docket filed before the first report (at most
  ``query.FILED_GRACE_DAYS`` after), an appeal's docket before the last report (appeals come later),
  both within the search window;
- and exactly **one** candidate passes. Several passing candidates are "ambiguous", unless one is the
  only one with the reported docket number, the only trial-court docket of a case whose appeals also
  match, or the only trial-court docket filed within a year before the first report (the filing that
  made the news; appeals get no such preference: one caption may have several appeals over the years).
  A page of results that is not the whole answer (``count`` larger) is never unambiguous, except by
  docket number.

Every verdict carries its reasons, which are what ``/case show`` and the logs print.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from bot.detect import directory
from bot.detect import lexicons as lx
from bot.docket import courts as ct
from bot.docket.query import FILED_GRACE_DAYS, DocketQuery, parse_docket_number

Verdict = Literal["match", "ambiguous", "no_match"]

# Twitter, Inc. merged into X Corp. in March 2023; dockets filed since are captioned "X Corp.".
X_CORP_SINCE = date(2023, 3, 15)
NEAR_DAYS = 366  # "filed within a year before the first report": the filing that made the news
_CORPORATE = re.compile(
    r"\b(?:inc|llc|l\.l\.c|corp|corporation|co|company|ltd|limited|plc|lp|llp|n\.a|et al|the|d/b/a|dba|a)\b\.?",
    re.I,
)
_X_CORP = re.compile(r"\bX (?:Corp(?:oration)?|Holdings(?: Corp)?)\b\.?")
# Captions name agencies and the government where news names acronyms.
_GOVERNMENT: dict[str, tuple[str, ...]] = {
    "doj": ("united states", "department of justice", "attorney general"),
    "us department of justice": ("united states", "department of justice", "attorney general"),
    "u.s. department of justice": ("united states", "department of justice", "attorney general"),
    "department of justice": ("united states", "department of justice", "attorney general"),
    "fbi": ("federal bureau of investigation", "united states", "attorney general"),
    "nsa": ("national security agency",),
    "ftc": ("federal trade commission",),
    "irs": ("united states", "internal revenue service"),
    "dhs": ("department of homeland security", "homeland security secretary", "united states"),
    "cbp": ("customs and border protection", "homeland security secretary", "united states"),
    "sec": ("securities and exchange commission",),
    "fcc": ("federal communications commission",),
    "us government": ("united states",),
    "u.s. government": ("united states",),
}


@dataclass(frozen=True, slots=True)
class Candidate:
    """One docket as CourtListener describes it (search result or docket detail)."""

    docket_id: int
    case_name: str
    docket_number: str
    court_id: str
    date_filed: date | None
    absolute_url: str | None = None
    date_last_filing: date | None = None
    date_terminated: date | None = None

    @classmethod
    def from_search(cls, row: Mapping[str, Any]) -> Candidate | None:
        """From a ``type=d`` search result (camelCase names: ``caseName``, ``docketNumber``, ``dateFiled``)."""
        try:
            docket_id = int(row["docket_id"])
        except (KeyError, TypeError, ValueError):
            return None
        return cls(
            docket_id=docket_id,
            case_name=str(row.get("caseName") or row.get("case_name") or ""),
            docket_number=str(row.get("docketNumber") or row.get("docket_number") or ""),
            court_id=str(row.get("court_id") or ""),
            date_filed=_date(row.get("dateFiled")),
            absolute_url=_str(row.get("docket_absolute_url") or row.get("absolute_url")),
            date_terminated=_date(row.get("dateTerminated")),
        )

    @classmethod
    def from_docket(cls, row: Mapping[str, Any]) -> Candidate | None:
        """From ``/api/rest/v4/dockets/{id}/`` (snake_case: ``case_name``, ``date_filed``, ``date_last_filing``)."""
        try:
            docket_id = int(row["id"])
        except (KeyError, TypeError, ValueError):
            return None
        return cls(
            docket_id=docket_id,
            case_name=str(row.get("case_name") or row.get("case_name_full") or ""),
            docket_number=str(row.get("docket_number") or ""),
            court_id=str(row.get("court_id") or ""),
            date_filed=_date(row.get("date_filed")),
            absolute_url=_str(row.get("absolute_url")),
            date_last_filing=_date(row.get("date_last_filing")),
            date_terminated=_date(row.get("date_terminated")),
        )


@dataclass(frozen=True, slots=True)
class Assessment:
    candidate: Candidate
    court_ok: bool
    parties_ok: bool
    date_ok: bool
    number_ok: bool | None  # None: the reports give no docket number
    near: bool  # filed within NEAR_DAYS before the first report
    reasons: tuple[str, ...]

    @property
    def agrees(self) -> bool:
        return self.court_ok and self.parties_ok and self.date_ok and self.number_ok is not False


@dataclass(frozen=True, slots=True)
class MatchResult:
    verdict: Verdict
    docket: Candidate | None
    reasons: tuple[str, ...]
    agreeing: tuple[Candidate, ...] = ()  # every candidate that passed (several: why it is ambiguous)
    considered: int = 0


def match(query: DocketQuery, results: Sequence[Candidate], *, total: int | None = None) -> MatchResult:
    """The verdict on ``results`` (one page of search results; ``total`` is the search's ``count``)."""
    seen = len(results)
    if not results:
        return MatchResult("no_match", None, ("the search found no docket",), considered=0)
    assessed = [assess(query, c) for c in _unique(results)]
    agreeing = [a for a in assessed if a.agrees]
    truncated = total is not None and total > seen
    if not agreeing:
        best = sorted(assessed, key=lambda a: -(a.court_ok + a.parties_ok + a.date_ok))[:3]
        reasons = [f"none of {seen} dockets agrees with the reports"]
        reasons += [f"{_label(a.candidate)}: " + "; ".join(r for r in a.reasons if r.startswith("not ")) for a in best]
        return MatchResult("no_match", None, tuple(reasons), considered=seen)
    if len(agreeing) == 1:
        only = agreeing[0]
        if truncated and only.number_ok is not True:
            return MatchResult(
                "ambiguous", None,
                (f"one of the {seen} dockets seen agrees but the search found {total}: others may too",
                 f"{_label(only.candidate)}: " + "; ".join(only.reasons)),
                (only.candidate,), seen,
            )
        return MatchResult("match", only.candidate, (f"{_label(only.candidate)}", *only.reasons), (only.candidate,), seen)
    chosen, why = _break_tie(agreeing)
    names = ", ".join(_label(a.candidate) for a in agreeing)
    if chosen is not None and truncated and chosen.number_ok is not True:
        return MatchResult(
            "ambiguous", None, (f"{len(agreeing)} of the {seen} dockets seen agree and the search found {total}: "
                                f"{names}",), tuple(a.candidate for a in agreeing), seen,
        )
    if chosen is not None:
        return MatchResult(
            "match", chosen.candidate, (_label(chosen.candidate), *chosen.reasons, f"{why} (of {names})"),
            tuple(a.candidate for a in agreeing), seen,
        )
    return MatchResult(
        "ambiguous", None, (f"{len(agreeing)} dockets agree with the reports: {names}",),
        tuple(a.candidate for a in agreeing), seen,
    )


def _break_tie(agreeing: list[Assessment]) -> tuple[Assessment | None, str]:
    by_number = [a for a in agreeing if a.number_ok]
    if len(by_number) == 1:
        return by_number[0], "the only one with the reported docket number"
    table = ct.load()
    levels = {a.candidate.court_id: (table.get(a.candidate.court_id) or _NO_COURT).level for a in agreeing}
    trial = [a for a in agreeing if levels[a.candidate.court_id] in ("district", "state", "special")]
    courts = {a.candidate.court_id for a in agreeing}
    if len(trial) == 1 and len(courts) == len(agreeing):
        return trial[0], "the trial-court docket; the others are the same case's appeals"
    near = [a for a in agreeing if a.near]
    if len(near) == 1:
        return near[0], "the only one filed within a year before the first report"
    return None, ""


_NO_COURT = ct.Court("", "", "", "", (), ())
_APPELLATE = frozenset({"circuit", "supreme", "state_supreme"})


def assess(query: DocketQuery, cand: Candidate) -> Assessment:
    reasons: list[str] = []
    # court
    if query.court_ids:
        court_ok = cand.court_id in query.court_ids
        reasons.append(f"court {cand.court_id} named in the reports" if court_ok
                       else f"not in a court the reports name ({cand.court_id} vs {', '.join(query.court_ids)})")
    else:
        court_ok = True
    # docket number
    number_ok: bool | None = None
    if query.docket_number:
        want = parse_docket_number(query.docket_number)
        got = parse_docket_number(cand.docket_number)
        if want is not None and got is not None and bool(want.kind) != bool(got.kind):
            # a trial-court number ("14-cv-4480") and an appeal's ("No. 15-16190") are of two dockets of
            # one case: neither confirms nor contradicts
            reasons.append(f"docket number {cand.docket_number} not comparable with {query.docket_number}")
        else:
            number_ok = want is not None and got is not None and want.core == got.core
            reasons.append(f"docket number {cand.docket_number} as reported" if number_ok
                           else f"not the reported docket number ({cand.docket_number or 'none'} vs "
                                f"{query.docket_number})")
    # parties
    sides = caption_sides(cand.case_name)
    platform_keys = platform_captions(query.platforms, cand.date_filed)
    opponent_keys = opponent_captions(query.opponents)
    plat_side = _side_matching(sides, platform_keys, exact=True)
    reported = caption_sides(query.case_name) if query.case_name else []
    platform_named = any(_side_matching([r], platform_keys, exact=True) is not None for r in reported)
    if (plat_side is None and not platform_named and len(reported) == 2 and len(sides) == 2
            and _same_caption(reported, sides)):
        # the platform is not a party (a warrant's target, a removal order's host) but the reports name
        # the case, and this is it: "Hassell v. Bird", "United States v. Chatrie"
        parties_ok = True
        reasons.append(f"the reported case name {query.case_name!r} is the caption ({cand.case_name!r}); "
                       "the platform is not a party")
    elif plat_side is None:
        parties_ok = False
        reasons.append(f"not a caption with {' / '.join(query.platforms) or 'the platform'} as a party "
                       f"({cand.case_name!r})")
    else:
        other = [s for i, s in enumerate(sides) if i != plat_side]
        if opponent_keys:
            opp_ok = _side_matching(other, opponent_keys) is not None
            parties_ok = opp_ok
            reasons.append(f"parties agree ({cand.case_name!r})" if opp_ok
                           else f"not the reported other party ({' / '.join(query.opponents)}) in {cand.case_name!r}")
        else:
            parties_ok = True
            reasons.append(f"platform side agrees ({cand.case_name!r}); the reports name no other party")
    if not query.court_ids and number_ok is not True and not (opponent_keys and parties_ok):
        court_ok = False
        reasons.append("not enough to go on: no court, no docket number and no other party in the reports")
    # date
    date_ok, near = True, False
    if cand.date_filed is None:
        reasons.append("filing date unknown")
    else:
        court = ct.load().get(cand.court_id)
        appeal = court is not None and court.level in _APPELLATE
        if appeal and query.last_report is not None:
            # an appeal is docketed after the first reports of the case and before the last one naming it
            latest = query.last_report + timedelta(days=FILED_GRACE_DAYS)
            if cand.date_filed > latest:
                date_ok = False
                reasons.append(f"not filed before the last report (appeal filed {cand.date_filed}, "
                               f"last report {query.last_report})")
            else:
                # no "near" preference: one caption may have several appeals over the years, and the one
                # filed closest to the first report is no likelier to be this case's than a later one
                reasons.append(f"appeal filed {cand.date_filed}, before the last report {query.last_report}")
        elif query.first_report is not None:
            latest = query.first_report + timedelta(days=FILED_GRACE_DAYS)
            if cand.date_filed > latest:
                date_ok = False
                reasons.append(f"not filed before the first report (filed {cand.date_filed}, "
                               f"first report {query.first_report})")
            else:
                near = cand.date_filed >= query.first_report - timedelta(days=NEAR_DAYS)
                reasons.append(f"filed {cand.date_filed}, before the first report {query.first_report}")
        if query.filed_after and cand.date_filed < query.filed_after:
            date_ok = False
            reasons.append(f"not filed in the window (filed {cand.date_filed}, window from {query.filed_after})")
        if query.filed_before and cand.date_filed > query.filed_before:
            date_ok = False
            reasons.append(f"not filed in the window (filed {cand.date_filed}, window to {query.filed_before})")
    return Assessment(cand, court_ok, parties_ok, date_ok, number_ok, near, tuple(reasons))


# --- party names -------------------------------------------------------------------------------------


def normalize_party(name: str) -> str:
    """Lowercase words of a party name without corporate suffixes: "Twitter, Inc." -> "twitter"."""
    s = name.replace("’", "'").replace("U.S.A.", "United States").replace("U.S.", "United States")
    s = _X_CORP.sub(" xcorp ", s)  # before the suffixes go: "X Corp." must not become "x"
    s = re.sub(r"\bUnited States of America\b", "United States", s)
    s = _CORPORATE.sub(" ", s)
    s = re.sub(r"[^\w&' ]+", " ", s.lower())
    s = re.sub(r"'s\b", "", s)
    return " ".join(s.split())


def caption_sides(case_name: str) -> list[str]:
    """The normalised sides of a caption: "Twitter, Inc. v. Barr" -> ["twitter", "barr"]."""
    parts = re.split(r"\s+v(?:s)?\.?\s+", case_name, maxsplit=1)
    if len(parts) == 1:
        m = re.match(r"\s*In re:?\s+(.*)", case_name, re.I)
        parts = [m.group(1)] if m else parts
    return [normalize_party(p) for p in parts if p.strip()]


def _office(key: str) -> str:
    words = key.split()
    if words and words[-1] in lx.OFFICEHOLDERS:
        return lx.OFFICEHOLDERS[words[-1]]
    return key


def _side_matching(sides: Sequence[str], keys: Iterable[str], *, exact: bool = False) -> int | None:
    """The index of the first side one of ``keys`` names, or None.

    ``exact`` (the platform's side): the side is the platform's name, or lists it among several parties
    ("google and youtube"); "Twitter Fans Club" is not Twitter. Otherwise (the other side, which news
    shortens: "Epic" for "Epic Games") either name may contain the other, word by word.
    """
    keys = [k for k in keys if k]
    for i, side in enumerate(sides):
        side_words = side.split()
        office = _office(side)
        for key in keys:
            kw = key.split()
            if office == key or side == key:
                return i
            if exact:
                if side.startswith(key + " and ") or side.endswith(" and " + key) or f" and {key} and " in side:
                    return i
                continue
            if _contains(side_words, kw) or (_contains(kw, side_words) and len(side) >= 4):
                return i
    return None


def _same_caption(reported: list[str], sides: list[str]) -> bool:
    """Both reported sides name the caption's sides, in either order (an appeal may swap them)."""
    def fits(a: str, b: str) -> bool:
        return _side_matching([b], [a]) is not None or _office(a) == _office(b)

    return (fits(reported[0], sides[0]) and fits(reported[1], sides[1])) or (
        fits(reported[0], sides[1]) and fits(reported[1], sides[0])
    )


def _contains(hay: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return n > 0 and any(hay[i : i + n] == needle for i in range(len(hay) - n + 1))


def platform_captions(platforms: Iterable[str], filed: date | None) -> list[str]:
    """Every caption form of the case's platforms: names, aliases, parent company, successor companies."""
    d = directory.load()
    names: list[str] = []
    for p in platforms:
        names.append(p)
        svc = d.lookup(p)
        if svc is not None:
            names.extend(svc.aliases)
            if svc.parent:
                names.append(svc.parent)
                parent = d.lookup(svc.parent)
                if parent is not None:
                    names.extend(parent.aliases)
        low = p.lower()
        if low in ("facebook", "instagram", "whatsapp", "meta"):
            names += ["Meta Platforms", "Facebook"]
        if low == "x":
            names += ["X Corp", "Twitter"]  # a docket keeps the name it was filed under
        if low == "wikipedia":
            names.append("Wikimedia Foundation")
    keys = [normalize_party(n) for n in names]
    if any(normalize_party(p) == "twitter" for p in platforms) and not any(p.strip() == "X" for p in platforms):
        keys = [k for k in keys if k != "xcorp"]  # Twitter's dockets are "X Corp." only from the merger on
        if filed is None or filed >= X_CORP_SINCE:
            keys.append("xcorp")
    # a bare "x" matches too much; only "X Corp." / "X Holdings" (key "xcorp") stand for X
    return [k for k in dict.fromkeys(keys) if k and k != "x"]


def opponent_captions(opponents: Iterable[str]) -> list[str]:
    keys: list[str] = []
    for o in opponents:
        low = o.strip().lower()
        keys.extend(_GOVERNMENT.get(low, ()))
        key = normalize_party(o)
        if key:
            keys.append(_office(key))
            keys.append(key)
    return list(dict.fromkeys(k for k in keys if k))


# --- helpers -----------------------------------------------------------------------------------------


def _unique(results: Sequence[Candidate]) -> list[Candidate]:
    seen: set[int] = set()
    out = []
    for c in results:
        if c.docket_id not in seen:
            seen.add(c.docket_id)
            out.append(c)
    return out


def _label(c: Candidate) -> str:
    return f"{c.case_name} ({c.court_id} {c.docket_number or 'no number'}, docket {c.docket_id})"


def _date(value: object) -> date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
