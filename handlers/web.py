"""/web: a coordinator gets a one-time link into the web view (and, over https, a Mini App button)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update, WebAppInfo
from telegram.ext import Application, CommandHandler

from bot.context import WEB_ADDRESS_KEY, current_time
from handlers.common import Context, services
from handlers.coordinators import WEB_VIEW_BUTTON, mini_app_url, require_coordinator

WEB_VIEW_OFF = "De webomgeving is bij deze bot niet beschikbaar. Vraag de beheerder van de bot ernaar."


async def web_link(update: Update, context: Context) -> None:
    authority = await require_coordinator(update, context)
    message = update.effective_message
    if authority is None or message is None or update.effective_user is None:
        return
    address = context.application.bot_data.get(WEB_ADDRESS_KEY)
    if not isinstance(address, str):
        await message.reply_text(WEB_VIEW_OFF)
        return
    found = services(context)
    token = await found.web_access.new_link(update.effective_user.id, current_time(context))
    if token is None:  # the right went between the guard and the link
        return
    minutes = f"{found.settings.web_link_minutes:g}"
    url = mini_app_url(found.settings.web_public_url)
    buttons = InlineKeyboardMarkup([[InlineKeyboardButton(WEB_VIEW_BUTTON, web_app=WebAppInfo(url))]]) if url else None
    await message.reply_text(
        f"Je inloglink voor de webomgeving (werkt één keer, {minutes} minuten lang; deel hem met niemand):\n"
        f"{address}login/{token}",
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        reply_markup=buttons,
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("web", web_link))
