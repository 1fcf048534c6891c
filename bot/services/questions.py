"""Questions: answered from the knowledge base in the asker's partnership, logged for feedback.

The reply waits for at most one small read (the asker's profile, when it is not cached); recording
the sender and logging the question are written behind (bot/services/writes.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from bot.agenda_questions import agenda_category
from bot.services.agenda import AgendaService
from bot.services.agenda_answers import next_event_answer
from bot.services.clock import Clock
from bot.services.conversations import Conversations
from bot.services.onboarding import AWAITING_SCHOOL, OnboardingService, OnboardingStep
from bot.services.senders import Sender, record_sender, storable
from bot.services.writes import ProfileCache, WriteBehind
from db.engine import SessionFactory
from db.repositories import Profile, QuestionRepository, UserRepository, new_question_id
from knowledge import Answer, Matcher
from knowledge.normalize import looks_like_question

logger = logging.getLogger(__name__)
FEEDBACK_VALUES = frozenset({1, -1})
QUESTION_WORDS_AT_LEAST = 6
CONFIDENT_ANSWER = 0.9
MAX_LOGGED_QUESTION = 4000


@dataclass(frozen=True)
class Asked:
    answer: Answer
    question_id: int | None
    # Onboarding still waits for a school name: ask for it again after the answer.
    school_still_wanted: bool = False


class QuestionService:
    def __init__(
        self,
        matcher: Matcher,
        sessions: SessionFactory,
        writes: WriteBehind,
        cache: ProfileCache,
        onboarding: OnboardingService,
        agenda: AgendaService,
        clock: Clock,
        conversations: Conversations | None = None,
    ) -> None:
        self.matcher = matcher
        self.sessions = sessions
        self.writes = writes
        self.cache = cache
        self.onboarding = onboarding
        self.agenda = agenda
        self.clock = clock
        self.conversations = conversations or Conversations(timedelta(0))

    async def ask(
        self,
        user_id: int | None,
        chat_id: int | None,
        text: str,
        partnership: str | None,
        conversation: int | None = None,
    ) -> Asked:
        """Answer ``text`` in ``partnership`` and log it at once (the terminal chat; invalid input is not logged).

        The same answer as in Telegram: follow-ups, small talk and the agenda included (without a
        user, the agenda's next event of the partnership). ``conversation`` keys the follow-up
        context when there is no chat (the terminal); by default the chat.
        """
        now = self.clock()
        key = chat_id if conversation is None else conversation
        answer = self._match(key, text, partnership, now)
        answer = await self._from_agenda(text, user_id, partnership, now) or answer
        self._remember(key, user_id, answer, now)
        if not _logged(answer):
            return Asked(answer, None)
        row = _log_row(user_id, chat_id, text, answer, partnership, now)
        async with self.writes.transaction() as session:
            await QuestionRepository(session).add_many([row])
        return Asked(answer, row["id"])

    def _match(self, chat_id: int | None, text: str, partnership: str | None, now: datetime) -> Answer:
        return self.matcher.match(text, partnership, self.conversations.previous(chat_id, now))

    def _remember(self, chat_id: int | None, user_id: int | None, answer: Answer, now: datetime) -> None:
        """An answered question becomes the chat's context; small talk and fallbacks leave it as it was."""
        if not answer.fallback and answer.kind != "chitchat" and answer.about:
            self.conversations.remember(chat_id, user_id, answer.about, now)

    async def ask_from(self, sender: Sender, text: str) -> Asked | OnboardingStep:
        """Answer in the sender's partnership; the sender is recorded and the question logged behind.

        In a private chat whose profile waits for a school name, the text is that name: the result
        is then the next onboarding step instead of an answer.
        """
        profile = await self._profile_of(sender)
        now = self.clock()
        answer = self._match(sender.chat_id, text, profile.partnership, now)
        waiting = sender.private and profile.awaiting == AWAITING_SCHOOL
        if waiting and not self._is_question(text, answer, profile.partnership):
            try:
                async with self.writes.transaction() as session:
                    await record_sender(session, sender)
                    return await self.onboarding.school_typed(session, sender.user_id, text, sender.update_id)
            finally:  # after the commit (or the failure): see OnboardingService.school_typed
                self.cache.forget_user(sender.user_id)
        answer = await self._from_agenda(text, sender.user_id, profile.partnership, now) or answer
        self._remember(sender.chat_id, sender.user_id, answer, now)
        if not _logged(answer):
            return Asked(answer, None, school_still_wanted=waiting)
        row = _log_row(sender.user_id, sender.chat_id, text, answer, profile.partnership, now)
        self.writes.log(row)
        return Asked(answer, row["id"], school_still_wanted=waiting)

    def _is_question(self, text: str, answer: Answer, partnership: str | None) -> bool:
        """While onboarding waits for a school name: is this a question after all?

        A question mark or a question word, many words, or a confident answer about something that is
        not a school while no school resembles the text.
        """
        if looks_like_question(text) or len(text.split()) > QUESTION_WORDS_AT_LEAST:
            return True
        about_no_school = answer.matched is not None and not answer.matched.startswith("school:")
        confident = not answer.fallback and answer.confidence >= CONFIDENT_ANSWER
        return about_no_school and confident and not self.matcher.find_schools(text, partnership)

    async def _from_agenda(
        self, text: str, user_id: int | None, partnership: str | None, now: datetime
    ) -> Answer | None:
        """A question like "wanneer is de volgende intervisie?" gets the asker's next one from the agenda
        (without a user, as in the terminal chat: the partnership's next one)."""
        category = agenda_category(text)
        found = self.matcher.kb.partnerships.get(partnership or "")
        if category is None or found is None:
            return None
        if user_id is None:
            return next_event_answer(category, await self.agenda.next_of(found.slug, category, now), found)
        return next_event_answer(category, await self.agenda.next_for(user_id, category, now), found)

    async def _profile_of(self, sender: Sender) -> Profile:
        """The cached profile, else one read; a new user (or an unreachable database) has none yet."""
        if not self.cache.sender_unchanged(sender):
            self.writes.record(sender)
            self.cache.chat_recorded(sender)
        known = self.cache.user(sender.user_id)
        generation = self.cache.generation(sender.user_id)
        if known is not None:
            has_private_chat = known.has_private_chat or sender.private
            profile = Profile(sender.user_id, known.partnership, known.awaiting)
        else:
            has_private_chat = sender.private
            try:
                found = await self._read_profile(sender.user_id)
            except (SQLAlchemyError, OSError) as exc:
                logger.warning("profile unreadable (%s): answering without a partnership", type(exc).__name__)
                return Profile(sender.user_id, None, None)
            profile = found or Profile(sender.user_id, None, None)
        self.cache.remember(sender.user_id, sender.name, profile, has_private_chat, read_in=generation)
        return profile

    async def _read_profile(self, user_id: int) -> Profile | None:
        """One read; once more when it found a dropped connection (the pool is renewed by then)."""
        try:
            return await self._read_profile_once(user_id)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            return await self._read_profile_once(user_id)

    async def _read_profile_once(self, user_id: int) -> Profile | None:
        async with self.sessions() as session:
            return await UserRepository(session).profile(user_id)

    async def prefetch(self, user_ids: list[int]) -> None:
        """Warm the profile cache for a batch of senders with one read (see bot/inbox.py); senders
        already cached need no read, so a batch of known users costs none."""
        missing = [user_id for user_id in user_ids if self.cache.user(user_id) is None]
        if not missing:
            return
        generations = {user_id: self.cache.generation(user_id) for user_id in missing}
        async with self.sessions() as session:
            known = await UserRepository(session).known(missing)
        for user in known:
            profile = Profile(user.id, user.partnership, user.awaiting)
            has_chat = user.chat_id is not None
            self.cache.remember(user.id, user.display_name, profile, has_chat, read_in=generations[user.id])

    async def pick(self, user_id: int, chat_id: int | None, entry_id: str) -> Asked | None:
        """The user picked a suggestion: answer that entry, logged like a question (None: unknown entry).

        Someone without a profile (a group member, or after /vergeetmij) gets the answer, logged
        without their name and without feedback buttons.
        """
        known = self.cache.user(user_id)
        if known is not None:
            user: Profile | None = Profile(user_id, known.partnership, known.awaiting)
        else:
            async with self.sessions() as session:
                user = await UserRepository(session).profile(user_id)
        scope = user.partnership if user else None
        answer = self.matcher.answer_entry(entry_id, scope)
        if answer is None:
            return None
        now = self.clock()
        if answer.title:  # the picked entry is what the chat talks about now
            self.conversations.remember(chat_id, user_id, answer.title, now)
        row = _log_row(user.id if user else None, chat_id, f"[suggestie] {answer.title}", answer, scope, now)
        self.writes.log(row)
        return Asked(answer, row["id"] if user else None)

    async def feedback(self, user_id: int, question_id: int, value: int) -> bool:
        """Store 👍 (1) or 👎 (-1), only on the user's own question (a pending log row is written first)."""
        if value not in FEEDBACK_VALUES:
            return False
        async with self.writes.transaction() as session:
            return await QuestionRepository(session).set_feedback(question_id, user_id, value)

    async def purge_old(self, retention_days: int, now: datetime) -> int:
        async with self.sessions.begin() as session:
            return await QuestionRepository(session).purge_older_than(now - timedelta(days=retention_days))


def _logged(answer: Answer) -> bool:
    """Invalid input and small talk are no questions: not logged, no feedback buttons, not in /vragen."""
    return answer.kind not in ("invalid", "chitchat")


def _log_row(
    user_id: int | None, chat_id: int | None, text: str, answer: Answer, scope: str | None, now: datetime
) -> dict[str, Any]:
    return {
        "id": new_question_id(),
        "user_id": user_id,
        "chat_id": chat_id,
        "question": storable(text, MAX_LOGGED_QUESTION),
        "matched": answer.matched,
        "confidence": answer.confidence,
        "fallback": answer.fallback,
        "partnership": scope,
        "created_at": now,
    }
