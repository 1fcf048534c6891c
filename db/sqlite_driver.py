"""aiosqlite with one trip to its worker thread per statement.

aiosqlite runs every call of a cursor on the connection's own thread: creating the cursor, execute,
fetchall and close are four trips, each a queue put, a future and a wake-up of the event loop.
SQLAlchemy makes all four for every statement, and on the embedded database they cost more CPU per
incoming message than SQLite itself. Here a statement is executed, fully fetched and closed in one
trip; the cursor the caller holds is a snapshot of the rows, the description and the counts. The
sqlite3 objects are still only touched on aiosqlite's thread; how the event loop waits for a trip
is explained at ``_Trip``.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

import aiosqlite

# How long the event loop waits for a statement before it awaits it instead.
PATIENCE = 0.002
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


class _Trip:
    """One call on aiosqlite's thread, which the event loop first waits for briefly, then awaits.

    A statement takes SQLite tens of microseconds, but handing the result back through the event
    loop queues it behind every other ready callback, twice (the future, then the task): under load
    that held the one connection for milliseconds per statement and capped the questions per
    second. Waiting up to PATIENCE for the result is cheaper; a statement that takes longer (a lock
    held by another process, a checkpoint) is awaited as usual, so the loop never blocks for longer.
    """

    def __init__(self, call: Callable[[], Any]) -> None:
        self._call = call
        self._finished = threading.Event()
        self._lock = threading.Lock()
        self._outcome: tuple[bool, Any] | None = None
        self._future: asyncio.Future[None] | None = None

    def __call__(self) -> None:
        """On aiosqlite's thread."""
        try:
            outcome: tuple[bool, Any] = (True, self._call())
        except BaseException as error:  # handed to the caller, as aiosqlite does
            outcome = (False, error)
        with self._lock:
            self._outcome, future = outcome, self._future
        self._finished.set()
        if future is not None:
            future.get_loop().call_soon_threadsafe(_settle, future)

    async def result(self) -> Any:
        if not self._finished.wait(PATIENCE):
            with self._lock:
                if self._outcome is None:
                    self._future = asyncio.get_running_loop().create_future()
            if self._future is not None:
                await self._future
        assert self._outcome is not None
        succeeded, value = self._outcome
        if succeeded:
            return value
        raise value


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class PrefetchingConnection(aiosqlite.Connection):
    def cursor(self) -> PrefetchingCursor:  # type: ignore[override]
        """No trip: the sqlite3 cursor is made, used and closed inside each statement's trip."""
        return PrefetchingCursor(self)

    async def run(self, function: Callable[..., Any], *arguments: Any) -> Any:
        """``function(sqlite3_connection, *arguments)`` on the connection's thread."""
        if not self._running:
            raise ValueError("Connection closed")
        trip = _Trip(partial(function, self._conn, *arguments))
        self._tx.put_nowait((None, trip))
        return await trip.result()

    async def commit(self) -> None:
        await self.run(sqlite3.Connection.commit)

    async def rollback(self) -> None:
        await self.run(sqlite3.Connection.rollback)


def connect(database: str, **kwargs: Any) -> PrefetchingConnection:
    """Like ``aiosqlite.connect``; the connection opens when awaited."""
    return PrefetchingConnection(lambda: sqlite3.connect(database, **kwargs), iter_chunk_size=64)
