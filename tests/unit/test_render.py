"""Discord rendering is pure: sanitising of hostile feed text and every Discord limit, without I/O."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.delivery import render
from bot.delivery.policy import MAX_ATTEMPTS, is_permanent, next_attempt, nonce_for, tell_admins
from bot.delivery.render_lists import choice_name, page_of
from bot.guards import can_manage, may_manage_subscription, split_list, unknown_actions
from bot.models import Action, Article, Case, CaseEvent, Stage, Subscription, TargetKind
from tests.fakediscord.limits import validate_message

NOW = datetime(2024, 5, 1, tzinfo=UTC)
MENTION = re.compile(r"<[@#][!&]?\d+>|@everyone|@here", re.IGNORECASE)


def huge_case() -> tuple[Case, list[Article]]:
    case = Case(
        id="c1",
        title="T" * 1000,
        status=Stage.RULING,
        action=Action.LAWSUIT,
        platforms=tuple(f"Platform{i}" for i in range(200)),
        counterparties=("Gov " * 300,),
        court="Court " * 200,
        docket="1:24-cv-" + "9" * 500,
        summary="word " * 5000,
        article_count=500,
    )
    articles = [
        Article(
            i, 1, f"k{i}", f"https://news.example.org/{i}/" + "x" * 300, "headline " * 80, "", NOW, NOW, "h"
        )
        for i in range(500)
    ]
    return case, articles


def test_mentions_are_neutralised() -> None:
    text = "hi @everyone and @HERE <@1> <@!2> <@&3> <#4> </ban:5> @\u200beveryone @\u2060here"
    out = render.safe(text, 500)
    assert not MENTION.search(out)
    assert "@user" in out and "@role" in out and "#channel" in out


def test_markdown_masked_links_and_code_fences_are_escaped() -> None:
    out = render.safe("[click](javascript:alert(1)) ```py\nx``` **bold** ||spoiler|| > quote", 500)
    assert "](javascript" not in out.replace("\\]", "")
    assert "\\[click\\]" in out and "\\`\\`\\`" in out and "\\*\\*bold\\*\\*" in out and "\\|\\|" in out
    assert render.safe("# Heading\n- item\n1. one", 100, single_line=False).splitlines() == [
        "\\# Heading",
        "\\- item",
        "1\\. one",
    ]


def test_invisible_and_bidi_characters_are_removed() -> None:
    assert render.clean_text("a\u200bb\u202ec\ufeffd\x07e") == "abcd e"


def test_only_http_urls_become_links() -> None:
    assert render.safe_url("javascript:alert(1)") is None
    assert render.safe_url("data:text/html,x") is None
    assert render.safe_url("https://e.org/a (b)") == "https://e.org/a%20%28b%29"
    assert render.link("title", "javascript:x") == "title"
    assert render.link("t", "https://e.org/x") == "[t](https://e.org/x)"


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("@everyonhr<>#!&0123456789[]()*_`|~\\\u200b\n abc:/")), max_size=300
    ),
    st.integers(min_value=1, max_value=400),
)
def test_safe_text_never_mentions_and_fits(text: str, limit: int) -> None:
    out = render.safe(text, limit)
    assert len(out) <= limit
    assert not MENTION.search(render.clean_text(out))
    assert not re.search(r"(?<!\\)\[[^\]]*(?<!\\)\]\(", out)  # no masked link survives


def test_case_card_fits_every_discord_limit() -> None:
    case, articles = huge_case()
    event = CaseEvent("c1", Stage.FILED, Stage.RULING, NOW, 499, None)
    for spec in (
        render.new_case_message(case, articles, ping_role_id=42),
        render.message("x" * 5000, [render.case_card(case, articles, event)] * 12),
        render.status_update_message(case, event, articles[-1], "https://discord.com/channels/1/2/3"),
        render.message(None, [render.timeline_embed(case, [event] * 300, articles)]),
    ):
        payload = spec.to_dict()
        assert validate_message(payload) is None, payload
        assert len(payload["content"] or "") <= render.CONTENT_MAX
        assert sum(e.size() for e in spec.embeds) <= render.EMBED_TOTAL_MAX and len(spec.embeds) <= 10
    card = render.case_card(case, articles, event)
    assert len(card.title) <= 256 and len(card.description) <= 4096 and len(card.fields) <= 25
    assert all(len(f.value) <= 1024 and len(f.name) <= 256 for f in card.fields)
    assert card.footer == "case c1 · 500 articles"


def test_new_case_message_pings_only_when_a_role_is_set() -> None:
    case, articles = huge_case()
    pinged = render.new_case_message(case, articles[:1], ping_role_id=42)
    assert pinged.content == "<@&42> New case" and pinged.ping_role_id == 42
    assert pinged.buttons[0].custom_id == "cw:follow:c1"
    quiet = render.new_case_message(case, articles[:1])
    assert quiet.content is None and quiet.ping_role_id is None


def test_choice_names_and_pages() -> None:
    case, _ = huge_case()
    assert 1 <= len(choice_name(case)) <= 100
    assert choice_name(Case("c", "", Stage.FILED, Action.OTHER, ())).startswith("(untitled)")
    assert page_of(17, 5, 8) == page_of(17, 2, 8) and page_of(17, 2, 8).start == 16
    assert page_of(0, 0, 8).pages == 1


def test_delivery_policy() -> None:
    assert nonce_for(1) == "cw1" and nonce_for(10**20, 3) == "cw100000000000000000000p3"
    assert len(nonce_for(10**22)) <= 25
    assert nonce_for(7, instance="0a1b2c") == "cw0a1b2cx7" and len(nonce_for(10**13, 9, "0a1b2c")) <= 25
    delays = [next_attempt(n, NOW) for n in range(MAX_ATTEMPTS)]
    assert delays[-1] is None and all(d is not None for d in delays[:-1])
    steps = [d - NOW for d in delays[:-1] if d]
    assert steps == sorted(steps) and steps[0] == timedelta(seconds=15)
    assert [is_permanent(s) for s in (400, 403, 404, 429, 500, None)] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    assert tell_admins(403) and tell_admins(404) and not tell_admins(400)


def test_guards() -> None:
    assert can_manage(1 << 5) and can_manage(1 << 3) and not can_manage(1 << 11)
    assert split_list(None) is None and split_list("none") == ()
    assert split_list(" Twitter, meta;twitter\nX ") == ("Twitter", "meta", "X")
    assert unknown_actions(("lawsuit", "court order", "teleport")) == ["teleport"]
    dm = Subscription(1, 10, TargetKind.USER, 7, case_id="c")
    channel = Subscription(2, 10, TargetKind.CHANNEL, 99, case_id="c")
    assert may_manage_subscription(dm, user_id=7, guild_id=None, manages_guild=False)
    assert not may_manage_subscription(dm, user_id=8, guild_id=10, manages_guild=True)
    assert may_manage_subscription(channel, user_id=8, guild_id=10, manages_guild=True)
    assert not may_manage_subscription(channel, user_id=8, guild_id=11, manages_guild=True)
    assert not may_manage_subscription(channel, user_id=8, guild_id=10, manages_guild=False)


def test_a_card_links_to_the_case_page_when_a_public_url_is_set() -> None:
    case, articles = huge_case()
    page = render.case_page_url("https://cases.example.org/", case.id)
    assert page == f"https://cases.example.org/cases/{case.id}"
    card = render.case_card(case, articles, page_url=page)
    assert card.url == page
    assert any(f.name == "Whole story" and page in f.value for f in card.fields)
    assert validate_message(render.message(None, [card]).to_dict()) is None
    plain = render.case_card(case, articles)
    assert plain.url == articles[-1].url and all(f.name != "Whole story" for f in plain.fields)
    assert render.case_page_url(None, case.id) is None


def test_the_card_shows_the_legal_issues_and_the_linked_docket_within_limits() -> None:
    from datetime import date

    from bot.models import DocketLink

    case, articles = huge_case()
    assert "Legal issues" not in [f.name for f in render.case_card(case, articles).fields]
    hostile = "<@123> @everyone [x](javascript:alert(1)) " + "N" * 2000
    linked = Case(
        **{
            **{f: getattr(case, f) for f in case.__dataclass_fields__},
            "issue_counts": (("competition", 1), ("section_230", 4), ("free_speech", 2)),
            "docket_link": DocketLink(
                url="https://www.courtlistener.com/docket/68519283/x-corp-v-media-matters/",
                court="N.D. Tex." + hostile,
                number="4:23-cv-01175" + hostile,
                filed=date(2023, 11, 20),
                case_name=hostile,
                reason=hostile,
                last_filing=date(2024, 5, 1),
            ),
        }
    )
    card = render.case_card(linked, articles)
    fields = {f.name: f.value for f in card.fields}
    assert (
        fields["Legal issues"] == "Section 230 · Free speech · Competition / antitrust"
    )  # most reported first
    docket = fields["Court / docket"]
    assert docket.startswith("[N.D. Tex.") and "](https://www.courtlistener.com/docket/68519283/" in docket
    assert "filed 2023-11-20" in docket and "last filing 2024-05-01" in docket
    assert (
        "found on CourtListener" in docket
        and not MENTION.search(docket)
        and re.findall(r"(?<!\\)\]\(([^)]*)\)", docket)
        == ["https://www.courtlistener.com/docket/68519283/x-corp-v-media-matters/"]
    )
    payload = render.new_case_message(linked, articles).to_dict()
    assert validate_message(payload) is None and all(
        len(f["value"]) <= 1024 for f in payload["embeds"][0]["fields"]
    )

    by_admin = Case(
        **{
            **{f: getattr(case, f) for f in case.__dataclass_fields__},
            "docket_link": DocketLink(
                url="https://www.courtlistener.com/docket/1/a-v-b/", source="admin", reason="x"
            ),
        }
    )
    value = {f.name: f.value for f in render.case_card(by_admin).fields}["Court / docket"]
    assert value == "[docket](https://www.courtlistener.com/docket/1/a-v-b/)\n-# set by an admin"
