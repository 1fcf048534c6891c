"""Onboarding as a small state machine: partnership, then role, then (for roles at a school) the school.

Every step returns an ``OnboardingStep`` that says what to ask next; the handlers only render it.
The one state kept between updates is ``users.awaiting`` (the bot waits for a typed school name),
so that a restart in the middle of onboarding loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.clock import Clock
from bot.services.planning import Planner
from bot.services.roles import ROLES, ROLES_AT_A_SCHOOL
from bot.services.senders import Sender, record_sender, storable
from bot.services.writes import ProfileCache, WriteBehind
from db.models import User
from db.repositories import InboxRepository, UserRepository
from knowledge import Matcher
from knowledge.overlay import scoped
from knowledge.render import school_label

AWAITING_SCHOOL = "school"
SCHOOL_SAVED = "school"  # inbox outcome: the typed school name was saved
MAX_SCHOOL_NAME = 200


class Step(StrEnum):
    CHOOSE_PARTNERSHIP = "partnerschap"
    CHOOSE_ROLE = "rol"
    TYPE_SCHOOL = "school"
    PICK_SCHOOL = "schoolkeuze"
    DONE = "klaar"
    NO_PROFILE = "geen-profiel"
    UNKNOWN_CHOICE = "onbekende-keuze"


@dataclass(frozen=True)
class Option:
    key: str
    label: str


@dataclass(frozen=True)
class OnboardingStep:
    """What to ask next, with what was just chosen (labels, ready to show)."""

    step: Step
    options: tuple[Option, ...] = ()
    partnership: str | None = None
    role: str | None = None
    school: str | None = None


class OnboardingService:
    """Every step writes at once (through the write-behind's ordered transaction) and, once that
    has committed, drops the user's cached profile, so that the next question reads the new
    partnership and state (see ``ProfileCache.generation``)."""

    def __init__(
        self, matcher: Matcher, writes: WriteBehind, cache: ProfileCache, planner: Planner, clock: Clock
    ) -> None:
        self.matcher = matcher
        self.writes = writes
        self.cache = cache
        self.planner = planner
        self.clock = clock

    async def _replan(self, session: AsyncSession, user_id: int) -> None:
        """A changed partnership, role or school changes which reminders the user gets (same transaction)."""
        await self.planner.plan_user(session, user_id, self.clock())

    async def begin(self, sender: Sender) -> OnboardingStep:
        """(Re)start: record the user, stop waiting for a school, offer the partnerships."""
        async with self.writes.transaction() as session:
            await record_sender(session, sender)
            user = await UserRepository(session).get(sender.user_id)
            if user is not None:
                user.awaiting = None
        self.cache.forget_user(sender.user_id)
        options = tuple(Option(p.slug, p.short_name) for p in self.matcher.kb.partnerships.values())
        return OnboardingStep(Step.CHOOSE_PARTNERSHIP, options=options)

    async def choose_partnership(self, user_id: int, slug: str | None) -> OnboardingStep:
        partnership = self.matcher.kb.partnerships.get(slug) if slug is not None else None
        if slug is not None and partnership is None:
            return OnboardingStep(Step.UNKNOWN_CHOICE)
        async with self.writes.transaction() as session:
            user = await UserRepository(session).get(user_id)
            if user is None:
                return OnboardingStep(Step.NO_PROFILE)
            if user.partnership != slug:
                user.school_id = user.school_name = None
            user.partnership = slug
            await self._replan(session, user_id)
        self.cache.forget_user(user_id)
        return OnboardingStep(Step.CHOOSE_ROLE, partnership=partnership.name if partnership else None)

    async def choose_role(self, user_id: int, role: str) -> OnboardingStep:
        if role not in ROLES:
            return OnboardingStep(Step.UNKNOWN_CHOICE)
        async with self.writes.transaction() as session:
            user = await UserRepository(session).get(user_id)
            if user is None:
                return OnboardingStep(Step.NO_PROFILE)
            user.role = role
            asks_school = role in ROLES_AT_A_SCHOOL
            user.awaiting = AWAITING_SCHOOL if asks_school else None
            await self._replan(session, user_id)
        self.cache.forget_user(user_id)
        return OnboardingStep(Step.TYPE_SCHOOL if asks_school else Step.DONE, role=ROLES[role])

    async def choose_school(self, user_id: int, entry_id: str | None) -> OnboardingStep:
        """A school button: one of the user's own partnership (from the knowledge base or imported into
        its overlay), or None to skip. The id comes from a button: another partnership's school is refused."""
        async with self.writes.transaction() as session:
            user = await UserRepository(session).get(user_id)
            if user is None:
                return OnboardingStep(Step.NO_PROFILE)
            entry = scoped(self.matcher, user.partnership).kb.get(entry_id) if entry_id else None
            own = entry is not None and entry.school is not None and entry.partnership == user.partnership
            if entry_id is not None and not own:
                return OnboardingStep(Step.UNKNOWN_CHOICE)
            label = school_label(entry.title, entry.school) if entry and entry.school else None
            _save_school(user, entry.id if entry else None, label)
            await self._replan(session, user_id)
        self.cache.forget_user(user_id)
        return OnboardingStep(Step.DONE, school=label)

    async def school_typed(
        self, session: AsyncSession, user_id: int, typed: str, update_id: int | None = None
    ) -> OnboardingStep:
        """A typed school name, inside the caller's transaction: saved when clear, else the options.

        Only schools of the user's own partnership are offered; a name the knowledge base does not
        know (most partnerships list no schools) is saved as typed. A saved name is also noted on the
        message's inbox row: after a crash before the reply, the restart confirms it instead of
        reading the name as a question.

        The caller forgets the cached profile *after* its transaction commits: forgotten before, a
        read of the next batch (PostgreSQL reads the row as it was until the commit) would cache
        ``awaiting='school'`` again, and the next message would overwrite the school.
        """
        user = await UserRepository(session).get(user_id)
        if user is None:
            return OnboardingStep(Step.NO_PROFILE)
        typed = storable(" ".join(typed.split()), MAX_SCHOOL_NAME)
        if not typed:
            return OnboardingStep(Step.TYPE_SCHOOL)
        found = [
            entry
            for entry in self.matcher.find_schools(typed, user.partnership)
            if entry.school is not None and (user.partnership is None or entry.partnership == user.partnership)
        ]
        if len(found) > 1:
            options = tuple(Option(e.id, school_label(e.title, e.school)) for e in found if e.school is not None)
            return OnboardingStep(Step.PICK_SCHOOL, options=options)
        if found and found[0].school is not None:
            school_id, label = found[0].id, school_label(found[0].title, found[0].school)
        else:
            school_id, label = None, typed
        _save_school(user, school_id, label)
        await self._replan(session, user_id)
        if update_id is not None:
            await InboxRepository(session).set_outcome(update_id, SCHOOL_SAVED)
        return OnboardingStep(Step.DONE, school=label)


def _save_school(user: User, school_id: str | None, name: str | None) -> None:
    user.school_id, user.school_name, user.awaiting = school_id, name, None
