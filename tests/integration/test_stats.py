"""/stats figures on SQLite and PostgreSQL: counted per partnership over the chosen period, with no
names; only coordinators of that partnership get them."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from bot.services.coordinators import Authority
from bot.services.stats import DeliveryFigures
from db.engine import SessionFactory
from db.models import Delivery, Event, Question
from db.repositories import UserRepository
from knowledge import Matcher
from tests.factories import add_coordinator, add_user, services_for
from tests.moments import local, today

pytestmark = pytest.mark.dates  # also run at awkward moments by .ci/run (tests/moments.py)

NOW = local(-today().weekday(), 11)  # Monday of this week, 11:00 in Amsterdam: the questions below fall in last week

CHIEF, MENTOR, STUDENT, ELSEWHERE = 8401, 8402, 8403, 8404
_ids = itertools.count(1)


def question(
    user_id: int, text: str, days_ago: float, fallback: bool, partnership: str = "poo-marnix", **extra: int
) -> Question:
    return Question(
        id=next(_ids),
        user_id=user_id,
        chat_id=user_id,
        question=text,
        matched=None if fallback else "rol:mentor",
        confidence=0.2 if fallback else 0.9,
        fallback=fallback,
        partnership=partnership,
        created_at=NOW - timedelta(days=days_ago),
        **extra,
    )


async def fill(sessions: SessionFactory) -> None:
    await add_user(sessions, CHIEF, "poo-marnix", "schoolopleider", "school:kc-fictief")
    await add_user(sessions, MENTOR, "poo-marnix", "mentor", "school:kc-fictief")
    await add_user(sessions, STUDENT, "poo-marnix", "student")
    await add_user(sessions, ELSEWHERE, "groningen-kop-van-drenthe", "mentor")
    await add_coordinator(sessions, CHIEF, "poo-marnix")
    async with sessions.begin() as session:
        student = await UserRepository(session).get(STUDENT)
        assert student is not None
        student.school_name = "Een getypte school"
        session.add_all(
            [
                question(MENTOR, "Wat doet een mentor?", 1, False, feedback=1),
                question(MENTOR, "Waar parkeer ik?", 2, True),
                question(STUDENT, "waar parkeer ik? ", 3, True),
                question(STUDENT, "Hoe laat is de borrel?", 4, False, feedback=-1),
                question(STUDENT, "Oude vraag zonder antwoord", 40, True),
                question(ELSEWHERE, "Vraag uit een ander partnerschap", 1, True, "groningen-kop-van-drenthe"),
            ]
        )
        mine = Event(partnership="poo-marnix", uid="a", category="intervisie", title="x", starts_at=NOW, ends_at=NOW)
        theirs = Event(
            partnership="groningen-kop-van-drenthe",
            uid="b",
            category="intervisie",
            title="y",
            starts_at=NOW,
            ends_at=NOW,
        )
        session.add_all([mine, theirs])
        await session.flush()
        due = NOW - timedelta(days=1)
        session.add_all(
            [
                Delivery(
                    key="reminder:a:1",
                    kind="reminder",
                    chat_id=MENTOR,
                    user_id=MENTOR,
                    event_id=mine.id,
                    due_at=due,
                    status="sent",
                ),
                Delivery(
                    key="reminder:a:1",
                    kind="reminder",
                    chat_id=STUDENT,
                    user_id=STUDENT,
                    event_id=mine.id,
                    due_at=due,
                    status="skipped",
                ),
                Delivery(
                    key="cancelled:a",
                    kind="cancelled",
                    chat_id=MENTOR,
                    user_id=MENTOR,
                    event_id=mine.id,
                    due_at=due,
                    status="pending",
                ),
                Delivery(
                    key="reminder:b:1",
                    kind="reminder",
                    chat_id=ELSEWHERE,
                    user_id=ELSEWHERE,
                    event_id=theirs.id,
                    due_at=due,
                    status="sent",
                ),
                Delivery(key="broadcast:1", kind="message", chat_id=MENTOR, user_id=MENTOR, due_at=due, status="sent"),
                Delivery(
                    key="broadcast:1", kind="message", chat_id=STUDENT, user_id=STUDENT, due_at=due, status="failed"
                ),
                Delivery(
                    key="broadcast:2", kind="message", chat_id=ELSEWHERE, user_id=ELSEWHERE, due_at=due, status="sent"
                ),
                # A broadcast's report and an inbox answer are no broadcasts of their own.
                Delivery(
                    key="broadcast-report:1", kind="message", chat_id=CHIEF, user_id=CHIEF, due_at=due, status="sent"
                ),
                Delivery(
                    key="inbox-answer:1", kind="message", chat_id=MENTOR, user_id=MENTOR, due_at=due, status="sent"
                ),
            ]
        )


async def test_the_figures_of_the_own_partnership_over_the_period(sessions: SessionFactory, matcher: Matcher) -> None:
    await fill(sessions)
    services = services_for(sessions, matcher)
    chief = await services.coordinators.authority(CHIEF)
    assert chief is not None

    stats = await services.stats.figures(chief, 30, NOW)
    assert (stats.users, stats.reachable) == (3, 3)
    assert dict(stats.by_role) == {"schoolopleider": 1, "mentor": 1, "student": 1}
    assert stats.by_school == (("school:kc-fictief", None, 2), (None, "Een getypte school", 1))
    assert (stats.asked, stats.answered, stats.fallback, stats.thumbs_up, stats.thumbs_down) == (4, 2, 2, 1, 1)
    assert stats.fallback_rate == 0.5
    # The same question in other capitals counts once, most asked first; texts only, no names.
    assert stats.unanswered == (("Waar parkeer ik?", 2), ("Hoe laat is de borrel?", 1))
    assert stats.reminders == DeliveryFigures(sent=1, waiting=1, not_delivered=1)
    assert stats.messages == DeliveryFigures(sent=1, waiting=0, not_delivered=1)

    year = await services.stats.figures(chief, 365, NOW)
    assert (year.asked, year.fallback) == (5, 3)
    assert ("Oude vraag zonder antwoord", 1) in year.unanswered
    week = await services.stats.figures(chief, 7, NOW)
    assert week.asked == 4

    # Twelve weeks for the chart, oldest first, empty weeks included: last week holds the four questions.
    assert len(stats.weeks) == 12
    assert stats.weeks[-1].monday == NOW.date()
    last_week = stats.weeks[-2]
    assert (last_week.monday, last_week.asked, last_week.fallback) == (NOW.date() - timedelta(days=7), 4, 2)
    assert sum(w.asked for w in stats.weeks) == 5


async def test_only_coordinators_of_the_partnership_get_figures(sessions: SessionFactory, matcher: Matcher) -> None:
    await fill(sessions)
    services = services_for(sessions, matcher)
    with pytest.raises(PermissionError):
        await services.stats.figures(Authority(MENTOR, "Fictief", "poo-marnix"), 30, NOW)
    await add_coordinator(sessions, ELSEWHERE, "groningen-kop-van-drenthe")
    with pytest.raises(PermissionError):
        await services.stats.figures(Authority(ELSEWHERE, "Fictief", "poo-marnix"), 30, NOW)
    theirs = await services.stats.figures(Authority(ELSEWHERE, "Fictief", "groningen-kop-van-drenthe"), 30, NOW)
    assert (theirs.users, theirs.asked) == (1, 1)
    assert theirs.unanswered == (("Vraag uit een ander partnerschap", 1),)


async def test_questions_answered_from_the_inbox_and_picked_suggestions_are_not_unanswered(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    await fill(sessions)
    async with sessions.begin() as session:
        answered = question(MENTOR, "Waar laad ik mijn fiets op?", 1, True)
        answered.answered_at = NOW - timedelta(hours=1)
        session.add_all([answered, question(MENTOR, "[suggestie] Wat doet een mentor?", 1, False, feedback=-1)])
    services = services_for(sessions, matcher)
    chief = await services.coordinators.authority(CHIEF)
    assert chief is not None
    stats = await services.stats.figures(chief, 30, NOW)
    assert stats.unanswered == (("Waar parkeer ik?", 2), ("Hoe laat is de borrel?", 1))


async def test_the_charts_weeks_alone_are_those_of_the_figures(sessions: SessionFactory, matcher: Matcher) -> None:
    """The web view's chart asks for the weeks by themselves: the same as with the figures of any period."""
    await fill(sessions)
    services = services_for(sessions, matcher)
    chief = await services.coordinators.authority(CHIEF)
    assert chief is not None
    weeks = await services.stats.weeks(chief, NOW)
    assert sum(w.asked for w in weeks) == 5
    for days in (7, 30, 365):
        assert weeks == (await services.stats.figures(chief, days, NOW)).weeks
    with pytest.raises(PermissionError):
        await services.stats.weeks(Authority(MENTOR, "Fictief", "poo-marnix"), NOW)
