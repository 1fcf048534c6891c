"""ICS in and out, without Telegram or the database.

``parse_calendar`` reads a file (Google's X-WR-TIMEZONE made standard), checks every VEVENT and expands
series (RRULE, EXDATE, RECURRENCE-ID) over a window; a broken file raises ``IcsError`` naming the
event and the problem, and then nothing of it is used. ``export_calendar`` writes occurrences in UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import icalendar
import recurring_ical_events
import x_wr_timezone

from bot.services.schedule import AMSTERDAM, Alarm, category_of

PRODID = "-//Samen Opleiden-assistent//NL"
MAX_TITLE = 255
MAX_LOCATION = 255
SERIES_PROPERTIES = ("RRULE", "RDATE", "RECURRENCE-ID")


class IcsError(ValueError):
    """A file that cannot be imported; the message is Dutch and names the event."""


@dataclass(frozen=True)
class ParsedEvent:
    uid: str
    occurrence: str  # RECURRENCE-ID in UTC, "" for a single event
    category: str
    title: str
    start: datetime
    end: datetime
    location: str
    description: str
    alarms: tuple[Alarm, ...] | None  # None: the category's defaults
    cancelled: bool
    audience: tuple[str, ...] | None  # None: not given in the file


@dataclass(frozen=True)
class ExportedEvent:
    uid: str
    occurrence: str
    title: str
    start: datetime
    end: datetime
    location: str
    description: str
    category: str
    cancelled: bool


def occurrence_key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def parse_calendar(
    content: bytes, window_start: datetime, window_end: datetime, category: str | None = None
) -> list[ParsedEvent]:
    """Every occurrence in [window_start, window_end); ``category`` overrides what the file says."""
    try:
        raw = icalendar.Calendar.from_ical(content)
    except ValueError as exc:
        # The library's reason is English and technical: say what to check instead.
        raise IcsError(
            "Dit is geen geldig iCalendar-bestand: controleer of het met BEGIN:VCALENDAR begint, met "
            "END:VCALENDAR eindigt en uit je agenda is geëxporteerd."
        ) from exc
    for component in raw.walk("VEVENT"):
        _check(component)
    # The library gives every occurrence a RECURRENCE-ID, single events too; only a series keys its
    # occurrences by it, so that moving a single event updates it instead of replacing it.
    series = {str(c.get("UID")).strip() for c in raw.walk("VEVENT") if any(c.get(p) for p in SERIES_PROPERTIES)}
    calendar = x_wr_timezone.to_standard(raw)
    try:
        occurrences = recurring_ical_events.of(calendar).between(window_start, window_end)
    except Exception as exc:  # the library's own errors: an RRULE it cannot expand, and the like
        raise IcsError(f"De herhalingen in het bestand kloppen niet ({exc}).") from exc
    return [_parsed(component, category, str(component.get("UID")).strip() in series) for component in occurrences]


def _name(component: Any) -> str:
    summary = str(component.get("SUMMARY", "")).strip()
    uid = str(component.get("UID", "")).strip()
    return f"‘{summary or 'zonder titel'}’ (UID {uid or 'ontbreekt'})"


def _check(component: Any) -> None:
    name = _name(component)
    if component.errors:
        field, problem = component.errors[0]
        raise IcsError(f"Afspraak {name}: {field} is ongeldig ({problem}).")
    if not str(component.get("UID", "")).strip():
        raise IcsError(f"Afspraak {name} heeft geen UID.")
    if component.get("DTSTART") is None:
        raise IcsError(f"Afspraak {name} heeft geen begintijd (DTSTART).")
    try:
        start = _moment(component.decoded("DTSTART"))
        end = _moment(component.decoded("DTEND")) if component.get("DTEND") is not None else start
    except IcsError as exc:
        raise IcsError(f"Afspraak {name}: {exc}") from exc
    if end < start:
        raise IcsError(f"Afspraak {name} eindigt (DTEND) vóór het begin (DTSTART).")
    for alarm in component.walk("VALARM"):
        if alarm.get("TRIGGER") is None or alarm.errors:
            raise IcsError(f"Afspraak {name} heeft een herinnering (VALARM) zonder geldige TRIGGER.")


def _moment(value: datetime | date) -> datetime:
    """A DATE is the local midnight; a floating time is Amsterdam time; the result is UTC."""
    if not isinstance(value, date):
        raise IcsError(f"‘{value}’ is geen datum of tijd.")
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0))
    if value.tzinfo is None:
        value = value.replace(tzinfo=AMSTERDAM)
    return value.astimezone(UTC)


def _parsed(component: Any, category: str | None, in_series: bool) -> ParsedEvent:
    start = _moment(component.decoded("DTSTART"))
    if component.get("DTEND") is not None:
        end = _moment(component.decoded("DTEND"))
    elif component.get("DURATION") is not None:
        end = start + component.decoded("DURATION")
    else:
        end = start
    summary = str(component.get("SUMMARY", "")).strip()[:MAX_TITLE] or "Bijeenkomst"
    recurrence = component.get("RECURRENCE-ID") if in_series else None
    audience = str(component.get("X-AUDIENCE", "")).strip()
    return ParsedEvent(
        uid=str(component.get("UID")).strip(),
        occurrence=occurrence_key(_moment(component.decoded("RECURRENCE-ID"))) if recurrence is not None else "",
        category=category or category_of(_categories(component), summary) or "overig",
        title=summary,
        start=start,
        end=max(end, start),
        location=str(component.get("LOCATION", "")).strip()[:MAX_LOCATION],
        description=str(component.get("DESCRIPTION", "")).strip(),
        alarms=_alarms(component, start),
        cancelled=str(component.get("STATUS", "")).upper() == "CANCELLED",
        audience=tuple(r.strip().lower() for r in audience.split(",") if r.strip()) if audience else None,
    )


def _categories(component: Any) -> list[str]:
    found = component.get("CATEGORIES")
    if found is None:
        return []
    values = found if isinstance(found, list) else [found]
    return [str(category) for value in values for category in getattr(value, "cats", [value])]


def _alarms(component: Any, start: datetime) -> tuple[Alarm, ...] | None:
    """VALARM triggers as reminder moments: relative to the start (days kept nominal) or absolute."""
    alarms = []
    for alarm in component.walk("VALARM"):
        trigger = alarm.decoded("TRIGGER")
        if isinstance(trigger, timedelta):
            if alarm.get("TRIGGER").params.get("RELATED", "START").upper() == "END":
                trigger += _moment(component.decoded("DTEND")) - start if component.get("DTEND") else timedelta()
            before = -trigger
            alarms.append(Alarm(days=before.days, seconds=before.seconds))
        else:
            alarms.append(Alarm(at=_moment(trigger)))
    return tuple(alarms) or None


def export_calendar(events: Sequence[ExportedEvent], name: str, now: datetime) -> bytes:
    """A valid ICS file: one VEVENT per occurrence (a series shares its UID, with RECURRENCE-ID)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    stamp = now.astimezone(UTC).replace(microsecond=0)
    for event in events:
        component = icalendar.Event()
        component.add("uid", event.uid)
        component.add("dtstamp", stamp)
        component.add("dtstart", event.start.astimezone(UTC))
        component.add("dtend", event.end.astimezone(UTC))
        if event.occurrence:
            component.add("recurrence-id", datetime.strptime(event.occurrence, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC))
        component.add("summary", event.title)
        component.add("categories", [event.category])
        if event.location:
            component.add("location", event.location)
        if event.description:
            component.add("description", event.description)
        component.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
        calendar.add_component(component)
    return bytes(calendar.to_ical())
