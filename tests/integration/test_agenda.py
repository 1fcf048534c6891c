"""The agenda and the delivery outbox on SQLite and PostgreSQL, with an injected clock."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.services import NewEvent, Outcome, Result, Sender, Services
from bot.services.ics import IcsError
from bot.services.schedule import AMSTERDAM
from db.agenda_repositories import PENDING, SENDING, SENT, SKIPPED
from db.engine import SessionFactory, create_engine, session_factory
from db.models import Delivery
from db.repositories import ChatRepository, UserRepository
from knowledge import Matcher
from tests.factories import add_user, services_for
from tests.moments import NOW, ics_local, local, today

pytestmark = pytest.mark.dates  # also run at awkward moments by .ci/run (tests/moments.py)

START = ics_local(local(8, 15))  # an event eight days from now, 15:00 in Amsterdam
MENTOR, STUDENT, ELSEWHERE = 8101, 8102, 8103


async def people(sessions: SessionFactory) -> None:
    await add_user(sessions, MENTOR, "poo-marnix", "mentor")
    await add_user(sessions, STUDENT, "poo-marnix", "student")
    await add_user(sessions, ELSEWHERE, "groningen-kop-van-drenthe", "mentor")


def ics(*events: str) -> bytes:
    body = "".join(f"BEGIN:VEVENT\n{e.strip()}\nEND:VEVENT\n" for e in events)
    return f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Fictief//NL\n{body}END:VCALENDAR\n".encode()


def event(uid: str, start: str, summary: str = "Fictieve intervisie", extra: str = "") -> str:
    return f"UID:{uid}\nSUMMARY:{summary}\nDTSTART;TZID=Europe/Amsterdam:{start}\nDURATION:PT2H\n{extra}"


def dutch_day(moment: datetime) -> str:
    """ "woensdag 1 december", written out here so the test does not trust the code's own formatter."""
    weekdays = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
    months = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
              "november", "december")  # fmt: skip
    return f"{weekdays[moment.weekday()]} {moment.day} {months[moment.month - 1]}"


async def rows(sessions: SessionFactory) -> list[Delivery]:
    async with sessions() as session:
        return list(await session.scalars(select(Delivery).order_by(Delivery.due_at, Delivery.chat_id)))


