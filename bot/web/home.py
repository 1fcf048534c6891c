"""The overview: where the coordinator is, and the way to each page."""

from __future__ import annotations

from aiohttp import web

from bot.web.render import render

routes = web.RouteTableDef()


@routes.get("/")
async def overview(request: web.Request) -> web.Response:
    return render(request, "home.html")
