"""/vragen: the question inbox of a partnership's coordinators, and answering a group of questions.

Answering is a conversation: "Beantwoorden" under a group, then the coordinator types the answer,
then a preview with "Versturen" / "Annuleren". The answer is a draft in the database (a restart loses
no text; "Beantwoorden" again continues it). Every command and button goes through the coordinator
guard, and the service checks the right once more.
"""

from __future__ import annotations

import html
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.context import current_time
from bot.inbox_text import GONE, TOO_SHORT, people, sent_answer, too_long
from bot.services.coordinators import Authority
from bot.services.question_inbox import (
    PAGE_SIZE,
    DraftView,
    InboxPage,
    answer_fault,
    answer_message,
    quoted,
)
from bot.services.schedule import dutch_date, local
from handlers import callbacks
from handlers.common import STALE_BUTTON, Context, acknowledge, edit, services
from handlers.coordinators import REFUSAL, require_coordinator
from handlers.flows import CoordinatorFlow, arbiter_of, cancelling, replying, telling_chat

TYPING, CONFIRMING = range(2)
TIMEOUT = timedelta(minutes=30)
CANNOT_SEND = (
    "Dit antwoord kan niet meer worden verstuurd: de vraag staat niet meer in de vragenbus, of je antwoord "
    "is intussen gewijzigd (bijvoorbeeld in de webomgeving). Kijk in /vragen."
)
EMPTY = "De vragenbus is leeg: er zijn geen vragen zonder goed antwoord. 🎉"
REPEAT = (
    "Typ je antwoord als gewone tekst, of kies ‘Versturen’ of ‘Annuleren’ onder het voorbeeld. "
    "Stoppen kan met /annuleer."
)


def page_text(page: InboxPage, partnership_name: str) -> str:
    """The inbox as Telegram HTML: counts and question texts only, never who asked."""
    if not page.total:
        return EMPTY
    lines = [
        f"<b>Vragenbus van {html.escape(partnership_name)}</b>",
        f"{page.questions} vragen zonder goed antwoord, in {page.total} groepen; de meest gestelde eerst.",
        "",
    ]
    first = page.page * PAGE_SIZE
    for number, group in enumerate(page.groups, start=first + 1):
        when = dutch_date(local(group.newest_at).date())
        lines.append(f"{number}. ({group.count}×) ‘{html.escape(quoted(group.text))}’ — laatst op {when}")
    if page.pages > 1:
        lines += ["", f"Pagina {page.page + 1} van {page.pages}."]
    lines += ["", "Kies een vraag om te beantwoorden: je antwoord komt in de kennisbank en gaat naar wie het vroeg."]
    return "\n".join(lines)


def page_keyboard(page: InboxPage) -> InlineKeyboardMarkup | None:
    first = page.page * PAGE_SIZE
    rows = [
        [InlineKeyboardButton(f"✍️ {number}. Beantwoorden", callback_data=callbacks.INBOX_ANSWER.pack(g.question_id))]
        for number, g in enumerate(page.groups, start=first + 1)
    ]
    paging = []
    if page.page > 0:
        paging.append(InlineKeyboardButton("◀ Vorige", callback_data=callbacks.INBOX_PAGE.pack(page.page - 1)))
    if page.page + 1 < page.pages:
        paging.append(InlineKeyboardButton("Volgende ▶", callback_data=callbacks.INBOX_PAGE.pack(page.page + 1)))
    if paging:
        rows.append(paging)
    return InlineKeyboardMarkup(rows) if rows else None


def ask_for_answer(view: DraftView) -> str:
    return (
        f"Typ je antwoord op ‘{quoted(view.question)}’ ({view.count}×).\n\n"
        f"Het komt in de kennisbank van je partnerschap en gaat naar wie het vroeg ({people(view.recipients)}). "
        "Stoppen kan met /annuleer."
    )


def preview_text(view: DraftView, partnership_name: str) -> str:
    message = answer_message(view.question, view.answer or "", partnership_name)
    return (
        f"<b>Voorbeeld</b> (dit krijgen {people(view.recipients)} die het vroegen):\n\n{message}\n\n"
        "Het antwoord komt ook in de kennisbank van je partnerschap, bij deze vraag. Versturen? "
        "Je kunt ook een nieuw antwoord typen."
    )


def confirm_keyboard(view: DraftView) -> InlineKeyboardMarkup:
    """ "Versturen" carries the version of the answer shown: changed since (on the web), it sends nothing."""
    send = callbacks.INBOX_CONFIRM.pack(view.question_id, view.version, "ja")
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("✅ Versturen", callback_data=send),
                InlineKeyboardButton("Annuleren", callback_data=callbacks.INBOX_CONFIRM.pack(view.question_id, "nee")),
            ]
        ]
    )


def _name(context: Context, authority: Authority) -> str:
    found = services(context).knowledge.kb.partnerships.get(authority.partnership)
    return found.short_name if found is not None else authority.partnership


async def inbox(update: Update, context: Context) -> None:
    authority = await require_coordinator(update, context)
    message = update.effective_message
    if authority is None or message is None:
        return
    try:
        page = await services(context).question_inbox.page(authority)
    except PermissionError:
        await message.reply_text(REFUSAL)
        return
    await message.reply_text(
        page_text(page, _name(context, authority)), parse_mode=ParseMode.HTML, reply_markup=page_keyboard(page)
    )


