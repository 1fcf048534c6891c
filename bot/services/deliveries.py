"""The delivery outbox, seen from the dispatcher: claim due rows, then record what happened.

Leases with fencing: a row is claimed (status ``sending``) for one instance (``owner``) until
``lease_until``, in one short transaction, and each claim raises ``attempts``: the fencing token.
The row is sent with no transaction open; while the send is under way the dispatcher renews the
lease, so a slow send (a 429 storm, a slow network) is never claimed again. The outcome is written
only while the row is still that claim's: an outcome whose claim was taken over is dropped, and a
sent row never goes back to pending. A process that dies (or hangs past its lease) leaves at most
the rows it had in flight, ``DELIVERY_BATCH_SIZE`` (5 by default); once their lease of
``DELIVERY_CLAIM_TIMEOUT_SECONDS`` ran out any instance claims them again, so those few may arrive
twice. Nothing else is ever sent twice: the unique (key, chat) of every row, and on PostgreSQL
``FOR UPDATE SKIP LOCKED``, keep two instances from claiming the same row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.services.agenda import EventView
from bot.services.writes import ProfileCache, WriteBehind
from db.agenda_repositories import (
    BLOCKED,
    CANCELLED,
    FAILED,
    PENDING,
    REMINDER,
    SENT,
    SKIPPED,
    Claimed,
    DeliveryRepository,
    Fence,
)
from db.models import Event
from db.repositories import ChatRepository

logger = logging.getLogger(__name__)
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
    UNREACHABLE = "unreachable"  # 400 "chat not found": failed, and the chat is marked inactive
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
    attempts: int = 1  # this claim's attempt: the fencing token its outcome carries
    key: str = ""

    @property
    def fence(self) -> Fence:
        return Fence(self.id, self.attempts)


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    chat_id: int
    result: Result
    error: str | None = None
    retry_after: float | None = None
    new_chat_id: int | None = None
    attempts: int = 1

    @property
    def fence(self) -> Fence:
        return Fence(self.delivery_id, self.attempts)


class DeliveryService:
    def __init__(
        self,
        writes: WriteBehind,
        cache: ProfileCache,
        view: Callable[[Event], EventView],
        lease_seconds: float,
        owner: str,
    ) -> None:
        self.writes = writes
        self.cache = cache
        self.view = view
        self.lease = timedelta(seconds=lease_seconds)
        self.owner = owner

    async def claim(self, now: datetime, limit: int) -> list[Outgoing]:
        """Claim due rows; rows that must not go out any more are skipped here, with the reason."""
        async with self.writes.transaction() as session:
            deliveries = DeliveryRepository(session)
            claimed = await deliveries.claim(now, limit, self.owner, now + self.lease)
            if not claimed:
                return []
            active = await deliveries.active_chats(c.chat_id for c in claimed)
            events = await deliveries.events(c.event_id for c in claimed if c.event_id is not None)
            outgoing = []
            for row in claimed:
                reason = _reason_to_skip(row, active, events, now)
                if reason is not None:
                    await deliveries.finish(row.fence, SKIPPED, now, reason)
                    continue
                event = events.get(row.event_id) if row.event_id is not None else None
                view = self.view(event) if event is not None else None
                outgoing.append(
                    Outgoing(row.id, row.kind, row.chat_id, row.user_id, view, row.text, row.attempts, row.key)
                )
        return outgoing

    async def renew(self, claims: list[Fence], now: datetime) -> int:
        """A send under way keeps its rows: their leases run ``lease`` from now. Returns how many are still ours."""
        async with self.writes.transaction() as session:
            return await DeliveryRepository(session).renew(claims, now + self.lease)

    async def record(self, outcomes: list[Outcome], now: datetime) -> int:
        """Mark every outcome of one batch in one transaction; returns how many were written (an
        outcome whose claim was taken over meanwhile is dropped)."""
        blocked: set[int] = set()
        written = 0
        async with self.writes.transaction() as session:
            deliveries = DeliveryRepository(session)
            for outcome in outcomes:
                if not await _record_one(deliveries, outcome, now):
                    logger.warning(
                        "delivery %d: its claim was taken over; this outcome is dropped", outcome.delivery_id
                    )
                    continue
                written += 1
                if outcome.result in (Result.BLOCKED, Result.UNREACHABLE):
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
        return written

    async def purge_old(self, retention_days: int, now: datetime) -> int:
        """Rows done with, older than the retention period, go (the unique key of a reminder long past
        is no longer needed: a reminder is planned only for a moment still to come)."""
        async with self.writes.transaction() as session:
            return await DeliveryRepository(session).purge_final(now - timedelta(days=retention_days))

    async def next_due(self) -> datetime | None:
        async with self.writes.sessions() as session:
            return await DeliveryRepository(session).next_due()


async def _record_one(deliveries: DeliveryRepository, outcome: Outcome, now: datetime) -> bool:
    """Write one outcome under its claim's fence; False when the claim is no longer the row's."""
    claim = outcome.fence
    match outcome.result:
        case Result.SENT:
            return await deliveries.finish(claim, SENT, now)
        case Result.BLOCKED:
            return await deliveries.finish(claim, BLOCKED, now, outcome.error)
        case Result.FAILED | Result.UNREACHABLE:
            return await deliveries.finish(claim, FAILED, now, outcome.error)
        case Result.MIGRATED:
            # back to pending under the fence; move_chat then moves it to the new chat id
            return await deliveries.finish(claim, PENDING, now, outcome.error)
        case Result.RETRY:
            tried = outcome.attempts
            if tried >= MAX_ATTEMPTS:
                return await deliveries.finish(claim, FAILED, now, f"na {tried} pogingen: {outcome.error}")
            wait = outcome.retry_after or BACKOFF_SECONDS[min(tried - 1, len(BACKOFF_SECONDS) - 1)]
            return await deliveries.finish(claim, PENDING, now, outcome.error, now + timedelta(seconds=wait))


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
