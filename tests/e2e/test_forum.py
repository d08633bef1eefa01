"""Forum channel mode end to end: the real bot (discord.py) against the fake Discord's forums and threads.

One post per case (title, card with the Follow button, tags), every development and status change inside
it, tags and archived state following the status, a restart (and a crash while creating) finding the
post again, a deleted post made again once, no Manage Channels meaning no tags and one admin notice, and
text channels and other guilds untouched.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import aiohttp

from bot.app import CasewatchBot
from bot.clock import utcnow
from bot.delivery import render
from bot.delivery.jobs import compile_digests
from bot.models import DigestMode, TargetKind
from tests.e2e.botworld import FOLLOWUP, REDDIT, START, SUMMONS, WITHDRAWN, World, item, rss, world_fixture  # noqa: F401
from tests.fakediscord.client import running_bot
from tests.fakediscord.state import FakeChannel, FakeMessage

APPEAL = item(
    "s4",
    "Twitter appeals ruling over @ALT_uscis summons",
    "Twitter filed an appeal against the court ruling on the Customs and Border Protection summons over "
    "the @ALT_uscis account.",
    when=START + timedelta(days=3),
)


async def forum_world(world: World, *, manage_channels: bool = True) -> FakeChannel:
    forum = world.fake.add_forum_channel(world.guild, "cases")
    if manage_channels:
        world.fake.set_overwrite(forum, world.fake.bot_member(world.guild), allow=["manage_channels"])
    await asyncio.sleep(0.05)  # CHANNEL_CREATE / CHANNEL_UPDATE reach the bot's cache
    answer = await world.slash("alerts set", {"channel": forum})
    assert "post in" in (answer.content or ""), answer.content
    return forum


def tag_names(forum: FakeChannel, thread: FakeChannel) -> list[str]:
    by_id = {int(t["id"]): t["name"] for t in forum.available_tags}
    return [by_id[t] for t in thread.applied_tags]


def starter(world: World, thread: FakeChannel) -> FakeMessage:
    first = world.fake.all_messages[thread.id]
    assert first.channel_id == thread.id and not first.deleted
    return first


def follow_id(message: FakeMessage) -> str:
    return str(message.components[0]["components"][0]["custom_id"])


async def rest_status(world: World, path: str) -> int:
    """What the fake answers the bot's token for GET ``path`` (as Discord would to anyone asking)."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(world.fake.api_base + path, headers={"Authorization": f"Bot {world.fake.token}"}) as r,
    ):
        return r.status


def thread_posts(world: World, forum: FakeChannel) -> list[Any]:
    return world.fake.requests_to("POST", rf"^/channels/{forum.id}/threads$")


async def test_a_new_case_is_one_post_with_its_title_card_follow_button_and_tags(world: World) -> None:
    forum = await forum_world(world)
    assert (await world.store.guilds.settings(world.guild.id)).alert_forum is True
    await world.ingest(rss(SUMMONS))
    assert await world.bot.publisher.drain() == {"sent": 1}
    [thread] = world.fake.threads_of(forum)
    [case] = await world.store.cases.search("ALT_uscis")
    assert thread.name == case.title and thread.owner_id == world.fake.bot_user.id
    card = starter(world, thread)
    assert card.embeds[0]["title"] == render.safe(case.title, 256)  # markdown escaped in the card
    assert follow_id(card) == f"cw:follow:{case.id}"
    assert tag_names(forum, thread) == ["open", "summons", "Twitter", "Anonymous speech"]  # the legal issue too
    assert {t["name"] for t in forum.available_tags} == {"open", "closed", "summons", "Twitter", "Anonymous speech"}
    [request] = thread_posts(world, forum)
    assert request.json["name"] == case.title and request.json["message"]["allowed_mentions"] == {"parse": []}
    post = await world.store.forum_posts.get(case.id, forum.id)
    assert (post.thread_id, post.message_id, post.archived) == (thread.id, card.id, False)
    assert world.fake.messages(world.alerts) == [] and world.fake.client_error_count == 0
    # The Follow button works in a post as on a card in a text channel.
    click = await world.fake.click(card, world.member, follow_id(card))
    assert "Following" in ((await click.response()).content or "")
    subs = await world.store.guilds.subscriptions_of(TargetKind.USER, world.member.user.id)
    assert [s.case_id for s in subs] == [case.id]
    assert await world.bot.publisher.drain() == {}  # nothing twice


