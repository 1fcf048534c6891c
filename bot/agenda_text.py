"""What users read about the agenda (Dutch, HTML-escaped): reminders, cancellations, /agenda, answers.

Pure functions of plain data; handlers, the dispatcher and the CLI all render through here.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from bot.agenda_questions import CATEGORIES
from bot.services.agenda import EventView
from bot.services.schedule import dutch_when

MAX_LISTED = 10
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


def agenda_text(events: Sequence[EventView] | None) -> str:
    if events is None:
        return "Je hebt nog geen profiel. Met /start kies je je partnerschap; dan zie je hier je agenda."
    if not events:
        return f"Er staat nog niets in jouw agenda. {ASK_ELSEWHERE}"
    lines = ["<b>Jouw agenda</b>"]
    for event in events[:MAX_LISTED]:
        lines.append(f"\n• <b>{html.escape(event.title)}</b> ({CATEGORIES[event.category]})\n  {_line(event)}")
        lines.append(f"  {rsvp_line(event.my_rsvp)}")
    return "\n".join(lines)
