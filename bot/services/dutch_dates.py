"""Dates and times typed in Dutch ("di 1 dec 15:00", "1 december 15.00-17.00", "morgen 15u", "1-12 15:00").

Pure: no Telegram, no database. Everything is read in Europe/Amsterdam; the result is aware. A moment
that does not exist (31 november), lies in the past, or whose weekday does not match its date is
refused with a Dutch message that says what to type instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.services.schedule import AMSTERDAM, MONTHS, WEEKDAYS, dutch_date

DEFAULT_DURATION = timedelta(hours=2)
YEARS_AHEAD = 5  # a later year is a typo ("1-12-2205"); far enough for any agenda
EXAMPLE = (
    "Typ bijvoorbeeld ‘di 1 dec 15:00’, ‘1 december 15:00-17:00’, ‘morgen 15.00’, ‘1-12 15:00’ of ‘2026-12-01 15:00’."
)
_TIME = r"([01]?\d|2[0-3])(?:[:.]([0-5]\d)|\s*u(?:ur)?\s*([0-5]\d)?)"
TIME_RANGE = re.compile(rf"(?<![\d.:/-]){_TIME}(?:\s*(?:-|–|tot)\s*{_TIME})?(?![\d])", re.IGNORECASE)
ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
NUMERIC_DATE = re.compile(r"^(\d{1,2})\s*[-/.]\s*(\d{1,2})(?:\s*[-/.]\s*(\d{2}|\d{4}))?$")
NAMED_DATE = re.compile(r"^(\d{1,2})\s*([a-z]+)\.?(?:\s+(\d{4}))?$")
FILLER = re.compile(r"\b(om|van|op|de|het|vanaf|uur)\b|[,]", re.IGNORECASE)
RELATIVE = {"vandaag": 0, "morgen": 1, "overmorgen": 2}
MONTH_ALIASES = {"mrt": 3, "sept": 9}


class WhenError(ValueError):
    """The text is no usable moment; ``str(error)`` is the Dutch explanation for the user."""


@dataclass(frozen=True)
class When:
    start: datetime  # aware, Europe/Amsterdam
    end: datetime
    end_given: bool


def _weekday(word: str) -> int | None:
    """ "di", "din", "dinsdag" -> 1; at least two letters of a weekday's name."""
    if len(word) < 2:
        return None
    found = [index for index, name in enumerate(WEEKDAYS) if name.startswith(word)]
    return found[0] if len(found) == 1 else None


def _month(word: str) -> int | None:
    if word in MONTH_ALIASES:
        return MONTH_ALIASES[word]
    if len(word) < 3:
        return None
    found = [index + 1 for index, name in enumerate(MONTHS) if name.startswith(word)]
    return found[0] if len(found) == 1 else None


def _clock(hour: str, minute: str | None, minute_after_u: str | None) -> time:
    return time(int(hour), int(minute or minute_after_u or 0))


def _make_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        if 1 <= month <= 12:
            raise WhenError(f"{day} {MONTHS[month - 1]} bestaat niet. {EXAMPLE}") from None
        raise WhenError(f"Maand {month} bestaat niet. {EXAMPLE}") from None


def _day_and_month(rest: str, today: date) -> tuple[date, bool] | None:
    """A date without weekday; True when the year was typed. None: no date in ``rest``."""
    iso, numeric, named = ISO_DATE.match(rest), NUMERIC_DATE.match(rest), NAMED_DATE.match(rest)
    if iso is not None:
        return _make_date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3))), True
    if numeric is not None:
        day, month, year_text = int(numeric.group(1)), int(numeric.group(2)), numeric.group(3)
    elif named is not None:
        found = _month(named.group(2))
        if found is None:
            raise WhenError(f"Ik ken de maand ‘{named.group(2)}’ niet. {EXAMPLE}")
        day, month, year_text = int(named.group(1)), found, named.group(3)
    else:
        return None
    if year_text is not None:
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
        return _make_date(year, month, day), True
    candidate = _make_date(today.year, month, day) if not (month == 2 and day == 29) else None
    if candidate is None or candidate < today:
        # Without a year: this year, or next year when the date has passed (29 February: the next one).
        for year in range(today.year, today.year + 8):
            try:
                candidate = date(year, month, day)
            except ValueError:
                continue
            if candidate >= today:
                break
    assert candidate is not None
    return candidate, False