async def test_developments_and_status_changes_go_into_the_post_closing_archives_reopening_unarchives(
    world: World,
) -> None:
    forum = await forum_world(world)
    await world.ingest(rss(SUMMONS))
    await world.bot.publisher.drain()
    [thread] = world.fake.threads_of(forum)
    card = starter(world, thread)
    click = await world.fake.click(card, world.member, follow_id(card))
    await click.response()

    await world.ingest(rss(SUMMONS, FOLLOWUP))  # a development: in the post, and to the follower
    assert await world.bot.publisher.drain() == {"sent": 2}
    first, development = world.fake.messages(thread)
    assert (
        first.id == card.id and "New on" in development.content and "civil liberties" in development.content
    )
    assert len(world.fake.dm_messages(world.member.user)) == 1
    assert len(world.fake.threads_of(forum)) == 1 and not thread.archived

    await world.ingest(rss(SUMMONS, FOLLOWUP, WITHDRAWN))  # closed: card edited, update posted, archived
    assert await world.bot.publisher.drain() == {"sent": 2}
    assert len(world.fake.threads_of(forum)) == 1
    messages = world.fake.messages(thread)
    assert len(messages) == 3 and "Status update" in messages[2].content
    assert str(card.id) in messages[2].content  # the jump link to the card at the top of the post
    assert card.edit_count == 1 and "closed" in str(card.embeds[0]["fields"])
    assert tag_names(forum, thread) == ["closed", "summons", "Twitter", "Anonymous speech"]
    assert thread.archived
    [case] = await world.store.cases.search("ALT_uscis")
    assert (await world.store.forum_posts.get(case.id, forum.id)).archived is True
    assert world.fake.client_error_count == 0

    await world.ingest(rss(SUMMONS, FOLLOWUP, WITHDRAWN, APPEAL))  # reopened: unarchived, tags back
    stats = await world.bot.publisher.drain()
    assert stats == {"sent": 2}
    assert not thread.archived and len(world.fake.threads_of(forum)) == 1
    assert tag_names(forum, thread)[0] == "open"
    assert "Status update" in world.fake.messages(thread)[-1].content
    unarchive = [
        r
        for r in world.fake.requests_to("PATCH", rf"^/channels/{thread.id}$")
        if r.json.get("archived") is False
    ]
    assert len(unarchive) == 1 and unarchive[0].status == 200
    assert world.fake.client_error_count == 0


async def restarted(world: World) -> CasewatchBot:
    await world.bot.close()
    return CasewatchBot(world.settings, run_jobs=False, guild_ready_timeout=0.05)


async def test_a_restart_finds_the_post_again_and_makes_no_second_one(world: World) -> None:
    forum = await forum_world(world)
    await world.ingest(rss(SUMMONS))
    await world.bot.publisher.drain()
    [thread] = world.fake.threads_of(forum)
    second = await restarted(world)
    async with running_bot(second, world.fake):
        feed = await second.store.feeds.get_by_url("https://news.example.org/feed.xml")
        await second.pipeline.ingest_body(feed, rss(SUMMONS, FOLLOWUP, WITHDRAWN))
        assert await second.publisher.drain() == {"sent": 2}  # a development, then the status change
    assert world.fake.threads_of(forum) == [thread] and len(thread_posts(world, forum)) == 1
    _, development, update = world.fake.messages(thread)
    assert "New on" in development.content and "Status update" in update.content and thread.archived


