"""Import a file in the web view: the same checks, preview and import as a file sent in chat
(bot/services/file_imports.py, the code of ``events import`` / ``kb import``).

Between the preview and "Importeren" the file travels back in the form itself (base64), so nothing
is kept on the server and any instance behind a load balancer can take the second step; ``run``
checks the file again before it writes anything, so a changed form imports nothing unchecked.
"""

from __future__ import annotations

import base64
import binascii

from aiohttp import web
from markupsafe import Markup

from bot import import_text
from bot.services.file_imports import FileKind, FilePreview, suffix_kind
from bot.web.context import authority, now, services
from bot.web.render import render

routes = web.RouteTableDef()
TABLE_KINDS: tuple[FileKind, ...] = ("contact", "school", "faq")
KINDS: dict[str, FileKind] = {kind: kind for kind in ("ics", *TABLE_KINDS)}
INCOMPLETE = "Dit formulier is niet compleet. Kies het bestand opnieuw."
ASK_KIND = "Aan de kolommen zie ik niet wat er in dit bestand staat. Kies hieronder wat het is en stuur het opnieuw."
KIND_CHOICES = (("", "Zie ik aan de kolommen"), *((kind, import_text.kind_label(kind)) for kind in TABLE_KINDS))


def telegram_html(text: str) -> Markup:
    """A text of bot/import_text.py: already escaped for Telegram's HTML (which is valid HTML)."""
    return Markup(text.replace("\n", "<br>"))


def _result(request: web.Request, text: str, status: int = 400, imported: bool = False) -> web.Response:
    return render(request, "import_result.html", status=status, text=telegram_html(text), imported=imported)


def _form(request: web.Request, status: int = 200, message: str = "", kind: str = "") -> web.Response:
    return render(request, "import.html", status=status, message=message, kind=kind, choices=KIND_CHOICES)


@routes.get("/importeren")
async def import_form(request: web.Request) -> web.Response:
    return _form(request, kind=request.query.get("soort", ""))


@routes.post("/importeren")
async def preview(request: web.Request) -> web.Response:
    form = await request.post()
    upload, chosen = form.get("bestand"), form.get("soort", "")
    if not isinstance(upload, web.FileField) or not upload.filename:
        return _form(request, 400, "Kies eerst een bestand.")
    name = upload.filename
    content = upload.file.read(services(request).settings.chat_file_max_bytes + 1)
    kind = await _kind(request, name, content, chosen if isinstance(chosen, str) else "")
    if isinstance(kind, web.Response):
        return kind
    checked = await services(request).file_imports.preview(authority(request), name, content, kind, now(request))
    return _previewed(request, name, content, checked)


async def _kind(request: web.Request, name: str, content: bytes, chosen: str) -> FileKind | web.Response:
    """The file's kind, or the form again with the Dutch reason (too big, not importable, ask the kind)."""
    limit = services(request).settings.chat_file_max_bytes
    if len(content) > limit:
        return _form(request, 413, import_text.too_big(limit))
    importable = suffix_kind(name)
    if importable is None:
        return _form(request, 400, import_text.NOT_IMPORTABLE)
    if importable == "ics":
        return "ics"
    if chosen in TABLE_KINDS:
        return KINDS[chosen]
    found, problems = await services(request).file_imports.table_kind(name, content)
    if problems:
        return _result(request, import_text.errors_text(name, problems))
    return found if found is not None else _form(request, 400, ASK_KIND)


def _previewed(request: web.Request, name: str, content: bytes, checked: FilePreview) -> web.Response:
    if checked.errors:
        return _result(request, import_text.errors_text(name, checked.errors))
    partnerships = services(request).knowledge.kb.partnerships
    found = partnerships.get(authority(request).partnership)
    text = import_text.preview_text(name, checked, found.short_name if found else authority(request).partnership)
    encoded = base64.b64encode(content).decode()
    page = "import_preview.html"
    return render(request, page, text=telegram_html(text), name=name, kind=checked.kind, content=encoded)


@routes.post("/importeren/bevestigen")
async def run(request: web.Request) -> web.Response:
    form = await request.post()
    name, kind, encoded = form.get("naam"), KINDS.get(str(form.get("soort"))), form.get("inhoud")
    if not isinstance(name, str) or kind is None or not isinstance(encoded, str):
        return _form(request, 400, INCOMPLETE)
    try:
        content = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return _form(request, 400, INCOMPLETE)
    if len(content) > services(request).settings.chat_file_max_bytes:
        return _form(request, 413, import_text.too_big(services(request).settings.chat_file_max_bytes))
    done = await services(request).file_imports.run(authority(request), name, content, kind, now(request))
    if isinstance(done, FilePreview):
        return _result(request, import_text.errors_text(name, done.errors))
    return _result(request, import_text.imported_text(name, done), status=200, imported=True)
