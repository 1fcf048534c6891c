"""Questions: any text in a private chat, /vraag or a mention in a group; suggestion and feedback buttons."""

from __future__ import annotations

from collections import OrderedDict

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.services import Asked
from handlers import callbacks
from handlers.common import STALE_BUTTON, Context, acknowledge, edit_markup, send_answer, sender_of, services
from handlers.general import HELP
from handlers.onboarding import ASK_SCHOOL, reply_to_school_step, school_keyboard
from knowledge.models import HELP_ENTRY

GROUP_HINT = "Stel je vraag achter /vraag, bijvoorbeeld: /vraag Wat is intervisie?"
THANKS = "Bedankt voor je feedback!"
NOT_YOURS = "Alleen wie de vraag stelde kan hier feedback op geven."
GONE = "Dit onderwerp bestaat niet meer."
ANSWERED_TEXTS = "answered-texts"
REMEMBERED_TEXTS = 50
SCHOOL_STILL_WANTED = f"Dan nog je profiel: {ASK_SCHOOL[0].lower()}{ASK_SCHOOL[1:]}"


async def _answer(update: Update, context: Context, text: str) -> None:
    message, sender = update.effective_message, sender_of(update)
    if message is None or sender is None:
        return
    result = await services(context).questions.ask_from(sender, text)
    if not isinstance(result, Asked):
        await reply_to_school_step(message, result)
        return
    if result.answer.matched == HELP_ENTRY:  # "help" typed as a message: the /help text
        await message.reply_text(HELP)
    else:
        await send_answer(message, result)
    if result.school_still_wanted:
        await message.reply_text(SCHOOL_STILL_WANTED, reply_markup=school_keyboard())


async def private_text(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or message.text is None:
        return
    _remember_answered(context, message)
    await _answer(update, context, message.text)


async def private_caption(update: Update, context: Context) -> None:
    """A photo or document with a caption: the caption is the question."""
    message = update.effective_message
    if message is None or message.caption is None:
        return
    await _answer(update, context, message.caption)


async def edited_question(update: Update, context: Context) -> None:
    """An edited question is answered again, once per new text (a re-sent identical edit is not)."""
    message = update.effective_message
    if message is None or message.text is None or not _remember_answered(context, message):
        return
    await _answer(update, context, message.text)


def _remember_answered(context: Context, message: Message) -> bool:
    """Note the text answered for a message; False when that exact text was answered already."""
    chat_data = context.chat_data if context.chat_data is not None else {}
    answered: OrderedDict[int, str] = chat_data.setdefault(ANSWERED_TEXTS, OrderedDict())
    if answered.get(message.message_id) == message.text:
        return False
    answered[message.message_id] = message.text or ""
    while len(answered) > REMEMBERED_TEXTS:
        answered.popitem(last=False)
    return True


async def _answer_or_explain(update: Update, context: Context, question: str) -> None:
    """/vraag or a mention without a question gets an example instead of a fallback."""
    if question.strip():
        await _answer(update, context, question)
    elif update.effective_message:
        await update.effective_message.reply_text(GROUP_HINT)


async def ask_command(update: Update, context: Context) -> None:
    await _answer_or_explain(update, context, " ".join(context.args or []))


async def group_mention(update: Update, context: Context) -> None:
    """In groups the bot only answers when it is mentioned; the mention itself is not the question."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    username = (context.bot.username or "").lower()
    # parse_entities handles Telegram's UTF-16 offsets; remove our mentions by their text.
    ours = {text for text in message.parse_entities([MessageEntity.MENTION]).values() if text.lower() == f"@{username}"}
    if not ours:
        return
    question = message.text
    for mention in ours:
        question = question.replace(mention, " ")
    await _answer_or_explain(update, context, question)


async def picked_suggestion(update: Update, context: Context) -> None:
    query = update.callback_query
    parsed = callbacks.ANSWER.parse(query.data) if query else None
    if query is None:
        return
    message = query.message if isinstance(query.message, Message) else None
    if parsed is None or message is None:
        await acknowledge(context, query, STALE_BUTTON)
        return
    asked = await services(context).questions.pick(query.from_user.id, message.chat.id, parsed[0])
    if asked is None:
        await acknowledge(context, query, GONE)
        return
    await acknowledge(context, query)
    await send_answer(message, asked)


async def feedback(update: Update, context: Context) -> None:
    query = update.callback_query
    parsed = callbacks.FEEDBACK.parse(query.data) if query else None
    if query is None:
        return
    if parsed is None:
        await acknowledge(context, query, STALE_BUTTON)
        return
    question_id, value = int(parsed[0]), int(parsed[1])
    if not await services(context).questions.feedback(query.from_user.id, question_id, value):
        await acknowledge(context, query, NOT_YOURS)
        return
    await acknowledge(context, query, THANKS)
    markup = query.message.reply_markup if isinstance(query.message, Message) else None
    if markup is not None:
        rows = [row for row in markup.inline_keyboard if not any(_is_feedback(button) for button in row)]
        await edit_markup(context, query, InlineKeyboardMarkup(rows) if rows else None)


def _is_feedback(button: InlineKeyboardButton) -> bool:
    data = button.callback_data
    return isinstance(data, str) and callbacks.FEEDBACK.parse(data) is not None


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("vraag", ask_command))
    private = filters.ChatType.PRIVATE
    application.add_handler(
        MessageHandler(private & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, private_text)
    )
    application.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE & filters.CAPTION, private_caption))
    application.add_handler(
        MessageHandler(private & filters.UpdateType.EDITED_MESSAGE & filters.TEXT & ~filters.COMMAND, edited_question)
    )
    application.add_handler(
        MessageHandler(filters.ChatType.GROUPS & filters.TEXT & filters.Entity(MessageEntity.MENTION), group_mention)
    )
    application.add_handler(CallbackQueryHandler(picked_suggestion, pattern=callbacks.ANSWER.pattern))
    application.add_handler(CallbackQueryHandler(feedback, pattern=callbacks.FEEDBACK.pattern))