async def test_a_crash_while_creating_the_post_finds_it_instead_of_making_a_second(world: World) -> None:
    """Discord made the post but the bot died before writing its ids: the "being created" mark makes
    the next bot look among the forum's active threads for its own post that names the case."""
    forum = await forum_world(world)
    await world.ingest(rss(SUMMONS))
    first = world.bot

    async def power_cut(*args: object, **kwargs: object) -> None:
        raise RuntimeError("power cut")

    first.publisher.forum_posts.put = power_cut  # type: ignore[method-assign]
    try:
        await first.publisher.drain()
    except RuntimeError:
        pass
    else:
        raise AssertionError("the crash did not happen")
    [thread] = world.fake.threads_of(forum)
    second = await restarted(world)
    async with running_bot(second, world.fake):
        [case] = await second.store.cases.search("ALT_uscis")
        marked = await second.store.forum_posts.get(case.id, forum.id)
        assert marked is not None and marked.thread_id is None and marked.creating_since is not None
        assert await second.publisher.drain() == {"sent": 1}  # the same new-case delivery, resent
        assert world.fake.requests_to("GET", rf"^/guilds/{world.guild.id}/threads/active$", status=200)
        found = await second.store.forum_posts.get(case.id, forum.id)
        assert (found.thread_id, found.message_id) == (thread.id, thread.id)
        feed = await second.store.feeds.get_by_url("https://news.example.org/feed.xml")
        await second.pipeline.ingest_body(feed, rss(SUMMONS, FOLLOWUP))
        assert await second.publisher.drain() == {"sent": 1}
    assert world.fake.threads_of(forum) == [thread] and len(thread_posts(world, forum)) == 1
    assert "New on" in world.fake.messages(thread)[-1].content


async def test_a_deleted_post_is_made_again_once_and_then_used(world: World) -> None:
    forum = await forum_world(world)
    await world.ingest(rss(SUMMONS))
    await world.bot.publisher.drain()
    [gone] = world.fake.threads_of(forum)
    world.fake.delete_thread(gone)  # a moderator deletes the post
    await asyncio.sleep(0.05)
    assert await rest_status(world, f"/channels/{gone.id}") == 404
    await world.ingest(rss(SUMMONS, FOLLOWUP))  # a development: the case needs its post again
    assert await world.bot.publisher.drain() == {"sent": 1}
    [again] = world.fake.threads_of(forum)
    assert again.id != gone.id and len(thread_posts(world, forum)) == 2
    assert [m.content[:11] for m in world.fake.messages(again)] == ["", "**New on** "]
    await world.ingest(rss(SUMMONS, FOLLOWUP, WITHDRAWN))
    assert await world.bot.publisher.drain() == {"sent": 1}
    assert world.fake.threads_of(forum) == [again] and len(thread_posts(world, forum)) == 2  # no third
    assert "Status update" in world.fake.messages(again)[-1].content and again.archived


async def test_without_manage_channels_posts_go_out_without_tags_and_admins_hear_once(world: World) -> None:
    notices = world.fake.add_text_channel(world.guild, "mod-log")
    await world.slash("alerts admin-channel", {"channel": notices})
    forum = await forum_world(world, manage_channels=False)
    await world.ingest(rss(SUMMONS, REDDIT))  # two cases
    assert await world.bot.publisher.drain() == {"sent": 3}  # two posts and one notice
    threads = world.fake.threads_of(forum)
    assert len(threads) == 2 and all(t.applied_tags == [] for t in threads)
    assert forum.available_tags == [] and world.fake.requests_to("PATCH", rf"^/channels/{forum.id}$") == []
    [notice] = world.fake.messages(notices)
    assert "Manage Channels" in notice.embeds[0]["description"]
    await world.ingest(rss(SUMMONS, REDDIT, WITHDRAWN))
    await world.bot.publisher.drain()
    assert len(world.fake.messages(notices)) == 1  # not repeated
    assert world.fake.client_error_count == 0


