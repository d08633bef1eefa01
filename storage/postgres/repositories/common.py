"""What the PostgreSQL repositories share: text cleaning and column lists."""

from __future__ import annotations

import builtins
import hashlib
from collections.abc import Iterable

# PostgreSQL text cannot hold NUL characters (SQLite's can). Feed text is cleaned long before it gets here,
# but keys, validators and error messages come from outside: a NUL becomes U+FFFD instead of failing the
# write (which would, for a failure record, leave the feed without its backoff).
_NUL = str.maketrans({"\x00": "\ufffd"})


def _t(value: str | None) -> str | None:
    return value.translate(_NUL) if value and "\x00" in value else value


# The first key of the two-key advisory locks a transaction takes on canonical URLs (see known_urls).
URL_LOCK_SPACE = 0x75726C73  # "urls"


def url_lock_keys(urls: Iterable[str]) -> builtins.list[int]:
    """Distinct 32-bit lock keys of ``urls``, sorted, so every transaction takes them in one order (no
    deadlock between two of them). Two URLs that share a key only wait for each other."""
    keys = {
        int.from_bytes(hashlib.blake2b(u.encode("utf-8"), digest_size=4).digest(), "big", signed=True)
        for u in urls
    }
    return sorted(keys)


# Explicit column lists: the search vectors are never read back, and a decoded-case cache entry compares
# the whole row (storage.case_cache), so a case row must have the same columns as SQLite's.
_ARTICLE = "id, feed_id, key, url, title, summary, published, fetched_at, content_hash"
_A_ARTICLE = ", ".join(f"a.{c}" for c in _ARTICLE.split(", "))
_CASE = (
    "pk, id, title, status, action, platforms, counterparties, court, docket, subjects, keywords, opened_at, "
    "updated_at, summary, article_count, version, issues, docket_link"
)
_C_CASE = ", ".join(f"c.{c}" for c in _CASE.split(", "))
# ts_rank weights {D, C, B, A}: summary, subjects, parties, title as bm25(cases_fts, 4.0, 2.0, 1.0, 0.5).
_CASE_RANK = "ts_rank('{0.125,0.25,0.5,1.0}', c.search, $1::tsquery, 1)"
