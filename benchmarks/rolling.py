"""Several instances on one database: a rolling deploy, two instances side by side, a slow send.

Run: ``python -m benchmarks.rolling`` (``--quick``: 200 questions, 200 recipients). The production
bot runs in its own processes (``benchmarks.load.start_bot``) against the fake Bot API with Telegram's
limits on (30 messages/s per bot, 1/s per private chat, 429 with ``retry_after``); every scenario
gets a fresh database, on PostgreSQL and on the embedded SQLite.

1. Rolling deploy (long polling): instance A runs; a 1 000-recipient broadcast is queued with the real
   command line and the first half of 1 000 questions (each from its own fictional user) arrives;
   instance B starts on the same database while A is busy, and the second half arrives at once.
   A gets 409s, hands over and must exit 0; B answers the rest.
2. Side by side (webhook mode, as behind a load balancer): A and B both run for the whole load, the
   questions go to them in turn, both dispatch the outbox. In long polling two instances of one
   database cannot run side by side by design: the older hands over at its first 409.
3. A send slower than the claim time-out: ``DELIVERY_CLAIM_TIMEOUT_SECONDS`` 1, every send takes
   ``SLOW_SEND_SECONDS``, two instances (webhook mode) dispatch a broadcast to 50 recipients.

Targets (issue #17): 0 questions lost, 0 answered twice, every recipient reached, 0 delivered twice,
A exits 0. The kill -9 figures are ``benchmarks.reliability`` and ``benchmarks.broadcast``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import signal
import socket
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks.broadcast import FIRST_CHAT, fill, queue_broadcast, unfinished
from benchmarks.common import flags, table, write_results
from benchmarks.load import TELEGRAM_MESSAGES_PER_SECOND, bot_log, start_bot
from db.engine import create_engine, session_factory
from db.models import InboxUpdate
from tests.fake_bot_api import FakeBotAPI
from tests.postgres import postgres_server

FIRST_ASKER = 600_000  # question users; broadcast recipients start at FIRST_CHAT (900 000)
QUESTION = "wat is intervisie"
NOT_AN_ANSWER = ("Sorry, er ging iets mis", "Ik ben even druk")  # handlers/errors.py: SORRY, BUSY
SECRET = "fictief-geheim"
CLAIM_TIMEOUT_SECONDS = 10  # as benchmarks.broadcast: rows in flight at a stop come back soon
SLOW_CLAIM_TIMEOUT_SECONDS = 1  # the smallest the settings allow
SLOW_SEND_SECONDS = 2.5  # every send takes longer than that claim time-out
SLOW_RECIPIENTS = 50
STEADY_PER_SECOND = 25.0  # questions per second in the steady variant of the rolling deploy
ENVIRONMENT = {
    "DELIVERY_BATCH_SIZE": "5",
    "DELIVERY_CLAIM_TIMEOUT_SECONDS": str(CLAIM_TIMEOUT_SECONDS),
    "DELIVERY_POLL_SECONDS": "1",
    "QUIET_HOURS": "",
}
START_TIMEOUT = 60.0
QUIET_AFTER_SECONDS = 3.0  # anything sent twice would have gone out by now


@dataclass
class Counts:
    """Per chat, what the fake Bot API accepted (status 200)."""

    answers: Counter[int] = field(default_factory=Counter)  # real answers to question users
    apologies: Counter[int] = field(default_factory=Counter)  # "Sorry ..." / "Ik ben even druk"
    deliveries: Counter[int] = field(default_factory=Counter)  # broadcast messages to recipients


def count(api: FakeBotAPI) -> Counts:
    counts = Counts()
    for call in api.calls_to("sendMessage"):
        if call.status != 200:
            continue
        chat = int(call.params["chat_id"])
        if chat >= FIRST_CHAT:
            counts.deliveries[chat] += 1
        elif chat >= FIRST_ASKER:
            sorry = str(call.params.get("text", "")).startswith(NOT_AN_ANSWER)
            (counts.apologies if sorry else counts.answers)[chat] += 1
    return counts


def figures(counts: Counts, questions: int, recipients: int) -> dict[str, int]:
    """Lost: a question with no answer (an apology is no answer); twice: more than one answer."""
    askers = range(FIRST_ASKER, FIRST_ASKER + questions)
    return {
        "questions": questions,
        "answered": sum(1 for chat in askers if counts.answers[chat] > 0),
        "lost": sum(1 for chat in askers if counts.answers[chat] == 0),
        "answered_twice": sum(1 for chat in askers if counts.answers[chat] > 1),
        "apologies": sum(counts.apologies.values()),
        "no_reply": sum(1 for chat in askers if counts.answers[chat] == 0 and counts.apologies[chat] == 0),
        "recipients": recipients,
        "reached": sum(1 for chat in range(FIRST_CHAT, FIRST_CHAT + recipients) if counts.deliveries[chat] > 0),
        "not_reached": sum(1 for chat in range(FIRST_CHAT, FIRST_CHAT + recipients) if counts.deliveries[chat] == 0),
        "delivered_twice": sum(1 for times in counts.deliveries.values() if times > 1),
    }


def rates(api: FakeBotAPI, started: float) -> dict[str, float]:
    sent = [c.at for c in api.calls_to("sendMessage") if c.status == 200 and c.at >= started]
    answers = [
        c.at
        for c in api.calls_to("sendMessage")
        if c.status == 200 and FIRST_ASKER <= int(c.params["chat_id"]) < FIRST_CHAT and c.at >= started
    ]
    seconds = max(sent) - started if sent else 0.0
    return {
        "seconds": seconds,
        "messages_per_second": len(sent) / seconds if seconds else 0.0,
        "fraction_of_30": len(sent) / seconds / TELEGRAM_MESSAGES_PER_SECOND if seconds else 0.0,
        "answers_per_second": len(answers) / (max(answers) - started) if answers else 0.0,
        "longest_silence_seconds": max((b - a for a, b in itertools.pairwise(sorted(sent))), default=0.0),
        "http_429": len([c for c in api.calls if c.status == 429]),
    }


def telegram_limits() -> FakeBotAPI:
    api = FakeBotAPI()
    api.flood_limit, api.chat_limit_per_second = TELEGRAM_MESSAGES_PER_SECOND, 1
    return api


def asker(number: int) -> dict[str, Any]:
    return FakeBotAPI.user(FIRST_ASKER + number, f"Fictief {number}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def webhook_environment(port: int) -> dict[str, str]:
    return {
        **ENVIRONMENT,
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
        "WEBHOOK_LISTEN": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
        "WEBHOOK_SECRET_TOKEN": SECRET,
        # Two instances side by side share the bot's 30/s, as README.md says to configure them.
        "MESSAGES_PER_SECOND": str(29.5 / 2),
    }


async def inbox_left(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return int((await session.execute(select(func.count()).select_from(InboxUpdate))).scalar_one())
    finally:
        await engine.dispose()


async def until(condition: Callable[[], Any], seconds: float) -> bool:
    """Bounded wait; False when it timed out (the figures then show what is missing)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.05)
    return False


