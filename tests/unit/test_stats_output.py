"""What /stats shows: the chart is a real PNG, the text is escaped and never too long for Telegram."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta

from bot.services.stats import DeliveryFigures, Stats, Week, weeks_of
from bot.stats_chart import PNG_SIGNATURE, Point, WeeksChart, render_chart
from bot.stats_text import chart_caption, stats_text
from tests.conftest import PROJECT_DIR
from tests.fake_bot_api import parse_html


def stats(**changes: object) -> Stats:
    values: dict[str, object] = {
        "partnership": "poo-marnix",
        "days": 30,
        "users": 3,
        "reachable": 2,
        "by_role": (("mentor", 2), (None, 1)),
        "by_school": (("school:kc-fictief", None, 2), (None, "<b>getypt</b> & zo", 1)),
        "asked": 10,
        "answered": 7,
        "fallback": 3,
        "thumbs_up": 4,
        "thumbs_down": 1,
        "unanswered": (("Waar is <de> parkeerplaats & fiets?", 2),),
        "reminders": DeliveryFigures(5, 1, 2),
        "messages": DeliveryFigures(),
        "weeks": (Week(date(2026, 11, 16), 10, 3),),
    }
    values.update(changes)
    return Stats(**values)  # type: ignore[arg-type]


def test_the_chart_is_a_png_also_without_any_question() -> None:
    monday = date(2026, 9, 7)
    series = [Point(monday + timedelta(weeks=n), n * 2, n % 3) for n in range(12)]
    png = render_chart(series)
    assert png.startswith(PNG_SIGNATURE)
    assert len(png) > 5000
    assert render_chart([Point(monday, 0, 0)]).startswith(PNG_SIGNATURE)


def test_a_chart_drawn_after_others_is_the_chart_of_its_own_weeks() -> None:
    """The figure is reused: nothing of an earlier series (bar heights, the count axis's range,
    week labels, shares) may stay in the next one."""
    monday = date(2026, 9, 7)

    def series(start: date, counts: list[int], fallbacks: list[int]) -> list[Point]:
        return [Point(start + timedelta(weeks=n), c, f) for n, (c, f) in enumerate(zip(counts, fallbacks, strict=True))]

    spike = series(monday, [1, 1, 9_000, 1], [1, 0, 4_000, 1])
    quiet = series(monday + timedelta(weeks=30), [3, 0, 2, 5], [0, 0, 2, 1])
    silent = series(monday, [0, 0, 0, 0], [0, 0, 0, 0])
    for earlier, later in ((spike, quiet), (quiet, silent), (silent, spike)):
        render_chart(earlier)
        assert render_chart(later) == WeeksChart(len(later)).draw(later)
    chart = WeeksChart(len(spike))
    chart.draw(spike)
    assert chart.counts.get_ylim()[1] >= 9_000  # the tallest bar fits
    chart.draw(quiet)
    assert chart.counts.get_ylim()[1] < 10  # and small weeks are not squashed under the old range


def test_the_text_escapes_every_value_and_names_schools() -> None:
    text = stats_text(
        stats(), "Fictief & Co", lambda school_id: "KC Fictief" if school_id == "school:kc-fictief" else None
    )
    shown = parse_html(text)  # the fake Bot API's (Telegram's) HTML parser accepts it
    assert "Statistieken Fictief & Co" in shown
    assert "• KC Fictief: 2" in shown
    assert "• <b>getypt</b> & zo: 1" in shown
    assert "• mentor: 2" in shown
    assert "• nog geen rol gekozen: 1" in shown
    assert "Gesteld: 10 · beantwoord: 7 · zonder antwoord: 3" in shown
    assert "Zonder antwoord: 30% · 👍 4 · 👎 1" in shown
    assert "Waar is <de> parkeerplaats & fiets? (2×)" in shown
    assert "Herinneringen en afgelastingen: 5 verzonden, 1 nog onderweg, 2 niet bezorgd" in shown
    assert "de laatste 30 dagen" in shown
    assert chart_caption(stats()).startswith("Vragen per week en het deel zonder antwoord")


def test_the_text_stays_below_telegrams_limit() -> None:
    many = tuple((f"school:s{n}", None, 1) for n in range(200))
    long_questions = tuple(("x" * 120, 9) for _ in range(5))
    roles = tuple((f"rol{n}" * 20, n) for n in range(60))
    text = stats_text(stats(by_school=many, unanswered=long_questions, by_role=roles), "P" * 200, lambda _: "S" * 250)
    assert len(text) <= 4096
    assert len(parse_html(text)) <= 4096
    assert "190 andere scholen: 190" in text or text.endswith("…")


def test_questions_are_summed_per_week_with_empty_weeks() -> None:
    per_day = {
        date(2026, 11, 23): (2, 1),
        date(2026, 11, 17): (3, 0),
        date(2026, 11, 16): (1, 1),
        date(2020, 1, 1): (9, 9),
    }
    weeks = weeks_of(per_day, date(2026, 11, 25), weeks=3)
    assert [(w.monday, w.asked, w.fallback) for w in weeks] == [
        (date(2026, 11, 9), 0, 0),
        (date(2026, 11, 16), 4, 1),
        (date(2026, 11, 23), 2, 1),
    ]
    assert weeks[0].fallback_rate is None
    assert weeks[1].fallback_rate == 0.25


def test_importing_the_bot_does_not_import_matplotlib() -> None:
    code = "import sys, bot.cli, bot.app, handlers, bot.stats_chart; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
