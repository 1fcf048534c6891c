"""Run the production application in a thread against the fake Bot API (tests and benchmarks)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from bot.app import build_application, new_event_loop, serve
from bot.context import SERVICES_KEY
from bot.settings import Settings
from knowledge import Matcher
from tests.fake_bot_api import FakeBotAPI


class BotRunner:
    """Runs the production application (``serve`` with long polling) in its own thread and loop."""

    def __init__(self, api: FakeBotAPI, settings: Settings, matcher: Matcher, rate_limiter: bool = True) -> None:
        self.api, self.settings, self.matcher, self.rate_limiter = api, settings, matcher, rate_limiter
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None
        self.failure: BaseException | None = None
        self.application: Any = None

    def _run(self) -> None:
        self.loop = new_event_loop(self.settings)
        try:
            serve(self.application, self.settings, stop_signals=None, loop=self.loop)
        except BaseException as exc:  # surfaced by stop()
            self.failure = exc

    async def start(self) -> None:
        """Start and wait until the bot listens: its first long poll, or its webhook registration."""
        ready = "setWebhook" if self.settings.webhook_url else "getUpdates"
        seen = len(self.api.calls_to(ready))
        self.api.drain(False)
        self.application = build_application(self.settings, self.matcher, rate_limiter=self.rate_limiter)
        self.thread = threading.Thread(target=self._run, name="bot", daemon=True)
        self.thread.start()
        await self.api.wait_until(lambda: self.failure or len(self.api.calls_to(ready)) > seen, 30)
        if self.failure:
            raise self.failure

    def idle(self) -> bool:
        """Every pushed update fetched, confirmed and handled, and its rows written: nothing queued,
        no handler running, nothing waiting in the write-behind buffer."""
        application = self.application
        services = application.bot_data.get(SERVICES_KEY)
        return bool(
            self.api.all_confirmed()
            and application.update_queue.empty()
            and application.update_processor.current_concurrent_updates == 0
            and (services is None or services.writes.idle)
        )

    async def wait_idle(self, checks: int = 5) -> None:
        """Wait until the bot is idle for several checks in a row (an update moves from the queue to its
        handler in a step that a single look could fall between)."""
        calm = 0
        while calm < checks:
            await self.api.wait_until(self.idle)
            calm = calm + 1 if self.idle() else 0
            await asyncio.sleep(0.01)

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
