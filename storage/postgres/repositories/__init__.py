"""The PostgreSQL repositories: the same methods, arguments and answers as ``storage/repositories``.

Each class mirrors its SQLite namesake method by method (same names, same order of results, same
``None`` / empty answers); where SQL differs the comment says how the answer is kept the same. Times are
ISO text in both stores, so the row decoders of ``storage.codec`` serve both.
"""

from storage.postgres.repositories.articles import ArticleRepository
from storage.postgres.repositories.cards import CardRepository
from storage.postgres.repositories.cases import CaseRepository
from storage.postgres.repositories.feeds import FeedRepository
from storage.postgres.repositories.forum_posts import ForumPostRepository
from storage.postgres.repositories.guilds import GuildRepository
from storage.postgres.repositories.outbox import OutboxRepository

__all__ = [
    "ArticleRepository",
    "CardRepository",
    "CaseRepository",
    "FeedRepository",
    "ForumPostRepository",
    "GuildRepository",
    "OutboxRepository",
]
