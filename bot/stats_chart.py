"""The /stats chart: questions per week (bars) and the share the bot could not answer (line), as PNG.

Pure: no Telegram, no database. matplotlib is imported inside ``render_chart`` only, so every other
command (``python -m bot ask`` above all) starts without it; call it off the event loop
(``asyncio.to_thread``): drawing takes tens of milliseconds of CPU.
"""

from __future__ import annotations

import functools
import io
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


def render_chart(series: Sequence[Point]) -> bytes:
    """A PNG of the weeks in ``series`` (oldest first); weeks without questions show no share."""
    from matplotlib.figure import Figure  # lazy: see the module's docstring
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    figure = Figure(figsize=(8, 4.5), dpi=100)
    figure.subplots_adjust(**MARGINS)  # fixed: a layout engine would double the drawing time
    bars = figure.subplots()
    positions = list(range(len(series)))
    bars.bar(positions, [p.asked for p in series], color="#4c72b0", label="vragen")
    bars.set_ylabel("vragen per week")
    bars.yaxis.set_major_locator(MaxNLocator(integer=True))
    bars.set_xticks(positions, [week_label(p.monday) for p in series], rotation=45, ha="right")
    bars.set_xlabel("week van")
    rate = bars.twinx()
    shares = [p.fallback / p.asked if p.asked else float("nan") for p in series]
    rate.plot(positions, shares, color="#dd8452", marker="o", label="zonder antwoord")
    rate.set_ylim(0, 1)
    rate.yaxis.set_major_formatter(PercentFormatter(1.0))
    rate.set_ylabel("zonder antwoord")
    figure.legend(loc="upper center", ncols=2, frameon=False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


@functools.lru_cache(maxsize=CACHED_CHARTS)
def chart_png(series: tuple[Point, ...]) -> bytes:
    """``render_chart``, drawn once per series: the same figures give the same PNG, and drawing
    takes about 200 ms of CPU, so a page reloaded (or another period chosen) with no new
    question since is served from memory. Safe in worker threads (a race draws twice)."""
    return render_chart(series)


__all__ = ["CACHED_CHARTS", "PNG_SIGNATURE", "Point", "chart_png", "render_chart", "week_label"]
