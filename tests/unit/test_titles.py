"""Case titles say who acts against whom, and feed markup is never a subject (issue 15)."""

from __future__ import annotations

from bot.cases.titles import make_title
from bot.detect.detector import detect
from bot.models import Action, ArticleText


def test_an_authority_s_action_names_the_authority_first() -> None:
    assert make_title(["Shein"], ["European Commission"], Action.REGULATORY, []) == (
        "European Commission investigation of Shein"
    )
    assert make_title(["TikTok"], ["Nepal"], Action.BAN, []) == "Nepal ban on TikTok"
    assert make_title(["X"], ["Brazil", "Anatel"], Action.BLOCKING_ORDER, []) == "Brazil/Anatel blocking order against X"
    assert make_title(["Google"], [], Action.ANTITRUST, []) == "Antitrust case against Google"


def test_a_suit_or_a_demand_fought_in_court_keeps_the_caption_form() -> None:
    assert make_title(["Twitter"], ["DHS", "CBP"], Action.SUMMONS, ["@alt_uscis"]) == (
        "Twitter v. DHS/CBP: summons (@alt_uscis)"
    )
    assert make_title(["Reddit"], ["Texas"], Action.LAWSUIT, []) == "Reddit v. Texas: lawsuit"


def test_mention_syntax_is_never_a_subject() -> None:
    det = detect(ArticleText("@everyone Reddit sued over @here posts", "A lawsuit against Reddit by @real_handle."))
    assert det.relevant
    assert "@everyone" not in det.subjects and "@here" not in det.subjects
    assert "@real_handle" in det.subjects
