"""Aggregations for /stats, one partnership at a time, each a GROUP BY in the database. Never commits.

Only counts and question texts leave here: no names, no ids of people.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, case, cast, func, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from db.agenda_repositories import MESSAGE
from db.broadcast_repositories import BROADCAST
from db.knowledge_repositories import SUGGESTION_PREFIX
from db.models import Chat, Delivery, Event, Question, User


class StatsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def users(self, partnership: str) -> list[tuple[str | None, str | None, str | None, int, int]]:
        """(role, school id, typed school name, users, of whom reachable in private) per group of the
        partnership's users, in one pass: the figures per role, per school and in all add these up."""
        reachable = func.coalesce(func.sum(case((Chat.active.is_(True), 1), else_=0)), 0)
        statement = (
            select(User.role, User.school_id, User.school_name, func.count(), reachable)
            .outerjoin(Chat, Chat.id == User.chat_id)
            .where(User.partnership == partnership)
            .group_by(User.role, User.school_id, User.school_name)
        )
        return [
            (role, school_id, name, int(number), int(active))
            for role, school_id, name, number, active in await self.session.execute(statement)
        ]

    async def questions(self, partnership: str, since: datetime) -> tuple[int, int, int, int]:
        """(asked, fell back, 👍, 👎) since ``since``."""
        statement = select(
            func.count(),
            func.coalesce(func.sum(case((Question.fallback.is_(True), 1), else_=0)), 0),
            func.coalesce(func.sum(case((Question.feedback == 1, 1), else_=0)), 0),
            func.coalesce(func.sum(case((Question.feedback == -1, 1), else_=0)), 0),
        ).where(Question.partnership == partnership, Question.created_at >= since)
        asked, fallback, up, down = (await self.session.execute(statement)).one()
        return int(asked), int(fallback), int(up), int(down)

    async def questions_per_day(self, partnership: str, since: datetime) -> dict[date, tuple[int, int]]:
        """(asked, fell back) per day (UTC) since ``since``."""
        day = (
            cast(func.timezone("UTC", Question.created_at), Date) if self._postgres else func.date(Question.created_at)
        )
        statement = (
            select(day, func.count(), func.sum(case((Question.fallback.is_(True), 1), else_=0)))
            .where(Question.partnership == partnership, Question.created_at >= since)
            .group_by(day)
        )
        result: dict[date, tuple[int, int]] = {}
        for found, asked, fallback in await self.session.execute(statement):
            key = found if isinstance(found, date) else date.fromisoformat(str(found))
            result[key] = (int(asked), int(fallback or 0))
        return result

    async def unanswered(self, partnership: str, since: datetime, limit: int) -> list[tuple[str, int]]:
        """The most asked questions that fell back or got 👎 and are not answered from the inbox yet,
        as (text, times); the same text in other capitals counts as one. A picked suggestion is no
        question."""
        text = func.lower(func.trim(Question.question))
        statement = (
            select(func.min(Question.question), func.count())
            .where(
                Question.partnership == partnership,
                Question.created_at >= since,
                or_(Question.fallback.is_(True), Question.feedback == -1),
                Question.answered_at.is_(None),
                ~Question.question.startswith(SUGGESTION_PREFIX),
            )
            .group_by(text)
            .order_by(func.count().desc(), func.max(Question.created_at).desc())
            .limit(limit)
        )
        return [(question, int(number)) for question, number in await self.session.execute(statement)]

    async def deliveries(self, partnership: str, since: datetime) -> dict[tuple[str, str], int]:
        """(kind, status) -> rows of the partnership's outbox due since ``since``: reminders and
        cancellations through their event, broadcasts through their recipient's profile. A
        broadcast's report and an answer from the question inbox are no broadcast: not counted.

        Two selects, one per way a row belongs to the partnership, so each join reads only the
        partnership's events or the rows without an event (an OR over two outer joins made
        PostgreSQL hash every user and every delivery)."""
        wanted = (Delivery.due_at >= since, or_(Delivery.kind != MESSAGE, Delivery.key.startswith(f"{BROADCAST}:")))
        through_event = (
            select(Delivery.kind, Delivery.status)
            .join(Event, Event.id == Delivery.event_id)
            .where(Event.partnership == partnership, *wanted)
        )
        through_user = (
            select(Delivery.kind, Delivery.status)
            .join(User, User.id == Delivery.user_id)
            .where(Delivery.event_id.is_(None), User.partnership == partnership, *wanted)
        )
        rows = union_all(through_event, through_user).subquery()
        statement = select(rows.c.kind, rows.c.status, func.count()).group_by(rows.c.kind, rows.c.status)
        return {(kind, status): int(number) for kind, status, number in await self.session.execute(statement)}

    @property
    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"


__all__ = ["StatsRepository"]
