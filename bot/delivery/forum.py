"""Forum channel mode as plain data: a case's post title, its tags, and the stored post (pure).

When a guild's alert channel is a forum, each case is one forum post (a thread whose first message is the
case card). Its tags say the case's open/closed state, its action and its platforms. Discord allows 20
available tags per forum, 5 applied tags per post and 20 characters per tag name; the choice of tags
is made here, deterministically, so the publisher only has to look names up and send ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.delivery.render import clean_text, clip, neutralise_mentions, stage_label
from bot.detect.issues import TAG_LABELS
from bot.models import Case, is_closed

THREAD_NAME_MAX = 100  # Discord: a thread name is 1-100 characters
TAG_NAME_MAX = 20  # Discord: a forum tag name is at most 20 characters
FORUM_TAGS_MAX = 20  # available tags per forum
APPLIED_TAGS_MAX = 5  # applied tags per post
OPEN_TAG, CLOSED_TAG = "open", "closed"


@dataclass(frozen=True, slots=True)
class ForumPost:
    """The post of one case in one forum, as stored (``forum_posts``). ``thread_id`` is None while the
    post is being created: the bot asked Discord at ``creating_since`` and has not recorded the answer."""

    case_id: str
    forum_id: int
    guild_id: int | None = None
    thread_id: int | None = None
    message_id: int | None = None
    archived: bool = False
    creating_since: datetime | None = None

    @property
    def created(self) -> bool:
        return self.thread_id is not None


def post_title(case: Case) -> str:
    """The post's name: the case title as plain text (thread names do not render markdown), mention
    syntax made inert, 1-100 characters."""
    text = " ".join(neutralise_mentions(clean_text(case.title)).split())
    return clip(text, THREAD_NAME_MAX) or f"case {case.id}"[:THREAD_NAME_MAX]


def tag_name(text: str) -> str:
    """A label fit for a forum tag: plain, one line, at most 20 characters."""
    return clip(" ".join(clean_text(text).split()), TAG_NAME_MAX)


def wanted_tags(case: Case) -> list[str]:
    """Every tag that describes the case, most important first: open/closed, the action, the platforms
    in the case's order (its main platform first), then its legal issues (most reported first);
    duplicates (case-insensitive) dropped. A post shows the first five the forum has."""
    names = [CLOSED_TAG if is_closed(case.status) else OPEN_TAG, tag_name(stage_label(case.action))]
    names += [tag_name(p) for p in case.platforms]
    names += [TAG_LABELS[k] for k in case.issues if k in TAG_LABELS]  # legal issues, where there is room
    seen: set[str] = set()
    out = []
    for name in names:
        if name and name.lower() not in seen:
            seen.add(name.lower())
            out.append(name)
    return out


def tags_to_create(wanted: Sequence[str], available: Iterable[str]) -> list[str]:
    """The tags a forum lacks, in priority order, as many as fit in its 20; both status tags come first
    (so a later status change always finds its tag), then what this case needs."""
    have = {n.lower() for n in available}
    room = FORUM_TAGS_MAX - len(have)
    out: list[str] = []
    for name in [OPEN_TAG, CLOSED_TAG, *wanted]:
        if room <= 0:
            break
        if name.lower() not in have:
            have.add(name.lower())
            out.append(name)
            room -= 1
    return out


def choose_tags(wanted: Sequence[str], available: dict[str, int]) -> list[int]:
    """The ids to apply: the wanted tags that the forum has (names compared case-insensitively), in
    priority order, at most 5 (Discord's limit per post). ``available``: tag name -> id."""
    by_name = {name.lower(): tag_id for name, tag_id in available.items()}
    ids: list[int] = []
    for name in wanted:
        tag_id = by_name.get(name.lower())
        if tag_id is not None and tag_id not in ids:
            ids.append(tag_id)
        if len(ids) == APPLIED_TAGS_MAX:
            break
    return ids
