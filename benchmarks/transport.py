"""CPU per Bot API call: the bot's aiohttp transport against PTB's default httpx transport.

Run: ``python -m benchmarks.transport``. A real ``telegram.Bot`` sends the same message through each
transport to the fake Bot API, which runs in its own process so that only the bot's side is counted.
The transports alternate over several rounds; the table shows the median CPU time per call.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
from typing import Any

from telegram import Bot
from telegram.request import BaseRequest, HTTPXRequest

from benchmarks.common import PROJECT_DIR, table, write_results
from bot.app import CONCURRENT_UPDATES, CONNECTION_POOL_SIZE, new_event_loop
from bot.telegram_http import AiohttpRequest
from tests.fake_bot_api import TOKEN

SERVER = """
import asyncio
from tests.fake_bot_api import FakeBotAPI

async def main():
    api = FakeBotAPI()
    print(await api.start(), flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


async def _cpu_per_call(base_url: str, rounds: int, calls: int) -> dict[str, list[float]]:
    transports: dict[str, BaseRequest] = {
        "httpx (PTB-standaard, basislijn)": HTTPXRequest(connection_pool_size=CONNECTION_POOL_SIZE),
        "aiohttp (bot/telegram_http.py)": AiohttpRequest(CONNECTION_POOL_SIZE),
    }
    bots = {name: Bot(TOKEN, base_url=base_url, request=request) for name, request in transports.items()}
    samples: dict[str, list[float]] = {name: [] for name in bots}
    for bot in bots.values():
        await bot.initialize()
    try:
        for _ in range(rounds):
            for name, bot in bots.items():
                in_flight = asyncio.Semaphore(CONCURRENT_UPDATES)

                async def send(chat_id: int, bot: Bot = bot, in_flight: asyncio.Semaphore = in_flight) -> None:
                    async with in_flight:
                        await bot.send_message(chat_id, "Een <b>antwoord</b> van een paar regels.", parse_mode="HTML")

                started = time.process_time()
                await asyncio.gather(*(send(number + 1) for number in range(calls)))
                samples[name].append((time.process_time() - started) * 1000 / calls)
    finally:
        for bot in bots.values():
            await bot.shutdown()
    return samples


def run(quick: bool = False) -> dict[str, Any]:
    server = subprocess.Popen([sys.executable, "-c", SERVER], cwd=PROJECT_DIR, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().strip()
        loop = new_event_loop()
        samples = loop.run_until_complete(_cpu_per_call(base_url, rounds=3 if quick else 7, calls=1000))
        loop.close()
    finally:
        server.kill()
        server.wait()
    medians = {name: statistics.median(values) for name, values in samples.items()}
    baseline = next(iter(medians.values()))
    rows = [[name, f"{median:.3f}", f"{median / baseline:.2f}x"] for name, median in medians.items()]
    print(table(["transport", "CPU ms per sendMessage (mediaan)", "x basislijn"], rows))
    results: dict[str, Any] = {"cpu_ms_per_call": samples, "median_cpu_ms_per_call": medians}
    print(f"resultaten: {write_results('transport', results)}")
    return results


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