def parse_when(text: str, now: datetime, day: date | None = None) -> When:
    """The moment in ``text``; ``day`` is the date when the text only holds a time (a day button).

    Raises WhenError with a Dutch message for anything unusable.
    """
    today = now.astimezone(AMSTERDAM).date()
    cleaned = " ".join(text.lower().replace("\u00a0", " ").split())
    times = list(TIME_RANGE.finditer(cleaned))
    if not times:
        raise WhenError(f"Ik mis de tijd. {EXAMPLE}")
    found = times[-1]
    start_time = _clock(found.group(1), found.group(2), found.group(3))
    end_time = _clock(found.group(4), found.group(5), found.group(6)) if found.group(4) else None
    rest = " ".join(FILLER.sub(" ", cleaned[: found.start()] + " " + cleaned[found.end() :]).split())
    words = rest.split(" ") if rest else []
    weekday = _weekday(words[0].rstrip(".")) if words else None
    if weekday is not None:
        words = words[1:]
    rest = " ".join(words)

    if rest in RELATIVE:
        moment_day = today + timedelta(days=RELATIVE[rest])
    elif rest:
        parsed = _day_and_month(rest, today)
        if parsed is None:
            raise WhenError(f"Ik begrijp de datum ‘{rest}’ niet. {EXAMPLE}")
        moment_day = parsed[0]
    elif weekday is not None:
        ahead = (weekday - today.weekday()) % 7
        moment_day = today + timedelta(days=ahead)
        if ahead == 0 and datetime.combine(today, start_time, AMSTERDAM) <= now:
            moment_day += timedelta(days=7)
        weekday = None  # it is the weekday's own date: nothing to check
    elif day is not None:
        moment_day = day
    else:
        raise WhenError(f"Ik mis de datum. {EXAMPLE}")

    if weekday is not None and moment_day.weekday() != weekday:
        raise WhenError(
            f"{moment_day.day} {MONTHS[moment_day.month - 1]} {moment_day.year} is een "
            f"{WEEKDAYS[moment_day.weekday()]}, geen {WEEKDAYS[weekday]}. Klopt de datum? {EXAMPLE}"
        )
    if moment_day.year > today.year + YEARS_AHEAD:
        raise WhenError(
            f"{dutch_date(moment_day)} ligt meer dan {YEARS_AHEAD} jaar vooruit. Klopt het jaartal? {EXAMPLE}"
        )
    start = _existing(moment_day, start_time)
    if start <= now:
        raise WhenError(f"{dutch_date(moment_day)} {start_time:%H:%M} is al voorbij. Kies een moment in de toekomst.")
    if end_time is None:
        return When(start, start + DEFAULT_DURATION, False)
    end = _existing(moment_day, end_time)
    if end <= start:
        raise WhenError(f"De eindtijd {end_time:%H:%M} ligt niet na de begintijd {start_time:%H:%M}. {EXAMPLE}")
    return When(start, end, True)


def _existing(day: date, clock: time) -> datetime:
    """The local moment; a time skipped when the clocks go forward does not exist."""
    moment = datetime.combine(day, clock, AMSTERDAM)
    back = moment.astimezone(UTC).astimezone(AMSTERDAM)
    if back.replace(tzinfo=None) != moment.replace(tzinfo=None):
        raise WhenError(f"{clock:%H:%M} bestaat niet op {dutch_date(day)}: dan gaat de klok vooruit.")
    return moment


def next_days(now: datetime, count: int = 7) -> list[date]:
    """The days offered as buttons: tomorrow and the days after it."""
    today = now.astimezone(AMSTERDAM).date()
    return [today + timedelta(days=offset) for offset in range(1, count + 1)]


__all__ = ["DEFAULT_DURATION", "EXAMPLE", "When", "WhenError", "next_days", "parse_when"]
