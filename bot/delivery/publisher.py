"""Drains the outbox to Discord: case cards, status updates, follower DMs, digests and admin notices.

Every send carries a nonce derived from its outbox row with ``enforce_nonce`` (discord.py sets it), so a
crash between Discord accepting a message and our ``mark_sent`` commit does not post it twice. Transient
errors back off; permanent ones (403, 404) fail the row, fail the target's other pending rows without
asking Discord again, and tell the guild's admins (see :mod:`bot.delivery.policy`). Feed text only ever
goes out with ``AllowedMentions.none()``; a new-case alert may ping exactly its configured role.

**Forum channels.** When the alert channel is a forum, each case is one post (:mod:`bot.delivery.forum`
picks its title and tags): the post's first message is the case card with the Follow button, every later
development and status change is posted inside it, its tags follow the status, and it is archived while
the case is closed (unarchived when it reopens). ``forum_posts`` keeps the post's ids; a deleted post is
created again on the next change, once. Discord's forum-post request takes no nonce, so the post is
marked "being created" (committed) before the request and its ids written after: a crash or a lost
answer in between leaves the marker, and the next attempt first looks for the post among the forum's
active threads (the bot's own, whose card names the case) before creating one. The window that can
still double a post: Discord created it but the bot cannot see it (it was archived or deleted in the
same seconds). Messages inside a post carry nonces as everywhere else.

Status changes carry the case's timeline picture (:mod:`bot.timeline_png`, cached per case version) as
an uploaded file that an embed shows (``attachment://timeline-<id>.png``), where the bot may attach
files; elsewhere, or if drawing fails, the update goes out without it. The nonce covers uploads too.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import aiohttp
import discord

from bot.clock import utcnow
from bot.delivery import forum as forum_rules
from bot.delivery import render
from bot.delivery.jobs import ADMINS, queue_notice
from bot.delivery.policy import is_permanent, next_attempt, nonce_for, tell_admins
from bot.delivery.ratelimit import TokenBucket
from bot.models import Article, Case, CaseEvent, Delivery, DeliveryKind, TargetKind, is_closed
from bot.timeline_png import timeline_png

if TYPE_CHECKING:
    from storage import AnyStore

# Discord allows 50 requests/s per bot; stay under it so the global limit is never hit (429s count
# towards the IP ban threshold). Interaction responses are exempt and do not use this budget.
GLOBAL_REQUESTS_PER_S = 45.0

log = logging.getLogger(__name__)

Sendable = discord.abc.Messageable


class Budget(Protocol):
    """Paces requests under Discord's global limit: ``acquire`` returns when ``tokens`` may be spent."""

    async def acquire(self, tokens: float = 1.0) -> None: ...


class PermanentFailure(Exception):
    """A delivery that can never succeed as it stands; ``status`` mimics Discord's when we pre-empt it."""

    def __init__(self, reason: str, status: int | None = 403) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def mentions_for(spec: render.MessageSpec) -> discord.AllowedMentions:
    """Nothing may ping, except the configured role on a new-case alert."""
    if spec.ping_role_id:
        return discord.AllowedMentions(everyone=False, users=False, roles=[discord.Object(spec.ping_role_id)])
    return discord.AllowedMentions.none()


def to_view(spec: render.MessageSpec) -> discord.ui.View | None:
    """Buttons as a finished view: the components are sent, but no per-message view is kept in memory
    (clicks are handled by the dynamic items the cogs register)."""
    if not spec.buttons:
        return None
    view = discord.ui.View(timeout=None)
    for b in spec.buttons:
        style = discord.ButtonStyle.link if b.url else discord.ButtonStyle.secondary
        view.add_item(discord.ui.Button(label=b.label, custom_id=b.custom_id, url=b.url, style=style))
    view.stop()
    return view


def to_embeds(spec: render.MessageSpec) -> list[discord.Embed]:
    return [discord.Embed.from_dict(e.to_dict()) for e in spec.embeds]


def to_files(spec: render.MessageSpec) -> list[discord.File]:
    """The message's uploads (sent as multipart; fresh objects each time, as a File is read once)."""
    return [discord.File(io.BytesIO(f.data), filename=f.name) for f in spec.files]


def can_attach(target: object) -> bool:
    """Whether the bot may upload files to ``target`` (always in DMs)."""
    if isinstance(target, discord.abc.GuildChannel):
        return target.permissions_for(target.guild.me).attach_files
    return True


