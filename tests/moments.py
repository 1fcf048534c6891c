"""The moment the tests run at, and moments relative to it.

``NOW`` is the real time (to the minute) unless ``TEST_NOW`` names another moment, e.g.
``TEST_NOW=2027-03-28T01:59:00+01:00`` (the night the clocks go forward). With ``TEST_NOW`` set,
conftest.py also moves the wall clock there with time-machine, so the end-to-end bot (which runs
on the system clock) and the services under test agree. `.ci/run` runs the date-sensitive tests
(marker ``dates``) at the awkward moments listed in ``AWKWARD_MOMENTS``.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from bot.services.schedule import AMSTERDAM

AWKWARD_MOMENTS = (
    "2027-03-28T01:30:00+01:00",  # half an hour before the clocks go forward in Europe/Amsterdam
    "2027-10-31T02:30:00+02:00",  # the hour that happens twice when they go back (first pass)
    "2026-12-31T23:59:00+01:00",  # the last minute of a year
    "2028-02-29T12:00:00+01:00",  # a leap day
)


def _now() -> datetime:
    chosen = os.environ.get("TEST_NOW")
    if chosen:
        moment = datetime.fromisoformat(chosen)
        if moment.tzinfo is None:
            raise ValueError("TEST_NOW needs an offset, e.g. 2027-03-28T01:30:00+01:00")
        return moment.astimezone(UTC)
    return datetime.now(UTC).replace(second=0, microsecond=0)


NOW = _now()


def today() -> date:
    """NOW's date in Amsterdam."""
    return NOW.astimezone(AMSTERDAM).date()


def local(days: int, hour: int, minute: int = 0) -> datetime:
    """``hour:minute`` in Amsterdam, ``days`` calendar days after NOW's local date (aware)."""
    return datetime.combine(today() + timedelta(days=days), time(hour, minute), AMSTERDAM)


def ics_local(moment: datetime) -> str:
    """The moment as an ICS local time for ``DTSTART;TZID=Europe/Amsterdam:``."""
    return moment.astimezone(AMSTERDAM).strftime("%Y%m%dT%H%M%S")


def ticking_clock(step: timedelta = timedelta(milliseconds=1)) -> Callable[[], datetime]:
    """A clock that starts at NOW and moves on by ``step`` each time it is read (so order shows)."""
    moments = itertools.count()
    return lambda: NOW + next(moments) * step
