"""A docket is accepted only when court, parties and date agree and no other candidate does as well."""

from __future__ import annotations

from datetime import date

from bot.docket.match import (
    Candidate,
    caption_sides,
    match,
    normalize_party,
    platform_captions,
)
from bot.docket.query import DocketQuery


def query(**kw: object) -> DocketQuery:
    base: dict[str, object] = dict(
        case_id="c1", court_ids=("cand",), docket_number=None, case_name="Twitter v. Holder",
        platforms=("Twitter",), opponents=("Holder", "DOJ"), first_report=date(2014, 10, 8), last_report=None,
        filed_after=date(2008, 1, 1), filed_before=date(2014, 11, 22), reasons=(),
    )
    base.update(kw)
    return DocketQuery(**base)  # type: ignore[arg-type]


def cand(i: int, name: str, court: str = "cand", filed: str | None = "2014-10-07", number: str = "4:14-cv-04480") -> Candidate:
    return Candidate(i, name, number, court, date.fromisoformat(filed) if filed else None, f"/docket/{i}/x/")


def test_party_names_normalise() -> None:
    assert normalize_party("Twitter, Inc.") == "twitter"
    assert normalize_party("Google LLC") == "google"
    assert normalize_party("X Corp.") == "xcorp"
    assert normalize_party("United States of America") == "united states"
    assert normalize_party("U.S.") == "united states"
    assert caption_sides("Twitter, Inc. v. Barr") == ["twitter", "barr"]
    assert caption_sides("In re: Facebook Privacy Litigation") == ["facebook privacy litigation"]


def test_platform_captions_follow_the_company() -> None:
    assert "meta platforms" in platform_captions(["Facebook"], date(2022, 1, 1))
    assert "xcorp" in platform_captions(["Twitter"], date(2023, 8, 1))
    assert "xcorp" not in platform_captions(["Twitter"], date(2020, 8, 1))  # Twitter was not X Corp. yet
    assert "twitter" in platform_captions(["X"], date(2020, 8, 1))  # a docket keeps its filing name
    assert "x" not in platform_captions(["X"], None)


def test_one_agreeing_docket_is_a_match_with_reasons() -> None:
    got = match(query(), [cand(1, "Twitter, Inc. v. Holder"), cand(2, "Twitter, Inc. v. Holder", court="ca9")])
    assert got.verdict == "match" and got.docket is not None and got.docket.docket_id == 1
    text = " | ".join(got.reasons)
    assert "court cand named in the reports" in text and "parties agree" in text and "filed 2014-10-07" in text


def test_officeholders_stand_for_the_office() -> None:
    got = match(query(), [cand(1, "Twitter, Inc. v. Barr")])
    assert got.verdict == "match"


def test_wrong_court_wrong_party_wrong_date_are_no_match() -> None:
    got = match(query(), [
        cand(1, "Twitter, Inc. v. Holder", court="nysd"),
        cand(2, "Twitter, Inc. v. Acme Corp."),
        cand(3, "Twitter, Inc. v. Holder", filed="2016-01-05"),
        cand(4, "Tweeter Ltd. v. Holder"),
    ])
    assert got.verdict == "no_match" and got.docket is None
    text = " | ".join(got.reasons)
    assert "not in a court the reports name" in text
    assert "not the reported other party" in text
    assert "not filed before the first report" in text


def test_two_equal_dockets_are_ambiguous() -> None:
    got = match(query(), [cand(1, "Twitter, Inc. v. Holder"), cand(2, "Twitter Inc. v. Eric Holder", number="4:14-cv-05001")])
    assert got.verdict == "ambiguous" and got.docket is None and len(got.agreeing) == 2
    assert "2 dockets agree" in got.reasons[0]


def test_the_reported_number_breaks_the_tie() -> None:
    q = query(docket_number="14-cv-4480", filed_after=date(2014, 1, 1), filed_before=date(2014, 12, 31))
    got = match(q, [cand(1, "Twitter, Inc. v. Holder", number="4:14-cv-04480"),
                    cand(2, "Twitter, Inc. v. Holder", number="4:14-cv-05001")])
    assert got.verdict == "match" and got.docket is not None and got.docket.docket_id == 1


def test_trial_docket_over_its_appeal() -> None:
    q = query(court_ids=("ca9", "cand"))
    got = match(q, [cand(1, "Twitter, Inc. v. Holder"), cand(2, "Twitter, Inc. v. Barr", court="ca9", filed="2014-12-01",
                                                              number="20-15416")],)
    # the appeal was filed after the first report + grace: only the trial docket agrees anyway
    assert got.verdict == "match" and got.docket is not None and got.docket.docket_id == 1
    q2 = query(court_ids=("ca9", "cand"), first_report=date(2020, 5, 1), filed_before=date(2020, 6, 15))
    got = match(q2, [cand(1, "Twitter, Inc. v. Holder"), cand(2, "Twitter, Inc. v. Barr", court="ca9",
                                                                filed="2020-03-01", number="20-15416")])
    assert got.verdict == "match" and got.docket is not None and got.docket.docket_id == 1
    assert "trial-court docket" in got.reasons[-1]


def test_the_filing_that_made_the_news_over_an_old_one() -> None:
    got = match(query(), [cand(1, "Twitter, Inc. v. Holder"), cand(2, "Twitter, Inc. v. Holder", filed="2009-02-02",
                                                                   number="3:09-cv-00100")])
    assert got.verdict == "match" and got.docket is not None and got.docket.docket_id == 1
    assert "within a year before the first report" in got.reasons[-1]


def test_more_results_than_seen_is_not_unambiguous() -> None:
    got = match(query(), [cand(1, "Twitter, Inc. v. Holder")], total=40)
    assert got.verdict == "ambiguous" and "found 40" in got.reasons[0]


