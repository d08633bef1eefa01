"""Discord-free outbox jobs: fold held deliveries into digests and queue notices for guild admins.

Both only write outbox rows (in one transaction with the state they settle), so the publisher sends
them like anything else, with the same nonce and retry rules, and a crash never loses or doubles one.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from bot.clock import from_iso, to_iso
from bot.delivery.digest import DigestItem, build_digest, digest_due
from bot.models import DeliveryIntent, DeliveryKind, DigestMode, TargetKind

if TYPE_CHECKING:
    from storage import AnyStore

log = logging.getLogger(__name__)

ADMINS = 0  # target_id of a notice whose channel the publisher picks (admin channel, else system channel)
DIGESTED, DROPPED = "digested", "skipped"


def notice_intent(guild_id: int, dedupe_key: str) -> DeliveryIntent:
    return DeliveryIntent(
        kind=DeliveryKind.NOTICE,
        target_kind=TargetKind.CHANNEL,
        target_id=ADMINS,
        dedupe_key=f"notice:{dedupe_key}",
        guild_id=guild_id,
    )


async def queue_notice(store: AnyStore, guild_id: int, dedupe_key: str, text: str) -> bool:
    """Queue one notice to a guild's admins; the same ``dedupe_key`` is only ever queued once."""
    async with store.transaction():
        added = await store.outbox.enqueue([notice_intent(guild_id, dedupe_key)], payload={"text": text})
    return bool(added)


async def notify_disabled_feeds(store: AnyStore) -> int:
    """Tell the admins of every guild that added a feed when casewatch disabled it, once per disable."""
    queued = 0
    for feed, owners in await store.feeds.disabled_owned():
        text = (
            f"casewatch stopped polling your feed {feed.url}: {feed.disabled_reason or 'disabled'}. "
            "Fix the feed and turn it back on with /feeds enable, or remove it with /feeds remove."
        )
        for guild_id in owners:
            key = f"feed-disabled:{feed.id}:{guild_id}:{to_iso(feed.last_fetch_at)}"
            queued += await queue_notice(store, guild_id, key, text)
    return queued


async def compile_digests(store: AnyStore, now: datetime) -> int:
    """Turn each guild's held deliveries into digest deliveries once its period is over; returns how many."""
    made = 0
    for guild_id, oldest in await store.outbox.held_guilds():
        settings = await store.guilds.settings(guild_id)
        last = from_iso(await store.outbox.last_created(guild_id, DeliveryKind.DIGEST))
        flush = settings.digest is DigestMode.OFF  # digest switched off: send what was held right away
        if not flush and not digest_due(settings.digest, last, from_iso(oldest), now):
            continue
        held = await store.outbox.held(guild_id)
        items = []
        for d in held:
            case = await store.cases.get(d.case_id) if d.case_id else None
            event = None
            if case is not None and d.event_id is not None:
                event = next((e for i, e in await store.cases.event_rows(case.id) if i == d.event_id), None)
            items.append(DigestItem(d.id, d.kind, case, event))
        mode = settings.digest if not flush else DigestMode.DAILY
        channel = settings.alert_channel_id
        messages = build_digest(items, mode, now) if channel else []
        async with store.transaction():
            for part, spec in enumerate(messages):
                assert channel is not None  # no messages without an alert channel
                intent = DeliveryIntent(
                    kind=DeliveryKind.DIGEST,
                    target_kind=TargetKind.CHANNEL,
                    target_id=channel,
                    dedupe_key=f"digest:{guild_id}:{held[-1].id}:{part}",
                    guild_id=guild_id,
                )
                made += await store.outbox.enqueue([intent], payload={"message": spec.to_dict()})
            await store.outbox.settle([d.id for d in held], DIGESTED if messages else DROPPED)
        log.info(
            "guild %s: %d held deliveries folded into %d digest message(s)",
            guild_id,
            len(held),
            len(messages),
        )
    return made
