"""Full-text search on PostgreSQL that answers like SQLite's FTS5 (``unicode61 remove_diacritics 2``).

PostgreSQL's own parser splits text differently from FTS5 (host names, e-mail addresses, hyphenated
words stay whole) and its locale decides what a letter is, so neither side of the match goes through it:
the repositories build the ``tsvector`` of a row and the ``tsquery`` of a user's text here, in Python,
with the tokenizer FTS5 uses: a token is a run of letters and digits, folded to lower case with the
diacritics removed. Each column gets its own weight (for ranking, like ``bm25``'s column weights) and
columns are kept one position apart, so a quoted phrase never matches across two columns (as in FTS5).

The query keeps ``storage.repositories.articles.fts_query``'s rules: at most 12 words, every word must
match (in any column), a word of several tokens ("t-mobile", "x.com") is a phrase, the last word may be
a prefix, a word without tokens is ignored, and text without any word matches nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

# PostgreSQL's limits: positions up to 16383, 256 positions per lexeme, lexemes under 2 KB.
_MAX_POS = 16383
_MAX_POSITIONS = 255
_MAX_LEXEME_BYTES = 2000
_WEIGHTS = "ABCD"


# A token: a run of characters for which ``str.isalnum()`` holds (``\w`` is exactly that plus "_").
_TOKEN = re.compile(r"[^\W_]+")


def _fold(text: str) -> str:
    """Lower case with the diacritics removed (ASCII text, most of it, has none to remove)."""
    if text.isascii():
        return text.lower()
    folded = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", folded).lower()


def tokens(text: str) -> list[str]:
    """FTS5 unicode61 tokens: lower-cased runs of letters and digits, diacritics removed."""
    # A character is at most 4 bytes: only a token of 500 or more may be over the limit.
    return [t for t in _TOKEN.findall(_fold(text)) if len(t) < 500 or len(t.encode("utf-8")) < _MAX_LEXEME_BYTES]


def _quote(lexeme: str) -> str:
    # A token never holds a quote or a backslash (neither is alphanumeric); a user's word may.
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(columns: Sequence[str], weights: str = _WEIGHTS) -> str:
    """The ``tsvector`` (as text, cast with ``::tsvector``) of ``columns``, the i-th with ``weights[i]``
    (A, B, C, D: the first column ranks highest)."""
    positions: dict[str, list[str]] = {}
    pos = 0
    for weight, text in zip(weights, columns, strict=False):
        for token in tokens(text):
            pos += 1
            if pos > _MAX_POS:
                break
            seen = positions.setdefault(token, [])
            if len(seen) < _MAX_POSITIONS:
                seen.append(f"{pos}{weight}")
        pos += 1  # a gap: a phrase cannot run from one column into the next
    # Tokens need no escaping (see _quote).
    return " ".join(f"'{lexeme}':{','.join(p)}" for lexeme, p in positions.items())


def _words(text: str) -> list[str]:
    """The words ``fts_query`` keeps (its character filter and 12-word cap)."""
    kept = "".join(c if c.isalnum() or c in "@_-." else " " for c in text)
    return [w for w in kept.split() if w][:12]


def tsquery_literal(text: str, *, prefix_last: bool = False) -> str | None:
    """The ``tsquery`` (as text) of a user's search text, or None when it can match nothing."""
    words = _words(text)
    if not words:
        return None
    phrases: list[list[str]] = []
    for i, word in enumerate(words):
        toks = tokens(word)
        if not toks:
            continue  # FTS5 drops an empty phrase
        quoted = [_quote(t) for t in toks]
        if prefix_last and i == len(words) - 1:
            quoted[-1] += ":*"
        phrases.append(quoted)
    if not phrases:
        return None
    return " & ".join("(" + " <-> ".join(p) + ")" if len(p) > 1 else p[0] for p in phrases)


def case_document(title: str, platforms_json: str, counterparties_json: str, subjects_json: str, summary: str) -> str:
    """A case's search vector: the columns of SQLite's ``cases_fts`` (title, parties, subjects, summary)."""
    return tsvector_literal([title, f"{platforms_json} {counterparties_json}", subjects_json, summary])


def article_document(title: str, summary: str) -> str:
    """An article's search vector (``articles_fts``: title and summary, weighted alike)."""
    return tsvector_literal([title, summary], weights="DD")
