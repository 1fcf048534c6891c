"""The delivery outbox, seen from the dispatcher: claim due rows, then record what happened.

Delivery is at least once, never twice for a confirmed row: a row is claimed (status ``sending``) in
one short transaction, sent with no transaction open, and then marked. A process that dies between
sending and marking leaves the rows it had in flight in ``sending``: at most ``DELIVERY_BATCH_SIZE``
(5 by default), because the dispatcher claims a row only when it has a free slot to send it. After
``DELIVERY_CLAIM_TIMEOUT_SECONDS`` any instance claims them again, so those few may arrive twice.
Nothing else is ever sent twice: the unique (key, chat) of every row, and on PostgreSQL
``FOR UPDATE SKIP LOCKED``, keep two instances from claiming the same row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.services.agenda import EventView
from bot.services.writes import ProfileCache, WriteBehind
from db.agenda_repositories import (
    CANCELLED,
    FAILED,
    PENDING,
    REMINDER,
    SENT,
    SKIPPED,
    Claimed,
    DeliveryRepository,
)
from db.models import Event
from db.repositories import ChatRepository

MAX_ATTEMPTS = 8
BACKOFF_SECONDS = (5, 15, 60, 300, 900, 1800, 3600)
STARTED = "de bijeenkomst is al begonnen"
INACTIVE = "chat is niet meer bereikbaar"
CALLED_OFF = "de bijeenkomst gaat niet door"


class Result(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # transient: network, time-out, 429 after the rate limiter's own retries
    FAILED = "failed"  # permanent: Telegram refused the message itself
    BLOCKED = "blocked"  # 403: the user blocked the bot or is gone
    MIGRATED = "migrated"  # the group became a supergroup with a new id


@dataclass(frozen=True)
class Outgoing:
    """One message to send: a reminder or cancellation (with its event) or a ready text."""

    id: int
    kind: str
    chat_id: int
    user_id: int | None
    event: EventView | None
    text: str | None
    attempts: int = 1
    key: str = ""


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    chat_id: int
    result: Result
    error: str | None = None
    retry_after: float | None = None
    new_chat_id: int | None = None
    attempts: int = 1


class DeliveryService:
    def __init__(
        self, writes: WriteBehind, cache: ProfileCache, view: Callable[[Event], EventView], claim_timeout: int
    ) -> None:
        self.writes = writes
        self.cache = cache
        self.view = view
        self.claim_timeout = timedelta(seconds=claim_timeout)

    async def claim(self, now: datetime, limit: int) -> list[Outgoing]:
        """Claim due rows; rows that must not go out any more are skipped here, with the reason."""
        async with self.writes.transaction() as session:
            deliveries = DeliveryRepository(session)
            claimed = await deliveries.claim(now, limit, now - self.claim_timeout)
            if not claimed:
                return []
            active = await deliveries.active_chats(c.chat_id for c in claimed)
            events = await deliveries.events(c.event_id for c in claimed if c.event_id is not None)
            outgoing = []
            for row in claimed:
                reason = _reason_to_skip(row, active, events, now)
                if reason is not None:
                    await deliveries.finish(row.id, SKIPPED, now, reason)
                    continue
                event = events.get(row.event_id) if row.event_id is not None else None
                view = self.view(event) if event is not None else None
                outgoing.append(
                    Outgoing(row.id, row.kind, row.chat_id, row.user_id, view, row.text, row.attempts, row.key)
                )
        return outgoing

    async def record(self, outcomes: list[Outcome], now: datetime) -> None:
        """Mark every outcome of one batch in one transaction."""
        blocked: set[int] = set()
        async with self.writes.transaction() as session:
            deliveries = DeliveryRepository(session)
            for outcome in outcomes:
                await _record_one(deliveries, outcome, now)
                if outcome.result == Result.BLOCKED:
                    blocked.add(outcome.chat_id)
                if outcome.result == Result.MIGRATED and outcome.new_chat_id is not None:
                    chats = ChatRepository(session)
                    await chats.upsert(outcome.new_chat_id, "supergroup", None)
                    await deliveries.move_chat(outcome.chat_id, outcome.new_chat_id)
                    await chats.mark_blocked(outcome.chat_id)
            for chat_id in blocked:
                await ChatRepository(session).mark_blocked(chat_id)
        for chat_id in blocked:
            self.cache.forget_chat(chat_id)

    async def next_due(self) -> datetime | None:
        async with self.writes.sessions() as session:
            return await DeliveryRepository(session).next_due()


async def _record_one(deliveries: DeliveryRepository, outcome: Outcome, now: datetime) -> None:
    match outcome.result:
        case Result.SENT:
            await deliveries.finish(outcome.delivery_id, SENT, now)
        case Result.BLOCKED:
            await deliveries.finish(outcome.delivery_id, SKIPPED, now, f"geblokkeerd: {outcome.error}")
        case Result.FAILED:
            await deliveries.finish(outcome.delivery_id, FAILED, now, outcome.error)
        case Result.MIGRATED:
            pass  # moved to the new chat id as pending by move_chat
        case Result.RETRY:
            tried = outcome.attempts
            if tried >= MAX_ATTEMPTS:
                await deliveries.finish(outcome.delivery_id, FAILED, now, f"na {tried} pogingen: {outcome.error}")
                return
            wait = outcome.retry_after or BACKOFF_SECONDS[min(tried - 1, len(BACKOFF_SECONDS) - 1)]
            retry_at = now + timedelta(seconds=wait)
            await deliveries.finish(outcome.delivery_id, PENDING, now, outcome.error, retry_at)


def _reason_to_skip(row: Claimed, active: set[int], events: dict[int, Event], now: datetime) -> str | None:
    if row.chat_id not in active:
        return INACTIVE
    event = events.get(row.event_id) if row.event_id is not None else None
    if row.kind in (REMINDER, CANCELLED) and event is None:
        return CALLED_OFF
    if event is not None and row.kind == REMINDER and event.cancelled:
        return CALLED_OFF
    start = event.starts_at if event is not None else row.not_after
    if start is not None and start <= now:
        return STARTED
    return None
