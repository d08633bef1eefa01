"""Plain data shared by every part of casewatch.

Everything here is a frozen dataclass or a StrEnum so that the decisions made on it (detection,
grouping, status, routing) stay pure functions that tests can call without I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class Action(StrEnum):
    """What kind of legal fight an article is about."""

    LAWSUIT = "lawsuit"
    SUBPOENA = "subpoena"
    SUMMONS = "summons"
    WARRANT = "warrant"
    COURT_ORDER = "court_order"
    NSL = "nsl"
    GAG_ORDER = "gag_order"
    REGULATORY = "regulatory"
    ANTITRUST = "antitrust"
    BAN = "ban"
    BLOCKING_ORDER = "blocking_order"
    CRIMINAL_CHARGE = "criminal_charge"
    OTHER = "other"


class Stage(StrEnum):
    """The newest development an article reports; a case's status is one of these."""

    DEMAND = "demand"
    FILED = "filed"
    HEARING = "hearing"
    RULING = "ruling"
    INJUNCTION = "injunction"
    APPEAL = "appeal"
    SETTLED = "settled"
    WITHDRAWN = "withdrawn"
    DISMISSED = "dismissed"
    DROPPED = "dropped"
    COMPLIED = "complied"
    FINED = "fined"
    OTHER = "other"


CLOSED_STAGES: frozenset[Stage] = frozenset(
    {Stage.SETTLED, Stage.WITHDRAWN, Stage.DISMISSED, Stage.DROPPED, Stage.COMPLIED}
)


def is_closed(stage: Stage) -> bool:
    return stage in CLOSED_STAGES


@dataclass(frozen=True, slots=True)
class Entry:
    """One feed item after normalisation: safe plain text, a canonical http(s) URL or None."""

    key: str
    url: str | None
    title: str
    summary: str
    published: datetime | None  # timezone-aware UTC, or None when the feed gave no usable date
    content_hash: str
    guid: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What the parser hands back: feed-level metadata plus normalised entries."""

    title: str
    link: str | None
    entries: tuple[Entry, ...]
    bozo: str | None = None  # why the parser complained, if it did (the entries may still be usable)


@dataclass(frozen=True, slots=True)
class Feed:
    id: int
    url: str
    title: str | None = None
    enabled: bool = True
    guild_id: int | None = None  # None: an operator feed; else the guild that added it
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    last_fetch_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    next_due_at: datetime | None = None
    interval_s: int = 900
    disabled_reason: str | None = None
    item_count: int = 0


@dataclass(frozen=True, slots=True)
class Article:
    """A stored entry: the entry plus where and when casewatch saw it."""

    id: int
    feed_id: int
    key: str
    url: str | None
    title: str
    summary: str
    published: datetime | None
    fetched_at: datetime
    content_hash: str


@dataclass(frozen=True, slots=True)
class ArticleText:
    """The minimum detection needs: text and time. Built from an Entry or a stored Article."""

    title: str
    summary: str
    url: str | None = None
    published: datetime | None = None


@dataclass(frozen=True, slots=True)
class Detection:
    """The detector's verdict on one article, with the evidence that explains it."""

    relevant: bool
    score: float
    platforms: tuple[str, ...] = ()
    counterparties: tuple[str, ...] = ()
    action: Action | None = None
    stage: Stage | None = None
    court: str | None = None
    docket: str | None = None
    # Distinctive things the dispute is about (an @handle, a law, a device, a docket, a named
    # program): the strongest signal that two articles report the same case.
    subjects: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    # The legal questions the article raises (``bot.detect.issues`` keys: "section_230", ...).
    issues: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DocketLink:
    """The court docket a case was matched to in CourtListener, or that an admin set by hand.

    ``reason`` says why it was accepted ("court and parties agree; filed 3 days before the first report"
    or "set by an admin"), so a reader can judge the match."""

    url: str
    court: str | None = None
    number: str | None = None
    filed: date | None = None
    case_name: str | None = None
    reason: str = ""
    source: str = "courtlistener"  # "courtlistener" (found automatically) or "admin"
    last_filing: date | None = None
    docket_id: int | None = None  # CourtListener's id: what a check for new filings fetches


@dataclass(frozen=True, slots=True)
class Case:
    """One legal dispute, however many outlets report it."""

    id: str
    title: str
    status: Stage
    action: Action
    platforms: tuple[str, ...]
    counterparties: tuple[str, ...] = ()
    court: str | None = None
    docket: str | None = None
    subjects: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()  # content words of the member articles, for similarity
    opened_at: datetime | None = None
    updated_at: datetime | None = None
    summary: str = ""
    article_count: int = 0
    # How many of its reports raise each legal issue (``bot.detect.issues`` keys), in display order.
    issue_counts: tuple[tuple[str, int], ...] = ()
    docket_link: DocketLink | None = None

    @property
    def issues(self) -> tuple[str, ...]:
        """The legal issues the case is about: those most of its reports raise, at most four."""
        from bot.detect.issues import ranked

        return ranked(self.issue_counts)


