"""The error handler: log without personal data, tell the user in Dutch, never show a stack trace."""

from __future__ import annotations

import contextlib
import logging

from sqlalchemy.exc import OperationalError
from telegram import Update
from telegram.error import Forbidden, TelegramError

from handlers.common import Context, acknowledged, is_not_modified, services

logger = logging.getLogger(__name__)
SORRY = "Sorry, er ging iets mis aan mijn kant. Probeer het over een paar minuten nog eens."
BUSY = "Ik ben even druk, probeer het zo nog eens."


def describe(update: object) -> str:
    """An update's id and kind only: texts and names stay out of the log (see /privacy)."""
    if not isinstance(update, Update):
        return type(update).__name__
    kind = next((name for name in Update.ALL_TYPES if getattr(update, name, None) is not None), "onbekend")
    return f"update {update.update_id} ({kind})"


async def on_error(update: object, context: Context) -> None:
    error = context.error
    chat = update.effective_chat if isinstance(update, Update) else None
    if error is not None and is_not_modified(error):
        return  # a double tap: the message already shows what it should
    if isinstance(error, Forbidden) and chat is not None:
        await services(context).profiles.mark_blocked(chat.id)
        logger.info("%s: the chat blocked the bot; marked inactive", describe(update))
        return
    busy = isinstance(error, OperationalError) and "locked" in str(error.orig).lower()
    logger.error("error while handling %s", describe(update), exc_info=error)
    if chat is None:
        return
    reply = BUSY if busy else SORRY
    with contextlib.suppress(TelegramError):
        query = update.callback_query if isinstance(update, Update) else None
        if query is not None and not acknowledged(context, query):
            await query.answer(reply)
        else:
            await context.bot.send_message(chat.id, reply)
