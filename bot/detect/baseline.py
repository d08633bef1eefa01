"""The crude tool casewatch exists to replace, for scale in ``benchmarks.quality``: an alert whenever a
known platform name and any legal word occur together. Not used by the bot."""

from __future__ import annotations

import re

from bot.detect import extract as ex

_LEGAL = re.compile(
    r"\b(?:su(?:e|es|ed|ing)|lawsuits?|court|judge|subpoena\w*|summons|warrants?|fined?|fines|penalty|"
    r"probe|investigat\w+|regulators?|antitrust|ban(?:s|ned)?|block(?:s|ed)?|order(?:s|ed)?|ruling|appeal\w*|"
    r"settle\w*|charged|prosecutors?)\b",
    re.IGNORECASE,
)


def keyword_alert(title: str, summary: str) -> tuple[bool, str | None]:
    """(alert?, the first platform named) for one item."""
    text = ex.normalize(f"{title}. {summary}")
    mentions = ex.find_platforms(text, fast=False)
    if not mentions:
        return False, None
    return _LEGAL.search(text) is not None, mentions[0].platform
