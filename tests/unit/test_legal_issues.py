"""Legal-issue tags (bot/detect/issues.py): cues, weights, acronyms, case roll-up, the table's checks.
Fixture sentences are written for these tests."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.detect import issues
from bot.detect.issues import LABELS, case_issues, issues_of, parse_issue, parse_table


def keys(title: str, summary: str = "") -> list[str]:
    return [t.key for t in issues_of(title, summary)]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Platform asks court to quash summons that would unmask an anonymous critic", ["anonymous_speech"]),
        ("Appeals court says Section 230 shields the video site from the suit", ["section_230"]),
        ("Regulator fines search giant for abuse of dominance in ad tech", ["competition"]),
        ("Justice Department files antitrust suit against the app maker", ["competition"]),
        ("Messaging app refuses to weaken end-to-end encryption for police", ["encryption"]),
        ("Judge orders phone maker to help unlock the suspect's iPhone", ["encryption"]),
        ("Watchdog fines social network under the GDPR", ["data_protection"]),
        ("Commission opens Digital Services Act proceedings against the marketplace", ["online_safety"]),
        ("Germany fines messenger under NetzDG for missing complaint channel", ["online_safety"]),
        ("State sues photo app over facial recognition without consent", ["biometric_privacy"]),
        ("Publishers win neighbouring rights ruling against the search engine", ["copyright"]),
        ("Provider challenges national security letter and its gag", ["fisa_nsl"]),
        ("Court rules geofence warrants need particularity", ["sca_ecpa"]),
        ("Lawsuit says the app failed on child safety and age verification", ["child_safety"]),
        ("Former president says the ban from the platform violates the First Amendment", ["free_speech"]),
    ],
)
def test_one_strong_cue_names_the_issue(title: str, expected: list[str]) -> None:
    assert keys(title) == expected


def test_hints_alone_do_not_tag_but_two_hints_do() -> None:
    assert keys("The app was criticised over privacy") == []  # one weight-1 hint
    assert keys("Regulator questions personal data handling and privacy notices") == ["data_protection"]
    assert keys("Agency seeks a warrant") == []
    assert keys("Agency seeks a warrant for subscriber records of the account") == ["sca_ecpa"]


def test_repeating_one_hint_is_not_two_hints() -> None:
    assert keys("privacy, privacy and more privacy") == []


def test_no_issue_in_plain_news() -> None:
    assert keys("Company unveils a new phone", "The launch event drew a crowd in the city.") == []


def test_acronyms_are_case_sensitive_and_whole_words() -> None:
    assert keys("EU opens DSA case against the platform") == ["online_safety"]
    assert keys("the dsa chapter met on tuesday") == []
    assert keys("FISADA and DMAs") == []  # not the acronyms


def test_several_issues_in_display_order_with_reasons() -> None:
    tags = issues_of("Suit over unmasking order raises First Amendment and Section 230 questions", "")
    assert [t.key for t in tags] == ["free_speech", "section_230", "anonymous_speech"]
    assert tags[1].reason() == "issue: Section 230 ('Section 230')"
    assert all(t.weight >= issues.TAG_AT for t in tags)


def test_case_issues_rank_by_articles_and_cap() -> None:
    per_article = [
        ["competition"],
        ["competition", "data_protection"],
        ["competition", "competition"],  # one article counts once
        ["copyright", "data_protection", "encryption", "child_safety"],
    ]
    assert case_issues(per_article, limit=3) == ("competition", "data_protection", "encryption")
    assert case_issues([]) == ()


def test_parse_issue_accepts_keys_labels_and_unique_prefixes() -> None:
    assert parse_issue("section_230") == "section_230"
    assert parse_issue("Section 230") == "section_230"
    assert parse_issue("  COPYRIGHT ") == "copyright"
    assert parse_issue("enc") == "encryption"
    assert parse_issue("c") is None  # competition, copyright, child safety: ambiguous
    assert parse_issue("tax law") is None
    assert parse_issue("") is None


def test_parse_issue_knows_the_names_people_type() -> None:
    assert parse_issue("antitrust") == "competition"
    assert parse_issue("GDPR") == "data_protection"
    assert parse_issue("dsa") == parse_issue("Digital Services Act") == "online_safety"
    assert parse_issue("First Amendment") == "free_speech"
    assert parse_issue("230") == "section_230"
    assert parse_issue("bipa") == "biometric_privacy"
    assert parse_issue("fisa") == parse_issue("Section 702") == "fisa_nsl"
    assert parse_issue("anonymous speech") == "anonymous_speech"
    assert parse_issue("s") is None  # speech, section 230, sca ...: ambiguous
    assert all(parse_issue(label) == key for key, label in LABELS.items())
    assert all(parse_issue(alias) == key for key, aliases in issues.ALIASES.items() for alias in aliases)


def test_table_rows_are_checked() -> None:
    header = "issue\tweight\tcue\tnote"
    assert len(parse_table([header, "copyright\t2\tcopyright\t"])) == 1
    with pytest.raises(ValueError, match="unknown issue"):
        parse_table([header, "taxes\t2\ttax\t"])
    with pytest.raises(ValueError, match="weight must be 1 or 2"):
        parse_table([header, "copyright\t3\tcopyright\t"])
    with pytest.raises(ValueError, match="bad cue"):
        parse_table([header, "copyright\t2\tcopy(right\t"])
    with pytest.raises(ValueError, match="header"):
        parse_table(["a\tb\tc"])


def test_the_shipped_table_covers_every_issue_with_a_strong_cue() -> None:
    strong = {c.issue for c in issues.cues() if c.weight == 2}
    assert strong == set(LABELS)


def test_detection_carries_issues_with_reasons_only_when_relevant() -> None:
    from bot.detect.detector import detect
    from bot.models import ArticleText

    det = detect(ArticleText("Google sued by the Justice Department in landmark antitrust case", ""))
    assert det.relevant and det.issues == ("competition",)
    assert any(r.startswith("issue: Competition / antitrust ('antitrust'") for r in det.reasons)
    plain = detect(ArticleText("Google unveils a phone with a new privacy dashboard", ""))
    assert not plain.relevant and plain.issues == ()


def test_a_case_tallies_its_reports_issues_and_merges_sum_them() -> None:
    from datetime import UTC, datetime

    from bot.cases.clustering import absorb, open_case
    from bot.cases.merge import merge_cases
    from bot.models import Action, ArticleText, Detection, Stage

    at = datetime(2024, 1, 1, tzinfo=UTC)

    def det(*keys: str) -> Detection:
        return Detection(relevant=True, score=0.9, platforms=("Google",), action=Action.ANTITRUST,
                         stage=Stage.FILED, issues=keys)

    text = ArticleText("Google antitrust suit", "", published=at)
    case = open_case(text, det("competition"), "seed-a", at)
    case = absorb(case, text, det("competition", "data_protection"), at)
    case = absorb(case, text, det(), at)
    assert case.issue_counts == (("data_protection", 1), ("competition", 2))  # display order
    assert case.issues == ("competition", "data_protection")  # most reported first
    other = open_case(text, det("copyright", "data_protection"), "seed-b", at)
    merged = merge_cases(case, other)
    assert dict(merged.issue_counts) == {"competition": 2, "data_protection": 2, "copyright": 1}
    assert merged.issues == ("data_protection", "competition", "copyright")  # ties in display order


def _reference_issues(title: str, summary: str) -> list[tuple[str, tuple[str, ...]]]:
    """issues_of without the literal-prefix shortcut: every cue's regex runs."""
    from dataclasses import replace as dc_replace

    table = [dc_replace(c, literal="") for c in issues.cues()]
    return [(t.key, t.words) for t in issues_of(title, summary, table)]


