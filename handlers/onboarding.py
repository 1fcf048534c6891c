"""/start and /profiel: choose partnership, role and school with inline keyboards."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.services import ROLES, OnboardingStep, Option, ProfileView, Step
from handlers import callbacks
from handlers.common import STALE_BUTTON, Context, acknowledge, edit, label, own_press, sender_of, services

NO_PARTNERSHIP = "geen"
SKIP_SCHOOL = "-"
WELCOME = (
    "Welkom bij de Samen Opleiden-assistent! Ik beantwoord vragen over rollen, scholen, begrippen en je "
    "partnerschap.\n\nBij welk partnerschap hoor je?"
)
ASK_SCHOOL = "Op welke school werk je of loop je stage? Typ de naam van de school."
PICK_SCHOOL = "Ik ken meerdere scholen die hierop lijken. Welke bedoel je? Je kunt de naam ook opnieuw typen."
FINISHED = (
    "Je profiel is klaar (bekijk het met /profiel). Stel nu gerust je vraag, bijvoorbeeld: Wat doet een schoolopleider?"
)
NO_PROFILE = "Start eerst met /start."
NO_PROFILE_YET = "Je hebt nog geen profiel. Met /start stel je het in: partnerschap, rol en school."


def partnership_keyboard(options: tuple[Option, ...]) -> InlineKeyboardMarkup:
    rows = [[InlineKeyboardButton(o.label, callback_data=callbacks.PARTNERSHIP.pack(o.key))] for o in options]
    rows.append([InlineKeyboardButton("Weet ik niet / geen", callback_data=callbacks.PARTNERSHIP.pack(NO_PARTNERSHIP))])
    return InlineKeyboardMarkup(rows)


def role_keyboard() -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(text, callback_data=callbacks.ROLE.pack(key)) for key, text in ROLES.items()]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def school_keyboard(options: tuple[Option, ...] = ()) -> InlineKeyboardMarkup:
    rows = [[InlineKeyboardButton(label(o.label), callback_data=callbacks.SCHOOL.pack(o.key))] for o in options]
    rows.append([InlineKeyboardButton("Overslaan", callback_data=callbacks.SCHOOL.pack(SKIP_SCHOOL))])
    return InlineKeyboardMarkup(rows)


def finished_text(step: OnboardingStep) -> str:
    if step.school:
        return f"School opgeslagen: {step.school}\n\n{FINISHED}"
    if step.role:
        return f"Rol: {step.role}\n\n{FINISHED}"
    return f"Geen school opgeslagen.\n\n{FINISHED}"


def profile_text(view: ProfileView | None) -> str:
    """The profile as the user reads it in /profiel (plain text)."""
    if view is None:
        return NO_PROFILE_YET
    lines = [
        f"Naam: {view.name or '—'}",
        f"Partnerschap: {view.partnership or 'niet gekozen'}",
        f"Rol: {view.role or 'niet gekozen'}",
        f"School: {view.school or 'niet gekozen'}",
    ]
    return "\n".join(lines) + "\n\nAanpassen kan altijd met /start."


async def reply_to_school_step(message: Message, step: OnboardingStep) -> None:
    """The answer to a typed school name (called from the question handler's result)."""
    if step.step == Step.PICK_SCHOOL:
        await message.reply_text(PICK_SCHOOL, reply_markup=school_keyboard(step.options))
    elif step.step == Step.TYPE_SCHOOL:
        await message.reply_text(ASK_SCHOOL, reply_markup=school_keyboard())
    else:
        await message.reply_text(finished_text(step))


async def start(update: Update, context: Context) -> None:
    message, chat, sender = update.effective_message, update.effective_chat, sender_of(update)
    if message is None or chat is None or sender is None:
        return
    if chat.type != ChatType.PRIVATE:
        await message.reply_text("Stuur me een privébericht om je profiel in te stellen. Hier beantwoord ik /vraag.")
        return
    step = await services(context).onboarding.begin(sender)
    await message.reply_text(WELCOME, reply_markup=partnership_keyboard(step.options))


async def profile(update: Update, context: Context) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    await message.reply_text(profile_text(await services(context).profiles.view(user.id)))


async def choose_partnership(update: Update, context: Context) -> None:
    press = await own_press(update, context, callbacks.PARTNERSHIP)
    if press is None:
        return
    query, parsed = press
    (slug,) = parsed
    step = await services(context).onboarding.choose_partnership(
        query.from_user.id, None if slug == NO_PARTNERSHIP else slug
    )
    if step.step != Step.CHOOSE_ROLE:
        return await acknowledge(context, query, _refusal(step))
    await acknowledge(context, query)
    name = step.partnership or "geen partnerschap gekozen"
    await edit(
        context,
        query,
        f"Partnerschap: {html.escape(name)}\n\nWat is je rol?",
        parse_mode=ParseMode.HTML,
        reply_markup=role_keyboard(),
    )


async def choose_role(update: Update, context: Context) -> None:
    press = await own_press(update, context, callbacks.ROLE)
    if press is None:
        return
    query, parsed = press
    step = await services(context).onboarding.choose_role(query.from_user.id, parsed[0])
    if step.step not in (Step.TYPE_SCHOOL, Step.DONE):
        return await acknowledge(context, query, _refusal(step))
    await acknowledge(context, query)
    if step.step == Step.TYPE_SCHOOL:
        await edit(context, query, f"Rol: {step.role}\n\n{ASK_SCHOOL}", reply_markup=school_keyboard())
        return
    await edit(context, query, finished_text(step))


async def choose_school(update: Update, context: Context) -> None:
    press = await own_press(update, context, callbacks.SCHOOL)
    if press is None:
        return
    query, parsed = press
    (entry_id,) = parsed
    step = await services(context).onboarding.choose_school(
        query.from_user.id, None if entry_id == SKIP_SCHOOL else entry_id
    )
    if step.step != Step.DONE:
        return await acknowledge(context, query, _refusal(step))
    await acknowledge(context, query)
    await edit(context, query, finished_text(step))


def _refusal(step: OnboardingStep) -> str:
    return NO_PROFILE if step.step == Step.NO_PROFILE else STALE_BUTTON


def register(application: Application) -> None:  # type: ignore[type-arg]
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("profiel", profile, filters=private))
    application.add_handler(CallbackQueryHandler(choose_partnership, pattern=callbacks.PARTNERSHIP.pattern))
    application.add_handler(CallbackQueryHandler(choose_role, pattern=callbacks.ROLE.pattern))
    application.add_handler(CallbackQueryHandler(choose_school, pattern=callbacks.SCHOOL.pattern))
