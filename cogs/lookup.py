"""/case: search, show, timeline, recent (answered from the database), follow and unfollow."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.delivery import render, render_lists
from bot.delivery.publisher import draw_timeline
from bot.detect.issues import LABELS
from bot.docket.admin import DocketInputError, clear_by_admin, set_by_admin
from bot.models import Case, FollowMode
from cogs.common import app, reply
from cogs.subscriptions import MODES, follow, unfollow, unfollow_choices

PER_PAGE = 8
MAX_RESULTS = 200
Loader = Callable[[], Awaitable[list[Case]]]


class Pager(discord.ui.View):
    """Previous / Next buttons over a list of cases; only the person who asked can turn pages."""

    def __init__(self, owner_id: int, title: str, cases: list[Case]) -> None:
        super().__init__(timeout=600)
        self.owner_id, self.title, self.cases, self.index = owner_id, title, cases, 0
        self._sync()

    def page_spec(self) -> render.MessageSpec:
        page = render_lists.page_of(len(self.cases), self.index, PER_PAGE)
        shown = self.cases[page.start : page.stop]
        return render.message(
            embeds=[
                render_lists.case_list_embed(
                    self.title, shown, page=page.index, pages=page.pages, start=page.start
                )
            ]
        )

    def _sync(self) -> None:
        pages = render_lists.page_of(len(self.cases), self.index, PER_PAGE).pages
        self.previous.disabled = self.index <= 0
        self.next.disabled = self.index >= pages - 1

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id != self.owner_id:
            await reply(
                interaction, "These buttons belong to whoever ran the command; run it yourself to page."
            )
            return False
        return True

    async def _turn(self, interaction: discord.Interaction[Any], step: int) -> None:
        self.index += step
        self._sync()
        embeds = [discord.Embed.from_dict(e.to_dict()) for e in self.page_spec().embeds]
        await interaction.response.edit_message(embeds=embeds, view=self)

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary, custom_id="cw:page:prev")
    async def previous(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Pager]) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary, custom_id="cw:page:next")
    async def next(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Pager]) -> None:
        await self._turn(interaction, +1)


async def resolve_case(interaction: discord.Interaction[Any], ref: str) -> Case | None:
    """An autocomplete pick is a case id; typed text falls back to the best search hit."""
    store = app(interaction).store
    case = await store.cases.resolve(ref.strip())
    if case is None and ref.strip():
        hits = await store.cases.search(ref, limit=1)
        case = hits[0] if hits else None
    return case


def not_found(ref: str) -> str:
    return f"No case matches `{render.plain(ref, 80)}`. Pick one from the suggestions while typing, or try /case search."


async def send_list(interaction: discord.Interaction[Any], title: str, cases: list[Case]) -> None:
    if not cases:
        await reply(interaction, "No cases found. Try fewer or other words, or /case recent.")
        return
    pager = Pager(interaction.user.id, title, cases)
    await reply(interaction, spec=pager.page_spec(), view=pager if len(cases) > PER_PAGE else None)


class LookupCog(commands.GroupCog, group_name="case", group_description="Look up and follow legal cases"):
    @app_commands.command(name="search", description="Search cases by title, party, subject or legal issue")
    @app_commands.describe(
        query="Words to look for, e.g. Twitter subpoena", issue="Only cases about this legal issue"
    )
    @app_commands.choices(issue=[app_commands.Choice(name=label, value=key) for key, label in LABELS.items()])
    async def search(
        self,
        interaction: discord.Interaction[Any],
        query: app_commands.Range[str, 1, 200] | None = None,
        issue: app_commands.Choice[str] | None = None,
    ) -> None:
        store = app(interaction).store
        if issue is None:
            if not query or not query.strip():
                await reply(interaction, "Give some words to look for, a legal issue, or both.")
                return
            cases = await store.cases.search(query, limit=MAX_RESULTS)
            await send_list(interaction, f"Cases matching “{render.plain(query, 80)}”", cases)
            return
        cases = await store.cases.browse(query=query or "", issue=issue.value, limit=MAX_RESULTS)
        about = f"about {LABELS.get(issue.value, issue.value)}"
        title = f"Cases matching “{render.plain(query, 80)}” {about}" if query else f"Cases {about}"
        await send_list(interaction, title, cases)

    @app_commands.command(name="recent", description="The most recently updated cases")
    async def recent(self, interaction: discord.Interaction[Any]) -> None:
        await send_list(
            interaction, "Recent cases", await app(interaction).store.cases.recent(limit=MAX_RESULTS)
        )

    @app_commands.command(name="show", description="Show a case: parties, status, summary and sources")
    @app_commands.describe(case="Start typing a title or a party")
    async def show(self, interaction: discord.Interaction[Any], case: str) -> None:
        found = await resolve_case(interaction, case)
        if found is None:
            await reply(interaction, not_found(case))
            return
        store = app(interaction).store
        articles = await store.articles.for_case(found.id)
        events = await store.cases.events(found.id)
        page = render.case_page_url(app(interaction).settings.public_url, found.id)
        card = render.case_card(found, articles, events[-1] if events else None, page_url=page)
        await reply(
            interaction,
            spec=render.message(None, [card], buttons=(render.follow_button(found.id),)),
            ephemeral=False,
        )

    @app_commands.command(name="timeline", description="A case's status changes and articles, oldest first")
    @app_commands.describe(case="Start typing a title or a party")
    async def timeline(self, interaction: discord.Interaction[Any], case: str) -> None:
        """The list, with the timeline picture (a PNG upload the embed shows) where the bot may attach
        files: always in DMs; in a server when the interaction says the app has Attach Files."""
        found = await resolve_case(interaction, case)
        if found is None:
            await reply(interaction, not_found(case))
            return
        store = app(interaction).store
        events, articles = await store.cases.events(found.id), await store.articles.for_case(found.id)
        may_attach = interaction.guild_id is None or interaction.app_permissions.attach_files
        png = await draw_timeline(found, events, articles) if may_attach else None
        image, files = render.timeline_picture(found, png)
        spec = render.timeline_embed(found, events, articles, image=image)
        await reply(interaction, spec=render.message(None, [spec], files=files), ephemeral=False)

    @app_commands.command(name="follow", description="Get a case's updates by DM, or in a channel (admins)")
    @app_commands.describe(
        case="Start typing a title or a party", channel="Post in this channel instead of your DMs"
    )
    @app_commands.choices(mode=MODES)
    async def follow_case(
        self,
        interaction: discord.Interaction[Any],
        case: str,
        channel: discord.TextChannel | None = None,
        mode: app_commands.Choice[str] | None = None,
    ) -> None:
        found = await resolve_case(interaction, case)
        if found is None:
            await reply(interaction, not_found(case))
            return
        chosen = FollowMode(mode.value) if mode else FollowMode.ALL
        await reply(interaction, await follow(interaction, case_id=found.id, channel=channel, mode=chosen))

    @app_commands.command(name="unfollow", description="Stop following a case or a platform")
    @app_commands.describe(follow_id="Pick one of your follows")
    @app_commands.rename(follow_id="follow")
    async def unfollow_case(self, interaction: discord.Interaction[Any], follow_id: str) -> None:
        await reply(interaction, await unfollow(interaction, follow_id))

    @unfollow_case.autocomplete("follow_id")
    async def follow_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await unfollow_choices(interaction, current)

    @app_commands.command(name="docket", description="A case's court docket; bot operators can set or clear it")
    @app_commands.describe(
        case="Start typing a title or a party",
        url="The docket's page: CourtListener (https://www.courtlistener.com/docket/...) or the court's site",
        clear="Remove the case's docket (and stop looking it up automatically)",
    )
    async def docket(
        self,
        interaction: discord.Interaction[Any],
        case: str,
        url: app_commands.Range[str, 1, 500] | None = None,
        clear: bool = False,
    ) -> None:
        found = await resolve_case(interaction, case)
        if found is None:
            await reply(interaction, not_found(case))
            return
        if url is None and not clear:
            shown = render.docket_field(found) or "none yet"
            where = "" if app(interaction).docket.enabled else "\n-# Automatic lookups are off on this bot."
            await reply(interaction, f"Docket of **{render.safe(found.title, 200)}**: {shown}{where}")
            return
        if url is not None and clear:
            await reply(interaction, "Give a url to set the docket, or clear:True to remove it, not both.")
            return
        if not await app(interaction).is_owner(interaction.user):
            await reply(
                interaction,
                "Only the operators of this casewatch bot can change a case's docket: "
                "every server that follows the case sees it.",
            )
            return
        store = app(interaction).store
        if clear:
            removed = await clear_by_admin(store, found)
            await reply(interaction, "Docket removed." if removed else "The case had no docket; none will be looked up.")
            return
        try:
            link, note = await set_by_admin(store, app(interaction).docket.client, found, url or "")
        except DocketInputError as exc:
            await reply(interaction, f"Cannot use that docket URL: {exc}.")
            return
        updated = replace(found, docket_link=link)
        text = f"Docket set: {render.docket_field(updated)}" + (f"\n-# {render.safe(note, 300)}" if note else "")
        await reply(interaction, text)

    @show.autocomplete("case")
    @timeline.autocomplete("case")
    @follow_case.autocomplete("case")
    @docket.autocomplete("case")
    async def case_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Answered from the FTS index (prefix match on the last word, newest first); recent cases when empty."""
        store = app(interaction).store
        cases = (
            await store.cases.autocomplete(current, limit=25)
            if current.strip()
            else await store.cases.recent(limit=25)
        )
        return [app_commands.Choice(name=render_lists.choice_name(c), value=c.id[:100]) for c in cases][:25]


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(LookupCog())
