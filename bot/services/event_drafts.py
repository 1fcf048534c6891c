"""Drafts of coordinators' agenda work in chat: a new event (/nieuw) step by step, and one change of
an existing event. Kept in the database, so a restart of the bot loses no typed text.

Every call checks the coordinator's right itself; saving a draft adds the event (reminders planned),
writes the audit row and removes the draft in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.agenda_questions import CATEGORIES
from bot.services.agenda import AgendaService, EventChange, EventView, NewEvent
from bot.services.coordinators import Authority, audit, require_right
from bot.services.roles import ROLES
from bot.services.schedule import DEFAULT_AUDIENCE
from bot.services.writes import WriteBehind
from db.agenda_repositories import DraftRepository, EventRepository, split
from db.models import EventDraft

NEW, EDIT = "nieuw", "wijzig"
# The steps of /nieuw, in order; a draft remembers where it is.
CATEGORY, TITLE, WHEN, TIME, PLACE, AUDIENCE, CONFIRM = (
    "categorie",
    "titel",
    "wanneer",
    "tijd",
    "plek",
    "doelgroep",
    "bevestigen",
)
STEPS = (CATEGORY, TITLE, WHEN, TIME, PLACE, AUDIENCE, CONFIRM)
EDIT_FIELDS = ("titel", "tijd", "plek")
MAX_TITLE = 200
MAX_PLACE = 200


@dataclass(frozen=True)
class Draft:
    purpose: str
    partnership: str
    step: str  # for a change: the field being changed
    event_id: int | None
    category: str | None
    title: str | None
    day: date | None
    start: datetime | None
    end: datetime | None
    location: str | None
    audience: tuple[str, ...] | None

    def as_new_event(self) -> NewEvent | None:
        if self.category is None or self.title is None or self.start is None or self.end is None:
            return None
        return NewEvent(
            partnership=self.partnership,
            title=self.title,
            start=self.start,
            end=self.end,
            category=self.category,
            location=self.location or "",
            audience=self.audience,
        )


class DraftError(ValueError):
    """A value the draft cannot take; ``str(error)`` is the Dutch explanation."""


def _draft(row: EventDraft) -> Draft:
    return Draft(
        purpose=row.purpose,
        partnership=row.partnership,
        step=row.field or CATEGORY,
        event_id=row.event_id,
        category=row.category,
        title=row.title,
        day=date.fromisoformat(row.day) if row.day else None,
        start=row.starts_at,
        end=row.ends_at,
        location=row.location,
        audience=tuple(split(row.audience)) if row.audience is not None else None,
    )


def clean_text(text: str, limit: int, what: str) -> str:
    cleaned = " ".join(text.split())
    if not cleaned:
        raise DraftError(f"Typ een {what}.")
    if len(cleaned) > limit:
        raise DraftError(f"Dat is te lang voor een {what}: houd het onder de {limit} tekens.")
    return cleaned


class EventDraftService:
    def __init__(self, writes: WriteBehind, agenda: AgendaService) -> None:
        self.writes = writes
        self.agenda = agenda

    async def begin(self, actor: Authority, now: datetime) -> tuple[Draft, bool]:
        """The coordinator's /nieuw draft: the one they left (True) or a fresh one (False)."""
        assert actor.user_id is not None
        async with self.writes.transaction() as session:
            await require_right(session, actor, actor.partnership)
            drafts = DraftRepository(session)
            await drafts.discard(actor.user_id, EDIT)  # a change left half-way ends here
            row = await drafts.get(actor.user_id, NEW)
            if row is not None and row.partnership == actor.partnership and row.category is not None:
                return _draft(row), True
            row = await drafts.fresh(actor.user_id, NEW, actor.partnership, now)
            row.field = CATEGORY
            return _draft(row), False

    async def current(self, actor: Authority, purpose: str) -> Draft | None:
        assert actor.user_id is not None
        async with self.writes.sessions() as session:
            await require_right(session, actor, actor.partnership)
            row = await DraftRepository(session).get(actor.user_id, purpose)
            return _draft(row) if row is not None and row.partnership == actor.partnership else None

    async def update(self, actor: Authority, now: datetime, step: str, **values: object) -> Draft | None:
        """Store values of the /nieuw draft and the step it is at now; None when there is no draft (it
        was saved, cancelled, or the bot forgot the user)."""
        assert actor.user_id is not None
        assert step in STEPS
        _check(values)
        async with self.writes.transaction() as session:
            await require_right(session, actor, actor.partnership)
            row = await DraftRepository(session).get(actor.user_id, NEW)
            if row is None or row.partnership != actor.partnership:
                return None
            for name, value in values.items():
                setattr(row, name, value)
            if "category" in values and row.audience is None:
                row.audience = ",".join(DEFAULT_AUDIENCE[str(values["category"])])
            row.field, row.updated_at = step, now
            return _draft(row)

    async def discard(self, actor: Authority, purpose: str) -> bool:
        assert actor.user_id is not None
        async with self.writes.transaction() as session:
            return await DraftRepository(session).discard(actor.user_id, purpose)

    async def save(self, actor: Authority, now: datetime) -> EventView | None:
        """Add the drafted event: reminders planned, audit "event-new", draft gone, in one transaction.
        None when the draft is incomplete or gone. Raises DraftError when its moment has passed."""
        assert actor.user_id is not None
        async with self.writes.transaction() as session:
            await require_right(session, actor, actor.partnership)
            drafts = DraftRepository(session)
            row = await drafts.get(actor.user_id, NEW)
            new = _draft(row).as_new_event() if row is not None and row.partnership == actor.partnership else None
            if new is None:
                return None
            if new.start <= now:
                raise DraftError("Het moment van de bijeenkomst is inmiddels voorbij. Kies een nieuw moment.")
            event = await self.agenda.insert(session, new, now)
            audit(session, actor, "event-new", now, subject=f"event:{event.id}", detail=new.category)
            await drafts.discard(actor.user_id, NEW)
            return self.agenda.view(event)

    async def begin_edit(self, actor: Authority, event_id: int, field: str, now: datetime) -> EventView | None:
        """Start changing one field of an upcoming event of the coordinator's own partnership; None for
        any other id (a forged button)."""
        assert actor.user_id is not None
        assert field in EDIT_FIELDS
        async with self.writes.transaction() as session:
            await require_right(session, actor, actor.partnership)
            event = await EventRepository(session).get(event_id)
            if event is None or event.partnership != actor.partnership or event.cancelled or event.starts_at <= now:
                return None
            row = await DraftRepository(session).fresh(actor.user_id, EDIT, actor.partnership, now)
            row.event_id, row.field = event.id, field
            counts = await EventRepository(session).rsvp_counts([event.id])
            return self.agenda.view(event, *counts.get(event.id, (0, 0)))

    async def finish_edit(self, actor: Authority, change: EventChange, now: datetime) -> EventView | None:
        """Apply the change to the event the edit draft points at and drop the draft, in one
        transaction (audit "event-edit"); None when the draft or the event is gone."""
        assert actor.user_id is not None
        async with self.writes.transaction() as session:
            await require_right(session, actor, actor.partnership)
            drafts = DraftRepository(session)
            row = await drafts.get(actor.user_id, EDIT)
            if row is None or row.event_id is None or row.partnership != actor.partnership:
                return None
            view = await self.agenda.change_in(session, actor, row.event_id, change, now)
            await drafts.discard(actor.user_id, EDIT)
            return view


def check_choices(category: object, audience: Sequence[str] | None) -> None:
    """The category and the roles of an event (the buttons of /nieuw, the web view's form) are known ones."""
    if category is not None and category not in CATEGORIES:
        raise DraftError("Onbekende soort bijeenkomst.")
    if audience is not None and any(role not in ROLES for role in audience):
        raise DraftError("Onbekende rol.")


def _check(values: dict[str, object]) -> None:
    audience = values.get("audience")
    check_choices(values.get("category"), split(audience) if isinstance(audience, str) else None)


__all__ = [
    "AUDIENCE",
    "CATEGORY",
    "CONFIRM",
    "EDIT",
    "EDIT_FIELDS",
    "NEW",
    "PLACE",
    "STEPS",
    "TIME",
    "TITLE",
    "WHEN",
    "Draft",
    "DraftError",
    "EventDraftService",
    "check_choices",
    "clean_text",
]
