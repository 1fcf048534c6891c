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
    events, first = await found.agenda.next_managed(actor, now(request), NEXT_EVENTS)
    inbox = await found.question_inbox.page(actor)
    upcoming = [(event.title, dutch_when(event.start, event.end, event.location)) for event in first]
    return render(request, "home.html", events=events, upcoming=upcoming, inbox=inbox)
