"""The fake's websocket gateway: HELLO, heartbeats, IDENTIFY -> READY + GUILD_CREATE, RESUME, op 8 chunks.

Events are numbered per session and kept, so a RESUME replays what the client missed (as Discord does).
Frames are plain JSON text: discord.py accepts text frames even when it asked for zlib-stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from .server import FakeDiscord

log = logging.getLogger(__name__)

OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_PRESENCE, OP_RESUME = 0, 1, 2, 3, 6
OP_RECONNECT, OP_REQUEST_MEMBERS, OP_INVALID_SESSION, OP_HELLO, OP_HEARTBEAT_ACK = 7, 8, 9, 10, 11

INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)


_GUILD_EVENTS = frozenset({"GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"})  # the guild is data["id"]


@dataclass
class GatewaySession:
    id: str
    intents: int
    shard: list[int]
    seq: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    connection: GatewayConnection | None = None


class GatewayConnection:
    """One websocket; a writer task drains a queue so synchronous callers can enqueue frames in order."""

    def __init__(self, ws: web.WebSocketResponse, path: str) -> None:
        self.ws = ws
        self.path = path
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.session: GatewaySession | None = None
        self.writer = asyncio.create_task(self._write())

    async def _write(self) -> None:
        while (frame := await self.queue.get()) is not None:
            if self.ws.closed:
                return
            try:
                await self.ws.send_str(json.dumps(frame))
            except (ConnectionError, RuntimeError):
                return

    def send(self, frame: dict[str, Any]) -> None:
        self.queue.put_nowait(frame)


class Gateway:
    """Owns sessions and connections; FakeDiscord calls `dispatch` whenever its state changes."""

    def __init__(self, fake: FakeDiscord, *, heartbeat_interval_ms: int) -> None:
        self.fake = fake
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.sessions: dict[str, GatewaySession] = {}
        self.connections: list[GatewayConnection] = []
        self.identify_count = 0
        self.resume_count = 0
        self.heartbeat_count = 0
        self.connect_paths: list[str] = []
        self.allowed_privileged_intents = PRIVILEGED_INTENTS
        self._connected = asyncio.Event()

    # --- dispatching -------------------------------------------------------------------------
    def dispatch(self, event: str, data: dict[str, Any], *, intent: int = 0) -> None:
        """Number and store the event for every session that subscribed to `intent`, send it when connected.
        An event of one guild goes only to the session of that guild's shard, as Discord routes it."""
        guild_id = data.get("guild_id") or (data.get("id") if event in _GUILD_EVENTS else None)
        for session in self.sessions.values():
            if intent and not session.intents & intent:
                continue
            if guild_id is not None and (int(guild_id) >> 22) % session.shard[1] != session.shard[0]:
                continue
            self._dispatch_to(session, event, data)

    def _dispatch_to(self, session: GatewaySession, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        frame = {"op": OP_DISPATCH, "t": event, "s": session.seq, "d": data}
        session.events.append(frame)
        del session.events[:-10_000]
        if session.connection is not None:
            session.connection.send(frame)

    def is_connected(self) -> bool:
        return any(c.session is not None and not c.ws.closed for c in self.connections)

    async def wait_connected(self, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not self.is_connected():
                await asyncio.sleep(0.01)

    async def disconnect(self, code: int = 4000) -> None:
        """Drop every live websocket the way a network blip or a Discord restart would."""
        for conn in list(self.connections):
            conn.queue.put_nowait(None)
            with contextlib.suppress(Exception):
                await conn.ws.close(code=code, message=b"fake disconnect")

    def request_reconnect(self) -> None:
        """Send op 7, which discord.py answers by reconnecting and resuming."""
        for conn in self.connections:
            conn.send({"op": OP_RECONNECT, "d": None})

    def invalidate_sessions(self) -> None:
        for conn in self.connections:
            conn.send({"op": OP_INVALID_SESSION, "d": False})
        self.sessions.clear()

    # --- websocket handler ------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        conn = GatewayConnection(ws, request.path)
        self.connections.append(conn)
        self.connect_paths.append(request.path)
        conn.send({"op": OP_HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                await self._on_frame(conn, json.loads(msg.data))
        finally:
            if conn.session is not None and conn.session.connection is conn:
                conn.session.connection = None
            conn.queue.put_nowait(None)
            self.connections.remove(conn)
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(conn.writer, 1.0)
        return ws

    async def _on_frame(self, conn: GatewayConnection, frame: dict[str, Any]) -> None:
        op, data = frame.get("op"), frame.get("d")
        if op == OP_HEARTBEAT:
            self.heartbeat_count += 1
            conn.send({"op": OP_HEARTBEAT_ACK})
        elif op == OP_IDENTIFY:
            await self._identify(conn, data or {})
        elif op == OP_RESUME:
            await self._resume(conn, data or {})
        elif op == OP_REQUEST_MEMBERS:
            self._chunk(conn, data or {})
        elif op == OP_PRESENCE:
            return
        else:
            log.info("fake gateway ignoring op %s", op)

    async def _identify(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        if data.get("token") != self.fake.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        intents = int(data.get("intents", 0))
        if intents & PRIVILEGED_INTENTS & ~self.allowed_privileged_intents:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        self.identify_count += 1
        shard = list(data.get("shard") or [0, 1])
        for old in [s for s in self.sessions.values() if s.shard == shard]:
            del self.sessions[old.id]
        session = GatewaySession(id=secrets.token_hex(16), intents=intents, shard=shard, connection=conn)
        self.sessions[session.id] = session
        conn.session = session
        guilds = [g for g in self.fake.guilds.values() if (g.id >> 22) % shard[1] == shard[0]]
        ready = {
            "v": 10,
            "user": self.fake.bot_user.payload(),
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "resume_gateway_url": self.fake.resume_gateway_url,
            "shard": shard,
            "application": {"id": str(self.fake.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "session_type": "normal",
            "auth": {},
            "_trace": ["fake-discord"],
        }
        self._dispatch_to(session, "READY", ready)
        if intents & INTENT_GUILDS:
            for guild in guilds:
                self._dispatch_to(session, "GUILD_CREATE", guild.payload())

    async def _resume(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or data.get("token") != self.fake.token:
            conn.send({"op": OP_INVALID_SESSION, "d": False})
            return
        self.resume_count += 1
        if session.connection is not None and session.connection is not conn:
            session.connection.queue.put_nowait(None)
        session.connection = conn
        conn.session = session
        last_seen = int(data.get("seq") or 0)
        for frame in session.events:
            if frame["s"] > last_seen:
                conn.send(frame)
        self._dispatch_to(session, "RESUMED", {"_trace": ["fake-discord"]})

    def _chunk(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        if conn.session is None:
            return
        guild = self.fake.guilds.get(int(data.get("guild_id", 0)))
        if guild is None:
            return
        wanted = {int(u) for u in data.get("user_ids") or []}
        members = [m for m in guild.members.values() if not wanted or m.user.id in wanted]
        chunk = {
            "guild_id": str(guild.id),
            "members": [m.payload() for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        self._dispatch_to(conn.session, "GUILD_MEMBERS_CHUNK", chunk)
