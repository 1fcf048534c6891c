"""Writes a reply need not wait for, and the last known profile of each user.

Answering a question needs one fact from the database, the asker's partnership (and whether
onboarding waits for a school name). Recording that the sender was seen and logging the question
can happen after the reply. So:

- ``ProfileCache`` keeps what we last read or wrote of a user and the chats we last recorded, for
  ``CACHE_SECONDS``. A sender whose name and chat did not change is not written again, and a question
  is answered from the cache even when the database is unreachable.
- ``WriteBehind`` collects sender records and question-log rows and writes them in one transaction
  per batch, from a background task, at most ``FLUSH_SECONDS`` after they arrive. While the database
  is unreachable it keeps up to ``MAX_PENDING`` questions and retries; beyond that the oldest are
  dropped with a warning. A crash loses at most the rows of the last ``FLUSH_SECONDS``.
- Every other write goes through ``WriteBehind.transaction()``: it writes what is pending first, in
  the same transaction, so that pending rows can never undo it (a sender record written after
  /vergeetmij would bring the user back; one written after a block would reactivate the chat).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.clock import Clock
from bot.services.planning import Planner
from bot.services.senders import Sender
from db.engine import SessionFactory
from db.repositories import ChatRepository, InboxRepository, Profile, QuestionRepository, UserRepository

logger = logging.getLogger(__name__)
CACHE_SECONDS = 600.0
CACHE_USERS = 50_000
FLUSH_SECONDS = 0.05
MAX_PENDING = 10_000
RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0, 10.0)


@dataclass(frozen=True)
class KnownUser:
    name: str
    partnership: str | None
    awaiting: str | None
    has_private_chat: bool
    read_at: float


class ProfileCache:
    """The last known profile per user and the chats recorded as reachable (bounded, expiring)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._users: OrderedDict[int, KnownUser] = OrderedDict()
        self._chats: dict[int, tuple[str, str | None]] = {}
        # A new number at every forget: a read that started before it must not refill the cache after
        # it. Users without an entry share ``_base``; the entries are bounded by clearing them all and
        # taking a new base, which only makes the reads under way not cached (a cheap miss).
        self._numbers = itertools.count(1)
        self._base = 0
        self._generations: dict[int, int] = {}

    def generation(self, user_id: int) -> int:
        return self._generations.get(user_id, self._base)

    def user(self, user_id: int) -> KnownUser | None:
        known = self._users.get(user_id)
        if known is None or self.clock() - known.read_at > CACHE_SECONDS:
            return None
        self._users.move_to_end(user_id)
        return known

    def remember(self, user_id: int, name: str, profile: Profile, has_private_chat: bool, read_in: int) -> None:
        """Keep what was read; ``read_in`` is the generation when the read began (see ``generation``)."""
        if read_in != self.generation(user_id):
            return
        self._users[user_id] = KnownUser(name, profile.partnership, profile.awaiting, has_private_chat, self.clock())
        self._users.move_to_end(user_id)
        while len(self._users) > CACHE_USERS:
            self._users.popitem(last=False)
            self._chats.clear()  # cheap bound on the chats too: they are re-recorded once

    def update(self, user_id: int, **changes: Any) -> None:
        """A write of this process changed the profile (partnership, awaiting)."""
        known = self._users.get(user_id)
        if known is not None:
            self._users[user_id] = replace(known, **changes)

    def sender_unchanged(self, sender: Sender) -> bool:
        known = self.user(sender.user_id)
        return (
            known is not None
            and known.name == sender.name
            and (known.has_private_chat or not sender.private)
            and self._chats.get(sender.chat_id) == (sender.chat_type, sender.chat_title)
        )

    def chat_recorded(self, sender: Sender) -> None:
        self._chats[sender.chat_id] = (sender.chat_type, sender.chat_title)

    def forget_user(self, user_id: int, chat_id: int | None = None, erase: bool = False) -> None:
        """Drop what is known of the user; ``erase`` (/vergeetmij): keep no entry of them at all."""
        self._users.pop(user_id, None)
        if erase:
            self._generations.pop(user_id, None)
            self._base = next(self._numbers)
        else:
            self._generations[user_id] = next(self._numbers)
            if len(self._generations) > CACHE_USERS:
                self._generations.clear()
                self._base = next(self._numbers)
        if chat_id is not None:
            self._chats.pop(chat_id, None)

    def forget_chat(self, chat_id: int) -> None:
        """The chat blocked us: the next message from it must be recorded (it reactivates the chat)."""
        self._chats.pop(chat_id, None)


@dataclass
class Taken:
    """The rows a transaction took out of the buffer, to put back if it fails."""

    chats: list[dict[str, Any]]
    users: list[dict[str, Any]]
    questions: list[dict[str, Any]]
    handled: list[int]


