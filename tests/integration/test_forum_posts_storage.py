"""Forum posts and the forum alert setting on both backends (``any_store``: SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.delivery.forum import ForumPost
from bot.models import Action, Case, Stage
from storage.store import SqliteStore
from tests.storage_backends import rows

T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
FORUM, OTHER_FORUM = 9_000_000_000_000_001, 9_000_000_000_000_002  # snowflakes need 64 bits


async def test_a_post_is_begun_then_recorded_then_found_again(any_store: SqliteStore) -> None:
    store = any_store
    assert await store.forum_posts.get("c1", FORUM) is None
    await store.forum_posts.begin("c1", FORUM, guild_id=7, at=T0)
    begun = await store.forum_posts.get("c1", FORUM)
    assert begun == ForumPost("c1", FORUM, 7, None, None, False, T0)
    assert not begun.created

    thread = 1_234_567_890_123_456_789
    await store.forum_posts.put("c1", FORUM, thread, thread, guild_id=7)
    post = await store.forum_posts.get("c1", FORUM)
    assert post == ForumPost("c1", FORUM, 7, thread, thread, False, None)
    assert post.created

    await store.forum_posts.set_archived("c1", FORUM, True)
    await store.forum_posts.set_message("c1", FORUM, thread + 5)
    post = await store.forum_posts.get("c1", FORUM)
    assert post is not None and post.archived is True and post.message_id == thread + 5
    assert post.thread_id == thread

    # Begun again (the post was deleted): the old thread is forgotten until the new one is recorded.
    await store.forum_posts.begin("c1", FORUM, guild_id=7, at=T0)
    again = await store.forum_posts.get("c1", FORUM)
    assert again == ForumPost("c1", FORUM, 7, None, None, False, T0)


async def test_posts_are_per_forum_and_forgotten_one_by_one(any_store: SqliteStore) -> None:
    store = any_store
    await store.forum_posts.put("c1", FORUM, 11, 11, guild_id=1)
    await store.forum_posts.put("c2", FORUM, 12, 12, guild_id=1, archived=True)
    await store.forum_posts.put("c1", OTHER_FORUM, 21, 21, guild_id=2)
    assert [(p.case_id, p.thread_id, p.archived) for p in await store.forum_posts.in_forum(FORUM)] == [
        ("c1", 11, False),
        ("c2", 12, True),
    ]
    assert [p.thread_id for p in await store.forum_posts.in_forum(OTHER_FORUM)] == [21]
    await store.forum_posts.forget("c1", FORUM)
    assert await store.forum_posts.get("c1", FORUM) is None
    assert (await store.forum_posts.get("c1", OTHER_FORUM)).thread_id == 21  # type: ignore[union-attr]
    assert [p.case_id for p in await store.forum_posts.in_forum(FORUM)] == ["c2"]


async def test_the_forum_flag_is_a_guild_setting(any_store: SqliteStore) -> None:
    store = any_store
    assert (await store.guilds.settings(5)).alert_forum is False
    settings = await store.guilds.update_settings(5, alert_channel_id=FORUM, alert_forum=True)
    assert settings.alert_channel_id == FORUM and settings.alert_forum is True
    assert [(g.guild_id, g.alert_forum) for g in await store.guilds.alerting()] == [(5, True)]
    settings = await store.guilds.update_settings(5, alert_channel_id=OTHER_FORUM, alert_forum=False)
    assert settings.alert_forum is False


def _case(case_id: str) -> Case:
    return Case(id=case_id, title=f"case {case_id}", status=Stage.FILED, action=Action.LAWSUIT,
                platforms=("Reddit",), article_count=1)  # fmt: skip


async def test_a_merge_moves_the_absorbed_post_unless_the_kept_case_has_one(any_store: SqliteStore) -> None:
    store = any_store
    async with store.transaction():
        for case_id in ("kept", "gone"):
            await store.cases.save(_case(case_id), ["reddit"])
    await store.forum_posts.put("gone", FORUM, 31, 31, guild_id=1)  # only the absorbed case has one
    await store.forum_posts.put("kept", OTHER_FORUM, 41, 41, guild_id=2)  # both have one here
    await store.forum_posts.put("gone", OTHER_FORUM, 42, 42, guild_id=2)
    async with store.transaction():
        await store.cases.merge_many("kept", ["gone"])
    found = await rows(store, "SELECT case_id, forum_id, thread_id FROM forum_posts ORDER BY thread_id")
    assert [tuple(r) for r in found] == [("kept", FORUM, 31), ("kept", OTHER_FORUM, 41)]
