"""/privacy and /vergeetmij: what is stored, and deleting it all after a confirmation."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import forget_in_memory
from handlers import callbacks
from handlers.common import Context, acknowledge, edit, own_press, services
from handlers.coordinators import hide_coordinator_commands


def privacy_text(retention_days: int) -> str:
    return (
        "Wat ik bewaar en waarom:\n"
        "• je Telegram-id, chat-id en naam, om je te kunnen antwoorden;\n"
        "• je partnerschap, rol en school, om antwoorden uit jouw partnerschap te geven;\n"
        "• je vragen, welk antwoord je kreeg en je 👍/👎, om de kennisbank te verbeteren: een vraag zonder goed "
        "antwoord ziet een coördinator van je partnerschap, zonder je naam; beantwoordt die haar, dan krijg je "
        "het antwoord en komt de vraag (zonder naam) in de kennisbank van je partnerschap;\n"
        "• welke herinneringen je wilt, welke ik je stuur of stuurde, en of je komt (“Ik kom” / “Ik kan niet”), "
        "zodat de organisatie weet op hoeveel mensen ze kan rekenen;\n"
        "• als je coördinator bent: wat je als coördinator deed (wie, wat, wanneer), voor de verantwoording, "
        "het concept van een bijeenkomst die je nog aan het invoeren bent, en de berichten die je rondstuurde, "
        "met hun rapport;\n"
        "• van een rondgestuurd bericht aan jou: of het aankwam.\n\n"
        f"Vragen bewaar ik {retention_days} dagen; daarna worden ze automatisch verwijderd. Je profiel blijft "
        "tot je het laat verwijderen. Een binnenkomend bericht bewaar ik kort tot het beantwoord is, zodat het "
        "na een storing niet verloren gaat. In mijn logboek staan geen namen of berichtteksten. Ik deel niets "
        "met anderen.\n\n"
        "Met /vergeetmij verwijder ik je profiel, je vragen, je herinneringen en je antwoorden direct; van je "
        "coördinatoracties blijft alleen vastgelegd dát ze gebeurden, zonder je naam; een bericht dat je rondstuurde "
        "blijft staan zonder je naam, een concept verdwijnt."
    )


async def privacy(update: Update, context: Context) -> None:
    if update.effective_message:
        await update.effective_message.reply_text(privacy_text(services(context).settings.question_retention_days))


async def forget_me(update: Update, context: Context) -> None:
    if update.effective_message is None:
        return
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Ja, vergeet mij", callback_data=callbacks.FORGET.pack("ja")),
                InlineKeyboardButton("Nee", callback_data=callbacks.FORGET.pack("nee")),
            ]
        ]
    )
    await update.effective_message.reply_text(
        "Weet je het zeker? Ik verwijder dan je profiel en al je vragen. Dit kan niet ongedaan worden gemaakt.",
        reply_markup=keyboard,
    )


async def private_only(update: Update, context: Context) -> None:
    """Profiles are personal: not shown or deleted in front of a group."""
    if update.effective_message:
        await update.effective_message.reply_text("Dat kan alleen in een privégesprek met mij.")


async def confirm_forget(update: Update, context: Context) -> None:
    press = await own_press(update, context, callbacks.FORGET)
    if press is None:
        return
    query, parsed = press
    await acknowledge(context, query)
    if parsed != ("ja",):
        await edit(context, query, "Oké, er is niets verwijderd.")
        return
    chat = update.effective_chat
    await services(context).profiles.forget(query.from_user.id, chat.id if chat else None)
    if context.chat_data is not None:  # the texts of answered questions (see handlers/questions.py)
        context.chat_data.clear()
    if context.user_data is not None:  # files waiting for "Importeren" (see handlers/files.py)
        context.user_data.clear()
    forget_in_memory(context, query.from_user.id)
    if chat is not None:  # a coordinator's rights went too: so does their menu
        await hide_coordinator_commands(context.bot, chat.id)
    await edit(
        context, query, "Klaar: ik heb je profiel en al je vragen verwijderd. Met /start kun je opnieuw beginnen."
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("privacy", privacy))
    application.add_handler(CommandHandler("vergeetmij", forget_me, filters=filters.ChatType.PRIVATE))
    application.add_handler(CommandHandler(["profiel", "vergeetmij"], private_only, filters=filters.ChatType.GROUPS))
    application.add_handler(CallbackQueryHandler(confirm_forget, pattern=callbacks.FORGET.pattern))
