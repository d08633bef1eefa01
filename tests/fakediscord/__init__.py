"""A protocol-level fake Discord (REST + gateway on 127.0.0.1) for running the real bot in tests."""

from .interactions import CallbackRecord, InteractionHandle, InvalidInvocation
from .limits import BucketRule, RateLimitConfig
from .server import FakeDiscord
from .state import FakeChannel, FakeGuild, FakeMember, FakeMessage, FakeRole, FakeUser, Overwrite

__all__ = [
    "BucketRule",
    "CallbackRecord",
    "FakeChannel",
    "FakeDiscord",
    "FakeGuild",
    "FakeMember",
    "FakeMessage",
    "FakeRole",
    "FakeUser",
    "InteractionHandle",
    "InvalidInvocation",
    "Overwrite",
    "RateLimitConfig",
]