def test_literal_prefixes() -> None:
    from bot.detect.issues import literal_prefix

    assert literal_prefix("cookies?") == "cookie"  # the quantified letter is optional
    assert literal_prefix("first amendment") == "first amendment"
    assert literal_prefix("(?:Korea )?Fair Trade Commission") == ""
    assert literal_prefix("criticiz(?:e|ed)|criticis(?:e|ed)") == ""  # top-level alternation
    assert literal_prefix("unlock(?:s|ed)? (?:the )?iphone") == "unlock"


_CUE_WORDS = sorted({w for c in issues.cues() for w in re.findall(r"[A-Za-z][A-Za-z'’-]+", c.source)})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*_CUE_WORDS, "the", "court", "Apple", ",", "."]), max_size=30))
def test_the_prefix_shortcut_gives_the_same_tags(words: list[str]) -> None:
    text = " ".join(words)
    assert [(t.key, t.words) for t in issues_of(text, text[::-1])] == _reference_issues(text, text[::-1])


def test_the_prefix_shortcut_gives_the_same_tags_on_the_corpus() -> None:
    import json

    from tests.conftest import shared_path

    for name in ("dev.jsonl", "dev2.jsonl"):
        for line in shared_path("corpus", name).read_text(encoding="utf-8").splitlines():
            it = json.loads(line)
            got = [(t.key, t.words) for t in issues_of(it["title"], it["summary"])]
            assert got == _reference_issues(it["title"], it["summary"]), it["id"]


def test_every_issue_has_a_forum_tag_label_discord_accepts() -> None:
    assert set(issues.TAG_LABELS) == set(LABELS)
    assert all(0 < len(label) <= 20 for label in issues.TAG_LABELS.values())
    assert len({label.lower() for label in issues.TAG_LABELS.values()}) == len(LABELS)
