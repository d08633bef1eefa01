"""Several statements on one connection in one event-loop round trip (writes and reads, in order)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

Statement = tuple[str, Sequence[Any] | dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Read:
    """A query inside a :func:`pipeline`: its rows come back in the same round trip."""

    sql: str
    params: Sequence[Any] = ()


async def pipeline(conn: aiosqlite.Connection, statements: Sequence[Statement | Read]) -> list[Any]:
    """Run ``statements`` in order, queued together: one event-loop round trip instead of one each.

    Returns a cursor per write and the rows of each :class:`Read`, in order. aiosqlite executes a
    connection's calls one by one, first in first out, on its own thread, so the order is the order given:
    a read sees the writes queued before it and none queued after. Every statement runs even if an earlier
    one fails (the first error is raised afterwards): only use it inside a transaction, which then rolls
    back all of them.
    """
    results = await asyncio.gather(
        *(
            conn.execute_fetchall(s.sql, s.params) if isinstance(s, Read) else conn.execute(s[0], s[1])
            for s in statements
        ),
        return_exceptions=True,
    )
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results
