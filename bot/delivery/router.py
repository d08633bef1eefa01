"""Who gets what: a pure function from one case change to the deliveries it causes.

Kept free of I/O so the rules (alert filters, follow modes, digests, pings) are tested directly and the
pipeline can write the result in the same transaction as the change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.models import (
    CaseChange,
    DeliveryIntent,
    DeliveryKind,
    DigestMode,
    FollowMode,
    GuildSettings,
    Subscription,
    TargetKind,
)


def _lower_all(values: Iterable[str]) -> set[str]:
    return {v.strip().lower() for v in values if v.strip()}


def passes_filters(settings: GuildSettings, change: CaseChange, platform_keys: frozenset[str]) -> bool:
    """Whether a guild's alert filters let this change through to its alert channel."""
    case = change.case
    if change.score < settings.min_score:
        return False
    wanted_platforms = _lower_all(settings.platforms)
    if wanted_platforms and not (wanted_platforms & (platform_keys | _lower_all(case.platforms))):
        return False
    if settings.actions and case.action.value not in _lower_all(settings.actions):
        return False
    # Any issue one of its reports raises (as /case search and the web view filter), not only the few the
    # card has room for: a filter is there to not miss a case.
    if settings.issues and not set(settings.issues) & {k for k, n in case.issue_counts if n > 0}:
        return False
    haystack = " ".join((case.title, change.article_title, case.summary, *case.platforms)).lower()
    if settings.include_keywords and not any(k in haystack for k in _lower_all(settings.include_keywords)):
        return False
    return not any(k in haystack for k in _lower_all(settings.exclude_keywords))


def _event_suffix(change: CaseChange) -> str:
    return f"{change.case.id}:{change.article_id}"


def route(
    change: CaseChange,
    guilds: Sequence[GuildSettings],
    subscriptions: Sequence[Subscription],
    platform_keys: frozenset[str],
    *,
    console: bool = False,
) -> list[DeliveryIntent]:
    """Deliveries for one change. At most one per target: a channel that is both an alert channel and a
    follower gets the alert only. ``dedupe_key`` makes re-running the same change enqueue nothing new."""
    if change.is_new_case:
        kind = DeliveryKind.NEW_CASE
    elif change.events:
        kind = DeliveryKind.STATUS_UPDATE
    else:
        kind = DeliveryKind.DEVELOPMENT
    suffix = _event_suffix(change)
    intents: dict[tuple[TargetKind, int], DeliveryIntent] = {}

    def add(target_kind: TargetKind, target_id: int, **extra: object) -> None:
        key = (target_kind, target_id)
        if key in intents:
            return
        intents[key] = DeliveryIntent(
            kind=kind,
            target_kind=target_kind,
            target_id=target_id,
            dedupe_key=f"{kind.value}:{target_kind.value}:{target_id}:{suffix}",
            case_id=change.case.id,
            article_id=change.article_id,
            event_index=0 if change.events else None,
            **extra,  # type: ignore[arg-type]
        )

    if console and kind is not DeliveryKind.DEVELOPMENT:
        add(TargetKind.CONSOLE, 0)

    # Alert channels see new cases and status changes, not every extra article; a forum alert channel
    # (one post per case) sees every development too, in the case's post (unless it gets digests).
    for settings in guilds:
        if kind is DeliveryKind.DEVELOPMENT and not (settings.alert_forum and settings.digest is DigestMode.OFF):
            continue
        if settings.alert_channel_id is None or not passes_filters(settings, change, platform_keys):
            continue
        add(
            TargetKind.CHANNEL,
            settings.alert_channel_id,
            guild_id=settings.guild_id,
            ping_role_id=settings.ping_role_id if kind is DeliveryKind.NEW_CASE else None,
            held_for_digest=settings.digest is not DigestMode.OFF,
        )

    for sub in subscriptions:
        follows_case = sub.case_id == change.case.id
        follows_platform = sub.platform_key is not None and sub.platform_key in platform_keys
        if not (follows_case or follows_platform):
            continue
        if sub.mode is FollowMode.STATUS and kind is DeliveryKind.DEVELOPMENT:
            continue
        if follows_platform and not follows_case and kind is DeliveryKind.DEVELOPMENT:
            continue  # platform followers hear about cases and status changes, not every article
        add(sub.target_kind, sub.target_id, guild_id=sub.guild_id)
    return list(intents.values())


def route_docket(
    case_id: str,
    dedupe: str,
    card_channels: Sequence[tuple[int, int | None]],
    subscriptions: Sequence[Subscription],
    *,
    announce: bool,
) -> list[DeliveryIntent]:
    """Deliveries for news about a case's docket (found, set by an admin, new filing).

    Every channel that shows the case's card gets one (the card is edited to show the docket, with a
    short message when ``announce``); followers of the case (DMs and channels, every follow mode: the
    court record is what people follow a case for) get the message when ``announce``. One per target;
    ``dedupe`` names the news, so the same news is never queued twice."""
    intents: dict[tuple[TargetKind, int], DeliveryIntent] = {}

    def add(target_kind: TargetKind, target_id: int, guild_id: int | None) -> None:
        if (target_kind, target_id) not in intents:
            intents[(target_kind, target_id)] = DeliveryIntent(
                kind=DeliveryKind.DOCKET,
                target_kind=target_kind,
                target_id=target_id,
                dedupe_key=f"docket:{target_kind.value}:{target_id}:{case_id}:{dedupe}",
                case_id=case_id,
                guild_id=guild_id,
            )

    for channel_id, guild_id in card_channels:
        add(TargetKind.CHANNEL, channel_id, guild_id)
    if announce:
        for sub in subscriptions:
            if sub.case_id == case_id and sub.target_kind in (TargetKind.CHANNEL, TargetKind.USER):
                add(sub.target_kind, sub.target_id, sub.guild_id)
    return list(intents.values())
