"""Plain, single-line, bounded text from the HTML and entities feeds put in titles and summaries.

Titles can be megabytes of hostile tag soup and this runs on every item of every poll, so cleaning
works in linear time and stops once it has enough text.
"""

from __future__ import annotations

import html
import re

ELLIPSIS = "…"

# Elements whose content is never text a reader should see; dropped with their content.
_DROP_NAMES = ("script", "style", "noscript", "template", "iframe", "object", "svg", "math", "title", "head")
# One group per name: the group number picks the end tag. Looking the matched text up by name
# instead would fail on case-folding matches such as "<ſcript" (long s) that re.I accepts.
_DROP_BLOCK = re.compile("<(?:" + "|".join(f"({name})" for name in _DROP_NAMES) + r")\b|<!--", re.I)
_DROP_BLOCK_END = tuple(re.compile(rf"</{name}\s*>", re.I) for name in _DROP_NAMES)
_COMMENT_END = re.compile(r"-->")
# Tags that separate words when rendered; replaced by a space, other tags by nothing.
_BREAK_TAG = re.compile(
    r"</?(?:br|p|div|li|ul|ol|tr|td|th|table|h[1-6]|blockquote|section|article|header|footer|hr|dd|dt|"
    r"figure|figcaption|pre|img)\b[^<>]*>",
    re.I,
)
# A tag: "<" then a letter, "/", "!" or "?", up to ">" but never across another "<" (linear time).
_TAG = re.compile(r"<[a-zA-Z/!?][^<>]*>")
INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufff9-\ufffb\ufffe\uffff\ud800-\udfff]"
)
# What a second pass would still change: a tag-like "<x" or an entity-like "&x" / "&#".
_UNSTABLE_LT = re.compile(r"<(?=[a-zA-Z/!?])")
_UNSTABLE_AMP = re.compile(r"&(?=[a-zA-Z#])")
_MAX_ROUNDS = 3
# clean_text() cleans long values piece by piece (pieces of max_len + _HEAD_EXTRA raw characters)
# until it has enough text, when the value is over _HEAD_MIN_FACTOR * max_len + _HEAD_EXTRA.
_HEAD_MIN_FACTOR = 3
_HEAD_EXTRA = 256
# What a later round or the adversarial fallback could still change: a "<" where a tag or drop
# element may start ("/", "!", "?", a letter: re.I also matches non-ASCII letters such as "ſ" to
# ASCII ones; or the end, whose next character is unknown), or an "&" before a letter (every
# HTML5 entity name starts with an ASCII one), "#" or the end.
_HEAD_UNSTABLE = re.compile(r"<(?:[/!?]|[^\W\d_]|\Z)|&(?:[a-zA-Z#]|\Z)")
# html.unescape()'s own pattern (CPython's html._charref; a test checks they agree).
_CHARREF = re.compile(r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")


def _drop_blocks_closed(s: str) -> tuple[str, bool]:
    """Remove script/style/... elements and comments with their content, in linear time.

    Also says whether every such element was closed (an unclosed one swallows the rest of ``s``).
    """
    out: list[str] = []
    pos = 0
    while (m := _DROP_BLOCK.search(s, pos)) is not None:
        out.append(s[pos : m.start()])
        group = m.lastindex
        end_re = _COMMENT_END if group is None else _DROP_BLOCK_END[group - 1]
        end = end_re.search(s, m.end())
        if end is None:  # unclosed: everything after it is inside the element
            return "".join(out), False
        pos = end.end()
        out.append(" ")
    out.append(s[pos:])
    return "".join(out), True


def _drop_blocks(s: str) -> str:
    return _drop_blocks_closed(s)[0]


def _clean_once(s: str) -> str:
    if "<" in s:
        s = _drop_blocks(s)
        s = _BREAK_TAG.sub(" ", s)
        s = _TAG.sub("", s)
    if "&" in s:
        s = html.unescape(s)
    # isprintable() is a fast C scan; every character INVISIBLE matches is non-printable.
    return s if s.isprintable() else INVISIBLE.sub("", s)


def _truncate(s: str, max_len: int) -> str:
    if len(s) <= max_len:
        return s
    cut = s[: max_len - 1]
    if s[max_len - 1] != " ":  # the cut splits a word: back up to its start
        space = cut.rfind(" ")
        if space > max_len // 2:
            cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


def _entity_crosses_end(s: str) -> bool:
    """Could ``html.unescape`` match differently at the last "&" if more text followed ``s``?

    Only the last "&" can reach the end (no reference contains "&").
    """
    amp = s.rfind("&")
    if amp == -1:
        return False
    m = _CHARREF.match(s, amp)
    if m is None:  # no reference here, decided by at most the three characters after the "&"
        return amp > len(s) - 4
    return m.end() >= len(s)  # a match that stops early stops there whatever follows


def _clean_piece(piece: str) -> str | None:
    """One cleaning round of ``piece``, a slice of a text ending at ">", or None when not separable.

    Accepted only when the round would do the same to ``piece`` inside the whole text and no later
    round could touch it: no drop element left open, no entity match crossing the end, and the
    result holds no "<" or "&" that could start markup or an entity (:data:`_HEAD_UNSTABLE`). The
    last check also rules out tag matches crossing the end: such a match starts at a "<" followed
    by a letter, "/", "!" or "?" (or nothing) with no ">" after it, which no pass removes. Matches
    never look behind their start, so the start of ``piece`` is covered by the previous piece.
    """
    s, closed = _drop_blocks_closed(piece)  # its matches cannot cross the end: they contain no ">"
    if not closed:
        return None
    s = _TAG.sub("", _BREAK_TAG.sub(" ", s))
    if "&" in s:
        if _entity_crosses_end(s):
            return None
        s = html.unescape(s)
    if not s.isprintable():
        s = INVISIBLE.sub("", s)
    return None if _HEAD_UNSTABLE.search(s) else s


def _clean_head(value: str, max_len: int) -> str | None:
    """The collapsed text of a head of ``value``, longer than ``max_len``, or None.

    Long HTML bodies yield far more text than ``max_len`` needs; cleaning pieces of the head until
    there is enough text saves the regex passes over the rest. Each piece ends at a ">" and is
    accepted only when cleaning is separable there (:func:`_clean_piece`); then the cleaned head is
    a prefix of the whole text's cleaned form, its words a prefix of its words, and
    :func:`_truncate` gives the same result. None means "clean everything".
    """
    pieces: list[str] = []
    chars = 0
    start = 0
    while True:
        cut = value.find(">", start + max_len + _HEAD_EXTRA)
        if cut == -1 or cut + 1 >= len(value):
            return None
        piece = _clean_piece(value[start : cut + 1])
        if piece is None:
            return None
        pieces.append(piece)
        chars += len(piece)
        start = cut + 1
        if chars > max_len:
            words = " ".join("".join(pieces).split())
            if len(words) > max_len:
                return words


def clean_text(value: str | None, max_len: int) -> str:
    """Plain, single-line, bounded text from feed HTML or text. Idempotent.

    Tags go (script/style with their content), entities are decoded (also double-escaped ones such
    as ``&amp;lt;b&amp;gt;``), control, zero-width and bidi-override characters are removed, runs of
    whitespace become one space, and the result is cut on a word boundary to ``max_len`` characters
    with a trailing "…".
    """
    if not value or max_len <= 0:
        return ""
    if not isinstance(value, str):
        value = str(value)
    # Enough raw input for max_len characters of text in all but tag-soup; bounds the work on 1 MB titles.
    budget = max_len * 16 + 4096
    if len(value) > budget:
        value = value[:budget]
        lt = value.rfind("<")
        if lt != -1 and value.find(">", lt) == -1:
            value = value[:lt]
    if len(value) > _HEAD_MIN_FACTOR * max_len + _HEAD_EXTRA:
        head = _clean_head(value, max_len)
        if head is not None:
            return _truncate(head, max_len)
    s = value
    for _ in range(_MAX_ROUNDS):
        cleaned = _clean_once(s)
        if cleaned == s or ("<" not in cleaned and "&" not in cleaned):
            s = cleaned
            break
        s = cleaned
    else:
        if _clean_once(s) != s:
            # Still decoding after several rounds: adversarial nesting. Break the remaining markup
            # so that a second call is a no-op.
            s = _UNSTABLE_AMP.sub("& ", _UNSTABLE_LT.sub("< ", s))
    s = " ".join(s.split())  # str.split() folds all Unicode whitespace, faster than a regex
    return _truncate(s, max_len)
