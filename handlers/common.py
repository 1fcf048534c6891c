"""Shared helpers of the thin Telegram handlers."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.rendering import render_answer
from bot.services import Asked, Sender, Services
from knowledge import Suggestion

Context = ContextTypes.DEFAULT_TYPE
SERVICES_KEY = "services"
BUTTON_LABEL_LIMIT = 60


def services(context: Context) -> Services:
    found = context.application.bot_data.get(SERVICES_KEY)
    if not isinstance(found, Services):
        raise RuntimeError("services are set up in post_init")
    return found


def display_name(user: User) -> str:
    return user.full_name[:255]


def label(text: str) -> str:
    return text if len(text) <= BUTTON_LABEL_LIMIT else text[: BUTTON_LABEL_LIMIT - 1] + "…"


def answer_keyboard(suggestions: Sequence[Suggestion], question_id: int | None) -> InlineKeyboardMarkup | None:
    rows = [[InlineKeyboardButton(label(s.title), callback_data=f"a:{s.id}")] for s in suggestions]
    if question_id is not None:
        rows.append(
            [
                InlineKeyboardButton("👍", callback_data=f"f:{question_id}:1"),
                InlineKeyboardButton("👎", callback_data=f"f:{question_id}:-1"),
            ]
        )
    return InlineKeyboardMarkup(rows) if rows else None


async def send_answer(message: Message, asked: Asked) -> None:
    """Reply with the answer, split below 4096 characters; buttons go under the last part."""
    chunks = render_answer(asked.answer)
    markup = answer_keyboard(asked.answer.suggestions, asked.question_id)
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        await message.reply_text(chunk, parse_mode=ParseMode.HTML, reply_markup=markup if last else None)


def sender_of(update: Update) -> Sender | None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or user.is_bot:
        return None
    return Sender(user.id, display_name(user), chat.id, chat.type, chat.title)


async def remember_sender(update: Update, context: Context) -> None:
    """Record the chat and user of an incoming message (reactivates a chat that blocked us before)."""
    sender = sender_of(update)
    if sender is not None:
        await services(context).profiles.seen(sender)
