"""Scheduled jobs on PTB's JobQueue. The database is the schedule; jobs only wake the code that reads it."""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram.ext import ContextTypes, JobQueue

from bot.context import services
from db.models import utcnow

logger = logging.getLogger(__name__)
PURGE_QUESTIONS = "vragen-opruimen"


def schedule(job_queue: JobQueue[ContextTypes.DEFAULT_TYPE]) -> None:
    job_queue.run_repeating(
        purge_old_questions, interval=timedelta(days=1), first=timedelta(minutes=1), name=PURGE_QUESTIONS
    )


async def purge_old_questions(context: ContextTypes.DEFAULT_TYPE) -> None:
    found = services(context)
    removed = await found.questions.purge_old(found.settings.question_retention_days, utcnow())
    logger.info("removed %d questions past the retention period", removed)
