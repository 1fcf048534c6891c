"""/help, and a calm answer (or silence) to everything the bot cannot handle."""

from __future__ import annotations

from telegram import BotCommand, ChatMember, Update
from telegram.ext import Application, CallbackQueryHandler, ChatMemberHandler, CommandHandler, MessageHandler, filters

from handlers.common import STALE_BUTTON, Context, acknowledge, is_private, services

COMMANDS = [
    BotCommand("start", "profiel instellen: partnerschap, rol en school"),
    BotCommand("vraag", "stel een vraag (ook in groepen)"),
    BotCommand("profiel", "bekijk je profiel"),
    BotCommand("agenda", "komende bijeenkomsten"),
    BotCommand("herinneringen", "herinneringen aan of uit per soort bijeenkomst"),
    BotCommand("help", "wat kan deze bot?"),
    BotCommand("privacy", "wat bewaart de bot?"),
    BotCommand("vergeetmij", "verwijder je profiel en je vragen"),
]

HELP = (
    "Ik beantwoord vragen over samen opleiden: rollen, scholen, begrippen en je partnerschap. Typ je vraag "
    "gewoon in gewone taal, tikfouten en afkortingen mogen. Bijvoorbeeld:\n"
    "• Wat doet een schoolopleider?\n"
    "• Wat is intervisie?\n"
    "• Welke scholen zitten in Assen?\n"
    "• Wat doet de BOC?\n\n"
    "Weet ik iets niet, dan zeg ik dat en stel ik voor wat je misschien bedoelde. Met 👍/👎 onder een "
    "antwoord help je de kennisbank beter maken.\n\n"
    "In een groep antwoord ik op /vraag … of als je me noemt.\n\n"
    "Ik stuur herinneringen voor intervisie, mentortrainingen en partnerscholendagen uit de agenda van je "
    "partnerschap; onder elke herinnering zeg je of je komt. /agenda toont wat er gepland is, "
    "/herinneringen zet ze per soort aan of uit.\n\n"
    "Commando's: /start (profiel instellen), /profiel, /agenda, /herinneringen, /privacy, /vergeetmij, /help."
)
NOT_TEXT = "Ik kan alleen tekstvragen beantwoorden. Typ je vraag, bijvoorbeeld: Wat is lesson study?"
UNKNOWN_COMMAND = "Dat commando ken ik niet. Kijk bij /help wat ik kan."
NOTHING_TO_CANCEL = "Er loopt nu niets om te annuleren."


async def help_command(update: Update, context: Context) -> None:
    if update.effective_message:
        await update.effective_message.reply_text(HELP)


async def ignore(update: Update, context: Context) -> None:
    """Other edits (in groups, of commands, of media): answering again would only confuse."""


async def not_text(update: Update, context: Context) -> None:
    if is_private(update) and update.effective_message:
        await update.effective_message.reply_text(NOT_TEXT)


async def unknown_command(update: Update, context: Context) -> None:
    if is_private(update) and update.effective_message:
        await update.effective_message.reply_text(UNKNOWN_COMMAND)


async def nothing_to_cancel(update: Update, context: Context) -> None:
    """/annuleer outside every flow (the flows handle it themselves while they run)."""
    if is_private(update) and update.effective_message:
        await update.effective_message.reply_text(NOTHING_TO_CANCEL)


async def stale_button(update: Update, context: Context) -> None:
    if update.callback_query:
        await acknowledge(context, update.callback_query, STALE_BUTTON)


async def membership(update: Update, context: Context) -> None:
    """A user blocking the bot (or removing it from a group) means: stop sending there; unblocking
    (or adding it again) means: send again, upcoming reminders included."""
    change = update.my_chat_member
    if change is None:
        return
    status = change.new_chat_member.status
    if status in (ChatMember.BANNED, ChatMember.LEFT):
        await services(context).profiles.mark_blocked(change.chat.id)
    elif status in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR):
        await services(context).profiles.reactivate(change.chat.id)


def register_first(application: Application) -> None:  # type: ignore[type-arg]
    # Edits are answered again only when they are a question in a private chat (handlers/questions.py).
    edited_question = filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND
    application.add_handler(MessageHandler(filters.UpdateType.EDITED & ~edited_question, ignore))
    application.add_handler(CommandHandler("help", help_command))
    application.add_handler(ChatMemberHandler(membership, ChatMemberHandler.MY_CHAT_MEMBER))


def register_last(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("annuleer", nothing_to_cancel))
    application.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    application.add_handler(MessageHandler(~filters.TEXT & ~filters.StatusUpdate.ALL, not_text))
    application.add_handler(CallbackQueryHandler(stale_button))