async def test_guilds_stay_apart_and_text_channels_work_as_before(world: World) -> None:
    forum = await forum_world(world)
    other = world.fake.add_guild("Other newsroom")
    text = world.fake.add_text_channel(other, "alerts")
    idle_forum = world.fake.add_forum_channel(other, "unused")
    mod = world.fake.add_member(other, "other-mod", permissions=["manage_guild"])
    await asyncio.sleep(0.05)
    await (await world.fake.invoke_slash(other, text, mod, "alerts set", {"channel": text})).response()
    assert (await world.store.guilds.settings(other.id)).alert_forum is False

    await world.ingest(rss(SUMMONS))
    assert await world.bot.publisher.drain() == {"sent": 2}
    [thread] = world.fake.threads_of(forum)
    [card] = world.fake.messages(text)  # the other guild's text channel: a card, as always
    assert card.embeds[0]["title"] == starter(world, thread).embeds[0]["title"]
    assert world.fake.threads_of(idle_forum) == [] and thread.guild_id == world.guild.id
    [case] = await world.store.cases.search("ALT_uscis")
    assert await world.store.forum_posts.get(case.id, idle_forum.id) is None
    assert (await world.store.forum_posts.get(case.id, forum.id)).guild_id == world.guild.id
    assert await world.store.cards.get(case.id, text.id) == card.id

    await world.ingest(rss(SUMMONS, FOLLOWUP))  # developments reach the forum's post only
    assert await world.bot.publisher.drain() == {"sent": 1}
    assert len(world.fake.messages(thread)) == 2 and world.fake.messages(text) == [card]
    await world.ingest(rss(SUMMONS, FOLLOWUP, WITHDRAWN))
    assert await world.bot.publisher.drain() == {"sent": 2}
    card_now, update = world.fake.messages(text)
    assert card_now.edit_count == 1 and "Status update" in update.content  # the text channel's usual pair
    assert len(world.fake.messages(thread)) == 3 and thread.archived


async def test_feed_text_pings_nobody_and_only_the_configured_role_on_a_new_post(world: World) -> None:
    role = world.fake.add_role(world.guild, "case-watchers")
    forum = await forum_world(world)
    await world.slash("alerts ping", {"role": role})
    await world.ingest(rss(REDDIT))
    await world.bot.publisher.drain()
    [thread] = world.fake.threads_of(forum)
    assert "@everyone" not in (thread.name or "") and "<@&123>" not in (thread.name or "")
    [request] = thread_posts(world, forum)
    message = request.json["message"]
    assert message["allowed_mentions"]["parse"] == [] and [
        int(r) for r in message["allowed_mentions"]["roles"]
    ] == [role.id]
    assert message["content"].startswith(f"<@&{role.id}>")
    text = str(message["embeds"])
    assert (
        "@everyone" not in text
        and "@here" not in text
        and "<@&123>" not in text
        and "](javascript:" not in text
    )
    reddit_later = item(
        "r2",
        "Reddit subpoena fight: judge hears @everyone <@&123> arguments",
        "Reddit asked a federal judge to quash a subpoena from film studios that want the identities of users.",
        when=START + timedelta(hours=5),
    )
    await world.ingest(rss(REDDIT, reddit_later))
    await world.bot.publisher.drain()
    later = [r for r in world.fake.requests_to("POST", rf"^/channels/{thread.id}/messages$")]
    assert later and all(r.json["allowed_mentions"] == {"parse": []} for r in later)
    assert all("@everyone" not in r.json["content"] and "<@&123>" not in r.json["content"] for r in later)