async def draw_timeline(case: Case, events: list[CaseEvent], articles: list[Article]) -> bytes | None:
    """The case's timeline PNG (cached per version), drawn off the event loop; None if drawing failed
    (a picture must never cost the message it decorates)."""
    try:
        return await asyncio.to_thread(timeline_png, case, events, articles)
    except Exception:
        log.warning("could not draw the timeline picture of case %s", case.id, exc_info=True)
        return None


def message_kwargs(spec: render.MessageSpec) -> dict[str, Any]:
    """A spec as discord.py send arguments (mentions, embeds, files, buttons); content apart."""
    kwargs: dict[str, Any] = {"allowed_mentions": mentions_for(spec)}
    if spec.embeds:
        kwargs["embeds"] = to_embeds(spec)
    if spec.files:
        kwargs["files"] = to_files(spec)
    view = to_view(spec)
    if view is not None:
        kwargs["view"] = view
    return kwargs


async def send_spec(
    target: Sendable, spec: render.MessageSpec, *, nonce: str | None = None
) -> discord.Message:
    kwargs = message_kwargs(spec)
    if nonce is not None:
        kwargs["nonce"] = nonce
    return await target.send(spec.content, **kwargs)


async def start_post(
    forum: discord.ForumChannel,
    name: str,
    spec: render.MessageSpec,
    tags: list[discord.ForumTag] | None = None,
) -> discord.channel.ThreadWithMessage:
    """A forum post whose first message is ``spec`` (Discord takes no nonce here: see the module doc)."""
    kwargs = message_kwargs(spec)
    if spec.content:
        kwargs["content"] = spec.content
    if tags:
        kwargs["applied_tags"] = tags
    return await forum.create_thread(name=name, **kwargs)


