"""The legal questions a case is about (First Amendment, Section 230, antitrust ...), as tags with reasons.

People follow cases by what is at stake as much as by who is fighting: a community that cares about
encryption wants every encryption fight, whichever platform it is. The tags come from cues in the
report text, kept as reviewable data in ``bot/data/legal_issues.tsv`` (issue, weight, cue): a weight-2
cue names the issue outright ("Section 230", "antitrust"), weight-1 cues only hint at it, and an
article carries an issue when its cues add up to :data:`TAG_AT`. A case's issues are those of its
articles (:func:`case_issues`), most reported first. Pure functions, no I/O beyond reading the table
once.
"""

from __future__ import annotations

import csv
import functools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ISSUES_FILE = Path(__file__).resolve().parents[1] / "data" / "legal_issues.tsv"
TAG_AT = 2  # the weight an issue's cues must add up to in one article

# The issues, in display order, with the label people read on cards, filters and forum tags.
LABELS: dict[str, str] = {
    "free_speech": "Free speech",
    "section_230": "Section 230",
    "anonymous_speech": "Anonymous speech",
    "sca_ecpa": "Stored Communications Act / ECPA",
    "fisa_nsl": "FISA / NSLs",
    "encryption": "Encryption",
    "data_protection": "Data protection",
    "online_safety": "Online safety laws (DSA/DMA)",
    "competition": "Competition / antitrust",
    "child_safety": "Child safety",
    "biometric_privacy": "Biometric privacy",
    "copyright": "Copyright",
}
# The same labels in at most 20 characters: Discord's limit for a forum tag name.
TAG_LABELS: dict[str, str] = {
    "free_speech": "Free speech",
    "section_230": "Section 230",
    "anonymous_speech": "Anonymous speech",
    "sca_ecpa": "SCA / ECPA",
    "fisa_nsl": "FISA / NSLs",
    "encryption": "Encryption",
    "data_protection": "Data protection",
    "online_safety": "Online safety laws",
    "competition": "Antitrust",
    "child_safety": "Child safety",
    "biometric_privacy": "Biometric privacy",
    "copyright": "Copyright",
}
# Other names people type for an issue in /alerts filters and /case search (lowercase).
ALIASES: dict[str, tuple[str, ...]] = {
    "free_speech": ("first amendment", "1a", "speech", "censorship"),
    "section_230": ("230", "cda 230", "cda"),
    "anonymous_speech": ("anonymity", "unmasking", "anonymous"),
    "sca_ecpa": ("sca", "ecpa", "stored communications act", "wiretap act"),
    "fisa_nsl": ("fisa", "nsl", "section 702", "702", "national security letter"),
    "encryption": ("end-to-end encryption", "e2ee", "backdoor"),
    "data_protection": ("gdpr", "privacy", "data privacy", "ccpa"),
    "online_safety": ("dsa", "dma", "online safety act", "osa", "digital services act"),
    "competition": ("antitrust", "monopoly"),
    "child_safety": ("kosa", "coppa", "csam", "kids online safety"),
    "biometric_privacy": ("bipa", "biometrics", "facial recognition"),
    "copyright": ("dmca", "piracy"),
}
_ACRONYM = re.compile(r"^[A-Z0-9]{2,}s?\??$|^[A-Z]{2,}s\?$")


@dataclass(frozen=True, slots=True)
class Cue:
    issue: str
    weight: int
    regex: re.Pattern[str]
    source: str
    # A literal every match starts with (lowercase unless the cue is case-sensitive), or "" when the
    # cue starts with a group or class: the regex only runs on texts that contain it (see issues_of).
    literal: str = ""
    folded: bool = True


def _top_level_alternation(cue: str) -> bool:
    depth, escaped, in_class = 0, False, False
    for ch in cue:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            return True
    return False


def literal_prefix(cue: str) -> str:
    """The literal text every match of ``cue`` starts with ("" if none): the characters before the
    first regex syntax, less a last character that a quantifier makes optional ("cookies?" -> "cookie");
    "" when the cue is an alternation at its top level ("a|b" starts with either)."""
    if _top_level_alternation(cue):
        return ""
    out: list[str] = []
    for ch in cue:
        if ch in "\\.[](){}*+?|^$":
            if ch in "?*{" and out:
                out.pop()
            break
        out.append(ch)
    return "".join(out)


@dataclass(frozen=True, slots=True)
class IssueTag:
    """One legal issue of an article and the words in its text that say so."""

    key: str
    weight: int
    words: tuple[str, ...]

    @property
    def label(self) -> str:
        return LABELS[self.key]

    def reason(self) -> str:
        return f"issue: {self.label} (" + ", ".join(f"'{w}'" for w in self.words) + ")"


def _compile(cue: str) -> re.Pattern[str]:
    """Word boundaries around the cue; case-insensitive except for acronyms ("DSA" is not "dsa")."""
    flags = 0 if _ACRONYM.match(cue) else re.IGNORECASE
    return re.compile(r"(?<![\w-])(?:" + cue + r")(?![\w-])", flags)


