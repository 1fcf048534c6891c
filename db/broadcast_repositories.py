"""Data access for broadcasts and their outbox rows. Like db/repositories.py: never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from db.agenda_repositories import BLOCKED, FAILED, MESSAGE, PENDING, SENDING, SKIPPED, DeliveryRepository, Recipient
from db.models import Broadcast, Chat, Delivery, Subscription, User

CONCEPT, SCHEDULED, SENDING_NOW, DONE, CANCELLED_BROADCAST = "concept", "scheduled", "sending", "done", "cancelled"
OPEN = (SCHEDULED, SENDING_NOW)
BROADCAST, REPORT = "broadcast", "broadcast-report"


def broadcast_key(broadcast_id: int) -> str:
    return f"{BROADCAST}:{broadcast_id}"


def report_key(broadcast_id: int) -> str:
    return f"{REPORT}:{broadcast_id}"


def is_broadcast_key(key: str) -> bool:
    return key.startswith(f"{BROADCAST}:")


class BroadcastRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, broadcast_id: int) -> Broadcast | None:
        return await self.session.get(Broadcast, broadcast_id)

    async def concept_of(self, author_id: int, partnership: str) -> Broadcast | None:
        """The author's draft for this partnership (the newest, should there be more)."""
        statement = (
            select(Broadcast)
            .where(Broadcast.author_id == author_id, Broadcast.partnership == partnership, Broadcast.status == CONCEPT)
            .order_by(Broadcast.id.desc())
            .limit(1)
        )
        return (await self.session.scalars(statement)).first()

    async def recent(self, partnership: str, limit: int) -> list[Broadcast]:
        """Broadcasts that were sent, are being sent or are planned (no drafts), newest first."""
        statement = (
            select(Broadcast)
            .where(Broadcast.partnership == partnership, Broadcast.status != CONCEPT)
            .order_by(Broadcast.id.desc())
            .limit(limit)
        )
        return list(await self.session.scalars(statement))

    async def planned(self, partnership: str, now: datetime) -> list[Broadcast]:
        """Confirmed broadcasts whose moment is still to come, soonest first."""
        statement = (
            select(Broadcast)
            .where(Broadcast.partnership == partnership, Broadcast.status == SCHEDULED, Broadcast.due_at > now)
            .order_by(Broadcast.due_at, Broadcast.id)
        )
        return list(await self.session.scalars(statement))

    async def due_open(self, now: datetime) -> list[Broadcast]:
        """Broadcasts whose moment has come and whose report is not queued yet."""
        statement = select(Broadcast).where(
            Broadcast.status.in_(OPEN), or_(Broadcast.due_at.is_(None), Broadcast.due_at <= now)
        )
        return list(await self.session.scalars(statement.order_by(Broadcast.id)))

    async def audience(
        self,
        partnership: str,
        roles: Sequence[str],
        school_id: str | None,
        category: str | None,
        reminded: Sequence[tuple[Sequence[str], Sequence[str]]] = (),
    ) -> list[Recipient]:
        """Users of the partnership reachable in private (active chat) who are in the audience.

        With a ``category``: who gets its reminders, that is, not opted out and in one of the
        ``reminded`` audiences, each (roles, schools) as an event stores them (empty: everyone).
        """
        statement = (
            select(User.id, User.chat_id)
            .join(Chat, Chat.id == User.chat_id)
            .where(User.partnership == partnership, Chat.active.is_(True))
        )
        if roles:
            statement = statement.where(User.role.in_(roles))
        if school_id is not None:
            statement = statement.where(User.school_id == school_id)
        if category is not None:
            opted_out = exists().where(
                Subscription.user_id == User.id, Subscription.category == category, Subscription.enabled.is_(False)
            )
            statement = statement.where(~opted_out, or_(false(), *(_in_audience(r, s) for r, s in reminded)))
        rows = await self.session.execute(statement.order_by(User.id))
        return [Recipient(user_id, chat_id) for user_id, chat_id in rows if chat_id is not None]

    async def enqueue(
        self, key: str, recipients: Sequence[Recipient], text: str, due_at: datetime, now: datetime
    ) -> None:
        rows: list[dict[str, Any]] = [
            {
                "key": key,
                "kind": MESSAGE,
                "chat_id": r.chat_id,
                "user_id": r.user_id,
                "text": text,
                "due_at": due_at,
                "status": PENDING,
                "attempts": 0,
                "created_at": now,
            }
            for r in recipients
        ]
        await DeliveryRepository(self.session).add(rows)

    async def status_counts(self, keys: Sequence[str]) -> dict[str, dict[str, int]]:
        """Outbox rows per key and status."""
        if not keys:
            return {}
        statement = (
            select(Delivery.key, Delivery.status, func.count())
            .where(Delivery.key.in_(keys))
            .group_by(Delivery.key, Delivery.status)
        )
        counts: dict[str, dict[str, int]] = {key: {} for key in keys}
        for key, status, number in await self.session.execute(statement):
            counts[key][status] = number
        return counts

    async def reasons(self, key: str) -> list[tuple[str, str, int]]:
        """(status, reason, count) of the rows that were not sent, most frequent first."""
        statement = (
            select(Delivery.status, Delivery.last_error, func.count())
            .where(Delivery.key == key, Delivery.status.in_([FAILED, SKIPPED, BLOCKED]))
            .group_by(Delivery.status, Delivery.last_error)
        )
        found = [(status, error or "", number) for status, error, number in await self.session.execute(statement)]
        return sorted(found, key=lambda row: (-row[2], row[1]))

    async def unfinished(self, key: str) -> bool:
        statement = select(exists().where(Delivery.key == key, Delivery.status.in_([PENDING, SENDING])))
        return bool((await self.session.execute(statement)).scalar())

    async def drop_pending(self, key: str) -> int:
        result = await self.session.execute(delete(Delivery).where(Delivery.key == key, Delivery.status == PENDING))
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def drop_pending_of_user(self, user_id: int, categories: Sequence[str]) -> int:
        """Unsubscribing from a category: the user's pending broadcasts to its subscribers go at once."""
        statement = select(Broadcast.id).where(Broadcast.category.in_(categories), Broadcast.status.in_(OPEN))
        keys = [broadcast_key(broadcast_id) for broadcast_id in await self.session.scalars(statement)]
        if not keys:
            return 0
        result = await self.session.execute(
            delete(Delivery).where(Delivery.user_id == user_id, Delivery.status == PENDING, Delivery.key.in_(keys))
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


__all__ = [
    "BROADCAST",
    "CANCELLED_BROADCAST",
    "CONCEPT",
    "DONE",
    "OPEN",
    "REPORT",
    "SCHEDULED",
    "SENDING_NOW",
    "BroadcastRepository",
    "broadcast_key",
    "is_broadcast_key",
    "report_key",
]


def _in_audience(roles: Sequence[str], schools: Sequence[str]) -> Any:
    """The SQL condition of ``bot.services.planning.in_audience``."""
    condition: Any = true()
    if roles:
        condition = and_(condition, User.role.in_(roles))
    if schools:
        condition = and_(condition, User.school_id.in_(schools))
    return condition
