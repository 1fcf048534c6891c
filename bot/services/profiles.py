"""Profiles as the user sees them, forgetting a user, and chats that blocked the bot."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.roles import ROLES
from bot.services.senders import Sender, record_sender
from db.engine import SessionFactory
from db.repositories import ChatRepository, Profile, UserRepository
from knowledge import Matcher


@dataclass(frozen=True)
class ProfileView:
    """What /profiel shows; None in a field means: not chosen."""

    name: str
    partnership: str | None
    role: str | None
    school: str | None


class ProfileService:
    def __init__(self, matcher: Matcher, sessions: SessionFactory) -> None:
        self.matcher = matcher
        self.sessions = sessions

    async def seen(self, sender: Sender) -> Profile:
        """Record that a user wrote to us (private chat) or in a group; reactivates a blocked chat."""
        async with self.sessions.begin() as session:
            return await record_sender(session, sender)

    async def view(self, user_id: int) -> ProfileView | None:
        async with self.sessions() as session:
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

    async def forget(self, user_id: int) -> bool:
        async with self.sessions.begin() as session:
            return await UserRepository(session).delete_everything(user_id)

    async def mark_blocked(self, chat_id: int) -> bool:
        async with self.sessions.begin() as session:
            return await ChatRepository(session).mark_blocked(chat_id)