@dataclass(frozen=True, slots=True)
class Observation:
    """One article's say on a case's stage, with the times used to order it."""

    article_id: int
    stage: Stage
    published: datetime | None
    fetched_at: datetime
    url: str | None = None


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """A status change of a case caused by one article."""

    case_id: str
    from_status: Stage | None
    to_status: Stage
    at: datetime
    article_id: int | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    """What grouping reads back when it files an article under a case (``CaseRepo.attach``)."""

    old_events: dict[str, list[tuple[int, CaseEvent]]]  # stored events (row id, event) before the merges
    # The case's articles, oldest news first, as headlines: title, URL and date, no summary (the case
    # summary lists headlines only, and a big case's article texts were most of the read).
    headlines: list[ArticleText]
    observations: list[Observation]  # their stage observations, by article id


@dataclass(frozen=True, slots=True)
class FeedPollResult:
    """What one poll of one feed did; printed by the CLI and logged by the scheduler."""

    feed_id: int
    url: str
    ok: bool
    status: str  # "new", "not_modified", "unchanged", "error", "disabled"
    new: int = 0
    duplicate: int = 0
    relevant: int = 0
    error: str | None = None
    new_case_ids: tuple[str, ...] = field(default_factory=tuple)


class DeliveryKind(StrEnum):
    NEW_CASE = "new_case"  # a case seen for the first time: the case card
    STATUS_UPDATE = "status_update"  # a case's status changed
    DEVELOPMENT = "development"  # a new article on a case, status unchanged (followers in "all" mode)
    DIGEST = "digest"
    NOTICE = "notice"  # an operational message to a guild's admins (feed disabled, channel unusable)
    DOCKET = "docket"  # the case's court docket was found, set, cleared or has a new filing: cards refresh


class TargetKind(StrEnum):
    CHANNEL = "channel"
    USER = "user"  # a DM
    CONSOLE = "console"  # console mode: printed, not sent


class FollowMode(StrEnum):
    ALL = "all"  # every development
    STATUS = "status"  # status changes only


class DigestMode(StrEnum):
    OFF = "off"
    DAILY = "daily"
    WEEKLY = "weekly"


@dataclass(frozen=True, slots=True)
class GuildSettings:
    guild_id: int
    alert_channel_id: int | None = None
    ping_role_id: int | None = None
    min_score: float = 0.0
    platforms: tuple[str, ...] = ()  # empty: every platform
    actions: tuple[str, ...] = ()  # empty: every action
    include_keywords: tuple[str, ...] = ()
    exclude_keywords: tuple[str, ...] = ()
    digest: DigestMode = DigestMode.OFF
    admin_channel_id: int | None = None
    issues: tuple[str, ...] = ()  # legal-issue keys (bot.detect.issues); empty: every issue
    alert_forum: bool = False  # the alert channel is a forum: one post per case, developments too


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    guild_id: int | None
    target_kind: TargetKind
    target_id: int
    case_id: str | None = None
    platform_key: str | None = None
    mode: FollowMode = FollowMode.ALL
    created_by: int | None = None


@dataclass(frozen=True, slots=True)
class CaseChange:
    """What one article did to one case: the input of the router."""

    case: Case
    article_id: int
    article_title: str
    article_url: str | None
    score: float
    is_new_case: bool
    events: tuple[CaseEvent, ...] = ()  # status changes this article caused (usually 0 or 1)


@dataclass(frozen=True, slots=True)
class DeliveryIntent:
    """One message the router decided to send; the outbox row is made from it."""

    kind: DeliveryKind
    target_kind: TargetKind
    target_id: int
    dedupe_key: str
    case_id: str | None = None
    article_id: int | None = None
    guild_id: int | None = None
    ping_role_id: int | None = None
    held_for_digest: bool = False
    event_index: int | None = None  # which of CaseChange.events it reports


@dataclass(frozen=True, slots=True)
class Delivery:
    """An outbox row as the sender sees it."""

    id: int
    kind: DeliveryKind
    target_kind: TargetKind
    target_id: int
    case_id: str | None
    article_id: int | None
    event_id: int | None
    guild_id: int | None
    ping_role_id: int | None
    payload: str
    attempts: int
    state: str
    message_id: int | None = None
