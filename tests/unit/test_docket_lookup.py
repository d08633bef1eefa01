"""A linked docket's newer last filing is a development; the same or an older one is not (pure)."""

from __future__ import annotations

from datetime import date

from bot.docket.lookup import LinkedDocket, new_filing
from bot.docket.match import Candidate


def docket(last: date | None) -> Candidate:
    return Candidate(5, "Chirper, Inc. v. Moreno", "3:23-cv-00042", "cand", date(2023, 1, 3), "/docket/5/x/",
                     date_last_filing=last)


def test_newer_filing_is_a_development() -> None:
    dev = new_filing(LinkedDocket("c1", 5, date(2024, 1, 1)), docket(date(2024, 2, 9)), "http://cl/docket/5/x/")
    assert dev is not None
    assert (dev.case_id, dev.docket_id, dev.previous, dev.date_last_filing) == ("c1", 5, date(2024, 1, 1), date(2024, 2, 9))
    assert dev.text == "New filing on the docket (cand 3:23-cv-00042): last entry 2024-02-09"


def test_first_sight_of_a_filing_date_counts() -> None:
    assert new_filing(LinkedDocket("c1", 5, None), docket(date(2024, 2, 9)), "u") is not None


def test_same_older_or_unknown_is_nothing() -> None:
    link = LinkedDocket("c1", 5, date(2024, 2, 9))
    assert new_filing(link, docket(date(2024, 2, 9)), "u") is None
    assert new_filing(link, docket(date(2023, 12, 1)), "u") is None
    assert new_filing(link, docket(None), "u") is None
