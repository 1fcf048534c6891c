from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from db.engine import SessionFactory, create_engine, session_factory
from db.migrate import upgrade
from knowledge import KnowledgeBase, Matcher, load_knowledge_base
from tests.fake_bot_api import FakeBotAPI
from tests.moments import NOW
from tests.postgres import postgres_server, skip_or_fail

TESTS_DIR = Path(__file__).resolve().parent
PROJECT_DIR = TESTS_DIR.parent


@pytest.fixture(scope="session", autouse=True)
def wall_clock_at_test_now() -> Iterator[None]:
    """With TEST_NOW set, the wall clock starts there too (and ticks on), so the real bot agrees."""
    if not os.environ.get("TEST_NOW"):
        yield
        return
    import time_machine

    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.fixture(scope="session")
def matcher(kb: KnowledgeBase) -> Matcher:
    return Matcher(kb)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    """The local fake Telegram Bot API, started for one test."""
    fake = FakeBotAPI()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str | None]:
    with postgres_server() as url:
        yield url


_database_counter = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database of each kind; migrated by whoever uses it."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}"
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    if admin_url is None:
        skip_or_fail("no PostgreSQL server binaries were found")
    name = f"test_{os.getpid()}_{next(_database_counter)}"
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> SessionFactory:
    return session_factory(engine)