async def inbox_page(update: Update, context: Context) -> None:
    query = update.callback_query
    authority = await require_coordinator(update, context)
    if query is None or authority is None:
        return
    parsed = callbacks.INBOX_PAGE.parse(query.data)
    if parsed is None:
        await acknowledge(context, query, STALE_BUTTON)
        return
    try:
        page = await services(context).question_inbox.page(authority, int(parsed[0]))
    except PermissionError:
        await acknowledge(context, query, REFUSAL)
        return
    await acknowledge(context, query)
    text = page_text(page, _name(context, authority))
    await edit(context, query, text, parse_mode=ParseMode.HTML, reply_markup=page_keyboard(page))


async def begin(update: Update, context: Context) -> int:
    """ "Beantwoorden" under a group: ask for the answer (or show the draft typed before)."""
    query = update.callback_query
    authority = await require_coordinator(update, context)
    if query is None or authority is None or not isinstance(query.message, Message):
        return ConversationHandler.END
    parsed = callbacks.INBOX_ANSWER.parse(query.data)
    if parsed is None:
        await acknowledge(context, query, STALE_BUTTON)
        return ConversationHandler.END
    try:
        view = await services(context).question_inbox.begin(authority, int(parsed[0]), current_time(context))
    except PermissionError:
        await acknowledge(context, query, REFUSAL)
        return ConversationHandler.END
    await acknowledge(context, query)
    if view is None:
        await query.message.reply_text(GONE)
        return ConversationHandler.END
    if view.answer:
        await _preview(query.message, view, _name(context, authority))
        return CONFIRMING
    await query.message.reply_text(ask_for_answer(view))
    return TYPING


async def typed(update: Update, context: Context) -> int | None:
    """The answer, typed: store it in the draft and show the preview."""
    authority = await require_coordinator(update, context)
    message = update.effective_message
    if authority is None or message is None or message.text is None:
        return ConversationHandler.END
    text = message.text.strip()
    fault = answer_fault(text)
    if fault == "long":
        await message.reply_text(too_long(len(text)))
        return None
    if fault == "short":
        await message.reply_text(f"{TOO_SHORT} Stoppen kan met /annuleer.")
        return None
    try:
        view = await services(context).question_inbox.write(authority, text, current_time(context))
    except PermissionError:
        await message.reply_text(REFUSAL)
        return ConversationHandler.END
    if view is None:
        await message.reply_text(GONE)
        return ConversationHandler.END
    await _preview(message, view, _name(context, authority))
    return CONFIRMING


async def _preview(message: Message, view: DraftView, partnership_name: str) -> None:
    await message.reply_text(
        preview_text(view, partnership_name), parse_mode=ParseMode.HTML, reply_markup=confirm_keyboard(view)
    )


async def confirm(update: Update, context: Context) -> int:
    """ "Versturen" or "Annuleren" under the preview (also after a restart: the draft is in the database)."""
    query = update.callback_query
    authority = await require_coordinator(update, context)
    if query is None or authority is None:
        return ConversationHandler.END
    parsed = callbacks.INBOX_CONFIRM.parse(query.data)
    if parsed is None:
        await acknowledge(context, query, STALE_BUTTON)
        return ConversationHandler.END
    inbox_service = services(context).question_inbox
    try:
        question_id, version, choice = parsed
        if choice == "nee":
            await inbox_service.cancel(authority)
            await acknowledge(context, query)
            await edit(context, query, "Oké, er is niets verstuurd. De vraag blijft in /vragen staan.")
            return ConversationHandler.END
        answered = await inbox_service.send(authority, int(question_id), current_time(context), version or None)
    except PermissionError:
        await acknowledge(context, query, REFUSAL)
        return ConversationHandler.END
    await acknowledge(context, query)
    if answered is None:
        # A second tap on "Versturen": the first one sent it, and its "Klaar" stays.
        if not await inbox_service.is_answered(authority, int(question_id)):
            await edit(context, query, CANNOT_SEND)
        return ConversationHandler.END
    await edit(context, query, f"Klaar: {sent_answer(answered.recipients, answered.questions)}")
    return ConversationHandler.END


cancel = cancelling(
    lambda found, authority: found.question_inbox.cancel(authority),
    "Gestopt: er is niets opgeslagen of verstuurd.",
)


repeat_step = replying(REPEAT)
timed_out = telling_chat("Je antwoord is bewaard. Druk in /vragen opnieuw op ‘Beantwoorden’ om verder te gaan.")


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Before questions.register: text typed while answering is the answer, never a question."""
    private = filters.ChatType.PRIVATE
    # An edit of an older message is no answer.
    text = private & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
    answer_button: BaseHandler[Update, Context, object] = CallbackQueryHandler(
        begin, pattern=callbacks.INBOX_ANSWER.pattern
    )
    confirm_button: BaseHandler[Update, Context, object] = CallbackQueryHandler(
        confirm, pattern=callbacks.INBOX_CONFIRM.pattern
    )
    application.add_handler(
        CoordinatorFlow(
            arbiter_of(application),
            "vragenbus",
            entry_points=[answer_button, confirm_button],
            states={
                TYPING: [MessageHandler(text, typed)],
                CONFIRMING: [confirm_button, MessageHandler(text, typed)],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
            },
            fallbacks=[
                CommandHandler("annuleer", cancel),
                MessageHandler(private & filters.UpdateType.MESSAGE & ~filters.COMMAND, repeat_step),
            ],
            conversation_timeout=TIMEOUT,
            allow_reentry=True,
            per_message=False,
        )
    )
    application.add_handler(CommandHandler("vragen", inbox))
    application.add_handler(CallbackQueryHandler(inbox_page, pattern=callbacks.INBOX_PAGE.pattern))
