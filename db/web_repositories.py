"""The web view's tokens (one-time links and sessions); the caller owns the transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import WebToken


class WebTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, token_hash: str, kind: str, user_id: int, now: datetime, expires_at: datetime) -> None:
        self.session.add(
            WebToken(token_hash=token_hash, kind=kind, user_id=user_id, created_at=now, expires_at=expires_at)
        )

    async def use_link(self, token_hash: str, now: datetime) -> int | None:
        """Mark an unused, unexpired link as used and return its user; None for any other link.
        One UPDATE, so two browsers opening the same link at once get one session between them."""
        used = await self.session.execute(
            update(WebToken)
            .where(
                WebToken.token_hash == token_hash,
                WebToken.kind == "link",
                WebToken.used_at.is_(None),
                WebToken.expires_at > now,
            )
            .values(used_at=now)
            .returning(WebToken.user_id)
        )
        return used.scalar_one_or_none()

    async def session_user(self, token_hash: str, now: datetime) -> int | None:
        found = await self.session.execute(
            select(WebToken.user_id).where(
                WebToken.token_hash == token_hash, WebToken.kind == "session", WebToken.expires_at > now
            )
        )
        return found.scalar_one_or_none()

    async def remove(self, token_hash: str) -> None:
        await self.session.execute(delete(WebToken).where(WebToken.token_hash == token_hash))

    async def remove_of_user(self, user_id: int) -> None:
        await self.session.execute(delete(WebToken).where(WebToken.user_id == user_id))

    async def purge_expired(self, now: datetime) -> int:
        removed = await self.session.execute(delete(WebToken).where(WebToken.expires_at <= now))
        return removed.rowcount or 0  # type: ignore[attr-defined]
