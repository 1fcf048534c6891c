"""The agenda of a partnership: import, add, cancel, list and export events; subscriptions and RSVPs.

Every write is one transaction through ``WriteBehind.transaction()`` and re-plans the reminders it
affects in that same transaction, so the outbox never disagrees with the agenda.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.agenda_questions import CATEGORIES
from bot.services.coordinators import Authority, audit, require_right
from bot.services.ics import ExportedEvent, IcsError, ParsedEvent, export_calendar, parse_calendar
from bot.services.planning import Planner, in_audience
from bot.services.schedule import DEFAULT_AUDIENCE, Alarm, alarms_from_json, alarms_to_json
from bot.services.writes import WriteBehind
from db.agenda_repositories import DeliveryRepository, EventRepository, SubscriptionRepository, split
from db.broadcast_repositories import BroadcastRepository
from db.engine import SessionFactory
from db.models import Event
from db.repositories import UserRepository


@dataclass(frozen=True)
class EventView:
    """One occurrence as shown to users and coordinators (times in UTC; shown in Amsterdam time)."""

    id: int
    uid: str
    occurrence: str
    category: str
    title: str
    start: datetime
    end: datetime
    location: str
    description: str
    audience: tuple[str, ...]
    cancelled: bool
    reminders: tuple[datetime, ...]
    rsvp_yes: int = 0
    rsvp_no: int = 0
    my_rsvp: bool | None = None
    alarms: tuple[Alarm, ...] | None = None  # the event's own reminders; None: the category's defaults
    schools: tuple[str, ...] = ()  # only people of these schools ("": everyone in the audience)


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    cancelled: int


@dataclass(frozen=True)
class CalendarPreview:
    """What importing a calendar file would do: occurrences in the file (within the agenda's
    window), of which new / already there, occurrences it would cancel, and reminders it would plan."""

    events: int
    added: int
    updated: int
    cancelled: int
    reminders: int


@dataclass(frozen=True)
class EventChange:
    """What a coordinator changes of an event; None: unchanged (a new start without an end keeps the length).
    ``audience`` () is the whole partnership, as in ``NewEvent``."""

    title: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    location: str | None = None
    category: str | None = None
    audience: tuple[str, ...] | None = None


@dataclass(frozen=True)
class NewEvent:
    partnership: str
    title: str
    start: datetime
    end: datetime
    category: str = "overig"
    location: str = ""
    description: str = ""
    audience: tuple[str, ...] | None = None
    schools: tuple[str, ...] = ()
    uid: str | None = None


class AgendaService:
    def __init__(self, sessions: SessionFactory, writes: WriteBehind, planner: Planner, horizon_days: int) -> None:
        self.sessions = sessions
        self.writes = writes
        self.planner = planner
        self.horizon = timedelta(days=horizon_days)

    def check_calendar(
        self,
        content: bytes,
        now: datetime,
        category: str | None = None,
        schools: tuple[str, ...] = (),
        known_school: Callable[[str], bool] | None = None,
    ) -> list[ParsedEvent]:
        """The file's occurrences in the window; IcsError (Dutch, naming the event and line) when the
        file cannot be imported. Writes nothing: the preview and the import both start here, in a worker
        thread (a file at the occurrence limit takes seconds to read, which would hold up the bot)."""
        parsed = parse_calendar(content, now - self.horizon, now + self.horizon, category)
        if not schools and known_school is not None:
            for item in parsed:
                unknown = [school for school in item.schools if not known_school(school)]
                if unknown:
                    raise IcsError(
                        f"Afspraak ‘{item.title}’ (UID {item.uid}): X-SCHOOLS noemt ‘{unknown[0][:80]}’, geen school "
                        "van dit partnerschap (gebruik bijv. school:kc-...)."
                    )
        return parsed

    async def preview_calendar(
        self,
        content: bytes,
        partnership: str,
        now: datetime,
        category: str | None = None,
        audience: tuple[str, ...] | None = None,
        schools: tuple[str, ...] = (),
        known_school: Callable[[str], bool] | None = None,
    ) -> CalendarPreview:
        """What ``import_calendar`` would do with this file now, without writing: IcsError as it would."""
        parsed = await asyncio.to_thread(self.check_calendar, content, now, category, schools, known_school)
        async with self.sessions() as session:
            stored = await EventRepository(session).by_sources(partnership, {item.uid for item in parsed})
            added, updated, cancelled = self._matched(parsed, stored, now)
            planned = [
                Event(
                    partnership=partnership,
                    uid=item.uid,
                    occurrence=item.occurrence,
                    **_values(item, audience, schools),
                )
                for item in parsed
            ]
            reminders = await self.planner.reminder_count(session, planned, now)
        return CalendarPreview(len(parsed), added, updated, cancelled, reminders)

    def _matched(
        self, parsed: Sequence[ParsedEvent], stored: dict[tuple[str, str], Event], now: datetime
    ) -> tuple[int, int, int]:
        """(added, updated, cancelled) as ``import_calendar`` counts them."""
        found = {(item.uid, item.occurrence) for item in parsed}
        imported = {item.uid for item in parsed}
        updated = sum(1 for key in found if key in stored)
        cancelled = sum(
            1
            for key, gone in stored.items()
            if key not in found
            and gone.uid in imported
            and not gone.cancelled
            and now - self.horizon <= gone.starts_at < now + self.horizon
        )
        return len(parsed) - updated, updated, cancelled

    async def import_calendar(
        self,
        content: bytes,
        partnership: str,
        now: datetime,
        category: str | None = None,
        audience: tuple[str, ...] | None = None,
        schools: tuple[str, ...] = (),
        known_school: Callable[[str], bool] | None = None,
        actor: Authority | None = None,
    ) -> ImportResult:
        """All or nothing: a broken file raises IcsError before anything is written.

        Occurrences are matched on (UID, RECURRENCE-ID): a re-import updates them, and an occurrence
        of an imported UID that the file no longer yields (an EXDATE added) is cancelled. With an
        ``actor`` the right is checked and the audit row ("event-import") written in the same transaction.
        """
        parsed = await asyncio.to_thread(self.check_calendar, content, now, category, schools, known_school)
        added = updated = cancelled = 0
        async with self.writes.transaction() as session:
            if actor is not None:
                await require_right(session, actor, partnership)
            events = EventRepository(session)
            stored = await events.by_sources(partnership, {item.uid for item in parsed})
            imported = {item.uid for item in parsed}
            touched: list[Event] = []
            new_rows: list[dict[str, object]] = []
            for item in parsed:
                event = stored.pop((item.uid, item.occurrence), None)
                if event is None:
                    new_rows.append(_new_row(partnership, item, audience, schools, now))
                    added += 1
                else:
                    _apply(event, item, audience, schools)
                    updated += 1
                    touched.append(event)
            for gone in stored.values():
                in_window = now - self.horizon <= gone.starts_at < now + self.horizon
                if gone.uid in imported and not gone.cancelled and in_window:
                    gone.cancelled = True
                    cancelled += 1
                    touched.append(gone)
            await session.flush()
            touched += await events.insert_many(new_rows)
            await self.planner.plan_events(session, touched, now)
            if actor is not None:
                audit(
                    session,
                    actor,
                    "event-import",
                    now,
                    subject="import:ics",
                    detail=f"{added} nieuw, {updated} bijgewerkt, {cancelled} vervallen",
                )
        return ImportResult(added, updated, cancelled)

    async def add(self, new: NewEvent, now: datetime, actor: Authority | None = None) -> str:
        """One single event; returns its UID. With an ``actor`` (a coordinator in chat, or the command
        line) the right is checked and the audit row ("event-new") written in the same transaction."""
        async with self.writes.transaction() as session:
            if actor is not None:
                await require_right(session, actor, new.partnership)
            event = await self.insert(session, new, now)
            if actor is not None:
                audit(session, actor, "event-new", now, subject=f"event:{event.id}", detail=new.category)
        return event.uid

    async def insert(self, session: AsyncSession, new: NewEvent, now: datetime) -> Event:
        """Add one event and plan its reminders in the caller's transaction (the CLI and /nieuw both)."""
        event = Event(
            partnership=new.partnership,
            uid=new.uid or f"{uuid.uuid4()}@samen-opleiden",
            occurrence="",
            category=new.category,
            title=new.title,
            starts_at=new.start,
            ends_at=new.end,
            location=new.location,
            description=new.description,
            audience=",".join(new.audience if new.audience is not None else DEFAULT_AUDIENCE[new.category]),
            schools=",".join(new.schools),
            alarms=None,
            cancelled=False,
        )
        session.add(event)
        await session.flush()
        await self.planner.plan_events(session, [event], now)
        return event

    async def cancel(self, partnership: str, uid: str, now: datetime, actor: Authority | None = None) -> int:
        """Cancel every occurrence of a UID that has not started; returns how many. Whoever was already
        reminded gets the cancellation (through the outbox)."""
        async with self.writes.transaction() as session:
            if actor is not None:
                await require_right(session, actor, partnership)
            stored = await EventRepository(session).by_source(partnership, uid)
            hit = [e for e in stored.values() if not e.cancelled and e.starts_at > now]
            await self._cancel(session, hit, now)
            if actor is not None:
                for event in hit:
                    audit(session, actor, "event-cancel", now, subject=f"event:{event.id}")
        return len(hit)

    async def _cancel(self, session: AsyncSession, events: Sequence[Event], now: datetime) -> None:
        for event in events:
            event.cancelled = True
        await self.planner.plan_events(session, events, now)

    async def cancel_event(self, actor: Authority, event_id: int, now: datetime) -> EventView | None:
        """A coordinator cancels one upcoming occurrence of their own partnership; None when the id is
        not such an event (a forged button). Audit "event-cancel" in the same transaction."""
        async with self.writes.transaction() as session:
            await require_right(session, actor, actor.partnership)
            event = await EventRepository(session).get(event_id)
            if event is None or event.partnership != actor.partnership or event.cancelled or event.starts_at <= now:
                return None
            await self._cancel(session, [event], now)
            audit(session, actor, "event-cancel", now, subject=f"event:{event.id}")
            return self.view(event)

    async def change(self, actor: Authority, event_id: int, change: EventChange, now: datetime) -> EventView | None:
        """A coordinator changes the title, the time or the place of an upcoming event of their own
        partnership; its reminders are planned again in the same transaction (audit "event-edit")."""
        async with self.writes.transaction() as session:
            return await self.change_in(session, actor, event_id, change, now)

    async def change_in(
        self, session: AsyncSession, actor: Authority, event_id: int, change: EventChange, now: datetime
    ) -> EventView | None:
        """``change`` in the caller's transaction; None when the id is no upcoming event of the actor's
        partnership (a forged button)."""
        await require_right(session, actor, actor.partnership)
        event = await EventRepository(session).get(event_id)
        if event is None or event.partnership != actor.partnership or event.cancelled or event.starts_at <= now:
            return None
        if change.category is not None and change.category not in CATEGORIES:
            raise ValueError(f"unknown category {change.category!r}")
        changed = []
        if change.title is not None and change.title != event.title:
            event.title = change.title
            changed.append("title")
        if change.start is not None:
            # Without an end the event keeps its length.
            end = change.end if change.end is not None else change.start + (event.ends_at - event.starts_at)
            if (change.start, end) != (event.starts_at, event.ends_at):
                event.starts_at, event.ends_at = change.start, end
                changed.append("time")
        if change.location is not None and change.location != event.location:
            event.location = change.location
            changed.append("location")
        if change.category is not None and change.category != event.category:
            event.category = change.category
            changed.append("category")
        if change.audience is not None and list(change.audience) != split(event.audience):
            event.audience = ",".join(change.audience)
            changed.append("audience")
        await session.flush()
        await self.planner.plan_events(session, [event], now)
        audit(session, actor, "event-edit", now, subject=f"event:{event.id}", detail=",".join(changed))
        counts = await EventRepository(session).rsvp_counts([event.id])
        return self.view(event, *counts.get(event.id, (0, 0)))

    async def managed(self, actor: Authority, now: datetime) -> list[EventView]:
        """The upcoming events of the coordinator's partnership (every audience), with RSVP counts."""
        async with self.sessions() as session:
            await require_right(session, actor, actor.partnership)
            events = await EventRepository(session).upcoming(actor.partnership, now)
            counts = await EventRepository(session).rsvp_counts([e.id for e in events])
        return [self.view(e, *counts.get(e.id, (0, 0))) for e in events]

    async def next_managed(
        self, actor: Authority, now: datetime, limit: int, skip: int = 0
    ) -> tuple[int, list[EventView]]:
        """How many events ``managed`` holds, and ``limit`` of them after the first ``skip`` (an
        overview's glance or a page of the list: no views built, nor RSVPs counted, for the hundreds
        it does not show)."""
        async with self.sessions() as session:
            await require_right(session, actor, actor.partnership)
            events = EventRepository(session)
            total = await events.count_upcoming(actor.partnership, now)
            shown = await events.upcoming(actor.partnership, now, limit, skip)
            counts = await events.rsvp_counts([e.id for e in shown])
        return total, [self.view(e, *counts.get(e.id, (0, 0))) for e in shown]

    async def managed_event(self, actor: Authority, event_id: int, now: datetime) -> EventView | None:
        """One upcoming event of the coordinator's own partnership (a button's id is untrusted input)."""
        async with self.sessions() as session:
            await require_right(session, actor, actor.partnership)
            event = await EventRepository(session).get(event_id)
            if event is None or event.partnership != actor.partnership or event.cancelled or event.starts_at <= now:
                return None
            counts = await EventRepository(session).rsvp_counts([event.id])
        return self.view(event, *counts.get(event.id, (0, 0)))

    async def managed_between(self, actor: Authority, start: datetime, end: datetime) -> list[EventView]:
        """The events of the coordinator's partnership that start in [start, end) (a month of the web
        view's calendar), past ones too; cancelled ones are left out, as in ``managed``. With RSVP counts."""
        async with self.sessions() as session:
            await require_right(session, actor, actor.partnership)
            events = await EventRepository(session).between(actor.partnership, start, end)
            counts = await EventRepository(session).rsvp_counts([e.id for e in events])
        return [self.view(e, *counts.get(e.id, (0, 0))) for e in events]

    async def listing(self, partnership: str, now: datetime, everything: bool = False) -> list[EventView]:
        """Occurrences from now on (``everything``: past ones too), cancelled ones included."""
        async with self.sessions() as session:
            events = await EventRepository(session).listing(partnership, None if everything else now)
            counts = await EventRepository(session).rsvp_counts([e.id for e in events])
        return [self.view(e, *counts.get(e.id, (0, 0))) for e in events]

    async def export(self, partnership: str, now: datetime, name: str) -> bytes:
        """Everything the agenda holds, its own reminders and audience too: importing it again changes nothing."""
        views = await self.listing(partnership, now, everything=True)
        return export_calendar([_exported(v, complete=True) for v in views], name, now)

    async def for_user(self, user_id: int, now: datetime, limit: int = 10) -> list[EventView] | None:
        """The user's upcoming events (partnership and audience) with their own RSVP; None: no profile."""
        async with self.sessions() as session:
            user = await UserRepository(session).get(user_id)
            if user is None or not user.partnership:
                return None
            events = [
                e
                for e in await EventRepository(session).upcoming(user.partnership, now)
                if in_audience(e, user.role, user.school_id)
            ][:limit]
            mine = await EventRepository(session).rsvps_of(user_id, [e.id for e in events])
        return [self.view(e, my_rsvp=mine.get(e.id)) for e in events]

    async def next_of(self, partnership: str, category: str, now: datetime) -> EventView | None:
        """The next event of a category in the whole partnership (``ask`` has no profile)."""
        async with self.sessions() as session:
            events = await EventRepository(session).upcoming(partnership, now)
        found = next((e for e in events if e.category == category), None)
        return self.view(found) if found else None

    async def next_for(self, user_id: int, category: str, now: datetime) -> EventView | None:
        """The next event of a category for this user: their partnership, role and school."""
        async with self.sessions() as session:
            user = await UserRepository(session).get(user_id)
            if user is None or not user.partnership:
                return None
            events = await EventRepository(session).upcoming(user.partnership, now)
        found = next((e for e in events if e.category == category and in_audience(e, user.role, user.school_id)), None)
        return self.view(found) if found else None

    async def event_for(self, user_id: int, event_id: int) -> EventView | None:
        """One event of the user's own partnership (a button's id is untrusted input)."""
        async with self.sessions() as session:
            found = await EventRepository(session).get(event_id)
            user = await UserRepository(session).get(user_id)
        if found is None or user is None or user.partnership != found.partnership:
            return None
        return self.view(found)

    async def rsvp(self, event_id: int, user_id: int, coming: bool, now: datetime) -> EventView | None:
        """Store or change the answer; None for an unknown or cancelled event, or one of another partnership."""
        async with self.writes.transaction() as session:
            event = await EventRepository(session).get(event_id)
            user = await UserRepository(session).get(user_id)
            if event is None or event.cancelled or user is None or user.partnership != event.partnership:
                return None
            await EventRepository(session).set_rsvp(event_id, user_id, coming, now)
        return self.view(event, my_rsvp=coming)

    async def subscriptions(self, user_id: int) -> dict[str, bool] | None:
        """On/off per category; None without a profile."""
        async with self.sessions() as session:
            if await UserRepository(session).get(user_id) is None:
                return None
            disabled = await SubscriptionRepository(session).disabled(user_id)
        return {category: category not in disabled for category in CATEGORIES}

    async def subscribe(self, user_id: int, category: str, enabled: bool, now: datetime) -> dict[str, bool] | None:
        """Set one category on or off (idempotent); switching off removes pending reminders, and pending
        broadcasts to that category's subscribers, at once."""
        if category not in CATEGORIES:
            return None
        async with self.writes.transaction() as session:
            if await UserRepository(session).get(user_id) is None:
                return None
            await SubscriptionRepository(session).set(user_id, category, enabled, now)
            if enabled:
                await self.planner.plan_user(session, user_id, now)
            else:
                await DeliveryRepository(session).drop_pending_of_user(user_id, [category])
                await BroadcastRepository(session).drop_pending_of_user(user_id, [category])
            disabled = await SubscriptionRepository(session).disabled(user_id)
        return {c: c not in disabled for c in CATEGORIES}

    def view(self, event: Event, yes: int = 0, no: int = 0, my_rsvp: bool | None = None) -> EventView:
        return EventView(
            id=event.id,
            uid=event.uid,
            occurrence=event.occurrence,
            category=event.category,
            title=event.title,
            start=event.starts_at,
            end=event.ends_at,
            location=event.location,
            description=event.description,
            audience=tuple(split(event.audience)),
            cancelled=event.cancelled,
            reminders=tuple(self.planner.moments(event)),
            rsvp_yes=yes,
            rsvp_no=no,
            my_rsvp=my_rsvp,
            alarms=alarms_from_json(event.alarms, event.category) if event.alarms is not None else None,
            schools=tuple(split(event.schools)),
        )


