"""Alembic environment.

The app runs migrations on the connection that ``db.migrate`` hands in. A developer may also run the
``alembic`` command from the project folder (``alembic revision --autogenerate -m "..."``): then the
database comes from the app's settings (``DATABASE_URL`` or the embedded SQLite).
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from db.models import Base


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_settings() -> None:
    """The alembic command line: the same safety nets as the app (no cascades on SQLite, a lock on PostgreSQL)."""
    from bot.settings import Settings
    from db.engine import create_engine
    from db.migrate import run_guarded

    engine = create_engine(Settings().effective_database_url)
    try:
        await run_guarded(engine, run_on)
    finally:
        await engine.dispose()


given = context.config.attributes.get("connection")
if given is not None:
    run_on(given)
else:
    if context.config.config_file_name is not None:
        fileConfig(context.config.config_file_name)
    asyncio.run(run_from_settings())
