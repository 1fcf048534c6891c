"""ICS parsing and export: series, exceptions, alarms, Google's X-WR-TIMEZONE and broken files."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from bot.services.ics import MAX_OCCURRENCES, ExportedEvent, IcsError, export_calendar, parse_calendar
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


def alarm(trigger: str) -> str:
    return f"BEGIN:VALARM\nACTION:DISPLAY\nDESCRIPTION:x\nTRIGGER{trigger}\nEND:VALARM"


GOOD = "UID:goed@fictief\nSUMMARY:Goed\nDTSTART:20261201T090000Z"


@pytest.mark.parametrize(
    "rule",
    [
        "DTSTART:20261201T090000Z\nRRULE:FREQ=SECONDLY",
        "DTSTART:20261201T090000Z\nRRULE:FREQ=MINUTELY",
        "DTSTART:20200101T090000Z\nRRULE:FREQ=SECONDLY",
        "DTSTART:20261201T090000Z\nRRULE:FREQ=MINUTELY;COUNT=10000000",
        "DTSTART:19000101T090000Z\nRRULE:FREQ=HOURLY",
    ],
)
def test_a_series_without_end_is_refused_at_the_cap_without_expanding_it(rule: str) -> None:
    """Each of these took minutes and gigabytes; now refused at once, naming the event."""
    with pytest.raises(IcsError, match=r"‘Eindeloos’ \(UID eindeloos@fictief\) op regel 9.*(te vaak|meer dan)"):
        parse_calendar(calendar(GOOD, f"UID:eindeloos@fictief\nSUMMARY:Eindeloos\n{rule}"), *WINDOW)


def test_a_rule_on_a_day_that_does_not_exist_is_refused_at_once() -> None:
    """FREQ=SECONDLY on 30 February: dateutil searches up to the year 9999 (23 s for one such rule)."""
    event = "UID:nooit@fictief\nSUMMARY:Nooit\nDTSTART:20261210T150000Z\nRRULE:FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30"
    with pytest.raises(IcsError, match="30 februari"):
        parse_calendar(calendar(event), *WINDOW)
    leap = "UID:schrikkel@fictief\nSUMMARY:Schrikkeldag\nDTSTART:20240229T150000Z\n"
    leap += "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29"
    assert parse_calendar(calendar(leap), *WINDOW) == []  # 29 February exists, but not in 2026 or 2027


def test_a_long_count_is_expanded_only_inside_the_window() -> None:
    event = "UID:lang@fictief\nSUMMARY:Dagelijks\nDTSTART:20270101T090000Z\nRRULE:FREQ=DAILY;COUNT=10000000"
    assert len(parse_calendar(calendar(event), *WINDOW)) == 365


def test_many_events_together_are_capped_too() -> None:
    events = [f"UID:e{n}@fictief\nSUMMARY:E\nDTSTART:20261201T090000Z" for n in range(6)]
    assert len(parse_calendar(calendar(*events), *WINDOW, max_occurrences=6)) == 6
    with pytest.raises(IcsError, match="meer dan 5 afspraken"):
        parse_calendar(calendar(*events), *WINDOW, max_occurrences=5)
    assert MAX_OCCURRENCES == 20_000  # the README names this number


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (f"UID:a@fictief\nSUMMARY:Alarm\nDTSTART:20261201T090000Z\n{alarm(':-P99999999D')}", "VALARM"),
        (f"UID:a@fictief\nSUMMARY:Alarm\nDTSTART:20261201T090000Z\n{alarm(':-P999D')}", "meer dan 366 dagen"),
        (
            f"UID:a@fictief\nSUMMARY:Alarm\nDTSTART:20261201T090000Z\n{alarm(';VALUE=DATE-TIME:00010101T000000Z')}",
            "VALARM",
        ),
        ("UID:y@fictief\nSUMMARY:Jaar een\nDTSTART:00010101T000000\nRRULE:FREQ=YEARLY", "buiten de jaren"),
        ("UID:y@fictief\nSUMMARY:Jaar een\nDTSTART:00010101T000000Z", "buiten de jaren"),
        (
            "UID:goed@fictief\nSUMMARY:Vanaf nu\nRECURRENCE-ID;RANGE=THISANDFUTURE:20261201T090000Z\n"
            "DTSTART:20261202T090000Z",
            "RANGE=THISANDFUTURE",
        ),
        ("UID: goed@fictief \nSUMMARY:Spaties\nDTSTART:20261202T090000Z", "UID staat al in de afspraak op regel 4"),
        ("UID:goed@fictief\nSUMMARY:Nog een\nDTSTART:20261203T090000Z", "UID staat al in de afspraak op regel 4"),
        ("UID:m@fictief\nSUMMARY:Mentoren\nX-AUDIENCE:Mentoren\nDTSTART:20261203T090000Z", "‘mentoren’"),
        (f"UID:{'x' * 256}\nSUMMARY:Lang\nDTSTART:20261203T090000Z", "te lang"),
        ("UID:nul\x00@fictief\nSUMMARY:Nul\nDTSTART:20261203T090000Z", "stuurtekens"),
        (f"UID:m@fictief\nSUMMARY:Lang publiek\nX-AUDIENCE:{'mentor,' * 40}\nDTSTART:20261203T090000Z", "Lang publiek"),
    ],
)
def test_hostile_events_are_refused_by_name_and_line(event: str, message: str) -> None:
    with pytest.raises(IcsError, match=re.escape(message)) as refused:
        parse_calendar(calendar(GOOD, event), *WINDOW)
    assert "regel 9" in str(refused.value) or "regel 4" in str(refused.value)
    assert "None" not in str(refused.value)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("RRULE:FREQ=WEEKLY;BYDAY=XX", "RRULE is ongeldig (schrijf het zoals FREQ=WEEKLY;BYDAY=MO;COUNT=10)."),
        ("RRULE:FREQ=ELKE-WEEK", "RRULE is ongeldig (schrijf het zoals FREQ=WEEKLY;BYDAY=MO;COUNT=10)."),
        ("RRULE:FREQ=WEEKLY;COUNT=3\nEXDATE:kapot", "EXDATE is ongeldig (schrijf het zoals 20261201T090000Z)."),
        ("RRULE:FREQ=WEEKLY;BYSETPOS=0", "De herhalingen in het bestand kunnen niet worden uitgerekend"),
    ],
)
def test_a_broken_recurrence_is_explained_in_dutch_only(rule: str, message: str) -> None:
    """The libraries' reasons ("Expected weekday abbreviation, got: XX") are English: never shown."""
    event = f"UID:r@fictief\nSUMMARY:Reeks\nDTSTART:20261210T090000Z\n{rule}"
    with pytest.raises(IcsError, match=re.escape(message)) as refused:
        parse_calendar(calendar(GOOD, event), *WINDOW)
    assert not re.search(r"\b(Expected|got|Got|missing|parameter)\b", str(refused.value))


