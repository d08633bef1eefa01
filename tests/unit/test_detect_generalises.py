"""Detection of the wordings the first detector could not see, on sentences written for these tests.

Each class of issue 12 has its own sentences: platforms outside the hand list (from the directory or
from what the text says they are), legal action without the stock words, companies that are not
platforms, and the platform X named in real headlines.
"""

from __future__ import annotations

import pytest

from bot.detect import context, directory
from bot.detect.detector import detect
from bot.models import ArticleText, Stage


def _det(title: str, summary: str = ""):
    return detect(ArticleText(title, summary))


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("A court ordered the cryptocurrency exchange Zentrobit to hand over records.", "Zentrobit"),
        ("Prosecutors said Quillnet, an encrypted email provider, must comply.", "Quillnet"),
        ("Agents copied the database of the Mastodon server foo.social in a raid.", "foo.social"),
        ("The web-hosting company Brightspire fought the warrant for visitor logs.", "Brightspire"),
        ("Police seized Orbweaver's servers in the inquiry.", "Orbweaver"),
    ],
)
def test_a_platform_is_recognised_from_what_the_text_says_it_is(text: str, name: str) -> None:
    assert name in [m.platform for m in context.find(text)]


def test_a_docket_caption_company_needs_an_online_cue() -> None:
    assert context.find("Doe v. Widgetworks, Inc. was argued on Monday before the court.") == []
    found = context.find("Doe v. Ridewell, Inc. says the ride app's users were misled, the court heard.")
    assert [m.platform for m in found] == ["Ridewell"]


def test_headline_case_never_invents_a_name() -> None:
    # every word of a Title Case headline is capitalised: "Exchange Loses" is no platform called "Loses"
    assert context.find("Crypto Exchange Loses Court Fight Over Summons") == []
    assert context.find("The Securities and Exchange Commission sued the trader") == []


def test_directory_names_count_and_companies_do_not() -> None:
    d = directory.load()
    assert d.lookup("Proton Mail") is not None and d.lookup("Proton Mail").is_platform
    chip = _det("Regulator fines Qualcomm $900 million over licensing practices")
    assert not chip.relevant and "Qualcomm" not in chip.platforms
    hosted = _det("Judge orders DreamHost to hand over visitor data to prosecutors")
    assert hosted.relevant and "DreamHost" in hosted.platforms


@pytest.mark.parametrize(
    "title",
    [
        "Prosecutors raid X offices and summon its owner for questioning",
        "Regulators announce a $95M fine for X over deceptive checkmarks",
        "Watchdog opens an investigation into X over its chatbot",
        "Court refuses to stay the order blocking Telegram nationwide",
        "Government lifts its ban on TikTok after a year",
    ],
)
def test_legal_action_without_the_stock_words(title: str) -> None:
    det = _det(title)
    assert det.relevant, det.reasons


def test_a_person_prosecuted_over_posts_is_not_the_platform_s_dispute() -> None:
    det = _det(
        "Teacher held over posts on Facebook",
        "Police said the teacher was remanded into custody over comments he shared on Facebook.",
    )
    assert not det.relevant, det.reasons


@pytest.mark.parametrize(
    ("title", "stage"),
    [
        ("Appeals court upholds the regulator's fine against Google", Stage.RULING),
        ("Google appeals the dismissal of its lawsuit", Stage.APPEAL),
        ("Judge throws out Meta's lawsuit against the researchers", Stage.DISMISSED),
        ("X services restored after the court lifts the block", Stage.WITHDRAWN),
        ("Watchdog slaps Telegram with a 5 million euro fine", Stage.FINED),
        ("Court sets trial date in the suit against Amazon", Stage.HEARING),
        ("Uber agrees to pay $20 million in penalties after the regulator's lawsuit", Stage.FINED),
        ("Uber agrees to pay $20 million to settle the regulator's lawsuit", Stage.SETTLED),
    ],
)
def test_stage_cues_cover_the_newest_development(title: str, stage: Stage) -> None:
    det = _det(title)
    assert det.relevant and det.stage == stage, (det.stage, det.reasons)


def test_every_relevant_decision_says_why_with_its_weights() -> None:
    det = _det("Judge orders DreamHost to hand over visitor data to prosecutors")
    assert det.reasons[-1].startswith("score ") and "at or above" in det.reasons[-1]
    assert any(r.startswith("platform: DreamHost") for r in det.reasons)


def test_a_docket_entry_naming_a_platform_as_party_is_a_dispute() -> None:
    det = _det("1:21-cv-04321 Rivera v. Uber Technologies, Inc. et al", "[Order on motion] (12)")
    assert det.relevant and "Uber" in det.platforms and det.reasons[-1].startswith("docket entry")
    other = _det("1:21-cv-04322 Rivera v. Acme Plumbing Supply, LLC et al", "[Order on motion] (12)")
    assert not other.relevant
    news_company = _det("1:21-cv-04323 Doe v. Webb Research Group, LLC", "[Letter] users of the search")
    assert not news_company.relevant


def test_where_data_is_stored_is_no_party() -> None:
    det = _det("Justice Department fights Microsoft over emails stored in Ireland", "A warrant sought the data.")
    assert det.relevant and "Ireland" not in det.counterparties
    acting = _det("Ireland fines Microsoft over data transfers", "The regulator imposed the penalty.")
    assert "Ireland" in acting.counterparties


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        (
            "Brussels negotiators strike a provisional deal on online rules",
            "The agreement would force video platforms such as YouTube to remove flagged clips faster "
            "and give regulators new powers, officials said.",
        ),
        (
            "Lawmakers weigh a draft law on TikTok",
            "The draft law would ban TikTok on phones issued to state employees, its sponsor said.",
        ),
    ],
)
def test_rules_being_made_are_counter_evidence(title: str, summary: str) -> None:
    det = _det(title, summary)
    assert "against: lawmaking or hearing, no legal action" in det.reasons
    assert not det.relevant


def test_a_case_dropped_against_a_platform_is_not_lawmaking() -> None:
    det = _det(
        "Prosecutors drop their case against Apple over the locked phone",
        "The order that would require Apple to write new software is moot, the Justice Department said.",
    )
    assert "against: lawmaking or hearing, no legal action" not in det.reasons
    assert det.relevant


def test_a_person_appealing_a_conviction_is_the_accused_not_the_platform() -> None:
    det = _det(
        "Web searches cited in murder trial",
        "A Tampa man appeals his first-degree murder conviction, saying his Google searches proved nothing.",
    )
    assert "against: a person is accused, the platform is the venue" in det.reasons
    assert not det.relevant


def test_users_sharing_information_is_not_the_platform_complying() -> None:
    det = _det(
        "Prosecutors may obtain the identities of anonymous Yelp reviewers",
        "On the review site, customers share information about the businesses they visit.",
    )
    assert det.relevant and det.stage != Stage.COMPLIED, (det.stage, det.reasons)
