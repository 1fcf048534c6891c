"""Scheduled jobs on PTB's JobQueue. The database is the schedule; jobs only wake the code that reads it."""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram.ext import ContextTypes, JobQueue

from bot.context import services
from bot.delivery import Dispatcher
from db.models import utcnow

logger = logging.getLogger(__name__)
PURGE_QUESTIONS = "vragen-opruimen"
DELIVER = "bezorgen"
DISPATCHER_KEY = "dispatcher"


def schedule(job_queue: JobQueue[ContextTypes.DEFAULT_TYPE], delivery_poll_seconds: float) -> None:
    job_queue.run_repeating(
        purge_old_questions, interval=timedelta(days=1), first=timedelta(minutes=1), name=PURGE_QUESTIONS
    )
    # The outbox: polled, so rows written by another process (the CLI, a second instance) go out too.
    job_queue.run_repeating(deliver_due, interval=delivery_poll_seconds, first=0.1, name=DELIVER)


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
        context.application.create_task(_drain(dispatcher), name=DELIVER)


async def _drain(dispatcher: Dispatcher) -> None:
    try:
        handled = await dispatcher.tick()
    except Exception as exc:  # the database is away: the rows stay, the next tick tries again
        logger.warning("delivering the outbox failed (%s); retrying at the next poll", type(exc).__name__)
        return
    if handled:
        logger.info("outbox: %d deliveries handled", handled)


async def purge_old_questions(context: ContextTypes.DEFAULT_TYPE) -> None:
    found = services(context)
    removed = await found.questions.purge_old(found.settings.question_retention_days, utcnow())
    logger.info("removed %d questions past the retention period", removed)
