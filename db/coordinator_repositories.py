"""Data access for coordinator rights and the audit log. Like db/repositories.py: never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditEntry, Coordinator, User
from db.repositories import _dialect_insert


class CoordinatorRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def partnerships_of(self, user_id: int) -> list[str]:
        statement = select(Coordinator.partnership).where(Coordinator.user_id == user_id)
        return sorted(await self.session.scalars(statement))

    async def grant(self, user_id: int, partnership: str, granted_by: int | None, now: datetime) -> bool:
        """True when the right is new; granting it again changes nothing."""
        insert = _dialect_insert(self.session.get_bind().dialect.name)(Coordinator).values(
            user_id=user_id, partnership=partnership, granted_by=granted_by, granted_at=now
        )
        result = await self.session.execute(
            insert.on_conflict_do_nothing(index_elements=[Coordinator.user_id, Coordinator.partnership])
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def revoke(self, user_id: int, partnership: str) -> bool:
        result = await self.session.execute(
            delete(Coordinator).where(Coordinator.user_id == user_id, Coordinator.partnership == partnership)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def listing(self, partnership: str | None = None) -> list[tuple[Coordinator, User | None]]:
        """Rights with the profile of their holder when it exists, by partnership and name."""
        statement = select(Coordinator, User).outerjoin(User, User.id == Coordinator.user_id)
        if partnership is not None:
            statement = statement.where(Coordinator.partnership == partnership)
        rows = await self.session.execute(statement.order_by(Coordinator.partnership, Coordinator.user_id))
        return [(coordinator, user) for coordinator, user in rows]


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(
        self,
        partnership: str,
        actor_id: int | None,
        actor_name: str | None,
        action: str,
        now: datetime,
        subject: str = "",
        detail: str = "",
    ) -> None:
        self.session.add(
            AuditEntry(
                partnership=partnership,
                actor_id=actor_id,
                actor_name=actor_name,
                action=action,
                at=now,
                subject=subject,
                detail=detail,
            )
        )

    async def recent(self, partnership: str | None = None, limit: int = 50) -> list[AuditEntry]:
        statement = select(AuditEntry)
        if partnership is not None:
            statement = statement.where(AuditEntry.partnership == partnership)
        newest_first = statement.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
        return list(await self.session.scalars(newest_first))
