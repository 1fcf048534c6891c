"""The overview: the next events and the question inbox at a glance, and the way to each page."""

from __future__ import annotations

from aiohttp import web

from bot.services.schedule import dutch_when
from bot.web.context import authority, now, services
from bot.web.render import render

routes = web.RouteTableDef()
NEXT_EVENTS = 3


@routes.get("/")
async def overview(request: web.Request) -> web.Response:
    actor, found = authority(request), services(request)
    events = await found.agenda.managed(actor, now(request))
    inbox = await found.question_inbox.page(actor)
    upcoming = [(event.title, dutch_when(event.start, event.end, event.location)) for event in events[:NEXT_EVENTS]]
    return render(request, "home.html", events=len(events), upcoming=upcoming, inbox=inbox)
