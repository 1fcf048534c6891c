"""/stats for coordinators: the figures of their own partnership as text (7 / 30 / 365 days, buttons
edit the message) and a chart of questions per week, drawn off the event loop and sent as a photo."""

from __future__ import annotations

import asyncio
import io

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import current_time
from bot.services import Authority
from bot.services.stats import DEFAULT_PERIOD, PERIODS, Stats
from bot.stats_chart import Point, chart_png
from bot.stats_text import chart_caption, school_namer, stats_text
from handlers import callbacks
from handlers.common import STALE_BUTTON, Context, acknowledge, edit, services
from handlers.coordinators import REFUSAL, require_coordinator

CHART_FILE_NAME = "vragen-per-week.png"


def period_keyboard(days: int) -> InlineKeyboardMarkup:
    """The other periods; the shown one is marked."""
    buttons = [
        InlineKeyboardButton(("✅ " if d == days else "") + f"{d} dagen", callback_data=callbacks.STATS.pack(d))
        for d in PERIODS
    ]
    return InlineKeyboardMarkup([buttons])


def _text(context: Context, stats: Stats) -> str:
    kb = services(context).matcher.kb
    found = kb.partnerships.get(stats.partnership)
    return stats_text(stats, found.name if found else stats.partnership, school_namer(kb))


async def _figures(context: Context, authority: Authority, days: int) -> Stats | None:
    try:
        return await services(context).stats.figures(authority, days, current_time(context))
    except PermissionError:
        return None


async def stats(update: Update, context: Context) -> None:
    authority = await require_coordinator(update, context)
    message = update.effective_message
    if authority is None or message is None:
        return
    figures = await _figures(context, authority, DEFAULT_PERIOD)
    if figures is None:  # the right went between the guard and the figures
        await message.reply_text(REFUSAL)
        return
    await message.reply_text(
        _text(context, figures), parse_mode=ParseMode.HTML, reply_markup=period_keyboard(figures.days)
    )
    series = tuple(Point(week.monday, week.asked, week.fallback) for week in figures.weeks)
    chart = await asyncio.to_thread(chart_png, series)
    photo = InputFile(io.BytesIO(chart), filename=CHART_FILE_NAME)
    await message.reply_photo(photo, caption=chart_caption(figures), parse_mode=ParseMode.HTML)


async def other_period(update: Update, context: Context) -> None:
    query = update.callback_query
    authority = await require_coordinator(update, context)
    if query is None or authority is None:
        return
    parsed = callbacks.STATS.parse(query.data)
    if parsed is None:
        await acknowledge(context, query, STALE_BUTTON)
        return
    await acknowledge(context, query)
    figures = await _figures(context, authority, int(parsed[0]))
    if figures is not None:
        await edit(
            context,
            query,
            _text(context, figures),
            parse_mode=ParseMode.HTML,
            reply_markup=period_keyboard(figures.days),
        )


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("stats", stats))
    application.add_handler(CallbackQueryHandler(other_period, pattern=callbacks.STATS.pattern))
