"""Leases and fencing in the outbox, on SQLite and PostgreSQL: a send under way is never repeated, an
outcome is written only by the claim that still owns the row, and a sent row never goes back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from telegram import Bot

import bot.delivery
from bot.delivery import Dispatcher
from bot.services import Outcome, Outgoing, Result, Services
from db.agenda_repositories import BLOCKED, FAILED, MESSAGE, PENDING, SENT, DeliveryRepository
from db.engine import SessionFactory
from db.models import Chat, Delivery
from db.repositories import ChatRepository
from knowledge import Matcher
from tests.factories import services_for
from tests.fake_bot_api import TOKEN, FakeBotAPI
from tests.moments import NOW

pytestmark = pytest.mark.dates  # also run at awkward moments by .ci/run (tests/moments.py)

LEASE = 60.0


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def running_clock() -> Clock:
    """A clock that starts at NOW and runs with real time (for sends that really take long)."""
    start = time.monotonic()

    class Running(Clock):
        def __call__(self) -> datetime:
            return NOW + timedelta(seconds=time.monotonic() - start)

    return Running()


@pytest.fixture
async def telegram(api: FakeBotAPI) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=api.base_url) as telegram_bot:
        yield telegram_bot


async def queue(sessions: SessionFactory, *chat_ids: int, due: datetime = NOW) -> None:
    async with sessions.begin() as session:
        for chat_id in chat_ids:
            await ChatRepository(session).upsert(chat_id, "private", None)
        await DeliveryRepository(session).add(
            [
                {
                    "key": "bericht:1",
                    "kind": MESSAGE,
                    "chat_id": chat_id,
                    "text": "Fictief bericht",
                    "due_at": due,
                    "status": PENDING,
                    "attempts": 0,
                    "created_at": due,
                }
                for chat_id in chat_ids
            ]
        )


async def statuses(sessions: SessionFactory) -> dict[int, str]:
    async with sessions() as session:
        return {d.chat_id: d.status for d in await session.scalars(select(Delivery))}


def instance(sessions: SessionFactory, matcher: Matcher, clock: Clock, **settings: object) -> Services:
    """One running copy of the bot: its own Services, so its own lease owner."""
    return services_for(sessions, matcher, clock, **({"delivery_claim_timeout_seconds": LEASE} | settings))


def sent(outgoing: Outgoing) -> Outcome:
    return Outcome(outgoing.id, outgoing.chat_id, Result.SENT, attempts=outgoing.attempts)


async def test_an_outcome_of_a_claim_that_was_taken_over_is_dropped_and_a_sent_row_stays_sent(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    await queue(sessions, 8701)
    first, second = instance(sessions, matcher, Clock()), instance(sessions, matcher, Clock())
    assert first.instance != second.instance
    [mine] = await first.deliveries.claim(NOW, 5)
    assert await second.deliveries.claim(NOW + timedelta(seconds=LEASE - 1), 5) == []  # the lease holds
    [taken_over] = await second.deliveries.claim(NOW + timedelta(seconds=LEASE + 1), 5)  # the first hangs
    assert (taken_over.id, taken_over.attempts) == (mine.id, mine.attempts + 1)
    assert await second.deliveries.record([sent(taken_over)], NOW + timedelta(seconds=LEASE + 2)) == 1
    # The first claim comes back late: neither a retry nor a success of it changes the row.
    late = NOW + timedelta(seconds=LEASE + 3)
    retry = Outcome(mine.id, mine.chat_id, Result.RETRY, error="TimedOut", attempts=mine.attempts)
    assert await first.deliveries.record([retry, sent(mine)], late) == 0
    assert await statuses(sessions) == {8701: SENT}
    assert await first.deliveries.claim(late + timedelta(days=1), 5) == []


async def test_a_renewed_lease_keeps_a_slow_send_and_lapses_only_when_renewing_stops(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    await queue(sessions, 8711)
    first, second = instance(sessions, matcher, Clock()), instance(sessions, matcher, Clock())
    [mine] = await first.deliveries.claim(NOW, 5)
    renewed_at = NOW + timedelta(seconds=LEASE * 2 / 3)
    assert await first.deliveries.renew([mine.fence], renewed_at) == 1
    assert await second.deliveries.claim(NOW + timedelta(seconds=LEASE + 1), 5) == []
    [taken_over] = await second.deliveries.claim(renewed_at + timedelta(seconds=LEASE + 1), 5)
    assert taken_over.id == mine.id
    assert await first.deliveries.renew([mine.fence], renewed_at + timedelta(seconds=LEASE + 2)) == 0  # not ours


async def test_a_send_slower_than_the_lease_is_delivered_once_with_two_instances(
    api: FakeBotAPI, telegram: Bot, sessions: SessionFactory, matcher: Matcher
) -> None:
    await queue(sessions, 8721)
    clock = running_clock()
    lease = 1.5  # the send below stays under PTB's 5 s read time-out
    api.send_delay = 2.5 * lease  # far longer than the lease: only renewing keeps the row
    first = Dispatcher(instance(sessions, matcher, clock, delivery_claim_timeout_seconds=lease), telegram)
    second = Dispatcher(instance(sessions, matcher, clock, delivery_claim_timeout_seconds=lease), telegram)
    sending = asyncio.create_task(first.tick())
    await api.wait_until(lambda: api.calls_to("sendMessage"))
    await asyncio.sleep(1.5 * lease)  # past the first lease: the second instance polls meanwhile
    assert await second.tick() == 0
    assert await sending == 1
    assert await second.tick() == 0
    assert len(api.calls_to("sendMessage")) == 1
    assert await statuses(sessions) == {8721: SENT}


async def test_one_row_that_breaks_fails_alone_and_the_rest_of_its_batch_is_not_sent_again(
    api: FakeBotAPI, telegram: Bot, sessions: SessionFactory, matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    await queue(sessions, 8731, 8732, 8733)
    render = bot.delivery.render

    def broken_for_one(outgoing: Outgoing) -> tuple[str, object]:
        if outgoing.chat_id == 8732:
            raise KeyError("a bug in rendering")
        return render(outgoing)

    monkeypatch.setattr(bot.delivery, "render", broken_for_one)
    clock = Clock()
    dispatcher = Dispatcher(instance(sessions, matcher, clock), telegram)
    assert await dispatcher.tick() == 3
    clock.now = NOW + timedelta(seconds=LEASE * 10)
    assert await dispatcher.tick() == 0
    assert await statuses(sessions) == {8731: SENT, 8732: FAILED, 8733: SENT}
    assert [len(api.sent_to(chat)) for chat in (8731, 8732, 8733)] == [1, 0, 1]


async def test_blocked_and_unknown_chats_are_marked_inactive(
    api: FakeBotAPI, telegram: Bot, sessions: SessionFactory, matcher: Matcher
) -> None:
    await queue(sessions, 8741, 8742, 8743)
    api.blocked_chats.add(8741)
    api.unknown_chats.add(8742)
    await Dispatcher(instance(sessions, matcher, Clock()), telegram).tick()
    assert await statuses(sessions) == {8741: BLOCKED, 8742: FAILED, 8743: SENT}
    async with sessions() as session:
        assert {c.id: c.active for c in await session.scalars(select(Chat))} == {8741: False, 8742: False, 8743: True}


async def test_finished_rows_are_purged_after_the_retention_period_and_pending_ones_stay(
    api: FakeBotAPI, telegram: Bot, sessions: SessionFactory, matcher: Matcher
) -> None:
    await queue(sessions, 8751, 8752)
    services = instance(sessions, matcher, Clock())
    await Dispatcher(services, telegram).tick()
    await queue(sessions, 8753, due=NOW + timedelta(days=400))  # planned far ahead: still to come
    retention = services.settings.delivery_retention_days
    assert await services.deliveries.purge_old(retention, NOW + timedelta(days=retention - 1)) == 0
    assert await services.deliveries.purge_old(retention, NOW + timedelta(days=retention + 1)) == 2
    assert await statuses(sessions) == {8753: PENDING}


async def test_after_a_429_the_outbox_claims_nothing_more_until_its_next_run(
    api: FakeBotAPI, telegram: Bot, sessions: SessionFactory, matcher: Matcher
) -> None:
    """A 429 usually means the whole bot is over Telegram's limit (another instance, a restart): the
    rest waits for the next poll instead of earning a 429 each."""
    await queue(sessions, 8761, 8762, 8763)
    api.rate_limit_next, api.retry_after = 1, 5
    clock = Clock()
    dispatcher = Dispatcher(instance(sessions, matcher, clock, delivery_batch_size=1), telegram)
    assert await dispatcher.tick() == 1
    assert sorted((await statuses(sessions)).values()) == [PENDING, PENDING, PENDING]
    assert await dispatcher.tick() == 2  # the next run: the two that waited; the first waits for retry_after
    clock.now = NOW + timedelta(seconds=5)
    assert await dispatcher.tick() == 1
    assert await statuses(sessions) == {8761: SENT, 8762: SENT, 8763: SENT}
    assert len([c for c in api.calls if c.status == 429]) == 1
