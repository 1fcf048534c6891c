"""Planning reminders into the delivery outbox, inside the caller's transaction.

The outbox is the schedule: planning writes one pending row per (event, reminder moment, chat) and
re-planning makes the pending rows match the event and its audience again. It runs when events are
imported, added, moved or cancelled, and when a user's profile or subscriptions change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.ics import occurrence_key
from bot.services.schedule import QuietHours, alarms_from_json, reminder_moments
from db.agenda_repositories import (
    CANCELLED,
    PENDING,
    REMINDER,
    DeliveryRepository,
    EventRepository,
    PlannedRow,
    Recipient,
    SubscriptionRepository,
    split,
)
from db.models import Event
from db.repositories import UserRepository


class Planner:
    def __init__(self, quiet: QuietHours | None) -> None:
        self.quiet = quiet

    def moments(self, event: Event) -> list[datetime]:
        return reminder_moments(event.starts_at, alarms_from_json(event.alarms, event.category), self.quiet)

    async def plan_events(self, session: AsyncSession, events: Sequence[Event], now: datetime) -> None:
        """Re-plan these events for everyone in their audience; cancelled ones get their notices.

        In bulk: one recipients query per distinct (category, audience, schools), one pass over the
        pending rows of all these events, and the new rows inserted in batches.
        """
        for event in events:
            if event.cancelled:
                await self._notify_cancelled(session, event, now)
        desired = await self.reminders(session, events, now)
        if events:
            await DeliveryRepository(session).replace_pending(
                REMINDER, desired, now, [event.id for event in events], None
            )

    async def reminders(self, session: AsyncSession, events: Sequence[Event], now: datetime) -> list[PlannedRow]:
        """The reminders these events want, one per moment and recipient (moments past included);
        reads only, so an import's preview counts them with events not stored yet."""
        subscriptions = SubscriptionRepository(session)
        audiences: dict[tuple[str, str, str, str], list[Recipient]] = {}
        desired: list[PlannedRow] = []
        for event in events:
            if not event.cancelled and event.starts_at > now:
                group = (event.partnership, event.category, event.audience, event.schools)
                if group not in audiences:
                    audiences[group] = await subscriptions.recipients(
                        event.partnership, event.category, split(event.audience), split(event.schools)
                    )
                recipients = audiences[group]
                if not recipients:
                    continue  # no one to remind: the moments need not be worked out
                desired += [
                    PlannedRow(reminder_key(event.id, moment), r.chat_id, r.user_id, moment, event.starts_at)
                    for moment in self.moments(event)
                    for r in recipients
                ]
        return desired

    async def plan_user(self, session: AsyncSession, user_id: int, now: datetime) -> None:
        """Re-plan one user's reminders (after onboarding or a change of subscriptions)."""
        user = await UserRepository(session).get(user_id)
        desired: list[PlannedRow] = []
        if user is not None and user.partnership and user.chat is not None and user.chat.active:
            disabled = await SubscriptionRepository(session).disabled(user_id)
            for event in await EventRepository(session).upcoming(user.partnership, now):
                if event.category in disabled or not in_audience(event, user.role, user.school_id):
                    continue
                desired += [
                    PlannedRow(reminder_key(event.id, moment), user.chat.id, user_id, moment, event.starts_at)
                    for moment in self.moments(event)
                ]
        await DeliveryRepository(session).replace_pending(REMINDER, desired, now, [], user_id)

    async def _notify_cancelled(self, session: AsyncSession, event: Event, now: datetime) -> None:
        """Whoever was already reminded hears that it is off (once; not after the start)."""
        if event.starts_at <= now:
            return
        deliveries = DeliveryRepository(session)
        rows = [
            {
                "key": f"{CANCELLED}:{event.id}",
                "kind": CANCELLED,
                "chat_id": chat_id,
                "user_id": user_id,
                "event_id": event.id,
                "due_at": now,
                "not_after": event.starts_at,
                "status": PENDING,
                "attempts": 0,
                "created_at": now,
            }
            for chat_id, user_id in await deliveries.sent_chats(event.id)
        ]
        await deliveries.add(rows)


def reminder_key(event_id: int, moment: datetime) -> str:
    return f"{REMINDER}:{event_id}:{occurrence_key(moment)}"


def in_audience(event: Event, role: str | None, school_id: str | None) -> bool:
    """Whether someone with this role and school is in the event's audience."""
    roles, schools = split(event.audience), split(event.schools)
    return (not roles or role in roles) and (not schools or school_id in schools)
