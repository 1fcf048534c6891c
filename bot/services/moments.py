"""A moment typed in Dutch for a scheduled broadcast: "1 dec 15:00", "morgen 9:00", "2026-12-01 15:00".

Pure: no Telegram, no database. Read in Europe/Amsterdam; the result is aware. A moment that does not
exist or has passed is refused with a Dutch message saying what to type instead.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from bot.services.schedule import AMSTERDAM, MONTHS, WEEKDAYS

EXAMPLE = "Typ bijvoorbeeld ‘1 dec 15:00’, ‘morgen 9:00’, ‘1-12 15:00’ of ‘2026-12-01 15:00’."
CLOCK = re.compile(r"(?:\bom\s+)?\b([01]?\d|2[0-3])[:.]([0-5]\d)(?:\s*uur)?$")
ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
NUMERIC = re.compile(r"^(\d{1,2})[-/](\d{1,2})(?:[-/](\d{4}|\d{2}))?$")
NAMED = re.compile(r"^(\d{1,2})\s+([a-z]{3,})\.?(?:\s+(\d{4}))?$")
RELATIVE = {"vandaag": 0, "morgen": 1, "overmorgen": 2}


class MomentError(ValueError):
    """Not a usable moment; ``str(error)`` is the Dutch explanation."""


def _month(word: str) -> int:
    word = "maart" if word == "mrt" else word
    found = [number for number, name in enumerate(MONTHS, start=1) if name.startswith(word)]
    if len(found) != 1:
        raise MomentError(f"Ik ken de maand ‘{word}’ niet. {EXAMPLE}")
    return found[0]


def _day(year: int | None, month: int, day: int, today: date) -> date:
    try:
        if year is not None:
            return date(year, month, day)
        found = date(today.year, month, day)
        return found if found >= today else date(today.year + 1, month, day)
    except ValueError:
        raise MomentError(f"Die datum bestaat niet. {EXAMPLE}") from None


def parse_moment(text: str, now: datetime) -> datetime:
    """The moment in ``text`` (aware, Europe/Amsterdam); raises MomentError for anything unusable."""
    cleaned = " ".join(text.lower().replace(",", " ").split())
    clock = CLOCK.search(cleaned)
    if clock is None:
        raise MomentError(f"Ik mis de tijd (uu:mm). {EXAMPLE}")
    at = time(int(clock.group(1)), int(clock.group(2)))
    words = cleaned[: clock.start()].split()
    weekday = None
    if words and len(words[0].rstrip(".")) >= 2:
        named = [n for n, name in enumerate(WEEKDAYS) if name.startswith(words[0].rstrip("."))]
        if len(named) == 1:
            weekday, words = named[0], words[1:]
    rest = " ".join(words)
    today = now.astimezone(AMSTERDAM).date()
    if rest in RELATIVE:
        day = today + timedelta(days=RELATIVE[rest])
    elif found := ISO.match(rest):
        day = _day(int(found.group(1)), int(found.group(2)), int(found.group(3)), today)
    elif found := NUMERIC.match(rest):
        year = found.group(3)
        full_year = None if year is None else int(year) + (2000 if len(year) == 2 else 0)
        day = _day(full_year, int(found.group(2)), int(found.group(1)), today)
    elif found := NAMED.match(rest):
        year = found.group(3)
        day = _day(int(year) if year else None, _month(found.group(2)), int(found.group(1)), today)
    elif not rest and weekday is not None:
        day = today + timedelta(days=(weekday - today.weekday()) % 7)
        if datetime.combine(day, at, AMSTERDAM) <= now:
            day += timedelta(days=7)
    else:
        raise MomentError(f"Ik begrijp de datum ‘{rest or text.strip()}’ niet. {EXAMPLE}")
    if weekday is not None and day.weekday() != weekday:
        named_day = f"{day.day} {MONTHS[day.month - 1]} {day.year}"
        raise MomentError(f"{named_day} is een {WEEKDAYS[day.weekday()]}. Klopt de datum?")
    moment = datetime.combine(day, at, AMSTERDAM)
    if moment <= now:
        raise MomentError("Dat moment is al voorbij. Kies een moment in de toekomst, of ‘Nu versturen’.")
    return moment


__all__ = ["EXAMPLE", "MomentError", "parse_moment"]
