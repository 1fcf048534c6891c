"""Questions: answered from the knowledge base in the asker's partnership, logged for feedback."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.onboarding import AWAITING_SCHOOL, OnboardingService, OnboardingStep
from bot.services.senders import Sender, record_sender
from db.engine import SessionFactory
from db.repositories import QuestionRepository, UserRepository
from knowledge import Answer, Matcher

FEEDBACK_VALUES = frozenset({1, -1})
MAX_LOGGED_QUESTION = 4000


@dataclass(frozen=True)
class Asked:
    answer: Answer
    question_id: int | None


class QuestionService:
    def __init__(self, matcher: Matcher, sessions: SessionFactory, onboarding: OnboardingService) -> None:
        self.matcher = matcher
        self.sessions = sessions
        self.onboarding = onboarding

    async def ask(self, user_id: int | None, chat_id: int | None, text: str, partnership: str | None) -> Asked:
        """Answer ``text`` in ``partnership`` and log it (invalid input is not logged)."""
        answer = self.matcher.match(text, partnership)
        if answer.kind == "invalid":
            return Asked(answer, None)
        async with self.sessions.begin() as session:
            return Asked(answer, await _log(session, user_id, chat_id, text, answer, partnership))

    async def ask_from(self, sender: Sender, text: str) -> Asked | OnboardingStep:
        """Record the sender, then answer in their partnership, in one transaction.

        In a private chat whose profile waits for a school name, the text is that name: the result
        is then the next onboarding step instead of an answer.
        """
        async with self.sessions.begin() as session:
            user = await record_sender(session, sender)
            if sender.private and user.awaiting == AWAITING_SCHOOL:
                return await self.onboarding.school_typed(session, sender.user_id, text)
            answer = self.matcher.match(text, user.partnership)
            if answer.kind == "invalid":
                return Asked(answer, None)
            question_id = await _log(session, user.id, sender.chat_id, text, answer, user.partnership)
            return Asked(answer, question_id)

    async def pick(self, user_id: int, chat_id: int | None, entry_id: str) -> Asked | None:
        """The user picked a suggestion: answer that entry, logged like a question (None: unknown entry)."""
        async with self.sessions.begin() as session:
            user = await UserRepository(session).get(user_id)
            scope = user.partnership if user else None
            answer = self.matcher.answer_entry(entry_id, scope)
            if answer is None:
                return None
            # Someone without a profile (a group member, or after /vergeetmij) gets the answer unlogged
            # under their name: the log refers only to known users.
            logged_as = user.id if user else None
            question_id = await _log(session, logged_as, chat_id, f"[suggestie] {answer.title}", answer, scope)
            return Asked(answer, question_id if user else None)

    async def feedback(self, user_id: int, question_id: int, value: int) -> bool:
        """Store 👍 (1) or 👎 (-1), only on the user's own question."""
        if value not in FEEDBACK_VALUES:
            return False
        async with self.sessions.begin() as session:
            return await QuestionRepository(session).set_feedback(question_id, user_id, value)

    async def purge_old(self, retention_days: int, now: datetime) -> int:
        async with self.sessions.begin() as session:
            return await QuestionRepository(session).purge_older_than(now - timedelta(days=retention_days))


async def _log(
    session: AsyncSession, user_id: int | None, chat_id: int | None, text: str, answer: Answer, scope: str | None
) -> int:
    return await QuestionRepository(session).add(
        user_id=user_id,
        chat_id=chat_id,
        question=text[:MAX_LOGGED_QUESTION],
        matched=answer.matched,
        confidence=answer.confidence,
        fallback=answer.fallback,
        partnership=scope,
    )
