"""``casewatch case docket ID [URL | --clear]``: the operator's way to show, set or clear a case's docket
(the same rules as ``/case docket``, see :mod:`bot.docket.admin`)."""

from __future__ import annotations

from bot.cli import EXIT_OK, UsageError, check_store_location
from bot.config import Settings
from bot.docket.admin import DocketInputError, clear_by_admin, set_by_admin
from bot.docket.client import CourtListenerClient
from bot.docket.service import describe


async def case_docket(settings: Settings, case_id: str, *, url: str | None, clear: bool) -> int:
    from storage import open_store

    if url is not None and clear:
        raise UsageError("give a URL to set the docket, or --clear to remove it, not both")
    check_store_location(settings, must_exist=True)
    async with await open_store(settings, read_only=url is None and not clear) as store:
        case = await store.cases.resolve(case_id.strip())
        if case is None:
            raise UsageError(f"no case {case_id!r} in {settings.database} (`casewatch cases` lists them)")
        if clear:
            removed = await clear_by_admin(store, case)
            print(f"case {case.id}: docket {'removed' if removed else 'was not set'}; no automatic lookups from now on")
            return EXIT_OK
        if url is None:
            found = case.docket_link
            if found is None:
                print(f"case {case.id}: no docket")
            else:
                why = "set by an admin" if found.source == "admin" else f"found on CourtListener ({found.reason})"
                print(f"case {case.id}: {describe(found)}\n  {found.url}\n  {why}")
            return EXIT_OK
        async with CourtListenerClient(settings.courtlistener) as client:
            try:
                link, note = await set_by_admin(store, client, case, url)
            except DocketInputError as exc:
                raise UsageError(f"cannot use that docket URL: {exc}") from None
        print(f"case {case.id}: docket set to {describe(link)}\n  {link.url}")
        if note:
            print(f"note: {note}")
    return EXIT_OK
