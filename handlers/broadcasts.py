"""/bericht: a coordinator writes a message, picks its audience and moment, sees a preview with the
exact number of recipients and sends it ("Versturen") or not ("Annuleren"); /berichten: the latest
broadcasts with their progress and report, and a button to cancel a planned one.

The draft is in the database (status "concept") and every button carries its id, so a restart loses
neither the text nor the buttons: the buttons are entry points of the conversation too. Every command
and button goes through the coordinator guard, and the service checks the right once more.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

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

from bot.agenda_questions import CATEGORIES
from bot.context import current_time
from bot.services import Audience, Authority, BroadcastView
from bot.services.broadcasts import (
    MAX_STORED,
    EmptyAudience,
    NotAllowed,
    NothingToSend,
    broadcast_message,
    excerpt,
    html_too_long,
    max_body_length,
    moment_text,
    recipients_text,
    state_line,
)
from bot.services.dutch_dates import EXAMPLE, WhenError, parse_when
from bot.services.roles import ROLES
from db.broadcast_repositories import SCHEDULED
from handlers import callbacks
from handlers.common import STALE_BUTTON, Context, acknowledge, edit, label, sender_of, services
from handlers.coordinators import REFUSAL, require_coordinator
from handlers.flows import CoordinatorFlow, arbiter_of, cancelling, replying, telling_chat

TEXT, CHOOSING, MOMENT = range(3)
TIMEOUT = timedelta(minutes=30)
MAX_SCHOOL_BUTTONS = 90
ASK_TEXT = (
    "Typ het bericht voor je partnerschap. Opmaak (vet, cursief, links) blijft behouden. "
    "Daarna kies je wie het krijgt en wanneer, en zie je eerst een voorbeeld. Stoppen kan met /annuleer."
)
REPEAT = "Typ je bericht of het moment als tekst, of kies met de knoppen hierboven. Stoppen kan met /annuleer."
GONE = "Dit concept bestaat niet meer of is al verstuurd. Begin opnieuw met /bericht."
TOO_LATE = "Niet geannuleerd: dit bericht is al verstuurd of gepland. Een gepland bericht annuleer je in /berichten."
NOT_YOUR_DRAFT = "Dit concept is niet van jou; er is niets veranderd."


def audience_keyboard(view: BroadcastView, has_schools: bool) -> InlineKeyboardMarkup:
    def button(text: str, kind: str) -> list[InlineKeyboardButton]:
        return [InlineKeyboardButton(text, callback_data=callbacks.BROADCAST_AUDIENCE.pack(view.id, kind))]

    rows = [button("Iedereen in het partnerschap", "alle"), button("Eén of meer rollen", "rollen")]
    if has_schools:
        rows.append(button("Eén school", "school"))
    rows.append(button("Wie herinneringen krijgt voor een soort bijeenkomst", "soort"))
    return InlineKeyboardMarkup(rows)


def roles_keyboard(view: BroadcastView) -> InlineKeyboardMarkup:
    """One button per role: its state, and pressing it sets the opposite (never a blind toggle)."""
    rows = []
    for role, name in ROLES.items():
        chosen = role in view.audience.roles
        data = callbacks.BROADCAST_ROLE.pack(view.id, "uit" if chosen else "aan", role)
        rows.append([InlineKeyboardButton(f"{'✅' if chosen else '⬜'} {name}", callback_data=data)])
    rows.append([InlineKeyboardButton("Klaar", callback_data=callbacks.BROADCAST_ROLE.pack(view.id, "klaar", "-"))])
    return InlineKeyboardMarkup(rows)


def when_keyboard(view: BroadcastView) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Nu versturen", callback_data=callbacks.BROADCAST_WHEN.pack(view.id, "nu")),
                InlineKeyboardButton("Later", callback_data=callbacks.BROADCAST_WHEN.pack(view.id, "later")),
            ]
        ]
    )


def confirm_keyboard(view: BroadcastView) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("✅ Versturen", callback_data=callbacks.BROADCAST_CONFIRM.pack(view.id, "ja")),
                InlineKeyboardButton("Annuleren", callback_data=callbacks.BROADCAST_CONFIRM.pack(view.id, "nee")),
            ]
        ]
    )


def summary_text(view: BroadcastView) -> str:
    """Under the preview: who, how many (active chats in the audience right now), when."""
    when = f"gepland op {moment_text(view.due_at)}" if view.due_at is not None else "direct na ‘Versturen’"
    return (
        f"<b>Naar:</b> {html.escape(view.audience_text)}\n"
        f"<b>Aantal:</b> {recipients_text(view.recipients)} (wie de bot heeft geblokkeerd of zijn gegevens "
        "liet verwijderen, telt niet mee)\n"
        f"<b>Wanneer:</b> {when}\n\n"
        "Hierboven staat het bericht zoals zij het krijgen. Versturen?"
    )


def listing_text(views: list[BroadcastView], now: datetime) -> str:
    if not views:
        return "Er zijn nog geen berichten verstuurd of gepland. Een nieuw bericht maak je met /bericht."
    lines = ["<b>Laatste berichten</b>"]
    for view in views:
        started = view.confirmed_at or view.created_at
        lines.append(
            f"\n• {html.escape(moment_text(started))}: ‘{html.escape(excerpt(view.text, 50))}’\n"
            f"  aan {html.escape(view.audience_text)} ({recipients_text(view.recipients)})"
        )
        lines.append("  " + html.escape(state_line(view, now)))
    return "\n".join(lines)


def listing_keyboard(views: list[BroadcastView], now: datetime) -> InlineKeyboardMarkup | None:
    rows = [
        [
            InlineKeyboardButton(
                label(f"❌ Annuleer het bericht van {moment_text(v.due_at)}"),
                callback_data=callbacks.BROADCAST_CANCEL.pack(v.id),
            )
        ]
        for v in views
        if v.status == SCHEDULED and v.due_at is not None and v.due_at > now
    ]
    return InlineKeyboardMarkup(rows) if rows else None


# -- the conversation -------------------------------------------------------------------------------
async def begin(update: Update, context: Context) -> int:
    """/bericht: continue the draft left behind (after a restart too), or start one."""
    authority = await require_coordinator(update, context)
    message = update.effective_message
    sender = sender_of(update)
    if authority is None or message is None or sender is None:
        return ConversationHandler.END
    try:
        view = await services(context).broadcasts.draft(authority, sender, current_time(context))
    except NotAllowed:
        await message.reply_text(REFUSAL)
        return ConversationHandler.END
    if view.text:
        await message.reply_text(
            f"Je hebt nog een concept: ‘{html.escape(excerpt(view.text))}’.\nTyp een nieuwe tekst om het te "
            "vervangen, of kies hieronder wie het krijgt. Stoppen kan met /annuleer.",
            parse_mode=ParseMode.HTML,
            reply_markup=audience_keyboard(view, _has_schools(context, authority)),
        )
    else:
        await message.reply_text(ASK_TEXT)
    return TEXT


async def typed_text(update: Update, context: Context) -> int | None:
    """The message itself: kept as Telegram HTML built from its entities (a stray < or & is escaped)."""
    authority = await require_coordinator(update, context)
    message = update.effective_message
    if authority is None or message is None or message.text is None:
        return ConversationHandler.END
    broadcasts = services(context).broadcasts
    limit = max_body_length(broadcasts.partnership_name(authority.partnership))
    if len(message.text) > limit:
        await message.reply_text(
            f"Je bericht is te lang ({len(message.text)} tekens, hooguit {limit}). Maak het korter."
        )
        return None
    if html_too_long(message.text_html):
        await message.reply_text(
            f"Je bericht is te lang: met opmaak en links is het {len(message.text_html)} tekens, hooguit "
            f"{MAX_STORED}. Gebruik minder of kortere links."
        )
        return None
    try:
        view = await broadcasts.write(
            authority, None, message.text_html, current_time(context), sender=sender_of(update)
        )
    except (NotAllowed, NothingToSend):
        await message.reply_text(GONE)
        return ConversationHandler.END
    await message.reply_text(
        "Wie krijgt het bericht?", reply_markup=audience_keyboard(view, _has_schools(context, authority))
    )
    return CHOOSING


async def typed_moment(update: Update, context: Context) -> int | None:
    authority = await require_coordinator(update, context)
    message = update.effective_message
    if authority is None or message is None or message.text is None:
        return ConversationHandler.END
    try:
        moment = parse_when(message.text, current_time(context)).start
    except WhenError as error:
        await message.reply_text(str(error))
        return None
    broadcasts = services(context).broadcasts
    try:
        view = await broadcasts.set_moment(authority, None, moment, current_time(context))
    except (NotAllowed, NothingToSend):
        await message.reply_text(GONE)
        return ConversationHandler.END
    await _preview(message, context, view)
    return CHOOSING


async def _preview(message: Message, context: Context, view: BroadcastView) -> None:
    """The message exactly as recipients get it, then the summary with "Versturen" / "Annuleren"."""
    name = services(context).broadcasts.partnership_name(view.partnership)
    await message.reply_text(broadcast_message(name, view.text), parse_mode=ParseMode.HTML)
    await message.reply_text(summary_text(view), parse_mode=ParseMode.HTML, reply_markup=confirm_keyboard(view))


Press = Callable[[Update, Context, Authority, tuple[str, ...]], Awaitable[int | None]]


def _button(button: callbacks.Button, work: Press) -> Callable[[Update, Context], Coroutine[Any, Any, int | None]]:
    """A /bericht button: guarded, parsed strictly, answered once; forged or stale data does nothing."""

    async def handle(update: Update, context: Context) -> int | None:
        query = update.callback_query
        authority = await require_coordinator(update, context)
        if query is None or authority is None:
            return None
        parsed = button.parse(query.data)
        if parsed is None or not isinstance(query.message, Message):
            await acknowledge(context, query, STALE_BUTTON)
            return None
        try:
            return await work(update, context, authority, parsed)
        except NotAllowed:
            await acknowledge(context, query, REFUSAL)
        except NothingToSend:  # sent or thrown away already (a double tap): say so, change nothing
            await acknowledge(context, query, GONE)
        return ConversationHandler.END

    return handle


async def _audience(update: Update, context: Context, authority: Authority, parsed: tuple[str, ...]) -> int | None:
    query = update.callback_query
    assert query is not None
    broadcasts = services(context).broadcasts
    draft_id, kind = int(parsed[0]), parsed[1]
    if kind == "alle":
        view = await broadcasts.set_audience(authority, draft_id, Audience(), current_time(context))
        await acknowledge(context, query)
        await _ask_when(_message(update), view)
        return CHOOSING
    view = await broadcasts.view(authority, draft_id)  # the author's own draft, or NotAllowed
    await acknowledge(context, query)
    if kind == "rollen":
        await edit(
            context, query, "Welke rollen? Kies er een of meer en druk op ‘Klaar’.", reply_markup=roles_keyboard(view)
        )
    elif kind == "school":
        rows = [
            [InlineKeyboardButton(label(s.name), callback_data=callbacks.BROADCAST_SCHOOL.pack(draft_id, s.id))]
            for s in broadcasts.schools(authority.partnership)[:MAX_SCHOOL_BUTTONS]
        ]
        await edit(context, query, "Welke school?", reply_markup=InlineKeyboardMarkup(rows))
    else:
        rows = [
            [InlineKeyboardButton(name, callback_data=callbacks.BROADCAST_CATEGORY.pack(draft_id, category))]
            for category, name in CATEGORIES.items()
        ]
        await edit(
            context,
            query,
            "Wie herinneringen krijgt voor welke soort bijeenkomst?",
            reply_markup=InlineKeyboardMarkup(rows),
        )
    return CHOOSING


async def _role(update: Update, context: Context, authority: Authority, parsed: tuple[str, ...]) -> int | None:
    query = update.callback_query
    assert query is not None
    broadcasts = services(context).broadcasts
    draft_id, action, role = int(parsed[0]), parsed[1], parsed[2]
    if action == "klaar":
        view = await broadcasts.view(authority, draft_id)
        if not view.audience.roles:
            await acknowledge(context, query, "Kies eerst minstens één rol.")
            return CHOOSING
        await acknowledge(context, query)
        await _ask_when(_message(update), view)
        return CHOOSING
    view = await broadcasts.set_role(authority, draft_id, role, action == "aan", current_time(context))
    await acknowledge(context, query)
    await edit(
        context, query, "Welke rollen? Kies er een of meer en druk op ‘Klaar’.", reply_markup=roles_keyboard(view)
    )
    return CHOOSING


async def _school(update: Update, context: Context, authority: Authority, parsed: tuple[str, ...]) -> int | None:
    query = update.callback_query
    assert query is not None
    view = await services(context).broadcasts.set_audience(
        authority, int(parsed[0]), Audience(school_id=parsed[1]), current_time(context)
    )
    await acknowledge(context, query)
    await _ask_when(_message(update), view)
    return CHOOSING


async def _category(update: Update, context: Context, authority: Authority, parsed: tuple[str, ...]) -> int | None:
    query = update.callback_query
    assert query is not None
    view = await services(context).broadcasts.set_audience(
        authority, int(parsed[0]), Audience(category=parsed[1]), current_time(context)
    )
    await acknowledge(context, query)
    await _ask_when(_message(update), view)
    return CHOOSING


async def _ask_when(message: Message, view: BroadcastView) -> None:
    await message.reply_text(
        f"Naar: {view.audience_text} — nu {recipients_text(view.recipients)}. Wanneer versturen?",
        reply_markup=when_keyboard(view),
    )


async def _when(update: Update, context: Context, authority: Authority, parsed: tuple[str, ...]) -> int | None:
    query = update.callback_query
    assert query is not None
    broadcasts = services(context).broadcasts
    draft_id = int(parsed[0])
    # Answered only after the service call: a stale button then gets its explanation (answered once).
    if parsed[1] == "later":
        await broadcasts.view(authority, draft_id)  # still the author's draft
        await acknowledge(context, query)
        await _message(update).reply_text(f"Wanneer moet het weg? {EXAMPLE} (Nederlandse tijd)")
        return MOMENT
    view = await broadcasts.set_moment(authority, draft_id, None, current_time(context))
    await acknowledge(context, query)
    await _preview(_message(update), context, view)
    return CHOOSING


async def _confirm(update: Update, context: Context, authority: Authority, parsed: tuple[str, ...]) -> int | None:
    query = update.callback_query
    assert query is not None
    broadcasts = services(context).broadcasts
    draft_id = int(parsed[0])
    if parsed[1] == "nee":
        if await broadcasts.discard(authority, draft_id):
            await acknowledge(context, query)
            await edit(context, query, "Oké, er is niets verstuurd en het concept is weggegooid.")
            return ConversationHandler.END
        # Nothing thrown away: say why, and leave the message as it is (it may say "Verstuurd").
        try:
            await broadcasts.view(authority, draft_id)
        except NotAllowed:
            await acknowledge(context, query, NOT_YOUR_DRAFT)
        except NothingToSend:
            await acknowledge(context, query, TOO_LATE)
        else:
            await acknowledge(context, query, GONE)
        return ConversationHandler.END
    try:
        view = await broadcasts.confirm(authority, draft_id, current_time(context))
    except EmptyAudience:
        await acknowledge(context, query, "Er is niemand in dit publiek die het kan krijgen. Kies een ander publiek.")
        return CHOOSING
    await acknowledge(context, query)
    if view.status == SCHEDULED and view.due_at is not None:
        done = (
            f"Gepland: je bericht gaat op {moment_text(view.due_at)} naar {recipients_text(view.recipients)}. "
            "In /berichten kun je het tot dan annuleren."
        )
    else:
        done = (
            f"Verstuurd naar {recipients_text(view.recipients)}. Als alles weg is, krijg je een rapport; "
            "de voortgang zie je in /berichten."
        )
    await edit(context, query, done)
    return ConversationHandler.END


cancel = cancelling(
    lambda found, authority: found.broadcasts.discard(authority),
    "Gestopt: er is niets verstuurd en het concept is weggegooid.",
)


repeat_step = replying(REPEAT)
timed_out = telling_chat("Je concept is bewaard. Met /bericht ga je verder waar je was.")


# -- /berichten ---------------------------------------------------------------------------------------
async def listing(update: Update, context: Context) -> None:
    authority = await require_coordinator(update, context)
    message = update.effective_message
    if authority is None or message is None:
        return
    try:
        views = await services(context).broadcasts.recent(authority)
    except NotAllowed:
        await message.reply_text(REFUSAL)
        return
    now = current_time(context)
    await message.reply_text(
        listing_text(views, now), parse_mode=ParseMode.HTML, reply_markup=listing_keyboard(views, now)
    )


async def cancel_planned(update: Update, context: Context) -> None:
    query = update.callback_query
    authority = await require_coordinator(update, context)
    if query is None or authority is None:
        return
    parsed = callbacks.BROADCAST_CANCEL.parse(query.data)
    if parsed is None:
        await acknowledge(context, query, STALE_BUTTON)
        return
    broadcasts = services(context).broadcasts
    try:
        cancelled = await broadcasts.cancel(authority, int(parsed[0]), current_time(context))
        views = await broadcasts.recent(authority)
    except NotAllowed:
        await acknowledge(context, query, REFUSAL)
        return
    await acknowledge(context, query, "Geannuleerd." if cancelled else "Dit bericht is niet (meer) gepland.")
    now = current_time(context)
    await edit(
        context, query, listing_text(views, now), parse_mode=ParseMode.HTML, reply_markup=listing_keyboard(views, now)
    )


async def in_a_group(update: Update, context: Context) -> None:
    """Coordinators are told to use a private chat, everyone else gets the refusal."""
    await require_coordinator(update, context)


def _message(update: Update) -> Message:
    """The message under a pressed button (``_button`` made sure it is accessible)."""
    query = update.callback_query
    assert query is not None
    assert isinstance(query.message, Message)
    return query.message


def _has_schools(context: Context, authority: Authority) -> bool:
    return bool(services(context).broadcasts.schools(authority.partnership))


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Before questions.register: text typed in the flow is the message or its moment, never a question."""
    private = filters.ChatType.PRIVATE
    # An edit of an older message is no answer.
    text = private & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
    buttons: list[BaseHandler[Update, Context, object]] = [
        CallbackQueryHandler(_button(button, work), pattern=button.pattern)
        for button, work in (
            (callbacks.BROADCAST_AUDIENCE, _audience),
            (callbacks.BROADCAST_ROLE, _role),
            (callbacks.BROADCAST_SCHOOL, _school),
            (callbacks.BROADCAST_CATEGORY, _category),
            (callbacks.BROADCAST_WHEN, _when),
            (callbacks.BROADCAST_CONFIRM, _confirm),
        )
    ]
    application.add_handler(
        CoordinatorFlow(
            arbiter_of(application),
            "bericht",
            # The buttons are entry points too: after a restart (conversation state is in memory) a
            # press on the draft's buttons still works, because the draft is in the database.
            entry_points=[CommandHandler("bericht", begin, filters=private), *buttons],
            states={
                TEXT: [MessageHandler(text, typed_text)],
                CHOOSING: buttons,
                MOMENT: [MessageHandler(text, typed_moment)],
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
    application.add_handler(
        CommandHandler(["bericht", "berichten"], require_coordinator, filters=filters.ChatType.GROUPS)
    )
    application.add_handler(CommandHandler("berichten", listing, filters=private))
    application.add_handler(CallbackQueryHandler(cancel_planned, pattern=callbacks.BROADCAST_CANCEL.pattern))
