"""The fake Discord's forums and threads, judged on Discord's documented JSON: posts made with
``POST /channels/{forum}/threads`` (JSON and multipart, as discord.py sends them), tags, archiving,
deletion and the permission rules of forums (SEND_MESSAGES creates posts, SEND_MESSAGES_IN_THREADS posts
in them, MANAGE_CHANNELS edits the forum's tags, the post's creator or MANAGE_THREADS edits the post)."""

from __future__ import annotations

import io
import json
from typing import Any

import aiohttp
import discord

from tests.fakediscord import FakeDiscord
from tests.fakediscord.client import running_bot
from tests.fakediscord.state import FakeChannel

PNG = (
    b"\x89PNG\r\n\x1a\n"
    + b"\x00\x00\x00\rIHDR"
    + (8).to_bytes(4, "big")
    + (4).to_bytes(4, "big")
    + b"\x08" * 5
)


async def call(fake: FakeDiscord, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bot {fake.token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, fake.api_base + path, json=body, headers=headers) as response,
    ):
        text = await response.text()
        return response.status, json.loads(text) if text else None


def post_body(name: str = "A case", tags: list[str] | None = None, **message: Any) -> dict[str, Any]:
    return {"name": name, "applied_tags": tags or [], "message": {"content": "card", **message}}


