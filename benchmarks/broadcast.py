"""A 1 000-recipient broadcast with a crash and restart of the bot in the middle.

Run: ``python -m benchmarks.broadcast`` (``--quick``: 200 recipients). The broadcast is queued with
the real command line (``python -m bot broadcast ... --yes --no-wait``); the production bot runs in
its own process against the fake Bot API, which enforces Telegram's limits (30 messages/s overall,
1/s per chat, 429 with retry_after). Half-way the bot is killed with SIGKILL and started again; a
user asks a question while the rest goes out. Targets (issue #12): every recipient gets it, at most
``DELIVERY_BATCH_SIZE`` (5) twice (the rows in flight at the kill, as bot/services/deliveries.py
documents), a rate of at least 0.95 x 30/s while the bot runs, no 429, the question answered within 2 s.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from benchmarks.common import PROJECT_DIR, flags, table, write_results
from benchmarks.load import TELEGRAM_MESSAGES_PER_SECOND, bot_log, start_bot
from db.agenda_repositories import PENDING, SENDING
from db.engine import create_engine, session_factory
from db.migrate import upgrade
from db.models import Delivery, User, utcnow
from db.repositories import ChatRepository, UserRepository
from tests.fake_bot_api import FakeBotAPI
from tests.postgres import postgres_server

FIRST_CHAT = 900_000
ASKER = FakeBotAPI.user(899_999, "Fictieve vrager")
BATCH_SIZE = 5
CLAIM_TIMEOUT_SECONDS = 10  # the smallest the settings allow, so the rows in flight come back soon
ENVIRONMENT = {
    "DELIVERY_BATCH_SIZE": str(BATCH_SIZE),
    "DELIVERY_CLAIM_TIMEOUT_SECONDS": str(CLAIM_TIMEOUT_SECONDS),
    "DELIVERY_POLL_SECONDS": "1",
    "QUIET_HOURS": "",
}


async def fill(database_url: str, recipients: int) -> None:
    """Fictional mentors of poo-marnix, each with a private chat."""
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        now = utcnow()
        async with session_factory(engine).begin() as session:
            ids = [FIRST_CHAT + n for n in range(recipients)]
            await ChatRepository(session).upsert_many(
                [{"id": i, "type": "private", "title": None, "now": now} for i in ids]
            )
            await UserRepository(session).upsert_many(
                [{"id": i, "name": f"Fictief {i}", "chat_id": i, "now": now} for i in ids]
            )
            for user in await session.scalars(select(User).where(User.id.in_(ids))):
                user.partnership, user.role = "poo-marnix", "mentor"
    finally:
        await engine.dispose()


async def unfinished(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            statement = select(func.count()).select_from(Delivery).where(Delivery.status.in_([PENDING, SENDING]))
            return int((await session.execute(statement)).scalar_one())
    finally:
        await engine.dispose()


async def queue_broadcast(database_url: str, folder: Path) -> str:
    """The real command line, as a coordinator's script would run it."""
    text = folder / "bericht.txt"
    text.write_text("Fictieve oproep: de partnerscholendag gaat door & we zien je graag.\n", encoding="utf-8")
    environment = {**os.environ, "DATABASE_URL": database_url, "DATA_DIR": str(folder), "TELEGRAM_BOT_TOKEN": ""}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "bot", "broadcast", "--partnership", "poo-marnix", "--role", "mentor"),
        *("--text-file", str(text), "--yes", "--no-wait"),
        cwd=PROJECT_DIR,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    output, errors = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"broadcast failed: {errors.decode()}")
    return output.decode()


