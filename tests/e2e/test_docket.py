"""Court dockets end to end: a feed item names a court and a case, the sweep asks a fake CourtListener on
127.0.0.1, the match is stored with its reasons, the alert channel's card is edited to show it and
followers are told; a new filing on the linked docket becomes a development; operators (only) set and
clear a docket with /case docket. No test reaches the internet."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.docket.admin import NEVER_AGAIN, parse_docket_url
from bot.docket.settings import ClientSettings
from bot.models import DeliveryKind
from tests.e2e.botworld import World, _world, bot_settings, item, rss
from tests.fakecourtlistener import FakeCourtListener
from tests.fakediscord.server import FakeDiscord

SUIT = item(
    "t1",
    "Twitter sues Homeland Security to block summons over anti-Trump @ALT_uscis account",
    "The complaint, Twitter, Inc. v. Department of Homeland Security, was filed on Thursday in the U.S. "
    "District Court for the Northern District of California and asks a judge to quash the summons.",
    when=datetime(2017, 4, 6, 18, tzinfo=UTC),
)
UNRELATED = item(
    "r1",
    "Reddit fights subpoena seeking names of users in film piracy case",
    "Reddit asked a judge to quash a subpoena from film studios that want the identities of users.",
    when=datetime(2017, 4, 6, 19, tzinfo=UTC),
)
TOKEN = "cl-test-token"


@pytest.fixture
async def courtlistener() -> AsyncIterator[FakeCourtListener]:
    async with FakeCourtListener(token=TOKEN) as cl:
        cl.add_docket(
            id=6118215,
            case_name="Twitter, Inc. v. U.S. Department of Homeland Security",
            docket_number="3:17-cv-01916",
            court_id="cand",
            date_filed="2017-04-06",
            date_last_filing="2017-04-07",
        )
        cl.add_docket(  # a decoy: same court, another party
            id=42,
            case_name="Twitter, Inc. v. Holder",
            docket_number="4:14-cv-04480",
            court_id="cand",
            date_filed="2014-10-07",
        )
        yield cl


@pytest.fixture
async def world(
    fake_discord: FakeDiscord, tmp_path: Path, courtlistener: FakeCourtListener
) -> AsyncIterator[World]:
    settings = ClientSettings(token=TOKEN, base_url=courtlistener.base_url, per_minute=600, per_hour=6000)
    async for w in _world(fake_discord, bot_settings(tmp_path, fake_discord, courtlistener=settings)):
        yield w


async def _sweep(world: World) -> int:
    world.bot.docket.start()
    queued = await world.bot.docket.sweep()
    await world.bot.docket.lookup.join()
    return queued


def _fields(message) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message.embeds[0]["fields"]}


async def test_a_docket_is_found_linked_shown_and_announced_once(world: World, courtlistener: FakeCourtListener) -> None:
    await world.slash("alerts set", {"channel": world.alerts})
    await world.ingest(rss(SUIT, UNRELATED))
    await world.bot.publisher.drain()
    twitter = next(m for m in world.fake.messages(world.alerts) if "Twitter" in m.embeds[0]["title"])
    assert "courtlistener" not in _fields(twitter).get("Court / docket", "")

    assert await _sweep(world) == 2  # both new cases are asked about once
    [case] = await world.store.cases.search("ALT_uscis")
    link = case.docket_link
    assert link is not None and link.docket_id == 6118215 and link.source == "courtlistener"
    assert link.url == f"{courtlistener.base_url}/docket/6118215/twitter-inc-v-u-s-department-of-homeland-security/"
    assert link.court == "N.D. Cal." and link.number == "3:17-cv-01916" and link.filed.isoformat() == "2017-04-06"
    assert link.reason  # why it was accepted, for the card
    [reddit] = await world.store.cases.search("piracy")
    assert reddit.docket_link is None
    assert world.bot.docket.results.get("match") == 1
    for request in courtlistener.requests:
        assert request.authorization == f"Token {TOKEN}"

    sent = await world.bot.publisher.drain()
    assert sent == {"sent": 1}  # one docket delivery: the alert channel with the card
    edited = world.fake.requests_to("PATCH", rf"^/channels/{world.alerts.id}/messages/{twitter.id}$")
    assert edited and "Court / docket" in _fields(twitter) and "N.D. Cal. · 3:17-cv-01916" in _fields(twitter)["Court / docket"]
    news = world.fake.messages(world.alerts)[-1]
    assert news.content.startswith("**Docket** · ") and "Docket found on CourtListener: N.D. Cal. 3:17-cv-01916" in news.content
    assert news.id != twitter.id and f"/{twitter.id}" in news.content  # links back to the card

    asked = len(courtlistener.requests)
    assert await _sweep(world) == 0  # asked already, nothing new reported
    assert len(courtlistener.requests) == asked and await world.bot.publisher.drain() == {}


async def test_a_new_filing_on_a_linked_docket_tells_followers_once(
    world: World, courtlistener: FakeCourtListener
) -> None:
    await world.ingest(rss(SUIT))
    await _sweep(world)
    [case] = await world.store.cases.search("ALT_uscis")
    await world.slash("case follow", {"case": case.id}, by=world.member)
    await world.bot.publisher.drain()
    assert await world.bot.docket.check_filings() == 0  # nothing filed since the match

    courtlistener.dockets[6118215]["date_last_filing"] = "2017-04-08"
    assert await world.bot.docket.check_filings() == 1
    assert await world.bot.docket.check_filings() == 0  # the same filing is news once
    stored = await world.store.cases.get(case.id)
    assert stored is not None and stored.docket_link is not None
    assert stored.docket_link.last_filing.isoformat() == "2017-04-08"
    await world.bot.publisher.drain()
    dms = world.fake.dm_messages(world.member.user)
    assert any("New filing on the docket N.D. Cal. 3:17-cv-01916" in m.content and "2017-04-08" in m.content for m in dms)


async def test_case_docket_shows_to_anyone_and_changes_only_for_operators(
    world: World, fake_discord: FakeDiscord
) -> None:
    await world.slash("alerts set", {"channel": world.alerts})
    await world.ingest(rss(UNRELATED))
    await world.bot.publisher.drain()
    [case] = await world.store.cases.search("piracy")
    shown = await world.slash("case docket", {"case": case.id}, by=world.member)
    assert shown.ephemeral and shown.content.endswith("none yet")

    url = "https://www.courtlistener.com/docket/999/studios-v-reddit/"
    refused = await world.slash("case docket", {"case": case.id, "url": url}, by=world.admin)
    assert "Only the operators" in refused.content
    assert (await world.store.cases.get(case.id)).docket_link is None  # a server admin is not enough

    operator = fake_discord.add_member(world.guild, fake_discord.owner_user)
    bad = await world.slash("case docket", {"case": case.id, "url": "javascript:alert(1)"}, by=operator)
    assert bad.content.startswith("Cannot use that docket URL: ")
    wrong = await world.slash("case docket", {"case": case.id, "url": "https://www.courtlistener.com/opinion/1/x/"}, by=operator)
    assert "not a docket page" in wrong.content
    both = await world.slash("case docket", {"case": case.id, "url": url, "clear": True}, by=operator)
    assert "not both" in both.content

    done = await world.slash("case docket", {"case": case.id, "url": url}, by=operator)
    assert done.content.startswith("Docket set: ") and "did not describe docket 999" in done.content
    stored = await world.store.cases.get(case.id)
    assert stored.docket_link.url == url and stored.docket_link.source == "admin" and stored.docket_link.docket_id == 999
    await world.bot.publisher.drain()
    [card] = [m for m in world.fake.messages(world.alerts) if m.embeds]
    assert "set by an admin" in _fields(card)["Court / docket"]

    cleared = await world.slash("case docket", {"case": case.id, "clear": True}, by=operator)
    assert cleared.content == "Docket removed."
    stored = await world.store.cases.get(case.id)
    assert stored.docket_link is None
    assert [c.id for c in await world.store.cases.needing_docket_lookup(10)] == []  # never looked up again
    row = await world.store.db.fetchone("SELECT docket_checked_at FROM cases WHERE id = ?", (case.id,))
    assert row[0] == NEVER_AGAIN.isoformat()
    await world.bot.publisher.drain()
    assert "Court / docket" not in _fields(card) or "courtlistener" not in _fields(card)["Court / docket"]
    kinds = [r[0] for r in await world.store.db.fetchall("SELECT kind FROM deliveries ORDER BY id")]
    assert kinds.count(DeliveryKind.DOCKET.value) == 2  # set (card + news) and clear (card only)


def test_docket_urls() -> None:
    assert parse_docket_url("https://www.courtlistener.com/docket/68519283/x-corp-v-media-matters/") == 68519283
    assert parse_docket_url("https://courtlistener.com/docket/5/") == 5
    assert parse_docket_url("https://ecf.cand.uscourts.gov/cgi-bin/DktRpt.pl?123") is None  # a court's own page
    assert parse_docket_url("http://127.0.0.1:9/docket/7/a/", "http://127.0.0.1:9") == 7
    for bad in ("ftp://x/docket/1/", "javascript:alert(1)", "https:///docket/1/", "https://a b/", "x" * 600):
        with pytest.raises(ValueError):
            parse_docket_url(bad)


async def test_a_refused_token_stores_nothing_and_the_case_is_asked_again(
    fake_discord: FakeDiscord, tmp_path: Path, courtlistener: FakeCourtListener, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = ClientSettings(token="not-the-token", base_url=courtlistener.base_url, per_minute=600, per_hour=6000)
    async for world in _world(fake_discord, bot_settings(tmp_path, fake_discord, courtlistener=wrong)):
        await world.ingest(rss(SUIT))
        assert await _sweep(world) == 1
        assert world.bot.docket.results == {"error": 1}
        [case] = await world.store.cases.search("ALT_uscis")
        assert case.docket_link is None
        assert [c.id for c in await world.store.cases.needing_docket_lookup(10)] == [case.id]  # not marked
        assert await world.bot.publisher.drain() == {}
        assert "not-the-token" not in caplog.text  # the token is never logged
        assert await _sweep(world) == 1  # the next sweep asks again


async def test_in_a_forum_the_docket_news_goes_into_the_case_post(world: World, courtlistener: FakeCourtListener) -> None:
    from tests.e2e.test_forum import forum_world, starter

    forum = await forum_world(world)
    await world.ingest(rss(SUIT))
    await world.bot.publisher.drain()
    [thread] = world.fake.threads_of(forum)
    card = starter(world, thread)
    assert "courtlistener" not in str(card.embeds[0])
    await _sweep(world)
    assert await world.bot.publisher.drain() == {"sent": 1}
    fields = {f["name"]: f["value"] for f in starter(world, thread).embeds[0]["fields"]}
    assert "N.D. Cal. · 3:17-cv-01916" in fields["Court / docket"]  # the post's card shows the docket
    news = world.fake.messages(thread)[-1]
    assert "Docket found on CourtListener: N.D. Cal. 3:17-cv-01916" in news.content
    assert world.fake.threads_of(forum) == [thread] and world.fake.messages(world.alerts) == []
