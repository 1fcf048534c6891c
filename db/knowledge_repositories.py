"""Data access for the knowledge overlay and the question inbox. Like db/repositories.py: never commits."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Chat, Delivery, InboxDraft, KnowledgeItem, Question, User

CHUNK = 500
SUGGESTION_PREFIX = "[suggestie]"  # a picked suggestion is logged like a question (bot/services/questions.py)
INBOX_ANSWER_KEY = "inbox-answer:"  # outbox key of an answer from the inbox: "inbox-answer:<question id>"


SOURCE_LENGTH = 255  # the column knowledge_overlay.source (an import's file name can be longer)


@dataclass(frozen=True)
class StoredItem:
    partnership: str
    kind: str
    key: str
    entry_id: str
    fields: dict[str, str]
    source: str


@dataclass(frozen=True)
class OpenQuestion:
    id: int
    user_id: int | None
    text: str
    created_at: datetime


class OverlayRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def version(self) -> tuple[Any, ...]:
        """A cheap marker that changes with every insert, update or delete of an overlay row."""
        statement = select(func.count(), func.max(KnowledgeItem.updated_at), func.max(KnowledgeItem.id))
        return tuple((await self.session.execute(statement)).one())

    async def remove(self, partnership: str, entry_id: str) -> bool:
        statement = delete(KnowledgeItem).where(
            KnowledgeItem.partnership == partnership, KnowledgeItem.entry_id == entry_id
        )
        return bool((await self.session.execute(statement)).rowcount)  # type: ignore[attr-defined]

    async def owners(self, entry_id: str) -> set[str]:
        """The partnerships that have an item with this id (ids are unique within a partnership only)."""
        statement = select(KnowledgeItem.partnership).where(KnowledgeItem.entry_id == entry_id)
        return set(await self.session.scalars(statement))

    async def item(self, partnership: str, entry_id: str) -> StoredItem | None:
        statement = select(KnowledgeItem).where(
            KnowledgeItem.partnership == partnership, KnowledgeItem.entry_id == entry_id
        )
        found = (await self.session.scalars(statement.order_by(KnowledgeItem.id).limit(1))).first()
        return None if found is None else _stored(found)

    async def set_fields(self, partnership: str, entry_id: str, fields: dict[str, str], now: datetime) -> bool:
        """Replace one item's fields (its key, id and source stay); False when they were the same.

        Its ``updated_at`` becomes the newest of the table even when ``now`` is not (a clock behind
        another instance's, or the same moment as an import): ``version`` must change, or no
        instance would reload."""
        stored = json.dumps(fields, ensure_ascii=False, sort_keys=True)
        latest = await self.session.scalar(select(func.max(KnowledgeItem.updated_at)))
        moment = now if latest is None or latest < now else latest + timedelta(microseconds=1)
        statement = (
            update(KnowledgeItem)
            .where(
                KnowledgeItem.partnership == partnership,
                KnowledgeItem.entry_id == entry_id,
                KnowledgeItem.fields != stored,
            )
            .values(fields=stored, updated_at=moment)
        )
        return bool((await self.session.execute(statement)).rowcount)  # type: ignore[attr-defined]

    async def items(self, partnership: str | None = None) -> list[StoredItem]:
        statement = select(KnowledgeItem)
        if partnership is not None:
            statement = statement.where(KnowledgeItem.partnership == partnership)
        rows = await self.session.scalars(statement.order_by(KnowledgeItem.partnership, KnowledgeItem.id))
        return [_stored(r) for r in rows]

    async def upsert(self, items: Sequence[StoredItem], now: datetime) -> tuple[int, int]:
        """Insert new items, update known ones (same partnership, kind and key); returns (new, updated)."""
        new = updated = 0
        known: dict[tuple[str, str, str], KnowledgeItem] = {}
        for partnership, kind in {(item.partnership, item.kind) for item in items}:
            rows = await self.session.scalars(
                select(KnowledgeItem).where(KnowledgeItem.partnership == partnership, KnowledgeItem.kind == kind)
            )
            known.update({(r.partnership, r.kind, r.key): r for r in rows})
        for item in items:
            existing = known.get((item.partnership, item.kind, item.key))
            stored = json.dumps(item.fields, ensure_ascii=False, sort_keys=True)
            source = item.source[:SOURCE_LENGTH]
            if existing is None:
                self.session.add(
                    KnowledgeItem(
                        partnership=item.partnership,
                        kind=item.kind,
                        key=item.key,
                        entry_id=item.entry_id,
                        fields=stored,
                        source=source,
                        created_at=now,
                        updated_at=now,
                    )
                )
                new += 1
            elif (existing.fields, existing.source, existing.entry_id) != (stored, source, item.entry_id):
                existing.fields, existing.source, existing.entry_id = stored, source, item.entry_id
                existing.updated_at = now
                updated += 1
        await self.session.flush()
        return new, updated


def _stored(row: KnowledgeItem) -> StoredItem:
    return StoredItem(row.partnership, row.kind, row.key, row.entry_id, json.loads(row.fields), row.source)


class QuestionInboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def open_questions(self, partnership: str) -> list[OpenQuestion]:
        """Questions of the partnership's users that fell back or got 👎 and were not answered since."""
        statement = (
            select(Question.id, Question.user_id, Question.question, Question.created_at)
            .where(
                Question.partnership == partnership,
                Question.answered_at.is_(None),
                or_(Question.fallback.is_(True), Question.feedback == -1),
                ~Question.question.startswith(SUGGESTION_PREFIX),
            )
            .order_by(Question.created_at.desc(), Question.id.desc())
        )
        return [OpenQuestion(*row) for row in await self.session.execute(statement)]

    async def mark_answered(self, question_ids: Sequence[int], now: datetime) -> None:
        for start in range(0, len(question_ids), CHUNK):
            chunk = question_ids[start : start + CHUNK]
            await self.session.execute(update(Question).where(Question.id.in_(chunk)).values(answered_at=now))

    async def partnership_of(self, question_id: int) -> str | None:
        statement = select(Question.partnership).where(Question.id == question_id)
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def is_answered(self, partnership: str, question_id: int) -> bool:
        statement = select(Question.answered_at).where(Question.id == question_id, Question.partnership == partnership)
        return (await self.session.execute(statement)).scalar_one_or_none() is not None

    async def private_chats(self, user_ids: Sequence[int]) -> dict[int, int]:
        """user -> private chat, for users whose private chat is still reachable."""
        found: dict[int, int] = {}
        for start in range(0, len(user_ids), CHUNK):
            chunk = user_ids[start : start + CHUNK]
            statement = (
                select(User.id, User.chat_id)
                .join(Chat, Chat.id == User.chat_id)
                .where(User.id.in_(chunk), Chat.active.is_(True))
            )
            found.update({user_id: chat_id for user_id, chat_id in await self.session.execute(statement) if chat_id})
        return found

    async def draft(self, user_id: int) -> InboxDraft | None:
        return await self.session.get(InboxDraft, user_id)

    async def save_draft(
        self, user_id: int, partnership: str, question_id: int, answer: str | None, now: datetime
    ) -> None:
        draft = await self.session.get(InboxDraft, user_id)
        if draft is None:
            self.session.add(
                InboxDraft(
                    user_id=user_id, partnership=partnership, question_id=question_id, answer=answer, updated_at=now
                )
            )
        else:
            draft.partnership, draft.question_id, draft.answer, draft.updated_at = partnership, question_id, answer, now
        await self.session.flush()

    async def drop_draft(self, user_id: int) -> None:
        await self.session.execute(delete(InboxDraft).where(InboxDraft.user_id == user_id))

    async def drop_drafts_before(self, moment: datetime) -> int:
        result = await self.session.execute(delete(InboxDraft).where(InboxDraft.updated_at < moment))
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def drop_answers_sent_before(self, moment: datetime) -> int:
        """Outbox rows of inbox answers quote the asker's question: they go with the questions."""
        result = await self.session.execute(
            delete(Delivery).where(
                Delivery.key.startswith(INBOX_ANSWER_KEY),
                Delivery.created_at < moment,
                Delivery.status.not_in(("pending", "sending")),
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
