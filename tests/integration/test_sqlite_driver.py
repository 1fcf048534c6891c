"""The embedded database's driver: each statement in one trip to aiosqlite's thread, same results."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.engine import create_engine


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'driver.sqlite3'}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL)"))
    yield engine
    await engine.dispose()


async def _add_sql_function(connection: AsyncConnection, name: str, arity: int, function: Callable[..., Any]) -> None:
    """A Python function callable from SQL; SQLite runs it on the thread that runs the statement."""

    def add(sync: Connection) -> None:
        driver_connection = sync.connection.dbapi_connection
        assert driver_connection is not None
        driver_connection.create_function(name, arity, function)

    await connection.run_sync(add)


async def test_rows_counts_and_returning_come_back_as_with_aiosqlite(sqlite_engine: AsyncEngine) -> None:
    async with sqlite_engine.begin() as connection:
        inserted = await connection.execute(
            text("INSERT INTO item (name) VALUES (:name) RETURNING id"), [{"name": "één"}]
        )
        first_id = inserted.scalar_one()
        names = [{"name": "twee"}, {"name": "drie"}]
        many = await connection.execute(text("INSERT INTO item (name) VALUES (:name)"), names)
        assert many.rowcount == 2
        updated = await connection.execute(text("UPDATE item SET name = name || '!' WHERE id > :id"), {"id": first_id})
        assert updated.rowcount == 2
    async with sqlite_engine.connect() as connection:
        rows = (await connection.execute(text("SELECT id, name FROM item ORDER BY id"))).all()
        assert [name for _, name in rows] == ["één", "twee!", "drie!"]
        streamed = await connection.stream(text("SELECT name FROM item ORDER BY id"))
        assert [row.name async for row in streamed] == ["één", "twee!", "drie!"]
        empty = await connection.execute(text("SELECT name FROM item WHERE id < 0"))
        assert empty.first() is None


async def test_errors_reach_sqlalchemy_and_roll_back(sqlite_engine: AsyncEngine) -> None:
    insert = text("INSERT INTO item (name) VALUES ('dubbel')")
    async with sqlite_engine.connect() as connection:
        await connection.execute(insert)
        with pytest.raises(IntegrityError):
            await connection.execute(insert)
        await connection.rollback()
    async with sqlite_engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM item"))).scalar_one() == 0


async def test_sqlite_runs_off_the_event_loop_thread(sqlite_engine: AsyncEngine) -> None:
    """The event loop keeps serving other updates while SQLite works or waits for its lock."""
    threads: set[int] = set()

    def record_thread() -> int:
        threads.add(threading.get_ident())
        return 1

    async with sqlite_engine.connect() as connection:
        await _add_sql_function(connection, "record_thread", 0, record_thread)
        for _ in range(3):
            assert (await connection.execute(text("SELECT record_thread()"))).scalar_one() == 1
    assert threads
    assert threading.get_ident() not in threads


async def test_the_event_loop_keeps_running_while_another_process_holds_the_lock(
    sqlite_engine: AsyncEngine, tmp_path: Path
) -> None:
    """A statement that must wait is awaited, not waited for: other updates are served meanwhile."""
    other_process = sqlite3.connect(tmp_path / "driver.sqlite3", isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    async def insert() -> None:
        async with sqlite_engine.begin() as connection:
            await connection.execute(text("INSERT INTO item (name) VALUES ('na het slot')"))

    ticking = asyncio.create_task(ticker())
    waiting = asyncio.create_task(insert())
    await asyncio.sleep(0.2)
    assert not waiting.done()
    assert ticks >= 10
    other_process.execute("COMMIT")
    other_process.close()
    await asyncio.wait_for(waiting, timeout=10)
    ticking.cancel()
    async with sqlite_engine.connect() as connection:
        assert (await connection.execute(text("SELECT name FROM item"))).scalar_one() == "na het slot"


async def test_a_slow_statement_still_returns_its_rows_and_errors(sqlite_engine: AsyncEngine) -> None:
    def slow(value: int) -> int:
        time.sleep(0.02)
        if value < 0:
            raise ValueError("negatief")
        return value * 2

    async with sqlite_engine.connect() as connection:
        await _add_sql_function(connection, "slow", 1, slow)
        assert (await connection.execute(text("SELECT slow(21)"))).scalar_one() == 42
        with pytest.raises(OperationalError):
            await connection.execute(text("SELECT slow(-1)"))
