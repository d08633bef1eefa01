"""/feeds: a server's own feeds (add, remove, list, test, status). Feeds belong to the server that added
them; another server's feed is "not found". User URLs pass the SSRF guard before anything is fetched."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.delivery import render, render_lists
from bot.detect.detector import detect
from bot.feeds.discover import PROBE_PATHS, Discovery, FeedLink, discover
from bot.feeds.fetcher import FetchError
from bot.feeds.netguard import BlockedUrl
from bot.feeds.normalize import canonical_url
from bot.feeds.parser import FeedParseError
from bot.guards import MAX_FEEDS_PER_GUILD
from bot.models import ArticleText
from cogs.common import app, defer_if_slow, reply, require_admin

log = logging.getLogger(__name__)


async def vet_url(interaction: discord.Interaction[Any], raw: str) -> str | None:
    """The canonical URL if it may be fetched; otherwise answers the user and returns None."""
    url = canonical_url(raw.strip())
    if url is None:
        await reply(
            interaction,
            "That is not an http(s) URL. Paste the feed's address, e.g. https://example.org/feed.xml",
        )
        return None
    try:
        await defer_if_slow(interaction, app(interaction).guard.check(url))  # DNS can take seconds
    except BlockedUrl as exc:
        await reply(interaction, f"I will not fetch that URL: {render.safe(str(exc), 200)}.")
        return None
    except OSError:
        await reply(interaction, "I could not resolve that host name. Check the URL and try again.")
        return None
    return url


@dataclass(frozen=True)
class AddChoice:
    """What /feeds add does with a discovery: answer ``message`` (nothing added), add ``add``, or (all
    None) let the user pick one of several feeds from a select menu."""

    message: str | None = None
    add: str | None = None
    discovered_from: str | None = None
    note: str | None = None


def decide(found: Discovery) -> AddChoice:
    """The cog's decision for a discovery (pure, so it is tested without Discord)."""
    if found.kind == "unchecked":
        return AddChoice(
            add=found.url,
            note=f"I could not fetch it just now ({render.safe(found.reason or 'unknown error', 200)}); "
            "it is polled as given.",
        )
    if found.kind != "page":
        return AddChoice(add=found.url)
    if not found.feeds:
        json_note = " (it links only to a JSON Feed, which casewatch cannot read)" if found.unreadable else ""
        return AddChoice(
            message=f"That page links to no RSS or Atom feed{json_note}, and none answers at "
            f"{', '.join(PROBE_PATHS)}. Paste the feed's own address."
        )
    if len(found.feeds) == 1:
        return AddChoice(add=found.feeds[0].url, discovered_from=found.url)
    return AddChoice()


async def add_feed(
    interaction: discord.Interaction[Any], url: str, *, discovered_from: str | None = None
) -> str:
    """Add ``url`` for the interaction's server; the answer to give. A feed found on a page is vetted
    like a typed URL (the page may link anywhere)."""
    store = app(interaction).store
    if discovered_from is not None:
        try:
            await app(interaction).guard.check(url)
        except BlockedUrl as exc:
            return f"That page's feed {render.safe(url, 300)} is not allowed: {render.safe(str(exc), 200)}."
        except OSError:
            return f"I could not resolve the host of that page's feed {render.safe(url, 300)}."
    feed, created = await store.feeds.add(url, guild_id=interaction.guild_id, added_by=interaction.user.id)
    note = (
        "Its current items are recorded silently; new ones are alerted."
        if created
        else "It was already polled."
    )
    origin = f" (discovered from the page {render.safe(discovered_from, 300)})" if discovered_from else ""
    return f"Added {render.safe(feed.url, 300)}{origin} for this server. {note} Try /feeds test to preview."


