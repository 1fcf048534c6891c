"""ICS in and out, without Telegram or the database.

``parse_calendar`` reads a file (Google's X-WR-TIMEZONE made standard), checks every VEVENT and expands
series (RRULE, EXDATE, RECURRENCE-ID) over a window; a broken file raises ``IcsError`` naming the
event and the problem, and then nothing of it is used. ``export_calendar`` writes occurrences in UTC.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import icalendar
import recurring_ical_events
import x_wr_timezone
from dateutil import rrule as dateutil_rrule

from bot.services.roles import ROLES
from bot.services.schedule import AMSTERDAM, Alarm, category_of

PRODID = "-//Samen Opleiden-assistent//NL"
MAX_TITLE = 255
MAX_LOCATION = 255
MAX_UID = 255
MAX_AUDIENCE = 255
# The limits of one import (README, "Grenzen van een import"): what a file may cost at most.
MAX_ICS_BYTES = 10_000_000
MAX_OCCURRENCES = 20_000  # occurrences inside the window (now ± AGENDA_HORIZON_DAYS), series expanded
MAX_RULE_STEPS = 500_000  # steps of all RRULEs from their DTSTART to the end of the window
FIRST_YEAR, LAST_YEAR = 1900, 2200
MAX_ALARM_DISTANCE = timedelta(days=366)
SERIES_PROPERTIES = ("RRULE", "RDATE", "RECURRENCE-ID")
# The properties the importer reads; an error in any other one (CREATED, LAST-MODIFIED, ...) is ignored.
USED_PROPERTIES = frozenset(
    {
        "UID",
        "DTSTART",
        "DTEND",
        "DURATION",
        "RRULE",
        "RDATE",
        "EXDATE",
        "RECURRENCE-ID",
        "SUMMARY",
        "LOCATION",
        "DESCRIPTION",
        "STATUS",
        "CATEGORIES",
        "X-AUDIENCE",
        "X-SCHOOLS",
    }
)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# How a broken property should look: the libraries' own reasons are English, so they are not shown.
WRITTEN_AS = {
    "RRULE": "zoals FREQ=WEEKLY;BYDAY=MO;COUNT=10",
    "DURATION": "zoals PT2H",
    **dict.fromkeys(("DTSTART", "DTEND", "RDATE", "EXDATE", "RECURRENCE-ID"), "zoals 20261201T090000Z"),
}


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
    schools: tuple[str, ...] = ()  # X-SCHOOLS: school ids of the knowledge base, as the export writes them


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
    alarms: tuple[Alarm, ...] | None = None  # None: the category's defaults (no VALARM written)
    audience: tuple[str, ...] | None = None  # () the whole partnership; None: not written
    schools: tuple[str, ...] = ()  # written as X-SCHOOLS when not empty


def occurrence_key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def parse_calendar(
    content: bytes,
    window_start: datetime,
    window_end: datetime,
    category: str | None = None,
    max_occurrences: int = MAX_OCCURRENCES,
) -> list[ParsedEvent]:
    """Every occurrence in [window_start, window_end); ``category`` overrides what the file says.

    Bounded whatever the file says: more than ``MAX_ICS_BYTES``, a series whose rule steps past
    ``MAX_RULE_STEPS`` before the window ends, or more than ``max_occurrences`` occurrences in the
    window are refused before the library expands anything.
    """
    if len(content) > MAX_ICS_BYTES:
        raise IcsError(f"Het bestand is te groot: hooguit {MAX_ICS_BYTES // 1_000_000} MB.")
    try:
        raw = icalendar.Calendar.from_ical(content)
    except Exception as exc:  # ValueError mostly; the library's reason is English and technical
        raise IcsError(
            "Dit is geen geldig iCalendar-bestand: controleer of het met BEGIN:VCALENDAR begint, met "
            "END:VCALENDAR eindigt en uit je agenda is geëxporteerd."
        ) from exc
    lines = _event_lines(content)
    components = list(raw.walk("VEVENT"))
    seen: dict[tuple[str, str], int] = {}
    for index, component in enumerate(components):
        line = lines[index] if index < len(lines) else 0
        _check(component, line)
        key = (_uid(component), _recurrence_key(component))
        if key in seen:
            raise IcsError(
                f"Afspraak {_name(component, line)}: deze UID staat al in de afspraak op regel {seen[key]} "
                "(UID's die alleen in spaties verschillen tellen als dezelfde). Geef elke "
                "afspraak een eigen UID."
            )
        seen[key] = line
    _check_size(components, lines, window_start, window_end, max_occurrences)
    # The library gives every occurrence a RECURRENCE-ID, single events too; only a series keys its
    # occurrences by it, so that moving a single event updates it instead of replacing it.
    series = {_uid(c) for c in components if any(c.get(p) for p in SERIES_PROPERTIES)}
    calendar = x_wr_timezone.to_standard(raw)
    try:
        occurrences = recurring_ical_events.of(calendar).between(window_start, window_end)
    except Exception as exc:  # the library's own errors: an RRULE it cannot expand, and the like
        raise IcsError(
            "De herhalingen in het bestand kunnen niet worden uitgerekend; controleer de RRULE's "
            f"({WRITTEN_AS['RRULE']}), RDATE's en EXDATE's."
        ) from exc
    if len(occurrences) > max_occurrences:
        raise IcsError(_too_many(max_occurrences))
    parsed = []
    keys: set[tuple[str, str]] = set()
    for component in occurrences:
        try:
            item = _parsed(component, category, series)
        except (OverflowError, ValueError) as exc:
            raise IcsError(f"Afspraak {_name(component)}: een tijd in deze afspraak ligt buiten het bereik.") from exc
        if (item.uid, item.occurrence) in keys:
            raise IcsError(
                f"Afspraak {_name(component)} komt twee keer op hetzelfde moment voor (RECURRENCE-ID); "
                "controleer de herhaling."
            )
        keys.add((item.uid, item.occurrence))
        parsed.append(item)
    return parsed


def _too_many(limit: int) -> str:
    return (
        f"Het bestand heeft meer dan {limit} afspraken binnen de agenda (herhalingen meegeteld); "
        "splits het bestand of controleer de herhalingen (RRULE)."
    )


def _event_lines(content: bytes) -> list[int]:
    """The line number (1-based, as an editor counts) of each BEGIN:VEVENT, in file order."""
    return [
        number for number, line in enumerate(content.splitlines(), start=1) if line.strip().upper() == b"BEGIN:VEVENT"
    ]


def _uid(component: Any) -> str:
    return _compared(str(component.get("UID", "")))


def _compared(uid: str) -> str:
    """The UID as compared: UIDs that differ only in whitespace are one (the stored UID is stripped)."""
    return " ".join(uid.split())


def _recurrence_key(component: Any) -> str:
    value = component.get("RECURRENCE-ID")
    return "" if value is None else str(value.to_ical() if hasattr(value, "to_ical") else value)


def plain(text: str) -> str:
    """Text without control characters (BEL, ESC, NUL, ...); newlines and tabs become spaces."""
    return CONTROL.sub("", text.replace("\r\n", " ").replace("\n", " ").replace("\t", " "))


def _text(text: str) -> str:
    """Free text (a description): control characters go, newlines and tabs stay."""
    return CONTROL.sub("", text)


def _name(component: Any, line: int = 0) -> str:
    summary = plain(str(component.get("SUMMARY", ""))).strip()[:80]
    uid = plain(str(component.get("UID", ""))).strip()[:80]
    where = f" op regel {line}" if line else ""
    return f"‘{summary or 'zonder titel'}’ (UID {uid or 'ontbreekt'}){where}"


def _check(component: Any, line: int) -> None:
    name = _name(component, line)
    for field, problem in component.errors:
        used = field if field is not None else _unparsed_name(problem)
        if used is not None and used.upper() in USED_PROPERTIES:
            shape = WRITTEN_AS.get(used.upper())
            raise IcsError(
                f"Afspraak {name}: {used.upper()} is ongeldig" + (f" (schrijf het {shape})." if shape else ".")
            )
    uid = str(component.get("UID", ""))
    if not uid.strip():
        raise IcsError(f"Afspraak {name} heeft geen UID.")
    if len(uid.strip()) > MAX_UID or CONTROL.search(uid):
        raise IcsError(f"Afspraak {name}: de UID is te lang (hooguit {MAX_UID} tekens) of bevat stuurtekens.")
    if component.get("DTSTART") is None:
        raise IcsError(f"Afspraak {name} heeft geen begintijd (DTSTART).")
    recurrence = component.get("RECURRENCE-ID")
    if recurrence is not None and str(getattr(recurrence, "params", {}).get("RANGE", "")).upper() == "THISANDFUTURE":
        raise IcsError(
            f"Afspraak {name}: een wijziging voor ‘deze en alle volgende’ (RANGE=THISANDFUTURE) kan ik niet "
            "importeren; exporteer de agenda opnieuw of pas de reeks zelf aan."
        )
    try:
        start = _moment(component.decoded("DTSTART"))
        end = _moment(component.decoded("DTEND")) if component.get("DTEND") is not None else start
        if recurrence is not None:
            _moment(component.decoded("RECURRENCE-ID"))
        if component.get("DURATION") is not None:
            end = max(end, start + component.decoded("DURATION"))
    except IcsError as exc:
        raise IcsError(f"Afspraak {name}: {exc}") from exc
    except (OverflowError, ValueError, TypeError) as exc:
        raise IcsError(f"Afspraak {name}: een tijd ligt buiten het bereik (jaar {FIRST_YEAR}–{LAST_YEAR}).") from exc
    if end < start:
        raise IcsError(f"Afspraak {name} eindigt (DTEND) vóór het begin (DTSTART).")
    for alarm in component.walk("VALARM"):
        if alarm.get("TRIGGER") is None or alarm.errors:
            raise IcsError(f"Afspraak {name} heeft een herinnering (VALARM) zonder geldige TRIGGER.")
    try:
        alarms = _alarms(component, start) or ()
        moments = [alarm.moment(start) for alarm in alarms]
    except (OverflowError, ValueError, IcsError) as exc:
        raise IcsError(f"Afspraak {name} heeft een herinnering (VALARM) buiten het bereik.") from exc
    if any(abs(moment - start) > MAX_ALARM_DISTANCE for moment in moments):
        raise IcsError(
            f"Afspraak {name} heeft een herinnering (VALARM) die meer dan {MAX_ALARM_DISTANCE.days} dagen van "
            "de afspraak af ligt."
        )
    audience = component.get("X-AUDIENCE")
    if audience is not None:
        text = str(audience)
        unknown = [role for role in _roles(text) if role not in ROLES]
        if len(text) > MAX_AUDIENCE or CONTROL.search(text) or unknown:
            shown = ", ".join(f"‘{plain(role)[:40]}’" for role in unknown) or "te lang"
            raise IcsError(
                f"Afspraak {name}: X-AUDIENCE noemt onbekende rollen ({shown}); kies uit {', '.join(ROLES)}."
            )


def _unparsed_name(problem: object) -> str | None:
    """The property name of a content line the library could not parse (its error quotes the line)."""
    found = re.search(r"'([A-Za-z0-9-]+)[;:]", str(problem))
    return found.group(1) if found else None


def _roles(text: str) -> tuple[str, ...]:
    return tuple(r.strip().lower() for r in text.split(",") if r.strip())


def _check_size(
    components: list[Any], lines: list[int], window_start: datetime, window_end: datetime, limit: int
) -> None:
    """Refuse, before the library expands anything, a file whose rules are too big to expand.

    Each RRULE is stepped through with dateutil (as the library does) from its DTSTART up to the end of
    the window: more than MAX_RULE_STEPS steps in all, or more than ``limit`` occurrences inside the
    window (a day's margin on both sides, EXDATEs not subtracted), and the file is refused. The
    library's own count is checked again after the expansion.
    """
    steps = in_window = 0
    lower = window_start.astimezone(UTC).replace(tzinfo=None) - timedelta(days=2)
    upper = window_end.astimezone(UTC).replace(tzinfo=None) + timedelta(days=2)
    for index, component in enumerate(components):
        line = lines[index] if index < len(lines) else 0
        dtstart = component.decoded("DTSTART")
        first = dtstart if isinstance(dtstart, datetime) else datetime.combine(dtstart, time(0))
        first = first.replace(tzinfo=None)
        length = _length(component)
        rules = component.get("RRULE")
        rdates = component.get("RDATE")
        in_window += sum(len(getattr(r, "dts", [r])) for r in (rdates if isinstance(rdates, list) else [rdates]) if r)
        if rules is None:
            in_window += 1
        for rule in rules if isinstance(rules, list) else ([rules] if rules is not None else []):
            if _never(rule):
                raise IcsError(
                    f"Afspraak {_name(component, line)}: de herhaling (RRULE) valt op een dag die niet bestaat "
                    "(zoals 30 februari); controleer BYMONTH en BYMONTHDAY."
                )
            try:
                expanded = dateutil_rrule.rrulestr(rule.to_ical().decode(), dtstart=first, ignoretz=True)
            except Exception:
                continue
            for moment in expanded:
                steps += 1
                if moment > upper:
                    break
                if moment + length >= lower:
                    in_window += 1
                if steps > MAX_RULE_STEPS:
                    raise IcsError(
                        f"Afspraak {_name(component, line)} herhaalt zich te vaak (meer dan {MAX_RULE_STEPS} "
                        "keer tot het eind van de agenda); controleer de herhaling (RRULE)."
                    )
                if in_window > limit:
                    raise IcsError(f"Afspraak {_name(component, line)}: {_too_many(limit)}")
    if in_window > limit:
        raise IcsError(_too_many(limit))


DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # February of a leap year


def _never(rule: Any) -> bool:
    """A rule whose BYMONTHDAY lies past the end of every BYMONTH (30 February): dateutil, and so the
    library, would search for it up to the year 9999, which takes seconds per rule."""
    months = [int(m) for m in rule.get("BYMONTH", [])]
    days = [int(d) for d in rule.get("BYMONTHDAY", [])]
    if not months or not days or any(d < 0 for d in days) or any(not 1 <= m <= 12 for m in months):
        return False
    return all(d > DAYS_IN_MONTH[m - 1] for m in months for d in days)


def _length(component: Any) -> timedelta:
    try:
        if component.get("DTEND") is not None:
            return max(_moment(component.decoded("DTEND")) - _moment(component.decoded("DTSTART")), timedelta())
        if component.get("DURATION") is not None:
            duration: timedelta = component.decoded("DURATION")
            return max(duration, timedelta())
    except (IcsError, OverflowError, ValueError, TypeError):
        pass
    return timedelta()


def _moment(value: datetime | date) -> datetime:
    """A DATE is the local midnight; a floating time is Amsterdam time; the result is UTC."""
    if not isinstance(value, date):
        raise IcsError(f"‘{value}’ is geen datum of tijd.")
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise IcsError(f"‘{value}’ ligt buiten de jaren {FIRST_YEAR}–{LAST_YEAR}.")
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0))
    if value.tzinfo is None:
        value = value.replace(tzinfo=AMSTERDAM)
    return value.astimezone(UTC)


def _parsed(component: Any, category: str | None, series: set[str]) -> ParsedEvent:
    """One occurrence as the library gives it: its DTSTART, DTEND and RECURRENCE-ID are single date or
    date-time values (the library sets them; ``_check`` refused lists), so their ``dt`` is what
    ``decoded`` returns, without its type lookup per call. ``series``: the UIDs (as ``_uid`` compares
    them) that have a rule or RECURRENCE-ID."""
    uid = str(component.get("UID")).strip()
    start = _moment(component["DTSTART"].dt)
    dtend = component.get("DTEND")
    if dtend is not None:
        end = _moment(dtend.dt)
    elif component.get("DURATION") is not None:
        end = start + component.decoded("DURATION")
    else:
        end = start
    summary = plain(str(component.get("SUMMARY", ""))).strip()[:MAX_TITLE] or "Bijeenkomst"
    recurrence = component.get("RECURRENCE-ID") if _compared(uid) in series else None
    audience = component.get("X-AUDIENCE")
    return ParsedEvent(
        uid=uid,
        occurrence=occurrence_key(_moment(recurrence.dt)) if recurrence is not None else "",
        category=category or category_of(_categories(component), summary) or "overig",
        title=summary,
        start=start,
        end=max(end, start),
        location=plain(str(component.get("LOCATION", ""))).strip()[:MAX_LOCATION],
        description=_text(str(component.get("DESCRIPTION", ""))).strip(),
        alarms=_alarms(component, start),
        cancelled=str(component.get("STATUS", "")).upper() == "CANCELLED",
        # X-AUDIENCE without roles (as the export writes it) is the whole partnership
        audience=_roles(str(audience)) if audience is not None else None,
        schools=tuple(s.strip() for s in str(component.get("X-SCHOOLS", "")).split(",") if s.strip()),
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
    """A valid ICS file: one VEVENT per occurrence (a series shares its UID, with RECURRENCE-ID).

    What the agenda holds goes along, so that importing the export again changes nothing: the event's
    own reminders as VALARMs and its audience as X-AUDIENCE (empty: the whole partnership). Control
    characters never reach the file.
    """
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", plain(name))
    stamp = now.astimezone(UTC).replace(microsecond=0)
    for event in events:
        component = icalendar.Event()
        component.add("uid", plain(event.uid))
        component.add("dtstamp", stamp)
        component.add("dtstart", event.start.astimezone(UTC))
        component.add("dtend", event.end.astimezone(UTC))
        if event.occurrence:
            component.add("recurrence-id", datetime.strptime(event.occurrence, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC))
        component.add("summary", plain(event.title))
        component.add("categories", [event.category])
        if event.location:
            component.add("location", plain(event.location))
        if event.description:
            component.add("description", _text(event.description))
        component.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
        if event.audience is not None:
            component.add("x-audience", ",".join(event.audience))
        if event.schools:
            component.add("x-schools", ",".join(plain(school) for school in event.schools))
        for alarm in event.alarms or ():
            valarm = icalendar.Alarm()
            valarm.add("action", "DISPLAY")
            valarm.add("description", plain(event.title))
            if alarm.at is not None:
                valarm.add("trigger", alarm.at.astimezone(UTC))
            else:
                valarm.add("trigger", -timedelta(days=alarm.days, seconds=alarm.seconds))
            component.add_component(valarm)
        calendar.add_component(component)
    return bytes(calendar.to_ical())
