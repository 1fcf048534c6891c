"""Templates: Jinja2 with autoescape on, so everything typed (titles, names from imports) is escaped."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from jinja2 import Environment, PackageLoader, select_autoescape

from bot.services.web_access import csrf_token
from bot.web.context import AUTHORITY, SESSION_TOKEN, TEMPLATES, services

PAGES = (  # (path, label) of the menu; a page module adds its routes in bot/web/server.py
    ("/", "Overzicht"),
    ("/agenda", "Agenda"),
    ("/berichten", "Berichten"),
    ("/vragen", "Vragen"),
    ("/kennis", "Kennis"),
    ("/statistieken", "Statistieken"),
    ("/importeren", "Importeren"),
)


def templates() -> Environment:
    environment = Environment(
        loader=PackageLoader("bot.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment


def render(request: web.Request, template: str, status: int = 200, **values: Any) -> web.Response:
    """A page with the menu, the partnership's name and the form's CSRF token filled in."""
    authority = request.get(AUTHORITY)
    partnerships = services(request).knowledge.kb.partnerships
    session_token = request.get(SESSION_TOKEN)
    page = request.app[TEMPLATES].get_template(template)
    text = page.render(
        authority=authority,
        partnership_name=partnerships[authority.partnership].short_name
        if authority is not None and authority.partnership in partnerships
        else None,
        csrf=csrf_token(session_token) if isinstance(session_token, str) else "",
        pages=PAGES if authority is not None else (),
        current=request.path,
        **values,
    )
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


NO_RIGHT = "Je bent geen coördinator meer van dit partnerschap."


class Refused(Exception):
    """Raised where a page cannot go on (another partnership's id, something gone): the guard in
    ``auth`` shows ``message`` as a Dutch page with ``status``, and nothing else happens."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def refusal(request: web.Request, message: str, status: int = 403) -> web.Response:
    """A Dutch page for 403, 404 and the like (never aiohttp's English one)."""
    return render(request, "refusal.html", status=status, message=message)
