"""The error handler: log without personal data, tell the user in Dutch, never show a stack trace."""

from __future__ import annotations

import contextlib
import logging

from sqlalchemy.exc import OperationalError, SQLAlchemyError
from telegram import Update
from telegram.error import Conflict, Forbidden, TelegramError

from bot.context import INBOX_KEY
from bot.inbox import Inbox
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


HANDED_OVER_KEY = "handed-over"


async def on_error(update: object, context: Context) -> None:
    error = context.error
    if isinstance(error, Conflict):
        return await hand_over_if_replaced(context)
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


async def hand_over_if_replaced(context: Context) -> None:
    """409 from getUpdates: another getUpdates call took over. Telegram sends it to the *older* poll.

    A rolling deploy relies on this: the newest instance holds the "polling" lease (bot/inbox.py).
    An instance that no longer holds it has been replaced: it stops polling, finishes what it holds,
    releases its leases and exits 0. The instance that holds it keeps running: a single 409 (the old
    process's poll still open at Telegram after a restart) never stops the bot.
    """
    application = context.application
    if application.bot_data.get(HANDED_OVER_KEY):
        return
    inbox = application.bot_data.get(INBOX_KEY)
    try:
        replaced = isinstance(inbox, Inbox) and await inbox.replaced()
    except (SQLAlchemyError, OSError):
        replaced = False  # the database is away: keep going, the next 409 asks again
    if not replaced:
        logger.warning("409 van Telegram: een andere getUpdates-aanroep; deze instantie is de nieuwste en gaat door")
        return
    application.bot_data[HANDED_OVER_KEY] = True
    logger.info("een nieuwere instantie neemt het over; deze rondt af, geeft haar werk vrij en stopt")
    # PTB's updater confirms the last updates once more while stopping; that call gets the same 409
    # and would log it with a traceback. The one line above says all there is to say.
    logging.getLogger("telegram.ext.Updater").setLevel(logging.CRITICAL)
    application.stop_running()
