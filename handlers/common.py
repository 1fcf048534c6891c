"""Shared helpers of the thin Telegram handlers."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.constants import ChatType, ParseMode
from telegram.ext import ContextTypes

from bot.context import services
from bot.rendering import render_answer
from bot.services import Asked, Sender
from handlers import callbacks
from knowledge import Suggestion

Context = ContextTypes.DEFAULT_TYPE
BUTTON_LABEL_LIMIT = 60
STALE_BUTTON = "Deze knop werkt niet meer."


def display_name(user: User) -> str:
    return user.full_name[:255]


def label(text: str) -> str:
    return text if len(text) <= BUTTON_LABEL_LIMIT else text[: BUTTON_LABEL_LIMIT - 1] + "…"


def is_private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


def answer_keyboard(suggestions: Sequence[Suggestion], question_id: int | None) -> InlineKeyboardMarkup | None:
    rows = [[InlineKeyboardButton(label(s.title), callback_data=callbacks.ANSWER.pack(s.id))] for s in suggestions]
    if question_id is not None:
        rows.append(
            [
                InlineKeyboardButton("👍", callback_data=callbacks.FEEDBACK.pack(question_id, 1)),
                InlineKeyboardButton("👎", callback_data=callbacks.FEEDBACK.pack(question_id, -1)),
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


__all__ = [
    "STALE_BUTTON",
    "Context",
    "answer_keyboard",
    "display_name",
    "is_private",
    "label",
    "send_answer",
    "sender_of",
    "services",
]
