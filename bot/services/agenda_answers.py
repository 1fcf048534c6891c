"""The agenda's answer to "wanneer is de volgende intervisie?", shaped like a knowledge-base answer."""

from __future__ import annotations

from bot.agenda_questions import CATEGORIES
from bot.services.agenda import EventView
from bot.services.schedule import dutch_when
from knowledge import Answer
from knowledge.models import Partnership


def next_event_text(category: str, event: EventView | None, partnership_name: str | None, where_to_ask: str) -> str:
    """The answer to "wanneer is de volgende …?": only what the agenda says, never a guessed date."""
    name = CATEGORIES[category]
    if event is None:
        scope = f" van {partnership_name}" if partnership_name else ""
        return f"Er staat nog geen {name} gepland in de agenda{scope}. {where_to_ask}"
    when = dutch_when(event.start, event.end, event.location)
    return f"De volgende {name}: {event.title}, {when}."


def next_event_answer(category: str, event: EventView | None, partnership: Partnership) -> Answer:
    """The agenda's answer in the shape of a knowledge-base answer (rendered and logged the same way)."""
    return Answer(
        text=next_event_text(category, event, partnership.name, partnership.where_to_ask),
        confidence=1.0,
        matched=f"agenda:{category}",
        fallback=event is None,
        kind="entry",
        partnership=partnership.slug,
        explanation="uit de agenda",
    )
