"""Scheduled jobs on PTB's JobQueue. The database is the schedule; jobs only wake the code that reads it."""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, JobQueue

from bot.context import INBOX_KEY, services
from bot.delivery import Dispatcher
from bot.inbox import Inbox
from bot.services import OnboardingStep, Step
from bot.settings import Settings
from handlers import onboarding as onboarding_handlers

logger = logging.getLogger(__name__)
PURGE_QUESTIONS = "vragen-opruimen"
DELIVER = "bezorgen"
WAKE_UP = "bezorgen-wekker"
DISPATCHER_KEY = "dispatcher"
RELOAD_KNOWLEDGE = "kennis-verversen"
INBOX_LEASES = "inbox-leases"


# These jobs are scheduled in post_init, before the job queue starts; a start slower than APScheduler's
# default grace (1 s: migrations, the web view) dropped the first poll, so the outbox waited a whole
# poll interval and /healthz called the dispatcher dead. A late run is still wanted.
LATE_IS_FINE = {"misfire_grace_time": None}


def schedule(job_queue: JobQueue[ContextTypes.DEFAULT_TYPE], settings: Settings) -> None:
    job_queue.run_repeating(
        purge_old_questions, interval=timedelta(days=1), first=timedelta(minutes=1), name=PURGE_QUESTIONS
    )
    # The outbox: polled, so rows written by another process (the CLI, a second instance) go out too.
    job_queue.run_repeating(
        deliver_due, interval=settings.delivery_poll_seconds, first=0.1, name=DELIVER, job_kwargs=LATE_IS_FINE
    )
    # The knowledge overlay: an import by the command line (another process) is picked up here.
    job_queue.run_repeating(
        reload_knowledge,
        interval=settings.knowledge_reload_seconds,
        first=0.5,
        name=RELOAD_KNOWLEDGE,
        job_kwargs=LATE_IS_FINE,
    )
    # The update inbox: keep what this instance holds, take over what a dead instance left.
    every = settings.inbox_lease_seconds / 3
    job_queue.run_repeating(keep_inbox_leases, interval=every, first=every, name=INBOX_LEASES)


async def keep_inbox_leases(context: ContextTypes.DEFAULT_TYPE) -> None:
    inbox = context.application.bot_data.get(INBOX_KEY)
    if not isinstance(inbox, Inbox) or not context.application.running:
        return
    try:
        await inbox.renew()
        await take_over_inbox(context.application, inbox)
    except (SQLAlchemyError, OSError) as exc:  # the database is away: the next run tries again
        logger.warning("inbox leases: %s; trying again", type(exc).__name__)


async def take_over_inbox(application: Application[Any, Any, Any, Any, Any, Any], inbox: Inbox) -> None:
    """Handle what a crashed instance left in the inbox (this one's at start, another's once its lease
    ran out); confirm school names that were already saved."""
    again, to_confirm = await inbox.left_over(application.bot)
    for update_id, user_id in to_confirm:
        step = OnboardingStep(Step.DONE, school=await inbox.saved_school(user_id))
        with contextlib.suppress(TelegramError):
            await application.bot.send_message(user_id, onboarding_handlers.finished_text(step))
        await inbox.handled_id(update_id)
    for update in again:  # the processor handles each id once, should Telegram send it again too
        await application.update_queue.put(update)
    if again or to_confirm:
        logger.info("inbox: %d updates taken over and handled, %d school names confirmed", len(again), len(to_confirm))


async def reload_knowledge(context: ContextTypes.DEFAULT_TYPE) -> None:
    """One cheap read of the overlay's version; the index is rebuilt (off the event loop) only when it changed."""
    try:
        await services(context).overlay.reload()
    except Exception as exc:  # the database is away: the index in use stays, the next run tries again
        logger.warning("reloading the knowledge overlay failed (%s)", type(exc).__name__)


async def deliver_due(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start a drain in the background when none runs: a long bulk run never makes the job skip ticks."""
    if not context.application.running:  # stopping: whatever is due waits in the outbox
        return
    dispatcher = context.application.bot_data.get(DISPATCHER_KEY)
    if not isinstance(dispatcher, Dispatcher):
        application = context.application
        dispatcher = Dispatcher(services(context), context.bot, keep_going=lambda: application.running)
        context.application.bot_data[DISPATCHER_KEY] = dispatcher
    if not dispatcher.busy:
        context.application.create_task(_drain(dispatcher, context.job_queue), name=DELIVER)


async def _drain(dispatcher: Dispatcher, job_queue: JobQueue[Any] | None) -> None:
    try:
        handled = await dispatcher.tick()
        next_due = await dispatcher.services.deliveries.next_due()
    except Exception as exc:  # the database is away: the rows stay, the next tick tries again
        logger.warning("delivering the outbox failed (%s); retrying at the next poll", type(exc).__name__)
        return
    if handled:
        logger.info("outbox: %d deliveries handled", handled)
    if job_queue is not None and next_due is not None:
        found = dispatcher.services
        wake_at_next_due(job_queue, next_due, found.clock(), found.settings.delivery_poll_seconds)


def wake_at_next_due(job_queue: JobQueue[Any], next_due: datetime, now: datetime, poll_seconds: float) -> None:
    """A reminder due between two polls goes out on time, not up to a poll later: one wake-up job
    (replaced each time, never one per reminder) at the next due moment this process knows of."""
    wait = (next_due - now).total_seconds()
    if 0 < wait < poll_seconds:
        for job in job_queue.get_jobs_by_name(WAKE_UP):
            job.schedule_removal()
        job_queue.run_once(deliver_due, when=wait, name=WAKE_UP)


async def purge_old_questions(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Daily: questions, inbox items and finished deliveries past their retention period go."""
    found = services(context)
    now = found.clock()
    removed = await found.questions.purge_old(found.settings.question_retention_days, now)
    await found.question_inbox.purge_old(found.settings.question_retention_days, now)
    delivered = await found.deliveries.purge_old(found.settings.delivery_retention_days, now)
    await found.web_access.purge_expired(now)  # used and expired web links and sessions
    logger.info("removed %d questions and %d finished deliveries past the retention period", removed, delivered)
