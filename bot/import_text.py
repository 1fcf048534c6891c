"""What a coordinator reads about a file sent in chat to import (Dutch, HTML-escaped, one message).

Pure functions of the plain data bot/services/file_imports.py returns; handlers/files.py sends them.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from bot.rendering import TELEGRAM_LIMIT
from bot.services.file_imports import FileImported, FileKind, FilePreview
from bot.services.ics import plain

# Room for the header and the closing line: the errors are cut well below Telegram's limit.
ERRORS_BUDGET = TELEGRAM_LIMIT - 600
MAX_ERROR = 500  # one error line (a long cell value in it) is cut to this
MAX_NAME = 80
NOUNS = {
    "ics": ("bijeenkomst", "bijeenkomsten"),
    "contact": ("contactpersoon", "contactpersonen"),
    "school": ("school", "scholen"),
    "faq": ("vraag", "vragen"),
}
KIND_NAMES = {"contact": "contactpersonen", "school": "scholen", "faq": "vragen en antwoorden"}
WHAT_TO_SEND = (
    "Je kunt mij een agenda sturen als .ics-bestand, of contactpersonen, scholen of vragen en antwoorden "
    "als .csv- of .xlsx-bestand (zie de README voor de kolommen)."
)
NOT_IMPORTABLE = "Dit soort bestand kan ik niet importeren. " + WHAT_TO_SEND
NOT_A_COORDINATOR = (
    "Bestanden importeren kan alleen een coördinator van het partnerschap. Ik heb er niets mee gedaan. "
    "Heb je een vraag? Typ hem dan gewoon."
)
IN_A_GROUP = "Bestanden importeren doe je in een privégesprek met mij; hier doe ik er niets mee."
ASK_KIND = "Wat staat er in <b>{name}</b>? Aan de kolommen zie ik het niet."
CANCELLED = "Geannuleerd: er is niets geïmporteerd uit <b>{name}</b>."
GONE = "Dit bestand is al geïmporteerd of geannuleerd. Stuur het opnieuw als je het (nog eens) wilt importeren."
DOWNLOAD_FAILED = "Ik kon het bestand niet ophalen bij Telegram. Stuur het over een paar minuten opnieuw."


def count(number: int, kind: str) -> str:
    one, many = NOUNS[kind]
    return f"{number} {one if number == 1 else many}"


def shown_name(file_name: str) -> str:
    name = plain(file_name)
    return html.escape(name if len(name) <= MAX_NAME else name[: MAX_NAME - 1] + "…")


def too_big(limit_bytes: int) -> str:
    megabytes = limit_bytes / 1_000_000
    shown = f"{megabytes:g} MB" if megabytes >= 1 else f"{limit_bytes // 1000} kB"
    return f"Dit bestand is te groot: ik neem bestanden tot {shown} aan. Er is niets geïmporteerd."


def errors_text(file_name: str, errors: Sequence[str]) -> str:
    """The errors as the command line prints them (row and column, or event and line), cut to fit one
    message: "… en nog N fouten"."""
    lines: list[str] = []
    used = 0
    for error in errors:
        line = "• " + html.escape(error if len(error) <= MAX_ERROR else error[: MAX_ERROR - 1] + "…")
        if used + len(line) > ERRORS_BUDGET:
            break
        lines.append(line)
        used += len(line) + 1
    rest = len(errors) - len(lines)
    if rest:
        lines.append(f"… en nog {rest} {'fout' if rest == 1 else 'fouten'}")
    found = f"{len(errors)} {'fout' if len(errors) == 1 else 'fouten'}"
    header = f"❌ <b>{shown_name(file_name)}</b> kan ik niet importeren ({found}):"
    footer = "Er is niets geïmporteerd. Verbeter het bestand en stuur het opnieuw."
    return "\n".join([header, *lines, "", footer])


def preview_text(file_name: str, preview: FilePreview, partnership_name: str) -> str:
    """ "12 bijeenkomsten, 340 herinneringen gepland" / "8 contactpersonen, 2 bijgewerkt", then the question."""
    name = shown_name(file_name)
    where = html.escape(partnership_name)
    if preview.calendar is not None:
        c = preview.calendar
        reminders = f"{c.reminders} {'herinnering' if c.reminders == 1 else 'herinneringen'} gepland"
        parts = [f"{c.added} nieuw", f"{c.updated} bijgewerkt"]
        if c.cancelled:
            parts.append(f"{c.cancelled} vervalt" if c.cancelled == 1 else f"{c.cancelled} vervallen")
        summary = f"{count(c.events, 'ics')}, {reminders} ({', '.join(parts)})"
        question = f"Importeren in de agenda van {where}?"
    else:
        assert preview.table is not None
        t = preview.table
        parts = [f"{t.new} nieuw", f"{t.updated} bijgewerkt"]
        if t.unchanged:
            parts.append(f"{t.unchanged} ongewijzigd")
        summary = f"{count(len(t.items), preview.kind)}, {', '.join(parts)}"
        question = f"Importeren in de kennisbank van {where}? Alleen gebruikers van je partnerschap krijgen het."
    return f"📄 <b>{name}</b>: {summary}.\n\n{question}"


def imported_text(file_name: str, done: FileImported) -> str:
    name = shown_name(file_name)
    if done.calendar is not None:
        r = done.calendar
        return (
            f"✅ Geïmporteerd uit <b>{name}</b>: {r.added} nieuw, {r.updated} bijgewerkt, {r.cancelled} vervallen. "
            "De herinneringen zijn gepland; /agenda toont de bijeenkomsten."
        )
    assert done.counts is not None
    same = done.total - done.counts.new - done.counts.updated
    return (
        f"✅ Geïmporteerd uit <b>{name}</b>: {count(done.total, done.kind)} ({done.counts.new} nieuw, "
        f"{done.counts.updated} bijgewerkt, {same} ongewijzigd). Ik gebruik het vanaf nu in mijn antwoorden."
    )


def ask_kind_text(file_name: str) -> str:
    return ASK_KIND.format(name=shown_name(file_name))


def kind_label(kind: FileKind) -> str:
    return KIND_NAMES.get(kind, kind).capitalize()


__all__ = [
    "CANCELLED",
    "DOWNLOAD_FAILED",
    "GONE",
    "IN_A_GROUP",
    "NOT_A_COORDINATOR",
    "NOT_IMPORTABLE",
    "ask_kind_text",
    "errors_text",
    "imported_text",
    "kind_label",
    "preview_text",
    "too_big",
]
