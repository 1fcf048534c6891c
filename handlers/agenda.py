"""/agenda, /herinneringen, the answers to a reminder ("Ik kom" / "Ik kan niet") and .ics files."""

from __future__ import annotations

import html
import io

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.agenda_questions import CATEGORIES
from bot.agenda_text import agenda_messages, rsvp_line
from bot.context import current_time
from bot.services.agenda import views_to_ics
from handlers import callbacks
from handlers.agenda_admin import show_managed_agenda
from handlers.common import (
    STALE_BUTTON,
    Context,
    acknowledge,
    edit,
    edit_markup,
    own_press,
    services,
)
from handlers.privacy import private_only

NO_PROFILE = "Je hebt nog geen profiel. Met /start kies je je partnerschap; daarna kun je herinneringen instellen."
SUBSCRIPTIONS = (
    "Herinneringen per soort bijeenkomst. Tik om aan of uit te zetten; uit betekent dat ik geen "
    "herinneringen meer stuur voor die soort."
)
GONE = "Deze bijeenkomst bestaat niet meer of gaat niet door."
ALL_EVENTS = "alles"


def rsvp_keyboard(event_id: int, my_rsvp: bool | None = None) -> InlineKeyboardMarkup:
    """ "Ik kom" / "Ik kan niet", the chosen one marked; plus the event as a calendar file."""
    yes = ("✅ " if my_rsvp is True else "") + "Ik kom"
    no = ("❌ " if my_rsvp is False else "") + "Ik kan niet"
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(yes, callback_data=callbacks.RSVP.pack(event_id, "ja")),
                InlineKeyboardButton(no, callback_data=callbacks.RSVP.pack(event_id, "nee")),
            ],
            [InlineKeyboardButton("📅 In mijn agenda", callback_data=callbacks.EVENT_FILE.pack(event_id))],
        ]
    )


def subscriptions_keyboard(state: dict[str, bool]) -> InlineKeyboardMarkup:
    """One button per category: its state, and pressing it sets the opposite (never a toggle)."""
    rows = []
    for category, enabled in state.items():
        text = f"{'🔔' if enabled else '🔕'} {CATEGORIES[category]}: {'aan' if enabled else 'uit'}"
        data = callbacks.SUBSCRIBE.pack("off" if enabled else "on", category)
        rows.append([InlineKeyboardButton(text, callback_data=data)])
    return InlineKeyboardMarkup(rows)


async def agenda(update: Update, context: Context) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    events = await services(context).agenda.for_user(user.id, current_time(context))
    markup = None
    if events:
        button = InlineKeyboardButton("📅 Alles in mijn agenda", callback_data=callbacks.EVENT_FILE.pack(ALL_EVENTS))
        markup = InlineKeyboardMarkup([[button]])
    parts = agenda_messages(events)
    for number, part in enumerate(parts, 1):
        await message.reply_text(part, parse_mode=ParseMode.HTML, reply_markup=markup if number == len(parts) else None)
    # A coordinator also gets the partnership's events to manage; everyone else sees nothing more.
    authority = await services(context).coordinators.authority(user.id)
    if authority is not None:
        await show_managed_agenda(message, context, authority)


async def reminders(update: Update, context: Context) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    state = await services(context).agenda.subscriptions(user.id)
    if state is None:
        await message.reply_text(NO_PROFILE)
        return
    await message.reply_text(SUBSCRIPTIONS, reply_markup=subscriptions_keyboard(state))


async def set_subscription(update: Update, context: Context) -> None:
    press = await own_press(update, context, callbacks.SUBSCRIBE)
    if press is None:
        return
    query, parsed = press
    switch, category = parsed
    state = await services(context).agenda.subscribe(
        query.from_user.id, category, switch == "on", current_time(context)
    )
    if state is None:
        await acknowledge(context, query, NO_PROFILE)
        return
    await acknowledge(
        context, query, f"Herinneringen voor {CATEGORIES[category]}: {'aan' if switch == 'on' else 'uit'}"
    )
    await edit(context, query, SUBSCRIPTIONS, reply_markup=subscriptions_keyboard(state))


async def answer_reminder(update: Update, context: Context) -> None:
    """ "Ik kom" / "Ik kan niet" under a reminder: stored (changeable), the chosen button marked."""
    press = await own_press(update, context, callbacks.RSVP)
    if press is None:
        return
    query, parsed = press
    event_id, coming = int(parsed[0]), parsed[1] == "ja"
    view = await services(context).agenda.rsvp(event_id, query.from_user.id, coming, current_time(context))
    if view is None:
        await acknowledge(context, query, GONE)
        return
    await acknowledge(context, query, f"Genoteerd: {rsvp_line(coming)}.")
    if isinstance(query.message, Message):
        await edit_markup(context, query, rsvp_keyboard(event_id, coming))


async def send_calendar_file(update: Update, context: Context) -> None:
    """One event, or the user's whole agenda, as an .ics file to add to their own calendar."""
    query = update.callback_query
    if query is None:
        return
    parsed = callbacks.EVENT_FILE.parse(query.data)
    message = query.message if isinstance(query.message, Message) else None
    if parsed is None or message is None:
        await acknowledge(context, query, STALE_BUTTON)
        return
    found = services(context).agenda
    if parsed[0] == ALL_EVENTS:
        views = await found.for_user(query.from_user.id, current_time(context), limit=500) or []
        name = "agenda.ics"
    else:
        view = await found.event_for(query.from_user.id, int(parsed[0]))
        views = [view] if view is not None else []
        name = "bijeenkomst.ics"
    if not views:
        await acknowledge(context, query, GONE)
        return
    await acknowledge(context, query)
    content = views_to_ics(views, "Samen Opleiden", current_time(context))
    caption = html.escape("Open het bestand om het aan je eigen agenda toe te voegen.")
    await message.reply_document(io.BytesIO(content), filename=name, caption=caption, parse_mode=ParseMode.HTML)


def register(application: Application) -> None:  # type: ignore[type-arg]
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("agenda", agenda, filters=private))
    application.add_handler(CommandHandler("herinneringen", reminders, filters=private))
    application.add_handler(CommandHandler(["agenda", "herinneringen"], private_only, filters=filters.ChatType.GROUPS))
    application.add_handler(CallbackQueryHandler(set_subscription, pattern=callbacks.SUBSCRIBE.pattern))
    application.add_handler(CallbackQueryHandler(answer_reminder, pattern=callbacks.RSVP.pattern))
    application.add_handler(CallbackQueryHandler(send_calendar_file, pattern=callbacks.EVENT_FILE.pattern))
