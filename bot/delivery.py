"""The outbox dispatcher: claims due deliveries, sends them through PTB and records what happened.

A ``run_repeating`` job (bot/jobs.py) wakes it every ``DELIVERY_POLL_SECONDS``; one run drains
everything due, a batch (``DELIVERY_BATCH_SIZE``) at a time, and a tick while a run is still busy does
nothing. No database session is open while Telegram is called. While sends are under way their
leases are renewed every third of ``DELIVERY_CLAIM_TIMEOUT_SECONDS``, so a slow send is never
claimed (and sent) again by this or another instance; an outcome is written under its claim's
fencing token (bot/services/deliveries.py). Pacing: every send goes through
PTB's ``AIORateLimiter`` (29/s overall), and at most one batch is in flight, so an answer to a
question never waits behind more than a batch of reminders. After each drain, broadcasts whose rows
are all final get their report queued (``BroadcastService.complete``), which the next drain sends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from bot.agenda_text import cancelled_text, reminder_text
from bot.services import Outcome, Outgoing, Result, Services
from db.agenda_repositories import CANCELLED, REMINDER
from db.broadcast_repositories import is_broadcast_key
from handlers.agenda import rsvp_keyboard

logger = logging.getLogger(__name__)


def render(outgoing: Outgoing) -> tuple[str, InlineKeyboardMarkup | None]:
    event = outgoing.event
    if outgoing.kind == REMINDER and event is not None:
        return reminder_text(event), rsvp_keyboard(event.id)
    if outgoing.kind == CANCELLED and event is not None:
        return cancelled_text(event), None
    return outgoing.text or "", None


class Dispatcher:
    def __init__(
        self,
        services: Services,
        bot: Bot,
        keep_going: Callable[[], bool] = lambda: True,
    ) -> None:
        self.services = services
        self.bot = bot
        self.clock = services.clock
        self.keep_going = keep_going  # False once the application stops: the rest waits in the outbox
        self._running = asyncio.Lock()
        self.last_poll_at: datetime | None = None  # the end of the last poll: /healthz's "alive"

    @property
    def busy(self) -> bool:
        return self._running.locked()

    async def tick(self) -> int:
        """One poll: drain what is due, unless a drain is already running. Returns how many were handled."""
        if self._running.locked():
            return 0
        async with self._running:
            handled = await self.drain()
            if await self.services.broadcasts.complete(self.clock()):
                handled += await self.drain()  # the reports just queued
            self.last_poll_at = self.clock()
            return handled

    async def drain(self) -> int:
        """Send everything due with at most ``DELIVERY_BATCH_SIZE`` messages in flight.

        A sliding window, not batch after batch: as soon as one send returns, its outcome is recorded
        and a free slot is filled with a newly claimed row, so a message is always waiting at the rate
        limiter and no slot of Telegram's 30/s is lost to the database. Only the messages in flight
        can be sent twice after a crash; no row is claimed before there is a slot to send it.
        """
        window = self.services.settings.delivery_batch_size
        handled = 0
        in_flight: dict[asyncio.Task[Outcome], Outgoing] = {}
        renewing = asyncio.create_task(self._renew_leases(in_flight), name="outbox-leases")
        try:
            claimed = await self._claim(window)
            backing_off = False
            while claimed or in_flight:
                in_flight |= {asyncio.ensure_future(self.send(outgoing)): outgoing for outgoing in claimed}
                done, _ = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    del in_flight[task]
                outcomes = [task.result() for task in done]
                await self.services.deliveries.record(outcomes, self.clock())
                handled += len(done)
                # After a 429 the outbox claims nothing more this run (its row waits until retry_after);
                # the next poll or wake-up goes on. Answers to questions do not wait for it.
                backing_off = backing_off or any(o.result == Result.RETRY and o.retry_after for o in outcomes)
                claimed = [] if backing_off else await self._claim(window - len(in_flight))
        finally:
            renewing.cancel()
        return handled

    async def _renew_leases(self, in_flight: dict[asyncio.Task[Outcome], Outgoing]) -> None:
        """Keep the rows being sent ours while their sends take long (429 retries, a slow network)."""
        every = self.services.settings.delivery_claim_timeout_seconds / 3
        while True:
            await asyncio.sleep(every)
            claims = [outgoing.fence for outgoing in in_flight.values()]
            if claims:
                try:
                    await self.services.deliveries.renew(claims, self.clock())
                except (SQLAlchemyError, OSError) as exc:
                    logger.warning("outbox: renewing leases failed (%s); trying again", type(exc).__name__)

    async def _claim(self, free: int) -> list[Outgoing]:
        if free <= 0 or not self.keep_going():
            return []
        return await self.services.deliveries.claim(self.clock(), free)

    async def send(self, outgoing: Outgoing) -> Outcome:
        """Send one message and classify what happened; never raises, so one bad row never makes
        the rest of its batch be sent again."""
        done: dict[str, Any] = {"delivery_id": outgoing.id, "chat_id": outgoing.chat_id, "attempts": outgoing.attempts}
        try:
            return await self._send(outgoing, done)
        except Exception as exc:  # a bug in rendering, an unexpected error: this row fails, not the batch
            logger.exception("delivery %d could not be sent", outgoing.id)
            return Outcome(result=Result.FAILED, error=f"interne fout ({type(exc).__name__})", **done)

    async def _send(self, outgoing: Outgoing, done: dict[str, Any]) -> Outcome:
        text, markup = render(outgoing)
        # Paid broadcasts (beyond 30/s, paid in Stars) only for broadcast rows, and only when switched on.
        paid = bool(self.services.settings.allow_paid_broadcast and is_broadcast_key(outgoing.key)) or None
        try:
            await self.bot.send_message(
                outgoing.chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup, allow_paid_broadcast=paid
            )
        except Forbidden as exc:
            return Outcome(result=Result.BLOCKED, error=exc.message, **done)
        except ChatMigrated as exc:
            return Outcome(result=Result.MIGRATED, new_chat_id=exc.new_chat_id, error=exc.message, **done)
        except RetryAfter as exc:
            wait = exc.retry_after.total_seconds() if hasattr(exc.retry_after, "total_seconds") else exc.retry_after
            return Outcome(result=Result.RETRY, retry_after=float(wait), error=exc.message, **done)
        except BadRequest as exc:
            logger.warning("delivery %d refused by Telegram: %s", outgoing.id, exc.message)
            gone = "chat not found" in exc.message.lower()  # the chat was deleted: nothing will reach it
            return Outcome(result=Result.UNREACHABLE if gone else Result.FAILED, error=exc.message, **done)
        except TelegramError as exc:  # time-outs and network errors: try again later
            return Outcome(result=Result.RETRY, error=f"{type(exc).__name__}: {exc.message}", **done)
        return Outcome(result=Result.SENT, **done)
