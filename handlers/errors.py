"""The error handler: log without personal data, tell the user in Dutch, never show a stack trace."""

from __future__ import annotations

import contextlib
import logging

from sqlalchemy.exc import OperationalError
from telegram import Update
from telegram.error import Conflict, Forbidden, TelegramError

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


CONFLICT_KEY = "stopped-by-conflict"


async def on_error(update: object, context: Context) -> None:
    error = context.error
    if isinstance(error, Conflict):
        return stop_for_another_instance(context)
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


def stop_for_another_instance(context: Context) -> None:
    """409 from getUpdates: another process polls with this token. Say so once and stop (exit code 1),
    instead of a traceback every few seconds forever."""
    if context.application.bot_data.get(CONFLICT_KEY):
        return
    context.application.bot_data[CONFLICT_KEY] = True
    logger.error("een andere instantie gebruikt dit token; deze stopt")
    # PTB's updater confirms the last updates once more while stopping; that call gets the same 409
    # and would log it with a traceback. The one line above says all there is to say.
    logging.getLogger("telegram.ext.Updater").setLevel(logging.CRITICAL)
    context.application.stop_running()
