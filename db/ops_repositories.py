"""Figures for operators (/healthz, /metrics): a few aggregate reads over the whole database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Delivery, InboxUpdate, Question


class OpsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def ping(self) -> None:
        await self.session.execute(text("SELECT 1"))

    async def oldest_due_pending(self, now: datetime) -> datetime | None:
        """The due moment of the oldest delivery that should have gone out by now."""
        found = await self.session.execute(
            select(func.min(Delivery.due_at)).where(Delivery.status == "pending", Delivery.due_at <= now)
        )
        return found.scalar_one_or_none()

    async def deliveries_by_status(self) -> dict[tuple[str, str], int]:
        rows = await self.session.execute(
            select(Delivery.kind, Delivery.status, func.count()).group_by(Delivery.kind, Delivery.status)
        )
        return {(kind, status): count for kind, status, count in rows.all()}

    async def questions_by_outcome(self) -> dict[bool, int]:
        """Questions in the log (kept QUESTION_RETENTION_DAYS), by whether the bot fell back."""
        rows = await self.session.execute(select(Question.fallback, func.count()).group_by(Question.fallback))
        return {bool(fallback): count for fallback, count in rows.all()}

    async def open_questions(self) -> int:
        """Fallbacks no coordinator answered yet: the question inbox (/vragen)."""
        found = await self.session.execute(
            select(func.count()).where(Question.fallback.is_(True), Question.answered_at.is_(None))
        )
        return int(found.scalar_one())

    async def update_inbox_depth(self) -> int:
        found = await self.session.execute(select(func.count()).select_from(InboxUpdate))
        return int(found.scalar_one())
