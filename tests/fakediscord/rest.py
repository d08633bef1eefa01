"""REST half of the fake: one catch-all handler that logs, authenticates, injects faults, rate-limits and
routes `/api/v10/...` like Discord does, then the per-route handlers.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .interactions import AUTOCOMPLETE, MESSAGE_COMPONENT, CallbackRecord, InteractionHandle
from .limits import validate_choices, validate_message
from .permissions import (
    ATTACH_FILES,
    MANAGE_CHANNELS,
    MANAGE_THREADS,
    PERMISSION_BITS,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    VIEW_CHANNEL,
    channel_permissions,
)
from .state import DM_CHANNEL, EPHEMERAL_FLAG, FORUM_CHANNEL, LOADING_FLAG, FakeChannel, FakeMessage

if TYPE_CHECKING:
    from .server import FakeDiscord

Result = tuple[int, Any]
Handler = Callable[["Ctx"], Awaitable[Result]]

JSON_HEADERS = {"Content-Type": "application/json"}  # exactly; discord.py compares the header verbatim
RATE_LIMIT_HEADERS = {"Via": "1.1 google"}  # discord.py only retries a 429 that carries Via


@dataclass
class RequestRecord:
    """One REST call as the fake saw it; `status` is what it answered."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: list[str] = field(default_factory=list)
    #: The bytes of each uploaded file of a multipart body, by file name.
    uploads: dict[str, bytes] = field(default_factory=dict)
    status: int = 0
    route: str | None = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Ctx:
    fake: FakeDiscord
    params: dict[str, str]
    record: RequestRecord

    @property
    def body(self) -> dict[str, Any]:
        return self.record.json if isinstance(self.record.json, dict) else {}

    def int_param(self, name: str) -> int:
        return int(self.params[name])


def error(status: int, code: int, message: str) -> Result:
    return status, {"message": message, "code": code}


UNKNOWN_CHANNEL = error(404, 10003, "Unknown Channel")
UNKNOWN_MESSAGE = error(404, 10008, "Unknown Message")
UNKNOWN_INTERACTION = error(404, 10062, "Unknown interaction")
UNKNOWN_WEBHOOK = error(404, 10015, "Unknown Webhook")
MISSING_ACCESS = error(403, 50001, "Missing Access")
MISSING_PERMISSIONS = error(403, 50013, "Missing Permissions")
THREAD_ARCHIVED = error(400, 50083, "Thread is archived")


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    all_headers = dict(headers or {})
    if body is None or status == 204:
        return web.Response(status=204 if body is None else status, headers=all_headers)
    all_headers.update(JSON_HEADERS)
    return web.Response(status=status, body=json.dumps(body).encode(), headers=all_headers)


