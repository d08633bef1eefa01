"""Forum mode as plain data: post titles and tags within Discord's limits, chosen deterministically."""

from __future__ import annotations

from bot.delivery.forum import (
    APPLIED_TAGS_MAX,
    FORUM_TAGS_MAX,
    TAG_NAME_MAX,
    THREAD_NAME_MAX,
    choose_tags,
    post_title,
    tag_name,
    tags_to_create,
    wanted_tags,
)
from bot.models import Action, Case, Stage


def case(**extra: object) -> Case:
    base: dict[str, object] = {
        "id": "c1",
        "title": "Reddit fights subpoena",
        "status": Stage.FILED,
        "action": Action.COURT_ORDER,
        "platforms": ("Reddit",),
    }
    return Case(**{**base, **extra})  # type: ignore[arg-type]


def test_tags_say_open_or_closed_then_the_action_then_the_platforms() -> None:
    assert wanted_tags(case()) == ["open", "court order", "Reddit"]
    assert wanted_tags(case(status=Stage.DISMISSED, platforms=("X", "Meta", "x"))) == [
        "closed",
        "court order",
        "X",
        "Meta",
    ]


def test_tag_names_and_titles_fit_discords_limits_and_are_plain_text() -> None:
    long = "The Very Long Platform Name Incorporated"
    assert len(tag_name(long)) <= TAG_NAME_MAX and tag_name(long).startswith("The Very")
    assert tag_name("a\u200b b\n c") == "a b c"
    title = post_title(case(title="**Bold** <@123> " + "word " * 40))
    assert "@\u2024everyone" in post_title(case(title="@everyone look"))
    assert len(title) <= THREAD_NAME_MAX and title.startswith("**Bold** @user word")
    assert post_title(case(title="\u200b")) == "case c1"


def test_at_most_five_tags_in_priority_order_and_only_those_the_forum_has() -> None:
    many = case(platforms=("A", "B", "C", "D", "E", "F"))
    available = {name: i for i, name in enumerate(["f", "e", "d", "c", "b", "a", "court order", "OPEN"], 1)}
    chosen = choose_tags(wanted_tags(many), available)
    assert len(chosen) == APPLIED_TAGS_MAX
    assert chosen == [
        available["OPEN"],
        available["court order"],
        available["a"],
        available["b"],
        available["c"],
    ]
    assert choose_tags(wanted_tags(many), available) == chosen  # the same every time
    assert choose_tags(["open", "Reddit"], {"Reddit": 9}) == [9]
    assert choose_tags(["open"], {}) == []


def test_creation_fills_the_forum_at_most_to_twenty_status_tags_first() -> None:
    assert tags_to_create(["open", "lawsuit", "Reddit"], []) == ["open", "closed", "lawsuit", "Reddit"]
    assert tags_to_create(["open", "lawsuit", "Reddit"], ["Open", "CLOSED", "reddit"]) == ["lawsuit"]
    nearly_full = [f"t{i}" for i in range(FORUM_TAGS_MAX - 2)]
    assert tags_to_create(["closed", "lawsuit", "Reddit"], nearly_full) == ["open", "closed"]
    full = [f"t{i}" for i in range(FORUM_TAGS_MAX)]
    assert tags_to_create(["open"], full) == []


def test_legal_issues_come_after_the_platforms_where_there_is_room() -> None:
    tagged = case(issue_counts=(("free_speech", 1), ("section_230", 3)))
    assert wanted_tags(tagged) == ["open", "court order", "Reddit", "Section 230", "Free speech"]
    crowded = case(platforms=("Reddit", "Meta", "TikTok"), issue_counts=(("copyright", 2), ("encryption", 1)))
    available = {name: i for i, name in enumerate(wanted_tags(crowded))}
    chosen = [name for name, i in available.items() if i in choose_tags(wanted_tags(crowded), available)]
    assert chosen == ["open", "court order", "Reddit", "Meta", "TikTok"]  # five: the issues have no room