class FeedPicker(discord.ui.View):
    """A select menu over the feeds a page offers; only the person who ran /feeds add can pick."""

    def __init__(self, owner_id: int, page_url: str, feeds: Sequence[FeedLink]) -> None:
        super().__init__(timeout=600)
        self.owner_id, self.page_url, self.feeds = owner_id, page_url, list(feeds)[:25]
        self.menu: discord.ui.Select[FeedPicker] = discord.ui.Select(
            custom_id="cw:feeds:pick",
            placeholder="Pick the feed to add",
            options=[
                discord.SelectOption(
                    label=render.plain(f.title or f.url, 100) or f"Feed {i + 1}",
                    value=str(i),
                    description=render.plain(f"{f.kind}: {f.url}", 100),
                )
                for i, f in enumerate(self.feeds)
            ],
        )
        self.menu.callback = self.picked  # type: ignore[method-assign]
        self.add_item(self.menu)

    def prompt(self) -> str:
        return (
            f"{render.safe(self.page_url, 300)} is a web page that offers {len(self.feeds)} feeds. "
            "Pick the one to add:"
        )

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id != self.owner_id:
            await reply(interaction, "This menu belongs to whoever ran /feeds add; run it yourself.")
            return False
        return require_admin(interaction)

    async def picked(self, interaction: discord.Interaction[Any]) -> None:
        chosen = self.feeds[int(self.menu.values[0])]
        store = app(interaction).store
        if len(await store.feeds.list(guild_id=interaction.guild_id)) >= MAX_FEEDS_PER_GUILD:
            text = f"This server already has {MAX_FEEDS_PER_GUILD} feeds; remove one first."
        else:
            text = await defer_if_slow(
                interaction, add_feed(interaction, chosen.url, discovered_from=self.page_url)
            )
        self.stop()
        if interaction.response.is_done():  # deferred: DNS of the feed's host was slow
            await reply(interaction, text)
        else:
            await interaction.response.edit_message(content=text, view=None)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class FeedsCog(commands.GroupCog, group_name="feeds", group_description="This server's own news feeds"):
    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        return require_admin(interaction)

    @app_commands.command(
        name="add", description="Add an RSS/Atom feed (or a site's page: its feeds are found)"
    )
    @app_commands.describe(url="The feed's address, or a page of the site that links to its feeds")
    async def add(self, interaction: discord.Interaction[Any], url: app_commands.Range[str, 8, 1000]) -> None:
        if await self._full(interaction):
            return
        checked = await vet_url(interaction, url)
        if checked is None:
            return
        found = await defer_if_slow(interaction, discover(app(interaction).fetcher.guarded, checked))
        choice = decide(found)
        if choice.message is not None:
            await reply(interaction, choice.message)
        elif choice.add is not None:
            text = await defer_if_slow(
                interaction, add_feed(interaction, choice.add, discovered_from=choice.discovered_from)
            )
            await reply(interaction, text + (f" {choice.note}" if choice.note else ""))
        else:
            picker = FeedPicker(interaction.user.id, checked, found.feeds)
            await reply(interaction, picker.prompt(), view=picker)

    async def _full(self, interaction: discord.Interaction[Any]) -> bool:
        store = app(interaction).store
        if len(await store.feeds.list(guild_id=interaction.guild_id)) >= MAX_FEEDS_PER_GUILD:
            await reply(
                interaction, f"This server already has {MAX_FEEDS_PER_GUILD} feeds; remove one first."
            )
            return True
        return False

    @app_commands.command(name="remove", description="Remove one of this server's feeds")
    @app_commands.describe(url="Pick one of this server's feeds")
    async def remove(self, interaction: discord.Interaction[Any], url: str) -> None:
        store = app(interaction).store
        target = canonical_url(url.strip()) or url.strip()
        if await store.feeds.owned_by(target, interaction.guild_id) is None:  # type: ignore[arg-type]
            await reply(interaction, "This server has no such feed. See /feeds list.")
            return
        await store.feeds.remove(target, guild_id=interaction.guild_id)
        await reply(interaction, f"Removed {render.safe(target, 300)} from this server's feeds.")

    @app_commands.command(name="enable", description="Turn a disabled feed of this server back on")
    @app_commands.describe(url="Pick one of this server's feeds")
    async def enable(self, interaction: discord.Interaction[Any], url: str) -> None:
        store = app(interaction).store
        target = canonical_url(url.strip()) or url.strip()
        feed = await store.feeds.owned_by(target, interaction.guild_id)  # type: ignore[arg-type]
        if feed is None:
            await reply(interaction, "This server has no such feed. See /feeds list.")
            return
        if feed.enabled and not feed.consecutive_failures:
            await reply(interaction, f"{render.safe(feed.url, 300)} is already on and healthy.")
            return
        # Failures reset and due now: the next poll tick tries it; /feeds status shows how that went.
        await store.feeds.set_enabled(feed.id, True)
        await reply(interaction, f"Enabled {render.safe(feed.url, 300)}; it is polled on the next tick.")

    @remove.autocomplete("url")
    @enable.autocomplete("url")
    async def own_feeds(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        feeds = await app(interaction).store.feeds.list(guild_id=interaction.guild_id)
        low = current.lower()
        return [
            app_commands.Choice(name=render.plain(f.title or f.url, 100), value=f.url[:100])
            for f in feeds
            if low in f.url.lower() or low in (f.title or "").lower()
        ][:25]

    @app_commands.command(name="list", description="This server's feeds and how they are doing")
    async def list_feeds(self, interaction: discord.Interaction[Any]) -> None:
        feeds = await app(interaction).store.feeds.list(guild_id=interaction.guild_id)
        text = render_lists.feed_lines(feeds).text(empty="No feeds yet. Add one with /feeds add.")
        await reply(interaction, spec=render.message(embeds=[render.embed(f"Feeds ({len(feeds)})", text)]))

    @app_commands.command(name="status", description="Failing or disabled feeds of this server, and why")
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        feeds = await app(interaction).store.feeds.list(guild_id=interaction.guild_id)
        troubled = [f for f in feeds if not f.enabled or f.consecutive_failures]
        text = render_lists.feed_lines(troubled).text(empty=f"All {len(feeds)} feeds are healthy.")
        if troubled:
            text += "\n\nA disabled feed stays off until an admin turns it back on with /feeds enable."
        await reply(interaction, spec=render.message(embeds=[render.embed("Feed status", text)]))

    @app_commands.command(
        name="test", description="Fetch a feed and preview what would be alerted (stores nothing)"
    )
    @app_commands.describe(url="The feed's address (https://...)")
    async def test(
        self, interaction: discord.Interaction[Any], url: app_commands.Range[str, 8, 1000]
    ) -> None:
        checked = await vet_url(interaction, url)
        if checked is None:
            return
        if not interaction.response.is_done():  # vet_url defers when DNS was slow
            await interaction.response.defer(ephemeral=True, thinking=True)
        bot = app(interaction)
        try:
            fetched = await bot.fetcher.guarded.fetch(checked)
            parsed = await bot.parser.parse(fetched.body or b"", fetched.final_url)
        except FetchError as exc:
            await reply(interaction, f"Fetching failed: {render.safe(exc.reason, 300)}")
            return
        except FeedParseError as exc:
            await reply(interaction, f"That is not a usable feed: {render.safe(exc.reason, 300)}")
            return
        entries = parsed.entries[:200]
        detections = [detect(ArticleText(e.title, e.summary, e.url, e.published)) for e in entries]
        preview = render_lists.feed_preview(checked, parsed.title, entries, detections, parsed.bozo)
        await reply(interaction, spec=render.message(embeds=[preview]))


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(FeedsCog())