async def run_one(folder: Path, database_url: str, recipients: int) -> dict[str, Any]:
    api = FakeBotAPI()
    api.flood_limit, api.chat_limit_per_second = TELEGRAM_MESSAGES_PER_SECOND, 1
    await api.start()
    await fill(database_url, recipients)
    with bot_log().open("ab") as log:
        bot = await start_bot(api, folder, log, database_url=database_url, extra_environment=ENVIRONMENT)
        try:
            await api.wait_until(lambda: api.calls_to("getUpdates"), 60)
            printed = await queue_broadcast(database_url, folder)
            await api.wait_until(lambda: len(_delivered(api)) >= recipients // 2, 120)
            bot.send_signal(signal.SIGKILL)
            await bot.communicate()
            killed_at, before_kill = time.monotonic(), len(_delivered(api))
            bot = await start_bot(api, folder, log, database_url=database_url, extra_environment=ENVIRONMENT)
            await api.wait_until(lambda: [c for c in _delivered(api) if c.at > killed_at], 60)
            await api.wait_until(lambda: len(_delivered(api)) >= before_kill + recipients // 10, 60)
            latency = await _question(api)
            await api.wait_until(lambda: len(set(_chats(api))) >= recipients, 120)
            await _all_final(database_url)
            await asyncio.sleep(2)  # anything sent twice would have gone out by now
        finally:
            api.drain(True)
            if bot.returncode is None:
                bot.send_signal(signal.SIGTERM)
            await bot.communicate()
            await api.stop()
    moments = sorted(c.at for c in _delivered(api))
    first_half = [at for at in moments if at <= killed_at]
    # The rate while something was due: gaps of more than a second are the restart, and the wait
    # until the claims of the rows in flight at the kill expire (DELIVERY_CLAIM_TIMEOUT_SECONDS).
    gaps = [later - earlier for earlier, later in itertools.pairwise(moments)]
    running = sum(gap for gap in gaps if gap <= 1.0)
    rate = len([gap for gap in gaps if gap <= 1.0]) / running
    per_chat = Counter(_chats(api))
    return {
        "recipients": recipients,
        "queued": printed.strip().splitlines()[-1],
        "reached": len(per_chat),
        "duplicates": sum(1 for count in per_chat.values() if count > 1),
        "duplicate_bound": BATCH_SIZE,
        "sent_before_kill": len(first_half),
        "seconds_bot_running": running,
        "seconds_overall": moments[-1] - moments[0],
        "idle_gaps_seconds": [round(gap, 2) for gap in gaps if gap > 1.0],
        "slow_gaps_seconds": [round(gap, 3) for gap in gaps if 0.1 < gap <= 1.0],
        "rate_before_kill": (len(first_half) - 1) / (first_half[-1] - first_half[0]),
        "rate_after_restart": (len(moments) - len(first_half) - 1) / (moments[-1] - moments[len(first_half)]),
        "messages_per_second": rate,
        "fraction_of_30": rate / TELEGRAM_MESSAGES_PER_SECOND,
        "http_429": len([c for c in api.calls if c.status == 429]),
        "question_latency_seconds": latency,
    }


async def run(recipients: int = 1000) -> dict[str, Any]:
    """On the embedded SQLite and, where Debian's PostgreSQL is installed, on a fresh PostgreSQL."""
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as name, postgres_server() as admin_url:
        databases = {"SQLite": f"sqlite+aiosqlite:///{Path(name) / 'broadcast.sqlite3'}"}
        if admin_url is not None:
            databases["PostgreSQL"] = admin_url
        for database, url in databases.items():
            results[database] = await run_one(Path(name), url, recipients)
    rows = [
        [
            database,
            r["reached"],
            r["duplicates"],
            r["sent_before_kill"],
            r["messages_per_second"],
            r["fraction_of_30"],
            r["http_429"],
            r["question_latency_seconds"],
        ]
        for database, r in results.items()
    ]
    headers = ["database", "bereikt", "dubbel", "vóór de kill", "per seconde", "x 30/s", "429's", "vraag (s)"]
    print(f"{recipients} ontvangers, herstart halverwege")
    print(table(headers, rows))
    for database, r in results.items():
        targets = {
            "iedereen bereikt": r["reached"] == recipients,
            f"hooguit {BATCH_SIZE} dubbel (de berichten onderweg)": r["duplicates"] <= BATCH_SIZE,
            ">= 0.95 x 30/s terwijl de bot draait": r["fraction_of_30"] >= 0.95,
            "geen 429": r["http_429"] == 0,
            "vraag binnen 2 s beantwoord": r["question_latency_seconds"] <= 2.0,
        }
        for target, met in targets.items():
            print(f"{database}: {'gehaald' if met else 'NIET gehaald'}: {target}")
        r["targets"] = targets
    print(f"resultaten: {write_results('broadcast', results)}")
    return results


async def _all_final(database_url: str) -> None:
    """Until no row is pending or being sent (the rows in flight at the kill come back after the
    claim time-out), at most half a minute more."""
    for _ in range(2 * (CLAIM_TIMEOUT_SECONDS + 30)):
        if not await unfinished(database_url):
            return
        await asyncio.sleep(0.5)


def _delivered(api: FakeBotAPI) -> list[Any]:
    return [c for c in api.calls_to("sendMessage") if c.status == 200 and int(c.params["chat_id"]) >= FIRST_CHAT]


def _chats(api: FakeBotAPI) -> list[int]:
    return [int(c.params["chat_id"]) for c in _delivered(api)]


async def _question(api: FakeBotAPI) -> float:
    before = len(api.sent_to(ASKER["id"]))
    asked = time.monotonic()
    api.send_text(ASKER, "wat is intervisie")
    await api.reply(ASKER["id"], before, timeout=30)
    return time.monotonic() - asked


if __name__ == "__main__":
    asyncio.run(run(200 if "--quick" in flags("--quick") else 1000))