def test_an_unused_broken_property_does_not_refuse_the_file() -> None:
    """A real Google export has CREATED:00001231T000000Z; the importer never reads CREATED."""
    event = "UID:c@fictief\nSUMMARY:Gemaakt\nCREATED:00001231T000000Z\nLAST-MODIFIED:kapot\nDTSTART:20261201T090000Z"
    assert [e.title for e in parse_calendar(calendar(event), *WINDOW)] == ["Gemaakt"]


def test_control_characters_never_reach_titles_or_places() -> None:
    event = "UID:b@fictief\nSUMMARY:Bel\x07 en \x1b[31mrood\nLOCATION:Zaal\x001\nDTSTART:20261201T090000Z"
    [parsed] = parse_calendar(calendar(event), *WINDOW)
    assert (parsed.title, parsed.location) == ("Bel en [31mrood", "Zaal1")


def test_hour_triggers_across_the_night_the_clocks_go_forward_are_exact() -> None:
    """-PT1H before 03:30 on 28 March 2027 is 01:30 (an hour earlier in real time), not the skipped
    02:30 that used to fall on the start itself and was dropped."""
    event = f"UID:d@fictief\nSUMMARY:Vroeg\nDTSTART;TZID=Europe/Amsterdam:20270328T033000\n{alarm(':-PT1H')}"
    [parsed] = parse_calendar(calendar(event), *WINDOW)
    assert parsed.alarms is not None
    [moment] = reminder_moments(parsed.start, parsed.alarms, None)
    assert parsed.start - moment == timedelta(hours=1)
    assert moment.astimezone(AMSTERDAM).strftime("%H:%M") == "01:30"
    # days stay nominal: one day before 15:00 on the day after the change is 15:00 local
    day = reminder_moments(datetime(2027, 3, 29, 13, 0, tzinfo=UTC), (Alarm(days=1),), None)
    assert day[0].astimezone(AMSTERDAM).strftime("%d %H:%M") == "28 15:00"


def test_an_absurd_alarm_stored_earlier_is_skipped_not_a_crash() -> None:
    start = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    assert reminder_moments(start, (Alarm(days=99_999_999), Alarm(days=1)), None) == [start - timedelta(days=1)]


def test_the_export_carries_alarms_and_audience_so_a_reimport_changes_nothing() -> None:
    start = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    alarms = (Alarm(days=1, seconds=3600), Alarm(seconds=900), Alarm(at=datetime(2026, 11, 20, 8, 0, tzinfo=UTC)))
    events = [
        ExportedEvent("a@fictief", "", "A", start, start, "", "", "mentortraining", False, alarms, ()),
        ExportedEvent("b@fictief", "", "B", start, start, "", "", "mentortraining", False, None, ("mentor",)),
    ]
    again = {e.uid: e for e in parse_calendar(export_calendar(events, "x", start), *WINDOW)}
    assert again["a@fictief"].alarms == alarms
    assert again["a@fictief"].audience == ()  # the whole partnership, not the category's default
    assert again["b@fictief"].alarms is None
    assert again["b@fictief"].audience == ("mentor",)


def test_the_export_writes_no_control_characters() -> None:
    start = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    event = ExportedEvent(
        "a\x07@fictief", "", "Bel\x07\x1b", start, start, "Zaal\x00", "Tekst\x1b\nregel", "overig", False
    )
    content = export_calendar([event], "x", start)
    assert not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", content)
