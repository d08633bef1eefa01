"""INTERACTION_CREATE payloads built from the synced command tree, and handles that await the bot's answers.

Discord's client enforces option types, required options, choices and default_member_permissions before an
interaction is ever sent, so the builder refuses what a real user could not do (raises InvalidInvocation).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .permissions import ADMINISTRATOR, ALL_PERMISSIONS, base_permissions, channel_permissions
from .state import EPHEMERAL_FLAG, FakeChannel, FakeGuild, FakeMember, FakeMessage, FakeRole, FakeUser

if TYPE_CHECKING:
    from .server import FakeDiscord

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER = 3, 4, 5, 6, 7, 8, 9, 10

APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE = 2, 3, 4
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


class InvalidInvocation(Exception):
    """What Discord's client would refuse to send (unknown command/option, wrong type, missing permission)."""


@dataclass
class CallbackRecord:
    """The bot's initial answer: `POST /interactions/{id}/{token}/callback`."""

    type: int
    data: dict[str, Any]
    message: FakeMessage | None = None

    @property
    def content(self) -> str | None:
        return self.message.content if self.message else self.data.get("content")

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.data.get("flags") or 0) & EPHEMERAL_FLAG)

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.message.embeds if self.message else list(self.data.get("embeds") or [])

    @property
    def choices(self) -> list[dict[str, Any]]:
        return list(self.data.get("choices") or [])


