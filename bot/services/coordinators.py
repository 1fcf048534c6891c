"""Coordinator rights per partnership, and the audit log every coordinator action writes to.

A right comes only from the command line, from ``COORDINATOR_IDS`` at start, or from another
coordinator of the same partnership; the role "coördinator" picked in onboarding grants nothing.
Every service that acts for a coordinator checks the right itself (``authority``), whatever the
handler already checked, and writes its audit row in its own transaction (``audit``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.writes import WriteBehind
from bot.settings import parse_coordinator_ids
from db.coordinator_repositories import AuditRepository, CoordinatorRepository
from db.engine import SessionFactory
from db.models import User
from db.repositories import UserRepository

COMMAND_LINE = "opdrachtregel"
MAX_CANDIDATES = 8


class NotAllowed(PermissionError):
    """The actor holds no coordinator right for this partnership (or acts on someone else's data)."""


class UnknownPartnership(ValueError):
    """``COORDINATOR_IDS`` names a partnership the knowledge base does not know: the bot does not start."""


@dataclass(frozen=True)
class Authority:
    """Who acts for which partnership: a coordinator in chat, or the command line (``user_id`` None)."""

    user_id: int | None
    name: str
    partnership: str


@dataclass(frozen=True)
class CoordinatorView:
    user_id: int
    partnership: str
    name: str | None  # None: the person has not written to the bot yet
    chat_id: int | None
    granted_at: datetime


@dataclass(frozen=True)
class Candidate:
    user_id: int
    name: str
    role: str | None
    chat_id: int | None
    is_coordinator: bool


def command_line(partnership: str) -> Authority:
    return Authority(None, COMMAND_LINE, partnership)


def audit(
    session: AsyncSession, actor: Authority, action: str, now: datetime, subject: str = "", detail: str = ""
) -> None:
    """One audit row, written in the caller's transaction (so it exists exactly when the action does)."""
    AuditRepository(session).add(actor.partnership, actor.user_id, actor.name, action, now, subject, detail)


async def require_right(session: AsyncSession, actor: Authority, partnership: str | None = None) -> None:
    """Every service's own check of a coordinator's right, whatever the handler or page checked (a
    button's data or a form can be forged): the actor holds a right in their partnership, and acts for
    that one (``partnership``: the one the data belongs to). The command line (``user_id`` None) acts
    for the partnership it names."""
    if partnership is not None and partnership != actor.partnership:
        raise NotAllowed("alleen je eigen partnerschap")
    if actor.user_id is not None and actor.partnership not in await CoordinatorRepository(session).partnerships_of(
        actor.user_id
    ):
        raise NotAllowed("geen coördinator van dit partnerschap")


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class CoordinatorService:
    def __init__(self, sessions: SessionFactory, writes: WriteBehind) -> None:
        self.sessions = sessions
        self.writes = writes

    async def authority(self, user_id: int) -> Authority | None:
        """The partnership a user acts for as coordinator: their profile's one when they hold a right
        there, else the first they hold; None for everyone else."""
        async with self.sessions() as session:
            granted = await CoordinatorRepository(session).partnerships_of(user_id)
            if not granted:
                return None
            user = await UserRepository(session).get(user_id)
        name = user.display_name if user is not None else str(user_id)
        own = user.partnership if user is not None else None
        return Authority(user_id, name, own if own in granted else granted[0])

    async def is_coordinator(self, user_id: int, partnership: str) -> bool:
        async with self.sessions() as session:
            return partnership in await CoordinatorRepository(session).partnerships_of(user_id)

    async def grant(self, actor: Authority, user_id: int, now: datetime) -> bool:
        """Give ``user_id`` the right for the actor's partnership; True when it is new. A coordinator in
        chat may only grant a user of their own partnership (checked here, not only in the handler)."""
        async with self.writes.transaction() as session:
            await require_right(session, actor)
            if actor.user_id is not None:
                target = await UserRepository(session).get(user_id)
                if target is None or target.partnership != actor.partnership:
                    raise NotAllowed("alleen een gebruiker van je eigen partnerschap")
            new = await CoordinatorRepository(session).grant(user_id, actor.partnership, actor.user_id, now)
            if new:
                audit(session, actor, "coordinator-erbij", now, subject=f"user:{user_id}")
        return new

    async def revoke(self, actor: Authority, user_id: int, now: datetime) -> bool:
        async with self.writes.transaction() as session:
            await require_right(session, actor)
            removed = await CoordinatorRepository(session).revoke(user_id, actor.partnership)
            if removed:
                audit(session, actor, "coordinator-eraf", now, subject=f"user:{user_id}")
        return removed

    async def listing(self, partnership: str | None = None) -> list[CoordinatorView]:
        async with self.sessions() as session:
            rows = await CoordinatorRepository(session).listing(partnership)
        return [
            CoordinatorView(
                c.user_id,
                c.partnership,
                user.display_name if user is not None else None,
                user.chat_id if user is not None else None,
                c.granted_at,
            )
            for c, user in rows
        ]

    async def candidates(self, actor: Authority, name_part: str) -> list[Candidate]:
        """Users of the actor's partnership whose name contains ``name_part`` (accents and case ignored)."""
        wanted = _folded(name_part.strip())
        if not wanted:
            return []
        async with self.sessions() as session:
            users = await UserRepository(session).of_partnership(actor.partnership)
            rights = {c.user_id for c, _ in await CoordinatorRepository(session).listing(actor.partnership)}
        found = [u for u in users if wanted in _folded(u.display_name)]
        return [_candidate(u, u.id in rights) for u in found[:MAX_CANDIDATES]]

    async def candidate(self, actor: Authority, user_id: int) -> Candidate | None:
        """One user of the actor's partnership (a button's id is untrusted input); None otherwise."""
        async with self.sessions() as session:
            user = await UserRepository(session).get(user_id)
            if user is None or user.partnership != actor.partnership:
                return None
            rights = await CoordinatorRepository(session).partnerships_of(user_id)
        return _candidate(user, actor.partnership in rights)

    async def bootstrap(self, spec: str, known_partnerships: set[str], now: datetime) -> int:
        """Grant the rights listed in ``COORDINATOR_IDS`` that do not exist yet; returns how many."""
        granted = 0
        for user_id, partnership in parse_coordinator_ids(spec):
            if partnership not in known_partnerships:
                raise UnknownPartnership(f"COORDINATOR_IDS: onbekend partnerschap ‘{partnership}’")
            granted += await self.grant(Authority(None, "COORDINATOR_IDS", partnership), user_id, now)
        return granted


def _candidate(user: User, is_coordinator: bool) -> Candidate:
    return Candidate(user.id, user.display_name, user.role, user.chat_id, is_coordinator)


__all__ = [
    "Authority",
    "Candidate",
    "CoordinatorService",
    "CoordinatorView",
    "UnknownPartnership",
    "audit",
    "command_line",
    "parse_coordinator_ids",
]
