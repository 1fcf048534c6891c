"""The services behind the handlers, on a real database, without Telegram."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from bot.services import Asked, OnboardingStep, Sender, Services, Step
from db.engine import SessionFactory
from db.models import utcnow
from db.repositories import QuestionRepository, UserRepository
from knowledge import Matcher
from tests.factories import services_for

USER = 9001
PRIVATE = Sender(USER, "Fictieve Student", USER, "private")
GRONINGEN = "groningen-kop-van-drenthe"


@pytest.fixture
async def services(matcher: Matcher, sessions: SessionFactory) -> Services:
    found = services_for(sessions, matcher)
    await found.onboarding.begin(PRIVATE)
    return found


async def onboard(services: Services, partnership: str | None, role: str) -> OnboardingStep:
    await services.onboarding.choose_partnership(USER, partnership)
    return await services.onboarding.choose_role(USER, role)


async def typed(services: Services, text: str) -> OnboardingStep:
    result = await services.questions.ask_from(PRIVATE, text)
    assert isinstance(result, OnboardingStep)
    return result


async def asked(services: Services, sender: Sender, text: str) -> Asked:
    result = await services.questions.ask_from(sender, text)
    assert isinstance(result, Asked)
    return result


async def test_question_is_answered_in_the_given_partnership_and_logged(
    services: Services, sessions: SessionFactory
) -> None:
    result = await services.questions.ask(USER, USER, "hoeveel besturen", "poo-marnix")
    assert "40 besturen" in result.answer.text
    async with sessions() as session:
        [row] = await QuestionRepository(session).for_user(USER)
    assert (row.id, row.partnership, row.matched) == (result.question_id, "poo-marnix", "partnerschap:poo-aantallen")


async def test_invalid_input_is_answered_but_not_logged(services: Services, sessions: SessionFactory) -> None:
    result = await services.questions.ask(USER, USER, "🙂🙂", None)
    assert result.question_id is None
    assert "geen woorden" in result.answer.text
    async with sessions() as session:
        assert await QuestionRepository(session).for_user(USER) == []


async def test_picked_suggestion_is_logged_and_rateable(services: Services) -> None:
    picked = await services.questions.pick(USER, USER, "begrip:intervisie")
    assert picked is not None
    assert picked.question_id is not None
    assert picked.answer.matched == "begrip:intervisie"
    assert await services.questions.feedback(USER, picked.question_id, 1)
    assert await services.questions.pick(USER, USER, "begrip:bestaat-niet") is None


async def test_suggestion_picked_by_someone_without_a_profile_is_answered(
    services: Services, sessions: SessionFactory
) -> None:
    stranger = 9099
    picked = await services.questions.pick(stranger, -300, "begrip:intervisie")
    assert picked is not None
    assert picked.answer.matched == "begrip:intervisie"
    assert picked.question_id is None  # no feedback buttons: nobody to attribute them to
    async with sessions() as session:
        assert await UserRepository(session).get(stranger) is None


async def test_onboarding_walks_partnership_role_school(services: Services) -> None:
    step = await services.onboarding.begin(PRIVATE)
    assert step.step == Step.CHOOSE_PARTNERSHIP
    assert {o.key for o in step.options} == {"poo-marnix", GRONINGEN}
    step = await services.onboarding.choose_partnership(USER, GRONINGEN)
    assert step.step == Step.CHOOSE_ROLE
    assert step.partnership is not None
    assert "Groningen – kop van Drenthe" in step.partnership
    step = await services.onboarding.choose_role(USER, "mentor")
    assert (step.step, step.role) == (Step.TYPE_SCHOOL, "mentor")
    step = await typed(services, "prinses beatrx")
    assert (step.step, step.school) == (Step.DONE, "KC Prinses Beatrix (Beilen)")
    view = await services.profiles.view(USER)
    assert view is not None
    assert (view.role, view.school) == ("mentor", "KC Prinses Beatrix (Beilen)")
    assert isinstance(await services.questions.ask_from(PRIVATE, "wat is intervisie"), Asked)


async def test_role_without_a_school_finishes_onboarding(services: Services) -> None:
    step = await onboard(services, None, "relatiebeheerder")
    assert step.step == Step.DONE
    assert isinstance(await services.questions.ask_from(PRIVATE, "de wegwijzer"), Asked)


async def test_unknown_choices_and_missing_profiles_change_nothing(services: Services) -> None:
    assert (await services.onboarding.choose_role(USER, "piloot")).step == Step.UNKNOWN_CHOICE
    assert (await services.onboarding.choose_partnership(USER, "verzonnen")).step == Step.UNKNOWN_CHOICE
    assert (await services.onboarding.choose_school(USER, "begrip:intervisie")).step == Step.UNKNOWN_CHOICE
    assert (await services.onboarding.choose_role(9555, "mentor")).step == Step.NO_PROFILE
    view = await services.profiles.view(USER)
    assert view is not None
    assert (view.partnership, view.role) == (None, None)


async def test_ambiguous_school_gives_options_of_the_own_partnership(services: Services) -> None:
    await onboard(services, GRONINGEN, "student")
    step = await typed(services, "regenboog")
    assert step.step == Step.PICK_SCHOOL
    assert {o.key for o in step.options} == {
        "school:kc-de-regenboog-tweede-exloermond",
        "school:ckc-de-regenboog-assen",
    }
    done = await services.onboarding.choose_school(USER, "school:ckc-de-regenboog-assen")
    assert (done.step, done.school) == (Step.DONE, "CKC De Regenboog (Assen)")


async def test_a_school_button_of_another_partnership_is_refused(services: Services) -> None:
    """Callback data can be forged: a Marnix user cannot pick a school of the Groningen partnership."""
    await onboard(services, "poo-marnix", "mentor")
    step = await services.onboarding.choose_school(USER, "school:ckc-de-regenboog-assen")
    assert step.step == Step.UNKNOWN_CHOICE
    view = await services.profiles.view(USER)
    assert view is not None
    assert view.school is None


async def test_unknown_school_is_kept_as_typed(services: Services) -> None:
    await onboard(services, GRONINGEN, "mentor")
    step = await typed(services, "Fictieve   Basisschool   Zonnestraal")
    assert step.school == "Fictieve Basisschool Zonnestraal"


async def test_partnership_without_a_school_list_saves_the_typed_name(services: Services) -> None:
    """POO has about 350 schools and lists none: a Drenthe school must not be offered instead."""
    await onboard(services, "poo-marnix", "mentor")
    step = await typed(services, "De Regenboog")
    assert (step.step, step.school) == (Step.DONE, "De Regenboog")


async def test_a_batch_read_while_the_school_is_saved_does_not_bring_back_the_school_step(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next getUpdates batch warms the cache while the typed school is being saved (PostgreSQL
    reads the row as it was before the commit): the user's next message must not become the school."""
    await onboard(services, "poo-marnix", "mentor")
    planner = services.onboarding.planner
    original = planner.plan_user
    reads: list[asyncio.Task[None]] = []

    async def plan_and_let_a_batch_read(*args: Any, **kwargs: Any) -> None:
        await original(*args, **kwargs)
        reads.append(asyncio.create_task(services.questions.prefetch([USER])))
        await asyncio.wait(reads, timeout=0.5)  # SQLite: the read waits for the one connection

    monkeypatch.setattr(planner, "plan_user", plan_and_let_a_batch_read)
    step = await typed(services, "De Regenboog")
    assert (step.step, step.school) == (Step.DONE, "De Regenboog")
    monkeypatch.setattr(planner, "plan_user", original)
    await asyncio.gather(*reads)
    assert isinstance(await services.questions.ask_from(PRIVATE, "Zonnestraal"), Asked)
    view = await services.profiles.view(USER)
    assert view is not None
    assert view.school == "De Regenboog"


