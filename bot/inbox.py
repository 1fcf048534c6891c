"""Nothing lost in a crash: every update is written to the inbox before Telegram hears it arrived.

PTB confirms updates to Telegram with the next ``getUpdates`` call, before their handlers have run;
after a crash Telegram does not send them again. So ``InboxBot.get_updates`` (PTB's public ``ExtBot``,
subclassed) writes each batch to the ``inbox`` table before it returns, and the update processor
marks each update handled when its handlers are done (written at once, see WriteBehind.handled).
At start, what is left is handled first. An update that Telegram sends again because the crash came
before the confirmation is handled once (``first_time``); its second copy is removed from the inbox
once the first is done, so it is not replayed at the next start.

Several instances on one database: each inbox row is owned by the instance that received it, with a
lease (``INBOX_LEASE_SECONDS``) that the instance renews while it lives (the ``inbox-leases`` job). A
starting instance takes over only rows nobody holds or whose lease ran out (their instance died),
never the rows of an instance that is still alive; the same job keeps taking over such rows while it
runs. An instance that stops releases what it still holds, so the next takes it over at once.
Telegram gives an update to every ``getUpdates`` call until one confirms it, so in a rolling deploy
the new instance's first poll can get the batch the old one has just received: only the instance
whose row it is handles it (``first_time`` refuses it elsewhere; no one removes another's row).

The same read also warms the profile cache for the batch's senders, so answering them needs no
database round trip. While the database is unreachable updates are still handled (without this
protection) rather than held back. Webhook mode has the same inbox: PTB's webhook handler awaits
``update_queue.put`` before it answers 200, and ``InboxQueue.put`` writes the update first, so several
webhook instances behind a load balancer on one PostgreSQL lose nothing when one is killed.

At-least-once: a crash after a reply was sent but before its update was marked handled (a window
of one small write) answers that update again after the restart.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot, Update
from telegram.ext import ExtBot

from bot.services import Services
from bot.services.onboarding import SCHOOL_SAVED
from db.repositories import InboxRepository, LeaseRepository, UserRepository

logger = logging.getLogger(__name__)
REMEMBERED_UPDATES = 10_000
POLLING = "polling"  # the lease held by the newest instance that polls Telegram


class Inbox:
    def __init__(self) -> None:
        self.services: Services | None = None
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._stored: set[int] = set()  # in the inbox table and not yet handled
        self._in_progress: set[int] = set()  # accepted and not yet handled
        self._elsewhere: set[int] = set()  # received, but the inbox row is another live instance's

    def attach(self, services: Services) -> None:
        self.services = services

    def first_time(self, update: object) -> bool:
        """Whether this update id was not handled (or queued) before in this run."""
        if not isinstance(update, Update):
            return True
        if update.update_id in self._seen or update.update_id in self._elsewhere:
            return False
        self._seen[update.update_id] = None
        self._in_progress.add(update.update_id)
        while len(self._seen) > REMEMBERED_UPDATES:
            self._seen.popitem(last=False)
        return True

    def taken_over(self, update_id: int) -> bool:
        """In the inbox already: taken over from a crash, not newly received."""
        return update_id in self._stored

    async def refused(self, update: object) -> None:
        """A second copy of an update: its inbox row (written again on receipt) goes once the first
        copy is done; while the first is still under way, that one removes it when it finishes."""
        if not isinstance(update, Update):
            return
        if update.update_id in self._elsewhere:  # its owner handles it and removes the row
            self._elsewhere.discard(update.update_id)
            return
        if update.update_id not in self._in_progress:
            await self.handled_id(update.update_id)

    async def handled(self, update: Update) -> None:
        self._in_progress.discard(update.update_id)
        await self.handled_id(update.update_id)

    async def handled_id(self, update_id: int) -> None:
        if self.services is not None:
            self.services.writes.handled(update_id)

    async def receive(self, updates: Sequence[Update]) -> None:
        if not updates or self.services is None:
            return
        services = self.services
        now = services.clock()
        lease_until = now + timedelta(seconds=services.settings.inbox_lease_seconds)
        try:
            async with services.sessions.begin() as session:
                repository = InboxRepository(session)
                await repository.add_many([_row(update, now, services.instance, lease_until) for update in updates])
                owners = await repository.owners([update.update_id for update in updates])
        except (SQLAlchemyError, OSError) as exc:
            logger.warning(
                "inbox unwritable (%s): %d updates handled without crash protection", type(exc).__name__, len(updates)
            )
            return
        # Telegram gives an update to every getUpdates call until one confirms it: in a rolling deploy
        # the new instance's first poll can get the batch the old one just received. Whoever wrote the
        # row first answers it; the other leaves it (and takes it over if that instance dies).
        self._elsewhere.update(
            update_id for update_id, owner in owners.items() if owner is not None and owner != services.instance
        )
        senders = sorted({u.effective_user.id for u in updates if u.effective_user is not None})
        await self.services.questions.prefetch(senders)

    async def left_over(self, bot: Bot) -> tuple[list[Update], list[tuple[int, int]]]:
        """What a crash (or a stopped instance) left, now taken over by this instance: updates to handle
        again, and (update id, chat) of saved school names to confirm. Rows of live instances stay theirs."""
        if self.services is None:
            return [], []
        services = self.services
        now = services.clock()
        lease_until = now + timedelta(seconds=services.settings.inbox_lease_seconds)
        async with services.sessions.begin() as session:
            rows = await InboxRepository(session).take_over(services.instance, now, lease_until)
        rows = [row for row in rows if row.update_id not in self._in_progress]
        self._elsewhere.difference_update(row.update_id for row in rows)
        self._stored.update(row.update_id for row in rows)
        again = [Update.de_json(json.loads(row.payload), bot) for row in rows if row.outcome is None]
        confirm = [(row.update_id, row.user_id) for row in rows if row.outcome == SCHOOL_SAVED and row.user_id]
        return [update for update in again if update is not None], confirm

    async def saved_school(self, user_id: int) -> str | None:
        if self.services is None:
            return None
        async with self.services.sessions() as session:
            user = await UserRepository(session).get(user_id)
        return user.school_name if user else None

    async def renew(self) -> None:
        """This instance is alive: it keeps the rows it holds."""
        if self.services is None:
            return
        services = self.services
        lease_until = services.clock() + timedelta(seconds=services.settings.inbox_lease_seconds)
        async with services.sessions.begin() as session:
            await InboxRepository(session).renew(services.instance, lease_until)

    async def start_polling(self) -> None:
        """This instance is now the newest poller; an older one hands over at its next 409."""
        if self.services is None:
            return
        async with self.services.sessions.begin() as session:
            await LeaseRepository(session).take(POLLING, self.services.instance, self.services.clock())

    async def replaced(self) -> bool:
        """Whether a newer instance polls now (so a 409 means: hand over, not: a passing conflict)."""
        if self.services is None:
            return False
        async with self.services.sessions() as session:
            holder = await LeaseRepository(session).holder(POLLING)
        return holder is not None and holder != self.services.instance

    async def release(self) -> None:
        """Stopping: what is left may be taken over at once by the instance that replaces this one."""
        if self.services is None:
            return
        async with self.services.sessions.begin() as session:
            await InboxRepository(session).release(self.services.instance)


def _row(update: Update, now: datetime, owner: str, lease_until: datetime) -> dict[str, Any]:
    return {
        "update_id": update.update_id,
        "user_id": update.effective_user.id if update.effective_user else None,
        "chat_id": update.effective_chat.id if update.effective_chat else None,
        "payload": json.dumps(update.to_dict(), ensure_ascii=False),
        "outcome": None,
        "received_at": now,
        "owner": owner,
        "lease_until": lease_until,
    }


class InboxQueue(asyncio.Queue[object]):
    """The application's update queue in webhook mode: an update is in the inbox before Telegram is
    answered 200 (PTB's webhook handler awaits ``put`` first), as ``InboxBot`` does for long polling."""

    def __init__(self, inbox: Inbox) -> None:
        super().__init__()
        self._inbox = inbox

    async def put(self, item: object) -> None:
        if isinstance(item, Update) and not self._inbox.taken_over(item.update_id):
            await self._inbox.receive([item])
        await super().put(item)


class InboxBot(ExtBot[None]):
    """PTB's ExtBot whose ``get_updates`` writes each batch to the inbox before returning it."""

    def __init__(self, *args: Any, inbox: Inbox, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._inbox = inbox  # PTB freezes public attributes of a bot after __init__

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        updates = await super().get_updates(*args, **kwargs)
        await self._inbox.receive(updates)
        return updates
