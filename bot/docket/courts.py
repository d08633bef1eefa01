"""US courts as news names them, mapped to CourtListener court ids (pure; data in bot/data/us_courts.tsv).

The table is data so that a reviewer can read and fix it without reading regexes: one row per court, its
surface forms and its courthouse cities. ``find_courts`` turns it into one compiled scan over a text.

Why not ``courts-db`` (Free Law Project) at run time: measured on this machine it is 2.1 MB installed,
compiles its ~2,800 regexes in ~0.6 s on first use and takes ~15 ms per lookup, and it maps full names
only: "N.D. Cal.", "Ninth Circuit", "9th Cir." and "the Supreme Court" all gave no court, which is how
news writes them. It was used once to check every id of the table (each is a courts-db court id).
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from pathlib import Path

COURTS_FILE = Path(__file__).resolve().parents[1] / "data" / "us_courts.tsv"
_COLUMNS = ("id", "level", "name", "citation", "aliases", "cities")
_HEADER = "\t".join(_COLUMNS)
LEVELS = frozenset({"district", "circuit", "supreme", "state_supreme", "state", "special"})
FEDERAL_LEVELS = frozenset({"district", "circuit", "supreme", "special"})


@dataclass(frozen=True, slots=True)
class Court:
    id: str
    level: str
    name: str
    citation: str
    aliases: tuple[str, ...]  # with their '~' / '^' markers
    cities: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CourtMention:
    """One court named in a text: which court, the words used, where, and whether it was a bare form."""

    court_id: str
    surface: str
    start: int
    bare: bool = False  # "the Supreme Court": counts only when the case shows no foreign forum


@dataclass(frozen=True, slots=True)
class CourtTable:
    courts: tuple[Court, ...]
    by_id: dict[str, Court]
    by_key: dict[str, tuple[str, str]]  # folded alias -> (court id, marker '' | '~' | '^')
    scan: re.Pattern[str]
    district_cities: dict[str, str]  # city -> court id
    circuit_cities: dict[str, str]
    city_scan: re.Pattern[str] | None

    def get(self, court_id: str) -> Court | None:
        return self.by_id.get(court_id)


def fold(surface: str) -> str:
    """The key of a surface form: no dots or spaces, so "S.D.N.Y.", "S.D. N.Y." and "SDNY" are one."""
    return re.sub(r"[\s.]+", "", surface)


def _alias_pattern(alias: str) -> str:
    out: list[str] = []
    for i, ch in enumerate(alias):
        if ch == ".":
            out.append(r"\.?" if i == len(alias) - 1 else r"\.\s?")
        elif ch == " ":
            if i > 0 and alias[i - 1] == ".":
                continue  # the optional space after a dot is already there
            out.append(r"\s+")
        elif ch in "'’":
            out.append("['’]")
        else:
            out.append(re.escape(ch))
    return "".join(out)


def parse(lines: list[str]) -> CourtTable:
    rows = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    reader = csv.reader(rows, delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != _COLUMNS:
        raise ValueError(f"us_courts.tsv: header must be {_HEADER!r}, got {header!r}")
    courts: list[Court] = []
    by_key: dict[str, tuple[str, str]] = {}
    patterns: list[str] = []
    district_cities: dict[str, str] = {}
    circuit_cities: dict[str, str] = {}
    for n, row in enumerate(reader, start=2):
        if len(row) != len(_COLUMNS):
            raise ValueError(f"us_courts.tsv row {n}: {len(row)} columns, expected {len(_COLUMNS)}")
        cid, level, name, citation, aliases, cities = (c.strip() for c in row)
        if level not in LEVELS:
            raise ValueError(f"us_courts.tsv row {n}: level {level!r} is not one of {sorted(LEVELS)}")
        forms = tuple(a.strip() for a in aliases.split("|") if a.strip())
        court = Court(cid, level, name, citation, forms, tuple(c.strip() for c in cities.split("|") if c.strip()))
        courts.append(court)
        for form in forms:
            marker = form[0] if form[0] in "~^" else ""
            bare = form[1:] if marker else form
            key = fold(bare)
            if key in by_key and by_key[key][0] != cid:
                raise ValueError(f"us_courts.tsv row {n}: {bare!r} also names {by_key[key][0]}")
            by_key[key] = (cid, marker)
            patterns.append(_alias_pattern(bare))
        target = district_cities if level == "district" else circuit_cities if level == "circuit" else None
        if target is not None:
            for city in court.cities:
                target.setdefault(city, cid)
    # longest first, so "U.S. Court of Appeals for the Ninth Circuit" wins over "Ninth Circuit"
    patterns.sort(key=len, reverse=True)
    scan = re.compile(r"(?<![\w.])(?:" + "|".join(patterns) + r")(?![\w])")
    city_scan = _city_scan(district_cities, circuit_cities)
    return CourtTable(tuple(courts), {c.id: c for c in courts}, by_key, scan, district_cities, circuit_cities,
                      city_scan)


def _city_scan(district_cities: dict[str, str], circuit_cities: dict[str, str]) -> re.Pattern[str] | None:
    def alt(cities: dict[str, str]) -> str:
        return "|".join(re.escape(c) for c in sorted(cities, key=len, reverse=True))

    if not district_cities and not circuit_cities:
        return None
    # "a federal judge in San Francisco", "filed in federal court in Seattle", "an appeals court in Pasadena"
    appeals = r"(?:federal\s+)?(?:appeals|appellate)\s+(?:court|panel|judges?)"
    federal = (
        r"(?:federal\s+(?:district\s+)?(?:court|judge|jury|magistrate(?:\s+judge)?)s?"
        r"|(?:U\.S\.\s+)?district\s+(?:court|judge)(?:\s+[A-Z][\w.-]*){0,3})"  # "District Judge A. Name in Newark"
    )
    return re.compile(
        rf"\b(?:(?P<appeals>{appeals})\b(?:\s+[\w.,-]+){{0,2}}?\s+in\s+(?P<ccity>{alt(circuit_cities) or '(?!)'})"
        rf"|(?P<federal>{federal})\b(?:\s+[\w.,-]+){{0,2}}?\s+in\s+(?:the\s+)?(?P<dcity>{alt(district_cities) or '(?!)'}))"
        r"(?![\w])",
        re.I,
    )


@functools.cache
def load() -> CourtTable:
    return parse(COURTS_FILE.read_text(encoding="utf-8").splitlines())


# '~' forms ("District of Columbia") count only after a court word: "court for the", "filed in the",
# "judge in the", "sued in the".
_COURT_CONTEXT = re.compile(
    r"\b(?:[Cc]ourts?|judges?|[Ff]iled|sued|suit|lawsuit|case|magistrate)\b[\w\s,'’-]{0,24}?"
    r"\b(?:in|for|of|from|before)\s+(?:the\s+)?$"
)
# A bare "Supreme Court" with a place before it ("Brazil's Supreme Court", "Indian Supreme Court") or
# after it ("Supreme Court of India") is another country's (US states' forms are in the table already).
_QUALIFIER_BEFORE = re.compile(r"\b(?!(?:The|A|An|This|That|US|U\.S\.|America's|Nation's)\b)[A-Z][\w.]*(?:['’]s)?\s+$")
_QUALIFIER_AFTER = re.compile(r"\s+of\s+(?!the\s+United\s+States)(?:the\s+)?[A-Z]")


def find_courts(text: str, table: CourtTable | None = None) -> list[CourtMention]:
    """Every US court the text names, in text order (a court named twice is listed twice)."""
    table = table or load()
    out: list[CourtMention] = []
    for m in table.scan.finditer(text):
        hit = table.by_key.get(fold(m.group(0)))
        if hit is None:
            continue
        cid, marker = hit
        before = text[max(0, m.start() - 48) : m.start()]
        if marker == "~" and not _COURT_CONTEXT.search(before):
            continue
        if marker == "^" and (_QUALIFIER_BEFORE.search(before[-28:]) or _QUALIFIER_AFTER.match(text, m.end())):
            continue
        out.append(CourtMention(cid, m.group(0), m.start(), bare=marker == "^"))
    if table.city_scan is not None:
        for m in table.city_scan.finditer(text):
            circuit = m.group("ccity")
            city: str = circuit or m.group("dcity") or ""
            found = _city_lookup(table.circuit_cities if circuit else table.district_cities, city)
            if found:
                out.append(CourtMention(found, m.group(0), m.start() + m.group(0).find(city)))
    out.sort(key=lambda c: c.start)
    return out


def _city_lookup(cities: dict[str, str], surface: str) -> str | None:
    for city, cid in cities.items():
        if city.lower() == surface.lower():
            return cid
    return None
