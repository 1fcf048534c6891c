"""Coordinator rights and the audit log on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.services.coordinators import Authority, UnknownPartnership, command_line
from db.engine import SessionFactory
from db.models import AuditEntry, Coordinator
from db.repositories import UserRepository
from knowledge import Matcher
from tests.factories import add_coordinator, add_user, services_for
from tests.moments import NOW

pytestmark = pytest.mark.dates  # also run at awkward moments by .ci/run (tests/moments.py)

CHIEF, MENTOR, OTHER_MENTOR, ELSEWHERE = 8201, 8202, 8203, 8204


async def audit_rows(sessions: SessionFactory) -> list[AuditEntry]:
    async with sessions() as session:
        return list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


async def test_the_onboarding_role_grants_nothing_and_the_command_line_does(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    coordinators = services_for(sessions, matcher).coordinators
    await add_user(sessions, CHIEF, "poo-marnix", "coordinator")
    assert await coordinators.authority(CHIEF) is None

    assert await coordinators.grant(command_line("poo-marnix"), CHIEF, NOW) is True
    assert await coordinators.grant(command_line("poo-marnix"), CHIEF, NOW) is False
    assert await coordinators.authority(CHIEF) == Authority(CHIEF, f"Fictief {CHIEF}", "poo-marnix")
    assert [(r.actor_id, r.actor_name, r.action, r.subject) for r in await audit_rows(sessions)] == [
        (None, "opdrachtregel", "coordinator-erbij", f"user:{CHIEF}")
    ]

    assert await coordinators.revoke(command_line("poo-marnix"), CHIEF, NOW) is True
    assert await coordinators.authority(CHIEF) is None


async def test_a_coordinator_acts_for_the_partnership_of_their_profile(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    coordinators = services_for(sessions, matcher).coordinators
    await add_user(sessions, CHIEF, "poo-marnix", "schoolopleider")
    await add_coordinator(sessions, CHIEF, "groningen-kop-van-drenthe")
    await add_coordinator(sessions, CHIEF, "poo-marnix")
    found = await coordinators.authority(CHIEF)
    assert found is not None
    assert found.partnership == "poo-marnix"
    # A right granted before the person ever wrote to the bot still counts.
    await add_coordinator(sessions, 999001, "groningen-kop-van-drenthe")
    unknown = await coordinators.authority(999001)
    assert unknown is not None
    assert unknown.partnership == "groningen-kop-van-drenthe"


async def test_a_coordinator_grants_only_users_of_their_own_partnership(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    coordinators = services_for(sessions, matcher).coordinators
    await add_user(sessions, CHIEF, "poo-marnix", "schoolopleider")
    await add_user(sessions, MENTOR, "poo-marnix", "mentor")
    await add_user(sessions, ELSEWHERE, "groningen-kop-van-drenthe", "mentor")
    await add_coordinator(sessions, CHIEF, "poo-marnix")
    chief = await coordinators.authority(CHIEF)
    assert chief is not None

    assert [c.user_id for c in await coordinators.candidates(chief, "fictief")] == [CHIEF, MENTOR]
    assert await coordinators.candidate(chief, ELSEWHERE) is None
    with pytest.raises(PermissionError):
        await coordinators.grant(chief, ELSEWHERE, NOW)
    # A forged authority (no right behind it) is refused by the service too.
    with pytest.raises(PermissionError):
        await coordinators.grant(Authority(MENTOR, "x", "poo-marnix"), OTHER_MENTOR, NOW)

    assert await coordinators.grant(chief, MENTOR, NOW) is True
    assert await coordinators.is_coordinator(MENTOR, "poo-marnix")
    assert not await coordinators.is_coordinator(ELSEWHERE, "poo-marnix")
    last = (await audit_rows(sessions))[-1]
    assert (last.actor_id, last.actor_name, last.subject) == (CHIEF, f"Fictief {CHIEF}", f"user:{MENTOR}")


async def test_forgetting_a_coordinator_keeps_the_audit_without_their_name(
    sessions: SessionFactory, matcher: Matcher
) -> None:
    coordinators = services_for(sessions, matcher).coordinators
    await add_user(sessions, CHIEF, "poo-marnix", "schoolopleider")
    await add_user(sessions, MENTOR, "poo-marnix", "mentor")
    await add_coordinator(sessions, CHIEF, "poo-marnix")
    chief = await coordinators.authority(CHIEF)
    assert chief is not None
    await coordinators.grant(chief, MENTOR, NOW)

    async with sessions.begin() as session:
        await UserRepository(session).delete_everything(CHIEF)
    async with sessions.begin() as session:
        await UserRepository(session).delete_everything(MENTOR)

    [row] = await audit_rows(sessions)
    assert (row.actor_id, row.actor_name, row.action, row.subject) == (
        None,
        None,
        "coordinator-erbij",
        "user:vergeten",
    )
    async with sessions() as session:
        assert list(await session.scalars(select(Coordinator))) == []


async def test_coordinator_ids_are_granted_once_at_start(sessions: SessionFactory, matcher: Matcher) -> None:
    coordinators = services_for(sessions, matcher).coordinators
    known = set(matcher.kb.partnerships)
    spec = f"{CHIEF}:poo-marnix, {MENTOR}:groningen-kop-van-drenthe"
    assert await coordinators.bootstrap(spec, known, NOW) == 2
    assert await coordinators.bootstrap(spec, known, NOW) == 0
    assert {(c.user_id, c.partnership) for c in await coordinators.listing()} == {
        (CHIEF, "poo-marnix"),
        (MENTOR, "groningen-kop-van-drenthe"),
    }
    with pytest.raises(UnknownPartnership):
        await coordinators.bootstrap("1:bestaat-niet", known, NOW)