async def test_a_post_is_a_thread_whose_starter_message_has_its_id(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    guild = fake.add_guild("g")
    forum = fake.add_forum_channel(guild, "cases", tags=["open", "closed"])
    open_tag = forum.available_tags[0]["id"]
    status, thread = await call(fake, "POST", f"/channels/{forum.id}/threads", post_body(tags=[open_tag]))
    assert status == 201 and thread["type"] == 11 and thread["parent_id"] == str(forum.id)
    assert thread["applied_tags"] == [open_tag] and thread["thread_metadata"]["archived"] is False
    assert thread["message"]["id"] == thread["id"] and thread["message"]["channel_id"] == thread["id"]
    assert thread["owner_id"] == str(fake.bot_user.id)
    [live] = fake.threads_of(forum)
    assert [m.content for m in fake.messages(live)] == ["card"]
    # A forum holds posts, not messages; a thread holds messages.
    status, body = await call(fake, "POST", f"/channels/{forum.id}/messages", {"content": "x"})
    assert (status, body["code"]) == (400, 50024)
    assert (await call(fake, "POST", f"/channels/{live.id}/messages", {"content": "more"}))[0] == 200
    status, active = await call(fake, "GET", f"/guilds/{guild.id}/threads/active")
    assert status == 200 and [t["id"] for t in active["threads"]] == [thread["id"]]


async def test_tags_are_checked_and_only_manage_channels_edits_them(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    guild = fake.add_guild("g")
    forum = fake.add_forum_channel(guild, "cases", tags=[f"t{i}" for i in range(6)])
    ids = [t["id"] for t in forum.available_tags]
    assert (await call(fake, "POST", f"/channels/{forum.id}/threads", post_body(tags=ids)))[0] == 400  # 6 > 5
    assert (await call(fake, "POST", f"/channels/{forum.id}/threads", post_body(tags=["123"])))[0] == 400
    new_tags = {"available_tags": [*forum.available_tags, {"name": "Twitter"}]}
    status, body = await call(fake, "PATCH", f"/channels/{forum.id}", new_tags)
    assert (status, body["code"]) == (403, 50013)  # no Manage Channels
    fake.set_overwrite(forum, fake.bot_member(guild), allow=["manage_channels"])
    status, edited = await call(fake, "PATCH", f"/channels/{forum.id}", new_tags)
    assert status == 200 and [t["name"] for t in edited["available_tags"]][-1] == "Twitter"
    assert (
        edited["available_tags"][-1]["id"] not in ids
        and [t["id"] for t in edited["available_tags"]][:6] == ids
    )
    too_many = {"available_tags": [{"name": f"n{i}"} for i in range(21)]}
    assert (await call(fake, "PATCH", f"/channels/{forum.id}", too_many))[0] == 400
    too_long = {"available_tags": [{"name": "x" * 21}]}
    assert (await call(fake, "PATCH", f"/channels/{forum.id}", too_long))[0] == 400
    moderated = fake.add_forum_channel(guild, "mod", tags=[{"name": "staff", "moderated": True}])
    staff = moderated.available_tags[0]["id"]
    status, body = await call(fake, "POST", f"/channels/{moderated.id}/threads", post_body(tags=[staff]))
    assert status == 403  # a moderated tag needs MANAGE_THREADS


async def test_archiving_editing_and_deleting_a_post(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    guild = fake.add_guild("g")
    forum = fake.add_forum_channel(guild, "cases", tags=["open"])
    tag = forum.available_tags[0]["id"]
    _, made = await call(fake, "POST", f"/channels/{forum.id}/threads", post_body())
    tid = made["id"]
    status, patched = await call(fake, "PATCH", f"/channels/{tid}", {"applied_tags": [tag], "archived": True})
    assert status == 200 and patched["thread_metadata"]["archived"] and patched["applied_tags"] == [tag]
    # An archived post takes no edits (unless the same request unarchives it).
    status, body = await call(fake, "PATCH", f"/channels/{tid}/messages/{tid}", {"content": "edited"})
    assert (status, body["code"]) == (400, 50083)
    assert (await call(fake, "PATCH", f"/channels/{tid}", {"applied_tags": []}))[1]["code"] == 50083
    status, patched = await call(fake, "PATCH", f"/channels/{tid}", {"archived": False, "applied_tags": []})
    assert status == 200 and not patched["thread_metadata"]["archived"] and patched["applied_tags"] == []
    # Another user's post: the bot may not archive or retag it without MANAGE_THREADS.
    other = fake.add_user("someone")
    theirs = fake.create_forum_post(forum, "theirs", [], {"content": "hi"}, files=[], author=other)
    assert (await call(fake, "PATCH", f"/channels/{theirs.id}", {"archived": True}))[0] == 403
    # Deleting needs MANAGE_THREADS; afterwards the post answers 404.
    assert (await call(fake, "DELETE", f"/channels/{tid}"))[0] == 403
    fake.set_overwrite(forum, fake.bot_member(guild), allow=["manage_threads"])
    assert (await call(fake, "DELETE", f"/channels/{tid}"))[0] == 200
    status, body = await call(fake, "GET", f"/channels/{tid}")
    assert (status, body["code"]) == (404, 10003)
    assert (await call(fake, "POST", f"/channels/{tid}/messages", {"content": "x"}))[0] == 404


async def test_forum_permissions(fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    guild = fake.add_guild(
        "g", everyone_permissions=["view_channel", "send_messages", "read_message_history"]
    )
    forum = fake.add_forum_channel(guild, "cases")
    _, made = await call(fake, "POST", f"/channels/{forum.id}/threads", post_body())
    status, body = await call(fake, "POST", f"/channels/{made['id']}/messages", {"content": "x"})
    assert (status, body["code"]) == (403, 50013)  # no SEND_MESSAGES_IN_THREADS
    fake.set_overwrite(
        forum, fake.bot_member(guild), deny=["send_messages"], allow=["send_messages_in_threads"]
    )
    assert (await call(fake, "POST", f"/channels/{made['id']}/messages", {"content": "x"}))[0] == 200
    status, body = await call(fake, "POST", f"/channels/{forum.id}/threads", post_body())
    assert (status, body["code"]) == (403, 50013)  # no SEND_MESSAGES: no new posts


async def test_discord_py_creates_a_post_with_an_upload_and_tags(fake_discord: FakeDiscord) -> None:
    """discord.py's ForumChannel.create_thread, multipart (payload_json + files[0]), as the bot uses it."""
    fake = fake_discord
    guild = fake.add_guild("g")
    forum_state: FakeChannel = fake.add_forum_channel(guild, "cases", tags=["open"])
    client = discord.Client(intents=discord.Intents(guilds=True))
    async with running_bot(client, fake):
        forum = client.get_channel(forum_state.id)
        assert isinstance(forum, discord.ForumChannel) and [t.name for t in forum.available_tags] == ["open"]
        embed = discord.Embed(title="card").set_image(url="attachment://t.png")
        made = await forum.create_thread(
            name="A case",
            content="hello",
            embed=embed,
            file=discord.File(io.BytesIO(PNG), filename="t.png"),
            applied_tags=list(forum.available_tags),
            allowed_mentions=discord.AllowedMentions.none(),
        )
        assert made.thread.id == made.message.id and made.thread.parent_id == forum.id
        assert [t.name for t in made.thread.applied_tags] == ["open"]
        archived = await made.thread.edit(archived=True)
        assert archived.archived
        fetched = await client.fetch_channel(made.thread.id)
        assert isinstance(fetched, discord.Thread) and fetched.archived
    [request] = fake.requests_to("POST", rf"^/channels/{forum_state.id}/threads$")
    assert (
        request.files == ["t.png"]
        and request.json["message"]["embeds"][0]["image"]["url"] == "attachment://t.png"
    )
    [thread] = fake.threads_of(forum_state)
    [starter] = fake.messages(thread)
    assert starter.attachments[0]["filename"] == "t.png" and starter.embeds[0]["image"]["url"].endswith(
        "/t.png"
    )