def parse_table(lines: Iterable[str]) -> tuple[Cue, ...]:
    """The cues of a table in ``legal_issues.tsv``'s format; a bad row is a ``ValueError`` naming it."""
    rows = [line for line in lines if line.strip() and not line.startswith("#")]
    reader = csv.reader(rows, delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(reader, None)
    if header is None or header[:3] != ["issue", "weight", "cue"]:
        raise ValueError(f"legal_issues.tsv: header must start with issue, weight, cue; got {header!r}")
    cues: list[Cue] = []
    for n, row in enumerate(reader, start=2):
        if len(row) < 3:
            raise ValueError(f"legal_issues.tsv row {n}: expected issue, weight, cue")
        issue, weight, cue = row[0].strip(), row[1].strip(), row[2].strip()
        if issue not in LABELS:
            raise ValueError(f"legal_issues.tsv row {n}: unknown issue {issue!r}")
        if weight not in {"1", "2"}:
            raise ValueError(f"legal_issues.tsv row {n}: weight must be 1 or 2, got {weight!r}")
        try:
            regex = _compile(cue)
        except re.error as exc:
            raise ValueError(f"legal_issues.tsv row {n}: bad cue {cue!r}: {exc}") from None
        folded = bool(regex.flags & re.IGNORECASE)
        prefix = literal_prefix(cue)
        cues.append(Cue(issue, int(weight), regex, cue, prefix.lower() if folded else prefix, folded))
    return tuple(cues)


@functools.cache
def cues() -> tuple[Cue, ...]:
    return parse_table(ISSUES_FILE.read_text(encoding="utf-8").splitlines())


def issues_of(title: str, summary: str, table: Sequence[Cue] | None = None) -> tuple[IssueTag, ...]:
    """The legal issues one article's text raises, in display order, each with the words that say so.

    Each cue row counts once however often it matches, so repeating a hint word is not evidence.
    A cue's regex runs only when the text contains its literal prefix: 120 regexes over every relevant
    article cost 1.4 ms, the containment checks a few microseconds each (same answers: see the
    differential test)."""
    text = f"{title}. {summary}" if title else summary
    low = text.lower()
    weight: Counter[str] = Counter()
    words: dict[str, list[str]] = {}
    for cue in table if table is not None else cues():
        if cue.literal and cue.literal not in (low if cue.folded else text):
            continue
        m = cue.regex.search(text)
        if m is None:
            continue
        weight[cue.issue] += cue.weight
        found = words.setdefault(cue.issue, [])
        if m.group(0) not in found and len(found) < 3:
            found.append(m.group(0))
    return tuple(
        IssueTag(key, weight[key], tuple(words[key])) for key in LABELS if weight[key] >= TAG_AT
    )


CASE_LIMIT = 4  # issues shown per case: what it is mostly about, not every passing word


def add_counts(counts: Iterable[tuple[str, int]], more: Iterable[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    """Two (issue, reports) tallies summed, in display order (unknown keys dropped); deterministic."""
    total: Counter[str] = Counter()
    for key, n in (*counts, *more):
        if key in LABELS and n > 0:
            total[key] += n
    return tuple((k, total[k]) for k in LABELS if total[k])


def tally(keys: Iterable[str]) -> tuple[tuple[str, int], ...]:
    """One article's issues as a tally (each key once)."""
    return add_counts((), ((k, 1) for k in set(keys)))


def ranked(counts: Iterable[tuple[str, int]], limit: int = CASE_LIMIT) -> tuple[str, ...]:
    """The issues of a tally, most reported first (ties in display order), at most ``limit``."""
    order = list(LABELS)
    pairs = [(k, n) for k, n in counts if k in LABELS and n > 0]
    return tuple(k for k, _ in sorted(pairs, key=lambda kn: (-kn[1], order.index(kn[0])))[:limit])


def case_issues(per_article: Iterable[Iterable[str]], limit: int = CASE_LIMIT) -> tuple[str, ...]:
    """A case's issues from its articles' issue keys: the most reported first (ties in display order),
    at most ``limit``, so a card shows what the case is mostly about rather than every passing word."""
    counts: tuple[tuple[str, int], ...] = ()
    for keys in per_article:
        counts = add_counts(counts, tally(keys))
    return ranked(counts, limit)


def parse_issue(value: str) -> str | None:
    """The issue key a user typed (key, label, or a unique prefix of either, any case); None if unknown
    or ambiguous. For ``/alerts filters`` and ``/case search``."""
    want = " ".join(value.strip().lower().replace("_", " ").split())
    if not want:
        return None
    names = {k: {k.replace("_", " "), label.lower(), *ALIASES.get(k, ())} for k, label in LABELS.items()}
    exact = [k for k, known in names.items() if want in known]
    if exact:
        return exact[0]
    found = [k for k, known in names.items() if any(n.startswith(want) for n in known)]
    return found[0] if len(found) == 1 else None


def parse_issues(values: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(issue keys in display order, the values that named no issue) for a list a user typed."""
    keys: set[str] = set()
    bad: list[str] = []
    for value in values:
        key = parse_issue(value)
        if key is None:
            bad.append(value)
        else:
            keys.add(key)
    return tuple(k for k in LABELS if k in keys), tuple(bad)
