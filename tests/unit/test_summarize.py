"""Summaries: the legal sentences, in order, always within limits."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from bot.models import Action, ArticleText, Case, CaseEvent, Stage
from bot.summarize import summarize_article, summarize_case

ART = ArticleText(
    "Twitter sues over summons",
    "The weather was mild on Thursday. Twitter sued the Department of Homeland Security in federal court. "
    "Officials had served a summons seeking the identity behind an account. Fans cheered at the stadium.",
    "https://example.org/a",
    datetime(2017, 4, 6, tzinfo=UTC),
)


def test_article_summary_keeps_the_legal_sentences_in_order() -> None:
    out = summarize_article(ART)
    assert out.startswith("Twitter sued the Department")
    assert "summons" in out and "weather" not in out and "stadium" not in out


@given(st.text(max_size=3000), st.text(max_size=200), st.integers(min_value=1, max_value=5000))
def test_article_summary_never_exceeds_limit(summary: str, title: str, limit: int) -> None:
    assert len(summarize_article(ArticleText(title, summary), max_chars=limit)) <= min(limit, 4096)


def test_case_summary_lists_events_oldest_first_within_limit() -> None:
    case = Case("c1", "Twitter v. DHS: summons", Stage.DROPPED, Action.SUMMONS, ("Twitter",), article_count=2)
    later = ArticleText("Twitter drops suit", "It is over.", "https://example.org/b", datetime(2017, 4, 7, tzinfo=UTC))
    events = [
        CaseEvent("c1", Stage.FILED, Stage.DROPPED, datetime(2017, 4, 7, tzinfo=UTC), 2, later.url),
        CaseEvent("c1", None, Stage.FILED, datetime(2017, 4, 6, tzinfo=UTC), 1, ART.url),
    ]
    out = summarize_case(case, [ART, later], events)
    assert out.index("2017-04-06: filed") < out.index("2017-04-07: dropped")
    assert "Twitter drops suit" in out
    assert len(summarize_case(case, [ART, later], events * 200, max_chars=300)) <= 300
