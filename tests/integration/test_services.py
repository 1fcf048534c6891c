"""The services behind the handlers, on a real database, without Telegram."""

from __future__ import annotations

import pytest

from bot.services import AWAITING_SCHOOL, ProfileService, QuestionService, Sender
from db.engine import SessionFactory
from db.repositories import QuestionRepository
from knowledge import Matcher

USER = 9001
PRIVATE = Sender(USER, "Fictieve Student", USER, "private")


@pytest.fixture
async def profiles(matcher: Matcher, sessions: SessionFactory) -> ProfileService:
    service = ProfileService(matcher, sessions)
    await service.seen(PRIVATE)
    return service


@pytest.fixture
def questions(matcher: Matcher, sessions: SessionFactory) -> QuestionService:
    return QuestionService(matcher, sessions)


async def test_question_is_answered_in_the_given_partnership_and_logged(
    profiles: ProfileService, questions: QuestionService, sessions: SessionFactory
) -> None:
    asked = await questions.ask(USER, USER, "hoeveel besturen", "poo-marnix")
    assert "40 besturen" in asked.answer.text
    async with sessions() as session:
        [row] = await QuestionRepository(session).for_user(USER)
    assert (row.id, row.partnership, row.matched) == (asked.question_id, "poo-marnix", "partnerschap:poo-aantallen")


async def test_invalid_input_is_answered_but_not_logged(profiles: ProfileService, questions: QuestionService) -> None:
    asked = await questions.ask(USER, USER, "🙂🙂", None)
    assert asked.question_id is None
    assert "geen woorden" in asked.answer.text


async def test_picked_suggestion_is_logged_and_rateable(profiles: ProfileService, questions: QuestionService) -> None:
    asked = await questions.pick(USER, USER, "begrip:intervisie")
    assert asked is not None
    assert asked.question_id is not None
    assert asked.answer.matched == "begrip:intervisie"
    assert await questions.feedback(USER, asked.question_id, 1)
    assert await questions.pick(USER, USER, "begrip:bestaat-niet") is None


async def test_role_at_a_school_asks_for_the_school(profiles: ProfileService) -> None:
    assert await profiles.set_role(USER, "mentor")
    assert (await profiles.seen(PRIVATE)).awaiting == AWAITING_SCHOOL
    assert not await profiles.set_role(USER, "relatiebeheerder")
    assert (await profiles.seen(PRIVATE)).awaiting is None
    with pytest.raises(ValueError, match="piloot"):
        await profiles.set_role(USER, "piloot")


async def test_typed_school_is_matched_fuzzily(profiles: ProfileService) -> None:
    await profiles.set_partnership(USER, "groningen-kop-van-drenthe")
    await profiles.set_role(USER, "student")
    lookup = await profiles.type_school(USER, "prinses beatrx")
    assert lookup.saved == "KC Prinses Beatrix (Beilen)"
    user = await profiles.get(USER)
    assert user is not None
    assert (user.school_id, user.awaiting) == ("school:kc-prinses-beatrix", None)


async def test_ambiguous_school_gives_options_and_unknown_school_is_kept_as_typed(profiles: ProfileService) -> None:
    await profiles.set_partnership(USER, "groningen-kop-van-drenthe")
    lookup = await profiles.type_school(USER, "regenboog")
    assert lookup.saved is None
    assert {e.id for e in lookup.options} == {
        "school:kc-de-regenboog-tweede-exloermond",
        "school:ckc-de-regenboog-assen",
    }
    kept = await profiles.type_school(USER, "Fictieve   Basisschool   Zonnestraal")
    assert kept.saved == "Fictieve Basisschool Zonnestraal"
    user = await profiles.get(USER)
    assert user is not None
    assert user.school_id is None


async def test_changing_partnership_clears_the_school(profiles: ProfileService) -> None:
    await profiles.set_partnership(USER, "groningen-kop-van-drenthe")
    await profiles.type_school(USER, "prinses beatrix")
    assert await profiles.set_partnership(USER, "poo-marnix")
    user = await profiles.get(USER)
    assert user is not None
    assert (user.school_id, user.school_name) == (None, None)
    assert not await profiles.set_partnership(USER, "verzonnen")


async def test_profile_description(profiles: ProfileService) -> None:
    await profiles.set_partnership(USER, "poo-marnix")
    await profiles.set_role(USER, "boc")
    text = profiles.describe(await profiles.get(USER))
    assert "Partnerschap: Partners in Opleiding en Ontwikkeling (POO)" in text
    assert "Rol: bovenschools opleidingscoördinator" in text
    assert "School: niet gekozen" in text
    assert profiles.describe(None).startswith("Je hebt nog geen profiel")


async def test_forget_removes_profile_and_questions(
    profiles: ProfileService, questions: QuestionService, sessions: SessionFactory
) -> None:
    await questions.ask(USER, USER, "wat is intervisie", None)
    assert await profiles.forget(USER)
    assert await profiles.get(USER) is None
    async with sessions() as session:
        assert await QuestionRepository(session).for_user(USER) == []
    assert not await profiles.forget(USER)


async def test_ask_from_records_the_sender_and_answers_in_their_partnership(
    profiles: ProfileService, questions: QuestionService, sessions: SessionFactory
) -> None:
    await profiles.set_partnership(USER, "groningen-kop-van-drenthe")
    asked = await questions.ask_from(PRIVATE, "hoeveel besturen")
    assert asked is not None
    assert "8 besturen" in asked.answer.text
    newcomer = Sender(9002, "Fictieve Nieuwe", -300, "group", "Fictieve groep")
    asked = await questions.ask_from(newcomer, "wat is intervisie")
    assert asked is not None
    user = await profiles.get(9002)
    assert user is not None
    assert user.chat_id is None  # a group is not the user's private chat


async def test_ask_from_hands_a_school_name_back_while_onboarding(
    profiles: ProfileService, questions: QuestionService, sessions: SessionFactory
) -> None:
    await profiles.set_role(USER, "mentor")
    assert await questions.ask_from(PRIVATE, "de wegwijzer") is None
    in_group = Sender(USER, "Fictieve Student", -300, "group", "Fictieve groep")
    assert await questions.ask_from(in_group, "wat is intervisie") is not None
    async with sessions() as session:
        logged = await QuestionRepository(session).for_user(USER)
    assert [q.question for q in logged] == ["wat is intervisie"]
