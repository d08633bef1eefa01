"""Several statements on one connection in one thread hop (writes and reads, in order)."""

from __future__ import annotations

import asyncio
import sqlite3
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


@dataclass(frozen=True, slots=True)
class Written:
    """What a write in a :func:`pipeline` reports (the two cursor attributes callers use)."""

    lastrowid: int | None
    rowcount: int


def _run_all(conn: sqlite3.Connection, statements: Sequence[Statement | Read]) -> list[Any]:
    out: list[Any] = []
    for s in statements:
        if isinstance(s, Read):
            out.append(conn.execute(s.sql, s.params).fetchall())
        else:
            cur = conn.execute(s[0], s[1])
            out.append(Written(cur.lastrowid, cur.rowcount))
    return out


async def pipeline(conn: aiosqlite.Connection, statements: Sequence[Statement | Read]) -> list[Any]:
    """Run ``statements`` in order as one call on aiosqlite's thread: one hop instead of one each.

    Returns a :class:`Written` per write and the rows of each :class:`Read`, in order; a read sees the
    writes before it and none after. The first failing statement raises and the rest do not run: only use
    it inside a transaction, which then rolls back all of them.

    Why one call: queued one by one (a ``gather`` of ``execute`` calls), each statement paid its own
    thread wake-up and event-loop callback, about 0.5 ms of a grouping write's 1.5-2 ms on a slow VM
    (``benchmarks.lookups``). aiosqlite has no public "run this function on the connection's thread";
    ``_execute`` is that, and it has kept its shape since 0.17. Should a release drop it, the queued path
    below keeps the same results.
    """
    run = getattr(conn, "_execute", None)
    raw = getattr(conn, "_conn", None)
    if run is not None and raw is not None:
        return list(await run(_run_all, raw, statements))
    results: list[Any] = await asyncio.gather(
        *(
            conn.execute_fetchall(s.sql, s.params) if isinstance(s, Read) else conn.execute(s[0], s[1])
            for s in statements
        ),
        return_exceptions=True,
    )
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return [
        r if isinstance(s, Read) else Written(r.lastrowid, r.rowcount)
        for s, r in zip(statements, results, strict=True)
    ]