class WriteBehind:
    def __init__(self, sessions: SessionFactory, clock: Clock, planner: Planner | None = None) -> None:
        self.sessions = sessions
        self.clock = clock
        self.planner = planner  # a blocked chat that writes again gets its reminders planned again
        self._chats: dict[int, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._questions: deque[dict[str, Any]] = deque()
        self._handled: set[int] = set()
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._urgent = False
        self._stopping = False

    @property
    def pending(self) -> int:
        return len(self._chats) + len(self._users) + len(self._questions) + len(self._handled)

    @property
    def idle(self) -> bool:
        """Nothing pending and no write under way."""
        return self.pending == 0 and not self._lock.locked()

    def record(self, sender: Sender) -> None:
        now = self.clock()
        self._chats[sender.chat_id] = {
            "id": sender.chat_id,
            "type": sender.chat_type,
            "title": sender.chat_title,
            "now": now,
        }
        private_chat = sender.chat_id if sender.private else self._users.get(sender.user_id, {}).get("chat_id")
        self._users[sender.user_id] = {"id": sender.user_id, "name": sender.name, "chat_id": private_chat, "now": now}
        self._wake.set()

    def log(self, row: dict[str, Any]) -> None:
        if len(self._questions) >= MAX_PENDING:
            self._questions.popleft()
            logger.warning("question log: the database is unreachable too long; the oldest question is dropped")
        self._questions.append(row)
        self._wake.set()

    def handled(self, update_id: int) -> None:
        """An update's handlers are done: remove it from the inbox as soon as possible.

        No waiting for the batch window here: until this is written, a crash would handle the update
        (and answer it) once more after the restart. Updates that finish while one write is under way
        share the next one.
        """
        self._handled.add(update_id)
        self._urgent = True
        self._wake.set()

    def discard_user(self, user_id: int, private_chat_id: int | None) -> None:
        """/vergeetmij: nothing of this user may be written after their data is deleted."""
        self._users.pop(user_id, None)
        if private_chat_id is not None:
            self._chats.pop(private_chat_id, None)
        self._questions = deque(q for q in self._questions if q["user_id"] != user_id)

    def _take(self) -> Taken:
        taken = Taken(
            list(self._chats.values()), list(self._users.values()), list(self._questions), list(self._handled)
        )
        self._chats, self._users, self._questions, self._handled = {}, {}, deque(), set()
        return taken

    async def _write(self, session: AsyncSession, taken: Taken) -> None:
        """Senders before their questions. A row the database refuses (a question of a user deleted
        meanwhile by another instance) must not block the others: then the rows go one by one and
        the refused ones are dropped."""
        await InboxRepository(session).remove(taken.handled)
        chats = ChatRepository(session)
        active_again = await chats.inactive([row["id"] for row in taken.chats]) if self.planner else []
        batches: list[Batch] = [
            (chats.upsert_many, taken.chats),
            (UserRepository(session).upsert_many, taken.users),
            (QuestionRepository(session).add_many, taken.questions),
        ]
        try:
            async with session.begin_nested():
                for write, rows in batches:
                    await write(rows)
        except IntegrityError:
            await _write_one_by_one(session, batches)
        if self.planner is not None and active_again:
            now = self.clock()
            for user_id in await chats.users_of(active_again):
                await self.planner.plan_user(session, user_id, now)

    def _restore(self, taken: Taken) -> None:
        """The transaction failed (its statements, the caller's, or the commit): put the rows back.
        A newer record of the same sender wins, but keeps a private chat only the older one knew."""
        for row in taken.users:
            newer = self._users.get(row["id"])
            if newer is not None and newer["chat_id"] is None:
                newer["chat_id"] = row["chat_id"]
        self._chats = {row["id"]: row for row in taken.chats} | self._chats
        self._users = {row["id"]: row for row in taken.users} | self._users
        self._questions.extendleft(reversed(taken.questions))
        while len(self._questions) > MAX_PENDING:
            self._questions.popleft()
        self._handled.update(taken.handled)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A write transaction that first writes what is pending (see the module docstring).

        Pending rows leave the buffer only when the whole transaction commits; whatever fails
        (the pending rows, the caller's statements or the commit), they are put back.
        """
        async with self._lock:
            taken = self._take()
            try:
                async with self.sessions.begin() as session:
                    await self._write(session, taken)
                    yield session
            except BaseException:
                self._restore(taken)
                raise

    async def flush(self) -> None:
        if self.pending:
            async with self.transaction():
                pass

    async def settle(self) -> None:
        """Until what was logged so far is in the database: pending rows, and a write under way
        (``flush`` alone returns at once while the background task writes the last rows)."""
        if self.pending:
            await self.flush()
        else:
            async with self._lock:
                pass

    async def run(self) -> None:
        """Write pending rows every FLUSH_SECONDS; retry with back-off while the database is unreachable."""
        failures = 0
        while True:
            await self._wake.wait()
            if self._stopping:
                return  # stop() writes what is left
            self._wake.clear()
            if not self._urgent:
                await asyncio.sleep(FLUSH_SECONDS)
            self._urgent = False
            try:
                await self.flush()
                failures = 0
            except Exception as exc:  # the database is down: keep the rows, try again later
                logger.warning("writing %d pending rows failed (%s); retrying", self.pending, type(exc).__name__)
                await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])
                failures += 1
                self._wake.set()

    async def stop(self) -> None:
        """Write what is left (at shutdown); what cannot be written now is reported, not hidden."""
        self._stopping = True
        self._wake.set()
        try:
            await self.flush()
        except Exception as exc:
            logger.error("at shutdown %d pending rows could not be written: %s", self.pending, type(exc).__name__)


Rows = list[dict[str, Any]]
Batch = tuple[Callable[[Rows], Awaitable[None]], Rows]


async def _write_one_by_one(session: AsyncSession, batches: Sequence[Batch]) -> None:
    for write, rows in batches:
        for row in rows:
            try:
                async with session.begin_nested():
                    await write([row])
            except IntegrityError as exc:
                logger.warning("a pending row was refused by the database and dropped: %s", type(exc.orig).__name__)
