"""What a route finds on the application and the request (set in ``server`` and ``auth``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiohttp import web
from jinja2 import Environment

from bot.services import Authority, Services

SERVICES = web.AppKey("services", Services)
TEMPLATES = web.AppKey("templates", Environment)
# The dispatcher's last poll (bot/app.py), for /healthz.
LastPoll = Callable[[], datetime | None]
HEALTH: web.AppKey[LastPoll] = web.AppKey("health")
AUTHORITY = web.RequestKey("authority", Authority)  # the coordinator and partnership (bot.web.auth)
SESSION_TOKEN = web.RequestKey("session-token", str)  # the session cookie's token (for the CSRF token)


def services(request: web.Request) -> Services:
    return request.app[SERVICES]


def now(request: web.Request) -> datetime:
    return request.app[SERVICES].clock()


def authority(request: web.Request) -> Authority:
    if AUTHORITY not in request:
        raise web.HTTPForbidden()
    return request[AUTHORITY]