async def test_import_plans_reminders_for_the_audience_and_reimport_does_not_duplicate(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    await people(sessions)
    services = services_for(sessions, matcher)
    calendar = ics(
        event("i@fictief", START),
        event("m@fictief", ics_local(local(9, 15)), "Fictieve mentortraining"),
    )
    result = await services.agenda.import_calendar(calendar, "poo-marnix", NOW)
    assert (result.added, result.updated) == (2, 0)
    planned = await rows(sessions)
    # intervisie (whole partnership): mentor and student, 7 and 1 day before; mentortraining: mentor only.
    assert {r.chat_id for r in planned} == {MENTOR, STUDENT}
    assert len([r for r in planned if r.chat_id == STUDENT]) == 2
    assert len([r for r in planned if r.chat_id == MENTOR]) == 4
    assert all(r.due_at.astimezone(AMSTERDAM).hour == 9 for r in planned)

    again = await services.agenda.import_calendar(calendar, "poo-marnix", NOW)
    assert (again.added, again.updated) == (0, 2)
    assert len(await rows(sessions)) == 6
    listing = await services.agenda.listing("poo-marnix", NOW)
    assert [v.title for v in listing] == ["Fictieve intervisie", "Fictieve mentortraining"]
    assert listing[1].audience == ("mentor", "schoolopleider")


async def test_an_empty_calendar_or_an_unknown_uid_leaves_every_planned_reminder(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    """Nothing to re-plan touches nothing: not this partnership's reminders, nor another's."""
    await people(sessions)
    services = services_for(sessions, matcher)
    await services.agenda.import_calendar(ics(event("i@fictief", START)), "poo-marnix", NOW)
    planned = [(r.id, r.key, r.chat_id) for r in await rows(sessions)]
    assert len(planned) == 4

    await services.agenda.import_calendar(ics(), "groningen-kop-van-drenthe", NOW)
    await services.agenda.import_calendar(ics(), "poo-marnix", NOW)
    assert await services.agenda.cancel("poo-marnix", "onbekend@fictief", NOW) == 0
    assert [(r.id, r.key, r.chat_id) for r in await rows(sessions)] == planned


async def test_broken_file_imports_nothing(sessions: SessionFactory, matcher: Matcher) -> None:
    services = services_for(sessions, matcher)
    broken = ics(event("goed@fictief", START), "UID:kapot@fictief\nSUMMARY:Kapot\nDTSTART:x")
    with pytest.raises(IcsError, match="Kapot"):
        await services.agenda.import_calendar(broken, "poo-marnix", NOW)
    assert await services.agenda.listing("poo-marnix", NOW, everything=True) == []


async def claim_all(services: Services, now: datetime, limit: int = 100) -> list[int]:
    return [o.chat_id for o in await services.deliveries.claim(now, limit)]


async def test_claim_sends_due_rows_once_and_a_crash_resends_only_the_claimed_batch(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    await people(sessions)
    services = services_for(sessions, matcher)
    await services.agenda.import_calendar(ics(event("i@fictief", START)), "poo-marnix", NOW)
    assert await claim_all(services, NOW) == []  # nothing due yet
    due = local(1, 9) + timedelta(seconds=1)  # a week before
    claimed = await services.deliveries.claim(due, 1)
    assert len(claimed) == 1
    # The process "crashes" here: sent, never marked. Another claim right after gets the other row only.
    others = await services.deliveries.claim(due, 10)
    assert len(others) == 1
    assert others[0].chat_id != claimed[0].chat_id
    await services.deliveries.record([Outcome(others[0].id, others[0].chat_id, Result.SENT)], due)
    # After the claim time-out the unconfirmed row is claimed again (at least once), the sent one never.
    later = due + timedelta(seconds=services.settings.delivery_claim_timeout_seconds + 1)
    again = await services.deliveries.claim(later, 10)
    assert [o.id for o in again] == [claimed[0].id]


async def test_restart_with_pending_rows_and_missed_reminders(sessions: SessionFactory, matcher: Matcher) -> None:
    await people(sessions)
    await services_for(sessions, matcher).agenda.import_calendar(ics(event("i@fictief", START)), "poo-marnix", NOW)
    # A new process (fresh Services) after downtime: the 7-day reminders are late but the event has
    # not started, so they still go; the 1-day reminders too. After the start everything is skipped.
    restarted = services_for(sessions, matcher)
    late = local(7, 13)
    claimed = await restarted.deliveries.claim(late, 10)
    assert sorted(o.chat_id for o in claimed) == [MENTOR, MENTOR, STUDENT, STUDENT]
    await restarted.deliveries.record([Outcome(o.id, o.chat_id, Result.SENT) for o in claimed], late)
    await services_for(sessions, matcher).agenda.import_calendar(
        ics(event("j@fictief", START, "Fictieve intervisie twee")), "poo-marnix", NOW
    )
    after_start = local(8, 16)
    assert await claim_all(restarted, after_start) == []
    skipped = [r for r in await rows(sessions) if r.status == SKIPPED]
    assert len(skipped) == 4
    assert {r.last_error for r in skipped} == {"de bijeenkomst is al begonnen"}


async def test_moving_an_event_replans_and_cancelling_notifies_who_was_reminded(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    await people(sessions)
    services = services_for(sessions, matcher)
    await services.agenda.import_calendar(ics(event("i@fictief", START)), "poo-marnix", NOW)
    week_before = local(1, 9)
    sent = await services.deliveries.claim(week_before, 10)
    await services.deliveries.record([Outcome(o.id, o.chat_id, Result.SENT) for o in sent], week_before)
    await services.agenda.import_calendar(ics(event("i@fictief", ics_local(local(10, 15)))), "poo-marnix", week_before)
    pending = [r for r in await rows(sessions) if r.status == PENDING]
    # moved two days later: 7 and 1 day before the new date
    assert {r.due_at.astimezone(AMSTERDAM).date() for r in pending} == {today() + timedelta(days=3), local(9, 9).date()}

    assert await services.agenda.cancel("poo-marnix", "i@fictief", week_before) == 1
    left = await rows(sessions)
    assert not [r for r in left if r.kind == "reminder" and r.status == PENDING]
    notices = [r for r in left if r.kind == "cancelled"]
    assert sorted(r.chat_id for r in notices) == [MENTOR, STUDENT]
    outgoing = await services.deliveries.claim(week_before, 10)
    assert {o.kind for o in outgoing} == {"cancelled"}
    assert all(o.event is not None and o.event.cancelled for o in outgoing)


async def test_unsubscribing_and_forgetting_remove_pending_reminders_at_once(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    await people(sessions)
    services = services_for(sessions, matcher)
    await services.agenda.import_calendar(ics(event("i@fictief", START)), "poo-marnix", NOW)
    state = await services.agenda.subscribe(STUDENT, "intervisie", False, NOW)
    assert state == {"intervisie": False, "mentortraining": True, "partnerscholendag": True, "overig": True}
    assert {r.chat_id for r in await rows(sessions)} == {MENTOR}
    await services.agenda.subscribe(STUDENT, "intervisie", True, NOW)
    assert {r.chat_id for r in await rows(sessions)} == {MENTOR, STUDENT}
    assert await services.profiles.forget(MENTOR, MENTOR)
    assert {r.chat_id for r in await rows(sessions)} == {STUDENT}


async def test_a_late_subscriber_gets_the_upcoming_reminders(sessions: SessionFactory, matcher: Matcher) -> None:
    services = services_for(sessions, matcher)
    await services.agenda.add(
        NewEvent(
            "poo-marnix",
            "Fictieve dag",
            local(8, 9),
            local(8, 16),
            "partnerscholendag",
        ),
        NOW,
    )
    assert await rows(sessions) == []
    async with sessions.begin() as session:
        await ChatRepository(session).upsert(8200, "private", None)
        await UserRepository(session).upsert(8200, "Fictief", private_chat_id=8200)
    await services.onboarding.choose_partnership(8200, "poo-marnix")
    await services.onboarding.choose_role(8200, "boc")
    # 14 days before is past; only the day before is still to come.
    planned = await rows(sessions)
    assert [(r.chat_id, r.due_at.astimezone(AMSTERDAM).date()) for r in planned] == [(8200, local(7, 9).date())]


async def test_rsvp_can_change_and_counts_show_in_the_listing(sessions: SessionFactory, matcher: Matcher) -> None:
    await people(sessions)
    services = services_for(sessions, matcher)
    await services.agenda.import_calendar(ics(event("i@fictief", START)), "poo-marnix", NOW)
    [view] = await services.agenda.listing("poo-marnix", NOW)
    assert await services.agenda.rsvp(view.id, MENTOR, True, NOW) is not None
    assert await services.agenda.rsvp(view.id, STUDENT, True, NOW) is not None
    assert await services.agenda.rsvp(view.id, STUDENT, False, NOW) is not None
    assert await services.agenda.rsvp(view.id, 999, True, NOW) is None
    assert await services.agenda.rsvp(view.id, ELSEWHERE, True, NOW) is None  # another partnership's event
    assert await services.agenda.event_for(ELSEWHERE, view.id) is None
    assert await services.agenda.event_for(MENTOR, view.id) is not None
    [view] = await services.agenda.listing("poo-marnix", NOW)
    assert (view.rsvp_yes, view.rsvp_no) == (1, 1)
    [mine] = await services.agenda.for_user(STUDENT, NOW) or []
    assert mine.my_rsvp is False


async def test_next_event_answers_questions_without_inventing_dates(sessions: SessionFactory, matcher: Matcher) -> None:
    await people(sessions)
    services = services_for(sessions, matcher)
    from bot.services import Sender

    sender = Sender(MENTOR, "Fictief", MENTOR, "private")
    nothing = await services.questions.ask_from(sender, "wanneer is de volgende intervisie?")
    assert "Er staat nog geen intervisie gepland" in nothing.answer.text  # type: ignore[union-attr]
    await services.agenda.import_calendar(ics(event("i@fictief", START)), "poo-marnix", NOW)
    found = await services.questions.ask_from(sender, "wanneer is de volgende intervisie?")
    assert dutch_day(local(8, 15)) + ", 15:00–17:00" in found.answer.text  # type: ignore[union-attr]
    training = ics(event("m@fictief", ics_local(local(9, 15)), "Fictieve mentortraining"))
    await services.agenda.import_calendar(training, "poo-marnix", NOW)
    question = "wanneer is de volgende mentortraining?"
    for_mentor = await services.questions.ask_from(sender, question)
    assert "De volgende mentortraining" in for_mentor.answer.text  # type: ignore[union-attr]
    student = Sender(STUDENT, "Fictief", STUDENT, "private")
    for_student = await services.questions.ask_from(student, question)  # not in a student's audience
    assert "Er staat nog geen mentortraining gepland" in for_student.answer.text  # type: ignore[union-attr]


async def test_two_instances_never_claim_the_same_row(database_url: str, matcher: Matcher) -> None:
    """Two engines (two processes) claiming at once, on both databases: every row exactly once."""
    engines = [create_engine(database_url) for _ in range(2)]
    try:
        from db.migrate import upgrade

        await upgrade(engines[0])
        first = session_factory(engines[0])
        for user_id in range(9000, 9040):
            await add_user(first, user_id, "poo-marnix", "mentor")
        instances = [services_for(session_factory(e), matcher) for e in engines]
        await instances[0].agenda.import_calendar(ics(event("i@fictief", START)), "poo-marnix", NOW)
        due = local(7, 10)

        async def drain(services: Services) -> list[int]:
            got: list[int] = []
            while batch := await services.deliveries.claim(due, 5):
                got += [o.id for o in batch]
                await services.deliveries.record([Outcome(o.id, o.chat_id, Result.SENT) for o in batch], due)
            return got

        one, two = await asyncio.gather(drain(instances[0]), drain(instances[1]))
        assert len(one) + len(two) == 80
        assert not set(one) & set(two)
        statuses = {r.status for r in await rows(first)}
        assert statuses == {SENT}
        assert SENDING not in statuses
    finally:
        for engine in engines:
            await engine.dispose()


async def test_an_event_for_some_schools_reminds_only_their_people(sessions: SessionFactory, matcher: Matcher) -> None:
    for user_id, school in ((8501, "school:kc-de-wegwijzer"), (8502, None)):
        await add_user(sessions, user_id, "groningen-kop-van-drenthe", "mentor")
        async with sessions.begin() as session:
            user = await UserRepository(session).get(user_id)
            assert user is not None
            user.school_id = school
    services = services_for(sessions, matcher)
    start = local(8, 15)
    new = NewEvent("groningen-kop-van-drenthe", "Fictieve schooldag", start, start + timedelta(hours=2),
                   schools=("school:kc-de-wegwijzer",))  # fmt: skip
    await services.agenda.add(new, NOW)
    assert {r.chat_id for r in await rows(sessions)} == {8501}
    assert await services.agenda.for_user(8502, NOW) == []


async def test_status_cancelled_on_reimport_cancels_and_notifies(sessions: SessionFactory, matcher: Matcher) -> None:
    await people(sessions)
    services = services_for(sessions, matcher)
    await services.agenda.import_calendar(ics(event("i@fictief", START)), "poo-marnix", NOW)
    week_before = local(1, 9)
    sent = await services.deliveries.claim(week_before, 10)
    await services.deliveries.record([Outcome(o.id, o.chat_id, Result.SENT) for o in sent], week_before)
    cancelled = ics(event("i@fictief", START, extra="STATUS:CANCELLED"))
    await services.agenda.import_calendar(cancelled, "poo-marnix", week_before)
    [view] = await services.agenda.listing("poo-marnix", week_before)
    assert view.cancelled
    notices = await services.deliveries.claim(week_before, 10)
    assert sorted((o.kind, o.chat_id) for o in notices) == [("cancelled", MENTOR), ("cancelled", STUDENT)]
    assert not [r for r in await rows(sessions) if r.kind == "reminder" and r.status == PENDING]


async def test_a_chat_active_again_gets_its_upcoming_reminders_back(sessions: SessionFactory, matcher: Matcher) -> None:
    """Blocked, the mentor's reminders were dropped at a re-planning; a message (or an unblock
    without one) brings them back."""
    await people(sessions)
    services = services_for(sessions, matcher)
    calendar = ics(event("i@fictief", START))
    await services.agenda.import_calendar(calendar, "poo-marnix", NOW)
    planned = {(r.key, r.due_at) for r in await rows(sessions) if r.chat_id == MENTOR}
    assert len(planned) == 2

    async def blocked_and_replanned() -> None:
        assert await services.profiles.mark_blocked(MENTOR)
        await services.agenda.import_calendar(calendar, "poo-marnix", NOW)  # re-planned while blocked
        assert [r for r in await rows(sessions) if r.chat_id == MENTOR] == []

    await blocked_and_replanned()
    await services.questions.ask_from(Sender(MENTOR, "Fictieve Mentor", MENTOR, "private"), "wat is intervisie")
    await services.writes.flush()
    assert {(r.key, r.due_at) for r in await rows(sessions) if r.chat_id == MENTOR} == planned

    await blocked_and_replanned()
    assert await services.profiles.reactivate(MENTOR)  # unblocked (my_chat_member), no message
    assert {(r.key, r.due_at) for r in await rows(sessions) if r.chat_id == MENTOR} == planned
    assert not await services.profiles.reactivate(MENTOR)  # active already: nothing to do
