"""What the web view's agenda page adds to the agenda services, on SQLite and PostgreSQL: the events
of a month (past ones too, cancelled ones not) and one change of every field of the form at once,
with only what really changed in the audit row and the reminders planned again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.services import NewEvent
from bot.services.agenda import EventChange
from bot.services.coordinators import Authority
from bot.services.event_drafts import DraftError, check_choices
from db.agenda_repositories import PENDING, REMINDER
from db.engine import SessionFactory
from db.models import AuditEntry, Delivery
from knowledge import Matcher
from tests.integration.test_agenda_admin import CHIEF, MENTOR, STUDENT, audit_rows, setup
from tests.moments import NOW, local

pytestmark = pytest.mark.dates  # also run at awkward moments by .ci/run (tests/moments.py)


async def reminded(sessions: SessionFactory, event_id: int) -> set[int]:
    """Who has a pending reminder of the event."""
    async with sessions() as session:
        rows = await session.scalars(
            select(Delivery).where(Delivery.event_id == event_id, Delivery.kind == REMINDER, Delivery.status == PENDING)
        )
        return {row.chat_id for row in rows}


async def test_a_month_holds_the_events_that_start_in_it_past_ones_too_cancelled_ones_not(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    services, chief, other = await setup(sessions, matcher)
    agenda = services.agenda
    past, soon, later, gone = local(-3, 10), local(3, 15), local(40, 9), local(5, 11)
    for title, start in (("Voorbij", past), ("Straks", soon), ("Later", later), ("Afgelast", gone)):
        await agenda.add(NewEvent("poo-marnix", title, start, start + timedelta(hours=1)), past - timedelta(days=1))
    await agenda.add(NewEvent("groningen-kop-van-drenthe", "Elders", soon, soon + timedelta(hours=1)), NOW)
    [cancelled] = [e for e in await agenda.managed(chief, NOW) if e.title == "Afgelast"]
    assert await agenda.cancel_event(chief, cancelled.id, NOW) is not None
    [soon_view] = [e for e in await agenda.managed(chief, NOW) if e.title == "Straks"]
    await agenda.rsvp(soon_view.id, CHIEF, True, NOW)
    await agenda.rsvp(soon_view.id, MENTOR, False, NOW)

    window = await agenda.managed_between(chief, local(-10, 0), local(10, 0))
    assert [(e.title, e.rsvp_yes, e.rsvp_no) for e in window] == [("Voorbij", 0, 0), ("Straks", 1, 1)]
    # The window's end is not in it; its start is.
    assert [e.title for e in await agenda.managed_between(chief, soon, later)] == ["Straks"]
    assert [e.title for e in await agenda.managed_between(other, local(-10, 0), local(10, 0))] == ["Elders"]
    with pytest.raises(PermissionError):
        await agenda.managed_between(Authority(MENTOR, "Fictief", "poo-marnix"), local(-10, 0), local(10, 0))


async def test_one_change_of_the_whole_form_replans_and_audits_only_what_changed(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    services, chief, other = await setup(sessions, matcher)
    start = local(12, 15)
    await services.agenda.add(
        NewEvent("poo-marnix", "Fictieve intervisie", start, start + timedelta(hours=2), "intervisie", "KC Fictief"),
        NOW,
        chief,
    )
    [event] = await services.agenda.managed(chief, NOW)
    assert await reminded(sessions, event.id) == {CHIEF, MENTOR, STUDENT}  # the whole partnership

    # The form sends every field; the same title and place are no change.
    same = EventChange(title=event.title, start=event.start, end=event.end, location=event.location)
    training = EventChange(
        title="Fictieve intervisie",
        start=start,
        end=start + timedelta(hours=2),
        location="KC Fictief",
        category="mentortraining",
        audience=("mentor",),
    )
    assert await services.agenda.change(other, event.id, training, NOW) is None  # another partnership
    assert await services.agenda.change(chief, event.id, same, NOW) is not None
    changed = await services.agenda.change(chief, event.id, training, NOW)
    assert changed is not None
    assert (changed.category, changed.audience, changed.title) == ("mentortraining", ("mentor",), event.title)
    assert await reminded(sessions, event.id) == {MENTOR}
    everyone = await services.agenda.change(chief, event.id, EventChange(audience=()), NOW)
    assert everyone is not None
    assert everyone.audience == ()
    assert await reminded(sessions, event.id) == {CHIEF, MENTOR, STUDENT}

    async with sessions() as session:
        details = [
            (row.action, row.detail) for row in await session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]
    assert details == [
        ("event-new", "intervisie"),
        ("event-edit", ""),
        ("event-edit", "category,audience"),
        ("event-edit", "audience"),
    ]
    with pytest.raises(ValueError, match="unknown category"):
        await services.agenda.change(chief, event.id, EventChange(category="feest"), NOW)
    assert len(await audit_rows(sessions)) == 4


def test_the_form_takes_only_known_categories_and_roles() -> None:
    check_choices("mentortraining", ("mentor", "student"))
    check_choices("overig", ())
    with pytest.raises(DraftError, match="Onbekende soort"):
        check_choices("feest", ())
    with pytest.raises(DraftError, match="Onbekende rol"):
        check_choices("overig", ("mentor", "koning"))
