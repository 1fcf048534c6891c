"""The /stats chart: questions per week (bars) and the share the bot could not answer (line), as PNG.

Pure: no Telegram, no database. matplotlib is imported when the first chart is drawn, so every other
command (``python -m bot ask`` above all) starts without it; call it off the event loop
(``asyncio.to_thread``): drawing takes about 60 ms of CPU.
"""

from __future__ import annotations

import functools
import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.services.schedule import MONTHS

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CACHED_CHARTS = 64  # series kept drawn (about 30 kB each)
# Room, as fractions of the figure, for the legend above, the axis labels either side and the
# week labels (slanted, "28 sep") below; sized for up to five-digit counts.
MARGINS = {"left": 0.11, "right": 0.9, "top": 0.9, "bottom": 0.19}


@dataclass(frozen=True)
class Point:
    monday: date
    asked: int
    fallback: int


def week_label(monday: date) -> str:
    return f"{monday.day} {MONTHS[monday.month - 1][:3]}"


class WeeksChart:
    """One matplotlib figure for a fixed number of weeks, drawn again with each series's figures.

    Building a figure (axes, ticks, legend) was a third of each drawing, and the thousands of artists
    a new figure leaves behind as cyclic garbage brought one of Python's full collections (over the
    whole heap of the bot) into about one drawing in twelve, doubling it. Updating the bars, the line
    and the week labels of one figure gives the PNG a new figure would, byte for byte, without both.
    Not safe to draw from two threads at once: ``render_chart`` takes a lock.
    """

    def __init__(self, weeks: int) -> None:
        from matplotlib.figure import Figure  # lazy: see the module's docstring
        from matplotlib.ticker import MaxNLocator, PercentFormatter

        self.positions = list(range(weeks))
        self.figure = Figure(figsize=(8, 4.5), dpi=100)
        self.figure.subplots_adjust(**MARGINS)  # fixed: a layout engine would double the drawing time
        self.counts = self.figure.subplots()
        self.bars = self.counts.bar(self.positions, [0] * weeks, color="#4c72b0", label="vragen")
        self.counts.set_ylabel("vragen per week")
        self.counts.yaxis.set_major_locator(MaxNLocator(integer=True))
        self.counts.set_xlabel("week van")
        shares = self.counts.twinx()
        (self.line,) = shares.plot(self.positions, [0.0] * weeks, color="#dd8452", marker="o", label="zonder antwoord")
        shares.set_ylim(0, 1)
        shares.yaxis.set_major_formatter(PercentFormatter(1.0))
        shares.set_ylabel("zonder antwoord")
        self.figure.legend(loc="upper center", ncols=2, frameon=False)

    def draw(self, series: Sequence[Point]) -> bytes:
        """A PNG of ``series`` (oldest first); weeks without questions show no share."""
        if len(series) != len(self.positions):
            raise ValueError(f"{len(series)} weeks for a chart of {len(self.positions)}")
        for bar, point in zip(self.bars, series, strict=True):
            bar.set_height(point.asked)
        self.line.set_ydata([p.fallback / p.asked if p.asked else float("nan") for p in series])
        self.counts.set_xticks(self.positions, [week_label(p.monday) for p in series], rotation=45, ha="right")
        self.counts.relim()  # the count axis fits these bars, not the last series drawn
        self.counts.autoscale_view()
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png")
        return buffer.getvalue()


_drawing = threading.Lock()


@functools.lru_cache(maxsize=2)
def _chart_of(weeks: int) -> WeeksChart:
    return WeeksChart(weeks)


def render_chart(series: Sequence[Point]) -> bytes:
    """A PNG of the weeks in ``series`` (oldest first), on the figure kept for that many weeks."""
    with _drawing:
        return _chart_of(len(series)).draw(series)


@functools.lru_cache(maxsize=CACHED_CHARTS)
def chart_png(series: tuple[Point, ...]) -> bytes:
    """``render_chart``, drawn once per series: the same figures give the same PNG, so a page
    reloaded (or another period chosen) with no new question since is served from memory.
    Safe in worker threads (a race draws twice)."""
    return render_chart(series)


__all__ = [
    "CACHED_CHARTS",
    "PNG_SIGNATURE",
    "Point",
    "WeeksChart",
    "chart_png",
    "render_chart",
    "week_label",
]
