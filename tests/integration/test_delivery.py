"""The dispatcher against the fake Bot API: 429, 403, a migrated group, refused messages, on both databases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from telegram import Bot

from bot.delivery import Dispatcher
from bot.services import Services
from bot.settings import Settings
from db.agenda_repositories import BLOCKED, FAILED, MESSAGE, PENDING, SENT, DeliveryRepository
from db.engine import SessionFactory, create_engine, session_factory
from db.migrate import upgrade
from db.models import Chat, Delivery
from db.repositories import ChatRepository
from knowledge import Matcher
from tests.fake_bot_api import TOKEN, FakeBotAPI
from tests.moments import NOW

pytestmark = pytest.mark.dates  # also run at awkward moments by .ci/run (tests/moments.py)


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=api.base_url) as telegram_bot:
        yield telegram_bot


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


async def queue(sessions: SessionFactory, *chats: tuple[int, str]) -> None:
    """A broadcast-like message per chat, due now."""
    async with sessions.begin() as session:
        for chat_id, chat_type in chats:
            await ChatRepository(session).upsert(chat_id, chat_type, None)
        await DeliveryRepository(session).add(
            [
                {
                    "key": "bericht:1",
                    "kind": MESSAGE,
                    "chat_id": chat_id,
                    "text": "Fictief <b>bericht</b>",
                    "due_at": NOW,
                    "status": PENDING,
                    "attempts": 0,
                    "created_at": NOW,
                }
                for chat_id, _ in chats
            ]
        )


async def statuses(sessions: SessionFactory) -> dict[int, tuple[str, str | None]]:
    async with sessions() as session:
        found = await session.scalars(select(Delivery))
        return {d.chat_id: (d.status, d.last_error) for d in found}


def dispatcher(sessions: SessionFactory, matcher: Matcher, bot: Bot, clock: Clock) -> Dispatcher:
    return Dispatcher(Services(Settings(), matcher, sessions, clock=clock), bot)


async def test_blocked_users_get_the_blocked_status_and_are_marked_inactive_the_others_get_it(
    api: FakeBotAPI, bot: Bot, sessions: SessionFactory, matcher: Matcher
) -> None:
    await queue(sessions, (8301, "private"), (8302, "private"), (8303, "private"))
    api.blocked_chats.add(8302)
    api.deactivated_chats.add(8303)
    handled = await dispatcher(sessions, matcher, bot, Clock()).tick()
    assert handled == 3
    assert [m["text"] for m in api.sent_to(8301)] == ["Fictief bericht"]
    found = await statuses(sessions)
    assert found[8301] == (SENT, None)
    assert found[8302][0] == BLOCKED
    assert "blocked" in (found[8302][1] or "")
    assert found[8303][0] == BLOCKED  # a deleted account: 403 as well
    async with sessions() as session:
        assert {c.id: c.active for c in await session.scalars(select(Chat))} == {8301: True, 8302: False, 8303: False}


async def test_429_is_retried_after_the_wait_telegram_asks(
    api: FakeBotAPI, bot: Bot, sessions: SessionFactory, matcher: Matcher
) -> None:
    await queue(sessions, (8311, "private"))
    api.rate_limit_next, api.retry_after = 1, 7
    clock = Clock()
    sender = dispatcher(sessions, matcher, bot, clock)
    await sender.tick()
    assert (await statuses(sessions))[8311][0] == PENDING
    assert api.sent_to(8311) == []
    clock.now = NOW + timedelta(seconds=6)
    assert await sender.tick() == 0  # not before retry_after
    clock.now = NOW + timedelta(seconds=7)
    assert await sender.tick() == 1
    assert (await statuses(sessions))[8311] == (SENT, None)
    assert len(api.sent_to(8311)) == 1


async def test_a_migrated_group_gets_it_under_its_new_id(
    api: FakeBotAPI, bot: Bot, sessions: SessionFactory, matcher: Matcher
) -> None:
    await queue(sessions, (-4600, "group"))
    api.migrated_chats[-4600] = -1004600
    clock = Clock()
    assert await dispatcher(sessions, matcher, bot, clock).tick() == 2  # once refused, once delivered
    assert [m["text"] for m in api.sent_to(-1004600)] == ["Fictief bericht"]
    found = await statuses(sessions)
    assert found == {-1004600: (SENT, None)}


async def test_a_refused_message_fails_with_the_reason_and_errors_back_off(
    api: FakeBotAPI, bot: Bot, sessions: SessionFactory, matcher: Matcher
) -> None:
    await queue(sessions, (8321, "private"))
    api.unknown_chats.add(8321)
    await dispatcher(sessions, matcher, bot, Clock()).tick()
    status, error = (await statuses(sessions))[8321]
    assert status == FAILED
    assert "chat not found" in (error or "").lower()


async def test_a_transient_error_is_retried_later_with_back_off(
    api: FakeBotAPI, bot: Bot, sessions: SessionFactory, matcher: Matcher
) -> None:
    await queue(sessions, (8331, "private"))
    api.bad_gateway_next = 1
    clock = Clock()
    sender = dispatcher(sessions, matcher, bot, clock)
    assert await sender.tick() == 1
    status, error = (await statuses(sessions))[8331]
    assert status == PENDING
    assert "Bad Gateway" in (error or "")
    assert await sender.tick() == 0  # backed off
    clock.now = NOW + timedelta(seconds=5)
    assert await sender.tick() == 1
    assert (await statuses(sessions))[8331] == (SENT, None)
    async with sessions() as session:
        [row] = await session.scalars(select(Delivery))
        assert row.attempts == 2


async def test_two_instances_on_one_database_never_send_a_message_twice(
    api: FakeBotAPI, bot: Bot, database_url: str, matcher: Matcher
) -> None:
    engines = [create_engine(database_url) for _ in range(2)]
    try:
        await upgrade(engines[0])
        first = session_factory(engines[0])
        await queue(first, *((8400 + n, "private") for n in range(40)))
        dispatchers = [dispatcher(session_factory(engine), matcher, bot, Clock()) for engine in engines]
        handled = await asyncio.gather(*(d.tick() for d in dispatchers))
        assert sum(handled) == 40
        assert all(len(api.sent_to(8400 + n)) == 1 for n in range(40))
        assert {status for status, _ in (await statuses(first)).values()} == {SENT}
    finally:
        for engine in engines:
            await engine.dispose()
