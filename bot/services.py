"""What the bot does, independent of Telegram: handlers parse updates and call these services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from db.engine import SessionFactory
from db.models import User, utcnow
from db.repositories import ChatRepository, Profile, QuestionRepository, UserRepository
from knowledge import Answer, Matcher
from knowledge.models import Entry
from knowledge.render import school_label

ROLES: dict[str, str] = {
    "student": "student",
    "mentor": "mentor",
    "schoolopleider": "schoolopleider",
    "instituutsopleider": "instituutsopleider",
    "boc": "bovenschools opleidingscoördinator",
    "directeur": "directeur",
    "relatiebeheerder": "relatiebeheerder",
    "studiecoach": "studiecoach",
    "coordinator": "coördinator",
}
ROLES_AT_A_SCHOOL = frozenset({"student", "mentor", "schoolopleider", "directeur"})
AWAITING_SCHOOL = "school"
FEEDBACK_VALUES = {"1": 1, "-1": -1}


@dataclass(frozen=True)
class Sender:
    """Who wrote, and where: enough to record them and to answer in their partnership."""

    user_id: int
    name: str
    chat_id: int
    chat_type: str
    chat_title: str | None = None

    @property
    def private(self) -> bool:
        return self.chat_type == "private"


@dataclass(frozen=True)
class Asked:
    answer: Answer
    question_id: int | None


@dataclass(frozen=True)
class SchoolLookup:
    """The outcome of a typed school name during onboarding."""

    saved: str | None
    options: tuple[Entry, ...] = ()


async def _record_sender(session: AsyncSession, sender: Sender) -> Profile:
    """Record the chat (reactivating it) and the user; a group is not the user's private chat."""
    await ChatRepository(session).upsert(sender.chat_id, sender.chat_type, sender.chat_title)
    private_chat = sender.chat_id if sender.private else None
    return await UserRepository(session).upsert(sender.user_id, sender.name, private_chat)


@dataclass(frozen=True)
class Services:
    settings: Settings
    matcher: Matcher
    sessions: SessionFactory

    @property
    def questions(self) -> QuestionService:
        return QuestionService(self.matcher, self.sessions)

    @property
    def profiles(self) -> ProfileService:
        return ProfileService(self.matcher, self.sessions)


class QuestionService:
    def __init__(self, matcher: Matcher, sessions: SessionFactory) -> None:
        self.matcher = matcher
        self.sessions = sessions

    @staticmethod
    async def _log(
        session: AsyncSession, user_id: int | None, chat_id: int | None, text: str, answer: Answer, scope: str | None
    ) -> int:
        return await QuestionRepository(session).add(
            user_id=user_id,
            chat_id=chat_id,
            question=text[:4000],
            matched=answer.matched,
            confidence=answer.confidence,
            fallback=answer.fallback,
            partnership=scope,
        )

    async def ask(self, user_id: int | None, chat_id: int | None, text: str, partnership: str | None) -> Asked:
        """Answer ``text`` in ``partnership`` and log it (invalid input is not logged)."""
        answer = self.matcher.match(text, partnership)
        if answer.kind == "invalid":
            return Asked(answer, None)
        async with self.sessions.begin() as session:
            return Asked(answer, await self._log(session, user_id, chat_id, text, answer, partnership))

    async def ask_from(self, sender: Sender, text: str) -> Asked | None:
        """Record the sender and answer in their partnership, in one transaction.

        Returns None when the text is not a question: in a private chat whose profile waits for a
        school name, the text is that name (see ProfileService.type_school).
        """
        async with self.sessions.begin() as session:
            user = await _record_sender(session, sender)
            if sender.private and user.awaiting == AWAITING_SCHOOL:
                return None
            answer = self.matcher.match(text, user.partnership)
            if answer.kind == "invalid":
                return Asked(answer, None)
            question_id = await self._log(session, user.id, sender.chat_id, text, answer, user.partnership)
            return Asked(answer, question_id)

    async def pick(self, user_id: int | None, chat_id: int | None, entry_id: str) -> Asked | None:
        """The user picked a suggestion: answer that entry, logged like a question."""
        async with self.sessions.begin() as session:
            user = await UserRepository(session).get(user_id) if user_id is not None else None
            scope = user.partnership if user else None
            answer = self.matcher.answer_entry(entry_id, scope)
            if answer is None:
                return None
            question_id = await self._log(session, user_id, chat_id, f"[suggestie] {answer.title}", answer, scope)
            return Asked(answer, question_id)

    async def feedback(self, user_id: int, question_id: int, value: int) -> bool:
        async with self.sessions.begin() as session:
            return await QuestionRepository(session).set_feedback(question_id, user_id, value)

    async def purge_old(self, retention_days: int) -> int:
        async with self.sessions.begin() as session:
            return await QuestionRepository(session).purge_older_than(utcnow() - timedelta(days=retention_days))


