"""The agenda for coordinators in chat (drafts, save, change, cancel) on SQLite and PostgreSQL: the
right is checked by the service itself, a coordinator of another partnership reaches nothing, and
every action leaves an audit row in the same transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.services import NewEvent, Services
from bot.services.agenda import EventChange
from bot.services.coordinators import Authority, command_line
from bot.services.event_drafts import AUDIENCE, CONFIRM, EDIT, PLACE, TITLE, WHEN, DraftError
from db.agenda_repositories import CANCELLED, PENDING, REMINDER, SENT, SubscriptionRepository
from db.engine import SessionFactory
from db.models import AuditEntry, Delivery, Event, EventDraft
from knowledge import Matcher
from tests.factories import add_coordinator, add_user, services_for
from tests.moments import NOW, local

pytestmark = pytest.mark.dates  # also run at awkward moments by .ci/run (tests/moments.py)

START = local(8, 15)
CHIEF, MENTOR, STUDENT, OTHER_CHIEF = 8301, 8302, 8303, 8304


async def setup(sessions: SessionFactory, matcher: Matcher) -> tuple[Services, Authority, Authority]:
    await add_user(sessions, CHIEF, "poo-marnix", "schoolopleider")
    await add_user(sessions, MENTOR, "poo-marnix", "mentor")
    await add_user(sessions, STUDENT, "poo-marnix", "student")
    await add_user(sessions, OTHER_CHIEF, "groningen-kop-van-drenthe", "schoolopleider")
    await add_coordinator(sessions, CHIEF, "poo-marnix")
    await add_coordinator(sessions, OTHER_CHIEF, "groningen-kop-van-drenthe")
    services = services_for(sessions, matcher)
    chief = await services.coordinators.authority(CHIEF)
    other = await services.coordinators.authority(OTHER_CHIEF)
    assert chief is not None
    assert other is not None
    return services, chief, other


async def audit_rows(sessions: SessionFactory) -> list[tuple[int | None, str, str, str]]:
    async with sessions() as session:
        rows = await session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(r.actor_id, r.action, r.subject, r.partnership) for r in rows]


async def deliveries(sessions: SessionFactory) -> list[Delivery]:
    async with sessions() as session:
        return list(await session.scalars(select(Delivery).order_by(Delivery.due_at, Delivery.chat_id)))


async def draft_rows(sessions: SessionFactory) -> list[EventDraft]:
    async with sessions() as session:
        return list(await session.scalars(select(EventDraft)))


async def test_a_draft_is_kept_step_by_step_and_saving_plans_reminders_and_audits(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    services, chief, _ = await setup(sessions, matcher)
    drafts = services.event_drafts
    _draft, resumed = await drafts.begin(chief, NOW)
    assert not resumed
    await drafts.update(chief, NOW, TITLE, category="mentortraining")
    # A restart loses the conversation, not the draft: /nieuw continues it.
    again, resumed = await drafts.begin(chief, NOW)
    assert resumed
    assert (again.step, again.category, again.audience) == (TITLE, "mentortraining", ("mentor", "schoolopleider"))
    await drafts.update(chief, NOW, WHEN, title="Fictieve mentortraining")
    await drafts.update(chief, NOW, PLACE, starts_at=START, ends_at=START + timedelta(hours=2))
    await drafts.update(chief, NOW, AUDIENCE, location="KC Fictief")
    ready = await drafts.update(chief, NOW, CONFIRM)
    assert ready is not None
    assert ready.as_new_event() is not None

    saved = await drafts.save(chief, NOW)
    assert saved is not None
    assert (saved.title, saved.start, saved.location, saved.audience) == (
        "Fictieve mentortraining",
        START,
        "KC Fictief",
        ("mentor", "schoolopleider"),
    )
    # Reminders for the default audience of a mentortraining (the mentor and the schoolopleider), not the student.
    planned = await deliveries(sessions)
    assert {d.chat_id for d in planned} == {CHIEF, MENTOR}
    assert all(d.kind == REMINDER and d.status == PENDING for d in planned)
    assert await audit_rows(sessions) == [(CHIEF, "event-new", f"event:{saved.id}", "poo-marnix")]
    assert await draft_rows(sessions) == []
    assert await drafts.save(chief, NOW) is None  # nothing left to save twice


async def test_a_draft_whose_moment_has_passed_is_not_saved(sessions: SessionFactory, matcher: Matcher) -> None:
    services, chief, _ = await setup(sessions, matcher)
    drafts = services.event_drafts
    await drafts.begin(chief, NOW)
    await drafts.update(chief, NOW, CONFIRM, category="overig", title="Fictief", starts_at=START, ends_at=START)
    with pytest.raises(DraftError, match="voorbij"):
        await drafts.save(chief, START + timedelta(minutes=1))
    async with sessions() as session:
        assert list(await session.scalars(select(Event))) == []
    assert await audit_rows(sessions) == []


async def test_changing_an_event_replans_its_reminders_and_audits(sessions: SessionFactory, matcher: Matcher) -> None:
    services, chief, _ = await setup(sessions, matcher)
    await services.agenda.add(NewEvent("poo-marnix", "Fictieve intervisie", START, START + timedelta(hours=2)), NOW)
    [event] = await services.agenda.managed(chief, NOW)
    before = {d.due_at for d in await deliveries(sessions)}

    view = await services.event_drafts.begin_edit(chief, event.id, "tijd", NOW)
    assert view is not None
    assert [d.purpose for d in await draft_rows(sessions)] == [EDIT]
    later = START + timedelta(days=7)
    changed = await services.event_drafts.finish_edit(chief, EventChange(start=later), NOW)
    assert changed is not None
    assert (changed.start, changed.end) == (later, later + timedelta(hours=2))  # the length is kept
    after = {d.due_at for d in await deliveries(sessions)}
    assert after
    assert after.isdisjoint(before)
    assert all(moment < later for moment in after)
    assert await draft_rows(sessions) == []

    renamed = await services.agenda.change(
        chief, event.id, EventChange(title="Nieuwe titel", location="Fictiefstad"), NOW
    )
    assert renamed is not None
    assert (renamed.title, renamed.location) == ("Nieuwe titel", "Fictiefstad")
    assert [(a, s) for _, a, s, _ in await audit_rows(sessions)] == [
        ("event-edit", f"event:{event.id}"),
        ("event-edit", f"event:{event.id}"),
    ]


async def test_a_changed_audience_keeps_planned_reminders_and_adds_only_the_new_people(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    """The reminders of the people added are made by the database from the recipients query: it
    leaves out who opted out, and the rows already planned stay the same rows."""
    services, chief, _ = await setup(sessions, matcher)
    async with sessions.begin() as session:
        await SubscriptionRepository(session).set(STUDENT, "intervisie", False, NOW)
    new = NewEvent(
        "poo-marnix", "Fictieve intervisie", START, START + timedelta(hours=2), "intervisie", audience=("mentor",)
    )
    await services.agenda.add(new, NOW)
    [event] = await services.agenda.managed(chief, NOW)
    mentors = {(d.id, d.key, d.chat_id) for d in await deliveries(sessions)}
    assert {chat for _, _, chat in mentors} == {MENTOR}

    await services.agenda.change(chief, event.id, EventChange(audience=()), NOW)  # the whole partnership
    everyone = await deliveries(sessions)
    assert {d.chat_id for d in everyone} == {MENTOR, CHIEF}  # the student opted out of intervisie
    assert mentors <= {(d.id, d.key, d.chat_id) for d in everyone}  # the same rows, not made again
    assert {d.key for d in everyone if d.chat_id == CHIEF} == {key for _, key, _ in mentors}
    assert all(
        (d.status, d.user_id, d.event_id, d.not_after) == (PENDING, d.chat_id, event.id, START) for d in everyone
    )

    await services.agenda.change(chief, event.id, EventChange(audience=("schoolopleider",)), NOW)
    assert {d.chat_id for d in await deliveries(sessions)} == {CHIEF}


async def test_cancelling_tells_whoever_was_reminded_and_audits(sessions: SessionFactory, matcher: Matcher) -> None:
    services, chief, _ = await setup(sessions, matcher)
    await services.agenda.add(NewEvent("poo-marnix", "Fictieve intervisie", START, START + timedelta(hours=2)), NOW)
    [event] = await services.agenda.managed(chief, NOW)
    async with sessions.begin() as session:
        first = (await session.scalars(select(Delivery).where(Delivery.chat_id == MENTOR))).first()
        assert first is not None
        first.status = SENT  # the mentor got a reminder already

    cancelled = await services.agenda.cancel_event(chief, event.id, NOW)
    assert cancelled is not None
    assert cancelled.cancelled
    rows = await deliveries(sessions)
    assert [(d.chat_id, d.kind) for d in rows if d.status == PENDING] == [(MENTOR, CANCELLED)]
    assert await services.agenda.managed(chief, NOW) == []
    assert await services.agenda.cancel_event(chief, event.id, NOW) is None  # once only
    assert [(a, s) for _, a, s, _ in await audit_rows(sessions)] == [("event-cancel", f"event:{event.id}")]


async def test_a_coordinator_of_another_partnership_and_a_forged_authority_reach_nothing(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    services, chief, other = await setup(sessions, matcher)
    await services.agenda.add(NewEvent("poo-marnix", "Fictieve intervisie", START, START + timedelta(hours=2)), NOW)
    [event] = await services.agenda.managed(chief, NOW)

    # A coordinator of Groningen with the id of a poo-marnix event (forged callback data).
    assert await services.agenda.managed(other, NOW) == []
    assert await services.agenda.managed_event(other, event.id, NOW) is None
    assert await services.agenda.cancel_event(other, event.id, NOW) is None
    assert await services.agenda.change(other, event.id, EventChange(title="Overgenomen"), NOW) is None
    assert await services.event_drafts.begin_edit(other, event.id, "titel", NOW) is None
    # Someone without any right, whatever the handler may have let through.
    forged = Authority(MENTOR, "Fictief", "poo-marnix")
    with pytest.raises(PermissionError):
        await services.agenda.cancel_event(forged, event.id, NOW)
    with pytest.raises(PermissionError):
        await services.agenda.change(forged, event.id, EventChange(title="Overgenomen"), NOW)
    with pytest.raises(PermissionError):
        await services.agenda.managed(forged, NOW)
    with pytest.raises(PermissionError):
        await services.event_drafts.begin(forged, NOW)
    with pytest.raises(PermissionError):
        await services.event_drafts.save(forged, NOW)
    with pytest.raises(PermissionError):
        await services.agenda.add(
            NewEvent("poo-marnix", "x", START, START), NOW, Authority(OTHER_CHIEF, "x", "poo-marnix")
        )

    [unchanged] = await services.agenda.managed(chief, NOW)
    assert (unchanged.title, unchanged.cancelled) == ("Fictieve intervisie", False)
    assert await audit_rows(sessions) == []


async def test_the_command_line_leaves_an_audit_row_too(sessions: SessionFactory, matcher: Matcher) -> None:
    services, _, _ = await setup(sessions, matcher)
    new = NewEvent("poo-marnix", "Fictieve intervisie", START, START + timedelta(hours=2), uid="cli@fictief")
    await services.agenda.add(new, NOW, command_line("poo-marnix"))
    assert await services.agenda.cancel("poo-marnix", "cli@fictief", NOW, command_line("poo-marnix")) == 1
    assert [(actor, action) for actor, action, _, _ in await audit_rows(sessions)] == [
        (None, "event-new"),
        (None, "event-cancel"),
    ]


async def test_the_next_events_at_a_glance_are_the_first_of_the_managed_ones(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    """The web view's overview: how many are coming and the first few, as ``managed`` lists them."""
    services, chief, other = await setup(sessions, matcher)
    for day in (3, 1, 2, 4):
        start = START + timedelta(days=day)
        await services.agenda.add(NewEvent("poo-marnix", f"Fictief {day}", start, start + timedelta(hours=1)), NOW)
    everything = await services.agenda.managed(chief, NOW)
    assert await services.agenda.next_managed(chief, NOW, 2) == (4, everything[:2])
    assert [e.title for e in everything[:2]] == ["Fictief 1", "Fictief 2"]
    assert await services.agenda.next_managed(other, NOW, 2) == (0, [])
    with pytest.raises(PermissionError):
        await services.agenda.next_managed(Authority(MENTOR, "Fictief", "poo-marnix"), NOW, 2)
