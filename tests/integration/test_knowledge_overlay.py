"""The knowledge overlay and the question inbox on SQLite and PostgreSQL: imports with audit rows,
reload, grouping, and an answer from the inbox reaching the askers through the outbox."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.services import Services
from bot.services.coordinators import Authority, command_line
from db.agenda_repositories import MESSAGE
from db.engine import SessionFactory
from db.models import AuditEntry, Delivery, Question
from db.repositories import QuestionRepository, UserRepository
from knowledge import Matcher
from knowledge.grouping import group_questions
from knowledge.overlay import OverlayItem
from tests.factories import add_coordinator, add_user, services_for
from tests.moments import NOW

pytestmark = pytest.mark.dates  # also run at awkward moments by .ci/run (tests/moments.py)

GRONINGEN, POO = "groningen-kop-van-drenthe", "poo-marnix"
CHIEF, ASKER, SECOND_ASKER, ELSEWHERE, OTHER_CHIEF = 8301, 8302, 8303, 8304, 8305
PARKING = "Waar kan ik parkeren bij de fictieve pabo?"


def anna(phone: str = "06 12345678") -> OverlayItem:
    fields = {"naam": "Fictieve Anna", "rol": "schoolopleider", "school": "school:kc-de-wegwijzer", "telefoon": phone}
    return OverlayItem(GRONINGEN, "contact", "fictieve-anna-kc-de-wegwijzer", fields, "import contacten.csv")


async def audit_rows(sessions: SessionFactory) -> list[AuditEntry]:
    async with sessions() as session:
        return list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


async def test_import_updates_instead_of_duplicating_and_is_audited(sessions: SessionFactory, matcher: Matcher) -> None:
    services = services_for(sessions, matcher)
    first = await services.overlay.import_items(command_line(GRONINGEN), "contact", [anna()], NOW)
    again = await services.overlay.import_items(command_line(GRONINGEN), "contact", [anna()], NOW)
    changed = await services.overlay.import_items(command_line(GRONINGEN), "contact", [anna("06 87654321")], NOW)
    assert [(c.new, c.updated) for c in (first, again, changed)] == [(1, 0), (0, 0), (0, 1)]
    [stored] = await services.overlay.items(GRONINGEN)
    assert stored.fields["telefoon"] == "06 87654321"
    assert [(r.actor_name, r.action, r.subject, r.detail) for r in await audit_rows(sessions)] == [
        ("opdrachtregel", "kennis-import", "import:contact", "1 nieuw, 0 bijgewerkt"),
        ("opdrachtregel", "kennis-import", "import:contact", "0 nieuw, 0 bijgewerkt"),
        ("opdrachtregel", "kennis-import", "import:contact", "0 nieuw, 1 bijgewerkt"),
    ]
    # Nobody imports into another partnership: not the command line for the wrong one, nor a
    # coordinator of another partnership.
    with pytest.raises(PermissionError):
        await services.overlay.import_items(command_line(POO), "contact", [anna()], NOW)
    await add_coordinator(sessions, OTHER_CHIEF, POO)
    with pytest.raises(PermissionError):
        await services.overlay.import_items(Authority(OTHER_CHIEF, "x", GRONINGEN), "contact", [anna()], NOW)
    assert len(await audit_rows(sessions)) == 3


async def test_a_coordinator_lists_only_their_own_partnerships_items(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    services = services_for(sessions, matcher)
    await services.overlay.import_items(command_line(GRONINGEN), "contact", [anna()], NOW)
    await add_coordinator(sessions, CHIEF, GRONINGEN)
    await add_coordinator(sessions, OTHER_CHIEF, POO)
    assert [i.entry_id for i in await services.overlay.managed(Authority(CHIEF, "x", GRONINGEN))] == [anna().entry_id]
    assert await services.overlay.managed(Authority(OTHER_CHIEF, "x", POO)) == []
    # A right in one partnership does not show another's: the service checks it, not only the page.
    with pytest.raises(PermissionError):
        await services.overlay.managed(Authority(OTHER_CHIEF, "x", GRONINGEN))


async def test_the_index_is_swapped_when_the_overlay_changed(sessions: SessionFactory, matcher: Matcher) -> None:
    services = services_for(sessions, matcher)
    question = "wie is de schoolopleider van KC De Wegwijzer?"
    assert await services.overlay.reload() is True  # the first look at an empty overlay
    assert services.matcher is matcher  # nothing to add: the base index itself
    assert await services.overlay.reload() is False

    # Another process (the command line) imports: this one picks it up at its next look.
    other_process = services_for(sessions, matcher)
    await other_process.overlay.import_items(command_line(GRONINGEN), "contact", [anna()], NOW)
    assert "Fictieve Anna" not in services.matcher.match(question, GRONINGEN).text
    assert await services.overlay.reload() is True
    assert "Fictieve Anna" in services.matcher.match(question, GRONINGEN).text
    assert "Fictieve Anna" in services.questions.matcher.match(question, GRONINGEN).text
    assert "Fictieve Anna" not in services.matcher.match(question, POO).text
    assert await services.overlay.reload() is False


async def test_a_withdrawn_item_no_longer_answers_and_the_removal_is_audited(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    services = services_for(sessions, matcher)
    question = "wie is de schoolopleider van KC De Wegwijzer?"
    await services.overlay.import_items(command_line(GRONINGEN), "contact", [anna()], NOW)
    await services.overlay.reload()
    assert "Fictieve Anna" in services.matcher.match(question, GRONINGEN).text
    entry_id = anna().entry_id

    # Not from another partnership: the item stays.
    with pytest.raises(PermissionError):
        await services.overlay.remove(command_line(POO), entry_id, NOW)
    assert "Fictieve Anna" in services.matcher.match(question, GRONINGEN).text
    assert await services.overlay.remove(command_line(GRONINGEN), entry_id, NOW) is True
    # The index of this process is rebuilt at once; another instance's at its next reload.
    assert "Fictieve Anna" not in services.matcher.match(question, GRONINGEN).text
    assert await services.overlay.reload() is False
    assert await services.overlay.remove(command_line(GRONINGEN), entry_id, NOW) is False
    last = (await audit_rows(sessions))[-1]
    assert (last.action, last.subject, last.partnership) == ("kennis-verwijderd", entry_id, GRONINGEN)


async def ask(
    services: Services, user_id: int, text: str, at: datetime, fallback: bool = True, feedback: int | None = None
) -> int:
    async with services.sessions.begin() as session:
        questions = QuestionRepository(session)
        question_id = await questions.add(
            user_id=user_id,
            chat_id=user_id,
            question=text,
            matched=None,
            confidence=0.1,
            fallback=fallback,
            partnership=POO,
        )
        found = await questions.get(question_id)
        assert found is not None
        found.created_at = at
        if feedback is not None:
            await questions.set_feedback(question_id, user_id, feedback)
    return question_id


async def inbox_world(sessions: SessionFactory, matcher: Matcher) -> tuple[Services, Authority]:
    services = services_for(sessions, matcher, quiet_hours="")
    await add_user(sessions, CHIEF, POO, "schoolopleider")
    await add_user(sessions, ASKER, POO, "mentor")
    await add_user(sessions, SECOND_ASKER, POO, "student")
    await add_user(sessions, ELSEWHERE, GRONINGEN, "mentor")
    await add_coordinator(sessions, CHIEF, POO)
    await add_coordinator(sessions, OTHER_CHIEF, GRONINGEN)
    chief = await services.coordinators.authority(CHIEF)
    assert chief is not None
    return services, chief


async def test_the_inbox_groups_what_fell_back_or_got_a_thumbs_down(sessions: SessionFactory, matcher: Matcher) -> None:
    services, chief = await inbox_world(sessions, matcher)
    await ask(services, ASKER, PARKING, NOW - timedelta(hours=3))
    await ask(services, SECOND_ASKER, "waar kan ik parkeren bij de fictieve pabo", NOW - timedelta(hours=2))
    await ask(services, ASKER, "Is er een fictieve kantine?", NOW - timedelta(hours=1))
    await ask(services, ASKER, "Wat is intervisie?", NOW, fallback=False, feedback=-1)  # 👎
    await ask(services, ASKER, "Wat is lesson study?", NOW, fallback=False)  # answered well: not in the inbox
    await ask(services, ASKER, "[suggestie] Intervisie", NOW)  # a picked suggestion is no question
    async with sessions.begin() as session:  # a question of another partnership's user
        await QuestionRepository(session).add(
            user_id=ELSEWHERE,
            chat_id=ELSEWHERE,
            question="Fictief elders?",
            matched=None,
            confidence=0,
            fallback=True,
            partnership=GRONINGEN,
        )

    page = await services.question_inbox.page(chief)
    assert [(g.count, g.text) for g in page.groups] == [
        (2, "waar kan ik parkeren bij de fictieve pabo"),
        (1, "Wat is intervisie?"),
        (1, "Is er een fictieve kantine?"),
    ]
    assert (page.total, page.questions, page.pages) == (3, 4, 1)
    # Listed again after one more question: it is counted (the grouping is not kept past a change).
    await ask(services, SECOND_ASKER, "is er een fictieve kantine", NOW)
    again = await services.question_inbox.page(chief)
    assert (2, "is er een fictieve kantine") in [(g.count, g.text) for g in again.groups]
    assert (again.total, again.questions) == (3, 5)
    # A coordinator of another partnership sees only their own; a forged authority nothing at all.
    other = await services.coordinators.authority(OTHER_CHIEF)
    assert other is not None
    assert [g.text for g in (await services.question_inbox.page(other)).groups] == ["Fictief elders?"]
    with pytest.raises(PermissionError):
        await services.question_inbox.page(Authority(ASKER, "x", POO))


async def test_a_forgotten_askers_questions_leave_the_inbox_and_memory(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    services, chief = await inbox_world(sessions, matcher)
    await ask(services, ASKER, "Is er een fictieve kantine?", NOW - timedelta(hours=1))
    await ask(services, SECOND_ASKER, "Waar is de fictieve fietsenstalling?", NOW)
    assert (await services.question_inbox.page(chief)).total == 2
    await services.profiles.forget(ASKER, ASKER)
    assert "kantine" not in repr(services.groupings._last)  # not kept until a coordinator looks again
    [left] = (await services.question_inbox.page(chief)).groups
    assert left.text == "Waar is de fictieve fietsenstalling?"


async def test_an_answer_from_the_inbox_reaches_the_askers_and_answers_from_then_on(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    services, chief = await inbox_world(sessions, matcher)
    await ask(services, ASKER, PARKING, NOW - timedelta(hours=3))
    await ask(services, ASKER, "waar kan ik parkeren bij de fictieve pabo?", NOW - timedelta(hours=2))
    newest = await ask(services, SECOND_ASKER, "Waar kan ik parkeren bij de fictieve pabo", NOW - timedelta(hours=1))
    await services.overlay.reload()
    [group] = (await services.question_inbox.page(chief)).groups
    assert group.question_id == newest

    # The coordinator of another partnership cannot answer this group, even with its id.
    other = await services.coordinators.authority(OTHER_CHIEF)
    assert other is not None
    with pytest.raises(PermissionError):
        await services.question_inbox.begin(other, newest, NOW)

    started = await services.question_inbox.begin(chief, newest, NOW)
    assert started is not None
    assert (started.count, started.recipients, started.answer) == (3, 2, None)
    written = await services.question_inbox.write(chief, "Fictief: parkeren kan op het <fictieve> terrein.", NOW)
    assert written is not None
    assert written.answer == "Fictief: parkeren kan op het <fictieve> terrein."
    # Pressing "Beantwoorden" again continues the draft: nothing typed is lost.
    again = await services.question_inbox.begin(chief, newest, NOW)
    assert again is not None
    assert again.answer == written.answer

    answered = await services.question_inbox.send(chief, newest, NOW)
    assert answered is not None
    assert (answered.questions, answered.recipients) == (3, 2)
    assert await services.question_inbox.send(chief, newest, NOW) is None  # sent once, not twice

    async with sessions() as session:
        deliveries = list(await session.scalars(select(Delivery).order_by(Delivery.user_id)))
        open_questions = (await session.scalars(select(Question).where(Question.answered_at.is_(None)))).all()
    assert [(d.kind, d.key, d.chat_id, d.user_id, d.due_at) for d in deliveries] == [
        (MESSAGE, f"inbox-answer:{newest}", ASKER, ASKER, NOW),
        (MESSAGE, f"inbox-answer:{newest}", SECOND_ASKER, SECOND_ASKER, NOW),
    ]
    assert "&lt;fictieve&gt;" in (deliveries[0].text or "")  # HTML: every value escaped
    assert "waar kan ik parkeren bij de fictieve pabo?" in (deliveries[0].text or "")  # the asker's own words
    assert open_questions == []
    assert (await services.question_inbox.page(chief)).groups == []

    # Effective at once for the partnership's users; not for another partnership's.
    assert "parkeren kan op het" in services.matcher.match(PARKING, POO).text
    assert "parkeren kan op het" not in services.matcher.match(PARKING, GRONINGEN).text
    last = (await audit_rows(sessions))[-1]
    assert (last.actor_id, last.action, last.detail) == (CHIEF, "vraag-beantwoord", "3 vragen, 2 ontvangers")
    assert "Fictief" not in last.detail


async def test_forgetting_the_coordinator_drops_the_draft(sessions: SessionFactory, matcher: Matcher) -> None:
    services, chief = await inbox_world(sessions, matcher)
    question = await ask(services, ASKER, PARKING, NOW)
    await services.question_inbox.begin(chief, question, NOW)
    await services.question_inbox.write(chief, "Fictief concept.", NOW)
    async with sessions.begin() as session:
        await UserRepository(session).delete_everything(CHIEF)
    await add_coordinator(sessions, CHIEF, POO)
    assert await services.question_inbox.current(chief) is None


async def test_drafts_and_sent_answers_are_purged_with_the_questions(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    services, chief = await inbox_world(sessions, matcher)
    answered = await ask(services, ASKER, PARKING, NOW)
    await services.question_inbox.begin(chief, answered, NOW)
    await services.question_inbox.write(chief, "Fictief antwoord.", NOW)
    assert await services.question_inbox.send(chief, answered, NOW) is not None
    abandoned = await ask(services, ASKER, "Is er een fictieve kantine?", NOW)
    await services.question_inbox.begin(chief, abandoned, NOW)
    async with sessions.begin() as session:  # the answer went out
        await session.execute(update(Delivery).values(status="sent"))

    assert await services.question_inbox.purge_old(180, NOW + timedelta(days=179)) == 0
    assert await services.question_inbox.purge_old(180, NOW + timedelta(days=181)) == 2
    async with sessions() as session:
        assert list(await session.scalars(select(Delivery))) == []
    assert await services.question_inbox.current(chief) is None


async def test_an_imported_school_can_be_picked_in_onboarding(sessions: SessionFactory, matcher: Matcher) -> None:
    services = services_for(sessions, matcher)
    school = OverlayItem(
        GRONINGEN, "school", "kc-de-fictieve-vlinder", {"naam": "De Fictieve Vlinder", "soort": "KC"}, "t"
    )
    await services.overlay.import_items(command_line(GRONINGEN), "school", [school], NOW)
    await services.overlay.reload()
    await add_user(sessions, ELSEWHERE, GRONINGEN, "mentor")
    [found] = services.matcher.find_schools("Fictieve Vlinder", GRONINGEN)
    assert found.id == "school:kc-de-fictieve-vlinder"
    step = await services.onboarding.choose_school(ELSEWHERE, found.id)
    assert step.school == "KC De Fictieve Vlinder"
    assert services.matcher.find_schools("Fictieve Vlinder", POO) == []


async def test_a_question_asked_while_answering_gets_the_answer_too(sessions: SessionFactory, matcher: Matcher) -> None:
    services, chief = await inbox_world(sessions, matcher)
    first = await ask(services, ASKER, PARKING, NOW - timedelta(hours=1))
    await services.question_inbox.begin(chief, first, NOW)
    await services.question_inbox.write(chief, "Fictief antwoord.", NOW)
    await ask(services, SECOND_ASKER, "waar kan ik parkeren bij de fictieve pabo", NOW)
    answered = await services.question_inbox.send(chief, first, NOW)
    assert answered is not None
    assert (answered.questions, answered.recipients) == (2, 2)


@pytest.mark.parametrize("step", ["page", "begin", "send"])
async def test_grouping_the_inbox_holds_up_no_other_write(
    sessions: SessionFactory, matcher: Matcher, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    """Grouping thousands of open questions takes seconds: meanwhile others are answered and written
    (on SQLite the one connection, and the write-behind's lock, stay free)."""
    services, chief = await inbox_world(sessions, matcher)
    first = await ask(services, ASKER, PARKING, NOW - timedelta(hours=1))
    await services.question_inbox.begin(chief, first, NOW)
    await services.question_inbox.write(chief, "Fictief antwoord.", NOW)
    # A new open question, so the inbox must group again (the same questions keep their last grouping).
    await ask(services, SECOND_ASKER, "hoe laat sluit de fictieve kantine op vrijdag", NOW)
    grouping, done = threading.Event(), threading.Event()

    def slow_grouping(asked: Any) -> Any:
        grouping.set()
        done.wait(10)
        return group_questions(asked)

    monkeypatch.setattr("bot.services.question_inbox.group_questions", slow_grouping)
    inbox = services.question_inbox
    work: Coroutine[Any, Any, object]
    if step == "page":
        work = inbox.page(chief)
    elif step == "begin":
        work = inbox.begin(chief, first, NOW)
    else:
        work = inbox.send(chief, first, NOW)
    running = asyncio.create_task(work)
    assert await asyncio.to_thread(grouping.wait, 10)
    try:
        # Another user's question is answered and logged while the grouping runs.
        await asyncio.wait_for(services.questions.ask(SECOND_ASKER, SECOND_ASKER, "wat is intervisie", POO), 5)
    finally:
        done.set()
    assert await running is not None


async def test_the_web_takes_up_a_group_with_the_one_draft_the_chat_uses(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    """``prepare`` (the web view's form) and the chat's begin/write share the coordinator's one draft."""
    services, chief = await inbox_world(sessions, matcher)
    inbox = services.question_inbox
    parking = await ask(services, ASKER, PARKING, NOW - timedelta(hours=2))
    canteen = await ask(services, SECOND_ASKER, "Is er een fictieve kantine?", NOW - timedelta(hours=1))
    await inbox.begin(chief, parking, NOW)
    await inbox.write(chief, "Fictief chatconcept.", NOW)

    # Looking at a group writes nothing; the chat's draft shows with its own group only.
    shown = await inbox.group(chief, parking)
    assert shown is not None
    assert (shown.question_id, shown.answer, shown.count, shown.recipients) == (parking, "Fictief chatconcept.", 1, 1)
    other_group = await inbox.group(chief, canteen)
    assert other_group is not None
    assert other_group.answer is None

    # Answering another group on the web takes the draft over: the chat's older preview sends nothing.
    prepared = await inbox.prepare(chief, canteen, "  Fictief: de kantine\r\nis open.  ", NOW)
    assert prepared is not None
    assert prepared.answer == "Fictief: de kantine\nis open."
    assert await inbox.send(chief, parking, NOW) is None
    current = await inbox.current(chief)
    assert current is not None
    assert (current.question_id, current.answer) == (canteen, "Fictief: de kantine\nis open.")

    # What the preview showed is what goes out: an answer changed meanwhile (in the chat) is not sent.
    rewritten = await inbox.write(chief, "Fictief: anders getypt in de chat.", NOW)
    assert rewritten is not None
    assert rewritten.version != prepared.version
    assert await inbox.send(chief, canteen, NOW, version=prepared.version) is None
    answered = await inbox.send(chief, canteen, NOW, version=rewritten.version)
    assert answered is not None
    assert (answered.questions, answered.recipients) == (1, 1)
    assert await inbox.group(chief, canteen) is None  # it left the inbox
    assert await inbox.prepare(chief, canteen, "Fictief nog eens.", NOW) is None


async def test_another_partnerships_question_is_refused_and_nothing_changes(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    services, chief = await inbox_world(sessions, matcher)
    question = await ask(services, ASKER, PARKING, NOW)
    other = await services.coordinators.authority(OTHER_CHIEF)
    assert other is not None
    inbox = services.question_inbox
    for attempt in (
        inbox.group(other, question),
        inbox.prepare(other, question, "Fictief vals antwoord.", NOW),
        inbox.begin(other, question, NOW),
        inbox.send(other, question, NOW),
    ):
        with pytest.raises(PermissionError):
            await attempt
    assert await inbox.current(other) is None
    [group] = (await inbox.page(chief)).groups
    assert group.count == 1
    assert await inbox.group(chief, question + 10_000) is None  # no such question: gone, not refused


async def test_a_coordinator_edits_an_item_checked_as_an_import_row_and_audited(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    services = services_for(sessions, matcher)
    await add_user(sessions, CHIEF, GRONINGEN, "schoolopleider")
    await add_coordinator(sessions, CHIEF, GRONINGEN)
    await add_coordinator(sessions, OTHER_CHIEF, POO)
    chief = await services.coordinators.authority(CHIEF)
    other = await services.coordinators.authority(OTHER_CHIEF)
    assert chief is not None
    assert other is not None
    question = "wie is de schoolopleider van KC De Wegwijzer?"
    await services.overlay.import_items(command_line(GRONINGEN), "contact", [anna()], NOW)
    await services.overlay.reload()
    entry_id = anna().entry_id
    found = await services.overlay.item(chief, entry_id)
    assert found is not None
    assert found.fields["telefoon"] == "06 12345678"

    # A wrong cell is refused with the import's words; nothing changes.
    cells = {"naam": "Fictieve Anna <b>", "rol": "schoolopleider", "school": "KC De Wegwijzer", "e-mail": "geen-adres"}
    refused = await services.overlay.update(chief, entry_id, cells, NOW)
    assert refused.item is None
    assert [p.message for p in refused.problems] == ["kolom e-mail: ‘geen-adres’ is geen e-mailadres"]
    cells = {**cells, "school": "Fictief Onbekend", "e-mail": ""}
    assert "kolom school" in (await services.overlay.update(chief, entry_id, cells, NOW)).problems[0].message

    # A good edit: stored, audited, answered with at once (at the very moment of the import, too).
    cells = {**cells, "school": "KC De Wegwijzer", "e-mail": "anna@fictief.example", "telefoon": ""}
    edited = await services.overlay.update(chief, entry_id, cells, NOW)
    assert edited.changed
    assert not edited.problems
    [stored] = await services.overlay.items(GRONINGEN)
    assert stored.entry_id == entry_id  # the id stays: what points at it keeps pointing at it
    assert stored.fields == {
        "naam": "Fictieve Anna <b>",
        "rol": "schoolopleider",
        "school": "school:kc-de-wegwijzer",
        "e-mail": "anna@fictief.example",
    }
    assert "anna@fictief.example" in services.matcher.match(question, GRONINGEN).text
    other_process = services_for(sessions, matcher)
    await other_process.overlay.reload()
    assert "anna@fictief.example" in other_process.matcher.match(question, GRONINGEN).text
    again = await services.overlay.update(chief, entry_id, cells, NOW)
    assert again.item is not None
    assert not again.changed
    last = (await audit_rows(sessions))[-1]
    assert (last.actor_id, last.action, last.subject, last.partnership) == (
        CHIEF,
        "kennis-gewijzigd",
        entry_id,
        GRONINGEN,
    )
    assert len(await audit_rows(sessions)) == 2  # the import and one edit

    # Another partnership's coordinator: refused, nothing shown or changed.
    for attempt in (
        services.overlay.item(other, entry_id),
        services.overlay.update(other, entry_id, {**cells, "naam": "Fictief Vals"}, NOW),
        services.overlay.remove(other, entry_id, NOW),
    ):
        with pytest.raises(PermissionError):
            await attempt
    assert [i.fields["naam"] for i in await services.overlay.items(GRONINGEN)] == ["Fictieve Anna <b>"]
    assert len(await audit_rows(sessions)) == 2
    assert await services.overlay.item(chief, "contact:fictief-niemand") is None
    assert (await services.overlay.update(chief, "contact:fictief-niemand", cells, NOW)).item is None


async def test_an_inbox_answer_is_edited_and_answers_with_the_new_text(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    services, chief = await inbox_world(sessions, matcher)
    question = await ask(services, ASKER, PARKING, NOW)
    await services.question_inbox.prepare(chief, question, "Fictief: achter de pabo.", NOW)
    answered = await services.question_inbox.send(chief, question, NOW)
    assert answered is not None
    item = await services.overlay.item(chief, answered.entry_id)
    assert item is not None
    assert item.source == "vragenbus"
    cells = {**item.fields, "antwoord": "Fictief: voor de pabo,\r\nop het plein."}
    edited = await services.overlay.update(chief, answered.entry_id, cells, NOW)
    assert edited.changed
    assert "Fictief: voor de pabo,\nop het plein." in services.matcher.match(PARKING, POO).text