def test_no_court_needs_both_sides_or_a_number() -> None:
    q = query(court_ids=(), opponents=())
    got = match(q, [cand(1, "Twitter, Inc. v. Holder")])
    assert got.verdict == "no_match" and "not enough to go on" in " ".join(got.reasons)
    got = match(query(court_ids=()), [cand(1, "Twitter, Inc. v. Holder")])
    assert got.verdict == "match"


def test_x_corp_dockets_for_a_twitter_case_after_the_merger() -> None:
    q = query(case_name="X Corp. v. Hatewatch", opponents=("Hatewatch",), first_report=date(2023, 8, 2),
              filed_after=date(2017, 1, 1), filed_before=date(2023, 9, 15))
    got = match(q, [cand(1, "X Corp. v. Hatewatch", filed="2023-07-31", number="3:23-cv-03836")])
    assert got.verdict == "match"


def test_meta_platforms_for_facebook() -> None:
    q = query(platforms=("Facebook",), case_name=None, opponents=("Federal Trade Commission",),
              court_ids=("dcd",), first_report=date(2021, 1, 10), filed_after=date(2015, 1, 1),
              filed_before=date(2021, 2, 24))
    got = match(q, [cand(1, "Federal Trade Commission v. Meta Platforms, Inc.", court="dcd", filed="2020-12-09",
                         number="1:20-cv-03590")])
    assert got.verdict == "match"


def test_search_and_docket_rows_parse() -> None:
    row = {"docket_id": 7, "caseName": "A v. B", "docketNumber": "1:20-cv-1", "court_id": "dcd",
           "dateFiled": "2020-01-02", "docket_absolute_url": "/docket/7/a-v-b/"}
    c = Candidate.from_search(row)
    assert c == Candidate(7, "A v. B", "1:20-cv-1", "dcd", date(2020, 1, 2), "/docket/7/a-v-b/")
    assert Candidate.from_search({"caseName": "no id"}) is None
    d = Candidate.from_docket({"id": 7, "case_name": "A v. B", "docket_number": "1:20-cv-1", "court_id": "dcd",
                               "date_filed": "2020-01-02", "date_last_filing": "2024-05-15",
                               "absolute_url": "/docket/7/a-v-b/"})
    assert d is not None and d.date_last_filing == date(2024, 5, 15)


def test_a_name_containing_the_platform_is_not_the_platform() -> None:
    got = match(query(), [cand(1, "Twitter Fans Club v. Holder")])
    assert got.verdict == "no_match" and "not a caption with Twitter" in " ".join(got.reasons)
    got = match(query(platforms=("Google",), case_name=None, opponents=("Holder",)),
                [cand(1, "Google LLC and YouTube, LLC v. Holder")])
    assert got.verdict == "match"


def test_an_appeal_is_docketed_after_the_first_report() -> None:
    q = query(court_ids=("ca9",), first_report=date(2014, 10, 8), last_report=date(2020, 5, 1),
              filed_before=date(2020, 6, 15))
    got = match(q, [cand(1, "Twitter, Inc. v. Barr", court="ca9", filed="2020-03-01", number="20-15416")])
    assert got.verdict == "match" and "appeal filed 2020-03-01" in " ".join(got.reasons)
    late = match(q, [cand(1, "Twitter, Inc. v. Barr", court="ca9", filed="2021-03-01", number="21-15416")])
    assert late.verdict == "no_match"


def test_reported_case_name_without_the_platform_as_a_party() -> None:
    q = query(platforms=("Yelp",), case_name="Hassell v. Bird", opponents=("Hassell", "Bird"),
              court_ids=("cal",), first_report=date(2016, 9, 21), last_report=date(2018, 7, 2),
              filed_after=date(2010, 1, 1), filed_before=date(2018, 8, 16))
    got = match(q, [cand(1, "Hassell v. Bird", court="cal", filed="2016-09-01", number="S235968")])
    assert got.verdict == "match" and "the platform is not a party" in " ".join(got.reasons)
    fuller = match(q, [cand(1, "Hassell v. Ava Bird", court="cal", filed="2016-09-01", number="S1")])
    assert fuller.verdict == "match"  # the reported "Bird" is a word of it: news shortens names
    longer_word = match(q, [cand(1, "Hassell v. Birdsong Ltd.", court="cal", filed="2016-09-01", number="S3")])
    assert longer_word.verdict == "no_match"  # words, not letters: "Birdsong" is not "Bird"
    wrong = match(q, [cand(1, "Hassell v. Jones", court="cal", filed="2016-09-01", number="S2")])
    assert wrong.verdict == "no_match"


def test_agency_acronyms_are_the_united_states_in_a_caption() -> None:
    q = query(platforms=("Apple",), case_name=None, opponents=("US Department of Justice",), court_ids=("njd",),
              first_report=date(2024, 3, 22), filed_after=date(2018, 1, 1), filed_before=date(2024, 8, 1))
    got = match(q, [cand(1, "United States of America v. Apple Inc.", court="njd", filed="2024-03-21",
                         number="2:24-cv-04055")])
    assert got.verdict == "match"


def test_a_tie_break_on_a_partial_page_is_not_trusted() -> None:
    pair = [cand(1, "Twitter, Inc. v. Holder"), cand(2, "Twitter, Inc. v. Holder", filed="2009-02-02", number="3:09-cv-1")]
    assert match(query(), pair).verdict == "match"
    got = match(query(), pair, total=25)
    assert got.verdict == "ambiguous" and "found 25" in got.reasons[0]
    by_number = match(query(docket_number="14-cv-4480"), pair, total=25)
    assert by_number.verdict == "match" and by_number.docket is not None and by_number.docket.docket_id == 1
