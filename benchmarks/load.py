"""Drive the real bot, in its own process, with many questions through the fake Bot API."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import sys
import time
from itertools import cycle
from pathlib import Path
from typing import Any

from benchmarks.common import PROJECT_DIR, RESULTS_DIR, questions
from tests.fake_bot_api import TOKEN, FakeBotAPI

TELEGRAM_MESSAGES_PER_SECOND = 30
FIRST_USER = 500_000


async def start_bot(
    api: FakeBotAPI,
    folder: Path,
    log: Any,
    rate_limiter: bool = True,
    database_url: str | None = None,
    extra_environment: dict[str, str] | None = None,
) -> asyncio.subprocess.Process:
    """The production bot in its own process (``benchmarks.serve_bot``) against the fake Bot API."""
    environment = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "DATABASE_URL": database_url or f"sqlite+aiosqlite:///{folder / 'load.sqlite3'}",
        "DATA_DIR": str(folder),
        "WEBHOOK_URL": "",
        "LOG_LEVEL": "WARNING",
        "WEB_PORT": "0",
        **(extra_environment or {}),
    }
    arguments = [] if rate_limiter else ["--no-rate-limiter"]
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.serve_bot",
        *arguments,
        cwd=PROJECT_DIR,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=log,
    )


def bot_log() -> Path:
    """The bot's log (warnings and errors) goes to a file, so that the tables stay readable."""
    RESULTS_DIR.mkdir(exist_ok=True)
    return RESULTS_DIR / "bot-stderr.log"


async def run_load(
    folder: Path, count: int, rate_limiter: bool, flood_control: bool, database_url: str | None = None
) -> dict[str, Any]:
    """Each question comes from its own user; all arrive at once, as after a busy moment."""
    api = FakeBotAPI()
    await api.start()
    if flood_control:
        api.flood_limit = TELEGRAM_MESSAGES_PER_SECOND
    log_path = bot_log()
    with log_path.open("wb") as log:
        bot = await start_bot(api, folder, log, rate_limiter, database_url)
        try:
            await api.wait_until(lambda: bot.returncode is not None or api.calls_to("getUpdates"), 60)
            if bot.returncode is not None:
                raise RuntimeError("the bot did not start")
            asked = cycle(q for q in questions() if q.strip())
            pushed_at: dict[int, float] = {}
            for number in range(count):
                user = FakeBotAPI.user(FIRST_USER + number, f"Fictief {number}")
                pushed_at[user["id"]] = time.monotonic()
                api.send_text(user, next(asked))
            await api.wait_until(lambda: _delivered(api) >= count, timeout=max(60.0, count / 10))
        finally:
            api.drain(True)
            if bot.returncode is None:
                bot.send_signal(signal.SIGTERM)
            output, _ = await bot.communicate()
            await api.stop()
    if bot.returncode != 0:
        raise RuntimeError(f"the bot exited with {bot.returncode}; see {log_path}")
    delivered = [c for c in api.calls_to("sendMessage") if c.status == 200]
    first_reply: dict[int, float] = {}
    for call in delivered:
        first_reply.setdefault(int(call.params["chat_id"]), call.at)
    latencies = sorted(first_reply[chat] - pushed_at[chat] for chat in pushed_at if chat in first_reply)
    start, end = min(pushed_at.values()), max(call.at for call in delivered)
    return {
        "questions": count,
        "seconds": end - start,
        "answered_per_second": count / (end - start),
        "latency_median_ms": statistics.median(latencies) * 1000,
        "latency_p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000,
        "http_429": len([c for c in api.calls_to("sendMessage") if c.status == 429]),
        "busiest_second": _busiest_second([call.at for call in delivered]),
        **{f"bot_{key}": value for key, value in json.loads(output.decode().strip().splitlines()[-1]).items()},
    }


def _delivered(api: FakeBotAPI) -> int:
    return len({c.params["chat_id"] for c in api.calls_to("sendMessage") if c.status == 200})


def _busiest_second(moments: list[float]) -> int:
    ordered = sorted(moments)
    busiest, left = 0, 0
    for right, at in enumerate(ordered):
        while at - ordered[left] >= 1.0:
            left += 1
        busiest = max(busiest, right - left + 1)
    return busiest
