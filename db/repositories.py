"""Data access. Repositories never commit: the caller owns the transaction (``session.begin()``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db.models import Chat, Question, User, utcnow


class ChatRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert(self, chat_id: int, chat_type: str, title: str | None) -> Chat:
        """Record a chat the bot heard from; hearing from it again means it is reachable."""
        chat = await self.session.get(Chat, chat_id)
        if chat is None:
            chat = Chat(id=chat_id, type=chat_type, title=title, active=True)
            self.session.add(chat)
        else:
            chat.type, chat.title = chat_type, title
            if not chat.active:
                chat.active, chat.blocked_at = True, None
        await self.session.flush()
        return chat

    async def mark_blocked(self, chat_id: int) -> bool:
        """The chat refused our messages (HTTP 403): stop sending to it. True if it was known."""
        result = await self.session.execute(
            update(Chat).where(Chat.id == chat_id, Chat.active.is_(True)).values(active=False, blocked_at=utcnow())
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def get(self, chat_id: int) -> Chat | None:
        return await self.session.get(Chat, chat_id)


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: int) -> User | None:
        return await self.session.get(User, user_id, options=[selectinload(User.chat)])

    async def upsert(self, user_id: int, display_name: str, private_chat_id: int | None = None) -> User:
        user = await self.get(user_id)
        if user is None:
            user = User(id=user_id, display_name=display_name, chat_id=private_chat_id)
            self.session.add(user)
        else:
            user.display_name = display_name
            if private_chat_id is not None:
                user.chat_id = private_chat_id
        await self.session.flush()
        await self.session.refresh(user, ["chat"])
        return user

    async def delete_everything(self, user_id: int) -> bool:
        """Forget a user: profile, questions and private chat. True if there was anything."""
        user = await self.get(user_id)
        if user is None:
            return False
        chat_id = user.chat_id
        await self.session.execute(delete(Question).where(Question.user_id == user_id))
        await self.session.delete(user)
        await self.session.flush()
        if chat_id is not None:
            await self.session.execute(delete(Question).where(Question.chat_id == chat_id))
            await self.session.execute(delete(Chat).where(Chat.id == chat_id))
        return True

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(User)) or 0)


class QuestionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        *,
        user_id: int | None,
        chat_id: int | None,
        question: str,
        matched: str | None,
        confidence: float,
        fallback: bool,
        partnership: str | None,
    ) -> Question:
        row = Question(
            user_id=user_id,
            chat_id=chat_id,
            question=question,
            matched=matched,
            confidence=confidence,
            fallback=fallback,
            partnership=partnership,
        )
        self.session.add(row)
        await self.session.flush()
        return row

    async def set_feedback(self, question_id: int, user_id: int, value: int) -> bool:
        """Store 👍 (1) or 👎 (-1), only on the user's own question."""
        result = await self.session.execute(
            update(Question)
            .where(Question.id == question_id, Question.user_id == user_id)
            .values(feedback=value, feedback_at=utcnow())
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def get(self, question_id: int) -> Question | None:
        return await self.session.get(Question, question_id)

    async def for_user(self, user_id: int) -> list[Question]:
        result = await self.session.scalars(select(Question).where(Question.user_id == user_id).order_by(Question.id))
        return list(result)

    async def purge_older_than(self, moment: datetime) -> int:
        result = await self.session.execute(delete(Question).where(Question.created_at < moment))
        return int(result.rowcount)  # type: ignore[attr-defined]
