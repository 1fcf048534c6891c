"""Reminder moments, quiet hours and Dutch dates: pure, with fixed times (no clock involved)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from bot.agenda_questions import agenda_category
from bot.services.schedule import (
    AMSTERDAM,
    Alarm,
    QuietHours,
    alarms_from_json,
    alarms_to_json,
    category_of,
    default_alarms,
    dutch_when,
    iso_local,
    parse_quiet_hours,
    reminder_moments,
)

NIGHT = QuietHours(time(21), time(7))


def amsterdam(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=AMSTERDAM)


def test_one_day_before_keeps_the_local_hour_across_the_dst_change() -> None:
    # Summer time ends in the night of 24 to 25 October 2026: that "day" has 25 hours.
    start = amsterdam(2026, 10, 25, 15, 0)
    [moment] = reminder_moments(start, [Alarm(days=1)], None)
    assert moment.astimezone(AMSTERDAM) == amsterdam(2026, 10, 24, 15, 0)
    assert (start - moment).total_seconds() == 25 * 3600
    # ... and it starts again on 28 March 2027 (23 hours).
    spring = amsterdam(2027, 3, 28, 15, 0)
    [moment] = reminder_moments(spring, [Alarm(days=1)], None)
    assert moment.astimezone(AMSTERDAM) == amsterdam(2027, 3, 27, 15, 0)


def test_hours_before_are_real_hours_and_absolute_triggers_stay() -> None:
    start = amsterdam(2026, 12, 1, 15, 0)
    absolute = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    moments = reminder_moments(start, [Alarm(seconds=2 * 3600), Alarm(at=absolute)], None)
    assert moments == [absolute, amsterdam(2026, 12, 1, 13, 0).astimezone(UTC)]


def test_category_defaults_are_at_nine_local_on_both_sides_of_the_dst_change() -> None:
    for start in (amsterdam(2026, 10, 27, 15, 0), amsterdam(2026, 11, 3, 15, 0)):
        moments = reminder_moments(start, default_alarms("intervisie"), NIGHT)
        assert [m.astimezone(AMSTERDAM).time() for m in moments] == [time(9), time(9)]
        assert [(start.date() - m.astimezone(AMSTERDAM).date()).days for m in moments] == [7, 1]


def test_quiet_hours_shift_to_their_end_unless_the_event_starts_before_then() -> None:
    start = amsterdam(2026, 12, 2, 10, 0)
    [moment] = reminder_moments(start, [Alarm(seconds=12 * 3600)], NIGHT)  # 22:00 the evening before
    assert moment.astimezone(AMSTERDAM) == amsterdam(2026, 12, 2, 7, 0)
    early = amsterdam(2026, 12, 2, 6, 30)
    [moment] = reminder_moments(early, [Alarm(seconds=8 * 3600)], NIGHT)  # 22:30, the event is before 07:00
    assert moment.astimezone(AMSTERDAM) == amsterdam(2026, 12, 1, 22, 30)
    [moment] = reminder_moments(start, [Alarm(seconds=12 * 3600)], None)  # quiet hours off
    assert moment.astimezone(AMSTERDAM) == amsterdam(2026, 12, 1, 22, 0)


def test_moments_after_the_start_are_dropped_and_repeats_merged() -> None:
    start = amsterdam(2026, 12, 1, 15, 0)
    assert reminder_moments(start, [Alarm(seconds=-60), Alarm(days=1), Alarm(seconds=86400)], None) == [
        amsterdam(2026, 11, 30, 15, 0).astimezone(UTC)
    ]


def test_quiet_hours_setting() -> None:
    assert parse_quiet_hours("21:00-07:00") == NIGHT
    assert parse_quiet_hours("") is None
    with pytest.raises(ValueError, match="UU:MM"):
        parse_quiet_hours("laat")


def test_alarms_survive_storage() -> None:
    alarms = (Alarm(days=1), Alarm(seconds=900), Alarm(at=datetime(2026, 11, 30, 8, 0, tzinfo=UTC)))
    assert alarms_from_json(alarms_to_json(alarms), "overig") == alarms
    assert alarms_from_json(None, "overig") == default_alarms("overig")


def test_dutch_dates_in_amsterdam_time() -> None:
    start = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    end = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    assert dutch_when(start, end, "KC Fictief") == "dinsdag 1 december, 15:00–17:00, KC Fictief"
    assert iso_local(start) == "2026-12-01T15:00:00+01:00"
    assert iso_local(datetime(2026, 7, 1, 13, 0, tzinfo=UTC)) == "2026-07-01T15:00:00+02:00"


def test_categories_from_the_file_or_the_title() -> None:
    assert category_of(["Mentortraining"], "iets") == "mentortraining"
    assert category_of([], "Fictieve partnerscholendag 2027") == "partnerscholendag"
    assert category_of(["werk"], "Overleg") is None


@pytest.mark.parametrize(
    ("question", "category"),
    [
        ("wanneer is de volgende intervisie?", "intervisie"),
        ("Welke datum is de mentortraining", "mentortraining"),
        ("eerstvolgende partnerscholendag", "partnerscholendag"),
        ("wat is intervisie", None),
        ("wanneer begint de stage", None),
    ],
)
def test_agenda_questions(question: str, category: str | None) -> None:
    assert agenda_category(question) == category
