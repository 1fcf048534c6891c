"""/statistieken: the /stats figures of the coordinator's own partnership as tables (7 / 30 / 365
days), and the same chart of questions per week that the chat sends, as a PNG route.

Both call ``StatsService.figures`` as handlers/stats.py does; the texts and the chart come from
bot/stats_text.py and bot/stats_chart.py, so the page and the chat cannot disagree.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.services.stats import DEFAULT_PERIOD, PERIODS, Stats
from bot.stats_chart import Point, chart_png
from bot.stats_text import chart_caption, percent, period_label, role_label, school_namer, school_rows
from bot.web.context import authority, now, services
from bot.web.render import NO_RIGHT, refusal, render

routes = web.RouteTableDef()
CHART_PATH = "/statistieken/grafiek.png"


def _days(request: web.Request) -> int:
    """The period asked for in ``?dagen=``; anything not offered shows the default."""
    asked = request.query.get("dagen", "")
    return int(asked) if asked.isdigit() and int(asked) in PERIODS else DEFAULT_PERIOD


async def _figures(request: web.Request) -> Stats | None:
    try:
        return await services(request).stats.figures(authority(request), _days(request), now(request))
    except PermissionError:  # the right went between the middleware and the figures
        return None


@routes.get("/statistieken")
async def statistics(request: web.Request) -> web.Response:
    figures = await _figures(request)
    if figures is None:
        return refusal(request, NO_RIGHT)
    return render(
        request,
        "stats.html",
        stats=figures,
        periods=PERIODS,
        period=period_label(figures.days),
        roles=[(role_label(role), number) for role, number in figures.by_role],
        schools=school_rows(figures, school_namer(services(request).matcher.kb)),
        fallback_share=percent(figures.fallback_rate),
        chart=CHART_PATH,
        chart_caption=chart_caption(figures),
    )


@routes.get(CHART_PATH)
async def chart(request: web.Request) -> web.Response:
    """The chat's PNG of the last weeks (whatever the period), drawn off the event loop."""
    try:
        weeks = await services(request).stats.weeks(authority(request), now(request))
    except PermissionError:
        return refusal(request, NO_RIGHT)
    series = tuple(Point(week.monday, week.asked, week.fallback) for week in weeks)
    png = await asyncio.to_thread(chart_png, series)
    return web.Response(body=png, content_type="image/png")
