"""aiosqlite with one trip to its worker thread per statement.

aiosqlite runs every call of a cursor on the connection's own thread: creating the cursor, execute,
fetchall and close are four trips, each a queue put, a future and a wake-up of the event loop.
SQLAlchemy makes all four for every statement, and on the embedded database they cost more CPU per
incoming message than SQLite itself. Here a statement is executed, fully fetched and closed in one
trip; the cursor the caller holds is a snapshot of the rows, the description and the counts. The
sqlite3 objects are still only touched on aiosqlite's thread, so the event loop never blocks on them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import aiosqlite

Description = tuple[tuple[str, None, None, None, None, None, None], ...] | None


class _Snapshot:
    """What a finished statement left: its rows, description, rowcount and lastrowid."""

    __slots__ = ("description", "lastrowid", "rowcount", "rows")

    def __init__(self, cursor: sqlite3.Cursor, rows: list[Any]) -> None:
        self.rows = rows
        self.description: Description = cursor.description
        self.rowcount = cursor.rowcount
        self.lastrowid = cursor.lastrowid


def _execute(connection: sqlite3.Connection, sql: str, parameters: Any) -> _Snapshot:
    cursor = connection.cursor()
    try:
        cursor.execute(sql, parameters)
        return _Snapshot(cursor, cursor.fetchall())
    finally:
        cursor.close()


def _execute_many(connection: sqlite3.Connection, sql: str, parameters: Iterable[Any]) -> _Snapshot:
    cursor = connection.cursor()
    try:
        cursor.executemany(sql, parameters)
        return _Snapshot(cursor, [])
    finally:
        cursor.close()


class PrefetchingCursor:
    """The part of aiosqlite's cursor that SQLAlchemy uses; rows are already fetched."""

    arraysize = 1

    def __init__(self, connection: PrefetchingConnection) -> None:
        self._connection = connection
        self._rows: list[Any] = []
        self.description: Description = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    async def __aenter__(self) -> PrefetchingCursor:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _keep(self, snapshot: _Snapshot) -> PrefetchingCursor:
        self._rows = snapshot.rows
        self.description, self.rowcount, self.lastrowid = snapshot.description, snapshot.rowcount, snapshot.lastrowid
        return self

    async def execute(self, sql: str, parameters: Any = ()) -> PrefetchingCursor:
        return self._keep(await self._connection.run(_execute, sql, parameters))

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> PrefetchingCursor:
        return self._keep(await self._connection.run(_execute_many, sql, parameters))

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        count = size or self.arraysize
        rows, self._rows = self._rows[:count], self._rows[count:]
        return rows

    async def fetchall(self) -> Sequence[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def close(self) -> None:
        self._rows = []


class PrefetchingConnection(aiosqlite.Connection):
    def cursor(self) -> PrefetchingCursor:  # type: ignore[override]
        """No trip: the sqlite3 cursor is made, used and closed inside each statement's trip."""
        return PrefetchingCursor(self)

    async def run(self, function: Any, *arguments: Any) -> Any:
        """``function(sqlite3_connection, *arguments)`` on the connection's thread."""
        return await self._execute(function, self._conn, *arguments)  # type: ignore[no-untyped-call]


def connect(database: str, **kwargs: Any) -> PrefetchingConnection:
    """Like ``aiosqlite.connect``; the connection opens when awaited."""
    return PrefetchingConnection(lambda: sqlite3.connect(database, **kwargs), iter_chunk_size=64)
