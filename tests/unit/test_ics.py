"""ICS parsing and export: series, exceptions, alarms, Google's X-WR-TIMEZONE and broken files."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from bot.services.ics import ExportedEvent, IcsError, export_calendar, parse_calendar
from bot.services.schedule import AMSTERDAM, Alarm, reminder_moments

WINDOW = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))


def calendar(*events: str, header: str = "") -> bytes:
    body = "".join(f"BEGIN:VEVENT\n{event.strip()}\nEND:VEVENT\n" for event in events)
    text = f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Fictief//NL\n{header}{body}END:VCALENDAR\n"
    return text.replace("\n", "\r\n").encode()


SERIES = """
UID:serie@fictief
SUMMARY:Fictieve intervisie
DTSTART;TZID=Europe/Amsterdam:20261013T150000
DTEND;TZID=Europe/Amsterdam:20261013T170000
RRULE:FREQ=WEEKLY;COUNT=4
EXDATE;TZID=Europe/Amsterdam:20261020T150000
"""
MOVED = """
UID:serie@fictief
RECURRENCE-ID;TZID=Europe/Amsterdam:20261027T150000
SUMMARY:Fictieve intervisie (verplaatst)
DTSTART;TZID=Europe/Amsterdam:20261028T100000
DTEND;TZID=Europe/Amsterdam:20261028T120000
"""


def test_a_weekly_series_stays_at_15_local_across_dst_with_exdate_and_a_moved_occurrence() -> None:
    events = parse_calendar(calendar(SERIES, MOVED), *WINDOW)
    starts = [e.start.astimezone(AMSTERDAM) for e in events]
    assert [(s.month, s.day, s.hour) for s in starts] == [(10, 13, 15), (10, 28, 10), (11, 3, 15)]
    assert {e.uid for e in events} == {"serie@fictief"}
    assert len({e.occurrence for e in events}) == 3  # each occurrence has its own key
    assert events[1].title == "Fictieve intervisie (verplaatst)"
    assert all(e.category == "intervisie" for e in events)  # from the title


def test_valarms_become_the_reminder_moments() -> None:
    event = """
UID:alarm@fictief
SUMMARY:Fictieve bijeenkomst
CATEGORIES:mentortraining
DTSTART;TZID=Europe/Amsterdam:20261025T150000
DTEND;TZID=Europe/Amsterdam:20261025T170000
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:x
TRIGGER:-P1D
END:VALARM
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:x
TRIGGER;VALUE=DATE-TIME:20261020T080000Z
END:VALARM
"""
    [parsed] = parse_calendar(calendar(event), *WINDOW)
    assert parsed.category == "mentortraining"
    assert parsed.alarms == (Alarm(days=1), Alarm(at=datetime(2026, 10, 20, 8, 0, tzinfo=UTC)))
    moments = reminder_moments(parsed.start, parsed.alarms, None)
    assert [m.astimezone(AMSTERDAM).strftime("%d %H:%M") for m in moments] == ["20 10:00", "24 15:00"]


def test_google_exports_with_x_wr_timezone_are_read_in_that_zone() -> None:
    event = "UID:g@fictief\nSUMMARY:Fictieve partnerscholendag\nDTSTART:20261201T090000\nDTEND:20261201T160000"
    [parsed] = parse_calendar(calendar(event, header="X-WR-TIMEZONE:Europe/Amsterdam\n"), *WINDOW)
    assert parsed.start == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert parsed.category == "partnerscholendag"
    assert parsed.alarms is None


def test_status_cancelled_and_all_day_events() -> None:
    cancelled = "UID:c@fictief\nSUMMARY:Fictief overleg\nSTATUS:CANCELLED\nDTSTART;VALUE=DATE:20261201"
    [parsed] = parse_calendar(calendar(cancelled), *WINDOW)
    assert parsed.cancelled
    assert parsed.start.astimezone(AMSTERDAM) == datetime(2026, 12, 1, tzinfo=AMSTERDAM)
    assert parsed.category == "overig"


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ("UID:k@fictief\nSUMMARY:Kapotte intervisie\nDTSTART:2026130x", "‘Kapotte intervisie’ (UID k@fictief)"),
        ("SUMMARY:Zonder uid\nDTSTART:20261201T090000Z", "heeft geen UID"),
        ("UID:e@fictief\nSUMMARY:Omgekeerd\nDTSTART:20261201T090000Z\nDTEND:20261201T080000Z", "vóór het begin"),
        ("UID:s@fictief\nSUMMARY:Zonder begin", "geen begintijd"),
    ],
)
def test_a_broken_event_is_named_with_what_is_wrong(event: str, message: str) -> None:
    good = "UID:goed@fictief\nSUMMARY:Goed\nDTSTART:20261201T090000Z"
    with pytest.raises(IcsError, match=re.escape(message)):
        parse_calendar(calendar(good, event), *WINDOW)


def test_not_a_calendar_at_all() -> None:
    with pytest.raises(IcsError, match="geen geldig iCalendar-bestand"):
        parse_calendar(b"dit is geen agenda", *WINDOW)


def test_export_round_trips_through_icalendar() -> None:
    start = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    events = [
        ExportedEvent(
            "a@fictief",
            "",
            "Fictieve <intervisie> & co",
            start,
            start + timedelta(hours=2),
            "KC Fictief",
            "",
            "intervisie",
            False,
        ),
        ExportedEvent(
            "b@fictief",
            "20261208T140000Z",
            "Fictief af",
            start + timedelta(days=7),
            start + timedelta(days=7, hours=1),
            "",
            "",
            "overig",
            True,
        ),
    ]
    parsed = icalendar.Calendar.from_ical(export_calendar(events, "Fictief partnerschap", start))
    found = {str(e["UID"]): e for e in parsed.walk("VEVENT")}
    assert found["a@fictief"].decoded("DTSTART") == start
    assert str(found["a@fictief"]["SUMMARY"]) == "Fictieve <intervisie> & co"
    assert str(found["b@fictief"]["STATUS"]) == "CANCELLED"
    again = parse_calendar(export_calendar(events, "x", start), *WINDOW)
    assert {(e.uid, e.cancelled) for e in again} == {("a@fictief", False), ("b@fictief", True)}
