"""Dates typed in Dutch for /nieuw: what a coordinator may type, and what is refused (and why)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.services.dutch_dates import WhenError, next_days, parse_when
from bot.services.schedule import AMSTERDAM

# Monday 23 November 2026, 10:00 in Amsterdam.
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=AMSTERDAM)


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=AMSTERDAM)


@pytest.mark.parametrize(
    ("typed", "start"),
    [
        ("di 1 dec 15:00", local(2026, 12, 1, 15)),
        ("dinsdag 1 december 15:00", local(2026, 12, 1, 15)),
        ("1 december 15:00", local(2026, 12, 1, 15)),
        ("1 dec. om 15.30", local(2026, 12, 1, 15, 30)),
        ("1-12 15:00", local(2026, 12, 1, 15)),
        ("1/12/2026 9:05", local(2026, 12, 1, 9, 5)),
        ("morgen 15.00", local(2026, 11, 24, 15)),
        ("overmorgen 15u", local(2026, 11, 25, 15)),
        ("vandaag 16 uur", local(2026, 11, 23, 16)),
        ("Vrijdag, 15:00", local(2026, 11, 27, 15)),
        ("ma 9:00", local(2026, 11, 30, 9)),  # this Monday 9:00 has passed: next week's
        ("15 jan 10:00", local(2027, 1, 15, 10)),  # January has passed this year: next year's
        ("3 mrt 2027 14u30", local(2027, 3, 3, 14, 30)),
    ],
)
def test_typed_moments_are_read_in_amsterdam_time(typed: str, start: datetime) -> None:
    when = parse_when(typed, NOW)
    assert when.start == start
    assert when.end == start + timedelta(hours=2)
    assert not when.end_given


def test_an_end_time_can_be_given_and_must_follow_the_start() -> None:
    when = parse_when("1 dec 15:00-17:30", NOW)
    assert (when.start, when.end, when.end_given) == (local(2026, 12, 1, 15), local(2026, 12, 1, 17, 30), True)
    assert parse_when("1 dec van 15:00 tot 16:00", NOW).end == local(2026, 12, 1, 16)
    with pytest.raises(WhenError, match="ligt niet na de begintijd"):
        parse_when("1 dec 15:00-14:00", NOW)


def test_a_weekday_that_does_not_match_the_date_is_flagged() -> None:
    with pytest.raises(WhenError, match="1 december 2026 is een dinsdag, geen woensdag"):
        parse_when("wo 1 dec 15:00", NOW)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("31 nov 15:00", "31 november bestaat niet"),
        ("1-13 15:00", "Maand 13 bestaat niet"),
        ("1 dec", "Ik mis de tijd"),
        ("15:00", "Ik mis de datum"),
        ("1 decembre 15:00", "Ik ken de maand ‘decembre’ niet"),
        ("ergens 15:00", "Ik begrijp de datum"),
        ("vandaag 9:00", "is al voorbij"),
        ("1-1-2020 9:00", "is al voorbij"),
        ("28 mrt 2027 2:30", "dan gaat de klok vooruit"),
    ],
)
def test_impossible_past_and_unclear_moments_are_refused_in_dutch(typed: str, message: str) -> None:
    with pytest.raises(WhenError, match=message):
        parse_when(typed, NOW)


def test_a_day_picked_with_a_button_needs_only_the_time() -> None:
    assert parse_when("15:00", NOW, day=date(2026, 11, 26)).start == local(2026, 11, 26, 15)
    # A typed date still wins over the button's day.
    assert parse_when("1 dec 15:00", NOW, day=date(2026, 11, 26)).start == local(2026, 12, 1, 15)


def test_the_offered_days_start_tomorrow() -> None:
    assert next_days(NOW, 3) == [date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26)]


BROADCAST_NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday, 11:00 in Amsterdam


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1 dec 15:00", datetime(2026, 12, 1, 15, 0, tzinfo=AMSTERDAM)),
        ("di 1 december 15.00", datetime(2026, 12, 1, 15, 0, tzinfo=AMSTERDAM)),
        ("2026-12-01 15:00", datetime(2026, 12, 1, 15, 0, tzinfo=AMSTERDAM)),
        ("1-12 9:30", datetime(2026, 12, 1, 9, 30, tzinfo=AMSTERDAM)),
        ("morgen om 9:00", datetime(2026, 11, 24, 9, 0, tzinfo=AMSTERDAM)),
        ("vandaag 17:30 uur", datetime(2026, 11, 23, 17, 30, tzinfo=AMSTERDAM)),
        ("woensdag 8:00", datetime(2026, 11, 25, 8, 0, tzinfo=AMSTERDAM)),
        ("20 jan 8:00", datetime(2027, 1, 20, 8, 0, tzinfo=AMSTERDAM)),  # passed this year: next year
        ("1 jul 2027 12:00", datetime(2027, 7, 1, 12, 0, tzinfo=AMSTERDAM)),  # summer time
    ],
)
def test_moments_of_a_planned_broadcast_are_read_in_amsterdam_time(typed: str, expected: datetime) -> None:
    assert parse_when(typed, BROADCAST_NOW).start == expected


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("1 dec", "Ik mis de tijd"),
        ("vandaag 10:30", "al voorbij"),
        ("2020-01-01 10:00", "al voorbij"),
        ("31 nov 10:00", "bestaat niet"),
        ("1 decembrr 10:00", "Ik ken de maand"),
        ("ma 1 dec 10:00", "is een dinsdag"),
        ("straks 10:00", "Ik begrijp de datum"),
        ("31-12-9999 23:00", "meer dan 5 jaar vooruit"),
        ("1-12-2205 15:00", "Klopt het jaartal"),
    ],
)
def test_unusable_moments_of_a_planned_broadcast_are_refused_in_dutch(typed: str, says: str) -> None:
    with pytest.raises(WhenError, match=says):
        parse_when(typed, BROADCAST_NOW)
