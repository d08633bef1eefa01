"""The timeline picture end to end: `/case timeline` and status-change messages upload the PNG as a
multipart file that the embed shows (``attachment://timeline-<id>.png``), the fake checks the upload and
the reference, a resend after a crash is absorbed by the nonce, and no Attach Files means no picture
(the message still goes out)."""

from __future__ import annotations

import asyncio
import io
import re

import discord
import pytest
from PIL import Image

from bot.app import CasewatchBot
from bot.timeline_png import HEIGHT, WIDTH, timeline_png
from tests.e2e.botworld import SUMMONS, WITHDRAWN, World, rss, world_fixture  # noqa: F401
from tests.fakediscord.client import running_bot
from tests.fakediscord.state import FakeMessage

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def posts(world: World, channel_id: int) -> list:
    return world.fake.requests_to("POST", rf"^/channels/{channel_id}/messages$")


def picture_of(message: FakeMessage, case_id: str) -> bytes:
    """The uploaded timeline of ``message``, after checking the embed shows exactly that attachment."""
    name = f"timeline-{case_id}.png"
    [attachment] = message.attachments
    assert attachment["filename"] == name and attachment["content_type"] == "image/png"
    assert (attachment["width"], attachment["height"]) == (WIDTH, HEIGHT)
    shown = [e["image"]["url"] for e in message.embeds if "image" in e]
    assert shown == [attachment["url"]]  # Discord resolved attachment://NAME to the upload
    data = message.uploads[name]
    assert data.startswith(PNG_MAGIC) and attachment["size"] == len(data)
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (WIDTH, HEIGHT)
    return data


async def expected_png(world: World, case_id: str) -> bytes:
    case = await world.store.cases.get(case_id)
    events = await world.store.cases.events(case_id)
    return timeline_png(case, events, await world.store.articles.for_case(case_id))


async def twitter_case(world: World) -> str:
    [case] = await world.store.cases.search("ALT_uscis")
    return str(case.id)


async def test_case_timeline_uploads_the_picture_the_embed_shows(world: World) -> None:
    await world.ingest(rss(SUMMONS, WITHDRAWN))
    case_id = await twitter_case(world)
    shown = await world.slash("case timeline", {"case": case_id}, by=world.member)
    assert not shown.ephemeral and shown.embeds[0]["title"].startswith("Timeline:")
    assert "dropped" in shown.embeds[0]["description"]  # the list is still there, the picture below it
    assert shown.message is not None
    assert picture_of(shown.message, case_id) == await expected_png(world, case_id)
    # On the wire: one multipart callback, payload_json naming the file, the embed pointing at it.
    [callback] = world.fake.requests_to("POST", r"^/interactions/\d+/[^/]+/callback$")
    name = f"timeline-{case_id}.png"
    assert callback.files == [name] and callback.uploads[name].startswith(PNG_MAGIC)
    data = callback.json["data"]
    assert data["embeds"][0]["image"] == {"url": f"attachment://{name}"}
    assert [a["filename"] for a in data["attachments"]] == [name]


async def test_case_timeline_without_attach_files_is_the_list_alone(world: World) -> None:
    await world.ingest(rss(SUMMONS, WITHDRAWN))
    case_id = await twitter_case(world)
    world.fake.set_overwrite(world.general, world.fake.bot_member(world.guild), deny=["attach_files"])
    await asyncio.sleep(0.05)
    shown = await world.slash("case timeline", {"case": case_id}, by=world.member)
    assert shown.message is not None and shown.message.attachments == []
    assert "image" not in shown.embeds[0] and "dropped" in shown.embeds[0]["description"]
    [callback] = world.fake.requests_to("POST", r"^/interactions/\d+/[^/]+/callback$")
    assert callback.files == []


async def test_status_update_and_follower_dm_carry_the_picture(world: World) -> None:
    await world.slash("alerts set", {"channel": world.alerts})
    await world.ingest(rss(SUMMONS))
    await world.bot.publisher.drain()
    [card] = world.fake.messages(world.alerts)
    assert card.attachments == []  # a new case's card has no picture
    case_id = await twitter_case(world)
    click = await world.fake.click(card, world.member, f"cw:follow:{case_id}")
    assert "Following" in ((await click.response()).content or "")

    await world.ingest(rss(SUMMONS, WITHDRAWN))
    assert (await world.bot.publisher.drain())["sent"] == 2  # the channel's update and the follower's DM
    card_now, update = world.fake.messages(world.alerts)
    assert card_now.id == card.id and card_now.attachments == []
    assert "Status update" in update.content
    expected = await expected_png(world, case_id)
    assert picture_of(update, case_id) == expected
    [dm] = world.fake.dm_messages(world.member.user)
    assert picture_of(dm, case_id) == expected  # the same version: the same bytes (drawn once)
    [request] = [r for r in posts(world, world.alerts.id) if r.files]
    assert request.json["embeds"][0]["image"]["url"] == f"attachment://timeline-{case_id}.png"
    assert request.json["enforce_nonce"] is True


