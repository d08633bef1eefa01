"""What a docket search is built from: court, docket number, case name, first report (fixture sentences)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.docket.query import (
    DocketQuery,
    NoQuery,
    docket_search_form,
    docket_year,
    parse_docket_number,
    plan,
)
from bot.models import Action, ArticleText, Case, Stage


def case(platforms: tuple[str, ...], counterparties: tuple[str, ...] = (), **kw: object) -> Case:
    return Case(id="case-1", title="t", status=Stage.FILED, action=Action.LAWSUIT, platforms=platforms,
                counterparties=counterparties, **kw)  # type: ignore[arg-type]


def report(title: str, summary: str = "", day: str | None = "2024-05-02") -> ArticleText:
    published = datetime.fromisoformat(day).replace(tzinfo=UTC) if day else None
    return ArticleText(title, summary, None, published)


def q(c: Case, *texts: ArticleText) -> DocketQuery:
    got = plan(c, texts)
    assert isinstance(got, DocketQuery), got
    return got


def test_district_court_docket_and_name() -> None:
    got = q(
        case(("Snapgram",), ("Acme Labs",)),
        report("Acme Labs v. Snapgram heads to trial",
               "The lawsuit, No. 3:23-cv-01701-JD in the N.D. Cal., says the app copied a feature."),
        report("Snapgram loses bid to toss Acme Labs v. Snapgram", day="2024-02-10"),
    )
    assert got.court_ids == ("cand",)
    assert got.docket_number == "3:23-cv-01701-JD"
    assert got.case_name == "Acme Labs v. Snapgram"
    assert got.first_report == date(2024, 2, 10)
    # the search by number is bounded by the number's year; the reports' dates bound the rest
    assert got.last_report == date(2024, 5, 2)
    assert (got.filed_after, got.filed_before) == (date(2018, 2, 5), date(2024, 6, 16))  # 6 x 366 d, 45 d
    params = got.search_params()
    assert params == {"type": "d", "docket_number": "3:23-cv-01701", "court": "cand",
                      "filed_after": "2023-01-01", "filed_before": "2023-12-31"}
    by_name = got.search_params(by="name")
    assert by_name["case_name"] == "Acme Labs v. Snapgram" and "docket_number" not in by_name
    assert (by_name["filed_after"], by_name["filed_before"]) == ("2018-02-05", "2024-06-16")
    assert "Acme Labs" in got.opponents


def test_window_from_the_first_report_without_a_number() -> None:
    got = q(case(("Snapgram",)), report("Snapgram sued in the Ninth Circuit", day="2022-06-01"))
    assert got.court_ids == ("ca9",)
    assert got.filed_before is not None and got.filed_after is not None
    assert got.filed_after < date(2017, 1, 1) and date(2022, 7, 1) < got.filed_before < date(2022, 8, 1)


def test_courts_are_ordered_by_mentions() -> None:
    got = q(case(("Snapgram",)),
            report("The Ninth Circuit heard the Snapgram case", "It came from the Northern District of California."),
            report("Ninth Circuit rules for Snapgram"))
    assert got.court_ids == ("ca9", "cand")


def test_case_name_sides_are_trimmed_to_the_parties() -> None:
    c = case(("Chirper",), ("DOJ",))
    got = q(c, report("National Security Letters Chirper v. Garland argued", "A judge heard Chirper v. Garland The company said."))
    assert got.case_name == "Chirper v. Garland"
    got = q(c, report("U.S. Chirper v. Garland ruling"))
    assert got.case_name == "Chirper v. Garland"
    got = q(case(("Chirper",)), report("In Chirper, Inc. v. Moreno, the court said little"))
    assert got.case_name == "Chirper, Inc. v. Moreno"


def test_government_side_names() -> None:
    got = q(case(("Chirper",), ("DOJ",)), report("United States v. Chirper is set for trial in the E.D. Va."))
    assert got.case_name == "United States v. Chirper"
    assert got.court_ids == ("vaed",)


def test_appellate_number_and_scotus() -> None:
    got = q(case(("Chirper",)), report("The U.S. Supreme Court took the Chirper case, No. 22-277, today"))
    assert got.court_ids == ("scotus",)
    assert got.docket_number == "22-277"
    assert got.search_params()["docket_number"] == "22-277"


def test_bare_supreme_court_counts_for_a_us_case() -> None:
    got = q(case(("Chirper",)), report("The Supreme Court will hear the Chirper appeal"))
    assert got.court_ids == ("scotus",)


def test_foreign_forum_gives_no_query() -> None:
    got = plan(case(("Chirper",), ("Brazil Supreme Court",)),
               [report("Brazil's Supreme Court orders Chirper suspended", "The Supreme Court gave it a day.")])
    assert isinstance(got, NoQuery) and "abroad" in got.reason
    got = plan(case(("Chirper",)), [report("The High Court in London hears Chirper v. Ofcom")])
    assert isinstance(got, NoQuery)


def test_foreign_mentions_do_not_hide_a_named_us_court() -> None:
    got = q(case(("Chirper",)),
            report("Chirper sued in the Northern District of California", "An Australian regulator fined it too."))
    assert got.court_ids == ("cand",)


def test_nothing_to_look_up() -> None:
    got = plan(case(("Chirper",), ("FTC",)), [report("Chirper settles privacy charges with regulators")])
    assert isinstance(got, NoQuery) and "no US court" in got.reason


def test_undated_reports_fall_back_to_the_case_opening() -> None:
    opened = datetime(2021, 3, 4, tzinfo=UTC)
    got = q(case(("Chirper",), opened_at=opened), report("Chirper sued in the D.D.C.", day=None))
    assert got.first_report == date(2021, 3, 4)


def test_detection_facts_on_the_case_are_used() -> None:
    got = q(case(("Chirper",), court="N.D. Cal.", docket="14-cv-4480"), report("Chirper's fight goes on"))
    assert got.court_ids == ("cand",) and got.docket_number == "14-cv-4480"


def test_docket_numbers() -> None:
    a = parse_docket_number("3:17-cv-01701")
    b = parse_docket_number("17-cv-1701-ABC")
    assert a is not None and a == b and a.core == "17-cv-1701"
    assert parse_docket_number("No. 21-16506") == parse_docket_number("21-16506")
    assert parse_docket_number("no number here") is None
    assert docket_search_form("1:20-cv-01234-ABC") == "1:20-cv-01234"
    assert docket_search_form("No. 17-2") == "17-2"
    assert docket_year("1:20-cv-01234") == 2020
    assert docket_year("99-cv-1") == 1999


def test_headline_verbs_and_country_tags_are_not_parties() -> None:
    got = q(case(("Chirper",)), report("Court Dismisses U.S. v. Chirper After Law Change"))
    assert got.case_name == "U.S. v. Chirper"
    got = q(case(("Chirper",)), report("Judge Tosses Moreno v. Chirper"))
    assert got.case_name == "Moreno v. Chirper"


def test_appeals_widen_the_window_to_the_last_report() -> None:
    got = q(case(("Chirper",)), report("Chirper sued in the N.D. Cal.", day="2019-01-10"),
            report("Ninth Circuit hears Chirper appeal", day="2021-04-01"))
    assert got.first_report == date(2019, 1, 10) and got.last_report == date(2021, 4, 1)
    assert got.filed_before == date(2021, 5, 16)