class Router:
    """Discord-style templates (`/channels/{channel_id}/messages`) matched in declaration order."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, str, re.Pattern[str], Handler]] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        pattern = re.sub(
            r"\{(\w+)\}", r"(?P<\1>[^/]+)", re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
        )
        self._routes.append((method, template, re.compile(f"^{pattern}$"), handler))

    def match(self, method: str, path: str) -> tuple[str, Handler, dict[str, str]] | None:
        for m, template, regex, handler in self._routes:
            if m == method and (found := regex.match(path)):
                return template, handler, found.groupdict()
        return None


def major_parameter(params: dict[str, str]) -> str:
    for key in ("channel_id", "guild_id", "interaction_id"):
        if key in params:
            return params[key]
    if "token" in params:
        return f"{params.get('application_id')}:{params['token']}"
    return ""


class BadUpload(ValueError):
    """A multipart body Discord would refuse (a file part that is not ``files[n]``, a bad payload_json)."""


_FILE_PART = re.compile(r"files\[(\d+)\]")


async def read_body(request: web.Request) -> tuple[Any, list[str], dict[str, bytes]]:
    """JSON bodies and multipart bodies (payload_json + files[n]) alike; for multipart, the file names
    in part order and each file's bytes by name. Each ``files[n]`` part must match the payload's
    ``attachments`` entry with id n, when the payload lists attachments (as discord.py does)."""
    if request.content_type.startswith("multipart/"):
        payload: Any = None
        names: list[str] = []
        blobs: dict[str, bytes] = {}
        indexes: dict[int, str] = {}
        reader = await request.multipart()
        async for part in reader:
            data = await part.read(decode=True)  # type: ignore[union-attr]
            if part.name == "payload_json":
                try:
                    payload = json.loads(data)
                except ValueError:
                    raise BadUpload("payload_json is not JSON") from None
                continue
            found = _FILE_PART.fullmatch(part.name or "")
            if found is None:
                raise BadUpload(f"unexpected multipart field {part.name!r}")
            name = part.filename or f"file{found.group(1)}"  # type: ignore[union-attr]
            names.append(name)
            blobs[name] = bytes(data)
            indexes[int(found.group(1))] = name
        listed = (payload.get("data", payload) if isinstance(payload, dict) else {}).get("attachments")
        for entry in listed or []:
            ref = entry.get("id")  # a small number names a files[n] part; a snowflake, a kept attachment
            if isinstance(ref, int) and ref < 1 << 22 and indexes.get(ref) != entry.get("filename"):
                raise BadUpload(f"attachments entry {ref} has no matching files[{ref}] part")
        return payload, names, blobs
    raw = await request.read()
    if not raw:
        return None, [], {}
    try:
        return json.loads(raw), [], {}
    except ValueError:
        return raw.decode(errors="replace"), [], {}


class RestApi:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.router = Router()
        r = self.router.add
        r("GET", "/users/@me", self.get_me)
        r("GET", "/oauth2/applications/@me", self.get_application)
        r("GET", "/applications/@me", self.get_application)
        r("GET", "/gateway", self.get_gateway)
        r("GET", "/gateway/bot", self.get_gateway_bot)
        r("POST", "/users/@me/channels", self.open_dm)
        r("GET", "/users/{user_id}", self.get_user)
        for scope in ("/applications/{application_id}", "/applications/{application_id}/guilds/{guild_id}"):
            r("GET", scope + "/commands", self.get_commands)
            r("PUT", scope + "/commands", self.put_commands)
            r("POST", scope + "/commands", self.post_command)
            r("DELETE", scope + "/commands/{command_id}", self.delete_command)
        r("GET", "/applications/{application_id}/guilds/{guild_id}/commands/permissions", self.empty_list)
        r("GET", "/guilds/{guild_id}", self.get_guild)
        r("GET", "/guilds/{guild_id}/channels", self.get_guild_channels)
        r("GET", "/guilds/{guild_id}/roles", self.get_guild_roles)
        r("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member)
        r("GET", "/guilds/{guild_id}/threads/active", self.get_active_threads)
        r("GET", "/channels/{channel_id}", self.get_channel)
        r("PATCH", "/channels/{channel_id}", self.patch_channel)
        r("DELETE", "/channels/{channel_id}", self.delete_channel)
        r("POST", "/channels/{channel_id}/threads", self.start_forum_thread)
        r("POST", "/channels/{channel_id}/typing", self.typing)
        r("GET", "/channels/{channel_id}/messages", self.get_messages)
        r("POST", "/channels/{channel_id}/messages", self.post_message)
        r("GET", "/channels/{channel_id}/messages/{message_id}", self.get_message)
        r("PATCH", "/channels/{channel_id}/messages/{message_id}", self.patch_message)
        r("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_message)
        r("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", self.add_reaction)
        r(
            "DELETE",
            "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
            self.remove_reaction,
        )
        r("POST", "/interactions/{interaction_id}/{token}/callback", self.interaction_callback)
        r("POST", "/webhooks/{application_id}/{token}", self.post_followup)
        r("GET", "/webhooks/{application_id}/{token}/messages/{message_id}", self.get_webhook_message)
        r("PATCH", "/webhooks/{application_id}/{token}/messages/{message_id}", self.patch_webhook_message)
        r("DELETE", "/webhooks/{application_id}/{token}/messages/{message_id}", self.delete_webhook_message)

    # --- pipeline ------------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.Response:
        fake = self.fake
        path = "/" + request.match_info["tail"]
        try:
            body, files, uploads = await read_body(request)
        except BadUpload as exc:
            record = RequestRecord(request.method, path, dict(request.query), None)
            fake.requests.append(record)
            response = json_response(400, {"message": f"Invalid Form Body: {exc}", "code": 50035})
            record.status = response.status
            fake.status_counts[response.status] += 1
            return response
        record = RequestRecord(request.method, path, dict(request.query), body, files, uploads)
        fake.requests.append(record)
        key = f"{request.method} {path}"
        fake.in_flight[key] += 1
        fake.max_in_flight[key] = max(fake.max_in_flight[key], fake.in_flight[key])
        try:
            if delay := fake.latency_of(request.method, path):
                await asyncio.sleep(delay)
            response = await self._respond(request, record)
        finally:
            fake.in_flight[key] -= 1
        record.status = response.status
        fake.status_counts[response.status] += 1
        return response

    async def _respond(self, request: web.Request, record: RequestRecord) -> web.Response:
        fake = self.fake
        fault = fake.faults.take(record.method, record.path)
        if fault is not None:
            return json_response(fault.status, fault.body, fault.headers)
        found = self.router.match(record.method, record.path)
        template = found[0] if found else None
        record.route = template
        token_route = bool(template) and template.startswith(("/interactions/", "/webhooks/"))  # type: ignore[union-attr]
        if not token_route and request.headers.get("Authorization") != f"Bot {fake.token}":
            return json_response(401, {"message": "401: Unauthorized", "code": 0})
        if found is None:
            fake.unknown_routes.append(f"{record.method} {record.path}")
            return json_response(404, {"message": "404: Not Found", "code": 0})
        template, handler, params = found
        verdict = fake.limiter.check(
            f"{record.method} {template}",
            major_parameter(params),
            exempt_global=template.startswith("/interactions/"),
        )
        if verdict.limited_body is not None:
            return json_response(429, verdict.limited_body, {**verdict.headers, **RATE_LIMIT_HEADERS})
        status, payload = await handler(Ctx(fake, params, record))
        return json_response(status, payload, verdict.headers)

    # --- identity ------------------------------------------------------------------------------
    async def get_me(self, ctx: Ctx) -> Result:
        return 200, ctx.fake.bot_user.payload()

    async def get_application(self, ctx: Ctx) -> Result:
        fake = ctx.fake
        return 200, {
            "id": str(fake.application_id),
            "name": fake.bot_user.username,
            "icon": None,
            "description": "casewatch test application",
            "rpc_origins": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "bot": fake.bot_user.payload(),
            "owner": fake.owner_user.payload(),
            "verify_key": "0" * 64,
            "team": None,
            "flags": 0,
            "summary": "",
            "interactions_endpoint_url": None,
        }

    async def get_gateway(self, ctx: Ctx) -> Result:
        return 200, {"url": ctx.fake.gateway_url}

    async def get_gateway_bot(self, ctx: Ctx) -> Result:
        return 200, {
            "url": ctx.fake.gateway_url,
            "shards": ctx.fake.shard_count,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 86_400_000,
                "max_concurrency": 1,
            },
        }

    async def get_user(self, ctx: Ctx) -> Result:
        user = ctx.fake.users.get(ctx.int_param("user_id"))
        return (200, user.payload()) if user else error(404, 10013, "Unknown User")

    async def open_dm(self, ctx: Ctx) -> Result:
        try:
            user = ctx.fake.users[int(ctx.body.get("recipient_id", 0))]
        except (KeyError, ValueError):
            return error(404, 10013, "Unknown User")
        return 200, ctx.fake.dm_channel(user).payload()

    async def empty_list(self, ctx: Ctx) -> Result:
        return 200, []

    # --- commands ------------------------------------------------------------------------------
    def _command_list(self, ctx: Ctx) -> list[dict[str, Any]] | None:
        if ctx.int_param("application_id") != ctx.fake.application_id:
            return None
        if "guild_id" in ctx.params:
            return ctx.fake.guild_commands.setdefault(ctx.int_param("guild_id"), [])
        return ctx.fake.global_commands

    async def get_commands(self, ctx: Ctx) -> Result:
        commands = self._command_list(ctx)
        return (200, commands) if commands is not None else error(403, 50001, "Missing Access")

    async def put_commands(self, ctx: Ctx) -> Result:
        commands = self._command_list(ctx)
        if commands is None or not isinstance(ctx.record.json, list):
            return error(400, 50035, "Invalid Form Body")
        problem = validate_commands(ctx.record.json)
        if problem:
            return 400, problem
        guild_id = ctx.params.get("guild_id")
        commands[:] = [ctx.fake.store_command(c, guild_id) for c in ctx.record.json]
        ctx.fake.sync_count += 1
        return 200, commands

    async def post_command(self, ctx: Ctx) -> Result:
        commands = self._command_list(ctx)
        if commands is None:
            return error(403, 50001, "Missing Access")
        problem = validate_commands([ctx.body])
        if problem:
            return 400, problem
        stored = ctx.fake.store_command(ctx.body, ctx.params.get("guild_id"))
        commands[:] = [c for c in commands if c["name"] != stored["name"]] + [stored]
        return 201, stored

    async def delete_command(self, ctx: Ctx) -> Result:
        commands = self._command_list(ctx) or []
        commands[:] = [c for c in commands if c["id"] != ctx.params["command_id"]]
        return 204, None

    # --- guilds & channels -------------------------------------------------------------------
    async def get_guild(self, ctx: Ctx) -> Result:
        guild = ctx.fake.guilds.get(ctx.int_param("guild_id"))
        if guild is None:
            return error(404, 10004, "Unknown Guild")
        data = guild.payload()
        for key in ("members", "channels", "threads", "presences", "voice_states"):
            data.pop(key)
        return 200, data

    async def get_guild_channels(self, ctx: Ctx) -> Result:
        guild = ctx.fake.guilds.get(ctx.int_param("guild_id"))
        if guild is None:
            return error(404, 10004, "Unknown Guild")
        return 200, [c.payload() for c in guild.channels.values() if not c.deleted]

    async def get_guild_roles(self, ctx: Ctx) -> Result:
        guild = ctx.fake.guilds.get(ctx.int_param("guild_id"))
        return (
            (200, [r.payload() for r in guild.roles.values()])
            if guild
            else error(404, 10004, "Unknown Guild")
        )

    async def get_member(self, ctx: Ctx) -> Result:
        guild = ctx.fake.guilds.get(ctx.int_param("guild_id"))
        member = guild.members.get(ctx.int_param("user_id")) if guild else None
        return (200, member.payload()) if member else error(404, 10007, "Unknown Member")

    def _channel(self, ctx: Ctx) -> FakeChannel | None:
        channel = ctx.fake.channels.get(ctx.int_param("channel_id"))
        return None if channel is None or channel.deleted else channel

    def _bot_permissions(self, ctx: Ctx, channel: FakeChannel) -> int:
        if channel.guild_id is None:  # a DM: everything a message may carry
            return VIEW_CHANNEL | SEND_MESSAGES | READ_MESSAGE_HISTORY | PERMISSION_BITS["attach_files"]
        guild = ctx.fake.guilds[channel.guild_id]
        return channel_permissions(guild, channel, guild.members[ctx.fake.bot_user.id])

    def _access(self, ctx: Ctx, needed: int) -> tuple[FakeChannel | None, Result | None]:
        channel = self._channel(ctx)
        if channel is None:
            return None, UNKNOWN_CHANNEL
        perms = self._bot_permissions(ctx, channel)
        if not perms & VIEW_CHANNEL:
            return None, MISSING_ACCESS
        if perms & needed != needed:
            return None, MISSING_PERMISSIONS
        return channel, None

    async def get_channel(self, ctx: Ctx) -> Result:
        channel, problem = self._access(ctx, 0)
        return problem if channel is None else (200, channel.payload())  # type: ignore[return-value]

    async def get_active_threads(self, ctx: Ctx) -> Result:
        guild = ctx.fake.guilds.get(ctx.int_param("guild_id"))
        if guild is None:
            return error(404, 10004, "Unknown Guild")
        member = guild.members[ctx.fake.bot_user.id]
        threads = [t for t in guild.active_threads() if channel_permissions(guild, t, member) & VIEW_CHANNEL]
        return 200, {"threads": [t.payload() for t in threads], "members": []}

    async def start_forum_thread(self, ctx: Ctx) -> Result:
        """Start Thread in Forum or Media Channel: a thread and its starter message (whose id is the
        thread's) in one request; needs SEND_MESSAGES in the forum. Discord's forum message takes no
        nonce, so nothing dedupes a repeated request: each one makes another post."""
        channel, problem = self._access(ctx, SEND_MESSAGES)
        if channel is None:
            return problem  # type: ignore[return-value]
        if channel.type != FORUM_CHANNEL:
            return error(400, 50024, "Cannot execute action on this channel type")
        body = ctx.body
        message = body.get("message")
        name = str(body.get("name") or "")
        if not isinstance(message, dict) or not 1 <= len(name) <= 100:
            return 400, {"message": "Invalid Form Body", "code": 50035, "errors": {"name": "1-100, message required"}}
        perms = self._bot_permissions(ctx, channel)
        if ctx.record.files and not perms & ATTACH_FILES:
            return MISSING_PERMISSIONS
        invalid = validate_message({**message, "attachments": message.get("attachments") or ctx.record.files})
        invalid = invalid or validate_attachment_urls(message, ctx.record.files)
        if invalid:
            return 400, invalid
        tags, problem = _tags_for(channel, body.get("applied_tags") or [], perms)
        if problem is not None:
            return problem
        thread = ctx.fake.create_forum_post(channel, name, tags, message, files=ctx.record.files, uploads=ctx.record.uploads)
        starter = ctx.fake.all_messages[thread.id]
        return 201, {**thread.payload(), "message": starter.payload()}

    async def patch_channel(self, ctx: Ctx) -> Result:
        channel = self._channel(ctx)
        if channel is None:
            return UNKNOWN_CHANNEL
        perms = self._bot_permissions(ctx, channel)
        if not perms & VIEW_CHANNEL:
            return MISSING_ACCESS
        body = ctx.body
        if channel.is_thread:
            return self._patch_thread(ctx, channel, body, perms)
        if not perms & MANAGE_CHANNELS:
            return MISSING_PERMISSIONS
        if "available_tags" in body:
            if channel.type != FORUM_CHANNEL:
                return error(400, 50035, "Invalid Form Body")
            tags = list(body.get("available_tags") or [])
            names = [str(t.get("name") or "") for t in tags]
            if len(tags) > 20 or any(not 1 <= len(n) <= 20 for n in names):
                return 400, {
                    "message": "Invalid Form Body",
                    "code": 50035,
                    "errors": {"available_tags": {"_errors": [{"code": "BASE_TYPE_BAD_LENGTH", "message": "at most 20 tags of 1-20 characters"}]}},
                }
            kept: list[dict[str, Any]] = []
            for tag in tags:
                tag_id = str(tag.get("id") or "") or str(ctx.fake.ids.next())
                kept.append(
                    {
                        "id": tag_id,
                        "name": str(tag["name"]),
                        "moderated": bool(tag.get("moderated")),
                        "emoji_id": tag.get("emoji_id"),
                        "emoji_name": tag.get("emoji_name"),
                    }
                )
            channel.available_tags = kept
            still = {int(t["id"]) for t in kept}
            for thread in ctx.fake.threads_of(channel):
                thread.applied_tags = [t for t in thread.applied_tags if t in still]
        for key in ("name", "topic"):
            if key in body:
                setattr(channel, key, body[key])
        ctx.fake.channel_changed(channel)
        return 200, channel.payload()

    def _patch_thread(self, ctx: Ctx, thread: FakeChannel, body: dict[str, Any], perms: int) -> Result:
        """Modify a thread: unarchiving an unlocked one needs SEND_MESSAGES; archiving, tags and the name
        need MANAGE_THREADS or being the thread's creator; locking needs MANAGE_THREADS; an archived
        thread takes no other change unless the same request unarchives it."""
        owner = thread.owner_id == ctx.fake.bot_user.id
        manage = bool(perms & MANAGE_THREADS)
        unarchive = body.get("archived") is False
        if thread.archived and not unarchive:
            return THREAD_ARCHIVED
        if unarchive and thread.archived and not (manage or (not thread.locked and perms & SEND_MESSAGES)):
            return MISSING_PERMISSIONS
        if body.get("archived") is True and not (owner or manage):
            return MISSING_PERMISSIONS
        if ("locked" in body and not manage) or (("name" in body or "applied_tags" in body) and not (owner or manage)):
            return MISSING_PERMISSIONS
        if "applied_tags" in body:
            parent = ctx.fake.channels[thread.parent_id or 0]
            tags, problem = _tags_for(parent, body.get("applied_tags") or [], perms)
            if problem is not None:
                return problem
            thread.applied_tags = tags
        if "name" in body:
            thread.name = str(body["name"])[:100]
        if "locked" in body:
            thread.locked = bool(body["locked"])
        if "archived" in body:
            ctx.fake.set_archived(thread, bool(body["archived"]), notify=False)
        ctx.fake.thread_changed(thread)
        return 200, thread.payload()

    async def delete_channel(self, ctx: Ctx) -> Result:
        channel = self._channel(ctx)
        if channel is None:
            return UNKNOWN_CHANNEL
        needed = MANAGE_THREADS if channel.is_thread else MANAGE_CHANNELS
        if self._bot_permissions(ctx, channel) & needed != needed:
            return MISSING_PERMISSIONS
        payload = channel.payload()
        if channel.is_thread:
            ctx.fake.delete_thread(channel)
        else:
            ctx.fake.delete_channel(channel)
        return 200, payload

    async def typing(self, ctx: Ctx) -> Result:
        channel, problem = self._access(ctx, SEND_MESSAGES)
        return problem if channel is None else (204, None)  # type: ignore[return-value]

    # --- messages ------------------------------------------------------------------------------
    async def get_messages(self, ctx: Ctx) -> Result:
        channel, problem = self._access(ctx, READ_MESSAGE_HISTORY)
        if channel is None:
            return problem  # type: ignore[return-value]
        limit = int(ctx.record.query.get("limit", 50))
        before = int(ctx.record.query.get("before", 1 << 63))
        after = int(ctx.record.query.get("after", 0))
        found = [m for m in ctx.fake.messages(channel.id) if after < m.id < before]
        found = found[:limit] if "after" in ctx.record.query else found[-limit:]
        return 200, [m.payload() for m in reversed(found)]

    async def post_message(self, ctx: Ctx) -> Result:
        found = self._channel(ctx)
        # In a thread (a forum post) it takes SEND_MESSAGES_IN_THREADS, not SEND_MESSAGES; a forum itself
        # holds no messages, only posts.
        channel, problem = self._access(ctx, SEND_MESSAGES_IN_THREADS if found and found.is_thread else SEND_MESSAGES)
        if channel is None:
            return problem  # type: ignore[return-value]
        if channel.type == FORUM_CHANNEL:
            return error(400, 50024, "Cannot execute action on this channel type")
        if channel.is_thread and channel.archived:
            if channel.locked:
                return THREAD_ARCHIVED
            ctx.fake.set_archived(channel, False)  # Discord: a message unarchives an unlocked thread
        if channel.type == DM_CHANNEL and not all(u.dms_open for u in channel.recipients):
            return error(403, 50007, "Cannot send messages to this user")
        body = ctx.body
        if ctx.record.files and not self._bot_permissions(ctx, channel) & PERMISSION_BITS["attach_files"]:
            return MISSING_PERMISSIONS
        invalid = validate_message({**body, "attachments": body.get("attachments") or ctx.record.files})
        invalid = invalid or validate_attachment_urls(body, ctx.record.files)
        if invalid:
            return 400, invalid
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            existing = ctx.fake.nonce_lookup(channel.id, nonce)
            if existing is not None:
                return 200, existing.payload()
        message = ctx.fake.create_message(channel, body, files=ctx.record.files, uploads=ctx.record.uploads)
        return 200, message.payload()

    def _own_message(self, ctx: Ctx, needed: int) -> tuple[FakeMessage | None, Result | None]:
        channel, problem = self._access(ctx, needed)
        if channel is None:
            return None, problem
        message = ctx.fake.all_messages.get(ctx.int_param("message_id"))
        if message is None or message.deleted or message.channel_id != channel.id:
            return None, UNKNOWN_MESSAGE
        return message, None

    async def get_message(self, ctx: Ctx) -> Result:
        message, problem = self._own_message(ctx, READ_MESSAGE_HISTORY)
        return problem if message is None else (200, message.payload())  # type: ignore[return-value]

    async def patch_message(self, ctx: Ctx) -> Result:
        message, problem = self._own_message(ctx, 0)
        if message is None:
            return problem  # type: ignore[return-value]
        if message.author.id != ctx.fake.bot_user.id:
            return error(403, 50005, "Cannot edit a message authored by another user")
        if ctx.fake.channels[message.channel_id].archived:
            return THREAD_ARCHIVED
        kept = [a["filename"] for a in message.attachments if _kept(a, ctx.body)]
        invalid = validate_attachment_urls(ctx.body, kept + ctx.record.files)
        if invalid:
            return 400, invalid
        return ctx.fake.edit_message(message, ctx.body, uploads=ctx.record.uploads)

    async def delete_message(self, ctx: Ctx) -> Result:
        message, problem = self._own_message(ctx, 0)
        if message is None:
            return problem  # type: ignore[return-value]
        ctx.fake.delete_message(message)
        return 204, None

    async def add_reaction(self, ctx: Ctx) -> Result:
        message, problem = self._own_message(ctx, READ_MESSAGE_HISTORY)
        if message is None:
            return problem  # type: ignore[return-value]
        message.reactions.setdefault(ctx.params["emoji"], set()).add(ctx.fake.bot_user.id)
        return 204, None

    async def remove_reaction(self, ctx: Ctx) -> Result:
        message, problem = self._own_message(ctx, 0)
        if message is None:
            return problem  # type: ignore[return-value]
        message.reactions.get(ctx.params["emoji"], set()).discard(ctx.fake.bot_user.id)
        return 204, None

    # --- interactions ------------------------------------------------------------------------
    async def interaction_callback(self, ctx: Ctx) -> Result:
        fake = ctx.fake
        handle = fake.interactions.get(ctx.int_param("interaction_id"))
        if handle is None or handle.token != ctx.params["token"]:
            return UNKNOWN_INTERACTION
        if handle.callback is not None:
            return error(400, 40060, "Interaction has already been acknowledged.")
        if fake.loop_time() - handle.created > fake.interaction_timeout:
            return UNKNOWN_INTERACTION
        kind = int(ctx.body.get("type", 0))
        data = dict(ctx.body.get("data") or {})
        message: FakeMessage | None = None
        if kind == 4:
            invalid = validate_message(data) or validate_attachment_urls(data, ctx.record.files)
            if invalid:
                return 400, invalid
            message = fake.interaction_message(handle, data, files=ctx.record.files, uploads=ctx.record.uploads)
            handle.original_message_id = message.id
        elif kind == 5:
            loading = {"content": "", "flags": LOADING_FLAG | (int(data.get("flags") or 0) & EPHEMERAL_FLAG)}
            message = fake.interaction_message(handle, loading, files=[])
            handle.original_message_id = message.id
        elif kind == 7:
            source = fake.all_messages.get(handle.source_message_id or 0)
            if source is None:
                return error(400, 50035, "Invalid Form Body")
            status, result = fake.edit_message(source, data)
            if status != 200:
                return status, result
            message = source
        elif kind == 8:
            if handle.type != AUTOCOMPLETE:
                return error(400, 50035, "Invalid Form Body")
            invalid = validate_choices(list(data.get("choices") or []))
            if invalid:
                return 400, invalid
        elif (kind == 6 and handle.type != MESSAGE_COMPONENT) or kind not in (6, 9):
            return error(400, 50035, "Invalid Form Body")
        handle.callback = CallbackRecord(type=kind, data=data, message=message)
        await handle.notify()
        if ctx.record.query.get("with_response") not in ("1", "true", "True"):
            return 204, None
        resource: dict[str, Any] = {"type": kind}
        if message is not None:
            resource["message"] = message.payload()
        return 200, {
            "interaction": {
                "id": str(handle.id),
                "type": handle.type,
                "response_message_id": str(message.id) if message else None,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(message and message.ephemeral),
            },
            "resource": resource,
        }

    def _webhook_handle(self, ctx: Ctx) -> InteractionHandle | None:
        if ctx.int_param("application_id") != ctx.fake.application_id:
            return None
        handle = ctx.fake.interaction_by_token(ctx.params["token"])
        if handle is None or handle.callback is None:
            return None
        if ctx.fake.loop_time() - handle.created > ctx.fake.followup_token_lifetime:
            return None
        return handle

    async def post_followup(self, ctx: Ctx) -> Result:
        fake = ctx.fake
        handle = self._webhook_handle(ctx)
        if handle is None:
            return UNKNOWN_WEBHOOK
        invalid = validate_message(
            {**ctx.body, "attachments": ctx.body.get("attachments") or ctx.record.files}
        )
        invalid = invalid or validate_attachment_urls(ctx.body, ctx.record.files)
        if invalid:
            return 400, invalid
        original = handle.original
        if (
            handle.callback
            and handle.callback.type == 5
            and original is not None
            and original.flags & LOADING_FLAG
        ):
            # Discord turns the first follow-up after a "thinking" defer into the deferred message itself.
            keep = original.flags & EPHEMERAL_FLAG
            status, result = fake.edit_message(original, {**ctx.body, "flags": keep}, uploads=ctx.record.uploads)
            if status != 200:
                return status, result
            message = original
        else:
            message = fake.interaction_message(handle, ctx.body, files=ctx.record.files, uploads=ctx.record.uploads)
        handle.followup_ids.append(message.id)
        await handle.notify()
        wait = ctx.record.query.get("wait", "false").lower() in ("1", "true")
        return (200, message.payload()) if wait else (204, None)

    def _webhook_message(self, ctx: Ctx) -> tuple[InteractionHandle | None, FakeMessage | None]:
        handle = self._webhook_handle(ctx)
        if handle is None:
            return None, None
        raw = ctx.params["message_id"]
        mid = (handle.original_message_id or handle.source_message_id) if raw == "@original" else int(raw)
        message = ctx.fake.all_messages.get(mid or 0)
        if message is None or message.deleted:
            return handle, None
        return handle, message

    async def get_webhook_message(self, ctx: Ctx) -> Result:
        handle, message = self._webhook_message(ctx)
        if handle is None:
            return UNKNOWN_WEBHOOK
        return (200, message.payload()) if message else UNKNOWN_MESSAGE

    async def patch_webhook_message(self, ctx: Ctx) -> Result:
        handle, message = self._webhook_message(ctx)
        if handle is None:
            return UNKNOWN_WEBHOOK
        if message is None:
            return UNKNOWN_MESSAGE
        changes = dict(ctx.body)
        changes["flags"] = message.flags & ~LOADING_FLAG
        kept = [a["filename"] for a in message.attachments if _kept(a, changes)]
        invalid = validate_attachment_urls(changes, kept + ctx.record.files)
        if invalid:
            return 400, invalid
        status, result = ctx.fake.edit_message(message, changes, uploads=ctx.record.uploads)
        await handle.notify()
        return status, result

    async def delete_webhook_message(self, ctx: Ctx) -> Result:
        handle, message = self._webhook_message(ctx)
        if handle is None:
            return UNKNOWN_WEBHOOK
        if message is None:
            return UNKNOWN_MESSAGE
        ctx.fake.delete_message(message)
        await handle.notify()
        return 204, None


def _tags_for(forum: FakeChannel, raw: list[Any], perms: int) -> tuple[list[int], Result | None]:
    """Applied tag ids checked as Discord does: at most 5, each one of the forum's, moderated ones only
    with MANAGE_THREADS."""
    try:
        ids = [int(t) for t in raw]
    except (TypeError, ValueError):
        return [], error(400, 50035, "Invalid Form Body")
    by_id = {int(t["id"]): t for t in forum.available_tags}
    if len(ids) > 5 or any(i not in by_id for i in ids):
        return [], (400, {
            "message": "Invalid Form Body",
            "code": 50035,
            "errors": {"applied_tags": {"_errors": [{"code": "BASE_TYPE_BAD_VALUE", "message": "at most 5 of the forum's tags"}]}},
        })
    if any(by_id[i].get("moderated") for i in ids) and not perms & MANAGE_THREADS:
        return [], MISSING_PERMISSIONS
    return ids, None


def _kept(attachment: dict[str, Any], changes: dict[str, Any]) -> bool:
    """Whether an edit keeps an existing attachment: all are kept unless ``attachments`` is given, then
    those it lists by id."""
    if "attachments" not in changes:
        return True
    return any(str(a.get("id")) == attachment["id"] for a in changes.get("attachments") or [])


def validate_attachment_urls(payload: dict[str, Any], files: list[str]) -> dict[str, Any] | None:
    """Discord's 400 for an embed whose image or thumbnail says ``attachment://NAME`` when no file of
    that name comes with the message (Discord would show a broken image; the fake refuses it loudly)."""
    errors: dict[str, Any] = {}
    for index, embed in enumerate(payload.get("embeds") or []):
        for slot in ("image", "thumbnail"):
            url = str((embed.get(slot) or {}).get("url") or "")
            if url.startswith("attachment://") and url.removeprefix("attachment://") not in files:
                errors.setdefault(str(index), {})[slot] = {
                    "url": {
                        "_errors": [
                            {"code": "EMBED_ATTACHMENT_UNKNOWN", "message": f"No uploaded file named {url}"}
                        ]
                    }
                }
    if not errors:
        return None
    return {"message": "Invalid Form Body", "code": 50035, "errors": {"embeds": errors}}


_COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")


def validate_commands(commands: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The checks Discord applies on sync that matter for bots: names, descriptions, counts."""
    errors: dict[str, Any] = {}

    def check(node: dict[str, Any], where: dict[str, Any], top: bool) -> None:
        name = str(node.get("name", ""))
        if not _COMMAND_NAME.match(name) or name != name.lower():
            where["name"] = {
                "_errors": [{"code": "APPLICATION_COMMAND_INVALID_NAME", "message": "Invalid name"}]
            }
        needs_description = node.get("type", 1) == 1 if top else True
        if needs_description and not 1 <= len(str(node.get("description", ""))) <= 100:
            where["description"] = {
                "_errors": [{"code": "BASE_TYPE_BAD_LENGTH", "message": "Must be 1-100."}]
            }
        options = node.get("options") or []
        if len(options) > 25:
            where["options"] = {
                "_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 25 or fewer."}]
            }
        for index, option in enumerate(options):
            sub: dict[str, Any] = {}
            check(option, sub, False)
            if len(option.get("choices") or []) > 25:
                sub["choices"] = {
                    "_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 25 or fewer."}]
                }
            if sub:
                where.setdefault("options", {})[str(index)] = sub

    names = [(c.get("name"), c.get("type", 1)) for c in commands]
    for index, command in enumerate(commands):
        one: dict[str, Any] = {}
        check(command, one, True)
        if one:
            errors[str(index)] = one
    if len(names) != len(set(names)):
        errors["_errors"] = [{"code": "APPLICATION_COMMANDS_DUPLICATE_NAME", "message": "Duplicate names"}]
    return {"message": "Invalid Form Body", "code": 50035, "errors": errors} if errors else None