class DiscordPublisher:
    def __init__(
        self,
        client: discord.Client,
        store: AnyStore,
        *,
        clock: Callable[[], datetime] = utcnow,
        batch: int = 100,
        requests_per_s: float = GLOBAL_REQUESTS_PER_S,
        public_url: str | None = None,
        budget: Budget | None = None,
    ) -> None:
        """``budget``: the request pacing (default: this process's own token bucket; deliverers sharing
        one database pass a bucket kept there, see :mod:`bot.workers.deliver`)."""
        self.client = client
        self.public_url = public_url  # CASEWATCH_PUBLIC_URL: cards link to the case's web page
        self.store = store
        self.cards = store.cards
        self.forum_posts = store.forum_posts
        self.clock = clock
        self.batch = batch
        self.budget: Budget = budget or TokenBucket(requests_per_s, burst=int(requests_per_s))
        self._lock = asyncio.Lock()
        self._instance: str | None = None  # the database's id, read once, part of every nonce
        self._dead: set[tuple[TargetKind, int]] = set()  # targets found unusable during this drain
        # Forums whose tags this drain changed: the edited object, until the gateway's update arrives.
        self._forums: dict[int, discord.ForumChannel] = {}

    async def drain(self, limit: int = 500) -> Counter[str]:
        """Send what is due (at most ``limit`` rows); returns counts by outcome."""
        stats: Counter[str] = Counter()
        async with self._lock:
            self._dead = set()
            self._forums = {}
            while stats.total() < limit:
                due = await self._due(min(self.batch, limit - stats.total()))
                if not due:
                    break
                # Targets are independent (each has its own rate-limit bucket): send to them concurrently,
                # in id order within a target so a case card always precedes its updates.
                by_target: dict[tuple[TargetKind, int], list[Delivery]] = {}
                for delivery in due:
                    by_target.setdefault((delivery.target_kind, delivery.target_id), []).append(delivery)
                try:
                    for outcomes in await asyncio.gather(
                        *(self._to_target(rows) for rows in by_target.values())
                    ):
                        stats.update(outcomes)
                finally:
                    await self._done(due)
        if stats:
            log.info("outbox drained: %s", dict(stats))
        return stats

    async def _to_target(self, rows: list[Delivery]) -> Counter[str]:
        outcomes: Counter[str] = Counter()
        for delivery in rows:
            if (delivery.target_kind, delivery.target_id) in self._dead:
                continue  # failed together with the delivery that found the target unusable
            # A status update to a channel edits the card and posts a short message: two requests.
            edits_card = (
                delivery.kind in (DeliveryKind.STATUS_UPDATE, DeliveryKind.DOCKET)
                and delivery.target_kind is TargetKind.CHANNEL
            )
            await self.budget.acquire(2 if edits_card else 1)
            outcomes[await self._one(delivery)] += 1
        return outcomes

    async def _due(self, limit: int) -> list[Delivery]:
        """The next rows to send (a deliverer process claims them instead; see bot.workers.deliver)."""
        return await self.store.outbox.due(self.clock(), limit, target_kinds=(TargetKind.CHANNEL, TargetKind.USER))

    async def _done(self, rows: list[Delivery]) -> None:
        """Called once the rows of a batch are settled (sent, failed or rescheduled)."""

    async def _guild(self, guild_id: int) -> discord.Guild | None:
        """The guild from the gateway's cache (a REST-only deliverer fetches it instead)."""
        return self.client.get_guild(guild_id)

    async def _channel(self, d: Delivery) -> object | None:
        """The target channel from the gateway's cache; None when it is not there."""
        return self.client.get_channel(d.target_id)

    async def _nonce(self, d: Delivery) -> str:
        if self._instance is None:
            self._instance = await self.store.outbox.instance_id()
        return nonce_for(d.id, instance=self._instance)

    async def wait_idle(self) -> None:
        """Return once no drain is running (the bot waits for this before closing the database)."""
        async with self._lock:
            return

    async def _one(self, d: Delivery) -> str:
        try:
            message_id = await self._send(d)
        except PermanentFailure as exc:
            return await self._failed(d, exc.reason, exc.status)
        except discord.HTTPException as exc:
            reason = f"HTTP {exc.status} (code {exc.code}): {exc.text or exc}"
            if is_permanent(exc.status):
                return await self._failed(d, reason, exc.status)
            return await self._retry(d, reason)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return await self._retry(d, f"{type(exc).__name__}: {exc}")
        await self.store.outbox.mark_sent(d.id, message_id)
        return "sent"

    async def _retry(self, d: Delivery, reason: str) -> str:
        at = next_attempt(d.attempts, self.clock())
        if at is None:
            await self.store.outbox.fail(d.id, f"gave up after {d.attempts + 1} attempts: {reason}")
            log.warning("delivery %s abandoned: %s", d.id, reason)
            return "failed"
        await self.store.outbox.retry_later(d.id, reason, at)
        log.info("delivery %s will be retried at %s: %s", d.id, at, reason)
        return "retry"

    async def _failed(self, d: Delivery, reason: str, status: int | None) -> str:
        await self.store.outbox.fail(d.id, reason)
        log.warning("delivery %s to %s %s failed permanently: %s", d.id, d.target_kind, d.target_id, reason)
        if d.target_id != ADMINS and tell_admins(status):
            # The same target would fail the same way: do not spend Discord's invalid-request budget on it.
            self._dead.add((d.target_kind, d.target_id))
            others = await self.store.outbox.fail_pending_to(
                d.target_kind, d.target_id, f"target unusable: {reason}"
            )
            if d.target_kind is TargetKind.CHANNEL and d.guild_id and d.kind is not DeliveryKind.NOTICE:
                text = (
                    f"casewatch could not post to <#{d.target_id}>: {reason}. Give the bot View Channel, "
                    "Send Messages and Embed Links there, or choose another channel with /alerts set."
                )
                day = f"{self.clock():%Y-%m-%d}"
                await queue_notice(self.store, d.guild_id, f"channel:{d.target_id}:{day}", text)
            if others:
                log.warning("failed %d more pending deliveries to the same target", others)
        return "failed"

    # --- targets -------------------------------------------------------------------------------------

    async def _target(self, d: Delivery, needs_embeds: bool) -> Sendable:
        if d.target_kind is TargetKind.USER:
            user = self.client.get_user(d.target_id) or await self.client.fetch_user(d.target_id)
            return user.dm_channel or await user.create_dm()
        if d.target_id == ADMINS:
            channel = await self._admin_channel(d.guild_id)
            if channel is None:
                raise PermanentFailure("the guild has no admin channel the bot can post in", None)
            return channel
        found = await self._resolve_channel(d)
        if not isinstance(found, discord.abc.Messageable):
            raise PermanentFailure("the channel cannot hold messages", 400)
        if isinstance(found, discord.abc.GuildChannel):
            missing = _missing_permissions(found, needs_embeds)
            if missing:
                raise PermanentFailure(f"missing permissions in #{found.name}: {', '.join(missing)}", 403)
        return found

    async def _resolve_channel(self, d: Delivery) -> Any:
        """The target channel: from the cache (``_channel``), else fetched; gone from a guild the bot
        is in is a permanent failure."""
        found = await self._channel(d)
        if found is None:
            if d.guild_id is not None and await self._guild(d.guild_id) is not None:
                raise PermanentFailure("the channel no longer exists", 404)
            found = await self.client.fetch_channel(d.target_id)
        return found

    async def _forum(self, d: Delivery) -> discord.ForumChannel | None:
        """The forum a channel delivery goes to, checked for the permissions posts need; None when the
        target is not a forum (a text channel, a DM, the admins)."""
        if d.target_kind is not TargetKind.CHANNEL or d.target_id == ADMINS:
            return None
        found = self._forums.get(d.target_id) or await self._resolve_channel(d)
        if not isinstance(found, discord.ForumChannel):
            return None
        perms = found.permissions_for(found.guild.me)
        wanted = {
            "View Channel": perms.view_channel,
            "Send Messages": perms.send_messages,  # creates posts
            "Send Messages in Threads": perms.send_messages_in_threads,  # posts inside them
            "Embed Links": perms.embed_links,
        }
        missing = [name for name, ok in wanted.items() if not ok]
        if missing:
            raise PermanentFailure(f"missing permissions in #{found.name}: {', '.join(missing)}", 403)
        return found

    async def _admin_channel(self, guild_id: int | None) -> discord.TextChannel | None:
        """Where admins are told things: the configured admin channel, else the system channel, else the
        alert channel; the first one the bot can post in and that did not just fail (a notice about a
        403/404 channel must not be sent to that same channel, spending another invalid request)."""
        guild = await self._guild(guild_id) if guild_id else None
        if guild is None:
            return None
        settings = await self.store.guilds.settings(guild.id)
        candidates = [
            guild.get_channel(settings.admin_channel_id) if settings.admin_channel_id else None,
            guild.system_channel,
            guild.get_channel(settings.alert_channel_id) if settings.alert_channel_id else None,
        ]
        return next(
            (
                c
                for c in candidates
                if isinstance(c, discord.TextChannel)
                and (TargetKind.CHANNEL, c.id) not in self._dead
                and not _missing_permissions(c, True)
            ),
            None,
        )

    # --- sending -------------------------------------------------------------------------------------

    async def _send(self, d: Delivery) -> int | None:
        if d.kind is DeliveryKind.NOTICE:
            spec = render.notice_message(str(_payload(d).get("text", "")))
            return (await send_spec(await self._target(d, True), spec, nonce=await self._nonce(d))).id
        if d.kind is DeliveryKind.DIGEST:
            data = _payload(d).get("message") or {}
            spec = render.MessageSpec(
                data.get("content"), tuple(_embed_from(e) for e in data.get("embeds") or ())
            )
            forum = await self._forum(d)
            if forum is not None:  # a digest in a forum is a post of its own
                name = render.plain((spec.content or "casewatch digest").replace("*", ""), 100)
                return (await start_post(forum, name, spec)).message.id
            return (await send_spec(await self._target(d, True), spec, nonce=await self._nonce(d))).id
        case = await self.store.cases.get(d.case_id) if d.case_id else None
        if case is None:
            raise PermanentFailure("the case no longer exists (reprocessed)", 410)
        if d.kind is DeliveryKind.DOCKET:
            return await self._docket(d, case)
        article = await self.store.articles.get(d.article_id) if d.article_id else None
        rows = await self.store.cases.event_rows(case.id)
        event = next((e for i, e in rows if i == d.event_id), None) if d.event_id is not None else None
        forum = await self._forum(d)
        if forum is not None:
            return await self._forum_update(forum, d, case, rows, article, event)
        target = await self._target(d, d.kind is not DeliveryKind.DEVELOPMENT)
        if d.kind is DeliveryKind.DEVELOPMENT:
            return (
                await send_spec(target, render.development_message(case, article), nonce=await self._nonce(d))
            ).id
        sources = await self.store.articles.for_case(case.id)
        png = None
        if d.kind is DeliveryKind.STATUS_UPDATE and can_attach(target):
            png = await draw_timeline(case, [e for _, e in rows], sources)
        if d.target_kind is TargetKind.USER:
            return (await self._dm_update(target, d, case, sources, article, event, png)).id
        return await self._channel_update(target, d, case, sources, article, event, png)

    async def _dm_update(
        self,
        target: Sendable,
        d: Delivery,
        case: Case,
        sources: list[Article],
        article: Article | None,
        event: CaseEvent | None,
        png: bytes | None = None,
    ) -> discord.Message:
        card = render.case_card(case, sources, event, page_url=render.case_page_url(self.public_url, case.id))
        content = "**New case**" if d.kind is DeliveryKind.NEW_CASE else render.status_line(case, event)
        image, files = render.timeline_picture(case, png)
        card = replace(card, image=image) if image else card
        return await send_spec(target, render.message(content, [card], files=files), nonce=await self._nonce(d))

    async def _channel_update(
        self,
        target: Sendable,
        d: Delivery,
        case: Case,
        sources: list[Article],
        article: Article | None,
        event: CaseEvent | None,
        png: bytes | None = None,
    ) -> int:
        """New case: post the card. Status change: edit the card, then post a short update (a ping-free
        notification) with the timeline picture; without a card in this channel, post a fresh card
        carrying the status line and the picture. A card edit drops the picture a card may have had
        (it was of an older version: the update message below it has the current one)."""
        card_id = await self.cards.get(case.id, d.target_id)
        card = render.case_card(case, sources, event, page_url=render.case_page_url(self.public_url, case.id))
        if card_id is not None and d.kind is DeliveryKind.NEW_CASE:
            return card_id  # posted before a crash; the card row was written, only mark_sent was lost
        if card_id is not None and not await self._edit_card(target, d, case, card_id, card):
            card_id = None
        image, files = render.timeline_picture(case, png)
        if card_id is not None:
            jump = f"https://discord.com/channels/{d.guild_id or '@me'}/{d.target_id}/{card_id}"
            spec = render.status_update_message(case, event, article, jump, image=image, files=files)
            return (await send_spec(target, spec, nonce=await self._nonce(d))).id
        if d.kind is DeliveryKind.NEW_CASE:
            spec = render.new_case_message(case, sources, d.ping_role_id)
        else:
            spec = render.message(
                render.status_line(case, event),
                [replace(card, image=image) if image else card],
                buttons=(render.follow_button(case.id),),
                files=files,
            )
        sent = await send_spec(target, spec, nonce=await self._nonce(d))
        await self.cards.put(case.id, d.target_id, sent.id, guild_id=d.guild_id)
        return sent.id


    async def _edit_card(
        self, target: Sendable, d: Delivery, case: Case, card_id: int, card: render.EmbedSpec
    ) -> bool:
        """Show ``card`` in the card message; False (and the card forgotten) when it was deleted."""
        try:
            await target.get_partial_message(card_id).edit(  # type: ignore[attr-defined]
                embeds=[discord.Embed.from_dict(card.to_dict())],
                view=to_view(render.MessageSpec(buttons=(render.follow_button(case.id),))),
                allowed_mentions=discord.AllowedMentions.none(),
                attachments=[],
            )
        except discord.NotFound:
            await self.cards.forget(case.id, d.target_id)
            return False
        await self.cards.touch(case.id, d.target_id)
        return True

    async def _docket(self, d: Delivery, case: Case) -> int | None:
        """Docket news: the channel's card is edited to show the docket (a deleted card is not
        re-posted for this), then the short message goes out when the news is announced."""
        text = str(_payload(d).get("text") or "")
        forum = await self._forum(d)
        if forum is not None:
            return await self._docket_in_post(forum, d, case, text)
        target = await self._target(d, True)
        card_id = await self.cards.get(case.id, d.target_id) if d.target_kind is TargetKind.CHANNEL else None
        if card_id is not None:
            sources = await self.store.articles.for_case(case.id)
            events = await self.store.cases.events(case.id)
            page = render.case_page_url(self.public_url, case.id)
            card = render.case_card(case, sources, events[-1] if events else None, page_url=page)
            if not await self._edit_card(target, d, case, card_id, card):
                card_id = None
        if not text:
            return card_id
        jump = f"https://discord.com/channels/{d.guild_id or '@me'}/{d.target_id}/{card_id}" if card_id else None
        spec = render.docket_message(case, text, jump)
        return (await send_spec(target, spec, nonce=await self._nonce(d))).id

    # --- forum posts -----------------------------------------------------------------------------------

    async def _docket_in_post(self, forum: discord.ForumChannel, d: Delivery, case: Case, text: str) -> int | None:
        """Docket news in the case's forum post: its card edited, the message posted inside; a closed
        case's post is archived again afterwards. No post (deleted meanwhile): nothing to refresh."""
        post = await self.forum_posts.get(case.id, forum.id)
        thread = await self._thread(forum, post.thread_id) if post and post.thread_id else None
        if post is None or thread is None:
            return None
        if thread.archived:
            await self.budget.acquire(1)
            thread = await thread.edit(archived=False)
        sent_id = post.message_id
        if post.message_id is not None:
            sources = await self.store.articles.for_case(case.id)
            events = await self.store.cases.events(case.id)
            card = render.case_card(
                case, sources, events[-1] if events else None, page_url=render.case_page_url(self.public_url, case.id)
            )
            with contextlib.suppress(discord.NotFound):  # the card alone was deleted: the news still goes out
                await thread.get_partial_message(post.message_id).edit(
                    embeds=[discord.Embed.from_dict(card.to_dict())],
                    view=to_view(render.MessageSpec(buttons=(render.follow_button(case.id),))),
                    allowed_mentions=discord.AllowedMentions.none(),
                )
        if text:
            jump = f"https://discord.com/channels/{d.guild_id or '@me'}/{thread.id}/{post.message_id}"
            spec = render.docket_message(case, text, jump if post.message_id else None)
            sent_id = (await send_spec(thread, spec, nonce=await self._nonce(d))).id
        if is_closed(case.status):
            await self.budget.acquire(1)
            await thread.edit(archived=True)
        return sent_id

    async def _forum_update(
        self,
        forum: discord.ForumChannel,
        d: Delivery,
        case: Case,
        rows: list[tuple[int, CaseEvent]],
        article: Article | None,
        event: CaseEvent | None,
    ) -> int:
        """One change of a case in its forum post: create the post when the case has none (or it was
        deleted), else post the change inside it; then keep its tags and archived state in step with
        the case. Returns the id of the message that tells people about the change."""
        sources = await self.store.articles.for_case(case.id)
        card = render.case_card(case, sources, event, page_url=render.case_page_url(self.public_url, case.id))
        png = None
        if d.kind is DeliveryKind.STATUS_UPDATE and forum.permissions_for(forum.guild.me).attach_files:
            png = await draw_timeline(case, [e for _, e in rows], sources)
        image, files = render.timeline_picture(case, png)
        tags = await self._tags(forum, case, d.guild_id)
        post = await self.forum_posts.get(case.id, forum.id)
        thread: discord.Thread | None = None
        if post is not None and post.thread_id is not None:
            thread = await self._thread(forum, post.thread_id)
        elif post is not None:  # marked "being created": a crash or a lost answer; look before creating
            thread = await self._find_post(forum, case.id, post.creating_since)
            if thread is not None:
                await self.forum_posts.put(
                    case.id, forum.id, thread.id, thread.id, guild_id=d.guild_id, archived=thread.archived
                )
                post = await self.forum_posts.get(case.id, forum.id)
        if thread is not None and post is not None and post.message_id is not None:
            if d.kind is DeliveryKind.NEW_CASE:
                return post.message_id  # posted before a crash; only mark_sent was lost
            try:
                return await self._in_post(forum, thread, post.message_id, d, case, card, article, event,
                                           tags, image, files)  # fmt: skip
            except discord.NotFound as exc:
                if exc.code != 10003:  # Unknown Channel: the post went while we worked; make it again
                    raise
            except discord.Forbidden as exc:
                # A moderator locked this one post: fail this delivery alone, not the whole forum.
                raise PermanentFailure(f"the post of case {case.id} cannot be changed: {exc.text}", None) from exc
        if d.kind is DeliveryKind.NEW_CASE:
            spec = render.new_case_message(case, sources, d.ping_role_id)
        elif d.kind is DeliveryKind.STATUS_UPDATE:
            spec = render.message(
                render.status_line(case, event),
                [replace(card, image=image) if image else card],
                buttons=(render.follow_button(case.id),),
                files=files,
            )
        else:
            spec = render.message(None, [card], buttons=(render.follow_button(case.id),))
        thread, starter = await self._create_post(forum, d, case, spec, tags)
        if is_closed(case.status):
            await self.budget.acquire(1)
            await thread.edit(archived=True)
            await self.forum_posts.set_archived(case.id, forum.id, True)
        if d.kind is DeliveryKind.DEVELOPMENT:
            await self.budget.acquire(1)
            sent = await send_spec(thread, render.development_message(case, article), nonce=await self._nonce(d))
            return sent.id
        return starter.id

    async def _in_post(
        self,
        forum: discord.ForumChannel,
        thread: discord.Thread,
        card_id: int,
        d: Delivery,
        case: Case,
        card: render.EmbedSpec,
        article: Article | None,
        event: CaseEvent | None,
        tags: list[discord.ForumTag],
        image: str | None,
        files: tuple[render.FileSpec, ...],
    ) -> int:
        closed = is_closed(case.status)
        if thread.archived:  # a post takes no edits while archived: reopen it first (tags too, if due)
            await self.budget.acquire(1)
            reopen: dict[str, Any] = {"archived": False}
            if not closed and _tag_ids(thread) != [t.id for t in tags]:
                reopen["applied_tags"] = tags
            thread = await thread.edit(**reopen)
        if d.kind is DeliveryKind.STATUS_UPDATE:
            await self.budget.acquire(1)
            try:
                await thread.get_partial_message(card_id).edit(
                    embeds=[discord.Embed.from_dict(card.to_dict())],
                    view=to_view(render.MessageSpec(buttons=(render.follow_button(case.id),))),
                    allowed_mentions=discord.AllowedMentions.none(),
                    attachments=[],
                )
            except discord.NotFound as exc:
                if exc.code != 10008:  # Unknown Message: the card alone was deleted; post it again below
                    raise
                spec = render.message(None, [card], buttons=(render.follow_button(case.id),))
                card_id = (await send_spec(thread, spec)).id
                await self.forum_posts.set_message(case.id, forum.id, card_id)
            jump = f"https://discord.com/channels/{d.guild_id or '@me'}/{thread.id}/{card_id}"
            spec = render.status_update_message(case, event, article, jump, image=image, files=files)
        else:
            spec = render.development_message(case, article)
        sent = await send_spec(thread, spec, nonce=await self._nonce(d))
        changes: dict[str, Any] = {}
        if _tag_ids(thread) != [t.id for t in tags]:
            changes["applied_tags"] = tags
        if closed:
            changes["archived"] = True
        if changes:
            await self.budget.acquire(1)
            await thread.edit(**changes)
        await self.forum_posts.set_archived(case.id, forum.id, closed)
        return sent.id

    async def _create_post(
        self,
        forum: discord.ForumChannel,
        d: Delivery,
        case: Case,
        spec: render.MessageSpec,
        tags: list[discord.ForumTag],
    ) -> tuple[discord.Thread, discord.Message]:
        """Create the case's post; the "being created" mark is committed first (see the module doc)."""
        await self.forum_posts.begin(case.id, forum.id, guild_id=d.guild_id, at=self.clock())
        try:
            created = await start_post(forum, forum_rules.post_title(case), spec, tags)
        except discord.HTTPException as exc:
            if 400 <= exc.status < 500:  # Discord refused it: no post was made, nothing to look for
                await self.forum_posts.forget(case.id, forum.id)
            raise
        await self.forum_posts.put(
            case.id, forum.id, created.thread.id, created.message.id, guild_id=d.guild_id
        )
        log.info("case %s: new post %s in forum %s", case.id, created.thread.id, forum.id)
        return created.thread, created.message

    async def _thread(self, forum: discord.ForumChannel, thread_id: int) -> discord.Thread | None:
        """The post's thread (archived ones are not cached: asked for), or None when it was deleted."""
        thread = forum.guild.get_thread(thread_id)
        if thread is not None:
            return thread
        await self.budget.acquire(1)
        try:
            found = await forum.guild.fetch_channel(thread_id)
        except discord.NotFound:
            log.info("forum post %s in forum %s is gone; the case gets a new one", thread_id, forum.id)
            return None
        return found if isinstance(found, discord.Thread) else None

    async def _find_post(
        self, forum: discord.ForumChannel, case_id: str, since: datetime | None
    ) -> discord.Thread | None:
        """After a crash while creating: the bot's own active post in ``forum`` whose card names the case,
        started since (a minute before) ``since``; None when there is none (then it is created)."""
        await self.budget.acquire(1)
        me = forum.guild.me.id
        threads = [
            t
            for t in await forum.guild.active_threads()
            if t.parent_id == forum.id and t.owner_id == me
            and (since is None or t.created_at is None or t.created_at >= since - timedelta(minutes=1))
        ]  # fmt: skip
        marker = f"case {case_id} ·"
        for thread in sorted(threads, key=lambda t: t.id, reverse=True):
            await self.budget.acquire(1)
            try:
                starter = await thread.fetch_message(thread.id)
            except discord.NotFound:
                continue
            if any((e.footer.text or "").startswith(marker) for e in starter.embeds):
                log.info("case %s: found its post %s after a restart", case_id, thread.id)
                return thread
        return None

    async def _tags(
        self, forum: discord.ForumChannel, case: Case, guild_id: int | None
    ) -> list[discord.ForumTag]:
        """The tags to apply to the case's post (at most 5, by :func:`forum_rules.choose_tags`); missing
        ones are created first when the bot has Manage Channels and the forum has room. Without the
        permission the posts go out with the tags the forum has, and the admins are told once."""
        wanted = forum_rules.wanted_tags(case)
        perms = forum.permissions_for(forum.guild.me)
        missing = forum_rules.tags_to_create(wanted, [t.name for t in forum.available_tags])
        if missing and perms.manage_channels:
            # The edit replaces the forum's whole tag list: make it from the forum as it is now, not from
            # a copy that may predate tags made since (they would be dropped, and taken off their posts).
            forum = await self._current_forum(forum)
            missing = forum_rules.tags_to_create(wanted, [t.name for t in forum.available_tags])
        if missing and perms.manage_channels:
            await self.budget.acquire(1)
            try:
                edited = await forum.edit(
                    available_tags=[*forum.available_tags, *(discord.ForumTag(name=n) for n in missing)]
                )
            except discord.Forbidden:
                edited = None
                await self._tags_notice(forum, guild_id)
            if isinstance(edited, discord.ForumChannel):
                forum = self._forum_edited(edited)
        elif missing and guild_id is not None:
            await self._tags_notice(forum, guild_id)
        usable = {
            t.name: t.id for t in forum.available_tags if not t.moderated or perms.manage_threads
        }
        chosen = forum_rules.choose_tags(wanted, usable)
        by_id = {t.id: t for t in forum.available_tags}
        return [by_id[i] for i in chosen]

    async def _current_forum(self, forum: discord.ForumChannel) -> discord.ForumChannel:
        """The forum as Discord has it now (the gateway keeps the cache current; a REST-only deliverer
        asks)."""
        return forum

    def _forum_edited(self, edited: discord.ForumChannel) -> discord.ForumChannel:
        """Remember the forum as this drain changed it (the gateway's update may come later)."""
        self._forums[edited.id] = edited
        return edited

    async def _tags_notice(self, forum: discord.ForumChannel, guild_id: int | None) -> None:
        if guild_id is None:
            return
        text = (
            f"casewatch posts each case in the forum <#{forum.id}> but cannot create its tags (open / "
            "closed, the action, the platforms): give the bot Manage Channels there, or create those "
            "tags yourself. Until then posts go out with the tags the forum has."
        )
        await queue_notice(self.store, guild_id, f"forum-tags:{forum.id}", text)


def _tag_ids(thread: discord.Thread) -> list[int]:
    return [t.id for t in thread.applied_tags]


def _payload(d: Delivery) -> dict[str, Any]:
    try:
        data = json.loads(d.payload or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _embed_from(data: dict[str, Any]) -> render.EmbedSpec:
    fields = tuple(
        render.FieldSpec(f["name"], f["value"], bool(f.get("inline"))) for f in data.get("fields") or ()
    )
    return render.embed(
        data.get("title") or "casewatch",
        data.get("description") or "",
        fields=fields,
        color=data.get("color"),
        footer=(data.get("footer") or {}).get("text"),
    )


def _missing_permissions(channel: discord.abc.GuildChannel, needs_embeds: bool) -> list[str]:
    perms = channel.permissions_for(channel.guild.me)
    wanted = {"View Channel": perms.view_channel, "Send Messages": perms.send_messages}
    if needs_embeds:
        wanted["Embed Links"] = perms.embed_links
    return [name for name, ok in wanted.items() if not ok]
