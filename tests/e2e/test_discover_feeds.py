"""/feeds add with a site's page URL against FakeDiscord: the page's feeds are found; one is added and
said to be discovered, several are offered in an ephemeral select menu (issue 15 item 6)."""

from __future__ import annotations

from tests.e2e.botworld import REDDIT, SUMMONS, World, rss, world_fixture  # noqa: F401
from tests.feedserver import FeedServer

PAGE = b"""<!doctype html><html><head><title>News site</title>
<link rel="alternate" type="application/rss+xml" title="Top stories" href="/top.xml">
<link rel="alternate" type="application/atom+xml" title="Courts" href="courts/atom.xml">
</head><body>Welcome</body></html>"""


async def test_feeds_add_of_a_page_offers_its_feeds_in_a_select_menu(world: World) -> None:
    async with FeedServer() as server:
        server.route("/", body=PAGE, content_type="text/html; charset=utf-8")
        handle = await world.fake.invoke_slash(world.guild, world.general, world.admin, "feeds add", {"url": server.url("/")})
        menu = await handle.response()
        assert menu.ephemeral and "offers 2 feeds" in (menu.content or "")
        [row] = menu.message.components
        [select] = row["components"]
        assert select["type"] == 3 and select["custom_id"] == "cw:feeds:pick"
        assert [o["label"] for o in select["options"]] == ["Top stories", "Courts"]
        assert server.url("/courts/atom.xml") in select["options"][1]["description"]
        assert await world.store.feeds.list() == []  # nothing added until one is picked

        other = world.fake.add_member(world.guild, "other-mod", permissions=["manage_guild"])
        stranger = await world.fake.click(menu.message, other, "cw:feeds:pick", values=["0"])
        assert (await stranger.response()).ephemeral and await world.store.feeds.list() == []

        click = await world.fake.click(menu.message, world.admin, "cw:feeds:pick", values=["1"])
        picked = await click.response()
        assert picked.type == 7  # the menu message is edited into the answer
        assert "Added" in (menu.message.content or "") and "discovered from the page" in menu.message.content
        assert menu.message.components == []
        assert [f.url for f in await world.store.feeds.list(guild_id=world.guild.id)] == [server.url("/courts/atom.xml")]


async def test_feeds_add_of_a_page_with_one_feed_adds_it(world: World) -> None:
    async with FeedServer() as server:
        server.route("/", body=PAGE.replace(b'title="Courts" href="courts/atom.xml"', b'href="/top.xml"'),
                     content_type="text/html")
        server.route("/top.xml", body=rss(SUMMONS, REDDIT))
        answer = await world.slash("feeds add", {"url": server.url("/")})
        assert answer.ephemeral and "Added" in answer.content and "discovered from the page" in answer.content
        assert [f.url for f in await world.store.feeds.list()] == [server.url("/top.xml")]
        server.route("/empty", body=b"<html><head></head><body>nothing</body></html>", content_type="text/html")
        none = await world.slash("feeds add", {"url": server.url("/empty")})
        assert "links to no RSS or Atom feed" in none.content
        assert len(await world.store.feeds.list()) == 1
