"""/kennis: what the partnership added to the knowledge base (imports, answers from the inbox).

On the same service as ``python -m bot kb``: the items of the coordinator's partnership by kind
(contact persons, schools, questions), an item's edit form (checked as an import row is) and its
removal after a confirmation, both audited; the running bot answers with the change at once (the
service reloads the index after the commit). An id only another partnership has gets a Dutch 403
from the service, and nothing changes.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.web.context import authority, now, services
from bot.web.render import NO_RIGHT, Refused, refusal, render
from knowledge.imports import COLUMNS
from knowledge.overlay import KINDS, OverlayItem, OverlayKind, lookup

routes = web.RouteTableDef()

PAGE_SIZE = 50
NOT_YOURS = "Dit item hoort niet bij jouw partnerschap."
KIND_LABELS: dict[OverlayKind, str] = {
    "contact": "Contactpersonen",
    "school": "Scholen",
    "faq": "Vragen en antwoorden",
}
DONE = {
    "gewijzigd": "Opgeslagen: de bot antwoordt vanaf nu met de nieuwe tekst.",
    "ongewijzigd": "Er was niets veranderd; er is niets opgeslagen.",
    "verwijderd": "Verwijderd: de bot antwoordt er niet meer mee.",
    "weg": "Dit item bestaat niet meer: misschien heeft een andere coördinator het verwijderd.",
}


def _kind(text: str | None) -> OverlayKind:
    return next((kind for kind in KINDS if kind == text), "contact")


def _number(text: str | None, default: int) -> int:
    return int(text) if text is not None and text.isdigit() and len(text) < 9 else default


def _label(column: str) -> str:
    return column[:1].upper() + column[1:]


def _title(item: OverlayItem) -> str:
    fields = item.fields
    if item.kind == "school":
        return " ".join(part for part in (fields.get("soort", ""), fields.get("naam", "")) if part)
    return fields.get("naam" if item.kind == "contact" else "vraag", item.entry_id)


def _school_name(request: web.Request, school_id: str) -> str:
    """A contact's school as its title (the overlay stores its id)."""
    found = lookup(services(request).matcher, school_id) if school_id else None
    return found.title if found is not None else school_id


def _shown(request: web.Request, item: OverlayItem) -> dict[str, Any]:
    """An item as the page lists it: its title, and its fields in the import's column order."""
    fields = []
    for column in COLUMNS[item.kind]:
        value = item.fields.get(column.name, "")
        if column.name == "school" and item.kind == "contact":
            value = _school_name(request, value)
        if value:
            fields.append((_label(column.name), value))
    return {
        "entry_id": item.entry_id,
        "path": "/kennis/" + quote(item.entry_id, safe=""),
        "title": _title(item),
        "fields": fields,
        "source": item.source,
        "kind": item.kind,
    }


@routes.get("/kennis")
async def knowledge(request: web.Request) -> web.Response:
    kind = _kind(request.query.get("soort"))
    try:
        items = await services(request).overlay.managed(authority(request))
    except PermissionError:  # the right went between the middleware and the listing
        return refusal(request, NO_RIGHT)
    counts = {k: sum(1 for i in items if i.kind == k) for k in KINDS}
    of_kind = [i for i in items if i.kind == kind]
    pages = max(1, math.ceil(len(of_kind) / PAGE_SIZE))
    page = min(max(_number(request.query.get("pagina"), 1), 1), pages) - 1
    shown = [_shown(request, i) for i in of_kind[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]]
    return render(
        request,
        "knowledge.html",
        kind=kind,
        kinds=[(k, KIND_LABELS[k], counts[k]) for k in KINDS],
        items=shown,
        page=page,
        page_count=pages,
        done=DONE.get(request.query.get("klaar") or ""),
    )


async def _item(request: web.Request) -> OverlayItem:
    try:
        found = await services(request).overlay.item(authority(request), request.match_info["item"])
    except PermissionError:
        raise Refused(NOT_YOURS) from None
    if found is None:
        raise web.HTTPSeeOther("/kennis?klaar=weg")
    return found


def _edit_form(
    request: web.Request, item: OverlayItem, values: dict[str, str], problems: list[str], status: int = 200
) -> web.Response:
    columns = [
        {
            "name": c.name,
            "label": _label(c.name),
            "required": c.required,
            "max": c.max_length,
            "value": values.get(c.name, ""),
        }
        for c in COLUMNS[item.kind]
    ]
    return render(
        request,
        "knowledge_item.html",
        status=status,
        item=_shown(request, item),
        kind_label=KIND_LABELS[item.kind],
        kind=item.kind,
        columns=columns,
        problems=problems,
    )


@routes.get("/kennis/{item}")
async def edit_form(request: web.Request) -> web.Response:
    found = await _item(request)
    values = dict(found.fields)
    if found.kind == "contact":
        values["school"] = _school_name(request, values.get("school", ""))
    return _edit_form(request, found, values, [])


@routes.post("/kennis/{item}")
async def edit(request: web.Request) -> web.Response:
    entry_id = request.match_info["item"]
    cells = {name: value for name, value in (await request.post()).items() if isinstance(value, str)}
    try:
        edited = await services(request).overlay.update(authority(request), entry_id, cells, now(request))
    except PermissionError:
        return refusal(request, NOT_YOURS)
    if edited.problems:
        found = await _item(request)
        return _edit_form(request, found, cells, [p.message for p in edited.problems], status=400)
    if edited.item is None:
        raise web.HTTPSeeOther("/kennis?klaar=weg")
    done = "gewijzigd" if edited.changed else "ongewijzigd"
    raise web.HTTPSeeOther(f"/kennis?soort={edited.item.kind}&klaar={done}")


@routes.get("/kennis/{item}/verwijderen")
async def confirm_removal(request: web.Request) -> web.Response:
    found = await _item(request)
    return render(request, "knowledge_remove.html", item=_shown(request, found), kind_label=KIND_LABELS[found.kind])


@routes.post("/kennis/{item}/verwijderen")
async def remove(request: web.Request) -> web.Response:
    kind = _kind(str((await request.post()).get("soort", "")))
    try:
        removed = await services(request).overlay.remove(authority(request), request.match_info["item"], now(request))
    except PermissionError:
        return refusal(request, NOT_YOURS)
    raise web.HTTPSeeOther(f"/kennis?soort={kind}&klaar={'verwijderd' if removed else 'weg'}")
