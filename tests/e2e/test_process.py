"""The bot as a process: a first start migrates an empty database, a start that fails ends cleanly,
and SIGTERM is honoured while starting."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import PROJECT_DIR, postgres_database
from tests.fake_bot_api import TOKEN, FakeBotAPI
from tests.postgres import skip_or_fail


def database_of_a_newer_release(path: Path) -> str:
    """A database migrated by a revision this code does not know: migrating it must fail."""
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        connection.execute("INSERT INTO alembic_version VALUES ('9999')")
    return f"sqlite+aiosqlite:///{path}"


def instance_environment(api: FakeBotAPI, tmp_path: Path, database_url: str | None = None) -> dict[str, str]:
    """The environment of ``python -m bot run`` against the fake Bot API, on a SQLite file in tmp_path."""
    return {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "DATABASE_URL": database_url or f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        "DATA_DIR": str(tmp_path),
        "WEBHOOK_URL": "",
        "CHAT_PACING_SECONDS": "0",
        "WEB_PORT": "0",  # any free port: instances side by side on one machine
    }


async def start_instance(
    api: FakeBotAPI, tmp_path: Path, database_url: str | None = None
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=PROJECT_DIR,
        env=instance_environment(api, tmp_path, database_url),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def start_bot(api: FakeBotAPI, tmp_path: Path) -> asyncio.subprocess.Process:
    return await start_instance(api, tmp_path, database_of_a_newer_release(tmp_path / "bot.sqlite3"))


async def test_failed_migration_ends_the_process_with_one_clear_line(api: FakeBotAPI, tmp_path: Path) -> None:
    bot = await start_bot(api, tmp_path)
    _, stderr = await asyncio.wait_for(bot.communicate(), 30)
    assert bot.returncode == 1
    log = stderr.decode()
    assert "De bot kan niet starten: Can't locate revision identified by '9999'" in log
    assert "Traceback" not in log


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
async def test_sigterm_during_a_failed_start_exits_within_5_seconds(api: FakeBotAPI, tmp_path: Path) -> None:
    bot = await start_bot(api, tmp_path)
    await api.wait_until(lambda: bot.returncode is not None or api.calls_to("getMe"), 30)
    bot.send_signal(signal.SIGTERM)
    sent_at = time.monotonic()
    await asyncio.wait_for(bot.communicate(), 30)
    assert time.monotonic() - sent_at < 5
    assert bot.returncode is not None


ANNA = FakeBotAPI.user(7301, "Fictieve Anna")


async def test_409s_while_this_instance_is_the_newest_do_not_stop_it(api: FakeBotAPI, tmp_path: Path) -> None:
    """The previous process's poll can still be open at Telegram just after a restart."""
    api.conflict = True
    bot = await start_instance(api, tmp_path)
    try:
        await api.wait_until(lambda: len([c for c in api.calls if c.status == 409]) >= 2, 30)
        api.conflict = False
        api.send_text(ANNA, "/help")
        assert "Wat doet een schoolopleider?" in (await api.reply(ANNA["id"], 0, timeout=30))["text"]
        assert bot.returncode is None
    finally:
        bot.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(bot.communicate(), 30)
    assert bot.returncode == 0
    assert "Traceback" not in stderr.decode()


async def test_a_rolling_deploy_the_new_instance_takes_over_and_the_old_one_exits_0(
    api: FakeBotAPI, tmp_path: Path
) -> None:
    old = await start_instance(api, tmp_path)
    new: asyncio.subprocess.Process | None = None
    try:
        api.send_text(ANNA, "/help")
        await api.reply(ANNA["id"], 0, timeout=30)
        new = await start_instance(api, tmp_path)  # its polls end the old one's with 409
        _, old_stderr = await asyncio.wait_for(old.communicate(), 60)
        assert old.returncode == 0
        log = old_stderr.decode()
        assert log.count("een nieuwere instantie neemt het over") == 1
        assert "Traceback" not in log
        api.send_text(ANNA, "wat is intervisie")
        assert (await api.reply(ANNA["id"], 1, timeout=30))["text"].startswith("Intervisie")
        assert new.returncode is None
    finally:
        for process in (old, new):
            if process is not None and process.returncode is None:
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.communicate(), 30)


def test_a_data_folder_that_cannot_be_written_stops_the_start_with_a_clear_message(tmp_path: Path) -> None:
    blocker = tmp_path / "een-bestand"
    blocker.write_text("geen map")
    environment = {**os.environ, "DATA_DIR": str(blocker / "data"), "DATABASE_URL": "", "TELEGRAM_BOT_TOKEN": TOKEN}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"], cwd=PROJECT_DIR, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "is niet schrijfbaar" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
async def empty_postgresql(postgres_admin_url: str | None) -> AsyncIterator[str]:
    """A new PostgreSQL database with no table at all, as on a first deploy (other tests start migrated)."""
    if postgres_admin_url is None:
        skip_or_fail("no PostgreSQL server binaries were found")
    assert postgres_admin_url is not None
    async with postgres_database(postgres_admin_url, f"empty_{uuid.uuid4().hex[:12]}") as url:
        yield url


async def test_the_first_start_on_an_empty_postgresql_migrates_it_and_answers(
    api: FakeBotAPI, tmp_path: Path, empty_postgresql: str
) -> None:
    bot = await start_instance(api, tmp_path, empty_postgresql)
    try:
        api.send_text(ANNA, "wat is intervisie")
        assert (await api.reply(ANNA["id"], 0, timeout=60))["text"].startswith("Intervisie")
    finally:
        bot.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(bot.communicate(), 30)
    assert bot.returncode == 0
    assert "Traceback" not in stderr.decode()
    migrated = create_async_engine(empty_postgresql)
    async with migrated.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM alembic_version")) == 1
    await migrated.dispose()
