from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.settings import Settings
from db.engine import SessionFactory, create_engine, session_factory
from knowledge import Matcher
from tests.bot_runner import BotRunner
from tests.fake_bot_api import TOKEN, FakeBotAPI


class _ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def knowledge_dir() -> Path | None:
    """Overridden by tests that need their own (fictional) knowledge base."""
    return None


@pytest.fixture
def extra_settings() -> dict[str, Any]:
    """Overridden by test modules that need other settings (a short outbox poll, coordinators)."""
    return {}


@pytest.fixture
def settings(
    api: FakeBotAPI, database_url: str, tmp_path: Path, knowledge_dir: Path | None, extra_settings: dict[str, Any]
) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": TOKEN,
        "telegram_api_base_url": api.base_url,
        "database_url": database_url,
        "data_dir": tmp_path / "data",
        "webhook_url": None,
        "chat_pacing_seconds": 0,  # pacing is tested where it matters; elsewhere it only makes tests wait
        "web_port": 0,  # any free port: many bots run side by side
    }
    if knowledge_dir is not None:
        values["knowledge_dir"] = knowledge_dir
    return Settings(**(values | extra_settings))


@pytest.fixture
def error_log() -> Any:
    handler = _ErrorLog()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


@pytest.fixture
async def bot(api: FakeBotAPI, settings: Settings, error_log: _ErrorLog) -> AsyncIterator[BotRunner]:
    from knowledge import load_knowledge_base

    matcher = Matcher(load_knowledge_base(settings.knowledge_dir))
    runner = BotRunner(api, settings, matcher)
    await runner.start()
    yield runner
    await runner.stop()


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[SessionFactory]:
    """A second connection to the bot's database, to check what it stored."""
    engine = create_engine(settings.effective_database_url)
    yield session_factory(engine)
    await engine.dispose()
