"""The error handler: log with context, tell the user in Dutch, never show a stack trace."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError

from handlers.common import Context, services

logger = logging.getLogger(__name__)
SORRY = "Sorry, er ging iets mis aan mijn kant. Probeer het over een paar minuten nog eens."


async def on_error(update: object, context: Context) -> None:
    chat = update.effective_chat if isinstance(update, Update) else None
    if isinstance(context.error, Forbidden) and chat is not None:
        await services(context).profiles.mark_blocked(chat.id)
        logger.info("chat %s blocked the bot; marked inactive", chat.id)
        return
    summary = update.to_dict() if isinstance(update, Update) else repr(update)
    logger.error("error while handling update %s", summary, exc_info=context.error)
    if chat is None:
        return
    with contextlib.suppress(TelegramError):
        if isinstance(update, Update) and update.callback_query:
            await update.callback_query.answer(SORRY)
        else:
            await context.bot.send_message(chat.id, SORRY)
