"""The router's rules, as a pure function: alert filters, follow modes, digests, pings, dedupe."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.delivery.router import passes_filters, route
from bot.models import (
    Action,
    Case,
    CaseChange,
    CaseEvent,
    DeliveryKind,
    DigestMode,
    FollowMode,
    GuildSettings,
    Stage,
    Subscription,
    TargetKind,
)

T = datetime(2024, 1, 2, tzinfo=UTC)
CASE = Case(
    id="c1",
    title="Reddit v. Studios: subpoena for user identities",
    status=Stage.FILED,
    action=Action.SUBPOENA,
    platforms=("Reddit",),
    counterparties=("Film studios",),
)
KEYS = frozenset({"reddit"})


def change(*, new: bool = False, events: tuple[CaseEvent, ...] = (), score: float = 0.9) -> CaseChange:
    return CaseChange(CASE, 11, "Reddit fights subpoena", "https://e.org/1", score, new, events)


STATUS_EVENT = CaseEvent("c1", Stage.FILED, Stage.DISMISSED, T, 11)


def test_new_case_goes_to_alert_channels_with_ping_only_where_configured() -> None:
    guilds = [GuildSettings(1, alert_channel_id=100, ping_role_id=7), GuildSettings(2, alert_channel_id=200)]
    intents = route(change(new=True), guilds, [], KEYS)
    assert {(i.target_id, i.ping_role_id, i.kind) for i in intents} == {
        (100, 7, DeliveryKind.NEW_CASE),
        (200, None, DeliveryKind.NEW_CASE),
    }


def test_status_update_never_pings_and_development_skips_alert_channels() -> None:
    guilds = [GuildSettings(1, alert_channel_id=100, ping_role_id=7)]
    status = route(change(events=(STATUS_EVENT,)), guilds, [], KEYS)
    assert [(i.kind, i.ping_role_id, i.event_index) for i in status] == [
        (DeliveryKind.STATUS_UPDATE, None, 0)
    ]
    assert route(change(), guilds, [], KEYS) == []


def test_filters() -> None:
    base = GuildSettings(1, alert_channel_id=100)
    assert passes_filters(base, change(), KEYS)
    assert not passes_filters(GuildSettings(1, 100, min_score=0.95), change(), KEYS)
    assert passes_filters(GuildSettings(1, 100, platforms=("reddit",)), change(), KEYS)
    assert not passes_filters(GuildSettings(1, 100, platforms=("TikTok",)), change(), KEYS)
    assert passes_filters(GuildSettings(1, 100, actions=("subpoena",)), change(), KEYS)
    assert not passes_filters(GuildSettings(1, 100, actions=("antitrust",)), change(), KEYS)
    assert passes_filters(GuildSettings(1, 100, include_keywords=("STUDIOS",)), change(), KEYS)
    assert not passes_filters(GuildSettings(1, 100, include_keywords=("bitcoin",)), change(), KEYS)
    assert not passes_filters(GuildSettings(1, 100, exclude_keywords=("subpoena",)), change(), KEYS)


def test_the_issue_filter_passes_a_case_any_of_whose_reports_raise_the_issue() -> None:
    from dataclasses import replace

    tagged = replace(
        CASE,
        issue_counts=(("free_speech", 2), ("anonymous_speech", 3), ("competition", 2), ("child_safety", 2), ("copyright", 1)),
    )
    assert "copyright" not in tagged.issues  # the card shows four; the filter still sees the fifth
    about = CaseChange(tagged, 11, "Reddit fights subpoena", "https://e.org/1", 0.9, False, ())
    assert passes_filters(GuildSettings(1, 100, issues=("copyright",)), about, KEYS)
    assert passes_filters(GuildSettings(1, 100, issues=("encryption", "anonymous_speech")), about, KEYS)
    assert not passes_filters(GuildSettings(1, 100, issues=("encryption",)), about, KEYS)
    assert not passes_filters(GuildSettings(1, 100, issues=("copyright",)), change(), KEYS)  # no issues yet
    assert passes_filters(GuildSettings(1, 100, issues=()), change(), KEYS)


def test_follow_modes_and_one_delivery_per_target() -> None:
    subs = [
        Subscription(1, 1, TargetKind.USER, 5, case_id="c1", mode=FollowMode.ALL),
        Subscription(2, 1, TargetKind.USER, 6, case_id="c1", mode=FollowMode.STATUS),
        Subscription(3, 1, TargetKind.CHANNEL, 100, platform_key="reddit"),
        Subscription(4, 1, TargetKind.USER, 8, platform_key="tiktok"),
    ]
    guilds = [GuildSettings(1, alert_channel_id=100)]
    dev = route(change(), guilds, subs, KEYS)
    assert [(i.target_kind, i.target_id) for i in dev] == [(TargetKind.USER, 5)]
    status = route(change(events=(STATUS_EVENT,)), guilds, subs, KEYS)
    assert sorted((i.target_kind.value, i.target_id) for i in status) == [
        ("channel", 100),  # alert channel and platform follower: one message
        ("user", 5),
        ("user", 6),
    ]


def test_digest_guilds_hold_deliveries_and_console_mode_sees_everything_but_developments() -> None:
    guilds = [GuildSettings(1, alert_channel_id=100, digest=DigestMode.DAILY)]
    (held,) = route(change(new=True), guilds, [], KEYS)
    assert held.held_for_digest
    console = route(change(new=True), [], [], KEYS, console=True)
    assert [i.target_kind for i in console] == [TargetKind.CONSOLE]
    assert route(change(), [], [], KEYS, console=True) == []


def test_dedupe_keys_are_stable_and_distinct() -> None:
    guilds = [GuildSettings(1, alert_channel_id=100), GuildSettings(2, alert_channel_id=200)]
    first = route(change(new=True), guilds, [], KEYS)
    second = route(change(new=True), guilds, [], KEYS)
    assert [i.dedupe_key for i in first] == [i.dedupe_key for i in second]
    assert len({i.dedupe_key for i in first}) == 2


def test_a_forum_alert_channel_also_gets_developments_through_the_same_filters() -> None:
    forum = GuildSettings(1, alert_channel_id=100, ping_role_id=7, alert_forum=True)
    text = GuildSettings(2, alert_channel_id=200)
    digest_forum = GuildSettings(3, alert_channel_id=300, alert_forum=True, digest=DigestMode.DAILY)
    filtered_forum = GuildSettings(4, alert_channel_id=400, alert_forum=True, platforms=("Twitter",))
    guilds = [forum, text, digest_forum, filtered_forum]
    [development] = route(change(), guilds, [], KEYS)
    assert (development.kind, development.target_id, development.guild_id) == (DeliveryKind.DEVELOPMENT, 100, 1)
    assert development.ping_role_id is None and not development.held_for_digest
    assert development.dedupe_key == "development:channel:100:c1:11"
    # New cases and status changes reach every alert channel, forum or not, as before.
    assert {i.target_id for i in route(change(new=True), guilds, [], KEYS)} == {100, 200, 300}
    assert {i.target_id for i in route(change(events=(STATUS_EVENT,)), guilds, [], KEYS)} == {100, 200, 300}
