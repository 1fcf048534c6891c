"""/start and /profiel: choose partnership, role and school with inline keyboards."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType, ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.services import ROLES
from handlers.common import Context, label, remember_sender, services
from knowledge.models import Entry
from knowledge.render import school_label

NO_PARTNERSHIP = "geen"
SKIP_SCHOOL = "-"
FINISHED = (
    "Je profiel is klaar (bekijk het met /profiel). Stel nu gerust je vraag, bijvoorbeeld: Wat doet een schoolopleider?"
)


def partnership_keyboard(context: Context) -> InlineKeyboardMarkup:
    partnerships = services(context).matcher.kb.partnerships.values()
    rows = [[InlineKeyboardButton(p.short_name, callback_data=f"p:{p.slug}")] for p in partnerships]
    rows.append([InlineKeyboardButton("Weet ik niet / geen", callback_data=f"p:{NO_PARTNERSHIP}")])
    return InlineKeyboardMarkup(rows)


def role_keyboard() -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(text, callback_data=f"r:{key}") for key, text in ROLES.items()]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def school_keyboard(options: tuple[Entry, ...] = ()) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(label(school_label(e.title, e.school)), callback_data=f"s:{e.id}")]
        for e in options
        if e.school is not None
    ]
    rows.append([InlineKeyboardButton("Overslaan", callback_data=f"s:{SKIP_SCHOOL}")])
    return InlineKeyboardMarkup(rows)


async def start(update: Update, context: Context) -> None:
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    if chat.type != ChatType.PRIVATE:
        await message.reply_text("Stuur me een privébericht om je profiel in te stellen. Hier beantwoord ik /vraag.")
        return
    await remember_sender(update, context)
    await message.reply_text(
        "Welkom bij de Samen Opleiden-assistent! Ik beantwoord vragen over rollen, scholen, begrippen en je "
        "partnerschap.\n\nBij welk partnerschap hoor je?",
        reply_markup=partnership_keyboard(context),
    )


async def profile(update: Update, context: Context) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    profiles = services(context).profiles
    text = profiles.describe(await profiles.get(user.id))
    await message.reply_text(f"{html.escape(text)}\n\nAanpassen kan altijd met /start.", parse_mode=ParseMode.HTML)


async def choose_partnership(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    slug = query.data.removeprefix("p:")
    chosen = None if slug == NO_PARTNERSHIP else slug
    if not await services(context).profiles.set_partnership(query.from_user.id, chosen):
        await query.answer("Start eerst met /start.")
        return
    await query.answer()
    partnership = services(context).matcher.kb.partnerships.get(slug)
    name = partnership.name if partnership else "geen partnerschap gekozen"
    await query.edit_message_text(
        f"Partnerschap: {html.escape(name)}\n\nWat is je rol?", parse_mode=ParseMode.HTML, reply_markup=role_keyboard()
    )


async def choose_role(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    role = query.data.removeprefix("r:")
    if role not in ROLES:
        await query.answer("Deze knop werkt niet meer.")
        return
    profiles = services(context).profiles
    if await profiles.get(query.from_user.id) is None:
        await query.answer("Start eerst met /start.")
        return
    asks_school = await profiles.set_role(query.from_user.id, role)
    await query.answer()
    if asks_school:
        await query.edit_message_text(
            f"Rol: {ROLES[role]}\n\nOp welke school werk je of loop je stage? Typ de naam van de school.",
            reply_markup=school_keyboard(),
        )
        return
    await query.edit_message_text(f"Rol: {ROLES[role]}\n\n{FINISHED}")


async def choose_school(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    entry_id = query.data.removeprefix("s:")
    profiles = services(context).profiles
    if await profiles.get(query.from_user.id) is None:
        await query.answer("Start eerst met /start.")
        return
    saved = await profiles.choose_school(query.from_user.id, None if entry_id == SKIP_SCHOOL else entry_id)
    await query.answer()
    school = f"School: {saved}" if saved else "Geen school opgeslagen."
    await query.edit_message_text(f"{school}\n\n{FINISHED}")


async def typed_school(update: Update, context: Context, text: str) -> None:
    """Called by the question handler while the profile waits for a school name."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    lookup = await services(context).profiles.type_school(user.id, text)
    if lookup.options:
        await message.reply_text(
            "Ik ken meerdere scholen die hierop lijken. Welke bedoel je? Je kunt de naam ook opnieuw typen.",
            reply_markup=school_keyboard(lookup.options),
        )
        return
    await message.reply_text(f"School opgeslagen: {lookup.saved}\n\n{FINISHED}")


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("profiel", profile, filters=filters.ChatType.PRIVATE))
    application.add_handler(CallbackQueryHandler(choose_partnership, pattern=r"^p:"))
    application.add_handler(CallbackQueryHandler(choose_role, pattern=r"^r:"))
    application.add_handler(CallbackQueryHandler(choose_school, pattern=r"^s:"))
