"""Data access. Repositories never commit: the caller owns the transaction (``session.begin()``)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Executable, Table, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db.models import (
    AuditEntry,
    Broadcast,
    Chat,
    Coordinator,
    InboxDraft,
    InboxUpdate,
    Lease,
    Question,
    User,
    utcnow,
)
from db.web_repositories import WebTokenRepository

CHUNK = 1000  # values per IN (...) list
FORGOTTEN_SUBJECT = "user:vergeten"

# The hot paths (every incoming message) use Core statements on the tables: no ORM unit of work.
CHATS, USERS, QUESTIONS, INBOX = (cast(Table, model.__table__) for model in (Chat, User, Question, InboxUpdate))


def _dialect_insert(dialect: str) -> Any:
    """INSERT with ON CONFLICT support for the dialect in use (SQLite and PostgreSQL both have it)."""
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise RuntimeError(f"unsupported database: {dialect}")


@cache
def _chat_upsert(dialect: str) -> Executable:
    """Built once per dialect: these run for every incoming message."""
    statement = _dialect_insert(dialect)(CHATS).values(
        id=bindparam("id"),
        type=bindparam("type"),
        title=bindparam("title"),
        active=True,
        created_at=bindparam("now"),
        updated_at=bindparam("now"),
    )
    excluded = statement.excluded
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=[CHATS.c.id],
        set_={
            "type": excluded.type,
            "title": excluded.title,
            "active": True,
            "blocked_at": None,
            "updated_at": excluded.updated_at,
        },
    )


@cache
def _user_upsert(dialect: str, returning: bool = True) -> Executable:
    statement = _dialect_insert(dialect)(USERS).values(
        id=bindparam("id"),
        display_name=bindparam("name"),
        chat_id=bindparam("chat_id"),
        created_at=bindparam("now"),
        updated_at=bindparam("now"),
    )
    excluded = statement.excluded
    upsert = statement.on_conflict_do_update(
        index_elements=[USERS.c.id],
        set_={
            "display_name": excluded.display_name,
            "chat_id": func.coalesce(excluded.chat_id, USERS.c.chat_id),
            "updated_at": excluded.updated_at,
        },
    )
    return upsert.returning(USERS.c.id, USERS.c.partnership, USERS.c.awaiting) if returning else upsert  # type: ignore[no-any-return]


QUESTION_COLUMNS = (
    "id",
    "user_id",
    "chat_id",
    "question",
    "matched",
    "confidence",
    "fallback",
    "partnership",
    "created_at",
)


@cache
def _question_insert(dialect: str) -> Executable:
    """The question log's ids are made by the application (see bot/services/writes.py), so that an
    answer can carry its feedback buttons before the row is written; a repeated id is skipped."""
    statement = _dialect_insert(dialect)(QUESTIONS).values({c: bindparam(c) for c in QUESTION_COLUMNS})
    return statement.on_conflict_do_nothing(index_elements=[QUESTIONS.c.id])  # type: ignore[no-any-return]


def new_question_id() -> int:
    """A 63-bit id made here, not by the database: milliseconds since 1970, then 20 random bits.

    Time-ordered (the index stays append-mostly) and unique in practice: two questions would need the
    same millisecond and the same 20 random bits; a repeated id is skipped by the insert.
    """
    return (time.time_ns() // 1_000_000) << 20 | secrets.randbits(20)


@dataclass(frozen=True)
class Profile:
    """What answering a message needs to know about its sender."""

    id: int
    partnership: str | None
    awaiting: str | None


class ChatRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert(self, chat_id: int, chat_type: str, title: str | None) -> None:
        """Record a chat the bot heard from; hearing from it again means it is reachable."""
        await self.upsert_many([{"id": chat_id, "type": chat_type, "title": title, "now": utcnow()}])

    async def upsert_many(self, rows: list[dict[str, Any]]) -> None:
        """``upsert`` for many chats in one statement; rows have id, type, title and now."""
        if rows:
            await self.session.execute(_chat_upsert(self.session.get_bind().dialect.name), rows)

    async def mark_blocked(self, chat_id: int) -> bool:
        """The chat refused our messages (HTTP 403): stop sending to it. True if it was known."""
        result = await self.session.execute(
            update(Chat).where(Chat.id == chat_id, Chat.active.is_(True)).values(active=False, blocked_at=utcnow())
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def get(self, chat_id: int) -> Chat | None:
        return await self.session.get(Chat, chat_id)

    async def inactive(self, chat_ids: Sequence[int]) -> list[int]:
        """Those of these chats that are known and marked inactive (blocked)."""
        if not chat_ids:
            return []
        found = await self.session.scalars(select(Chat.id).where(Chat.id.in_(chat_ids), Chat.active.is_(False)))
        return list(found)

    async def reactivate(self, chat_id: int) -> bool:
        """The chat takes our messages again (unblocked). True if it was marked inactive."""
        result = await self.session.execute(
            update(Chat).where(Chat.id == chat_id, Chat.active.is_(False)).values(active=True, blocked_at=None)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def users_of(self, chat_ids: Sequence[int]) -> list[int]:
        """The users whose private chat is one of these."""
        if not chat_ids:
            return []
        return list(await self.session.scalars(select(User.id).where(User.chat_id.in_(chat_ids))))


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: int) -> User | None:
        return await self.session.get(User, user_id, options=[selectinload(User.chat)])

    async def upsert(self, user_id: int, display_name: str, private_chat_id: int | None = None) -> Profile:
        """Create or refresh a user in one statement (a private chat id, once known, is kept)."""
        statement = _user_upsert(self.session.get_bind().dialect.name)
        parameters = {"id": user_id, "name": display_name, "chat_id": private_chat_id, "now": utcnow()}
        row = (await self.session.execute(statement, parameters)).one()
        return Profile(row.id, row.partnership, row.awaiting)

    async def upsert_many(self, rows: list[dict[str, Any]]) -> None:
        """``upsert`` for many users in one statement; rows have id, name, chat_id and now."""
        if rows:
            await self.session.execute(_user_upsert(self.session.get_bind().dialect.name, returning=False), rows)

    async def profile(self, user_id: int) -> Profile | None:
        """What answering a message needs, in one small read."""
        statement = select(USERS.c.id, USERS.c.partnership, USERS.c.awaiting).where(USERS.c.id == user_id)
        row = (await self.session.execute(statement)).one_or_none()
        return Profile(row.id, row.partnership, row.awaiting) if row else None

    async def known(self, user_ids: list[int]) -> list[Any]:
        """Id, name, private chat, partnership and state of many users in one read (rows, no ORM objects)."""
        columns = (USERS.c.id, USERS.c.display_name, USERS.c.chat_id, USERS.c.partnership, USERS.c.awaiting)
        return list(await self.session.execute(select(*columns).where(USERS.c.id.in_(user_ids))))

    async def of_partnership(self, partnership: str) -> list[User]:
        statement = select(User).where(User.partnership == partnership).order_by(User.display_name, User.id)
        return list(await self.session.scalars(statement))

    async def delete_everything(self, user_id: int, private_chat_id: int | None = None) -> bool:
        """Forget a user: profile, questions, inbox rows and private chat. True if there was a profile.

        Also without a profile (forgotten before, but a suggestion was pressed since) whatever carries
        the user's id or private chat is deleted.
        """
        user = await self.get(user_id)
        chat_id = user.chat_id if user is not None and user.chat_id is not None else private_chat_id
        await self.session.execute(delete(Question).where(Question.user_id == user_id))
        await self.session.execute(delete(InboxUpdate).where(InboxUpdate.user_id == user_id))
        await self.session.execute(delete(InboxDraft).where(InboxDraft.user_id == user_id))
        await _forget_coordinator(self.session, user_id)
        # Unsent broadcast drafts are the author's own text; sent ones stay without the author (SET NULL).
        drafts = delete(Broadcast).where(Broadcast.author_id == user_id, Broadcast.status == "concept")
        await self.session.execute(drafts)
        if user is not None:
            await self.session.delete(user)
            await self.session.flush()
        if chat_id is not None:
            await self.session.execute(delete(Question).where(Question.chat_id == chat_id))
            await self.session.execute(delete(Chat).where(Chat.id == chat_id))
        return user is not None


async def _forget_coordinator(session: AsyncSession, user_id: int) -> None:
    """Coordinator rights go; audit rows stay, without the name or id of the person."""
    await session.execute(delete(Coordinator).where(Coordinator.user_id == user_id))
    await WebTokenRepository(session).remove_of_user(user_id)
    await session.execute(update(Coordinator).where(Coordinator.granted_by == user_id).values(granted_by=None))
    anonymous = {"actor_id": None, "actor_name": None}
    await session.execute(update(AuditEntry).where(AuditEntry.actor_id == user_id).values(**anonymous))
    forgotten = {"subject": FORGOTTEN_SUBJECT}
    await session.execute(update(AuditEntry).where(AuditEntry.subject == f"user:{user_id}").values(**forgotten))


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
        question_id: int | None = None,
    ) -> int:
        """Log one question; returns its id (a new one unless given)."""
        new_id = question_id or new_question_id()
        row = {
            "id": new_id,
            "user_id": user_id,
            "chat_id": chat_id,
            "question": question,
            "matched": matched,
            "confidence": confidence,
            "fallback": fallback,
            "partnership": partnership,
            "created_at": utcnow(),
        }
        await self.add_many([row])
        return new_id

    async def add_many(self, rows: list[dict[str, Any]]) -> None:
        """Log many questions in one statement; each row has every column of QUESTION_COLUMNS."""
        if rows:
            await self.session.execute(_question_insert(self.session.get_bind().dialect.name), rows)

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
        result = await self.session.scalars(
            select(Question).where(Question.user_id == user_id).order_by(Question.created_at, Question.id)
        )
        return list(result)

    async def purge_older_than(self, moment: datetime) -> int:
        result = await self.session.execute(delete(Question).where(Question.created_at < moment))
        return int(result.rowcount)  # type: ignore[attr-defined]


class InboxRepository:
    """Updates received and not yet handled (see bot/inbox.py)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_many(self, rows: list[dict[str, Any]]) -> None:
        """Rows have update_id, user_id, chat_id, payload and received_at; a known update is kept as it is."""
        if rows:
            insert = _dialect_insert(self.session.get_bind().dialect.name)
            await self.session.execute(insert(INBOX).on_conflict_do_nothing(index_elements=[INBOX.c.update_id]), rows)

    async def owners(self, update_ids: list[int]) -> dict[int, str | None]:
        """The instance that holds each of these updates (those still in the inbox)."""
        owners: dict[int, str | None] = {}
        for start in range(0, len(update_ids), CHUNK):
            chunk = update_ids[start : start + CHUNK]
            rows = await self.session.execute(
                select(InboxUpdate.update_id, InboxUpdate.owner).where(InboxUpdate.update_id.in_(chunk))
            )
            owners.update({update_id: owner for update_id, owner in rows})
        return owners

    async def remove(self, update_ids: list[int]) -> None:
        """In chunks: a driver takes a bounded number of parameters (asyncpg: 32 767)."""
        for start in range(0, len(update_ids), CHUNK):
            chunk = update_ids[start : start + CHUNK]
            await self.session.execute(delete(InboxUpdate).where(InboxUpdate.update_id.in_(chunk)))

    async def set_outcome(self, update_id: int, outcome: str) -> None:
        await self.session.execute(
            update(InboxUpdate).where(InboxUpdate.update_id == update_id).values(outcome=outcome)
        )

    async def renew(self, owner: str, lease_until: datetime) -> None:
        """The instance is alive: the rows it holds stay its own until ``lease_until``."""
        await self.session.execute(
            update(InboxUpdate).where(InboxUpdate.owner == owner).values(lease_until=lease_until)
        )

    async def take_over(self, owner: str, now: datetime, lease_until: datetime) -> list[InboxUpdate]:
        """Rows nobody holds (released, or left by a version without leases) or whose owner's lease ran
        out (it died) become ``owner``'s; rows of an instance that is still alive are left alone."""
        unheld = (InboxUpdate.owner.is_(None)) | (InboxUpdate.lease_until.is_(None)) | (InboxUpdate.lease_until < now)
        ids = list(
            await self.session.scalars(select(InboxUpdate.update_id).where(unheld).with_for_update(skip_locked=True))
        )
        if not ids:
            return []
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            await self.session.execute(
                update(InboxUpdate)
                .where(InboxUpdate.update_id.in_(chunk))
                .values(owner=owner, lease_until=lease_until)
                .execution_options(synchronize_session=False)
            )
        statement = select(InboxUpdate).where(InboxUpdate.update_id.in_(ids)).order_by(InboxUpdate.update_id)
        return list(await self.session.scalars(statement))

    async def release(self, owner: str) -> None:
        """Stopping: what this instance still holds may be taken over at once by another."""
        await self.session.execute(
            update(InboxUpdate).where(InboxUpdate.owner == owner).values(owner=None, lease_until=None)
        )


class LeaseRepository:
    """Named roles held by one instance at a time (see db.models.Lease)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def take(self, name: str, owner: str, now: datetime) -> None:
        insert = _dialect_insert(self.session.get_bind().dialect.name)
        statement = insert(Lease).values(name=name, owner=owner, acquired_at=now)
        await self.session.execute(
            statement.on_conflict_do_update(index_elements=[Lease.name], set_={"owner": owner, "acquired_at": now})
        )

    async def holder(self, name: str) -> str | None:
        return await self.session.scalar(select(Lease.owner).where(Lease.name == name))
