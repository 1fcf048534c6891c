"""Engine and session factory for the embedded SQLite default or PostgreSQL, on the stock async drivers."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

SessionFactory = async_sessionmaker[AsyncSession]

# RETURNING (used by the upserts and the outbox claim) arrived in SQLite 3.35.
MINIMUM_SQLITE = (3, 35, 0)
SQLITE_LOCK_WAIT_SECONDS = 30
# PostgreSQL: a statement or a free connection that takes longer than this means the server is in
# trouble; the user hears about it instead of waiting half a minute.
POSTGRES_COMMAND_TIMEOUT_SECONDS = 5
POSTGRES_POOL_TIMEOUT_SECONDS = 5
POSTGRES_RECYCLE_SECONDS = 1800
# Execution option for a SQLite connection that runs migrations (db.migrate): its transaction runs
# without foreign keys (table rebuilds must not cascade).
MIGRATION_TRANSACTION = "migration_transaction"


class UnsupportedSQLite(RuntimeError):
    """The Python build links an SQLite that is too old for this application."""


def async_url(url: str) -> str:
    """Accept the usual spellings and pick the async driver: asyncpg or aiosqlite."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif parsed.drivername == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed.render_as_string(hide_password=False)


def create_engine(url: str, statement_timeout: bool = True) -> AsyncEngine:
    """``statement_timeout=False`` for migrations: creating an index on a big table, or waiting for
    another instance's migration, may rightly take longer than a user should wait."""
    url = async_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database)
    timeouts = {"timeout": POSTGRES_COMMAND_TIMEOUT_SECONDS}
    if statement_timeout:
        timeouts["command_timeout"] = POSTGRES_COMMAND_TIMEOUT_SECONDS
    # No pre-ping: it costs a round trip on every checkout (a tenth of the bot's CPU per question).
    # Disconnects are handled optimistically instead: SQLAlchemy invalidates the pool on the first
    # failed statement, the callers retry once (bot/services/questions.py) or keep their rows for the
    # next batch (bot/services/writes.py), and connections are renewed every half hour.
    return create_async_engine(
        url,
        hide_parameters=True,  # error messages and logs never show the values: names, questions
        pool_recycle=POSTGRES_RECYCLE_SECONDS,
        pool_timeout=POSTGRES_POOL_TIMEOUT_SECONDS,
        connect_args=timeouts,
    )


def _sqlite_engine(url: str, database: str | None) -> AsyncEngine:
    if sqlite3.sqlite_version_info < MINIMUM_SQLITE:
        needed = ".".join(map(str, MINIMUM_SQLITE))
        raise UnsupportedSQLite(f"SQLite {sqlite3.sqlite_version} is te oud; nodig is {needed} of nieuwer")
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    # One connection: SQLite has one writer at a time, so more connections would only wait for its lock.
    engine = create_async_engine(
        url,
        hide_parameters=True,
        poolclass=AsyncAdaptedQueuePool,
        pool_size=1,
        max_overflow=0,
        pool_timeout=2 * SQLITE_LOCK_WAIT_SECONDS,
        connect_args={"timeout": SQLITE_LOCK_WAIT_SECONDS},
    )
    event.listen(engine.sync_engine, "connect", _sqlite_connect)
    event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    """Foreign keys (for cascading deletes), WAL (readers do not block the writer), our own BEGIN.

    ``isolation_level = None`` stops the driver from emitting BEGIN itself, so that SAVEPOINT works as
    on PostgreSQL (SQLAlchemy's documented recipe for pysqlite and aiosqlite). With WAL,
    synchronous=NORMAL keeps the database consistent after any crash of the app; only a power cut can
    lose the last commits. For that guarantee use PostgreSQL.
    """
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    """BEGIN IMMEDIATE: take the write lock at the start, waiting for it with the busy timeout.

    A plain (deferred) BEGIN reads first and asks for the write lock later; in WAL mode that request
    fails at once ("database is locked", no waiting) when another process wrote in between, which
    the running bot does all the time (the inbox). The command line writing next to the bot needs this.
    """
    if connection.get_execution_options().get(MIGRATION_TRANSACTION):
        # Only takes effect outside a transaction, so it goes before BEGIN.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False)
