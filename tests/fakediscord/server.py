"""FakeDiscord: an aiohttp server on 127.0.0.1 that speaks Discord's REST and gateway protocols.

Tests build the world with `add_guild` / `add_text_channel` / `add_member`, run the real bot against it, then
inspect `messages(...)`, `requests` and interaction handles. Nothing here imports discord.py, so the fake
judges the library instead of echoing it.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import web

from .gateway import (
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MEMBERS,
    INTENT_GUILD_MESSAGES,
    INTENT_GUILDS,
    Gateway,
)
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    InteractionHandle,
    InvalidInvocation,
    OptionBuilder,
    _check_default_permissions,
    _find_command,
    interaction_envelope,
    resolve_path,
    wrap_options,
)
from .limits import RateLimitConfig, RateLimiter, validate_message
from .permissions import (
    ADD_REACTIONS,
    DEFAULT_EVERYONE,
    PERMISSION_BITS,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    parse_permissions,
)
from .rest import RATE_LIMIT_HEADERS, RequestRecord, RestApi, Result
from .state import (
    DM_CHANNEL,
    EPHEMERAL_FLAG,
    FORUM_CHANNEL,
    PUBLIC_THREAD,
    TEXT_CHANNEL,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeMessage,
    FakeRole,
    FakeUser,
    Overwrite,
    Snowflakes,
    iso_now,
)

log = logging.getLogger(__name__)

DEFAULT_BOT_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | READ_MESSAGE_HISTORY
    | ADD_REACTIONS
    | PERMISSION_BITS["embed_links"]
    | PERMISSION_BITS["attach_files"]
)
CHAT_INPUT_MESSAGE_TYPE = 20


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int
    body: Any
    headers: dict[str, str]
    remaining: int


class FaultInjector:
    """`fail_next` rules, consumed in order before routing (so they also hit auth-free routes)."""

    def __init__(self) -> None:
        self.rules: list[Fault] = []
        self.fired = 0

    def take(self, method: str, path: str) -> Fault | None:
        for rule in self.rules:
            if rule.remaining > 0 and rule.method in (method, "*") and rule.path.search(path):
                rule.remaining -= 1
                self.fired += 1
                return rule
        return None


def resolve_attachment_urls(embeds: list[dict[str, Any]], attachments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What Discord stores for an embed image or thumbnail of ``attachment://NAME``: the attachment's
    URL (and size), as the message payload shows it. The REST handlers refuse unknown names before."""
    by_name = {a["filename"]: a for a in attachments}
    out = []
    for embed in embeds:
        embed = dict(embed)
        for slot in ("image", "thumbnail"):
            url = str((embed.get(slot) or {}).get("url") or "")
            found = by_name.get(url.removeprefix("attachment://")) if url.startswith("attachment://") else None
            if found is not None:
                embed[slot] = {
                    "url": found["url"],
                    "proxy_url": found["proxy_url"],
                    **{k: found[k] for k in ("width", "height") if k in found},
                }
        out.append(embed)
    return out


def _id_of(obj: Any) -> int:
    return obj if isinstance(obj, int) else int(obj.id)