@dataclass
class InteractionHandle:
    """One injected interaction; await `response()` / `followups(n)` to observe what the bot did."""

    id: int
    token: str
    type: int
    guild_id: int | None
    channel_id: int
    user: FakeUser
    created: float
    source_message_id: int | None = None
    callback: CallbackRecord | None = None
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    _fake: FakeDiscord | None = None
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def _wait(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(predicate)
        except TimeoutError:
            raise TimeoutError(f"interaction {self.id}: no {what} within {timeout}s") from None

    async def notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def response(self, timeout: float = 3.0) -> CallbackRecord:
        await self._wait(lambda: self.callback is not None, timeout, "callback")
        assert self.callback is not None
        return self.callback

    async def followups(self, n: int = 1, timeout: float = 3.0) -> list[FakeMessage]:
        await self._wait(lambda: len(self.followup_ids) >= n, timeout, f"{n} follow-up(s)")
        return [self._message(mid) for mid in self.followup_ids]

    @property
    def original(self) -> FakeMessage | None:
        """The message the interaction response produced (for components: the clicked message)."""
        mid = self.original_message_id or self.source_message_id
        return self._message(mid) if mid else None

    async def original_edited(self, count: int = 1, timeout: float = 3.0) -> FakeMessage:
        def ready() -> bool:
            msg = self.original
            return msg is not None and msg.edit_count >= count

        await self._wait(ready, timeout, "edit of the original response")
        msg = self.original
        assert msg is not None
        return msg

    def _message(self, message_id: int) -> FakeMessage:
        assert self._fake is not None
        return self._fake.all_messages[message_id]


def _find_command(fake: FakeDiscord, guild: FakeGuild | None, name: str) -> dict[str, Any]:
    if guild is not None:
        for cmd in fake.guild_commands.get(guild.id, []):
            if cmd["name"] == name and cmd.get("type", 1) == 1:
                return cmd
    for cmd in fake.global_commands:
        if cmd["name"] == name and cmd.get("type", 1) == 1:
            return cmd
    raise InvalidInvocation(f"command {name!r} is not in the synced tree (did the bot call tree.sync()?)")


def _check_default_permissions(cmd: dict[str, Any], guild: FakeGuild | None, member: FakeMember) -> None:
    required = cmd.get("default_member_permissions")
    if guild is None or required is None:
        return
    have = base_permissions(guild, member)
    needed = int(required)
    if have & ADMINISTRATOR or have == ALL_PERMISSIONS:
        return
    if needed == 0 or have & needed != needed:
        raise InvalidInvocation(
            f"{member.user.username} lacks default_member_permissions={needed} for {cmd['name']}"
        )


class OptionBuilder:
    """Turns `{"name": value}` into typed interaction options plus the `resolved` block."""

    def __init__(self, fake: FakeDiscord, guild: FakeGuild | None, member: FakeMember) -> None:
        self.fake, self.guild, self.member = fake, guild, member
        self.resolved: dict[str, dict[str, Any]] = {}

    def build(
        self, schema: list[dict[str, Any]], values: dict[str, Any], *, focused: str | None = None
    ) -> list[dict[str, Any]]:
        by_name = {o["name"]: o for o in schema}
        unknown = set(values) - set(by_name)
        if unknown:
            raise InvalidInvocation(f"unknown option(s) {sorted(unknown)}; known: {sorted(by_name)}")
        if focused is None:
            missing = [o["name"] for o in schema if o.get("required") and o["name"] not in values]
            if missing:
                raise InvalidInvocation(f"missing required option(s) {missing}")
        out = []
        for name, raw in values.items():
            spec = by_name[name]
            if name == focused:
                out.append({"name": name, "type": spec["type"], "value": str(raw), "focused": True})
            else:
                out.append({"name": name, "type": spec["type"], "value": self._value(spec, raw)})
        return out

    def _value(self, spec: dict[str, Any], raw: Any) -> Any:
        kind = spec["type"]
        if kind in (STRING, INTEGER, NUMBER, BOOLEAN):
            value = {STRING: str, INTEGER: int, NUMBER: float, BOOLEAN: bool}[kind](raw)
            self._check_range(spec, value)
            return value
        if kind == USER or (kind == MENTIONABLE and isinstance(raw, FakeUser | FakeMember)):
            return self._resolve_user(raw)
        if kind in (ROLE, MENTIONABLE):
            return self._resolve_role(raw)
        if kind == CHANNEL:
            return self._resolve_channel(spec, raw)
        raise InvalidInvocation(f"option type {kind} is not supported by the fake")

    def _check_range(self, spec: dict[str, Any], value: Any) -> None:
        choices = spec.get("choices")
        if choices and value not in [c["value"] for c in choices]:
            raise InvalidInvocation(f"{spec['name']}={value!r} is not one of the declared choices")
        if isinstance(value, str):
            if len(value) < spec.get("min_length", 0) or len(value) > spec.get("max_length", 6000):
                raise InvalidInvocation(f"{spec['name']} length out of range")
        elif not isinstance(value, bool):
            if "min_value" in spec and value < spec["min_value"]:
                raise InvalidInvocation(f"{spec['name']} below min_value")
            if "max_value" in spec and value > spec["max_value"]:
                raise InvalidInvocation(f"{spec['name']} above max_value")

    def _resolve_user(self, raw: Any) -> str:
        user = raw.user if isinstance(raw, FakeMember) else raw
        if isinstance(user, int):
            user = self.fake.users[user]
        assert isinstance(user, FakeUser)
        self.resolved.setdefault("users", {})[str(user.id)] = user.payload()
        member = self.guild.members.get(user.id) if self.guild else None
        if member is not None and self.guild is not None:
            perms = base_permissions(self.guild, member)
            self.resolved.setdefault("members", {})[str(user.id)] = member.payload(
                with_user=False, permissions=perms
            )
        return str(user.id)

    def _resolve_role(self, raw: Any) -> str:
        role = raw
        if isinstance(raw, int) and self.guild is not None:
            role = self.guild.roles[raw]
        assert isinstance(role, FakeRole)
        self.resolved.setdefault("roles", {})[str(role.id)] = role.payload()
        return str(role.id)

    def _resolve_channel(self, spec: dict[str, Any], raw: Any) -> str:
        channel = self.fake.channels[raw] if isinstance(raw, int) else raw
        assert isinstance(channel, FakeChannel)
        allowed = spec.get("channel_types")
        if allowed and channel.type not in allowed:
            raise InvalidInvocation(f"channel type {channel.type} not allowed for {spec['name']}")
        data = channel.payload()
        if self.guild is not None and channel.guild_id == self.guild.id:
            data["permissions"] = str(channel_permissions(self.guild, channel, self.member))
        else:
            data["permissions"] = "0"
        self.resolved.setdefault("channels", {})[str(channel.id)] = data
        return str(channel.id)


def resolve_path(cmd: dict[str, Any], parts: list[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Walk "group sub" into the registered option tree; return (wrapper chain, leaf option schema)."""
    chain: list[dict[str, Any]] = []
    schema = cmd.get("options") or []
    for part in parts:
        node = next(
            (o for o in schema if o["name"] == part and o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)), None
        )
        if node is None:
            raise InvalidInvocation(f"{cmd['name']} has no subcommand {part!r}")
        chain.append(node)
        schema = node.get("options") or []
    if any(o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in schema):
        raise InvalidInvocation(f"{cmd['name']} {' '.join(parts)} is a group; name a subcommand")
    return chain, schema


def wrap_options(chain: list[dict[str, Any]], leaf: list[dict[str, Any]]) -> list[dict[str, Any]]:
    options = leaf
    for node in reversed(chain):
        options = [{"name": node["name"], "type": node["type"], "options": options}]
    return options


def interaction_envelope(
    fake: FakeDiscord,
    *,
    kind: int,
    guild: FakeGuild | None,
    channel: FakeChannel,
    member: FakeMember | FakeUser,
    data: dict[str, Any],
    locale: str = "en-US",
) -> tuple[dict[str, Any], InteractionHandle]:
    """The fields every INTERACTION_CREATE carries (discord.py 2.7 requires several of them)."""
    interaction_id = fake.ids.next()
    token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
    user = member.user if isinstance(member, FakeMember) else member
    payload: dict[str, Any] = {
        "id": str(interaction_id),
        "application_id": str(fake.application_id),
        "type": kind,
        "data": data,
        "channel_id": str(channel.id),
        "channel": channel.payload(),
        "token": token,
        "version": 1,
        "locale": locale,
        "entitlements": [],
        "entitlement_sku_ids": [],
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
    }
    if guild is not None and isinstance(member, FakeMember):
        bot_member = guild.members[fake.bot_user.id]
        payload.update(
            {
                "guild_id": str(guild.id),
                "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
                "guild_locale": "en-US",
                "member": member.payload(permissions=channel_permissions(guild, channel, member)),
                "app_permissions": str(channel_permissions(guild, channel, bot_member)),
                "authorizing_integration_owners": {"0": str(guild.id)},
                "context": 0,
            }
        )
    else:
        payload.update(
            {
                "user": user.payload(),
                "app_permissions": "0",
                "authorizing_integration_owners": {"0": "0"},
                "context": 1,
            }
        )
    handle = InteractionHandle(
        id=interaction_id,
        token=token,
        type=kind,
        guild_id=guild.id if guild else None,
        channel_id=channel.id,
        user=user,
        created=asyncio.get_running_loop().time(),
        _fake=fake,
    )
    return payload, handle
