from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_application, serve
from bot.settings import Settings
from db.engine import SessionFactory, create_engine, session_factory
from knowledge import Matcher
from tests.fake_bot_api import TOKEN, FakeBotAPI


class _ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class BotRunner:
    """Runs the production application (``serve`` with long polling) in its own thread and loop."""

    def __init__(self, api: FakeBotAPI, settings: Settings, matcher: Matcher) -> None:
        self.api, self.settings, self.matcher = api, settings, matcher
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None
        self.failure: BaseException | None = None
        self.application: Any = None

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        try:
            serve(self.application, self.settings, stop_signals=None)
        except BaseException as exc:  # surfaced by stop()
            self.failure = exc

    async def start(self) -> None:
        """Start and wait until the bot listens: its first long poll, or its webhook registration."""
        ready = "setWebhook" if self.settings.webhook_url else "getUpdates"
        seen = len(self.api.calls_to(ready))
        self.api.drain(False)
        self.application = build_application(self.settings, self.matcher)
        self.thread = threading.Thread(target=self._run, name="bot", daemon=True)
        self.thread.start()
        await self.api.wait_until(lambda: self.failure or len(self.api.calls_to(ready)) > seen, 30)
        if self.failure:
            raise self.failure

    async def stop(self) -> None:
        if self.thread is None or self.loop is None:
            return
        self.api.drain(True)
        self.loop.call_soon_threadsafe(self.application.stop_running)
        await asyncio.to_thread(self.thread.join, 30)
        assert not self.thread.is_alive(), "the bot did not stop"
        self.thread = None
        if self.failure:
            raise self.failure


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    fake = FakeBotAPI()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def knowledge_dir() -> Path | None:
    """Overridden by tests that need their own (fictional) knowledge base."""
    return None


@pytest.fixture
def settings(api: FakeBotAPI, database_url: str, tmp_path: Path, knowledge_dir: Path | None) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": TOKEN,
        "telegram_api_base_url": api.base_url,
        "database_url": database_url,
        "data_dir": tmp_path / "data",
        "webhook_url": None,
    }
    if knowledge_dir is not None:
        values["knowledge_dir"] = knowledge_dir
    return Settings(**values)


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
