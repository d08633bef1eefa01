"""Discord's payload limits and rate limits, as pure logic the fake server consults.

Validation returns Discord's error body (code 50035 "Invalid Form Body" with nested `_errors`) so the bot
under test sees exactly what production would send back.
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
EMBED_FIELDS_MAX = 25
AUTOCOMPLETE_CHOICES_MAX = 25
EMBED_TEXT_LIMITS: dict[tuple[str, ...], int] = {
    ("title",): 256,
    ("description",): 4096,
    ("footer", "text"): 2048,
    ("author", "name"): 256,
}
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024


def _err(code: str, message: str) -> dict[str, Any]:
    return {"_errors": [{"code": code, "message": message}]}


def _too_long(limit: int) -> dict[str, Any]:
    return _err("BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def invalid_form_body(errors: dict[str, Any]) -> dict[str, Any]:
    return {"message": "Invalid Form Body", "code": 50035, "errors": errors}


def _embed_errors(embed: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Errors of one embed plus its character count towards the 6000 total."""
    errors: dict[str, Any] = {}
    size = 0
    for path, limit in EMBED_TEXT_LIMITS.items():
        node: Any = embed
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, str):
            size += len(node)
            if len(node) > limit:
                target = errors
                for key in path[:-1]:
                    target = target.setdefault(key, {})
                target[path[-1]] = _too_long(limit)
    fields = embed.get("fields") or []
    if len(fields) > EMBED_FIELDS_MAX:
        errors["fields"] = _too_long(EMBED_FIELDS_MAX)
    field_errors: dict[str, Any] = {}
    for index, fld in enumerate(fields):
        one: dict[str, Any] = {}
        name, value = str(fld.get("name", "")), str(fld.get("value", ""))
        size += len(name) + len(value)
        for key, text, limit in (("name", name, FIELD_NAME_MAX), ("value", value, FIELD_VALUE_MAX)):
            if not text:
                one[key] = _err("BASE_TYPE_REQUIRED", "This field is required")
            elif len(text) > limit:
                one[key] = _too_long(limit)
        if one:
            field_errors[str(index)] = one
    if field_errors:
        errors.setdefault("fields", {}).update(field_errors)
    return errors, size


def validate_message(payload: dict[str, Any], *, require_body: bool = True) -> dict[str, Any] | None:
    """Return Discord's 400 body for an invalid message payload, or None when it would be accepted."""
    errors: dict[str, Any] = {}
    content = payload.get("content")
    if content is not None and len(str(content)) > CONTENT_MAX:
        errors["content"] = _too_long(CONTENT_MAX)
    embeds = payload.get("embeds") or []
    if len(embeds) > EMBEDS_MAX:
        errors["embeds"] = _too_long(EMBEDS_MAX)
    else:
        total = 0
        embed_errors: dict[str, Any] = {}
        for index, embed in enumerate(embeds):
            one, size = _embed_errors(embed)
            total += size
            if one:
                embed_errors[str(index)] = one
        if embed_errors:
            errors["embeds"] = embed_errors
        elif total > EMBED_TOTAL_MAX:
            errors["embeds"] = _err(
                "MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}"
            )
    if errors:
        return invalid_form_body(errors)
    has_body = (
        bool(content)
        or bool(embeds)
        or bool(payload.get("attachments"))
        or bool(payload.get("components"))
        or bool(payload.get("sticker_ids"))
        or bool(payload.get("poll"))
    )
    if require_body and not has_body:
        return {"message": "Cannot send an empty message", "code": 50006}
    return None


def validate_choices(choices: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Autocomplete results: at most 25 choices, names 1..100 characters."""
    if len(choices) > AUTOCOMPLETE_CHOICES_MAX:
        return invalid_form_body({"data": {"choices": _too_long(AUTOCOMPLETE_CHOICES_MAX)}})
    bad = {
        str(i): {"name": _err("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")}
        for i, c in enumerate(choices)
        if not 1 <= len(str(c.get("name", ""))) <= 100
    }
    return invalid_form_body({"data": {"choices": bad}}) if bad else None


@dataclass
class BucketRule:
    limit: int
    per: float


def default_rules() -> dict[str, BucketRule]:
    return {
        "POST /channels/{channel_id}/messages": BucketRule(5, 5.0),
        "PATCH /channels/{channel_id}/messages/{message_id}": BucketRule(5, 5.0),
        "DELETE /channels/{channel_id}/messages/{message_id}": BucketRule(5, 1.0),
        "POST /users/@me/channels": BucketRule(5, 5.0),
    }


@dataclass
class RateLimitConfig:
    """Per-test knobs; `enabled=False` switches every limit off."""

    enabled: bool = True
    global_limit: int = 50
    global_per: float = 1.0
    default: BucketRule = field(default_factory=lambda: BucketRule(50, 1.0))
    rules: dict[str, BucketRule] = field(default_factory=default_rules)


@dataclass
class Verdict:
    """Outcome of one request against the limits: headers to send and, when limited, the 429 body."""

    headers: dict[str, str]
    limited_body: dict[str, Any] | None = None


@dataclass
class _Window:
    start: float
    count: int = 0


class RateLimiter:
    """Fixed-window per-route buckets (keyed by template + major parameter) and a sliding global window."""

    def __init__(self, config: RateLimitConfig) -> None:
        self.config = config
        self._windows: dict[tuple[str, str], _Window] = {}
        self._global: deque[float] = deque()

    def check(self, template: str, major: str, *, exempt_global: bool = False) -> Verdict:
        cfg = self.config
        if not cfg.enabled:
            return Verdict(headers={})
        now = time.monotonic()
        if not exempt_global:
            while self._global and now - self._global[0] >= cfg.global_per:
                self._global.popleft()
            if len(self._global) >= cfg.global_limit:
                retry = max(cfg.global_per - (now - self._global[0]), 0.001)
                headers = {
                    "X-RateLimit-Global": "true",
                    "X-RateLimit-Scope": "global",
                    "Retry-After": f"{retry:.3f}",
                }
                body = {
                    "message": "You are being rate limited.",
                    "retry_after": round(retry, 3),
                    "global": True,
                }
                return Verdict(headers=headers, limited_body=body)
        rule = cfg.rules.get(template, cfg.default)
        key = (template, major)
        window = self._windows.get(key)
        if window is None or now - window.start >= rule.per:
            window = self._windows[key] = _Window(start=now)
        reset_after = max(window.start + rule.per - now, 0.0)
        headers = {
            "X-RateLimit-Limit": str(rule.limit),
            "X-RateLimit-Bucket": bucket_hash(template),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        }
        if window.count >= rule.limit:
            retry = max(reset_after, 0.001)
            headers.update(
                {"X-RateLimit-Remaining": "0", "X-RateLimit-Scope": "user", "Retry-After": f"{retry:.3f}"}
            )
            body = {"message": "You are being rate limited.", "retry_after": round(retry, 3), "global": False}
            return Verdict(headers=headers, limited_body=body)
        window.count += 1
        if not exempt_global:
            self._global.append(now)
        headers["X-RateLimit-Remaining"] = str(rule.limit - window.count)
        return Verdict(headers=headers)


def bucket_hash(template: str) -> str:
    """A stable opaque id per route, like Discord's `X-RateLimit-Bucket`."""
    return hashlib.sha1(template.encode()).hexdigest()[:16]
