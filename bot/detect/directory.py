"""The directory of online services and of companies that are not platforms (``bot/data/platforms.tsv``).

One row per service: canonical name, kind (``platform`` or ``company``), category, parent company,
the exact surface forms news text uses, and whether the name is also an ordinary word (``context``),
so that it only counts as the service next to a word that says so ("the messaging app Signal",
"Kraken, a crypto exchange"). Data only, reviewed like code; ``lexicons.PLATFORM_ALIASES`` keeps the
hand-made regex aliases of the most reported platforms, which take precedence over a row of the same
name.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

DIRECTORY_FILE = Path(__file__).resolve().parents[1] / "data" / "platforms.tsv"
_COLUMNS = ("name", "kind", "category", "parent", "aliases", "context")
_HEADER = "\t".join(_COLUMNS)


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    kind: str  # "platform" or "company"
    category: str
    parent: str | None
    aliases: tuple[str, ...]
    needs_context: bool

    @property
    def is_platform(self) -> bool:
        return self.kind == "platform"


@dataclass(frozen=True, slots=True)
class Directory:
    services: tuple[Service, ...]
    by_alias: dict[str, Service]  # exact surface form -> service
    by_folded: dict[str, Service]  # lowercase surface form -> service (context-recognised names)

    def lookup(self, surface: str) -> Service | None:
        return self.by_alias.get(surface) or self.by_folded.get(surface.lower())


def parse(lines: list[str]) -> Directory:
    rows = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    reader = csv.reader(rows, delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != _COLUMNS:
        raise ValueError(f"platforms.tsv: header must be {_HEADER!r}, got {header!r}")
    services: list[Service] = []
    by_alias: dict[str, Service] = {}
    by_folded: dict[str, Service] = {}
    for n, row in enumerate(reader, start=2):
        if len(row) != len(_COLUMNS):
            raise ValueError(f"platforms.tsv row {n}: {len(row)} columns, expected {len(_COLUMNS)}")
        name, kind, category, parent, aliases, context = (c.strip() for c in row)
        forms = tuple(dict.fromkeys(a.strip() for a in [name, *aliases.split("|")] if a.strip()))
        svc = Service(name, kind, category, parent or None, forms, context == "1")
        services.append(svc)
        for form in forms:
            by_alias.setdefault(form, svc)
            by_folded.setdefault(form.lower(), svc)
    return Directory(tuple(services), by_alias, by_folded)


@functools.cache
def load() -> Directory:
    """The shipped directory (an empty one when the data file is missing, e.g. a partial install)."""
    if not DIRECTORY_FILE.exists():
        return Directory((), {}, {})
    return parse(DIRECTORY_FILE.read_text(encoding="utf-8").splitlines())
