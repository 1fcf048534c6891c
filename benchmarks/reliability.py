"""Reliability figures of the real bot against the fake Bot API with Telegram's limits switched on.

Run: ``python -m benchmarks.reliability``.

- Flood: one user sends 150 messages at once; a second user then asks a question. Target: the
  second user's answer within 2 s. Baseline from the same run: the same question with no flood.
  Measured twice: once after the flood's first answer (the asker known to the bot), and once as a
  user meets it, right behind the flood with nothing in between, by a new user, while a third new
  user sends /help. Telegram takes about one message per second per chat: the fake API refuses
  more with a 429 (at 4 per second, as before, the per-chat 429s that held everyone up went unseen).
- Crash: 50 users ask at once; the bot is killed with SIGKILL while their updates are in flight and
  started again. Target: every user answered (50/50), nobody answered twice (0 doubles).
Both on the embedded SQLite and, where Debian's PostgreSQL is installed, on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import signal
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.common import table, write_results
from benchmarks.load import TELEGRAM_MESSAGES_PER_SECOND, bot_log, start_bot
from tests.fake_bot_api import FakeBotAPI
from tests.postgres import postgres_server

FLOODER = FakeBotAPI.user(800_001, "Fictieve Stormloper")
ASKER = FakeBotAPI.user(800_002, "Fictieve Vrager")
SECOND_FLOODER = FakeBotAPI.user(800_005, "Fictieve Tweede Stormloper")
NEW_ASKER = FakeBotAPI.user(800_003, "Fictieve Nieuwkomer")
HELP_ASKER = FakeBotAPI.user(800_004, "Fictieve Hulpvrager")
FIRST_CRASH_USER = 810_000


def telegram_limits() -> FakeBotAPI:
    api = FakeBotAPI()
    api.flood_limit = TELEGRAM_MESSAGES_PER_SECOND
    api.chat_limit_per_second = 1
    api.group_limit_per_minute = 20
    return api


async def stop(bot: asyncio.subprocess.Process, api: FakeBotAPI) -> None:
    api.drain(True)
    if bot.returncode is None:
        bot.send_signal(signal.SIGTERM)
    await bot.communicate()


async def answer_latency(api: FakeBotAPI, text: str, asker: dict[str, Any] = ASKER) -> float:
    before = len(api.sent_to(asker["id"]))
    asked_at = time.monotonic()
    api.send_text(asker, text)
    await api.wait_until(lambda: len(api.sent_to(asker["id"])) > before, 120)
    return time.monotonic() - asked_at


async def flood(folder: Path, database_url: str | None) -> dict[str, Any]:
    api = telegram_limits()
    await api.start()
    with bot_log().open("ab") as log:
        bot = await start_bot(api, folder, log, database_url=database_url)
        try:
            await api.wait_until(lambda: api.calls_to("getUpdates"), 60)
            quiet = await answer_latency(api, "wat is scorion")
            for number in range(150):
                api.send_text(FLOODER, f"wat is intervisie {number}")
            await api.wait_until(lambda: api.sent_to(FLOODER["id"]), 60)
            during = await answer_latency(api, "wat is lesson study")
            for number in range(150):
                api.send_text(SECOND_FLOODER, f"wat is intervisie {number}")
            api.send_text(HELP_ASKER, "/help")
            right_behind = await answer_latency(api, "wat is lesson study?", NEW_ASKER)
            await api.wait_until(lambda: api.sent_to(HELP_ASKER["id"]), 120)
        finally:
            await stop(bot, api)
            await api.stop()
    return {
        "latency_without_flood_s": quiet,
        "latency_during_flood_s": during,
        "latency_right_behind_flood_new_user_s": right_behind,
        "flooder_messages_received": len(api.sent_to(FLOODER["id"])),
        "http_429": len([c for c in api.calls if c.status == 429]),
    }


async def crash(folder: Path, database_url: str | None, users: int = 50) -> dict[str, Any]:
    api = telegram_limits()
    await api.start()
    with bot_log().open("ab") as log:
        bot = await start_bot(api, folder, log, database_url=database_url)
        await api.wait_until(lambda: api.calls_to("getUpdates"), 60)
        for number in range(users):
            api.send_text(FakeBotAPI.user(FIRST_CRASH_USER + number), "wat is intervisie")
        await api.wait_until(lambda: len(_answered(api)) >= 5, 60)  # mid-burst: most still in flight
        bot.send_signal(signal.SIGKILL)
        await bot.communicate()
        answered_before = len(_answered(api))
        bot = await start_bot(api, folder, log, database_url=database_url)
        try:
            await api.wait_until(lambda: len(_answered(api)) >= users, 120)
            await asyncio.sleep(3)  # anything answered twice would have gone out by now
        finally:
            await stop(bot, api)
            await api.stop()
    answers = _answered(api)
    return {
        "users": users,
        "answered_before_kill": answered_before,
        "answered": len(answers),
        "answered_twice": sum(1 for count in answers.values() if count > 1),
    }


def _answered(api: FakeBotAPI) -> Counter[int]:
    return Counter(
        int(c.params["chat_id"])
        for c in api.calls_to("sendMessage")
        if c.status == 200 and int(c.params["chat_id"]) >= FIRST_CRASH_USER
    )


async def run() -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder, postgres_server() as admin_url:
        databases = {"SQLite": None, **({"PostgreSQL": admin_url} if admin_url else {})}
        for number, (name, url) in enumerate(databases.items()):
            results[f"flood_{name}"] = await flood(Path(folder) / f"flood{number}", url)
            results[f"crash_{name}"] = await crash(Path(folder) / f"crash{number}", url)
    rows = []
    for name in ("SQLite", "PostgreSQL"):
        if f"flood_{name}" in results:
            f, c = results[f"flood_{name}"], results[f"crash_{name}"]
            rows.append(
                [
                    name,
                    f"{f['latency_without_flood_s']:.2f}",
                    f"{f['latency_during_flood_s']:.2f}",
                    f"{f['latency_right_behind_flood_new_user_s']:.2f}",
                    f["flooder_messages_received"],
                    f["http_429"],
                    f"{c['answered']}/{c['users']}",
                    c["answered_twice"],
                    c["answered_before_kill"],
                ]
            )
    headers = [
        "database",
        "vraag s (rustig)",
        "vraag s (flood)",
        "nieuwe vrager s (direct na flood)",
        "naar flooder",
        "429's",
        "beantwoord",
        "dubbel",
        "voor kill",
    ]
    print(table(headers, rows))
    print(f"resultaten: {write_results('reliability', results)}")
    return results


if __name__ == "__main__":
    asyncio.run(run())
