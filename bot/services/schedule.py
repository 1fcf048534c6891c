"""Agenda time, without Telegram or the database: categories, reminder moments, quiet hours, Dutch dates.

Everything is stored in UTC and computed in Europe/Amsterdam. A reminder "1 day before" is a nominal
day: 15:00 local on the day before, also when the clocks change in between (so it is 23 or 25 hours);
hours and minutes before are exact, as in RFC 5545.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.agenda_questions import CATEGORIES, CATEGORY_WORDS
from bot.settings import QUIET_HOURS

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# Roles of each category's default audience; () is the whole partnership.
DEFAULT_AUDIENCE: dict[str, tuple[str, ...]] = {
    "intervisie": (),
    "mentortraining": ("mentor", "schoolopleider"),
    "partnerscholendag": (),
    "overig": (),
}
# (nominal days before the start, local hour) of each category's default reminders.
DEFAULT_REMINDERS: dict[str, tuple[tuple[int, time], ...]] = {
    "intervisie": ((7, time(9)), (1, time(9))),
    "mentortraining": ((7, time(9)), (1, time(9))),
    "partnerscholendag": ((14, time(9)), (1, time(9))),
    "overig": ((1, time(9)),),
}
WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)


@dataclass(frozen=True)
class Alarm:
    """One reminder moment of an event: ``days`` nominal days plus ``seconds`` before the start, or at
    ``at``, or (a category default) ``days`` before the start's date at the local ``hour``."""

    days: int = 0
    seconds: int = 0
    at: datetime | None = None
    hour: time | None = None

    def moment(self, start: datetime) -> datetime:
        if self.at is not None:
            return self.at.astimezone(UTC)
        local = start.astimezone(AMSTERDAM)
        if self.hour is not None:
            return datetime.combine(local.date() - timedelta(days=self.days), self.hour, AMSTERDAM).astimezone(UTC)
        # Days are nominal (the same local time), hours, minutes and seconds exact (RFC 5545, 3.3.6):
        # -PT1H before 03:30 on the night the clocks go forward is 01:30, not the skipped 02:30.
        day_shifted = datetime.combine(local.date() - timedelta(days=self.days), local.timetz().replace(tzinfo=None))
        return day_shifted.replace(tzinfo=AMSTERDAM).astimezone(UTC) - timedelta(seconds=self.seconds)


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time

    def contains(self, local: time) -> bool:
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def end_after(self, moment: datetime) -> datetime:
        """The first end of the quiet hours after ``moment`` (which lies inside them)."""
        local = moment.astimezone(AMSTERDAM)
        end_day = local.date() if local.time() < self.end else local.date() + timedelta(days=1)
        return datetime.combine(end_day, self.end, tzinfo=AMSTERDAM).astimezone(UTC)


def parse_quiet_hours(text: str) -> QuietHours | None:
    """ "21:00-07:00" -> QuietHours; "" -> None (off). Raises ValueError on anything else."""
    if not text.strip():
        return None
    found = QUIET_HOURS.match(text)
    if found is None:
        raise ValueError("gebruik UU:MM-UU:MM, bijvoorbeeld 21:00-07:00, of laat leeg")
    start_h, start_m, end_h, end_m = map(int, found.groups())
    return QuietHours(time(start_h, start_m), time(end_h, end_m))


def category_of(categories: Iterable[str], summary: str) -> str | None:
    """The category from CATEGORIES values, else from recognisable words in the title; None if neither."""
    for value in categories:
        cleaned = value.strip().lower()
        if cleaned in CATEGORIES:
            return cleaned
    for category, words in CATEGORY_WORDS:
        if words.search(summary):
            return category
    return None


def default_alarms(category: str) -> tuple[Alarm, ...]:
    return tuple(Alarm(days=days, hour=hour) for days, hour in DEFAULT_REMINDERS.get(category, ()))


def alarms_to_json(alarms: Sequence[Alarm]) -> str:
    return json.dumps(
        [{"at": a.at.astimezone(UTC).isoformat()} if a.at else {"days": a.days, "seconds": a.seconds} for a in alarms]
    )


def alarms_from_json(stored: str | None, category: str) -> tuple[Alarm, ...]:
    """The event's own alarms, or the category's defaults when it has none (None)."""
    if stored is None:
        return default_alarms(category)
    return tuple(
        Alarm(at=datetime.fromisoformat(item["at"])) if "at" in item else Alarm(item["days"], item["seconds"])
        for item in json.loads(stored)
    )


def reminder_moments(start: datetime, alarms: Sequence[Alarm], quiet: QuietHours | None) -> list[datetime]:
    """The planned moments in UTC, sorted and without repeats, after the quiet-hours shift.

    A moment inside the quiet hours waits until they end, unless the event starts before then: then
    it stays where it is (better at night than too late). Moments at or after the start are dropped.
    """
    moments = set()
    for alarm in alarms:
        try:
            moment = alarm.moment(start)
        except (OverflowError, ValueError):  # stored before imports checked alarms: no such moment
            continue
        if quiet is not None and quiet.contains(moment.astimezone(AMSTERDAM).time()):
            later = quiet.end_after(moment)
            moment = later if later < start else moment
        if moment < start:
            moments.add(moment)
    return sorted(moments)


def local(moment: datetime) -> datetime:
    return moment.astimezone(AMSTERDAM)


def dutch_date(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]}"


def dutch_when(start: datetime, end: datetime, location: str = "") -> str:
    """ "dinsdag 1 december, 15:00–17:00, KC De Wegwijzer" in Amsterdam time (an end on another day is named)."""
    first, last = local(start), local(end)
    if last.date() == first.date():
        when = f"{dutch_date(first.date())}, {first:%H:%M}–{last:%H:%M}"
    else:
        when = f"{dutch_date(first.date())} {first:%H:%M} – {dutch_date(last.date())} {last:%H:%M}"
    return f"{when}, {location}" if location else when


def iso_local(moment: datetime) -> str:
    """ISO 8601 in Europe/Amsterdam with its offset, e.g. 2026-12-01T15:00:00+01:00."""
    return local(moment).isoformat()
