"""What users read about the agenda (Dutch, HTML-escaped): reminders, cancellations, /agenda, answers.

Pure functions of plain data; handlers, the dispatcher and the CLI all render through here.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from bot.agenda_questions import CATEGORIES
from bot.rendering import TELEGRAM_LIMIT
from bot.services.agenda import EventView
from bot.services.roles import ROLES
from bot.services.schedule import dutch_when

MAX_LISTED = 10
MAX_FIELD = 1500  # a title or a place longer than this is cut in /agenda, so one event fits a message
ASK_ELSEWHERE = "Vraag het je schoolopleider of de coördinator van je partnerschap."


def _line(event: EventView) -> str:
    return html.escape(dutch_when(event.start, event.end, event.location))


def reminder_text(event: EventView) -> str:
    return f"🔔 Herinnering: <b>{html.escape(event.title)}</b>\n{_line(event)}\n\nKom je?"


def cancelled_text(event: EventView) -> str:
    return f"❌ Gaat niet door: <b>{html.escape(event.title)}</b>\n{_line(event)}"


def rsvp_line(my_rsvp: bool | None) -> str:
    if my_rsvp is None:
        return "nog niet geantwoord"
    return "je komt ✅" if my_rsvp else "je kunt niet ❌"


def _cut(text: str, limit: int = MAX_FIELD) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def agenda_messages(events: Sequence[EventView] | None, limit: int | None = TELEGRAM_LIMIT) -> list[str]:
    """/agenda as messages of at most ``limit`` characters each (long titles and places make long
    agendas): split between events, never inside one; a single event is at most a few thousand."""
    if events is None:
        return ["Je hebt nog geen profiel. Met /start kies je je partnerschap; dan zie je hier je agenda."]
    if not events:
        return [f"Er staat nog niets in jouw agenda. {ASK_ELSEWHERE}"]
    messages, current = [], "<b>Jouw agenda</b>"
    for event in events[:MAX_LISTED]:
        when = html.escape(_cut(dutch_when(event.start, event.end, event.location)))
        block = (
            f"\n\n• <b>{html.escape(_cut(event.title))}</b> ({CATEGORIES[event.category]})\n  {when}"
            f"\n  {rsvp_line(event.my_rsvp)}"
        )
        if limit is not None and len(current) + len(block) > limit:
            messages.append(current)
            current = block.lstrip("\n")
        else:
            current += block
    messages.append(current)
    return messages


# -- coordinators ----------------------------------------------------------------------------------

MANAGED_LIMIT = 3800  # the overview stays below Telegram's 4096 characters


def audience_text(audience: Sequence[str] | None) -> str:
    if not audience:
        return "het hele partnerschap"
    return ", ".join(ROLES.get(role, role) for role in audience)


def counts_line(event: EventView) -> str:
    return f"Ik kom: {event.rsvp_yes} · Ik kan niet: {event.rsvp_no}"


def managed_agenda_text(events: Sequence[EventView], partnership_name: str) -> tuple[str, int]:
    """The coordinator's overview and how many events it lists (those get a button each)."""
    head = f"<b>Beheer: agenda van {html.escape(partnership_name)}</b>"
    if not events:
        return f"{head}\nEr staan geen komende bijeenkomsten in de agenda. Met /nieuw zet je er een in.", 0
    lines = [head, "Tik op een bijeenkomst om die te wijzigen of af te gelasten. Met /nieuw zet je er een bij."]
    size, shown = sum(len(line) + 1 for line in lines), 0
    for number, event in enumerate(events[:MAX_LISTED], start=1):
        block = (
            f"\n{number}. <b>{html.escape(event.title)}</b> ({CATEGORIES[event.category]})\n"
            f"   {_line(event)}\n   {counts_line(event)}"
        )
        if size + len(block) > MANAGED_LIMIT:
            break
        lines.append(block)
        size += len(block) + 1
        shown += 1
    if shown < len(events):
        lines.append(f"\n… en nog {len(events) - shown} later.")
    return "\n".join(lines), shown


def managed_event_text(event: EventView) -> str:
    return (
        f"<b>{html.escape(event.title)}</b> ({CATEGORIES[event.category]})\n{_line(event)}\n"
        f"Voor: {html.escape(audience_text(event.audience))}\n{counts_line(event)}\n\nWat wil je doen?"
    )


def event_preview_text(title: str, category: str, when: str, location: str, audience: Sequence[str] | None) -> str:
    place = location or "geen plaats"
    return (
        "<b>Klopt dit?</b>\n"
        f"<b>{html.escape(title)}</b> ({CATEGORIES[category]})\n"
        f"{html.escape(when)}\n"
        f"Plaats: {html.escape(place)}\n"
        f"Voor: {html.escape(audience_text(audience))}\n\n"
        "Na opslaan krijgt iedereen voor wie het is op tijd een herinnering."
    )