def _values(item: ParsedEvent, audience: tuple[str, ...] | None, schools: tuple[str, ...]) -> dict[str, object]:
    """The columns that an imported occurrence sets, new or updated."""
    roles = audience if audience is not None else item.audience
    return {
        "category": item.category,
        "title": item.title,
        "starts_at": item.start,
        "ends_at": item.end,
        "location": item.location,
        "description": item.description,
        "audience": ",".join(roles if roles is not None else DEFAULT_AUDIENCE[item.category]),
        "schools": ",".join(schools or item.schools),
        "alarms": alarms_to_json(item.alarms) if item.alarms is not None else None,
        "cancelled": item.cancelled,
    }


def _apply(event: Event, item: ParsedEvent, audience: tuple[str, ...] | None, schools: tuple[str, ...]) -> None:
    """Only the values that differ are set: an unchanged occurrence stays clean, so a re-import does
    not hand the flush thousands of objects to compare (the flush writes the same either way)."""
    for column, value in _values(item, audience, schools).items():
        if getattr(event, column) != value:
            setattr(event, column, value)


def _new_row(
    partnership: str, item: ParsedEvent, audience: tuple[str, ...] | None, schools: tuple[str, ...], now: datetime
) -> dict[str, object]:
    """One new occurrence as the bulk insert takes it (the same columns as ``_apply`` sets)."""
    return {
        **_values(item, audience, schools),
        "partnership": partnership,
        "uid": item.uid,
        "occurrence": item.occurrence,
        "created_at": now,
        "updated_at": now,
    }


def _exported(view: EventView, complete: bool = False) -> ExportedEvent:
    """``complete``: with the reminders and the audience (the coordinators' export, not a user's download)."""
    return ExportedEvent(
        uid=view.uid,
        occurrence=view.occurrence,
        title=view.title,
        start=view.start,
        end=view.end,
        location=view.location,
        description=view.description,
        category=view.category,
        cancelled=view.cancelled,
        alarms=view.alarms if complete else None,
        audience=view.audience if complete else None,
        schools=view.schools if complete else (),
    )


def views_to_ics(views: Sequence[EventView], name: str, now: datetime) -> bytes:
    return export_calendar([_exported(v) for v in views], name, now)


__all__ = [
    "AgendaService",
    "CalendarPreview",
    "EventChange",
    "EventView",
    "ImportResult",
    "NewEvent",
    "views_to_ics",
]
