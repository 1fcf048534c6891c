"""Planning reminders into the delivery outbox, inside the caller's transaction.

The outbox is the schedule: planning writes one pending row per (event, reminder moment, chat) and
re-planning makes the pending rows match the event and its audience again. It runs when events are
imported, added, moved or cancelled, and when a user's profile or subscriptions change.
"""

from __future__ import annotations

from collections import Counter
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
    PlannedMoment,
    PlannedRow,
    Recipient,
    SubscriptionRepository,
    recipients_statement,
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
        pending rows of all these events (those no longer wanted go, the others stay as they are), and
        the missing rows made by the database from the recipients query, per audience.
        """
        if not events:
            return  # nothing to re-plan (an empty import, an unknown UID): no pending row is touched
        for event in events:
            if event.cancelled:
                await self._notify_cancelled(session, event, now)
        upcoming = [event for event in events if not event.cancelled and event.starts_at > now]
        audiences = await self._audiences(session, upcoming)
        moments = {
            event.id: {reminder_key(event.id, moment): moment for moment in self.moments(event)}
            for event in upcoming
            if audiences[audience_of(event)]
        }
        chats = {audience: {r.chat_id for r in found} for audience, found in audiences.items()}
        audience_by_id = {event.id: audience_of(event) for event in upcoming}

        def wanted(event_id: int | None, key: str, chat_id: int) -> bool:
            return event_id in moments and key in moments[event_id] and chat_id in chats[audience_by_id[event_id]]

        deliveries = DeliveryRepository(session)
        kept = Counter(key for key, _ in await deliveries.drop_stale(REMINDER, wanted, [e.id for e in events], None))
        missing: dict[Audience, list[PlannedMoment]] = {}
        for event in upcoming:
            reached = chats[audience_by_id[event.id]]
            for key, moment in moments.get(event.id, {}).items():
                if moment > now and kept[key] < len(reached):
                    missing.setdefault(audience_by_id[event.id], []).append(
                        PlannedMoment(key, event.id, moment, event.starts_at)
                    )
        for audience, planned in missing.items():
            await deliveries.add_for_each(REMINDER, planned, recipients_statement(*criteria(audience)), now)

    async def reminder_count(self, session: AsyncSession, events: Sequence[Event], now: datetime) -> int:
        """How many reminders these events would plan; reads only, so an import's preview counts them
        with events not stored yet."""
        upcoming = [event for event in events if not event.cancelled and event.starts_at > now]
        audiences = await self._audiences(session, upcoming)
        return sum(
            len(audiences[audience_of(event)]) * sum(1 for moment in self.moments(event) if moment > now)
            for event in upcoming
            if audiences[audience_of(event)]  # no one to remind: the moments need not be worked out
        )

    async def _audiences(self, session: AsyncSession, events: Sequence[Event]) -> dict[Audience, list[Recipient]]:
        subscriptions = SubscriptionRepository(session)
        found: dict[Audience, list[Recipient]] = {}
        for event in events:
            audience = audience_of(event)
            if audience not in found:
                found[audience] = await subscriptions.recipients(*criteria(audience))
        return found

    async def plan_user(self, session: AsyncSession, user_id: int, now: datetime) -> None:
        """Re-plan one user's reminders (after onboarding or a change of subscriptions)."""
        user = await UserRepository(session).get(user_id)
        desired: dict[tuple[str, int], PlannedRow] = {}
        if user is not None and user.partnership and user.chat is not None and user.chat.active:
            disabled = await SubscriptionRepository(session).disabled(user_id)
            for event in await EventRepository(session).upcoming(user.partnership, now):
                if event.category in disabled or not in_audience(event, user.role, user.school_id):
                    continue
                for moment in self.moments(event):
                    key = reminder_key(event.id, moment)
                    desired[key, user.chat.id] = PlannedRow(key, user.chat.id, user_id, moment, event.starts_at)
        deliveries = DeliveryRepository(session)
        kept = set(await deliveries.drop_stale(REMINDER, lambda _, key, chat: (key, chat) in desired, [], user_id))
        await deliveries.add_planned(
            REMINDER, [row for pair, row in desired.items() if pair not in kept and row.due_at > now], now
        )

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


Audience = tuple[str, str, str, str]  # an event's partnership, category, audience (roles) and schools


def audience_of(event: Event) -> Audience:
    return (event.partnership, event.category, event.audience, event.schools)


def criteria(audience: Audience) -> tuple[str, str, list[str], list[str]]:
    """The recipients query's arguments: partnership, category, roles and schools."""
    partnership, category, roles, schools = audience
    return partnership, category, split(roles), split(schools)


def reminder_key(event_id: int, moment: datetime) -> str:
    return f"{REMINDER}:{event_id}:{occurrence_key(moment)}"


def in_audience(event: Event, role: str | None, school_id: str | None) -> bool:
    """Whether someone with this role and school is in the event's audience."""
    roles, schools = split(event.audience), split(event.schools)
    return (not roles or role in roles) and (not schools or school_id in schools)
