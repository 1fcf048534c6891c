"""/berichten: write a broadcast, see the exact number of recipients and a preview before
"Versturen", follow its progress and report, and cancel a planned one.

The same service as the chat's /bericht and /berichten (bot.services.broadcasts): the page writes
the coordinator's draft (the one the chat uses too), sets its audience and moment, and "Versturen"
confirms it, which queues the outbox rows the dispatcher sends. A second "Versturen" finds no draft
any more, so it sends nothing twice. Text typed here is plain text: it is escaped into the message's
Telegram HTML, so what the coordinator typed is what the recipients read; pages show a broadcast's
text escaped, as text.
"""

from __future__ import annotations

import html
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from bot.agenda_questions import CATEGORIES
from bot.services import Audience, BroadcastView
from bot.services.broadcasts import (
    EmptyAudience,
    NotAllowed,
    NothingToSend,
    cancellable,
    excerpt,
    max_body_length,
    moment_text,
    plain,
    recipients_text,
    report_lines,
    roles_in,
    state_line,
)
from bot.services.dutch_dates import EXAMPLE, WhenError, parse_when
from bot.services.roles import ROLES
from bot.web.context import authority, now, services
from bot.web.render import Refused, refusal, render
from db.broadcast_repositories import CONCEPT, SCHEDULED

routes = web.RouteTableDef()
LISTED = 20  # recent broadcasts on the page (the chat shows 5)
LARGEST_ID = 2**31 - 1  # larger ids in a URL exist nowhere (and would not fit the column)
NOT_YOURS = "Dit bericht is niet van jouw partnerschap (of een concept van iemand anders). Er is niets veranderd."
NOT_FOUND = "Dit bericht bestaat niet (meer)."
DONE_MESSAGES = {  # ?klaar=... after a POST; never raw input
    "verstuurd": "Je bericht staat klaar en wordt nu verstuurd. Hieronder zie je de voortgang.",
    "gepland": "Je bericht is gepland. Tot het moment van versturen kun je het hier annuleren.",
    "al-verstuurd": "Dit bericht was al verstuurd of gepland: er is niets dubbel verstuurd.",
    "geannuleerd": "Het geplande bericht is geannuleerd: er wordt niets verstuurd.",
    "niet-gepland": "Dit bericht is niet (meer) gepland, dus niet geannuleerd.",
    "weggegooid": "Het concept is weggegooid: er is niets verstuurd.",
    "weg": "Dit concept bestaat niet meer of is al verstuurd.",
}
BLANK_FORM: dict[str, Any] = {"tekst": "", "publiek": "", "rollen": [], "school": "", "soort": "", "wanneer": ""}


def _done(request: web.Request) -> str | None:
    return DONE_MESSAGES.get(request.query.get("klaar", ""))


def _broadcast_id(request: web.Request) -> int:
    broadcast_id = int(request.match_info["id"])  # the route only matches digits
    if broadcast_id > LARGEST_ID:
        raise web.HTTPNotFound()
    return broadcast_id


async def _shown(request: web.Request) -> BroadcastView:
    """The broadcast of the URL, when it is the coordinator's partnership's; else a 403 or 404 page."""
    try:
        found = await services(request).broadcasts.show(authority(request), _broadcast_id(request))
    except NotAllowed:
        raise Refused(NOT_YOURS) from None
    if found is None:
        raise Refused(NOT_FOUND, status=404)
    return found


def _sentence(reason: str) -> str:
    """A service's reason ("dat moment is al voorbij") as a sentence."""
    return reason[:1].upper() + reason[1:] + ("" if reason.endswith(".") else ".")


def _form_values(form: MultiMapping[Any]) -> dict[str, Any]:
    def text(name: str) -> str:
        value = form.get(name, "")
        return value if isinstance(value, str) else ""

    return {
        "tekst": text("tekst").replace("\r\n", "\n"),
        "publiek": text("publiek"),
        "rollen": [value for value in form.getall("rol", []) if isinstance(value, str)],
        "school": text("school"),
        "soort": text("soort"),
        "wanneer": text("wanneer").strip(),
    }


def _audience(values: dict[str, Any]) -> Audience:
    kind = values["publiek"]
    if kind == "rollen":
        roles = roles_in(values["rollen"])
        if not roles:
            raise NothingToSend("kies minstens één rol")
        return Audience(roles=roles)
    if kind == "school":
        if not values["school"]:
            raise NothingToSend("kies een school")
        return Audience(school_id=values["school"])
    if kind == "soort":
        if not values["soort"]:
            raise NothingToSend("kies een soort bijeenkomst")
        return Audience(category=values["soort"])
    if kind != "alle":
        raise NothingToSend("kies wie het bericht krijgt")
    if values["rollen"] or values["school"] or values["soort"]:  # which did they mean? Never guess "everyone".
        raise NothingToSend("je koos ‘Iedereen’ en ook een rol, school of soort; kies één publiek")
    return Audience()


async def _overview(
    request: web.Request, status: int = 200, form: dict[str, Any] | None = None, error: str | None = None
) -> web.Response:
    """The list and the form (``form``: what was typed, shown again with ``error``)."""
    actor = authority(request)
    broadcasts = services(request).broadcasts
    moment = now(request)
    planned = await broadcasts.planned(actor, moment)
    waiting = {view.id for view in planned}
    recent = [view for view in await broadcasts.recent(actor, LISTED) if view.id not in waiting]
    return render(
        request,
        "broadcasts.html",
        status=status,
        planned=planned,
        recent=recent,
        now=moment,
        roles=ROLES,
        categories=CATEGORIES,
        schools=broadcasts.schools(actor.partnership),
        example=EXAMPLE,
        limit=max_body_length(broadcasts.partnership_name(actor.partnership)),
        done=_done(request),
        values=form or BLANK_FORM,
        error=error,
        **_texts(),
    )


