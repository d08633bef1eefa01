"""The court table covers every federal court and the state high courts, and finds them as news writes them."""

from __future__ import annotations

import importlib.util

import pytest

from bot.docket import courts as ct


def ids(text: str) -> list[str]:
    return [m.court_id for m in ct.find_courts(text)]


def test_table_covers_every_federal_district_and_circuit_and_the_state_high_courts() -> None:
    table = ct.load()
    levels: dict[str, list[str]] = {}
    for c in table.courts:
        levels.setdefault(c.level, []).append(c.id)
    assert len(levels["district"]) == 94  # 89 in the states, D.C., Puerto Rico, Guam, Virgin Islands, N. Mariana
    assert sorted(levels["circuit"]) == sorted([f"ca{i}" for i in range(1, 12)] + ["cadc", "cafc"])
    assert levels["supreme"] == ["scotus"]
    assert len(levels["state_supreme"]) >= 50
    assert {"cal", "ny", "tex", "fla", "del", "mass"} <= set(levels["state_supreme"])
    assert len({c.id for c in table.courts}) == len(table.courts)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The complaint was filed in the N.D. Cal. on Monday.", ["cand"]),
        ("The complaint was filed in N.D.Cal. on Monday.", ["cand"]),
        ("a judge in the Northern District of California dismissed it", ["cand"]),
        ("The 9th Cir. panel heard argument.", ["ca9"]),
        ("The Ninth Circuit reversed.", ["ca9"]),
        ("the U.S. Court of Appeals for the Ninth Circuit", ["ca9"]),
        ("The D.C. Circuit sided with the agency.", ["cadc"]),
        ("Lawyers in SDNY and in the S.D.N.Y. agree.", ["nysd", "nysd"]),
        ("The Texas Supreme Court declined.", ["tex"]),
        ("It reached the Delaware Chancery Court.", ["delch"]),
        ("A federal judge in Oakland froze the rule.", ["cand"]),
        ("A federal appeals court in Pasadena heard the case.", ["ca9"]),
        ("The FISA court approved the order.", ["fisc"]),
    ],
)
def test_court_forms(text: str, expected: list[str]) -> None:
    assert ids(text) == expected


def test_place_names_count_only_next_to_a_court_word() -> None:
    assert ids("The District of Columbia sued the company over its ads.") == []
    assert ids("The suit was filed in the District of Columbia on Friday.") == ["dcd"]


def test_bare_supreme_court_is_marked_and_foreign_ones_are_not_us() -> None:
    found = ct.find_courts("The Supreme Court agreed to hear the appeal.")
    assert [(m.court_id, m.bare) for m in found] == [("scotus", True)]
    assert ids("Brazil's Supreme Court ordered the block.") == []
    assert ids("The Indian Supreme Court issued notice.") == []
    assert ids("The Supreme Court of India issued notice.") == []
    assert [m.bare for m in ct.find_courts("The U.S. Supreme Court agreed.")] == [False]


def test_a_form_naming_two_courts_is_refused() -> None:
    header = "id\tlevel\tname\tcitation\taliases\tcities"
    rows = [header, "aaa\tdistrict\tA\tA.\tSame Name\t", "bbb\tdistrict\tB\tB.\tSame Name\t"]
    with pytest.raises(ValueError, match="also names aaa"):
        ct.parse(rows)


def test_bad_level_is_refused() -> None:
    with pytest.raises(ValueError, match="level"):
        ct.parse(["id\tlevel\tname\tcitation\taliases\tcities", "aaa\tcounty\tA\tA.\tA Court\t"])


@pytest.mark.skipif(importlib.util.find_spec("courts_db") is None, reason="courts-db not installed (optional check)")
def test_every_id_is_a_courts_db_court() -> None:  # pragma: no cover - runs where courts-db is installed
    import courts_db

    known = {c["id"] for c in courts_db.courts}
    assert [c.id for c in ct.load().courts if c.id not in known] == []


def test_a_named_district_judge_in_a_courthouse_city() -> None:
    assert ids("U.S. District Judge Ann Example in Newark, New Jersey, denied the motion.") == ["njd"]
    assert ids("A district court in Seattle heard it.") == ["wawd"]
    assert ids("A Florida federal judge moved the case.") == []  # three districts: no guess
