"""Who wrote, and recording them: every service that handles an incoming message starts here."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from db.repositories import ChatRepository, Profile, UserRepository

# C0 control characters except tab and newline; PostgreSQL refuses NUL in text outright.
UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NAME_LIMIT = 255


def storable(text: str, limit: int) -> str:
    """Text as both databases take it: no control characters, at most ``limit`` characters."""
    return UNSTORABLE.sub("", text)[:limit]


@dataclass(frozen=True)
class Sender:
    """Who wrote, and where: enough to record them and to answer in their partnership."""

    user_id: int
    name: str
    chat_id: int
    chat_type: str
    chat_title: str | None = None
    update_id: int | None = None  # the inbox row of the message (see bot/inbox.py)

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", storable(self.name, NAME_LIMIT))
        if self.chat_title is not None:
            object.__setattr__(self, "chat_title", storable(self.chat_title, NAME_LIMIT))

    @property
    def private(self) -> bool:
        return self.chat_type == "private"


async def record_sender(session: AsyncSession, sender: Sender) -> Profile:
    """Record the chat (reactivating it) and the user; a group is not the user's private chat."""
    await ChatRepository(session).upsert(sender.chat_id, sender.chat_type, sender.chat_title)
    private_chat = sender.chat_id if sender.private else None
    return await UserRepository(session).upsert(sender.user_id, sender.name, private_chat)
