"""Who wrote, and recording them: every service that handles an incoming message starts here."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from db.repositories import ChatRepository, Profile, UserRepository


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


async def record_sender(session: AsyncSession, sender: Sender) -> Profile:
    """Record the chat (reactivating it) and the user; a group is not the user's private chat."""
    await ChatRepository(session).upsert(sender.chat_id, sender.chat_type, sender.chat_title)
    private_chat = sender.chat_id if sender.private else None
    return await UserRepository(session).upsert(sender.user_id, sender.name, private_chat)
