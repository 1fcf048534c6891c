"""Fictional people and services for the database and service tests (SQLite and PostgreSQL alike)."""

from __future__ import annotations

from bot.services import Services
from bot.services.clock import Clock, fixed_clock
from bot.settings import Settings
from db.coordinator_repositories import CoordinatorRepository
from db.engine import SessionFactory
from db.repositories import ChatRepository, UserRepository
from knowledge import Matcher
from tests.moments import NOW


def services_for(
    sessions: SessionFactory, matcher: Matcher, clock: Clock | None = None, **settings: object
) -> Services:
    """Services on the tests' clock (a fixed NOW unless a test passes its own)."""
    return Services(Settings(**settings), matcher, sessions, clock=clock or fixed_clock(NOW))  # type: ignore[arg-type]


async def add_user(
    sessions: SessionFactory, user_id: int, partnership: str, role: str, school_id: str | None = None
) -> None:
    """A user with a private chat and a profile; named "Fictief <id>"."""
    async with sessions.begin() as session:
        await ChatRepository(session).upsert(user_id, "private", None)
        await UserRepository(session).upsert(user_id, f"Fictief {user_id}", private_chat_id=user_id)
        user = await UserRepository(session).get(user_id)
        assert user is not None
        user.partnership, user.role, user.school_id = partnership, role, school_id


async def add_coordinator(sessions: SessionFactory, user_id: int, partnership: str) -> None:
    """A coordinator right as the command line grants it (no audit row: this is set-up, not an action)."""
    async with sessions.begin() as session:
        await CoordinatorRepository(session).grant(user_id, partnership, None, NOW)
