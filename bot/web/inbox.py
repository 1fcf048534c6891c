"""/vragen: the question inbox on the web, on the same service as the chat's /vragen.

The groups of open questions with their counts (paged as in the chat), one group's answer form, a
preview of what the askers get, and "Versturen". The answer being written is the coordinator's one
draft (``InboxDraft``), shared with the chat: taking up a group here takes the draft over, and
"Versturen" sends only the answer the preview showed (an answer changed meanwhile in the chat is not
sent unseen). Another partnership's question id gets a Dutch 403 from the service, and nothing changes.
"""

from __future__ import annotations

from aiohttp import web
from markupsafe import Markup

from bot.inbox_text import GONE, TOO_SHORT, people, sent_answer, too_long
from bot.services.question_inbox import MAX_ANSWER, PAGE_SIZE, DraftView, answer_fault, answer_message, quoted
from bot.services.schedule import dutch_date, local
from bot.web.context import authority, now, services
from bot.web.render import Refused, refusal, render

routes = web.RouteTableDef()

MAX_QUESTION_ID = 2**63 - 1
NOT_YOURS = "Deze vraag hoort niet bij jouw partnerschap."
DONE = {
    "geannuleerd": "Oké, er is niets verstuurd. De vraag blijft in de vragenbus staan.",
    "weg": GONE,
    "al-verstuurd": "Dit antwoord is al verstuurd.",
}
CHANGED = (
    "Je antwoord is intussen gewijzigd (in de chat of in een ander venster), of de vraag is veranderd. "
    "Bekijk het voorbeeld opnieuw voordat je verstuurt."
)
FAULTS = {"short": TOO_SHORT, "long": too_long()}


def _number(text: str | None, default: int = 0) -> int:
    return int(text) if text is not None and text.isdigit() and len(text) < 9 else default


def _question_id(request: web.Request) -> int:
    """A question's id from the path (they are large: made by the application, BIGINT)."""
    text = request.match_info["vraag"]
    if not text.isdigit() or len(text) > 19 or int(text) > MAX_QUESTION_ID:
        raise web.HTTPNotFound()
    return int(text)


def _partnership_name(request: web.Request) -> str:
    actor = authority(request)
    found = services(request).knowledge.kb.partnerships.get(actor.partnership)
    return found.short_name if found is not None else actor.partnership


def _done_message(request: web.Request) -> str | None:
    done = request.query.get("klaar")
    if done == "verstuurd":
        return "Verstuurd: " + sent_answer(
            _number(request.query.get("ontvangers")), _number(request.query.get("vragen"))
        )
    return DONE.get(done or "")


@routes.get("/vragen")
async def inbox(request: web.Request) -> web.Response:
    wanted = max(_number(request.query.get("pagina"), 1), 1)
    try:
        page = await services(request).question_inbox.page(authority(request), wanted - 1)
    except PermissionError:
        return refusal(request, NOT_YOURS)
    first = page.page * PAGE_SIZE
    groups = [
        {
            "number": number,
            "question_id": group.question_id,
            "text": quoted(group.text),
            "count": group.count,
            "last": dutch_date(local(group.newest_at).date()),
        }
        for number, group in enumerate(page.groups, start=first + 1)
    ]
    return render(request, "inbox.html", page=page, groups=groups, done=_done_message(request))


async def _group(request: web.Request, question_id: int) -> DraftView:
    try:
        view = await services(request).question_inbox.group(authority(request), question_id)
    except PermissionError:
        raise Refused(NOT_YOURS) from None
    if view is None:
        raise web.HTTPSeeOther("/vragen?klaar=weg")
    return view


def _form(
    request: web.Request, view: DraftView, answer: str | None, error: str | None, status: int = 200
) -> web.Response:
    return render(
        request,
        "inbox_answer.html",
        status=status,
        view=view,
        question=quoted(view.question),
        reach=people(view.recipients),
        answer=answer if answer is not None else (view.answer or ""),
        error=error,
        max_answer=MAX_ANSWER,
    )


@routes.get("/vragen/{vraag:\\d+}")
async def answer_form(request: web.Request) -> web.Response:
    found = await _group(request, _question_id(request))
    return _form(request, found, None, CHANGED if request.query.get("fout") == "gewijzigd" else None)


@routes.post("/vragen/{vraag:\\d+}")
async def write_answer(request: web.Request) -> web.Response:
    """The typed answer becomes the coordinator's draft for this group; then the preview."""
    question_id = _question_id(request)
    typed = (await request.post()).get("antwoord")
    answer = typed if isinstance(typed, str) else ""
    fault = answer_fault(answer)
    inbox_service = services(request).question_inbox
    if fault is not None:
        found = await _group(request, question_id)
        return _form(request, found, answer, FAULTS[fault], status=400)
    try:
        view = await inbox_service.prepare(authority(request), question_id, answer, now(request))
    except PermissionError:
        return refusal(request, NOT_YOURS)
    if view is None:
        raise web.HTTPSeeOther("/vragen?klaar=weg")
    raise web.HTTPSeeOther(f"/vragen/{view.question_id}/voorbeeld")


@routes.get("/vragen/{vraag:\\d+}/voorbeeld")
async def preview(request: web.Request) -> web.Response:
    question_id = _question_id(request)
    found = await _group(request, question_id)
    if not found.answer:  # nothing typed (any more): back to the form
        raise web.HTTPSeeOther(f"/vragen/{question_id}")
    # answer_message escapes every value it puts in its few tags (<i>): the same HTML the askers
    # get in Telegram, shown as they will see it.
    message = Markup(answer_message(found.question, found.answer, _partnership_name(request)))
    return render(request, "inbox_preview.html", view=found, message=message, reach=people(found.recipients))


@routes.post("/vragen/{vraag:\\d+}/versturen")
async def send(request: web.Request) -> web.Response:
    question_id = _question_id(request)
    version = (await request.post()).get("versie")
    if not isinstance(version, str) or not version:
        raise web.HTTPSeeOther(f"/vragen/{question_id}?fout=gewijzigd")
    inbox_service = services(request).question_inbox
    actor = authority(request)
    try:
        answered = await inbox_service.send(actor, question_id, now(request), version=version)
    except PermissionError:
        return refusal(request, NOT_YOURS)
    if answered is None:
        if await inbox_service.is_answered(actor, question_id):
            raise web.HTTPSeeOther("/vragen?klaar=al-verstuurd")
        raise web.HTTPSeeOther(f"/vragen/{question_id}?fout=gewijzigd")
    raise web.HTTPSeeOther(f"/vragen?klaar=verstuurd&vragen={answered.questions}&ontvangers={answered.recipients}")


@routes.post("/vragen/annuleren")
async def cancel(request: web.Request) -> web.Response:
    """Drop the coordinator's draft (the chat's too: it is the same one)."""
    await services(request).question_inbox.cancel(authority(request))
    raise web.HTTPSeeOther("/vragen?klaar=geannuleerd")
