"""The update processor: in order per chat, concurrent across chats, paced per private chat; floods paused."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import Chat, Message, Update, User

from bot.updates import ChatOrderedProcessor, FloodGuard


def update(update_id: int, chat_id: int) -> Update:
    user = User(abs(chat_id), "Fictief", is_bot=False)
    message = Message(update_id, date=None, chat=Chat(chat_id, "private" if chat_id > 0 else "group"), from_user=user)  # type: ignore[arg-type]
    return Update(update_id, message=message)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_one_chat_in_order_while_other_chats_go_ahead() -> None:
    processor = ChatOrderedProcessor(slots=4, chat_interval=0.0)
    await processor.initialize()
    log: list[str] = []
    first_may_finish = asyncio.Event()

    async def handle(name: str, wait: asyncio.Event | None = None) -> None:
        log.append(f"{name} begint")
        if wait is not None:
            await wait.wait()
        log.append(f"{name} klaar")

    anna_1 = asyncio.create_task(processor.process_update(update(1, 10), handle("anna-1", first_may_finish)))
    anna_2 = asyncio.create_task(processor.process_update(update(2, 10), handle("anna-2")))
    bram = asyncio.create_task(processor.process_update(update(3, 20), handle("bram")))
    await bram
    assert log == ["anna-1 begint", "bram begint", "bram klaar"]  # Anna's second waits for her first
    first_may_finish.set()
    await asyncio.gather(anna_1, anna_2)
    assert log[3:] == ["anna-1 klaar", "anna-2 begint", "anna-2 klaar"]


async def test_a_chat_with_a_queue_holds_at_most_one_slot() -> None:
    processor = ChatOrderedProcessor(slots=2, chat_interval=0.0)
    await processor.initialize()
    stuck = asyncio.Event()
    answered: list[int] = []

    async def flood() -> None:
        await stuck.wait()  # like a reply waiting out a 429

    async def question(chat_id: int) -> None:
        answered.append(chat_id)

    flooding = [asyncio.create_task(processor.process_update(update(n, 10), flood())) for n in range(1, 50)]
    await asyncio.sleep(0.01)
    await asyncio.wait_for(processor.process_update(update(99, 20), question(20)), 1)
    assert answered == [20]
    stuck.set()
    await asyncio.gather(*flooding)


async def test_a_private_chat_is_paced_after_a_short_burst(monkeypatch: Any) -> None:
    clock = Clock()
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(round(seconds, 3))
        clock.now += seconds

    processor = ChatOrderedProcessor(slots=4, chat_interval=1.0, chat_burst=3, clock=clock)
    await processor.initialize()
    monkeypatch.setattr("bot.updates.asyncio.sleep", fake_sleep)

    async def nothing() -> None:
        return None

    for number in range(5):
        await processor.process_update(update(number, 10), nothing())
    assert slept == [1.0, 1.0]  # three at once, then one per second
    clock.now += 10
    await processor.process_update(update(9, 10), nothing())
    assert slept == [1.0, 1.0]  # after a quiet while, no waiting


async def test_the_next_update_of_a_chat_starts_a_full_interval_after_the_previous_one_was_done(
    monkeypatch: Any,
) -> None:
    """Its reply then goes out at least a second after the previous reply, however long that one took."""
    clock = Clock()
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(round(seconds, 3))
        clock.now += seconds

    processor = ChatOrderedProcessor(slots=4, chat_interval=1.0, clock=clock)
    await processor.initialize()
    monkeypatch.setattr("bot.updates.asyncio.sleep", fake_sleep)

    async def slow_reply() -> None:
        clock.now += 0.6  # the reply goes out at the end of the handler

    for number in range(3):
        await processor.process_update(update(number, 10), slow_reply())
    assert slept == [1.0, 1.0]  # the default burst is one: no two replies within a second


async def test_refused_updates_are_not_handled_and_handled_ones_are_reported() -> None:
    done: list[int] = []

    async def after(handled: Update) -> None:
        done.append(handled.update_id)

    processor = ChatOrderedProcessor(slots=2, chat_interval=0.0, accept=lambda u: u.update_id != 2, after=after)  # type: ignore[attr-defined]
    await processor.initialize()
    ran: list[int] = []

    async def handle(number: int) -> None:
        ran.append(number)

    for number in (1, 2, 3):
        await processor.process_update(update(number, 10), handle(number))
    assert (ran, done) == ([1, 3], [1, 3])


def test_flood_guard_allows_a_burst_then_one_notice_then_silence_until_quiet() -> None:
    clock = Clock()
    guard = FloodGuard(limit=3, window=30, clock=clock)
    allowed = [guard.allows(7) for _ in range(5)]
    assert allowed == [True, True, True, False, False]
    assert guard.first_refusal(7)
    assert not guard.first_refusal(7)
    assert guard.allows(8)  # someone else is not affected
    clock.now += 31
    assert guard.allows(7)
    assert guard.first_refusal(7) is True  # a new flood gets a new notice


def test_the_flood_guard_forgets_warned_users_who_went_quiet(monkeypatch: Any) -> None:
    monkeypatch.setattr("bot.updates.REMEMBERED_USERS", 10)
    clock = Clock()
    guard = FloodGuard(limit=1, window=1.0, clock=clock)
    for user_id in range(20):
        guard.allows(user_id)
        guard.allows(user_id)
        assert guard.first_refusal(user_id)
    clock.now += 5
    guard.allows(100)
    assert len(guard._warned) <= 10
    assert len(guard._recent) <= 10
