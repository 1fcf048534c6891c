"""Profiles as the user sees them, forgetting a user, and chats that blocked the bot."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.conversations import Conversations
from bot.services.planning import Planner
from bot.services.question_inbox import Groupings
from bot.services.roles import ROLES
from bot.services.writes import ProfileCache, WriteBehind
from db.engine import SessionFactory
from db.repositories import ChatRepository, UserRepository
from knowledge import Matcher


@dataclass(frozen=True)
class ProfileView:
    """What /profiel shows; None in a field means: not chosen."""

    name: str
    partnership: str | None
    role: str | None
    school: str | None


class ProfileService:
    def __init__(
        self,
        matcher: Matcher,
        sessions: SessionFactory,
        writes: WriteBehind,
        cache: ProfileCache,
        planner: Planner | None = None,
        conversations: Conversations | None = None,
        groupings: Groupings | None = None,
    ) -> None:
        self.matcher = matcher
        self.sessions = sessions
        self.writes = writes
        self.cache = cache
        self.planner = planner
        self.conversations = conversations
        self.groupings = groupings

    async def view(self, user_id: int) -> ProfileView | None:
        async with self.writes.transaction() as session:  # includes a name recorded moments ago
            user = await UserRepository(session).get(user_id)
        if user is None:
            return None
        partnership = self.matcher.kb.partnerships.get(user.partnership or "")
        return ProfileView(
            name=user.display_name,
            partnership=partnership.name if partnership else None,
            role=ROLES.get(user.role or ""),
            school=user.school_name,
        )

    async def forget(self, user_id: int, private_chat_id: int | None) -> bool:
        """/vergeetmij: delete everything of the user, including what was not written yet."""
        self.writes.discard_user(user_id, private_chat_id)
        async with self.writes.transaction() as session:
            found = await UserRepository(session).delete_everything(user_id, private_chat_id)
        self.cache.forget_user(user_id, private_chat_id, erase=True)
        if self.conversations is not None:
            self.conversations.forget_user(user_id, private_chat_id)
        if self.groupings is not None:
            self.groupings.forget_user(user_id)
        return found

    async def mark_blocked(self, chat_id: int) -> bool:
        """The chat refused our messages; written after any pending record that would reactivate it."""
        async with self.writes.transaction() as session:
            found = await ChatRepository(session).mark_blocked(chat_id)
        self.cache.forget_chat(chat_id)
        return found

    async def reactivate(self, chat_id: int) -> bool:
        """The chat was unblocked (a ``my_chat_member`` update, perhaps without a message): send to it
        again, and plan the upcoming reminders of its user again. True if it was marked inactive."""
        async with self.writes.transaction() as session:
            chats = ChatRepository(session)
            if not await chats.reactivate(chat_id):
                return False
            if self.planner is not None:
                for user_id in await chats.users_of([chat_id]):
                    await self.planner.plan_user(session, user_id, self.writes.clock())
        return True
