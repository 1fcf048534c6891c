"""Alembic, run from code: the app and the CLI upgrade the schema to the newest revision on start.

Two safety nets around every run:
- SQLite: a batch migration rebuilds a table (copy, drop, rename). With foreign keys on, dropping
  ``users`` would cascade into the question log, so migrations run with foreign keys off and check
  them (``PRAGMA foreign_key_check``) before committing. Like every SQLite transaction here it takes
  the write lock at once (two instances migrate one after the other), and the connection is
  discarded afterwards, so no later transaction inherits the setting.
- PostgreSQL: a transaction-scoped advisory lock, so two instances starting together migrate one
  after the other instead of racing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import MIGRATION_TRANSACTION, create_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any fixed 64-bit number that no other application on the same server uses for an advisory lock.
MIGRATION_LOCK_KEY = 7_246_107_301
SQLITE_LOCKED_ATTEMPTS = 5


class MigrationError(RuntimeError):
    """The schema could not be brought up to date; nothing of the failed migration was kept."""


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _guarded(work: Callable[[Connection], None]) -> Callable[[Connection], None]:
    def run(connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        work(connection)
        if connection.dialect.name == "sqlite":
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise MigrationError(f"foreign keys broken by the migration: {broken[:5]}")

    return run


async def run_guarded(engine: AsyncEngine, work: Callable[[Connection], None]) -> None:
    """Run migration work in one transaction with the safety nets above (the app and the alembic CLI).

    Two processes opening a new SQLite file at once can find it locked while the other one switches
    it to WAL (SQLite refuses that at once, without the busy wait): the whole transaction is tried
    again a few times, which is safe because a failed attempt changed nothing.
    """
    for attempt in range(1, SQLITE_LOCKED_ATTEMPTS + 1):
        try:
            await _run_guarded_once(engine, work)
            return
        except OperationalError as exc:
            locked = engine.dialect.name == "sqlite" and "database is locked" in str(exc)
            if not locked or attempt == SQLITE_LOCKED_ATTEMPTS:
                raise
            await asyncio.sleep(0.1 * attempt)


async def _run_guarded_once(engine: AsyncEngine, work: Callable[[Connection], None]) -> None:
    async with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            await connection.execution_options(**{MIGRATION_TRANSACTION: True})
        try:
            async with connection.begin():
                await connection.run_sync(_guarded(work))
        finally:
            if engine.dialect.name == "sqlite":
                await connection.invalidate()


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    await run_guarded(engine, lambda connection: command.upgrade(alembic_config(connection), revision))


async def migrate(url: str) -> None:
    """Upgrade the database at ``url`` on an engine of its own, without the statement time-out."""
    engine = create_engine(url, statement_timeout=False)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    await run_guarded(engine, lambda connection: command.downgrade(alembic_config(connection), revision))
