"""Time is a dependency: every service reads "now" from one injected clock.

The composition root passes the system clock (``db.models.utcnow``); tests pass a fixed one, so a
test written against ``NOW + timedelta(days=8)`` holds on any calendar date.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

Clock = Callable[[], datetime]
"""Returns an aware UTC moment."""


def fixed_clock(moment: datetime) -> Clock:
    """A clock that always says ``moment`` (aware); for tests and one-off commands."""
    if moment.tzinfo is None:
        raise ValueError("a clock gives aware moments")
    return lambda: moment


__all__ = ["Clock", "fixed_clock"]