async def test_a_digest_in_a_forum_is_one_post_of_its_own(world: World) -> None:
    forum = await forum_world(world)
    await world.slash("alerts digest", {"mode": DigestMode.DAILY.value})
    await world.ingest(rss(SUMMONS, REDDIT))
    assert await world.bot.publisher.drain() == {}
    assert await compile_digests(world.store, utcnow() + timedelta(days=1, minutes=1)) == 1
    assert await world.bot.publisher.drain() == {"sent": 1}
    [digest] = world.fake.threads_of(forum)
    assert "digest" in (digest.name or "").lower()
    [message] = world.fake.messages(digest)
    assert "Twitter" in message.embeds[0]["description"] and "Reddit" in message.embeds[0]["description"]


async def test_a_forum_the_bot_cannot_post_inside_is_refused(world: World) -> None:
    forum = world.fake.add_forum_channel(world.guild, "cases")
    world.fake.set_overwrite(forum, world.fake.bot_member(world.guild), deny=["send_messages_in_threads"])
    await asyncio.sleep(0.05)
    answer = await world.slash("alerts set", {"channel": forum})
    assert "Send Messages in Threads" in (answer.content or "")
    assert (await world.store.guilds.settings(world.guild.id)).alert_channel_id is None


async def test_alerts_test_in_a_forum_makes_a_sample_post(world: World) -> None:
    forum = await forum_world(world)
    answer = await world.slash("alerts test")
    assert "Posted a sample" in (answer.content or "")
    [sample] = world.fake.threads_of(forum)
    assert sample.name == "Sample case (casewatch test)"
    assert "Sample alert" in world.fake.messages(sample)[0].content


async def test_a_development_on_a_closed_case_is_posted_and_the_post_archived_again(world: World) -> None:
    forum = await forum_world(world)
    await world.ingest(rss(SUMMONS, WITHDRAWN))
    await world.bot.publisher.drain()
    [thread] = world.fake.threads_of(forum)
    assert thread.archived
    late = item(
        "s5",
        "Twitter lawsuit over @ALT_uscis summons: what the withdrawn demand means",
        "Civil liberties groups said Twitter's lawsuit against the Customs and Border Protection summons "
        "over the @ALT_uscis account showed why platforms fight such demands.",
        when=None,
    )
    await world.ingest(rss(SUMMONS, WITHDRAWN, late))
    assert await world.bot.publisher.drain() == {"sent": 1}
    assert "New on" in world.fake.messages(thread)[-1].content
    assert thread.archived and len(world.fake.threads_of(forum)) == 1
    patches = [r.json for r in world.fake.requests_to("PATCH", rf"^/channels/{thread.id}$", status=200)]
    assert [p.get("archived") for p in patches][-2:] == [False, True]


async def test_a_locked_post_fails_that_delivery_alone(world: World) -> None:
    forum = await forum_world(world)
    await world.ingest(rss(SUMMONS, WITHDRAWN, REDDIT))
    await world.bot.publisher.drain()
    twitter = next(t for t in world.fake.threads_of(forum) if "DHS" in (t.name or ""))
    twitter.locked = True  # a moderator locked the closed (archived) post
    await world.ingest(rss(SUMMONS, WITHDRAWN, REDDIT, APPEAL))  # reopens the locked case
    stats = await world.bot.publisher.drain()
    assert stats == {"failed": 1} and twitter.archived
    assert await world.bot.publisher.drain() == {}  # not retried
    await world.ingest(rss(REDDIT, item("r3", "Judge quashes Reddit subpoena for user identities",
                                        "A federal judge quashed the film studios' subpoena to Reddit.",
                                        when=START + timedelta(days=2))))  # fmt: skip

    def elsewhere() -> int:
        return sum(len(world.fake.messages(t)) for t in world.fake.threads_of(forum) if t is not twitter)

    before, twitter_before = elsewhere(), len(world.fake.messages(twitter))
    assert await world.bot.publisher.drain() == {"sent": 1}  # the same forum still takes the Reddit news
    assert elsewhere() == before + 1 and len(world.fake.messages(twitter)) == twitter_before