class FakeDiscord:
    """One application, its bot user and an in-memory Discord; `async with FakeDiscord() as fake:`."""

    def __init__(
        self,
        *,
        token: str = "fake-bot-token",
        bot_name: str = "casewatch-test",
        rate_limits: RateLimitConfig | None = None,
        heartbeat_interval_ms: int = 41_250,
        interaction_timeout: float = 3.0,
        followup_token_lifetime: float = 900.0,
        nonce_window: float = 300.0,
        shard_count: int = 1,
    ) -> None:
        self.token = token
        self.ids = Snowflakes()
        self.application_id = self.ids.next()
        self.bot_user = FakeUser(self.application_id, bot_name, bot=True)
        self.owner_user = FakeUser(self.ids.next(), "app-owner")
        self.users: dict[int, FakeUser] = {u.id: u for u in (self.bot_user, self.owner_user)}
        self.guilds: dict[int, FakeGuild] = {}
        self.channels: dict[int, FakeChannel] = {}
        self.all_messages: dict[int, FakeMessage] = {}
        self._channel_messages: dict[int, list[int]] = {}
        self._nonces: dict[tuple[int, str], tuple[int, float]] = {}
        self._dm_by_user: dict[int, FakeChannel] = {}
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.sync_count = 0
        self.interactions: dict[int, InteractionHandle] = {}
        self.requests: list[RequestRecord] = []
        self.status_counts: Counter[int] = Counter()
        self.unknown_routes: list[str] = []
        self.rate_limits = rate_limits or RateLimitConfig()
        self.limiter = RateLimiter(self.rate_limits)
        self.faults = FaultInjector()
        self.latencies: list[tuple[str, re.Pattern[str], Callable[[], float]]] = []  # see `slow_down`
        self.in_flight: Counter[str] = Counter()  # "METHOD /path" -> requests being handled now
        self.max_in_flight: Counter[str] = Counter()  # ... and the most ever at once
        self.interaction_timeout = interaction_timeout
        self.followup_token_lifetime = followup_token_lifetime
        self.nonce_window = nonce_window
        self.shard_count = shard_count
        self.gateway = Gateway(self, heartbeat_interval_ms=heartbeat_interval_ms)
        self._rest = RestApi(self)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._names = itertools.count(1)

    # --- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> FakeDiscord:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest.handle)
        app.router.add_get("/gateway/", self.gateway.handle)
        app.router.add_get("/gateway-resume/", self.gateway.handle)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        log.debug("fake discord listening on %s", self.base_url)
        return self

    async def stop(self) -> None:
        await self.gateway.disconnect(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """What `discord.http.Route.BASE` must be set to."""
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway/"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway-resume/"

    @staticmethod
    def loop_time() -> float:
        return asyncio.get_running_loop().time()

    # --- builders ------------------------------------------------------------------------------
    def add_user(self, name: str | None = None, *, bot: bool = False, dms_open: bool = True) -> FakeUser:
        user = FakeUser(self.ids.next(), name or f"user{next(self._names)}", bot=bot, dms_open=dms_open)
        self.users[user.id] = user
        return user

    def add_guild(
        self,
        name: str = "Test Guild",
        *,
        owner: FakeUser | None = None,
        bot_permissions: int | str | Iterable[str] = DEFAULT_BOT_PERMISSIONS,
        everyone_permissions: int | str | Iterable[str] = DEFAULT_EVERYONE,
    ) -> FakeGuild:
        """A guild with @everyone, a managed bot role, its owner and the bot as members."""
        owner = owner or self.add_user(f"{name}-owner")
        guild = FakeGuild(self.ids.next(), name, owner.id)
        guild.roles[guild.id] = FakeRole(
            guild.id, guild.id, "@everyone", parse_permissions(everyone_permissions)
        )
        bot_role = FakeRole(
            self.ids.next(), guild.id, self.bot_user.username, parse_permissions(bot_permissions), 1
        )
        bot_role.managed = True
        guild.roles[bot_role.id] = bot_role
        guild.members[owner.id] = FakeMember(owner, guild.id)
        guild.members[self.bot_user.id] = FakeMember(self.bot_user, guild.id, [bot_role.id])
        self.guilds[guild.id] = guild
        self.gateway.dispatch("GUILD_CREATE", guild.payload(), intent=INTENT_GUILDS)
        return guild

    def bot_member(self, guild: FakeGuild) -> FakeMember:
        return guild.members[self.bot_user.id]

    def add_role(self, guild: FakeGuild, name: str, permissions: int | str | Iterable[str] = 0) -> FakeRole:
        role = FakeRole(
            self.ids.next(), guild.id, name, parse_permissions(permissions), position=len(guild.roles)
        )
        guild.roles[role.id] = role
        self.gateway.dispatch(
            "GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": role.payload()}, intent=INTENT_GUILDS
        )
        return role

    def add_text_channel(
        self,
        guild: FakeGuild,
        name: str = "general",
        *,
        bot_can_send: bool = True,
        bot_can_view: bool = True,
        overwrites: Iterable[Overwrite] = (),
        topic: str | None = None,
    ) -> FakeChannel:
        """A text channel; `bot_can_send=False` adds a member overwrite denying the bot SEND_MESSAGES."""
        channel = FakeChannel(
            self.ids.next(), TEXT_CHANNEL, name, guild.id, position=len(guild.channels), topic=topic
        )
        channel.overwrites.extend(overwrites)
        deny = (0 if bot_can_send else SEND_MESSAGES) | (0 if bot_can_view else VIEW_CHANNEL)
        if deny:
            channel.overwrites.append(Overwrite(self.bot_user.id, 1, deny=deny))
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        self.gateway.dispatch("CHANNEL_CREATE", channel.payload(), intent=INTENT_GUILDS)
        return channel

    def add_forum_channel(
        self,
        guild: FakeGuild,
        name: str = "cases",
        *,
        tags: Iterable[str | dict[str, Any]] = (),
        overwrites: Iterable[Overwrite] = (),
    ) -> FakeChannel:
        """A forum channel (type 15), optionally with tags already made (names, or tag dicts)."""
        channel = FakeChannel(self.ids.next(), FORUM_CHANNEL, name, guild.id, position=len(guild.channels))
        channel.overwrites.extend(overwrites)
        for tag in tags:
            data = tag if isinstance(tag, dict) else {"name": tag}
            channel.available_tags.append(
                {
                    "id": str(self.ids.next()),
                    "name": data["name"],
                    "moderated": bool(data.get("moderated")),
                    "emoji_id": None,
                    "emoji_name": None,
                }
            )
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        self.gateway.dispatch("CHANNEL_CREATE", channel.payload(), intent=INTENT_GUILDS)
        return channel

    def create_forum_post(
        self,
        forum: FakeChannel,
        name: str,
        applied_tags: list[int],
        message: dict[str, Any],
        *,
        files: list[str],
        uploads: dict[str, bytes] | None = None,
        author: FakeUser | None = None,
    ) -> FakeChannel:
        """A forum post: a public thread whose starter message has the thread's id (as on Discord)."""
        author = author or self.bot_user
        thread = FakeChannel(
            self.ids.next(), PUBLIC_THREAD, name, forum.guild_id, parent_id=forum.id, owner_id=author.id
        )
        thread.applied_tags = list(applied_tags)
        self.channels[thread.id] = thread
        self.guilds[forum.guild_id or 0].channels[thread.id] = thread
        self.gateway.dispatch("THREAD_CREATE", {**thread.payload(), "newly_created": True}, intent=INTENT_GUILDS)
        body = {k: v for k, v in message.items() if k != "nonce"}
        self.create_message(thread, body, files=files, uploads=uploads, author=author, message_id=thread.id)
        return thread

    def threads_of(self, forum: FakeChannel | int, *, deleted: bool = False) -> list[FakeChannel]:
        """The posts of a forum, oldest first (live ones only unless ``deleted``)."""
        fid = _id_of(forum)
        return [
            c for c in self.channels.values() if c.is_thread and c.parent_id == fid and (deleted or not c.deleted)
        ]

    def channel_changed(self, channel: FakeChannel) -> None:
        self.gateway.dispatch("CHANNEL_UPDATE", channel.payload(), intent=INTENT_GUILDS)

    def thread_changed(self, thread: FakeChannel) -> None:
        self.gateway.dispatch("THREAD_UPDATE", thread.payload(), intent=INTENT_GUILDS)

    def set_archived(self, thread: FakeChannel, archived: bool, *, notify: bool = True) -> None:
        """Archive or unarchive a post (as its creator, a moderator, or a message sent in it would)."""
        if thread.archived != archived:
            thread.archived = archived
            thread.archive_timestamp = iso_now()
        if notify:
            self.thread_changed(thread)

    def delete_thread(self, thread: FakeChannel, *, notify: bool = True) -> None:
        """A moderator deletes a forum post: the thread and its messages are gone (404 afterwards)."""
        thread.deleted = True
        for message in self.messages(thread):
            message.deleted = True
        if notify:
            self.gateway.dispatch(
                "THREAD_DELETE",
                {
                    "id": str(thread.id),
                    "guild_id": str(thread.guild_id),
                    "parent_id": str(thread.parent_id),
                    "type": thread.type,
                },
                intent=INTENT_GUILDS,
            )

    def set_overwrite(
        self, channel: FakeChannel, target: FakeRole | FakeMember | FakeUser, *, allow: Any = 0, deny: Any = 0
    ) -> None:
        kind = 0 if isinstance(target, FakeRole) else 1
        channel.overwrites = [ow for ow in channel.overwrites if ow.id != target.id]
        channel.overwrites.append(
            Overwrite(target.id, kind, parse_permissions(allow), parse_permissions(deny))
        )
        self.gateway.dispatch("CHANNEL_UPDATE", channel.payload(), intent=INTENT_GUILDS)

    def delete_channel(self, channel: FakeChannel, *, notify: bool = True) -> None:
        """Remove a channel; `notify=False` simulates the bot not having seen CHANNEL_DELETE yet."""
        channel.deleted = True
        if notify:
            self.gateway.dispatch("CHANNEL_DELETE", channel.payload(), intent=INTENT_GUILDS)

    def add_member(
        self,
        guild: FakeGuild,
        user: FakeUser | str | None = None,
        *,
        roles: Iterable[FakeRole] = (),
        permissions: int | str | Iterable[str] | None = None,
    ) -> FakeMember:
        """Add a member; `permissions=["manage_guild"]` gives them a dedicated role with those bits."""
        if not isinstance(user, FakeUser):
            user = self.add_user(user)
        role_ids = [r.id for r in roles]
        if permissions is not None:
            role_ids.append(self.add_role(guild, f"{user.username}-perms", permissions).id)
        member = FakeMember(user, guild.id, role_ids)
        guild.members[user.id] = member
        self.gateway.dispatch(
            "GUILD_MEMBER_ADD", {**member.payload(), "guild_id": str(guild.id)}, intent=INTENT_GUILD_MEMBERS
        )
        return member

    def dm_channel(self, user: FakeUser) -> FakeChannel:
        channel = self._dm_by_user.get(user.id)
        if channel is None:
            channel = FakeChannel(self.ids.next(), DM_CHANNEL, None, recipients=[user])
            self._dm_by_user[user.id] = channel
            self.channels[channel.id] = channel
        return channel

    # --- queries -------------------------------------------------------------------------------
    def messages(self, channel: FakeChannel | int) -> list[FakeMessage]:
        """Live (not deleted, not ephemeral) messages of a channel, oldest first."""
        ids = self._channel_messages.get(_id_of(channel), [])
        return [m for m in (self.all_messages[i] for i in ids) if not m.deleted and not m.ephemeral]

    def dm_messages(self, user: FakeUser) -> list[FakeMessage]:
        channel = self._dm_by_user.get(user.id)
        return self.messages(channel) if channel else []

    def requests_to(self, method: str, path_regex: str, status: int | None = None) -> list[RequestRecord]:
        pattern = re.compile(path_regex)
        return [
            r
            for r in self.requests
            if r.method == method and pattern.search(r.path) and (status is None or r.status == status)
        ]

    async def wait_for_request(
        self, method: str, path_regex: str, status: int | None = None, *, count: int = 1, timeout: float = 3.0
    ) -> list[RequestRecord]:
        """Wait until `count` matching requests were answered (for effects that have no other signal)."""
        async with asyncio.timeout(timeout):
            while len(found := [r for r in self.requests_to(method, path_regex, status) if r.status]) < count:
                await asyncio.sleep(0.01)
        return found

    @property
    def rate_limited_count(self) -> int:
        """429s returned, whether from the limiter or from `fail_next`."""
        return self.status_counts[429]

    @property
    def client_error_count(self) -> int:
        return sum(n for status, n in self.status_counts.items() if 400 <= status < 500)

    # --- faults --------------------------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        body: Any = None,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        retry_after: float = 0.05,
        is_global: bool = False,
    ) -> None:
        """Answer the next `times` matching requests with `status` (429 bodies/headers made Discord-like)."""
        extra = dict(headers or {})
        if status == 429:
            body = body or {
                "message": "You are being rate limited.",
                "retry_after": retry_after,
                "global": is_global,
            }
            extra = {**RATE_LIMIT_HEADERS, "Retry-After": str(retry_after), **extra}
            if is_global:
                extra.setdefault("X-RateLimit-Global", "true")
                extra.setdefault("X-RateLimit-Scope", "global")
            else:
                extra.setdefault("X-RateLimit-Scope", "user")
        elif body is None:
            body = {
                403: {"message": "Missing Permissions", "code": 50013},
                404: {"message": "Unknown Channel", "code": 10003},
            }.get(status, {"message": f"{status}: fault injected", "code": 0})
        self.faults.rules.append(Fault(method.upper(), re.compile(path_regex), status, body, extra, times))

    def slow_down(self, method: str, path_regex: str, seconds: float, *, jitter: float = 0.0, seed: int = 0) -> None:
        """Hold every matching request ``seconds`` (plus up to ``jitter`` more, at random from ``seed``)
        before it counts against the rate limits and is answered: a slow or uneven network, so requests
        that overlap in time overlap here too (``max_in_flight`` tells), and requests sent evenly can
        arrive bunched."""
        rng = random.Random(seed)
        self.latencies.append((method.upper(), re.compile(path_regex), lambda: seconds + rng.uniform(0.0, jitter)))

    def latency_of(self, method: str, path: str) -> float:
        return sum(delay() for m, rx, delay in self.latencies if m in (method, "*") and rx.search(path))

    # --- message state -----------------------------------------------------------------------
    def nonce_lookup(self, channel_id: int, nonce: Any) -> FakeMessage | None:
        found = self._nonces.get((channel_id, str(nonce)))
        if found is None or time.monotonic() - found[1] > self.nonce_window:
            return None
        return self.all_messages.get(found[0])

    def create_message(
        self,
        channel: FakeChannel,
        body: dict[str, Any],
        *,
        files: list[str],
        uploads: dict[str, bytes] | None = None,
        author: FakeUser | None = None,
        webhook_id: int | None = None,
        message_type: int = 0,
        flags: int = 0,
        message_id: int | None = None,
    ) -> FakeMessage:
        attachments = self._attachments(files, uploads or {})
        if channel.is_thread:
            channel.message_count += 1
        message = FakeMessage(
            id=message_id or self.ids.next(),
            channel_id=channel.id,
            author=author or self.bot_user,
            content=str(body.get("content") or ""),
            guild_id=channel.guild_id,
            embeds=resolve_attachment_urls(list(body.get("embeds") or []), attachments),
            components=list(body.get("components") or []),
            attachments=attachments,
            uploads={name: data for name, data in (uploads or {}).items() if name in files},
            allowed_mentions=body.get("allowed_mentions"),
            nonce=body.get("nonce"),
            flags=flags | (int(body.get("flags") or 0) & (1 << 2 | 1 << 12)),
            type=message_type,
            webhook_id=webhook_id,
        )
        self.all_messages[message.id] = message
        if not message.ephemeral:
            self._channel_messages.setdefault(channel.id, []).append(message.id)
            if message.nonce is not None:
                self._nonces[(channel.id, str(message.nonce))] = (message.id, time.monotonic())
            intent = INTENT_DIRECT_MESSAGES if channel.type == DM_CHANNEL else INTENT_GUILD_MESSAGES
            self.gateway.dispatch("MESSAGE_CREATE", message.payload(), intent=intent)
        return message

    def _attachments(self, files: list[str], uploads: dict[str, bytes]) -> list[dict[str, Any]]:
        """Attachment objects as Discord returns them: size and type from the uploaded bytes (a PNG's
        width and height from its header)."""
        out = []
        for name in files:
            aid = self.ids.next()
            url = f"{self.base_url}/attachments/{aid}/{name}"
            data = uploads.get(name, b"")
            item: dict[str, Any] = {"id": str(aid), "filename": name, "size": len(data), "url": url, "proxy_url": url}
            if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
                item.update(
                    content_type="image/png",
                    width=int.from_bytes(data[16:20], "big"),
                    height=int.from_bytes(data[20:24], "big"),
                )
            out.append(item)
        return out

    def edit_message(
        self, message: FakeMessage, changes: dict[str, Any], *, uploads: dict[str, bytes] | None = None
    ) -> Result:
        """Apply a PATCH body after validating the result (Discord validates the merged message). With
        ``attachments``, only the existing attachments it lists (by id) stay, and new uploads are added."""
        attachments = message.attachments
        if "attachments" in changes:
            listed = {str(a.get("id")) for a in changes.get("attachments") or []}
            attachments = [a for a in message.attachments if a["id"] in listed]
        new = [n for n in (uploads or {}) if n not in {a["filename"] for a in attachments}]
        attachments = attachments + self._attachments(new, uploads or {})
        merged = {
            "content": changes.get("content", message.content),
            "embeds": changes.get("embeds", message.embeds),
            "components": changes.get("components", message.components),
            "attachments": attachments,
        }
        invalid = validate_message(merged)
        if invalid:
            return 400, invalid
        message.history.append(message.payload())
        message.content = str(merged["content"] or "")
        message.embeds = resolve_attachment_urls(list(merged["embeds"] or []), attachments)
        message.components = list(merged["components"] or [])
        message.attachments = attachments
        names = {a["filename"] for a in attachments}
        message.uploads = {n: d for n, d in {**message.uploads, **(uploads or {})}.items() if n in names}
        if "flags" in changes:
            message.flags = int(changes["flags"] or 0)
        if "allowed_mentions" in changes:
            message.allowed_mentions = changes["allowed_mentions"]
        message.edited_timestamp = iso_now()
        if not message.ephemeral:
            channel = self.channels[message.channel_id]
            intent = INTENT_DIRECT_MESSAGES if channel.type == DM_CHANNEL else INTENT_GUILD_MESSAGES
            self.gateway.dispatch("MESSAGE_UPDATE", message.payload(), intent=intent)
        return 200, message.payload()

    def delete_message(self, message: FakeMessage) -> None:
        message.deleted = True
        if not message.ephemeral:
            data = {"id": str(message.id), "channel_id": str(message.channel_id)}
            if message.guild_id:
                data["guild_id"] = str(message.guild_id)
            channel = self.channels[message.channel_id]
            intent = INTENT_DIRECT_MESSAGES if channel.type == DM_CHANNEL else INTENT_GUILD_MESSAGES
            self.gateway.dispatch("MESSAGE_DELETE", data, intent=intent)

    def interaction_message(
        self,
        handle: InteractionHandle,
        data: dict[str, Any],
        *,
        files: list[str],
        uploads: dict[str, bytes] | None = None,
    ) -> FakeMessage:
        """A response or follow-up: authored by the bot via the application webhook, maybe ephemeral."""
        flags = int(data.get("flags") or 0)
        kind = CHAT_INPUT_MESSAGE_TYPE if handle.type == APPLICATION_COMMAND else 0
        return self.create_message(
            self.channels[handle.channel_id],
            data,
            files=files,
            uploads=uploads,
            webhook_id=self.application_id,
            message_type=kind,
            flags=flags & (EPHEMERAL_FLAG | 1 << 7),
        )

    def store_command(self, command: dict[str, Any], guild_id: str | None) -> dict[str, Any]:
        """What Discord echoes back on sync: ids kept stable per (name, type) like bulk overwrite does."""
        scope = self.guild_commands.get(int(guild_id), []) if guild_id else self.global_commands
        kind = command.get("type", 1)
        perms = command.get("default_member_permissions")
        previous = next((c for c in scope if c["name"] == command["name"] and c["type"] == kind), None)
        stored = {
            "id": previous["id"] if previous else str(self.ids.next()),
            "application_id": str(self.application_id),
            "version": str(self.ids.next()),
            "type": kind,
            "name": command["name"],
            "description": command.get("description", ""),
            "options": command.get("options") or [],
            "default_member_permissions": None if perms is None else str(perms),
            "dm_permission": command.get("dm_permission", True),
            "contexts": command.get("contexts"),
            "integration_types": command.get("integration_types", [0]),
            "nsfw": command.get("nsfw", False),
        }
        if guild_id:
            stored["guild_id"] = str(guild_id)
        return stored

    # --- interactions ------------------------------------------------------------------------
    def interaction_by_token(self, token: str) -> InteractionHandle | None:
        return next((h for h in self.interactions.values() if h.token == token), None)

    def _deliver(self, payload: dict[str, Any], handle: InteractionHandle) -> InteractionHandle:
        if not self.gateway.sessions:
            raise RuntimeError("no bot has identified on the fake gateway; start it first")
        self.interactions[handle.id] = handle
        self.gateway.dispatch("INTERACTION_CREATE", payload)
        return handle

    async def invoke_slash(
        self,
        guild: FakeGuild | None,
        channel: FakeChannel,
        member: FakeMember | FakeUser,
        command: str,
        options: dict[str, Any] | None = None,
        *,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Send a slash command (`"case show"`, `"admin feeds add"`) as Discord's client would."""
        return self._deliver(
            *self._command_payload(guild, channel, member, command, options or {}, None, locale)
        )

    async def autocomplete(
        self,
        guild: FakeGuild | None,
        channel: FakeChannel,
        member: FakeMember | FakeUser,
        command: str,
        options: dict[str, Any],
        focused: str,
    ) -> InteractionHandle:
        """Type-4 interaction with `focused` marked; the bot must answer with callback type 8."""
        if focused not in options:
            raise InvalidInvocation(f"focused option {focused!r} must be among options")
        return self._deliver(
            *self._command_payload(guild, channel, member, command, options, focused, "en-US")
        )

    def _command_payload(
        self,
        guild: FakeGuild | None,
        channel: FakeChannel,
        member: FakeMember | FakeUser,
        command: str,
        options: dict[str, Any],
        focused: str | None,
        locale: str,
    ) -> tuple[dict[str, Any], InteractionHandle]:
        top, *parts = command.split()
        cmd = _find_command(self, guild, top)
        if guild is not None:
            if not isinstance(member, FakeMember) or member.guild_id != guild.id:
                raise InvalidInvocation("in a guild the invoker must be a FakeMember of that guild")
            _check_default_permissions(cmd, guild, member)
        chain, schema = resolve_path(cmd, parts)
        builder = OptionBuilder(self, guild, member if isinstance(member, FakeMember) else None)  # type: ignore[arg-type]
        leaf = builder.build(schema, options, focused=focused)
        data: dict[str, Any] = {
            "id": cmd["id"],
            "name": cmd["name"],
            "type": 1,
            "options": wrap_options(chain, leaf),
        }
        if builder.resolved:
            data["resolved"] = builder.resolved
        if "guild_id" in cmd:
            data["guild_id"] = cmd["guild_id"]
        kind = AUTOCOMPLETE if focused else APPLICATION_COMMAND
        return interaction_envelope(
            self, kind=kind, guild=guild, channel=channel, member=member, data=data, locale=locale
        )

    async def click(
        self,
        message: FakeMessage | int,
        member: FakeMember | FakeUser,
        custom_id: str,
        *,
        values: list[str] | None = None,
    ) -> InteractionHandle:
        """Click a button (or pick `values` in a select) on a message the bot sent."""
        msg = self.all_messages[_id_of(message)]
        component = _find_component(msg.components, custom_id)
        if component is None:
            raise InvalidInvocation(f"message {msg.id} has no component {custom_id!r}")
        if component.get("disabled"):
            raise InvalidInvocation(f"component {custom_id!r} is disabled")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if values is not None:
            data["values"] = values
        channel = self.channels[msg.channel_id]
        guild = self.guilds.get(channel.guild_id or 0)
        payload, handle = interaction_envelope(
            self, kind=MESSAGE_COMPONENT, guild=guild, channel=channel, member=member, data=data
        )
        payload["message"] = msg.payload()
        handle.source_message_id = msg.id
        return self._deliver(payload, handle)

    # --- gateway controls --------------------------------------------------------------------
    async def disconnect_gateway(self, code: int = 4000) -> None:
        await self.gateway.disconnect(code)

    async def wait_gateway_connected(self, timeout: float = 5.0) -> None:
        await self.gateway.wait_connected(timeout)


def _find_component(components: list[dict[str, Any]], custom_id: str) -> dict[str, Any] | None:
    for component in components:
        if component.get("custom_id") == custom_id:
            return component
        nested = component.get("components") or []
        if component.get("accessory"):
            nested = [*nested, component["accessory"]]
        found = _find_component(nested, custom_id)
        if found is not None:
            return found
    return None