class ProfileService:
    def __init__(self, matcher: Matcher, sessions: SessionFactory) -> None:
        self.matcher = matcher
        self.sessions = sessions

    async def seen(self, sender: Sender) -> Profile:
        """Record that a user wrote to us (private chat) or in a group; reactivates a blocked chat."""
        async with self.sessions.begin() as session:
            return await _record_sender(session, sender)

    async def get(self, user_id: int) -> User | None:
        async with self.sessions() as session:
            return await UserRepository(session).get(user_id)

    async def set_partnership(self, user_id: int, slug: str | None) -> bool:
        if slug is not None and slug not in self.matcher.kb.partnerships:
            return False
        async with self.sessions.begin() as session:
            user = await UserRepository(session).get(user_id)
            if user is None:
                return False
            if user.partnership != slug:
                user.school_id = user.school_name = None
            user.partnership = slug
            return True

    async def set_role(self, user_id: int, role: str) -> bool:
        """Store the role; returns whether the bot should now ask for a school."""
        if role not in ROLES:
            raise ValueError(role)
        async with self.sessions.begin() as session:
            user = await UserRepository(session).get(user_id)
            if user is None:
                return False
            user.role = role
            asks_school = role in ROLES_AT_A_SCHOOL
            user.awaiting = AWAITING_SCHOOL if asks_school else None
            return asks_school

    async def type_school(self, user_id: int, typed: str) -> SchoolLookup:
        """A typed school name: saved when clear, else the options to choose from."""
        typed = " ".join(typed.split())[:200]
        user = await self.get(user_id)
        scope = user.partnership if user else None
        found = self.matcher.find_schools(typed, scope)
        if len(found) == 1:
            return SchoolLookup(saved=await self.choose_school(user_id, found[0].id))
        if found:
            return SchoolLookup(saved=None, options=tuple(found))
        return SchoolLookup(saved=await self._save_school(user_id, None, typed))

    async def choose_school(self, user_id: int, entry_id: str | None) -> str | None:
        """Save a school from the knowledge base (None: skip); returns its label."""
        entry = self.matcher.kb.get(entry_id) if entry_id else None
        if entry is None or entry.school is None:
            return await self._save_school(user_id, None, None)
        return await self._save_school(user_id, entry.id, school_label(entry.title, entry.school))

    async def _save_school(self, user_id: int, school_id: str | None, name: str | None) -> str | None:
        async with self.sessions.begin() as session:
            user = await UserRepository(session).get(user_id)
            if user is not None:
                user.school_id, user.school_name, user.awaiting = school_id, name, None
        return name

    async def forget(self, user_id: int) -> bool:
        async with self.sessions.begin() as session:
            return await UserRepository(session).delete_everything(user_id)

    async def mark_blocked(self, chat_id: int) -> bool:
        async with self.sessions.begin() as session:
            return await ChatRepository(session).mark_blocked(chat_id)

    def describe(self, user: User | None) -> str:
        """The profile as the user reads it in /profiel."""
        if user is None:
            return "Je hebt nog geen profiel. Start met /start."
        partnership = self.matcher.kb.partnerships.get(user.partnership or "")
        lines = [
            f"Naam: {user.display_name or '—'}",
            f"Partnerschap: {partnership.name if partnership else 'niet gekozen'}",
            f"Rol: {ROLES.get(user.role or '', 'niet gekozen')}",
            f"School: {user.school_name or 'niet gekozen'}",
        ]
        return "\n".join(lines)
