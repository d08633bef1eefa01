"""Detector: relevance, word senses, extraction (fixture sentences written for these tests)."""

from __future__ import annotations

import pytest

from bot.detect.detector import detect
from bot.models import Action, ArticleText, Stage


def _d(title: str, summary: str = ""):
    return detect(ArticleText(title, summary))


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("Lakers hold home court in overtime thriller", "The NBA side defended the court as Apple TV cameras rolled."),
        ("Red carpet looks", "He wore a suit and tie to the Apple event; Google staff came in hoodies."),
        ("Apple Records reissues the White Album", "The label behind the Beatles announced a box set."),
        ("Amazon rainforest loss slows", "Deforestation in the Amazon rainforest fell, satellite data show."),
        ("New raid boss lets players summon allies", "Gamers on Twitter say the summon ability breaks the game."),
        ("Man arrested over threats posted on Facebook",
         "Police said the 34-year-old man was charged after posting threats on Facebook against a mayor."),
        ("Senators grill TikTok chief at hearing",
         "Lawmakers pressed the TikTok CEO during testimony on a proposed bill to restrict the app."),
        ("Google publishes transparency report",
         "Google said government requests for user data rose 12 percent in the half-year."),
        ("Twitter outage frustrates users", "Twitter said a technical problem kept users from posting for an hour."),
        ("Malcolm X biography tops charts", "The book about Malcolm X and OS X history sold well in court towns."),
    ],
)
def test_hard_negatives_are_not_relevant(title: str, summary: str) -> None:
    assert not _d(title, summary).relevant


def test_seed_story_summons_withdrawn() -> None:
    d = _d(
        "Twitter drops lawsuit after government withdraws summons",
        "Twitter refused a DHS summons, delivered by a Customs and Border Protection agent, seeking the "
        "identity behind @ALT_uscis, and sued. The government withdrew the summons and Twitter dropped the suit.",
    )
    assert d.relevant
    assert d.platforms == ("Twitter",)
    assert {"DHS", "CBP"} <= set(d.counterparties)
    assert d.action is Action.SUMMONS
    assert d.stage in (Stage.WITHDRAWN, Stage.DROPPED)
    assert "@alt_uscis" in d.subjects
    assert any(r.startswith("platform: Twitter") for r in d.reasons)


def test_lawsuit_against_platform_is_relevant_with_reasons() -> None:
    d = _d("Justice Department sues Google over search monopoly", "The antitrust lawsuit was filed in court.")
    assert d.relevant and d.score >= 0.6
    assert d.platforms == ("Google",)
    assert d.action is Action.ANTITRUST
    assert d.stage is Stage.FILED
    assert "DOJ" in d.counterparties


def test_executive_charged_is_the_platforms_fight_but_a_user_charged_is_not() -> None:
    assert _d("Telegram founder charged in France", "Telegram's CEO was charged and released on bail.").relevant
    assert not _d("Teen charged over Telegram threats", "A 17-year-old boy was charged over messages on Telegram.").relevant


def test_x_needs_context() -> None:
    assert _d("Brazil court orders suspension of X", "Elon Musk's X refused to name a legal representative.").platforms == ("X",)
    assert "X" not in _d("Apple ships OS X update", "A judge ruled on OS X trademarks in court.").platforms


def test_x_listed_with_other_platforms_is_the_platform() -> None:
    assert "X" in _d("Prosecutors open investigation into X, Meta and TikTok", "").platforms
    assert "X" in _d("Regulator fines TikTok and X over illegal content", "").platforms
    assert "X" not in _d("Generation X, Meta users and TikTok fans differ on privacy", "").platforms
    assert "X" not in _d("Malcolm X and TikTok: a documentary is banned", "").platforms


def test_docket_and_court_extraction() -> None:
    d = _d(
        "Platform fights subpoena",
        "Reddit moved to quash a subpoena in case 3:17-cv-01916 before the N.D. Cal. court.",
    )
    assert d.docket == "3:17-cv-01916"
    assert d.court == "N.D. Cal."
    assert "3:17-cv-01916" in d.subjects
    assert d.relevant and d.action is Action.SUBPOENA


def test_government_ban_is_relevant() -> None:
    d = _d("Nigeria suspends Twitter indefinitely", "The government said it was suspending Twitter's operations.")
    assert d.relevant and d.stage is Stage.DEMAND
    lifted = _d("Nigeria lifts ban on Twitter", "The government lifted its ban on Twitter after seven months.")
    assert lifted.relevant and lifted.stage is Stage.WITHDRAWN
