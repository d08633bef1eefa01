"""Storage errors the core can catch without knowing which database sits behind the repositories."""


class StorageError(Exception):
    """Base class for everything storage raises on purpose."""


class SchemaTooNew(StorageError):
    """The database was written by a newer casewatch; opening it could corrupt it."""


class NotFound(StorageError):
    """The row asked for does not exist (or belongs to someone else)."""


class DatabaseUnusable(StorageError):
    """The database cannot be opened, created, read or written; the message says why in one line."""


class WriteConflict(StorageError):
    """Two writers waited for each other and the database gave up this one: the transaction was rolled
    back whole, so running it again later is safe (a poll is simply retried at its next turn)."""
