"""Shared helpers of the thin Telegram handlers."""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.context import services
from bot.rendering import render_answer
from bot.services import Asked, Sender
from handlers import callbacks
from knowledge import Suggestion

Context = ContextTypes.DEFAULT_TYPE
BUTTON_LABEL_LIMIT = 60
STALE_BUTTON = "Deze knop werkt niet meer."
SEE_ALSO = "Zie ook: "
NOT_YOUR_BUTTON = "Deze knop is niet voor jou."
ANSWERED_KEY = "answered-callback-queries"
REMEMBERED_QUERIES = 2000
EDITED_KEY = "last-edits"
REMEMBERED_EDITS = 2000


def label(text: str) -> str:
    return text if len(text) <= BUTTON_LABEL_LIMIT else text[: BUTTON_LABEL_LIMIT - 1] + "…"


def is_private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


def answer_keyboard(
    suggestions: Sequence[Suggestion], question_id: int | None, see_also: Sequence[Suggestion] = ()
) -> InlineKeyboardMarkup | None:
    """Suggestions ("Bedoelde je ..."), then the answer's related entries ("Zie ook: ..."), then 👍/👎."""
    rows = [[InlineKeyboardButton(label(s.title), callback_data=callbacks.ANSWER.pack(s.id))] for s in suggestions]
    rows.extend(
        [InlineKeyboardButton(label(f"{SEE_ALSO}{s.title}"), callback_data=callbacks.ANSWER.pack(s.id))]
        for s in see_also
    )
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
    markup = answer_keyboard(asked.answer.suggestions, asked.question_id, asked.answer.see_also)
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        await message.reply_text(chunk, parse_mode=ParseMode.HTML, reply_markup=markup if last else None)


async def acknowledge(context: Context, query: CallbackQuery, text: str | None = None) -> None:
    """Answer a button press once; the error handler then knows not to answer it again."""
    answered: OrderedDict[str, None] = context.bot_data.setdefault(ANSWERED_KEY, OrderedDict())
    answered[query.id] = None
    while len(answered) > REMEMBERED_QUERIES:
        answered.popitem(last=False)
    # "query is too old": a press handled after a restart. What it asked for still happens.
    with contextlib.suppress(BadRequest):
        await query.answer(text)


def acknowledged(context: Context, query: CallbackQuery) -> bool:
    return query.id in context.bot_data.get(ANSWERED_KEY, {})


def pressed_by_owner(query: CallbackQuery) -> bool:
    """Profile buttons live in the user's private chat: a press from anyone else (a forged callback
    on a group message, say) must change nothing."""
    message = query.message
    return (
        isinstance(message, Message) and message.chat.type == ChatType.PRIVATE and message.chat.id == query.from_user.id
    )


async def own_press(
    update: Update, context: Context, button: callbacks.Button
) -> tuple[CallbackQuery, tuple[str, ...]] | None:
    """A press of ``button`` with valid data by the owner of the private chat, with its fields; any
    other press is answered ("werkt niet meer" / "niet voor jou") and gives None."""
    query = update.callback_query
    if query is None:
        return None
    parsed = button.parse(query.data)
    if parsed is None or not pressed_by_owner(query):
        await acknowledge(context, query, STALE_BUTTON if parsed is None else NOT_YOUR_BUTTON)
        return None
    return query, parsed


def is_not_modified(error: BaseException) -> bool:
    """A double tap edits a message into what it already is: harmless."""
    return isinstance(error, BadRequest) and "not modified" in error.message.lower()


Content = tuple[str | None, str | None, str]


def _markup_of(markup: InlineKeyboardMarkup | None) -> str:
    return markup.to_json() if markup is not None else ""


def _current(message: Message, parse_mode: str | None) -> Content:
    text = message.text_html if parse_mode == ParseMode.HTML and message.text is not None else message.text
    return text, parse_mode, _markup_of(message.reply_markup)


def _unchanged(context: Context, query: CallbackQuery, new: Content, markup_only: bool = False) -> bool:
    """Whether the message already shows ``new``: as the press saw it, or as this process last edited
    it (two quick taps both carry the message from before the first edit). Telegram refuses such an
    edit with 400 "message is not modified"."""
    message = query.message
    if not isinstance(message, Message):
        return False
    last: OrderedDict[tuple[int, int], Content] = context.bot_data.setdefault(EDITED_KEY, OrderedDict())
    seen = [_current(message, new[1]), last.get((message.chat.id, message.message_id))]
    if markup_only:
        return any(content is not None and content[2] == new[2] for content in seen)
    return new in seen


def _remember_edit(context: Context, query: CallbackQuery, new: Content) -> None:
    message = query.message
    if not isinstance(message, Message):
        return
    last: OrderedDict[tuple[int, int], Content] = context.bot_data.setdefault(EDITED_KEY, OrderedDict())
    key = (message.chat.id, message.message_id)
    if new[0] is None:  # only the buttons changed: the text stays what it was
        previous = last.get(key) or _current(message, None)
        new = (previous[0], previous[1], new[2])
    last[key] = new
    last.move_to_end(key)
    while len(last) > REMEMBERED_EDITS:
        last.popitem(last=False)


async def edit(context: Context, query: CallbackQuery, text: str, **options: Any) -> None:
    """Edit the pressed message, unless it already shows exactly this (then Telegram answers 400)."""
    markup = options.get("reply_markup")
    new: Content = (
        text,
        options.get("parse_mode"),
        _markup_of(markup if isinstance(markup, InlineKeyboardMarkup) else None),
    )
    if _unchanged(context, query, new):
        return
    try:
        await query.edit_message_text(text, **options)
    except BadRequest as error:
        if not is_not_modified(error):
            raise
    _remember_edit(context, query, new)


async def edit_markup(context: Context, query: CallbackQuery, markup: InlineKeyboardMarkup | None) -> None:
    """Replace the buttons of the pressed message, unless they already are these."""
    new: Content = (None, None, _markup_of(markup))
    if _unchanged(context, query, new, markup_only=True):
        return
    try:
        await query.edit_message_reply_markup(markup)
    except BadRequest as error:
        if not is_not_modified(error):
            raise
    _remember_edit(context, query, new)


def sender_of(update: Update) -> Sender | None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or user.is_bot:
        return None
    return Sender(user.id, user.full_name, chat.id, chat.type, chat.title, update.update_id)


__all__ = [
    "NOT_YOUR_BUTTON",
    "STALE_BUTTON",
    "Context",
    "acknowledge",
    "acknowledged",
    "answer_keyboard",
    "edit",
    "edit_markup",
    "is_not_modified",
    "is_private",
    "label",
    "own_press",
    "pressed_by_owner",
    "send_answer",
    "sender_of",
    "services",
]