async def test_status_update_without_attach_files_goes_out_without_the_picture(world: World) -> None:
    await world.slash("alerts set", {"channel": world.alerts})
    await world.ingest(rss(SUMMONS))
    await world.bot.publisher.drain()
    world.fake.set_overwrite(world.alerts, world.fake.bot_member(world.guild), deny=["attach_files"])
    await asyncio.sleep(0.05)  # CHANNEL_UPDATE reaches the bot's cache
    await world.ingest(rss(SUMMONS, WITHDRAWN))
    assert await world.bot.publisher.drain() == {"sent": 1}
    _, update = world.fake.messages(world.alerts)
    assert "Status update" in update.content and update.attachments == [] and update.embeds == []
    assert world.fake.client_error_count == 0  # it never tried an upload Discord would refuse


async def test_a_fresh_card_for_a_status_change_carries_the_picture(world: World) -> None:
    await world.slash("alerts set", {"channel": world.alerts})
    await world.ingest(rss(SUMMONS))
    await world.bot.publisher.drain()
    [card] = world.fake.messages(world.alerts)
    world.fake.delete_message(card)  # someone deleted the card: the update posts a new one
    await asyncio.sleep(0.05)
    await world.ingest(rss(SUMMONS, WITHDRAWN))
    assert await world.bot.publisher.drain() == {"sent": 1}
    [fresh] = world.fake.messages(world.alerts)
    case_id = await twitter_case(world)
    assert fresh.id != card.id and "Status update" in fresh.content
    assert picture_of(fresh, case_id) == await expected_png(world, case_id)
    assert fresh.components  # still the card, with its Follow button


async def test_redelivery_after_a_crash_posts_the_update_with_its_picture_once(world: World) -> None:
    await world.slash("alerts set", {"channel": world.alerts})
    await world.ingest(rss(SUMMONS))
    await world.bot.publisher.drain()
    await world.ingest(rss(SUMMONS, WITHDRAWN))
    case_id = await twitter_case(world)
    first = world.bot

    async def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("power cut")

    first.publisher.store.outbox.mark_sent = crash  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        await first.publisher.drain()  # Discord has the update; the bot never recorded it
    await first.close()

    second = CasewatchBot(world.settings, run_jobs=False, guild_ready_timeout=0.05)
    async with running_bot(second, world.fake):
        assert await second.publisher.drain() == {"sent": 1}
        assert await second.store.outbox.counts() == {"sent": 2}
    messages = world.fake.messages(world.alerts)
    assert len(messages) == 2  # the card and one update, not two
    uploads = [r for r in posts(world, world.alerts.id) if r.files]
    assert len(uploads) == 2 and len({r.json["nonce"] for r in uploads}) == 1  # sent again, same nonce
    assert uploads[0].uploads == uploads[1].uploads  # the same version's bytes, both times
    picture_of(messages[1], case_id)


# --- the fake's side of uploads ----------------------------------------------------------------------


async def test_fake_refuses_an_embed_pointing_at_a_file_that_was_not_uploaded(world: World) -> None:
    channel = world.bot.get_channel(world.alerts.id)
    assert isinstance(channel, discord.TextChannel)
    embed = discord.Embed(title="x").set_image(url="attachment://missing.png")
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send(embed=embed, file=discord.File(io.BytesIO(b"data"), filename="other.png"))
    assert caught.value.status == 400 and caught.value.code == 50035
    with pytest.raises(discord.HTTPException):
        await channel.send(embed=embed)  # no file at all
    assert world.fake.messages(world.alerts) == []
    sent = await channel.send(embed=embed, file=discord.File(io.BytesIO(b"data"), filename="missing.png"))
    [stored] = world.fake.messages(world.alerts)
    assert stored.id == sent.id and stored.uploads == {"missing.png": b"data"}
    assert re.search(r"/attachments/\d+/missing\.png$", stored.embeds[0]["image"]["url"])


async def test_fake_needs_attach_files_for_uploads(world: World) -> None:
    world.fake.set_overwrite(world.alerts, world.fake.bot_member(world.guild), deny=["attach_files"])
    channel = world.bot.get_channel(world.alerts.id)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.Forbidden) as caught:
        await channel.send("x", file=discord.File(io.BytesIO(b"data"), filename="a.txt"))
    assert caught.value.code == 50013
    await channel.send("no file is fine")
    assert [m.content for m in world.fake.messages(world.alerts)] == ["no file is fine"]


async def test_fake_edit_with_attachments_keeps_only_those_listed(world: World) -> None:
    channel = world.bot.get_channel(world.alerts.id)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("two", files=[discord.File(io.BytesIO(b"1"), filename=n) for n in ("a", "b")])
    [first, _] = sent.attachments
    await sent.edit(attachments=[first])
    [stored] = world.fake.messages(world.alerts)
    assert [a["filename"] for a in stored.attachments] == ["a"] and stored.uploads == {"a": b"1"}
    await sent.edit(attachments=[first, discord.File(io.BytesIO(b"3"), filename="c")])  # keep one, add one
    assert [a["filename"] for a in stored.attachments] == ["a", "c"] and stored.uploads == {"a": b"1", "c": b"3"}
    await sent.edit(content="none", attachments=[])
    assert stored.attachments == [] and stored.uploads == {}
