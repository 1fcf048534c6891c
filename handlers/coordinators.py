"""Coordinator rights in chat: the shared guard of every coordinator command and button, the
coordinators' command menu, and /coordinator (grant another user of the partnership, confirmed)."""

from __future__ import annotations

import logging

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonDefault,
    MenuButtonWebApp,
    Update,
    WebAppInfo,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import current_time
from bot.services import Authority
from bot.services.coordinators import Candidate
from bot.services.roles import ROLES
from handlers import callbacks
from handlers.common import Context, acknowledge, edit, is_private, label, pressed_by_owner, services
from handlers.general import COMMANDS

logger = logging.getLogger(__name__)

REFUSAL = (
    "Dit is alleen voor coördinatoren van het partnerschap. Hoort dit bij jouw taak? Vraag dan een "
    "coördinator van je partnerschap om je toegang te geven."
)
PRIVATE_ONLY = "Coördinatortaken doe je in een privégesprek met mij."
# Shown to coordinators only (BotCommandScopeChat); a feature adds its commands here.
COORDINATOR_COMMANDS = [
    BotCommand("coordinator", "maak iemand van je partnerschap coördinator"),
    BotCommand("vragen", "vragen zonder goed antwoord bekijken en beantwoorden"),
    BotCommand("nieuw", "zet een bijeenkomst in de agenda"),
    BotCommand("stats", "statistieken van je partnerschap"),
    BotCommand("bericht", "stuur een bericht aan (een deel van) je partnerschap"),
    BotCommand("berichten", "verstuurde en geplande berichten met hun rapport"),
    BotCommand("web", "de webomgeving: agenda, berichten, vragen, kennis en cijfers"),
]
WEB_VIEW_BUTTON = "Webomgeving"
HOW_TO_GRANT = (
    "Wie wil je coördinator maken? Stuur /coordinator gevolgd door (een deel van) de naam, bijvoorbeeld "
    "<code>/coordinator Jansen</code>. Diegene moet mij al een keer gesproken hebben en bij jouw "
    "partnerschap horen."
)


async def require_coordinator(update: Update, context: Context) -> Authority | None:
    """The coordinator behind this update, or None after a polite refusal (nothing else happens).

    For buttons too: callback data can be forged, so every coordinator button comes through here and
    the service checks the right again.
    """
    user, query = update.effective_user, update.callback_query
    if user is None:
        return None
    authority = await services(context).coordinators.authority(user.id)
    if authority is not None and (is_private(update) if query is None else pressed_by_owner(query)):
        return authority
    refusal = REFUSAL if authority is None else PRIVATE_ONLY
    if query is not None:
        await acknowledge(context, query, refusal)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(refusal)
    return None


def mini_app_url(public_url: str | None) -> str | None:
    """The web view as a Telegram Mini App: only over https (Telegram refuses other addresses)."""
    return f"{public_url}app" if public_url is not None and public_url.startswith("https://") else None


async def show_coordinator_commands(bot: Bot, chat_id: int, web_public_url: str | None = None) -> None:
    """The coordinators' menu in their private chat, and the Mini App button when the web view has
    a public https address; a failure only costs the menu."""
    try:
        await bot.set_my_commands([*COMMANDS, *COORDINATOR_COMMANDS], scope=BotCommandScopeChat(chat_id))
        if (url := mini_app_url(web_public_url)) is not None:
            await bot.set_chat_menu_button(chat_id, MenuButtonWebApp(WEB_VIEW_BUTTON, WebAppInfo(url)))
    except TelegramError as exc:
        logger.warning("could not set the coordinator commands for a chat: %s", exc.message)


async def hide_coordinator_commands(bot: Bot, chat_id: int) -> None:
    """Back to the menu everyone has (after /vergeetmij); a failure only leaves the old menu."""
    try:
        await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id))
        await bot.set_chat_menu_button(chat_id, MenuButtonDefault())
    except TelegramError as exc:
        logger.warning("could not reset the commands of a chat: %s", exc.message)


async def coordinator(update: Update, context: Context) -> None:
    authority = await require_coordinator(update, context)
    message = update.effective_message
    if authority is None or message is None:
        return
    name_part = " ".join(context.args or [])
    if not name_part:
        await message.reply_text(HOW_TO_GRANT, parse_mode=ParseMode.HTML)
        return
    found = await services(context).coordinators.candidates(authority, name_part)
    if not found:
        await message.reply_text(
            f"Ik vind niemand met ‘{label(name_part)}’ in de naam in jouw partnerschap. "
            "Probeer een ander deel van de naam."
        )
        return
    rows = [
        [InlineKeyboardButton(_candidate_label(c), callback_data=callbacks.COORDINATOR.pack("kies", c.user_id))]
        for c in found
    ]
    await message.reply_text("Wie bedoel je?", reply_markup=InlineKeyboardMarkup(rows))


def _candidate_label(candidate: Candidate) -> str:
    role = ROLES.get(candidate.role or "", "")
    suffix = " (al coördinator)" if candidate.is_coordinator else (f" ({role})" if role else "")
    return label(candidate.name + suffix)


async def coordinator_button(update: Update, context: Context) -> None:
    """Pick (kies), then confirm (ja) or not (nee); the service checks the right once more."""
    query = update.callback_query
    authority = await require_coordinator(update, context)
    if query is None or authority is None:
        return
    parsed = callbacks.COORDINATOR.parse(query.data)
    target = await services(context).coordinators.candidate(authority, int(parsed[1])) if parsed else None
    await acknowledge(context, query)
    if parsed is None or target is None:
        await edit(context, query, "Deze knop werkt niet meer, of die gebruiker hoort niet (meer) bij je partnerschap.")
    elif parsed[0] == "nee":
        await edit(context, query, "Oké, er is niemand coördinator gemaakt.")
    elif target.is_coordinator:
        await edit(context, query, f"{target.name} is al coördinator van je partnerschap.")
    elif parsed[0] == "kies":
        await edit(context, query, _confirmation(target, authority), reply_markup=_yes_no(target.user_id))
    else:
        await services(context).coordinators.grant(authority, target.user_id, current_time(context))
        await edit(context, query, f"Klaar: {target.name} is nu coördinator van je partnerschap.")
        if target.chat_id is not None:
            await show_coordinator_commands(context.bot, target.chat_id, services(context).settings.web_public_url)


def _confirmation(target: Candidate, authority: Authority) -> str:
    return (
        f"Wil je {target.name} coördinator maken van {authority.partnership}? Diegene kan dan berichten "
        "aan het hele partnerschap sturen, de agenda beheren, vragen beantwoorden en statistieken zien."
    )


def _yes_no(user_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Ja, maak coördinator", callback_data=callbacks.COORDINATOR.pack("ja", user_id)),
                InlineKeyboardButton("Nee", callback_data=callbacks.COORDINATOR.pack("nee", user_id)),
            ]
        ]
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("coordinator", coordinator))
    application.add_handler(CallbackQueryHandler(coordinator_button, pattern=callbacks.COORDINATOR.pattern))