async def test_skipping_the_school(services: Services) -> None:
    await onboard(services, GRONINGEN, "directeur")
    step = await services.onboarding.choose_school(USER, None)
    assert (step.step, step.school) == (Step.DONE, None)
    assert isinstance(await services.questions.ask_from(PRIVATE, "wat is intervisie"), Asked)


async def test_start_again_stops_waiting_for_a_school(services: Services) -> None:
    await onboard(services, GRONINGEN, "mentor")
    await services.onboarding.begin(PRIVATE)
    assert isinstance(await services.questions.ask_from(PRIVATE, "wat is intervisie"), Asked)


async def test_changing_partnership_clears_the_school(services: Services) -> None:
    await onboard(services, GRONINGEN, "mentor")
    await typed(services, "prinses beatrix")
    await services.onboarding.choose_partnership(USER, "poo-marnix")
    view = await services.profiles.view(USER)
    assert view is not None
    assert view.school is None


async def test_profile_view(services: Services) -> None:
    await onboard(services, "poo-marnix", "boc")
    view = await services.profiles.view(USER)
    assert view is not None
    assert view.partnership == "Partners in Opleiding en Ontwikkeling (POO)"
    assert view.role == "bovenschools opleidingscoördinator"
    assert view.school is None
    assert await services.profiles.view(9555) is None


async def test_forget_removes_profile_and_questions(services: Services, sessions: SessionFactory) -> None:
    await services.questions.ask(USER, USER, "wat is intervisie", None)
    assert await services.profiles.forget(USER, USER)
    assert await services.profiles.view(USER) is None
    async with sessions() as session:
        assert await QuestionRepository(session).for_user(USER) == []
    assert not await services.profiles.forget(USER, USER)


async def test_ask_from_records_the_sender_and_answers_in_their_partnership(services: Services) -> None:
    await services.onboarding.choose_partnership(USER, GRONINGEN)
    assert "8 besturen" in (await asked(services, PRIVATE, "hoeveel besturen")).answer.text
    newcomer = Sender(9002, "Fictieve Nieuwe", -300, "group", "Fictieve groep")
    await asked(services, newcomer, "wat is intervisie")
    view = await services.profiles.view(9002)
    assert view is not None  # recorded, though a group is not their private chat


async def test_in_a_group_text_is_a_question_even_while_onboarding(
    services: Services, sessions: SessionFactory
) -> None:
    await onboard(services, GRONINGEN, "mentor")
    in_group = Sender(USER, "Fictieve Student", -300, "group", "Fictieve groep")
    await asked(services, in_group, "wat is intervisie")
    await services.writes.flush()
    async with sessions() as session:
        logged = await QuestionRepository(session).for_user(USER)
    assert [q.question for q in logged] == ["wat is intervisie"]


async def test_purge_removes_questions_past_the_retention_period(services: Services) -> None:
    await services.questions.ask(USER, USER, "wat is intervisie", None)
    now = utcnow()
    assert await services.questions.purge_old(180, now + timedelta(days=179)) == 0
    assert await services.questions.purge_old(180, now + timedelta(days=181)) == 1


@pytest.mark.parametrize("question", ["Wat doet een schoolopleider?", "hoe werkt intervisie", "lesson study"])
async def test_a_question_while_the_school_is_asked_is_answered_not_saved(services: Services, question: str) -> None:
    await onboard(services, GRONINGEN, "mentor")
    result = await asked(services, PRIVATE, question)
    assert result.school_still_wanted
    assert not result.answer.fallback
    step = await typed(services, "wegwijzer")  # the school is still wanted, and then saved
    assert step.school == "KC De Wegwijzer (Westerbork)"