def _texts() -> dict[str, Any]:
    """The service's Dutch wording, for the templates."""
    return {
        "moment_text": moment_text,
        "recipients_text": recipients_text,
        "state_line": state_line,
        "report_lines": report_lines,
        "plain": plain,
        "excerpt": excerpt,
        "cancellable": cancellable,
    }


@routes.get("/berichten")
async def overview(request: web.Request) -> web.Response:
    return await _overview(request)


@routes.post("/berichten")
async def compose(request: web.Request) -> web.Response:
    """Write the coordinator's draft (text, audience, moment), then the confirmation page."""
    actor = authority(request)
    broadcasts = services(request).broadcasts
    values = _form_values(await request.post())
    moment = now(request)
    text = values["tekst"].strip()
    limit = max_body_length(broadcasts.partnership_name(actor.partnership))
    try:
        if not text:
            raise NothingToSend("typ eerst een bericht")
        if len(text) > limit:
            raise NothingToSend(f"je bericht is te lang ({len(text)} tekens, hooguit {limit}); maak het korter")
        audience = _audience(values)
        due = parse_when(values["wanneer"], moment).start if values["wanneer"] else None
        draft = await broadcasts.compose(actor, html.escape(text, quote=False), audience, due, moment)
    except WhenError as error:
        return await _overview(request, status=400, form=values, error=str(error))
    except NothingToSend as error:
        return await _overview(request, status=400, form=values, error=_sentence(str(error)))
    except NotAllowed:
        return refusal(request, NOT_YOURS)
    raise web.HTTPSeeOther(f"/berichten/{draft.id}/bevestigen")


@routes.get(r"/berichten/{id:\d+}/bevestigen")
async def confirmation(request: web.Request) -> web.Response:
    """The message as recipients get it, who and how many (counted now), when; then "Versturen"."""
    view = await _shown(request)
    if view.status != CONCEPT:
        raise web.HTTPSeeOther(f"/berichten/{view.id}")
    return _confirmation_page(request, view)


def _confirmation_page(request: web.Request, view: BroadcastView, error: str | None = None) -> web.Response:
    broadcasts = services(request).broadcasts
    return render(
        request,
        "broadcasts_confirm.html",
        status=400 if error else 200,
        view=view,
        partnership_long=broadcasts.partnership_name(view.partnership),
        error=error,
        **_texts(),
    )


@routes.post(r"/berichten/{id:\d+}/versturen")
async def send(request: web.Request) -> web.Response:
    view = await _shown(request)
    try:
        sent = await services(request).broadcasts.confirm(authority(request), view.id, now(request))
    except NotAllowed:
        return refusal(request, NOT_YOURS)
    except EmptyAudience:
        return _confirmation_page(
            request, view, "Er is niemand in dit publiek die het kan krijgen. Kies een ander publiek."
        )
    except NothingToSend as error:
        # Read again: a second "Versturen" that arrived together with the first saw a draft too.
        try:
            again = await _shown(request)
        except Refused:
            raise web.HTTPSeeOther("/berichten?klaar=weg") from None
        if again.status == CONCEPT:  # still a draft: its text is empty
            return _confirmation_page(request, again, _sentence(str(error)))
        raise web.HTTPSeeOther(f"/berichten/{again.id}?klaar=al-verstuurd") from None
    raise web.HTTPSeeOther(f"/berichten/{sent.id}?klaar={'gepland' if sent.status == SCHEDULED else 'verstuurd'}")


@routes.post(r"/berichten/{id:\d+}/weggooien")
async def discard(request: web.Request) -> web.Response:
    """ "Annuleren" on the confirmation page: the draft goes, nothing was sent."""
    view = await _shown(request)
    if view.status != CONCEPT:
        raise web.HTTPSeeOther(f"/berichten/{view.id}?klaar=al-verstuurd")
    thrown = await services(request).broadcasts.discard(authority(request), view.id)
    raise web.HTTPSeeOther(f"/berichten?klaar={'weggegooid' if thrown else 'weg'}")


@routes.get(r"/berichten/{id:\d+}")
async def detail(request: web.Request) -> web.Response:
    """Progress (sent / waiting / failed / blocked) and the report, as the chat shows it."""
    view = await _shown(request)
    if view.status == CONCEPT:
        raise web.HTTPSeeOther(f"/berichten/{view.id}/bevestigen")
    return render(request, "broadcasts_detail.html", view=view, now=now(request), done=_done(request), **_texts())


@routes.get(r"/berichten/{id:\d+}/annuleren")
async def ask_cancel(request: web.Request) -> web.Response:
    view = await _shown(request)
    if not cancellable(view.status, view.due_at, now(request)):
        raise web.HTTPSeeOther(f"/berichten/{view.id}?klaar=niet-gepland")
    return render(request, "broadcasts_cancel.html", view=view, **_texts())


@routes.post(r"/berichten/{id:\d+}/annuleren")
async def cancel(request: web.Request) -> web.Response:
    try:
        cancelled = await services(request).broadcasts.cancel(authority(request), _broadcast_id(request), now(request))
    except NotAllowed:
        return refusal(request, NOT_YOURS)
    if cancelled is None:
        view = await _shown(request)
        raise web.HTTPSeeOther(f"/berichten/{view.id}?klaar=niet-gepland")
    raise web.HTTPSeeOther(f"/berichten/{cancelled.id}?klaar=geannuleerd")
