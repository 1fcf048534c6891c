from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

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


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def _run_apart(work: Coroutine[Any, Any, None]) -> None:
    """Run ``work`` in a loop of its own: a template is first asked for inside a test's running loop."""
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, work).result()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite database migrated once per test process; each test gets a copy (80 ms of CPU less)."""
    path = tmp_path_factory.mktemp("template") / "migrated.sqlite3"
    _run_apart(_migrate(f"sqlite+aiosqlite:///{path}"))
    # Closing the last connection wrote the WAL back into the file, so a copy of the file is whole.
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_admin_url: str | None) -> Iterator[str | None]:
    """The name of a PostgreSQL database migrated once per test process, the template of each test's;
    dropped at the end (a server from TEST_DATABASE_URL outlives the run)."""
    if postgres_admin_url is None:
        yield None
        return
    name = f"template_{os.getpid()}_{uuid.uuid4().hex[:8]}"

    async def administer(statement: str) -> None:
        admin = create_async_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
        async with admin.connect() as connection:
            await connection.execute(text(statement))
        await admin.dispose()

    try:
        _run_apart(administer(f'CREATE DATABASE "{name}"'))
        _run_apart(_migrate(make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)))
        yield name
    finally:
        _run_apart(administer(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def sqlite_database(request: pytest.FixtureRequest, path: Path) -> str:
    shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh database of each kind, already at the newest revision (a copy of a template migrated
    once per test process). A test of the migrations themselves first downgrades it."""
    if request.param == "sqlite":
        yield sqlite_database(request, tmp_path / "test.sqlite3")
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    if admin_url is None:
        skip_or_fail("no PostgreSQL server binaries were found")
    template = request.getfixturevalue("postgres_template")
    async with postgres_database(admin_url, f"test_{os.getpid()}_{next(_database_counter)}", template) as url:
        yield url


@contextlib.asynccontextmanager
async def postgres_database(admin_url: str, name: str, template: str | None = None) -> AsyncIterator[str]:
    """A new PostgreSQL database (a copy of ``template``, or empty), dropped afterwards: its URL."""
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    copy = f' TEMPLATE "{template}"' if template else ""
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
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
