"""Setting or clearing a case's docket by hand (``/case docket``, ``casewatch case docket``).

Cases are shared by every server the bot is in, so only the bot's operators may do this (the cog and
the CLI check that; this module does not). A CourtListener docket URL is read for its docket id, and
when the client is on the docket is fetched for its court, number and dates (one API request; nothing
else is ever fetched, so a URL cannot make casewatch request an address of the admin's choosing). Any
other http(s) URL (a court's own docket page) is stored as it is. A clear also stops automatic lookups
for the case, so a wrong match that an admin removed is not found again on the next report.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.clock import to_iso, utcnow
from bot.docket.client import CourtListenerClient
from bot.docket.service import announce, describe, link_of
from bot.models import Case, DocketLink

if TYPE_CHECKING:
    from storage import AnyStore

NEVER_AGAIN = datetime(9999, 12, 31, tzinfo=UTC)  # docket_checked_at of a case an admin cleared
URL_MAX = 500
_DOCKET_PATH = re.compile(r"^/docket/(\d{1,12})(?:/[^/]*)?/?$")
_COURTLISTENER_HOSTS = {"www.courtlistener.com", "courtlistener.com"}


class DocketInputError(ValueError):
    """A URL or case reference an admin gave that cannot be used; the message is one line for them."""


def parse_docket_url(url: str, base_url: str | None = None) -> int | None:
    """The CourtListener docket id of ``url`` (None for another court site); a ``DocketInputError``
    when it is not an http(s) URL, or is a CourtListener URL that is not a docket page."""
    url = url.strip()
    if not url or len(url) > URL_MAX or any(c.isspace() or ord(c) < 32 for c in url):
        raise DocketInputError(f"the docket URL must be one http(s) URL of at most {URL_MAX} characters")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        raise DocketInputError("that is not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise DocketInputError("the docket URL must start with https:// (or http://) and name a host")
    hosts = set(_COURTLISTENER_HOSTS)
    if base_url:
        hosts.add((urlsplit(base_url).hostname or "").lower())
    if host not in hosts:
        return None
    found = _DOCKET_PATH.match(parts.path)
    if not found:
        raise DocketInputError(
            "that CourtListener link is not a docket page (it should look like "
            "https://www.courtlistener.com/docket/12345678/x-corp-v-doe/)"
        )
    return int(found.group(1))


async def set_by_admin(
    store: AnyStore, client: CourtListenerClient | None, case: Case, url: str
) -> tuple[DocketLink, str | None]:
    """Link ``case`` to the docket at ``url``; returns the link and a note when CourtListener could not
    fill in the details. Cards are refreshed and followers told, in the same transaction."""
    base = client.settings.base_url if client is not None else None
    docket_id = parse_docket_url(url, base)
    note = None
    link = DocketLink(url=url.strip(), source="admin", reason="set by an admin", docket_id=docket_id)
    if docket_id is not None and client is not None and client.enabled:
        fetched = await client.docket(docket_id)
        if fetched.ok and fetched.docket is not None:
            link = link_of(fetched.docket, url.strip(), reason="set by an admin", source="admin")
        else:
            note = f"CourtListener did not describe docket {docket_id} ({fetched.error}); the link is stored as given"
    elif docket_id is not None:
        note = "docket lookups are off (no COURTLISTENER_TOKEN), so only the link is stored"
    async with store.transaction():
        await store.cases.set_docket(case.id, link)
        await announce(
            store,
            replace(case, docket_link=link),
            f"admin:{to_iso(utcnow())}",
            f"Docket set by an admin: {describe(link)}",
        )
    return link, note


async def clear_by_admin(store: AnyStore, case: Case) -> bool:
    """Remove ``case``'s docket (False when it had none) and stop automatic lookups for it."""
    async with store.transaction():
        await store.cases.mark_docket_checked(case.id, NEVER_AGAIN)
        if case.docket_link is None:
            return False
        await store.cases.set_docket(case.id, None)
        await announce(store, replace(case, docket_link=None), f"cleared:{to_iso(utcnow())}", "")
    return True