async def all_final(database_url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not await unfinished(database_url):
            return True
        await asyncio.sleep(0.5)
    return False


async def stop(process: asyncio.subprocess.Process) -> int | None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(process.communicate(), 60)
    if process.returncode is None:  # a stop that hangs: fail loudly, never wait for ever
        process.kill()
        await process.communicate()
        raise RuntimeError("an instance did not stop within 60 s of SIGTERM")
    return process.returncode


def everything_done(api: FakeBotAPI, questions: int, recipients: int) -> Callable[[], bool]:
    def done() -> bool:
        found = count(api)
        answered = len(found.answers) + len(found.apologies)
        return answered >= questions and len(found.deliveries) >= recipients

    return done


def wait_budget(questions: int, recipients: int) -> float:
    """Twice the time the messages take at 30/s, plus a minute for starts and lease take-overs."""
    return 60 + 2 * (questions + recipients) / TELEGRAM_MESSAGES_PER_SECOND


async def trickle(api: FakeBotAPI, numbers: range, per_second: float) -> None:
    for number in numbers:
        api.send_text(asker(number), QUESTION)
        await asyncio.sleep(1 / per_second)


async def rolling_deploy(
    folder: Path, database_url: str, questions: int, recipients: int, steady: bool = False
) -> dict[str, Any]:
    """``steady``: the second half arrives as a steady stream from B's start on (A still receives part
    of it, and B's first poll comes while A is between two polls); otherwise all at once once B polls."""
    api = telegram_limits()
    await api.start()
    await fill(database_url, recipients)
    first_half = questions // 2
    with bot_log().open("ab") as log:
        old = await start_bot(api, folder, log, database_url=database_url, extra_environment=ENVIRONMENT)
        new: asyncio.subprocess.Process | None = None
        try:
            await api.wait_until(lambda: old.returncode is not None or api.calls_to("getUpdates"), START_TIMEOUT)
            started = time.monotonic()
            await queue_broadcast(database_url, folder)
            for number in range(first_half):
                api.send_text(asker(number), QUESTION)
            # The deploy while A is busy: part of the first half answered, the rest in flight or waiting.
            await api.wait_until(lambda: len(count(api).answers) >= first_half // 3, wait_budget(questions, 0))
            new_started = time.monotonic()
            conflicts_before = len(conflicts(api))
            new = await start_bot(api, folder, log, database_url=database_url, extra_environment=ENVIRONMENT)
            stream = (
                asyncio.create_task(trickle(api, range(first_half, questions), STEADY_PER_SECOND)) if steady else None
            )
            # B polls: Telegram ends A's waiting poll with 409.
            await api.wait_until(lambda: len(conflicts(api)) > conflicts_before, START_TIMEOUT)
            new_polling = time.monotonic()
            if stream is None:
                for number in range(first_half, questions):
                    api.send_text(asker(number), QUESTION)
            try:
                await asyncio.wait_for(old.wait(), START_TIMEOUT)
            except TimeoutError:
                raise RuntimeError("instance A did not hand over within a minute of B's start") from None
            old_exited = time.monotonic()
            if stream is not None:
                await stream
            done = await until(everything_done(api, questions, recipients), wait_budget(questions, recipients))
            final = await all_final(database_url, CLAIM_TIMEOUT_SECONDS + 30)
            await asyncio.sleep(QUIET_AFTER_SECONDS)
        finally:
            api.drain(True)
            old_code = await stop(old)
            if new is not None:
                await stop(new)
            await api.stop()
    result: dict[str, Any] = {
        **figures(count(api), questions, recipients),
        **rates(api, started),
        "old_exit_code": old_code,
        "new_start_seconds": new_polling - new_started,
        "hand_over_seconds": old_exited - new_polling,
        "answers_before_old_exit": sum(
            1
            for c in api.calls_to("sendMessage")
            if c.status == 200 and FIRST_ASKER <= int(c.params["chat_id"]) < FIRST_CHAT and c.at <= old_exited
        ),
        "finished_in_time": done,
        "outbox_final": final,
        "inbox_left": await inbox_left(database_url),
        # Updates Telegram gave to more than one poll (B's first poll before A confirmed its batch):
        # each must still be answered once (bot/inbox.py).
        "updates_handed_out_twice": sum(1 for times in api.handed_out.values() if times > 1),
    }
    return result


def conflicts(api: FakeBotAPI) -> list[Any]:
    return [c for c in api.calls_to("getUpdates") if c.status == 409]


async def post_update(http: aiohttp.ClientSession, port: int, update: dict[str, Any]) -> None:
    """As Telegram calls a webhook; retried while the instance is not listening yet or answers no 200."""
    url = f"http://127.0.0.1:{port}/telegram"
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        with contextlib.suppress(aiohttp.ClientError):
            async with http.post(url, json=update, headers=headers) as response:
                if response.status == 200:
                    return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"the webhook on port {port} did not take update {update['update_id']}")


def private_update(update_id: int, user: dict[str, Any], text_: str) -> dict[str, Any]:
    chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    message = {"message_id": update_id, "date": int(time.time()), "chat": chat, "from": user, "text": text_}
    return {"update_id": update_id, "message": message}


@contextlib.asynccontextmanager
async def two_webhook_instances(
    api: FakeBotAPI, folder: Path, database_url: str, extra: dict[str, str] | None = None
) -> AsyncIterator[list[int]]:
    """Two instances in webhook mode on one database; yields their ports once both listen."""
    ports = [free_port(), free_port()]
    with bot_log().open("ab") as log:
        instances = [
            await start_bot(
                api,
                folder,
                log,
                database_url=database_url,
                extra_environment={**webhook_environment(port), **(extra or {})},
            )
            for port in ports
        ]
        try:
            await api.wait_until(
                lambda: any(i.returncode is not None for i in instances) or len(api.calls_to("setWebhook")) >= 2,
                START_TIMEOUT,
            )
            if any(i.returncode is not None for i in instances):
                raise RuntimeError("an instance did not start")
            yield ports
        finally:
            codes = [await stop(instance) for instance in instances]
            if any(code != 0 for code in codes):
                raise RuntimeError(f"an instance exited with {codes}")


async def side_by_side(folder: Path, database_url: str, questions: int, recipients: int) -> dict[str, Any]:
    api = telegram_limits()
    await api.start()
    await fill(database_url, recipients)
    try:
        async with two_webhook_instances(api, folder, database_url) as ports, aiohttp.ClientSession() as http:
            started = time.monotonic()
            await queue_broadcast(database_url, folder)
            posting = asyncio.Semaphore(16)

            async def post(number: int) -> None:
                async with posting:
                    await post_update(http, ports[number % 2], private_update(number + 1, asker(number), QUESTION))

            await asyncio.gather(*(post(number) for number in range(questions)))
            done = await until(everything_done(api, questions, recipients), wait_budget(questions, recipients))
            final = await all_final(database_url, CLAIM_TIMEOUT_SECONDS + 30)
            await asyncio.sleep(QUIET_AFTER_SECONDS)
    finally:
        await api.stop()
    return {
        **figures(count(api), questions, recipients),
        **rates(api, started),
        "finished_in_time": done,
        "outbox_final": final,
        "inbox_left": await inbox_left(database_url),
    }


async def slow_send(folder: Path, database_url: str, recipients: int = SLOW_RECIPIENTS) -> dict[str, Any]:
    api = telegram_limits()
    api.send_delay = SLOW_SEND_SECONDS
    await api.start()
    await fill(database_url, recipients)
    extra = {"DELIVERY_CLAIM_TIMEOUT_SECONDS": str(SLOW_CLAIM_TIMEOUT_SECONDS)}
    try:
        async with two_webhook_instances(api, folder, database_url, extra):
            started = time.monotonic()
            await queue_broadcast(database_url, folder)
            budget = 60 + 2 * recipients * SLOW_SEND_SECONDS
            done = await until(everything_done(api, 0, recipients), budget)
            final = await all_final(database_url, 30)
            await asyncio.sleep(2 * SLOW_SEND_SECONDS)  # a second send of a row would be under way by now
            await until(lambda: all(c.status for c in api.calls_to("sendMessage")), 2 * SLOW_SEND_SECONDS)
    finally:
        await api.stop()
    return {
        **figures(count(api), 0, recipients),
        **rates(api, started),
        "send_seconds": SLOW_SEND_SECONDS,
        "claim_timeout_seconds": SLOW_CLAIM_TIMEOUT_SECONDS,
        "finished_in_time": done,
        "outbox_final": final,
    }


@contextlib.asynccontextmanager
async def databases(folder: Path) -> AsyncIterator[dict[str, Callable[[str], Any]]]:
    """Per database kind, a maker of fresh, empty databases (PostgreSQL when Debian's server is here)."""
    with postgres_server() as admin_url:
        makers: dict[str, Callable[[str], Any]] = {}
        if admin_url is not None:
            admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")

            async def postgres(name: str) -> str:
                async with admin.connect() as connection:
                    await connection.execute(text(f'CREATE DATABASE "{name}"'))
                return make_url(admin_url).set(database=name).render_as_string(hide_password=False)

            makers["PostgreSQL"] = postgres

        async def sqlite(name: str) -> str:
            return f"sqlite+aiosqlite:///{folder / f'{name}.sqlite3'}"

        makers["SQLite"] = sqlite
        try:
            yield makers
        finally:
            if admin_url is not None:
                await admin.dispose()


async def run(questions: int = 1000, recipients: int = 1000) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        async with databases(folder) as makers:
            for database, fresh in makers.items():
                kind = database.lower()
                results[f"rolling_{database}"] = await rolling_deploy(
                    folder, await fresh(f"rolling_{kind}"), questions, recipients
                )
                results[f"rolling_steady_{database}"] = await rolling_deploy(
                    folder, await fresh(f"steady_{kind}"), questions, recipients, steady=True
                )
                results[f"side_by_side_{database}"] = await side_by_side(
                    folder, await fresh(f"side_{kind}"), questions, recipients
                )
                results[f"slow_send_{database}"] = await slow_send(folder, await fresh(f"slow_{kind}"))
    report(results, questions, recipients)
    print(f"resultaten: {write_results('rolling', results)}")
    return results


def report(results: dict[str, Any], questions: int, recipients: int) -> None:
    headers = [
        "scenario",
        "database",
        "vragen kwijt",
        "2x beantwoord",
        "sorry",
        "niet bereikt",
        "2x bezorgd",
        "2x uitgedeeld",
        "A exit",
        "overdracht s",
        "stilte s",
        "berichten/s",
        "x 30/s",
        "429's",
    ]
    names = {
        "rolling": "rolling deploy",
        "rolling_steady": "rolling, gestage stroom",
        "side_by_side": "naast elkaar",
        "slow_send": "trage verzending",
    }
    rows = []
    for key, r in results.items():
        scenario, database = key.rsplit("_", 1)
        rows.append(
            [
                names[scenario],
                database,
                r["lost"] if r["questions"] else "",
                r["answered_twice"] if r["questions"] else "",
                r["apologies"] if r["questions"] else "",
                r["not_reached"],
                r["delivered_twice"],
                r.get("updates_handed_out_twice", ""),
                r.get("old_exit_code", ""),
                f"{r['hand_over_seconds']:.1f}" if "hand_over_seconds" in r else "",
                f"{r['longest_silence_seconds']:.1f}",
                f"{r['messages_per_second']:.1f}",
                f"{r['fraction_of_30']:.3f}",
                r["http_429"],
            ]
        )
    print(f"{questions} vragen en {recipients} ontvangers; trage verzending: {SLOW_RECIPIENTS} ontvangers")
    print(table(headers, rows))
    for key, r in results.items():
        targets = {
            "0 vragen kwijt": r["lost"] == 0,
            "0 vragen dubbel beantwoord": r["answered_twice"] == 0,
            "iedereen bereikt": r["not_reached"] == 0,
            "0 dubbel bezorgd": r["delivered_twice"] == 0,
            "alle outboxrijen klaar": r["outbox_final"],
        }
        if "old_exit_code" in r:
            targets["A stopt met exitcode 0"] = r["old_exit_code"] == 0
        r["targets"] = targets
        missed = [target for target, met in targets.items() if not met]
        print(f"{key}: {'alles gehaald' if not missed else 'NIET gehaald: ' + ', '.join(missed)}")


if __name__ == "__main__":
    quick = "--quick" in flags("--quick")
    asyncio.run(run(200, 200) if quick else run())
