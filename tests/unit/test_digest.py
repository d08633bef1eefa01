"""Digest mode is pure: when a digest is due and what it says, within Discord's limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.delivery.digest import DigestItem, build_digest, digest_due
from bot.models import Action, Case, CaseEvent, DeliveryKind, DigestMode, Stage
from tests.fakediscord.limits import validate_message

NOW = datetime(2024, 5, 8, 9, 0, tzinfo=UTC)


def case(i: int, status: Stage = Stage.FILED, title: str | None = None) -> Case:
    return Case(
        f"c{i}", title or f"Platform{i} sued over order {i}", status, Action.LAWSUIT, (f"Platform{i}",)
    )


def test_digest_due() -> None:
    day = timedelta(days=1)
    assert not digest_due(DigestMode.DAILY, None, None, NOW)
    assert not digest_due(DigestMode.OFF, None, NOW - 30 * day, NOW)
    assert not digest_due(DigestMode.DAILY, None, NOW - timedelta(hours=23), NOW)
    assert digest_due(DigestMode.DAILY, None, NOW - day, NOW)
    assert not digest_due(DigestMode.DAILY, NOW - timedelta(hours=2), NOW - 3 * day, NOW)
    assert not digest_due(DigestMode.WEEKLY, NOW - 6 * day, NOW - 6 * day, NOW)
    assert digest_due(DigestMode.WEEKLY, NOW - 7 * day, NOW - 3 * day, NOW)


def test_digest_groups_new_cases_and_status_changes() -> None:
    changed = CaseEvent("c2", Stage.FILED, Stage.RULING, NOW)
    items = [
        DigestItem(1, DeliveryKind.NEW_CASE, case(1)),
        DigestItem(2, DeliveryKind.STATUS_UPDATE, case(2, Stage.RULING), changed),
        DigestItem(
            3,
            DeliveryKind.STATUS_UPDATE,
            case(1, Stage.SETTLED),
            CaseEvent("c1", Stage.FILED, Stage.SETTLED, NOW),
        ),
        DigestItem(4, DeliveryKind.NEW_CASE, None),  # the case was rebuilt away: skipped
    ]
    [msg] = build_digest(items, DigestMode.DAILY, NOW)
    assert msg.content == "**Daily casewatch digest** · 2024-05-08"
    new, status = msg.embeds
    assert new.title == "New cases (1)" and "Platform1" in new.description and "settled" in new.description
    assert status.title == "Status changes (1)" and "filed → ruling" in status.description
    assert build_digest([], DigestMode.WEEKLY, NOW) == []


def test_big_digest_is_split_within_limits_and_text_is_sanitised() -> None:
    items = [
        DigestItem(i, DeliveryKind.NEW_CASE, case(i, title=f"@everyone <@&9> case {i} " + "x" * 180))
        for i in range(300)
    ]
    messages = build_digest(items, DigestMode.WEEKLY, NOW)
    assert len(messages) > 1 and "(part 1 of" in (messages[0].content or "")
    lines = 0
    for msg in messages:
        payload = msg.to_dict()
        assert validate_message(payload) is None
        text = str(payload)
        assert "@everyone" not in text and "<@&9>" not in text
        lines += sum(e.description.count("• ") for e in msg.embeds)
    assert lines == 300  # every case listed exactly once, none lost to clipping
