"""Decoded case rows, reused while the stored row is unchanged.

Grouping reads the same ~200 candidate cases of a busy platform for every new article, and decoding
them (four JSON arrays, two timestamps and two enums per row) cost more than the query itself. The
database stays the source of truth: the caller still reads every row in full and the cache only hands
back the ``Case`` decoded from an identical row (all columns compared), so a write by another process,
a rolled-back transaction or a merge that deleted the case can never yield a stale case. The cache is
per repository instance (one per connection, so per process); it costs one tuple comparison per row.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from bot.models import Case
from storage.codec import case_from_row

# ~3 KB each on the benchmark data, up to ~10 KB for big real cases. Room for the shortlists of the
# platforms warmed at start (bot.cases.tracker.WARM_PLATFORMS x CANDIDATE_LIMIT) plus what they push out.
DEFAULT_MAX_CASES = 4096


class DecodedCaseCache:
    """Row-validated LRU of decoded cases, keyed by case id."""

    def __init__(
        self, max_cases: int = DEFAULT_MAX_CASES, decode: Callable[[Any], Case] = case_from_row
    ) -> None:
        if max_cases < 1:
            raise ValueError("max_cases must be at least 1")
        self.max_cases = max_cases
        self._decode = decode
        self._entries: OrderedDict[str, tuple[int | None, tuple[Any, ...], Case]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def case(self, row: Any) -> Case:
        """The ``Case`` of ``row`` (a ``sqlite3.Row`` of ``SELECT * FROM cases``), decoded at most once
        per distinct row content."""
        raw = tuple(row)
        case_id = row["id"]
        entries = self._entries
        cached = entries.get(case_id)
        if cached is not None and cached[1] == raw:
            entries.move_to_end(case_id)
            self.hits += 1
            return cached[2]
        self.misses += 1
        case = self._decode(row)
        version = row["version"] if "version" in row.keys() else None  # noqa: SIM118 (sqlite3.Row: `in` tests values)
        entries[case_id] = (version, raw, case)
        entries.move_to_end(case_id)
        if len(entries) > self.max_cases:
            entries.popitem(last=False)
        return case

    def known(self, case_id: str, version: int) -> Case | None:
        """The decoded case if the cached row had exactly this version (schema 0005: every write of a
        case row sets a new random version), else None: the caller then reads the full row."""
        cached = self._entries.get(case_id)
        if cached is None or cached[0] is None or cached[0] != version:
            return None
        self._entries.move_to_end(case_id)
        self.hits += 1
        return cached[2]

    def cases(self, rows: Iterable[Any]) -> list[Case]:
        return [self.case(r) for r in rows]

    def forget(self, case_ids: Iterable[str] = ()) -> None:
        """Drop entries (all when ``case_ids`` is empty). Only frees memory: correctness never needs it."""
        ids = list(case_ids)
        if not ids:
            self._entries.clear()
        for case_id in ids:
            self._entries.pop(case_id, None)
