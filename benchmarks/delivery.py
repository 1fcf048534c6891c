"""Delivery rate of the outbox against Telegram's limits, and a question's latency during the run.

Run: ``python -m benchmarks.delivery``. 1 000 recipients are due at once; the real application (in a
thread, AIORateLimiter on, the default batch size) sends them through the fake Bot API, which enforces
30 messages/s overall and 1/s per chat with 429 and retry_after. Targets: a rate of at least 0.95 x
30/s, no 429, and a question asked during the run answered within 2 s.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import flags, table, write_results
from bot.settings import Settings
from db.agenda_repositories import MESSAGE, PENDING, DeliveryRepository
from db.engine import create_engine, session_factory
from db.migrate import upgrade
from db.models import utcnow
from db.repositories import ChatRepository
from knowledge import Matcher, load_knowledge_base
from tests.bot_runner import BotRunner
from tests.fake_bot_api import TOKEN, FakeBotAPI

TELEGRAM_PER_SECOND = 30
FIRST_CHAT = 700_000
ASKER = FakeBotAPI.user(699_999, "Fictieve vrager")


async def fill(database_url: str, recipients: int) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        now = utcnow()
        async with session_factory(engine).begin() as session:
            chats = [{"id": FIRST_CHAT + n, "type": "private", "title": None, "now": now} for n in range(recipients)]
            await ChatRepository(session).upsert_many(chats)
            await DeliveryRepository(session).add(
                [
                    {
                        "key": "bench:bericht",
                        "kind": MESSAGE,
                        "chat_id": chat["id"],
                        "text": "Fictieve herinnering",
                        "due_at": now,
                        "status": PENDING,
                        "attempts": 0,
                        "created_at": now,
                    }
                    for chat in chats
                ]
            )
    finally:
        await engine.dispose()


async def run(recipients: int = 1000) -> dict[str, Any]:
    api = FakeBotAPI()
    await api.start()
    api.flood_limit, api.chat_limit_per_second = TELEGRAM_PER_SECOND, 1
    with tempfile.TemporaryDirectory() as folder:
        database_url = f"sqlite+aiosqlite:///{Path(folder) / 'delivery.sqlite3'}"
        await fill(database_url, recipients)
        settings = Settings(
            telegram_bot_token=TOKEN,
            telegram_api_base_url=api.base_url,
            database_url=database_url,
            data_dir=Path(folder),
            webhook_url=None,
            log_level="WARNING",
        )
        runner = BotRunner(api, settings, Matcher(load_knowledge_base()))
        await runner.start()
        try:
            latency = await _question_during_run(api, recipients)
            sent = await api.wait_until(lambda: _delivered(api) if len(_delivered(api)) >= recipients else None, 120)
        finally:
            await runner.stop()
            await api.stop()
    elapsed = sent[-1].at - sent[0].at
    rate = (len(sent) - 1) / elapsed
    results = {
        "recipients": recipients,
        "seconds": elapsed,
        "messages_per_second": rate,
        "fraction_of_30": rate / TELEGRAM_PER_SECOND,
        "http_429": len([c for c in api.calls if c.status == 429]),
        "question_latency_seconds": latency,
    }
    print(
        table(
            ["ontvangers", "seconden", "per seconde", "x 30/s", "429's", "vraag tijdens run (s)"],
            [[recipients, elapsed, rate, rate / TELEGRAM_PER_SECOND, results["http_429"], latency]],
        )
    )
    targets = {
        ">= 0.95 x 30/s": rate / TELEGRAM_PER_SECOND >= 0.95,
        "geen 429": results["http_429"] == 0,
        "vraag binnen 2 s beantwoord": latency <= 2.0,
    }
    for name, met in targets.items():
        print(f"{'gehaald' if met else 'NIET gehaald'}: {name}")
    results["targets"] = targets
    print(f"resultaten: {write_results('delivery', results)}")
    return results


def _delivered(api: FakeBotAPI) -> list[Any]:
    return [c for c in api.calls_to("sendMessage") if c.status == 200 and int(c.params["chat_id"]) >= FIRST_CHAT]


async def _question_during_run(api: FakeBotAPI, recipients: int) -> float:
    """Once a tenth of the bulk run is out, a user asks a question; seconds until the answer arrives."""
    await api.wait_until(lambda: len(_delivered(api)) >= recipients // 10, 60)
    before = len(api.sent_to(ASKER["id"]))
    asked = time.monotonic()
    api.send_text(ASKER, "wat is intervisie")
    await api.reply(ASKER["id"], before, timeout=30)
    return time.monotonic() - asked


if __name__ == "__main__":
    asyncio.run(run(200 if "--quick" in flags("--quick") else 1000))
